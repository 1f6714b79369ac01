/**
 * @module
 * The `--cwd` working tree, written once for every backend: what goes in (selected,
 * scanned, packed for the agent and as the gate's seed) and what comes home (see
 * `home.ts`). Provisioning and teardown call it; the rule "only objects and namespaced
 * refs cross" lives in this room only.
 */

import { join } from "node:path";
import { BotBottleError } from "../errors.ts";
import { inert } from "../inert.ts";
import { log } from "../log.ts";
import { plural } from "../plural.ts";
import type { BottlePlan } from "../plan/types.ts";
import { cacheDir } from "../state.ts";
import { captureRaw, shell } from "../shell.ts";
import { baselineRepository, packWorkspace, repositorySource } from "./pack.ts";
import type { LeftOutBlob } from "./history.ts";
import { workDir, writeRecord } from "./record.ts";
import { locateWorkspace, type Selection, selectWorkspace, sizeText } from "./select.ts";
import { CleanContents, type ObjectFormat } from "./verdicts.ts";

import { BASELINE_SCRIPT } from "./home.ts";

export { bringHome } from "./home.ts";
export { sizeText };
export { forgetRecord, noteBaseline, readRecord } from "./record.ts";

/** A working tree ready to go in. */
export interface PreparedWorkspace {
  /** Unpacked into the agent's workspace directory. */
  agentTar: string;
  /** Unpacked into the bundle's state directory before it starts. */
  seedTar: string;
  selection: Selection;
}

/** How the repository at `root` names its objects. */
async function objectFormat(root: string): Promise<ObjectFormat> {
  const $ = await shell();
  const r = await captureRaw($`git -C ${root} rev-parse --show-object-format`);
  return r.code === 0 && r.stdout.trim() === "sha256" ? "sha256" : "sha1";
}

/**
 * Ignored paths (directories collapsed) that stay out, for the "left out" list: the
 * repository's, and those of the repositories inside it (`nested`, relative to `root`).
 */
async function ignoredPaths(root: string, nested: string[]): Promise<string[]> {
  const $ = await shell();
  const out: string[] = [];
  for (const prefix of ["", ...nested.map((n) => `${n}/`)]) {
    const r = await captureRaw(
      $`git -C ${join(root, prefix)} ls-files -z --others --ignored --exclude-standard --directory`,
      "2m",
    );
    // One push per path: a spread of a large repository's list overflows the stack.
    if (r.code === 0) { for (const p of r.stdout.split("\0")) if (p) out.push(prefix + p); }
  }
  return out.toSorted();
}

/** Tells the user what stayed out, and how to carry it anyway. */
function reportLeftOut(selection: Selection, ignored: string[]): void {
  const flagged = selection.flagged.filter((f) => !f.included);
  if (flagged.length > 0) {
    log.warn(
      `Left out of the agent because they hold a secret (--include PATH carries one anyway; a key public by design, listed in the bottle's public_values, is no secret):\n` +
        flagged.map((f) => `  ${inert(f.path, 200)}:${f.line} (rule ${f.rule})`).join("\n"),
    );
  }
  for (const f of selection.flagged.filter((f) => f.included)) {
    log.warn(`Carried although it holds a secret (--include): ${inert(f.path, 200)}`);
  }
  if (ignored.length > 0) {
    const shown = ignored.slice(0, 8).map((p) => inert(p, 120)).join(", ");
    log.info(
      `Left out, as .gitignore says: ${shown}${
        ignored.length > 8 ? ` and ${ignored.length - 8} more` : ""
      } (--include PATH carries one)`,
    );
  }
}

/**
 * Tells the user which versions in the history stayed out. Those of files already
 * listed as left out of the tree are counted, not listed again.
 */
function reportHistoryLeftOut(left: LeftOutBlob[], selection: Selection): void {
  if (left.length === 0) return;
  const listed = new Set(selection.flagged.filter((f) => !f.included).map((f) => f.path));
  const others = left.filter((l) => !listed.has(l.path));
  const theirs = left.length - others.length;
  const lines = others.slice(0, 10).map((l) =>
    `  ${inert(l.path, 200) || "(a blob no path names)"} at ${l.blob.slice(0, 12)}:${l.line} ` +
    `(rule ${l.rule})`
  );
  if (others.length > 10) lines.push(`  ... and ${others.length - 10} more`);
  if (theirs > 0) {
    lines.push(
      `  ${others.length > 0 ? "and " : ""}${plural(theirs, "version")} of the files above`,
    );
  }
  // Git in the agent cannot show these; nothing else of the history is missing.
  log.warn(
    `Left out of the history the agent gets, because they hold a secret:\n${lines.join("\n")}`,
  );
}

/**
 * Selects, scans and packs `plan.workspace` into `staging`, and records where its work
 * comes home. Creates nothing in Docker.
 */
export async function prepareWorkspace(
  plan: BottlePlan,
  env: Record<string, string | undefined>,
  staging: string,
): Promise<PreparedWorkspace> {
  const ws = plan.workspace!;
  const location = await locateWorkspace(ws.source);
  if (ws.kind === "dir") delete location.git; // a dotfiles repository around it is not the project
  if (location.root !== ws.root) {
    throw new BotBottleError(`--cwd: "${ws.source}" moved while the bottle was planned`);
  }
  log.step(`Scanning ${ws.root} for what goes into the agent`);
  // One set of verdicts for the tree's files and the history's blobs, kept for the next start.
  const clean = await CleanContents.open(
    join(cacheDir(env), "history-scan"),
    location.git ? await objectFormat(ws.root) : "sha1",
  );
  const selection = await selectWorkspace(location, ws.include, clean);
  const ignored = location.git ? await ignoredPaths(ws.root, selection.nested) : [];
  const carried = new Set(selection.paths);
  reportLeftOut(selection, ignored.filter((p) => !carried.has(p)));
  const source = ws.kind === "git"
    ? await repositorySource(location, selection, staging)
    : await baselineRepository(location, selection, ws.home.repo, staging);
  const packed = await packWorkspace(location, selection, source, {
    staging,
    gateUrl: ws.gate.url,
    gateName: ws.gate.name,
    remotes: plan.git.map((g) => ({ name: g.name, url: g.upstream })),
    clean,
  });
  await clean.save();
  reportHistoryLeftOut(packed.historyLeftOut, selection);
  log.info(
    `Carrying ${plural(selection.paths.length, "file")} from ${ws.root}${
      ws.kind === "git" ? " and its history" : ""
    }`,
  );
  await writeRecord(env, {
    version: 1,
    instance: plan.instance,
    source: ws.source,
    kind: ws.kind,
    homeRepo: ws.home.repo,
    ...(ws.kind === "dir" ? { baselineOf: ws.root } : {}),
    seed: packed.seed,
    gateName: ws.gate.name,
    gateUrl: ws.gate.url,
    guestPath: ws.guestPath,
    created: new Date().toISOString(),
    ...(selection.trackedLeftOut.length ? { leftOut: selection.trackedLeftOut } : {}),
    ...(plan.publicValues.length ? { publicValues: plan.publicValues } : {}),
  });
  if (ws.kind === "dir") await Deno.mkdir(workDir(env, plan.instance), { recursive: true });
  return { agentTar: packed.agentTar, seedTar: packed.seedTar, selection };
}

/**
 * The agent-side unpacking of a prepared workspace archive (as the agent user); then the
 * user's uncommitted work in it is recorded as carried in (see `BASELINE_SCRIPT`).
 */
export const UNPACK_SCRIPT = `set -u
{ mkdir -p "$1" && tar -xf "$2" -C "$1" --no-same-owner && rm -f "$2" && cd "$1" &&
  { git update-index -q --refresh >/dev/null 2>&1; true; }; } || exit 1
${BASELINE_SCRIPT}`;

/** The guest path a prepared archive is copied to before unpacking. */
export const GUEST_ARCHIVE = "/tmp/bot-bottle-workspace.tar";

/** Where a prepared archive lives on the host (for provisioning). */
export function preparedArchive(staging: string): string {
  return join(staging, "workspace.tar");
}
