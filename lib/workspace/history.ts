/**
 * @module
 * What of a repository's history goes into the agent: the objects its branches, tags,
 * HEAD, index and a merge or rebase in progress reach, as one pack, and not one more.
 * Copying the object store whole carried what no ref reaches too (a `.env` staged once
 * and unstaged again stays there as a blob), and every file version the history holds:
 * a secret the tree scan left out of the working tree was still one `git show` away.
 * Every blob is scanned with the same detector as the files; one holding a secret stays
 * out, and the agent's repository is a partial clone (see `HELD_BACK` in pack.ts), so
 * that git there takes the missing blob for one a promisor remote has, fetches nothing,
 * and fails only where that content is needed (`git show` of it, a diff through it).
 */

import { join } from "node:path";
import { BotBottleError } from "../errors.ts";
import { log } from "../log.ts";
import { captureRaw, shell } from "../shell.ts";
import { Buffered } from "../buffered.ts";
import { firstSecretInBytes, firstSecretInStream, mb } from "./select.ts";
import { PIECE } from "../secrets/mod.ts";
import type { CleanContents } from "./verdicts.ts";

/** A blob of the history left out because it holds a secret; never the value. */
export interface LeftOutBlob {
  blob: string;
  /** A path the history holds it at. */
  path: string;
  rule: string;
  line: number;
}

/** The history as it goes in. */
export interface CarriedHistory {
  /**
   * The packs (`.pack` and `.idx` beside each other): one, or for a large history one per
   * core (see `packParts`); none when there is nothing to carry.
   */
  packs: Pack[];
  /**
   * A pack of the blobs left out, for the gate alone: it checks every push's objects and
   * their links (a new tree names the left-out blob beside the file it changes), and
   * refuses the fetches that could carry these to the agent.
   */
  heldBack?: Pack;
  leftOut: LeftOutBlob[];
}

/** A pack file and its index, by name (`pack-<hash>`). */
export interface Pack {
  pack: string;
  idx: string;
  name: string;
}

/**
 * Packs the objects `list` names into `dir`. With no window, git looks for no new deltas:
 * deltas the repository's packs already hold are reused, and an object stored whole goes
 * whole. The pack only crosses to a container on this machine, where its size costs
 * little, while the search (every object stored whole weighed against ten others, again
 * at every start) took 13.7-18.7 s for a history of 20,000 file versions and 370 MB
 * (4,200 or 11,100 objects loose); 3.1-6.4 s without it. For the same reason a loose
 * object is compressed at zlib's fastest level (what the packs hold goes as it is
 * stored): 14,000 loose objects, 160 MB of text and 200 MB of binary files, took 8.4 s
 * at git's default level and 6.1 s at the fastest, for a pack 1.5% larger.
 */
async function writePack(repo: string, dir: string, prefix: string, list: string[]): Promise<Pack> {
  await Deno.mkdir(dir, { recursive: true });
  const hash = (await git(repo, ["pack-objects", "-q", "--window=0", join(dir, prefix)], {
    config: ["pack.compression=1"],
    stdin: list.join("\n") + "\n",
  })).trim();
  const name = `${prefix}-${hash}`;
  return { pack: join(dir, `${name}.pack`), idx: join(dir, `${name}.idx`), name };
}

/** From this many bytes of file versions on, the history is packed in parts at once. */
const SPLIT_BYTES = 64e6;

/**
 * How many packs to make of `bytes` of file versions: one per core (at most four) for a
 * large history, else one. pack-objects compresses each loose object anew on one core:
 * 14,000 loose objects took 6.1-6.6 s in one pack, 3.2-3.7 s in two made at once.
 */
function defaultParts(bytes: number): number {
  return bytes < SPLIT_BYTES ? 1 : Math.max(1, Math.min(4, navigator.hardwareConcurrency));
}

/**
 * `list` (rev-list's `<id> <path>` lines) in `ways` parts of about equal size: every
 * version of a path in one part, so that the deltas between them are kept (a delta goes
 * into a pack only with its base), the largest paths first, each to the lightest part.
 */
export function packParts(
  list: readonly string[],
  sizes: ReadonlyMap<string, number>,
  ways: number,
): string[][] {
  if (ways <= 1) return [[...list]];
  const byPath = new Map<string, { lines: string[]; bytes: number }>();
  for (const line of list) {
    const space = line.indexOf(" ");
    const path = space === -1 ? "" : line.slice(space + 1);
    const group = byPath.get(path) ?? byPath.set(path, { lines: [], bytes: 0 }).get(path)!;
    group.lines.push(line);
    group.bytes += sizes.get(space === -1 ? line : line.slice(0, space)) ?? 0;
  }
  const parts = Array.from({ length: ways }, () => ({ lines: [] as string[], bytes: 0 }));
  for (const group of [...byPath.values()].sort((a, b) => b.bytes - a.bytes)) {
    const lightest = parts.reduce((min, p) => (p.bytes < min.bytes ? p : min));
    for (const line of group.lines) lightest.lines.push(line);
    lightest.bytes += group.bytes;
  }
  return parts.map((p) => p.lines).filter((lines) => lines.length > 0);
}

/** How often a long scan says how far it got. */
const PROGRESS_MS = 5_000;
/** After how long packing the history says that it does. */
const PACK_NOTICE_MS = 2_000;

/** Every this many milliseconds of scanning, timers and signals get to run. */
const SLICE_MS = 20;

const HEX = /\b(?:[0-9a-f]{64}|[0-9a-f]{40})\b/g;

/**
 * The commits (and trees) a merge, cherry-pick, revert or rebase in progress names, from
 * its files in `gitDir` (`names`: those files and directories).
 */
export async function inProgressTips(gitDir: string, names: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  const read = async (path: string): Promise<void> => {
    const info = await Deno.lstat(path).catch(() => undefined);
    if (info?.isFile && info.size < 1 << 20) {
      for (const m of (await Deno.readTextFile(path)).matchAll(HEX)) out.add(m[0]);
    } else if (info?.isDirectory) {
      for await (const e of Deno.readDir(path)) await read(join(path, e.name));
    }
  };
  for (const name of names) await read(join(gitDir, name));
  return [...out];
}

/**
 * Objects as they are stored: with `refs/replace/*` honoured, rev-list would walk the
 * replacements while the pack takes the originals, and the pack would lack what they hold.
 */
const NO_REPLACE = { GIT_NO_REPLACE_OBJECTS: "1" };

async function git(
  repo: string,
  args: string[],
  options: { env?: Record<string, string>; stdin?: string; config?: string[] } = {},
) {
  const $ = await shell();
  const config = (options.config ?? []).flatMap((c) => ["-c", c]);
  let command = $`git -C ${repo} ${config} ${args}`.env({ ...NO_REPLACE, ...options.env });
  if (options.stdin !== undefined) command = command.stdinText(options.stdin);
  const r = await captureRaw(command, "30m");
  if (r.code !== 0) {
    throw new BotBottleError(`git ${args[0]} in "${repo}" failed: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/**
 * Scans the blobs `blobs` (id and size) of `repo` in one `git cat-file --batch`; returns
 * the first secret of each that holds one. Says how far it got every `PROGRESS_MS`.
 */
async function scanBlobs(
  repo: string,
  blobs: { sha: string; size: number }[],
): Promise<Map<string, { rule: string; line: number }>> {
  const found = new Map<string, { rule: string; line: number }>();
  if (blobs.length === 0) return found;
  const child = new Deno.Command("git", {
    args: ["-C", repo, "cat-file", "--batch"],
    env: NO_REPLACE,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const writing = (async () => {
    const writer = child.stdin.getWriter();
    try {
      const encoder = new TextEncoder();
      for (let i = 0; i < blobs.length; i += 1024) {
        const lines = blobs.slice(i, i + 1024).map((b) => `${b.sha}\n`).join("");
        await writer.write(encoder.encode(lines));
      }
    } finally {
      await writer.close().catch(() => {});
    }
  })();
  const reader = child.stdout.getReader();
  const input = new Buffered({
    read: async () => {
      const r = await reader.read();
      return r.done ? null : r.value;
    },
  });
  const newline = new Uint8Array([10]);
  const total = blobs.reduce((sum, b) => sum + b.size, 0);
  let done = 0;
  let said = performance.now();
  let breathed = said;
  try {
    for (const [i, blob] of blobs.entries()) {
      const head = await input.until(newline, 1024);
      const header = head ? new TextDecoder().decode(head).trim() : "";
      const m = /^([0-9a-f]+) blob (\d+)$/.exec(header);
      if (!m || m[1] !== blob.sha) {
        try {
          child.kill();
        } catch { /* already gone */ }
        const why = (await stderr).trim();
        throw new BotBottleError(
          `Reading the history of "${repo}" failed at ${blob.sha}: git cat-file answered ` +
            `"${header.slice(0, 120)}"${why ? `: ${why.slice(0, 500)}` : ""}`,
        );
      }
      let left = Number(m[2]);
      const take = async (into: Uint8Array): Promise<number | null> => {
        if (left === 0) return null;
        const chunk = await input.some(Math.min(left, into.length));
        if (chunk === null) throw new BotBottleError("git cat-file ended in the middle of a blob");
        into.set(chunk);
        left -= chunk.length;
        return chunk.length;
      };
      let first: { rule: string; line: number } | undefined;
      if (left < PIECE) {
        const bytes = new Uint8Array(left);
        for (let n = 0; n < bytes.length;) n += (await take(bytes.subarray(n)))!;
        first = firstSecretInBytes(bytes);
      } else {
        first = await firstSecretInStream(take, PIECE);
        // Whatever of the blob the scan did not need.
        const rest = new Uint8Array(64 * 1024);
        while ((await take(rest)) !== null) { /* skipped */ }
      }
      if (first) found.set(blob.sha, first);
      await input.until(newline, 1);
      done += blob.size;
      if (performance.now() - said >= PROGRESS_MS) {
        said = performance.now();
        log.info(
          `  scanned ${i + 1} of ${blobs.length} file versions of the history (${mb(done)} of ${
            mb(total)
          } MB)`,
        );
      }
      // Reads of what the pipe already holds never leave the microtask queue: timers and
      // signals (the heartbeat the reaper watches) get their turn every SLICE_MS.
      if (performance.now() - breathed >= SLICE_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        breathed = performance.now();
      }
    }
  } finally {
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await writing.catch(() => {});
    // What it said matters only when its output was not what was asked for (thrown above).
    await child.status;
    await stderr;
  }
  return found;
}

/**
 * Packs what of `repo`'s history goes in: the objects `tips` reach (and those `index`
 * names, when given), less every blob holding a secret unless it sits at a path under
 * one of `include`. Writes the pack into `dir`. Blobs `clean` holds are not scanned; those
 * found clean are added to it.
 */
export async function packHistory(
  repo: string,
  tips: readonly string[],
  options: {
    index?: string;
    include?: readonly string[];
    dir: string;
    clean?: CleanContents;
    /** After how many milliseconds of packing to say so (`PACK_NOTICE_MS`). */
    noticeAfter?: number;
    /** How many packs to make at once (`defaultParts`). */
    parts?: number;
  },
): Promise<CarriedHistory> {
  const indexEnv: Record<string, string> = options.index ? { GIT_INDEX_FILE: options.index } : {};
  // Of a partial clone, what it holds: an object it lacks is left out, not fetched (that
  // would reach your remote, with your credentials, during start).
  const args = ["rev-list", "--objects", "--missing=allow-promisor", "--stdin"];
  if (options.index) args.push("--indexed-objects");
  // Only tips the repository holds (a file of a merge in progress may name a gone one).
  const held = tips.length === 0 ? [] : (await git(
    repo,
    ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
    { stdin: tips.join("\n") + "\n" },
  )).split("\n").filter((l) => / (commit|tree|blob|tag)$/.test(l)).map((l) => l.split(" ")[0]!);
  if (held.length === 0 && !options.index) return { packs: [], leftOut: [] };
  const listed = (await git(repo, args, { env: indexEnv, stdin: held.join("\n") + "\n" }))
    .split("\n").filter(Boolean);
  if (listed.length === 0) return { packs: [], leftOut: [] };
  const paths = new Map<string, string>();
  for (const line of listed) {
    const space = line.indexOf(" ");
    if (space !== -1) paths.set(line.slice(0, space), line.slice(space + 1));
  }
  const checked = await git(
    repo,
    ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"],
    { stdin: listed.map((l) => l.split(" ")[0]).join("\n") + "\n" },
  );
  const blobs: { sha: string; size: number }[] = [];
  const sizes = new Map<string, number>();
  for (const line of checked.split("\n").filter(Boolean)) {
    const [sha, type, size] = line.split(" ");
    sizes.set(sha!, Number(size));
    if (type === "blob") blobs.push({ sha: sha!, size: Number(size) });
  }
  const include = options.include ?? [];
  const under = (path: string) => include.some((p) => path === p || path.startsWith(`${p}/`));
  const clean = options.clean;
  const unknown = clean ? blobs.filter((b) => !clean.has(b.sha)) : blobs;
  const found = await scanBlobs(repo, unknown);
  const leftOut: LeftOutBlob[] = [];
  for (const [sha, first] of found) {
    const path = paths.get(sha) ?? "";
    if (!under(path)) leftOut.push({ blob: sha, path, ...first });
  }
  if (clean) { for (const b of unknown) if (!found.has(b.sha)) clean.add(b.sha); }
  const out = new Set(leftOut.map((l) => l.blob));
  const carried = listed.filter((l) => !out.has(l.split(" ")[0]!));
  // Said when it takes a while (loose objects are compressed anew), once.
  const bytes = blobs.reduce((sum, b) => sum + (out.has(b.sha) ? 0 : b.size), 0);
  const saying = setTimeout(
    () => log.info(`  packing the history: ${carried.length} objects, ${mb(bytes)} MB`),
    options.noticeAfter ?? PACK_NOTICE_MS,
  );
  let packs: Pack[];
  try {
    const parts = packParts(carried, sizes, options.parts ?? defaultParts(bytes));
    packs = await Promise.all(
      parts.map((part) => writePack(repo, join(options.dir, "agent"), "pack", part)),
    );
  } finally {
    clearTimeout(saying);
  }
  return {
    packs,
    ...(out.size > 0
      ? { heldBack: await writePack(repo, join(options.dir, "held"), "pack", [...out]) }
      : {}),
    leftOut: leftOut.toSorted((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}
