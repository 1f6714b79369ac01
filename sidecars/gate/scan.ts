/**
 * @module
 * The git gate's view of the one secret detector (`lib/secrets`): findings located by
 * file and line in what a push carries. A finding names the rule, never the secret.
 */

import { findSecrets } from "../../lib/secrets/mod.ts";

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

/**
 * Scans the lines of each file together (so multi-line secrets, such as key blocks,
 * are seen whole) with the one secret detector, and locates each finding at its line.
 * One finding per rule and line.
 */
export function scanAdded(
  added: readonly AddedLine[],
  values: readonly string[] = [],
): LocatedFinding[] {
  const out = new Map<string, LocatedFinding>();
  for (const [file, lines] of Map.groupBy(added, (a) => a.file)) {
    const text = lines.map((l) => l.text).join("\n");
    const starts: number[] = [];
    let offset = 0;
    for (const l of lines) {
      starts.push(offset);
      offset += l.text.length + 1;
    }
    for (const f of findSecrets(text, { values })) {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= f.index) lo = mid;
        else hi = mid - 1;
      }
      const line = lines[lo]!.line;
      const description = f.encoding === "plain"
        ? f.description
        : `${f.description}, ${f.encoding}-encoded`;
      out.set(`${file}:${line}:${f.rule}`, { rule: f.rule, description, file, line });
    }
  }
  return [...out.values()].toSorted((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}
