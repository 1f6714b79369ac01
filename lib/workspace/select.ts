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
import { type Finding, findSecrets, looksBinary, printableText } from "../secrets/mod.ts";
import { UsageError } from "../errors.ts";
import { captureRaw, shell } from "../shell.ts";

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

/** Text longer than this is scanned in pieces, the event loop let run between them. */
const PIECE = 4 << 20;
/** How much each piece repeats of the one before: more than any secret is long. */
const OVERLAP = 64 << 10;

/**
 * The first secret in `text`. A long text is scanned piece by piece (each starting at a
 * line, overlapping the last), letting timers and signals run between pieces: a
 * heartbeat that cannot beat for ten seconds (a large file scanned at once) tells the
 * reaper its bottle's owner died.
 */
export async function firstSecret(text: string, piece = PIECE): Promise<Finding | undefined> {
  if (text.length <= piece) return findSecrets(text)[0];
  for (let start = 0; start < text.length;) {
    const end = Math.min(text.length, start + piece);
    const found = findSecrets(text.slice(start, end))[0];
    if (found) return { ...found, index: found.index + start };
    if (end === text.length) break;
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The next piece starts at a line, up to OVERLAP before this one's end.
    const back = end - Math.min(OVERLAP, piece >> 1);
    const line = text.lastIndexOf("\n", end - 1);
    start = line >= back ? line + 1 : back;
  }
  return undefined;
}

/** The 1-based line of `text` that offset `index` is on. */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf("\n"); at !== -1 && at < index; at = text.indexOf("\n", at + 1)) {
    line++;
  }
  return line;
}

/** Scans each file's text with the gate's detector; one finding per flagged file. */
async function scanFiles(root: string, files: string[]): Promise<Map<string, Flagged>> {
  const flagged = new Map<string, Flagged>();
  const decoder = new TextDecoder("utf-8", { fatal: false });
  for (const file of files) {
    const abs = join(root, file);
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(abs);
    } catch {
      continue;
    }
    if (!info.isFile) continue;
    const bytes = await Deno.readFile(abs);
    // The user's own files: a binary one is scanned as the text it shows (see
    // printableText); decoded whole, a large one took seconds per MB.
    const text = looksBinary(bytes) ? printableText(bytes) : decoder.decode(bytes);
    const first = await firstSecret(text);
    if (first) {
      const line = lineAt(text, first.index);
      flagged.set(file, { path: file, rule: first.rule, line, included: false });
    }
  }
  return flagged;
}

/**
 * Chooses and scans what goes into the agent from `location`. `include` names paths
 * (relative to the source directory) to carry although ignored or flagged.
 */
export async function selectWorkspace(
  location: WorkspaceLocation,
  include: string[],
): Promise<Selection> {
  const { root } = location;
  const includes = await includedPaths(root, location.source, include);
  let candidates: string[];
  let tracked = new Set<string>();
  const ignoredIncluded: string[] = [];
  if (location.git) {
    tracked = new Set(await gitList(root, ["ls-files", "-z", "--cached"]));
    const untracked = await gitList(root, ["ls-files", "-z", "--others", "--exclude-standard"]);
    candidates = [...tracked, ...untracked];
    // Submodules and nested repositories are listed as directories: carry their files.
    const expanded: string[] = [];
    for (const path of candidates) {
      const info = await Deno.lstat(join(root, path)).catch(() => undefined);
      if (!info) continue; // deleted in the work tree
      if (info.isDirectory) await walkFiles(root, join(root, path), expanded);
      else expanded.push(path);
    }
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
  const flagged = await scanFiles(root, candidates);
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
  };
}
