/**
 * @module
 * What goes into the agent with `--cwd`: in a git repository, what git would carry
 * (tracked files and untracked ones .gitignore does not exclude), never ignored files
 * such as `.env` or build outputs unless the user names them with `--include`; a
 * directory outside git, whole. Every selected file is scanned with the gate's secret
 * detector first, and a file holding a secret is left out (unless included) and
 * listed by path and rule, never by value.
 */

import { join, relative, resolve, sep } from "node:path";
// A file is read and scanned a piece at a time (the event loop let run between), each
// piece after the tail of the one before: the detector's own piece and overlap.
import { findSecrets, looksBinary, OVERLAP, PIECE, printableText } from "../secrets/mod.ts";
import { fileContents } from "../secrets/compressed.ts";
import { UsageError } from "../errors.ts";
import { log } from "../log.ts";
import { captureRaw, shell } from "../shell.ts";
import type { CleanContents } from "./verdicts.ts";
import { gitObjectId } from "../secrets/gitpack.ts";

/** Where a `--cwd` directory sits. */
export interface WorkspaceLocation {
  /** The directory the user asked for. */
  source: string;
  /** What is copied: the repository's top level, or `source` outside git. */
  root: string;
  /** `source` relative to `root` ("" when they are the same). */
  subdir: string;
  /** The repository's git directories, when `root` is a git work tree. */
  git?: { gitDir: string; commonDir: string };
}

/** Finds the repository (if any) around `dir`. Reads only. */
export async function locateWorkspace(dir: string): Promise<WorkspaceLocation> {
  const source = resolve(dir);
  const $ = await shell();
  const r = await captureRaw(
    $`git -C ${source} rev-parse --show-toplevel --absolute-git-dir --git-common-dir`,
    "30s",
  ).catch(() => undefined);
  const lines = r?.code === 0 ? r.stdout.split("\n") : [];
  if (lines.length < 3 || !lines[0]) return { source, root: source, subdir: "" };
  const root = resolve(lines[0]);
  const gitDir = resolve(lines[1]!);
  const commonDir = resolve(source, lines[2]!);
  return { source, root, subdir: relative(root, source), git: { gitDir, commonDir } };
}

/** A file left out because it holds a secret; never the value. */
export interface Flagged {
  path: string;
  rule: string;
  line: number;
  /** Whether `--include` named it, so it went in anyway. */
  included: boolean;
}

/** What goes in. */
export interface Selection {
  /** Paths relative to the root, sorted; directories are listed before what they hold. */
  paths: string[];
  /** Files that hold a secret (left out unless included). */
  flagged: Flagged[];
  /** Tracked files left out (the agent's index marks them skip-worktree). */
  trackedLeftOut: string[];
  /** Ignored files that went in because `--include` named them. */
  ignoredIncluded: string[];
  /** Repositories inside the tree (submodules, clones), whose own git chose their files. */
  nested: string[];
  /** The `--include` paths, relative to the root: their versions in the history go in too. */
  included: string[];
}

function splitZ(text: string): string[] {
  return text.split("\0").filter(Boolean);
}

async function gitList(root: string, args: string[]): Promise<string[]> {
  const $ = await shell();
  const r = await captureRaw($`git -C ${root} ${args}`, "5m");
  if (r.code !== 0) {
    throw new UsageError(`--cwd: listing the files of "${root}" failed: ${r.stderr.trim()}`);
  }
  return splitZ(r.stdout);
}

/** Every file and symlink under `dir` (relative to `root`), leaving out `.git`. */
async function walkFiles(root: string, dir: string, out: string[]): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name === ".git") continue;
    const abs = join(dir, e.name);
    if (e.isDirectory) await walkFiles(root, abs, out);
    else if (e.isFile || e.isSymlink) out.push(relative(root, abs).split(sep).join("/"));
  }
}

/**
 * Expands what `git ls-files` listed in the repository at `prefix` (relative to `root`)
 * into files: a directory it lists is a submodule or a repository inside the tree, whose
 * files are what its own git would carry (tracked, and untracked but not ignored: its
 * `.env` and build outputs stay out too), listed the same way in turn; a directory
 * without a repository of its own (a submodule not checked out) whole.
 */
async function expandListed(
  root: string,
  prefix: string,
  listed: string[],
  out: string[],
  nested: string[],
  known: Stats,
): Promise<void> {
  const paths = listed.map((entry) => `${prefix}${entry.replace(/\/$/, "")}`);
  const infos = await statAll(root, paths, known);
  for (const [i, path] of paths.entries()) {
    const info = infos[i];
    if (!info) continue; // deleted in the work tree
    if (!info.isDirectory) {
      out.push(path);
      continue;
    }
    const dir = join(root, path);
    if (!(await Deno.lstat(join(dir, ".git")).then(() => true, () => false))) {
      await walkFiles(root, dir, out);
      continue;
    }
    nested.push(path);
    const inner = [
      ...await gitList(dir, ["ls-files", "-z", "--cached"]),
      ...await gitList(dir, ["ls-files", "-z", "--others", "--exclude-standard"]),
    ];
    await expandListed(root, `${path}/`, [...new Set(inner)], out, nested, known);
  }
}

/** Checks `--include` paths: each must be inside the root and exist. */
async function includedPaths(root: string, source: string, include: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of include) {
    const abs = resolve(source, p);
    const rel = relative(root, abs).split(sep).join("/");
    if (rel === "" || rel.startsWith("../") || rel === ".." || abs === root) {
      throw new UsageError(`--include "${p}": not a path inside "${root}"`);
    }
    try {
      await Deno.lstat(abs);
    } catch {
      throw new UsageError(`--include "${p}": "${abs}" does not exist`);
    }
    out.push(rel);
  }
  return out;
}

function under(path: string, prefixes: string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(`${p}/`));
}

/** Line breaks in `text` before offset `end`. */
function linesBefore(text: string, end: number): number {
  let n = 0;
  for (let at = text.indexOf("\n"); at !== -1 && at < end; at = text.indexOf("\n", at + 1)) n++;
  return n;
}

/** The first secret in `bytes` (a whole file or blob) and the 1-based line it is on. */
export function firstSecretInBytes(bytes: Uint8Array): { rule: string; line: number } | undefined {
  const binary = looksBinary(bytes);
  const text = binary
    ? printableText(bytes)
    : new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  // A text's own bytes make its survey faster (see findSecrets).
  const found = findSecrets(text, binary ? {} : { utf8: bytes })[0];
  if (found) return { rule: found.rule, line: 1 + linesBefore(text, found.index) };
  // A gzip file or a zip archive (`.env.gz`, `backup.zip`): what it holds, where it can be
  // opened (the user's own files: one that cannot be opened goes in as it is).
  for (const inner of compressedContents(bytes)) {
    const hit = findSecrets(new TextDecoder().decode(inner))[0];
    if (hit) return { rule: hit.rule, line: 1 };
  }
  return undefined;
}

/** What a gzip file or zip archive holds, as far as it opens within `PIECE` bytes. */
function compressedContents(bytes: Uint8Array): Uint8Array[] {
  try {
    return fileContents(bytes, PIECE)?.contents ?? [];
  } catch {
    return [];
  }
}

/**
 * The first secret in the file at `path` and the 1-based line it is on. The file is
 * read and scanned piece by piece (see `firstSecretInStream`). A small file (most of a
 * repository) is read in one synchronous call: opening, reading and closing it by turns
 * cost twice as long over thousands of files, and an asynchronous read a round trip to
 * a worker thread.
 */
export async function firstSecretInFile(
  path: string,
  piece = PIECE,
  size?: number,
): Promise<{ rule: string; line: number } | undefined> {
  if (size !== undefined && size < piece) {
    const bytes = Deno.readFileSync(path);
    if (bytes.length < piece) return firstSecretInBytes(bytes);
  }
  using file = await Deno.open(path);
  // One byte more than the file holds: a file read whole ends in its first piece.
  const length = Math.min(piece, (await file.stat()).size + 1);
  return await firstSecretInStream((into) => file.read(into), length);
}

/**
 * The first secret in what `read` yields (null at its end), scanned `piece` bytes at a
 * time, each piece's text after the tail of the one before (from a line start when one
 * is near), so memory stays bounded whatever its size (a text longer than a JavaScript
 * string can hold included), and timers and signals run between pieces: a heartbeat
 * that cannot beat for ten seconds (a large file scanned at once) tells the reaper its
 * bottle's owner died. Binary content (a NUL in its first 8000 bytes, as git decides)
 * is scanned as the text it shows (see printableText): decoded as UTF-8, its every byte
 * past ASCII would cost the decoding layer's time.
 */
export async function firstSecretInStream(
  read: (into: Uint8Array) => Promise<number | null>,
  piece = PIECE,
): Promise<{ rule: string; line: number } | undefined> {
  const decoder = new TextDecoder("utf-8", { fatal: false });
  const buf = new Uint8Array(piece);
  let binary: boolean | undefined;
  let carry = "";
  let line = 1;
  for (;;) {
    let n = 0;
    let end = false;
    while (n < buf.length) {
      const got = await read(buf.subarray(n));
      if (got === null) {
        end = true;
        break;
      }
      n += got;
    }
    const bytes = buf.subarray(0, n);
    binary ??= looksBinary(bytes);
    const text = carry + (binary ? printableText(bytes) : decoder.decode(bytes, { stream: !end }));
    const found = findSecrets(text)[0];
    if (found) return { rule: found.rule, line: line + linesBefore(text, found.index) };
    if (end) return undefined;
    // The next piece goes after this one's tail, from a line start when one is near.
    const back = Math.max(0, text.length - OVERLAP);
    const lineStart = text.lastIndexOf("\n", text.length - 1);
    const from = lineStart >= back ? lineStart + 1 : back;
    line += linesBefore(text, from);
    carry = text.slice(from);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** Every this many milliseconds of work on the files, timers and signals get to run. */
const SLICE_MS = 20;

/** Lets timers and signals run (see `SLICE_MS`). */
function breather(): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < SLICE_MS) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    since = performance.now();
  };
}

/**
 * `lstat` of each path under `root` (undefined when it is gone). Synchronous calls, a
 * few microseconds each: an asynchronous one costs a round trip to a worker thread,
 * which over a repository's thousands of files was most of the time.
 */
async function statAll(
  root: string,
  paths: string[],
  known: Stats,
): Promise<(Deno.FileInfo | undefined)[]> {
  const breathe = breather();
  const out: (Deno.FileInfo | undefined)[] = [];
  for (const path of paths) {
    if (!known.has(path)) {
      try {
        known.set(path, Deno.lstatSync(join(root, path)));
      } catch {
        known.set(path, undefined);
      }
      await breathe();
    }
    out.push(known.get(path));
  }
  return out;
}

/** What `statAll` found, by path: each path is looked at once. */
type Stats = Map<string, Deno.FileInfo | undefined>;

/** How often a long scan says how far it got. */
const PROGRESS_MS = 5_000;

/**
 * Scans each file with the gate's detector; one finding per flagged file. A long scan
 * (a large tree) says how far it got every `PROGRESS_MS`. A file read whole (under
 * `PIECE`) whose content `clean` holds is not scanned, and one found clean is added.
 */
async function scanFiles(
  root: string,
  files: string[],
  known: Stats,
  clean?: CleanContents,
): Promise<Map<string, Flagged>> {
  const flagged = new Map<string, Flagged>();
  const infos = await statAll(root, files, known);
  const breathe = breather();
  const total = infos.reduce((sum, info) => sum + (info?.isFile ? info.size : 0), 0);
  let done = 0;
  let said = performance.now();
  for (const [i, file] of files.entries()) {
    const info = infos[i];
    if (!info?.isFile) continue;
    const first = clean && info.size < PIECE
      ? await firstSecretKnowing(join(root, file), clean)
      : await firstSecretInFile(join(root, file), PIECE, info.size);
    if (first) {
      flagged.set(file, { path: file, rule: first.rule, line: first.line, included: false });
    }
    done += info.size;
    if (performance.now() - said >= PROGRESS_MS) {
      said = performance.now();
      log.info(`  scanned ${i + 1} of ${files.length} files (${mb(done)} of ${mb(total)} MB)`);
    }
    await breathe();
  }
  return flagged;
}

/**
 * The first secret in the small file at `path` (read whole), unless `clean` holds its
 * content (then none); content found clean is added. A file grown to `PIECE` since its
 * size was taken is scanned piece by piece, as any large file.
 */
async function firstSecretKnowing(
  path: string,
  clean: CleanContents,
): Promise<{ rule: string; line: number } | undefined> {
  const bytes = Deno.readFileSync(path);
  if (bytes.length >= PIECE) return await firstSecretInFile(path);
  const id = gitObjectId("blob", bytes, clean.format);
  if (clean.has(id)) return undefined;
  const first = firstSecretInBytes(bytes);
  if (!first) clean.add(id);
  return first;
}

/** Bytes as megabytes, one decimal below ten. */
export function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0);
}

/** A size to show a person: kB below a megabyte, else MB. */
export function sizeText(bytes: number): string {
  return bytes < 1e6 ? `${Math.max(1, Math.round(bytes / 1e3))} kB` : `${mb(bytes)} MB`;
}

/**
 * Chooses and scans what goes into the agent from `location`. `include` names paths
 * (relative to the source directory) to carry although ignored or flagged. `clean`:
 * contents found clean before (not scanned again), to which those found clean are added.
 */
export async function selectWorkspace(
  location: WorkspaceLocation,
  include: string[],
  clean?: CleanContents,
): Promise<Selection> {
  const { root } = location;
  const includes = await includedPaths(root, location.source, include);
  let candidates: string[];
  let tracked = new Set<string>();
  const ignoredIncluded: string[] = [];
  const nested: string[] = [];
  const known: Stats = new Map();
  if (location.git) {
    tracked = new Set(await gitList(root, ["ls-files", "-z", "--cached"]));
    const untracked = await gitList(root, ["ls-files", "-z", "--others", "--exclude-standard"]);
    candidates = [...tracked, ...untracked];
    // Submodules and nested repositories are listed as directories: carry their files,
    // as their own git would.
    const expanded: string[] = [];
    await expandListed(root, "", candidates, expanded, nested, known);
    candidates = expanded;
    if (includes.length > 0) {
      const all: string[] = [];
      for (const p of includes) {
        const info = await Deno.lstat(join(root, p));
        if (info.isDirectory) await walkFiles(root, join(root, p), all);
        else all.push(p);
      }
      const known = new Set(candidates);
      for (const p of all) {
        if (!known.has(p)) {
          candidates.push(p);
          ignoredIncluded.push(p);
        }
      }
    }
  } else {
    candidates = [];
    await walkFiles(root, root, candidates);
  }
  candidates = [...new Set(candidates)].toSorted();
  const flagged = await scanFiles(root, candidates, known, clean);
  const paths: string[] = [];
  const trackedLeftOut: string[] = [];
  for (const path of candidates) {
    const hit = flagged.get(path);
    if (hit && under(path, includes)) hit.included = true;
    if (hit && !hit.included) {
      if (tracked.has(path)) trackedLeftOut.push(path);
      continue;
    }
    paths.push(path);
  }
  return {
    paths,
    flagged: [...flagged.values()].toSorted((a, b) => a.path.localeCompare(b.path)),
    trackedLeftOut,
    ignoredIncluded: ignoredIncluded.toSorted(),
    nested: nested.toSorted(),
    included: includes,
  };
}
