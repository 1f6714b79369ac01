/**
 * @module
 * Everything a push carries, read with git in the pre-receive hook (the pushed
 * objects are visible in its quarantine, the refs are not updated yet): every new
 * commit (its message and author fields, and the blobs it introduces, whatever git
 * thinks of them as text or binary), every new tag object, and every other new blob
 * (a tag may point straight at one). Paths are read raw (`-z`), never C-quoted.
 */

import { MAX_BLOB_BYTES } from "../bundle/config.ts";
import { CatFile } from "./catfile.ts";
import { CompressedError, fileContents, UNCHECKED_RULE } from "../../lib/secrets/compressed.ts";
import { git, gitWithInput } from "./git.ts";
import { lineStarts, type LocatedFinding, scanAdded, scanText } from "./scan.ts";
import { howWritten, secretCutInName, secretInName } from "../../lib/secrets/mod.ts";

export { MAX_BLOB_BYTES };

/** Blob contents asked of git ahead of their scan, at most. */
const PREFETCH_BYTES = 8 * 1024 * 1024;

const ZERO_RE = /^0+$/;

/** A gzip file that opens to more than a blob may hold: what it holds is not known. */
const UNCHECKED = {
  rule: UNCHECKED_RULE,
  description: `compressed data that opens to more than ${MAX_BLOB_BYTES / 2 ** 20} MiB`,
};
const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * What a compressed file holds, scanned too: a gzip file (`secret.txt.gz`) as a reader
 * sees it, and the entries of a zip archive. One that opens to more than a blob may hold,
 * or in a way the gate cannot read, is a finding: what it holds is not known.
 */
function scanInside(path: string, raw: Uint8Array, secrets: readonly string[]): LocatedFinding[] {
  try {
    const opened = fileContents(raw, MAX_BLOB_BYTES);
    return (opened?.contents ?? []).flatMap((entry) =>
      scanText(`${path} (${opened!.coding}-compressed)`, decoder.decode(entry), secrets)
    );
  } catch (error) {
    if (!(error instanceof CompressedError)) throw error;
    const description = error.kind === "large"
      ? UNCHECKED.description
      : "compressed data the gate cannot open to check";
    return [{ rule: UNCHECKED_RULE, description, file: path, line: 1 }];
  }
}

/** What the gate learned about one new commit. */
export interface CommitScan {
  sha: string;
  /** Paths it touches (old and new names, mode changes included) against every parent. */
  touched: string[];
  /** Secrets it introduces: in its message, author fields, or its new file content. */
  findings: LocatedFinding[];
}

/** Everything one ref update brings, scanned. */
export interface PushScan {
  /** Why the update cannot go at all (the ref names no commit), when it cannot. */
  badTarget?: string;
  commits: CommitScan[];
  /** Secrets in tag objects and in blobs no new commit introduces. */
  findings: LocatedFinding[];
  /** Blobs over the size limit, by path. */
  oversized: { path: string; bytes: number }[];
  /**
   * The new paths that hold a secret in their names, each with what is shown of it
   * instead (see `nameLabel`): every message, log line and record names them so.
   */
  pathLabels?: Map<string, string>;
}

/**
 * The secrets in the names of `paths` (one scan of them all, a line each; then each
 * path's parts joined), each path that holds one with its label: a file named for a
 * token would carry it upstream as surely as its content.
 */
function secretsInPaths(
  paths: readonly string[],
  secrets: readonly string[],
): { labels: Map<string, string>; findings: Map<string, LocatedFinding[]> } {
  const labels = new Map<string, string>();
  const findings = new Map<string, LocatedFinding[]>();
  const list = [...new Set(paths)];
  for (const f of scanText("(paths)", list.join("\n"), secrets)) {
    const path = list[f.line - 1]!;
    if (!labels.has(path)) {
      // Where in its path the secret starts (or, decoded, the run that holds it); one
      // found only with the next path's start (as lines of a file are joined) is none.
      const own = secretInName(path, secrets);
      if (!own) continue;
      labels.set(path, own.label);
    }
    const found = findings.get(path) ?? [];
    found.push({
      ...f,
      file: labels.get(path)!,
      line: 0,
      description: `${f.description} in its path`,
    });
    findings.set(path, found);
  }
  // A secret cut at a path's slashes or dots (`docs/ghp_Zq8L/w2Rt....md`): its parts
  // read joined, as the DLP reads a URL's (see `secretInName`).
  for (const path of list) {
    if (labels.has(path)) continue;
    const own = secretCutInName(path, secrets);
    if (!own) continue;
    labels.set(path, own.label);
    const { rule, description, encoding } = own.finding;
    const how = howWritten(encoding);
    findings.set(path, [{
      rule,
      description: `${description}${how ? `, ${how}` : ""} in its path`,
      file: own.label,
      line: 0,
    }]);
  }
  return { labels, findings };
}

async function out(args: string[]): Promise<string> {
  const r = await git(args);
  if (r.code !== 0) throw new Error(`git ${args[0]}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** One entry of `git diff-tree -r -z --raw`. */
interface RawChange {
  oldSha: string;
  newSha: string;
  newMode: string;
  status: string;
  paths: string[];
}

/** Parses `diff-tree -r -z --raw` output (with or without a leading commit id). */
export function parseRawZ(text: string): RawChange[] {
  const parts = text.split("\0");
  const changes: RawChange[] = [];
  for (let i = 0; i < parts.length; i++) {
    const head = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])(\d*)$/.exec(parts[i]!);
    if (!head) continue;
    const status = head[5]!;
    const count = status === "R" || status === "C" ? 2 : 1;
    const paths = parts.slice(i + 1, i + 1 + count);
    i += count;
    changes.push({ oldSha: head[3]!, newSha: head[4]!, newMode: head[2]!, status, paths });
  }
  return changes;
}

/**
 * `diff-tree --stdin -z --raw --always` output as one list of changes per input line,
 * in order: a line starts with the commit id, then its changes (the paths of a change
 * are read with it, so a path that looks like an id is never taken for one).
 */
export function parseRawSections(text: string): RawChange[][] {
  const parts = text.split("\0");
  const sections: RawChange[][] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.startsWith(":")) {
      const count = /^:\d{6} \d{6} [0-9a-f]+ [0-9a-f]+ [RC]/.test(part) ? 2 : 1;
      const changes = parseRawZ(parts.slice(i, i + 1 + count).join("\0"));
      i += count;
      if (sections.length === 0) throw new Error("git diff-tree: a change before any commit");
      sections.at(-1)!.push(...changes);
    } else if (/^[0-9a-f]{40,64}$/.test(part)) {
      sections.push([]);
    } else if (part !== "" || i !== parts.length - 1) {
      throw new Error(`git diff-tree: unexpected output "${part.slice(0, 80)}"`);
    }
  }
  return sections;
}

/**
 * The changes of each commit against each of its parents (against nothing for a root),
 * from one `diff-tree` (a process per commit took ~10 ms each).
 */
async function diffsOf(commits: readonly string[][]): Promise<RawChange[][][]> {
  // One line per commit and parent: `diff-tree -m` leaves out a parent it has no
  // difference with, so pairs are named one by one and --always heads each.
  const lines = commits.flatMap(([sha, ...parents]) =>
    parents.length === 0 ? [sha!] : parents.map((p) => `${sha} ${p}`)
  );
  if (lines.length === 0) return [];
  const r = await gitWithInput(
    ["diff-tree", "--stdin", "-r", "-z", "--raw", "--no-renames", "--root", "--always"],
    lines.join("\n") + "\n",
  );
  if (r.code !== 0) throw new Error(`git diff-tree: ${r.stderr.trim()}`);
  const sections = parseRawSections(r.stdout);
  if (sections.length !== lines.length) {
    throw new Error(`git diff-tree: ${sections.length} answers to ${lines.length} lines`);
  }
  let at = 0;
  return commits.map(([, ...parents]) => sections.slice(at, at += Math.max(1, parents.length)));
}

/**
 * A commit's or tag's text as the gate scans it: every header line but those naming
 * objects by hash (`tree`, `parent`, `object`, `type`), so people, names, a signature and
 * any header git keeps without knowing it (`x-data ...`); and the message whole. A
 * signature block is scanned too: its base64 is as random as an image's and finds
 * nothing, and a block written into a message, or a header, hides nothing.
 */
function scannableHeaders(raw: string): { lines: string[]; message: string[] } {
  const split = raw.indexOf("\n\n");
  const header = split === -1 ? raw : raw.slice(0, split);
  const message = split === -1 ? "" : raw.slice(split + 2);
  const lines = header.split("\n").filter((l) => !/^(tree|parent|object|type) [0-9a-f]+$/.test(l));
  return { lines, message: message.split("\n") };
}

/** The content of object `sha`, which must exist (the push brought it, or `--all` has it). */
async function content(cat: CatFile, sha: string): Promise<{ type: string; bytes: Uint8Array }> {
  const object = await cat.contents(sha);
  if (!object) throw new Error(`git cat-file: object ${sha} is missing`);
  return object;
}

/** Scans the author fields and message of a commit or tag object. */
async function scanObjectText(
  cat: CatFile,
  sha: string,
  type: "commit" | "tag",
  label: string,
  secrets: readonly string[],
): Promise<LocatedFinding[]> {
  const object = await content(cat, sha);
  if (object.type !== type) {
    throw new Error(`git cat-file: ${sha} is a ${object.type}, not a ${type}`);
  }
  const raw = decoder.decode(object.bytes);
  const { lines, message } = scannableHeaders(raw);
  const where = [
    ...lines.map((text, i) => ({ file: `(${label} header)`, line: i + 1, text })),
    ...message.map((text, i) => ({ file: `(${label} message)`, line: i + 1, text })),
  ];
  return await scanAdded(where, secrets);
}

/**
 * Lines of a blob, for "was this already there" checks. A version over the size limit is
 * not read (the bundle would hold all of it in memory): nothing in it excuses a line.
 */
async function blobLines(cat: CatFile, sha: string): Promise<string[]> {
  if (ZERO_RE.test(sha)) return [];
  if (((await cat.info(sha))?.size ?? 0) > MAX_BLOB_BYTES) return [];
  return decoder.decode((await content(cat, sha)).bytes).split("\n");
}

/** Reads a pushed ref update and scans everything it brings that `--all` does not have. */
export async function scanPush(newSha: string, secrets: readonly string[]): Promise<PushScan> {
  await using cat = new CatFile();
  const result: PushScan = { commits: [], findings: [], oversized: [], pathLabels: new Map() };
  const peeled = (await cat.info(`${newSha}^{}`))?.type ?? "";
  if (peeled !== "commit") {
    result.badTarget = `it points at a ${peeled || "missing object"}, not a commit or a tag of one`;
  }
  // Every object the push brings, with the path (or tag name) it is reached by.
  const listed = await out([
    "rev-list",
    "--objects",
    "--in-commit-order",
    newSha,
    "--not",
    "--all",
  ]);
  const named = new Map<string, string>();
  for (const line of listed.split("\n").filter(Boolean)) {
    const space = line.indexOf(" ");
    named.set(
      space === -1 ? line : line.slice(0, space),
      space === -1 ? "" : line.slice(space + 1),
    );
  }
  // Asked all at once: git answers them in one stream (see CatFile).
  const types = new Map<string, { type: string; size: number }>();
  const infos = await Promise.all([...named.keys()].map((sha) => cat.info(sha)));
  [...named.keys()].forEach((sha, i) => {
    if (infos[i]) types.set(sha, infos[i]!);
  });
  const scanned = new Set<string>();
  const scanBlob = async (
    sha: string,
    path: string,
    old: string[][],
    bytes?: Promise<{ bytes: Uint8Array }>,
  ) => {
    scanned.add(sha);
    const size = types.get(sha)?.size ?? 0;
    if (size > MAX_BLOB_BYTES) {
      result.oversized.push({ path, bytes: size });
      return [];
    }
    // Scanned as one text, not split into lines and joined again (a 31 MiB blob was held
    // three times over).
    const raw = (await (bytes ?? content(cat, sha))).bytes;
    const text = decoder.decode(raw);
    const starts = lineStarts(text);
    const inside = scanInside(path, raw, secrets);
    const found = scanText(path, text, secrets, starts);
    if (found.length === 0 || old.length === 0) return [...found, ...inside];
    // A line that was already there (in the version it replaces) is not this push's.
    const before = new Set(old.flat());
    const lineText = (line: number) =>
      text.slice(starts[line - 1]!, line < starts.length ? starts[line]! - 1 : text.length);
    return [...found.filter((f) => !before.has(lineText(f.line))), ...inside];
  };

  // Each new commit with its parents, oldest first: one call, not one per commit.
  const commits = (await out([
    "rev-list",
    "--parents",
    "--reverse",
    "--topo-order",
    newSha,
    "--not",
    "--all",
  ])).split("\n").filter(Boolean).map((line) => line.split(" "));
  const allDiffs = await diffsOf(commits);
  // The names each commit gives (files it adds, and so the directories they are in; a
  // file it only changes kept the name its parent had).
  const given = allDiffs.map((diffs) =>
    diffs.flatMap((diff) => diff.filter((c) => c.status === "A").map((c) => c.paths.at(-1)!))
  );
  const inPaths = secretsInPaths(given.flat(), secrets);
  result.pathLabels = inPaths.labels;
  const label = (path: string) => inPaths.labels.get(path) ?? path;
  for (const [index, [sha]] of commits.entries()) {
    const scan: CommitScan = { sha: sha!, touched: [], findings: [] };
    for (const f of await scanObjectText(cat, sha!, "commit", "commit", secrets)) {
      scan.findings.push(f);
    }
    const diffs = allDiffs[index]!;
    for (const path of new Set(given[index])) {
      for (const f of inPaths.findings.get(path) ?? []) scan.findings.push(f);
    }
    // Touched: changed against every parent (a merge that only takes one side's
    // version touches nothing new; an "evil merge" does).
    const sets = diffs.map((d) => new Set(d.flatMap((c) => c.paths)));
    scan.touched = [...sets[0]!].filter((p) => sets.every((s) => s.has(p))).toSorted();
    const introduced = new Map<string, { path: string; old: string[] }>();
    for (const diff of diffs) {
      for (const c of diff) {
        if (ZERO_RE.test(c.newSha) || c.newMode === "160000" || !named.has(c.newSha)) continue;
        const path = c.paths.at(-1)!;
        const entry = introduced.get(c.newSha) ?? { path, old: [] };
        if (!ZERO_RE.test(c.oldSha)) entry.old.push(c.oldSha);
        introduced.set(c.newSha, entry);
      }
    }
    const touched = new Set(scan.touched);
    const todo = [...introduced].filter(([blob, { path }]) =>
      !scanned.has(blob) && touched.has(path)
    );
    // Each blob's content is asked ahead of its scan while what is asked and not yet
    // scanned stays within PREFETCH_BYTES, so git sends one while the last is scanned.
    const ahead: (Promise<{ bytes: Uint8Array }> | undefined)[] = [];
    const sizeOf = (sha: string) => Math.min(types.get(sha)?.size ?? 0, MAX_BLOB_BYTES + 1);
    let asked = 0;
    let held = 0;
    for (const [i, [blob, { path, old }]] of todo.entries()) {
      while (
        asked < todo.length &&
        (asked === i || held + sizeOf(todo[asked]![0]) <= PREFETCH_BYTES)
      ) {
        const sha = todo[asked]![0];
        // One too large to scan is not read at all (see scanBlob).
        const got = sizeOf(sha) > MAX_BLOB_BYTES ? undefined : content(cat, sha);
        got?.catch(() => {}); // awaited in its turn, or dropped if the scan ends first
        ahead.push(got);
        held += sizeOf(sha);
        asked++;
      }
      const olds = await Promise.all(old.map((sha) => blobLines(cat, sha)));
      // One push per finding: a spread of a file's many overflows the stack.
      for (const f of await scanBlob(blob, label(path), olds, ahead[i])) scan.findings.push(f);
      ahead[i] = undefined;
      held -= sizeOf(blob);
    }
    result.commits.push(scan);
  }
  for (const [sha, name] of named) {
    const info = types.get(sha);
    if (info?.type === "tag") {
      result.findings.push(
        ...await scanObjectText(cat, sha, "tag", `tag ${name || sha.slice(0, 12)}`, secrets),
      );
    } else if (info?.type === "blob" && !scanned.has(sha)) {
      for (const f of await scanBlob(sha, name || `(blob ${sha.slice(0, 12)})`, [])) {
        result.findings.push(f);
      }
    }
  }
  return result;
}
