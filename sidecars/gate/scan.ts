/**
 * @module
 * The git gate's view of the one secret detector (`lib/secrets`): findings located by
 * file and line in what a push carries. A finding names the rule, never the secret.
 */

import { findSecrets, howWritten } from "../../lib/secrets/mod.ts";

/** One line of a file (or message), located. */
export interface AddedLine {
  file: string;
  line: number;
  text: string;
}

/** A secret found on a line. */
export interface Finding {
  rule: string;
  description: string;
}

/** A finding located in a commit's added lines. */
export interface LocatedFinding extends Finding {
  file: string;
  line: number;
}

/** Offsets where each line of `text` starts. */
export function lineStarts(text: string): Int32Array {
  let count = 1;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) count++;
  const starts = new Int32Array(count);
  let n = 1;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) {
    starts[n++] = at + 1;
  }
  return starts;
}

/**
 * Scans one file's text whole (so multi-line secrets, such as key blocks, are seen whole)
 * with the one secret detector, and locates each finding at its line (1-based, as
 * `lineOf` numbers them). One finding per rule and line.
 */
export function scanText(
  file: string,
  text: string,
  values: readonly string[] = [],
  starts: Int32Array = lineStarts(text),
): LocatedFinding[] {
  const out = new Map<string, LocatedFinding>();
  for (const f of findSecrets(text, { values })) {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= f.index) lo = mid;
      else hi = mid - 1;
    }
    const line = lo + 1;
    const how = howWritten(f.encoding);
    const description = how ? `${f.description}, ${how}` : f.description;
    out.set(`${line}:${f.rule}`, { rule: f.rule, description, file, line });
  }
  return [...out.values()].toSorted((a, b) => a.line - b.line);
}

/**
 * Scans the lines of each file together (see `scanText`), each finding located at the
 * number its line carries.
 */
export function scanAdded(
  added: readonly AddedLine[],
  values: readonly string[] = [],
): LocatedFinding[] {
  const out: LocatedFinding[] = [];
  for (const [file, lines] of Map.groupBy(added, (a) => a.file)) {
    for (const f of scanText(file, lines.map((l) => l.text).join("\n"), values)) {
      out.push({ ...f, line: lines[f.line - 1]!.line });
    }
  }
  return out.toSorted((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}
