/**
 * @module
 * Git LFS content on its way home. A commit of the agent's holds, for an LFS file, only
 * a pointer (the sha256 and size of the content); the content sits in the agent's
 * `.git/lfs/objects`, which no push carries. Once the agent's refs are fetched home,
 * the pointers they brought are read on the host (from git objects the host already
 * checked), the content of each pointer the host lacks is taken from the agent in one
 * stream, cut by the pointers' sizes, checked against the sha256 (nothing the agent
 * names is trusted: not a path, not a length) and scanned for secrets like every file
 * that crosses, then put where Git LFS keeps it.
 */

import { createHash } from "node:crypto";
import { isAbsolute, join } from "node:path";
import type { Guest } from "../backend/types.ts";
import { captureRaw, shell } from "../shell.ts";
import { log } from "../log.ts";
import { firstSecretInFile } from "./select.ts";

/** One LFS pointer a home ref brought. */
export interface LfsPointer {
  /** The content's sha256, lower-case hex. */
  oid: string;
  size: number;
  /** A path it is found at (for the person; from the agent). */
  path: string;
}

/** What became of the LFS content the home refs point to. */
export interface LfsHome {
  /** Objects put into the host's LFS store. */
  brought: number;
  /** Paths whose content the agent did not have, or sent wrong. */
  missing: string[];
  /** Paths whose content holds a secret, and the rule (never the value). */
  refused: { path: string; rule: string }[];
  /** Paths whose content would take the total past the limit (`MAX_LFS_HOME`). */
  tooLarge: string[];
}

/** The most LFS content one home-coming brings: 8 GiB. */
export const MAX_LFS_HOME = 8 * 1024 ** 3;

/** Pointers are small text files; a blob past this is content. */
const MAX_POINTER = 1024;

/** The pointer `text` is, per the Git LFS specification (v1), or undefined. */
export function parsePointer(text: string): { oid: string; size: number } | undefined {
  if (!text.startsWith("version https://git-lfs.github.com/spec/v1\n")) return undefined;
  const oid = /^oid sha256:([0-9a-f]{64})$/m.exec(text)?.[1];
  const size = /^size (\d{1,15})$/m.exec(text)?.[1];
  return oid && size !== undefined ? { oid, size: Number(size) } : undefined;
}

async function git(repo: string, args: string[], stdin?: string) {
  const $ = await shell();
  let command = $`git -C ${repo} -c core.hooksPath=/dev/null -c core.fsmonitor=false ${args}`;
  if (stdin !== undefined) command = command.stdinText(stdin);
  return await captureRaw(command, "10m");
}

/**
 * The LFS pointers among the blobs reachable from `refs` and not from `seeds`, in
 * `repo`: small blobs are read in one `cat-file --batch` and those that parse as
 * pointers kept, one per oid.
 */
export async function newPointers(
  repo: string,
  refs: readonly string[],
  seeds: readonly string[],
): Promise<LfsPointer[]> {
  if (refs.length === 0) return [];
  const listed = await git(repo, [
    "rev-list",
    "--objects",
    `--filter=blob:limit=${MAX_POINTER + 1}`,
    ...refs,
    ...(seeds.length ? ["--not", ...seeds] : []),
  ]);
  if (listed.code !== 0) throw new Error(`listing new objects failed: ${listed.stderr.trim()}`);
  // Commits and trees are listed too (and blobs without a path): only named blobs count.
  const paths = new Map<string, string>();
  for (const line of listed.stdout.split("\n")) {
    const space = line.indexOf(" ");
    if (space === 40 || space === 64) paths.set(line.slice(0, space), line.slice(space + 1));
  }
  if (paths.size === 0) return [];
  const checked = await git(
    repo,
    ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"],
    [...paths.keys()].join("\n") + "\n",
  );
  const small = checked.stdout.split("\n").map((l) => l.split(" ")).filter(([, type, size]) =>
    type === "blob" && Number(size) <= MAX_POINTER
  ).map(([sha]) => sha!);
  if (small.length === 0) return [];
  // Read as bytes: the blobs around a pointer may be any text, and a character count
  // would not find the next header.
  const $ = await shell();
  const bytes = await $`git -C ${repo} cat-file --batch`.stdinText(small.join("\n") + "\n")
    .bytes();
  const decoder = new TextDecoder();
  const out = new Map<string, LfsPointer>();
  // `<sha> blob <size>\n<content>\n`, one after another.
  for (let at = 0; at < bytes.length;) {
    const eol = bytes.indexOf(10, at);
    if (eol === -1) break;
    const [sha, , size] = decoder.decode(bytes.subarray(at, eol)).split(" ");
    const length = Number(size);
    if (!Number.isInteger(length)) break;
    const pointer = parsePointer(decoder.decode(bytes.subarray(eol + 1, eol + 1 + length)));
    at = eol + 1 + length + 1;
    if (pointer && !out.has(pointer.oid)) {
      out.set(pointer.oid, { ...pointer, path: paths.get(sha!) ?? "" });
    }
  }
  return [...out.values()];
}

/** Where Git LFS keeps `oid` under the objects directory `store`. */
function objectPath(store: string, oid: string): string {
  return join(store, oid.slice(0, 2), oid.slice(2, 4), oid);
}

/** The host repository's LFS object store (`<common git dir>/lfs/objects`). */
async function hostStore(repo: string): Promise<string> {
  const r = await git(repo, ["rev-parse", "--git-common-dir"]);
  if (r.code !== 0) throw new Error(`finding the git directory failed: ${r.stderr.trim()}`);
  const dir = r.stdout.trim();
  return join(isAbsolute(dir) ? dir : join(repo, dir), "lfs", "objects");
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * Brings the content of `pointers` the host lacks from the agent's repository at
 * `guestRepo` into `repo`'s LFS store, checked and scanned (see the module).
 */
export async function bringLfsHome(
  repo: string,
  guest: Guest,
  guestRepo: string,
  pointers: readonly LfsPointer[],
  staging: string,
  limit = MAX_LFS_HOME,
): Promise<LfsHome> {
  const result: LfsHome = { brought: 0, missing: [], refused: [], tooLarge: [] };
  const store = await hostStore(repo);
  const wanted: LfsPointer[] = [];
  let total = 0;
  for (const p of pointers) {
    if (await exists(objectPath(store, p.oid))) continue;
    // Sizes come from the agent's pointers: a sparse file in the agent costs it nothing
    // and the host its disk.
    if (total + p.size > limit) {
      result.tooLarge.push(p.path);
      continue;
    }
    total += p.size;
    wanted.push(p);
  }
  if (wanted.length === 0) return result;
  if (total >= 64 << 20) {
    log.info(
      `Bringing ${Math.round(total / (1 << 20))} MB of Git LFS content home (checked and scanned)`,
    );
  }
  // One stream of the objects the agent has at their pointers' sizes, in order, and a
  // line for each saying whether it is in the stream; the host cuts the stream by the
  // sizes and checks every piece (a lie shifts what follows, which then fails too).
  const inGuest = `/tmp/bot-bottle-lfs-${Date.now()}`;
  const made = await guest.exec([
    "sh",
    "-c",
    `out="$1" store="$2/.git/lfs/objects"
: > "$out" || exit 1
while read -r oid size; do
  f="$store/$(printf %s "$oid" | cut -c1-2)/$(printf %s "$oid" | cut -c3-4)/$oid"
  if [ -f "$f" ] && [ "$(wc -c < "$f")" -eq "$size" ] && cat "$f" >> "$out"; then echo y; else echo n; fi
done`,
    "sh",
    inGuest,
    guestRepo,
  ], {
    user: "agent",
    timeout: "30m",
    stdin: new TextEncoder().encode(wanted.map((p) => `${p.oid} ${p.size}\n`).join("")),
  });
  const sent = made.stdout.split("\n").filter(Boolean);
  if (made.code !== 0 || sent.length !== wanted.length) {
    result.missing.push(...wanted.map((p) => p.path));
    return result;
  }
  const file = join(staging, "lfs-objects");
  await guest.getFile(inGuest, file);
  await guest.exec(["rm", "-f", inGuest], { user: "agent" });
  const stream = await Deno.open(file);
  try {
    const tmp = join(store, "..", "tmp");
    await Deno.mkdir(tmp, { recursive: true });
    const buffer = new Uint8Array(1 << 20);
    for (const [i, p] of wanted.entries()) {
      if (sent[i] !== "y") {
        result.missing.push(p.path);
        continue;
      }
      const part = join(tmp, `bot-bottle-${p.oid}`);
      const hash = createHash("sha256");
      const out = await Deno.open(part, { write: true, create: true, truncate: true, mode: 0o644 });
      let left = p.size;
      try {
        while (left > 0) {
          const n = await stream.read(buffer.subarray(0, Math.min(buffer.length, left)));
          if (n === null) break;
          hash.update(buffer.subarray(0, n));
          let written = 0;
          while (written < n) written += await out.write(buffer.subarray(written, n));
          left -= n;
        }
      } finally {
        out.close();
      }
      if (left > 0 || hash.digest("hex") !== p.oid) {
        await Deno.remove(part).catch(() => {});
        result.missing.push(p.path);
        continue;
      }
      const secret = await firstSecretInFile(part, undefined, p.size);
      if (secret) {
        await Deno.remove(part).catch(() => {});
        result.refused.push({ path: p.path, rule: secret.rule });
        continue;
      }
      const to = objectPath(store, p.oid);
      await Deno.mkdir(join(to, ".."), { recursive: true });
      await Deno.rename(part, to);
      result.brought++;
    }
  } finally {
    stream.close();
  }
  return result;
}
