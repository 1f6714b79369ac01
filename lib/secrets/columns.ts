/**
 * @module
 * Secrets in a table's column: a header row names a column for a secret (`password`,
 * `api_key`, `login_password`), and the rows under it hold one in that column, with no
 * name beside it. A password manager's CSV export (`name,url,username,password`), TSV, a
 * Markdown table, psql's and MySQL's output. And a table of names and values under a
 * `Key  Value` header, lined up by spaces (`vault kv get`, `vault read`). Each value is
 * judged as a value assigned to that name is (the generic rule's check, or a password
 * literal's).
 */

import type { Finding } from "./engine.ts";
import { credentialValue, RULES, secretColumn } from "./rules.ts";

/** The most characters of a header row, and of a row, read. */
const MAX_ROW = 2048;

/** The most rows read under a header. */
const MAX_ROWS = 500;

/**
 * The length of the line break at `at`, or 0: a raw one (`\n`, `\r\n`) in text as written,
 * an escaped one in a JSON string (`json`), whose lines are written so.
 */
function breakAt(text: string, at: number, json: boolean): number {
  const c = text.charCodeAt(at);
  if (!json) return c === 10 ? 1 : c === 13 ? (text.charCodeAt(at + 1) === 10 ? 2 : 1) : 0;
  if (c !== 92 || text.charCodeAt(at - 1) === 92) return 0;
  const n = text.charCodeAt(at + 1);
  if (n === 110) return 2;
  return n === 114 ? (text.startsWith("\\n", at + 2) ? 4 : 2) : 0;
}

/**
 * Where the line that holds `at` starts, and whether it is a JSON string's (past an escaped
 * break, or the string's opening quote after a `:` or `[`), not text as written (past a raw
 * break, or at the text's start); undefined past `MAX_ROW`.
 */
function lineStart(text: string, at: number): [number, boolean] | undefined {
  for (let i = at; i > at - MAX_ROW; i--) {
    if (i === 0) return [0, false];
    const c = text.charCodeAt(i - 1);
    if (c === 10 || c === 13) return [i, false];
    if (
      (c === 110 || c === 114) && text.charCodeAt(i - 2) === 92 && text.charCodeAt(i - 3) !== 92
    ) {
      return [i, true];
    }
    if (c === 34 && text.charCodeAt(i - 2) !== 92) {
      let k = i - 2;
      while (k >= 0 && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k--;
      const p = text.charCodeAt(k);
      if (p === 58 || p === 91) return [i, true];
    }
  }
  return undefined;
}

/** Where the line from `from` ends (at a break, or a JSON string's closing quote), or -1 past `MAX_ROW`. */
function lineEnd(text: string, from: number, json: boolean): number {
  for (let i = from; i < text.length && i - from < MAX_ROW; i++) {
    if (breakAt(text, i, json) > 0) return i;
    if (json && text.charCodeAt(i) === 34 && text.charCodeAt(i - 1) !== 92) return i;
  }
  return from + MAX_ROW < text.length ? -1 : text.length;
}

/**
 * The separator a column's cell ends (`step` 1) or starts (-1) with at `at`, past spaces
 * and quotes (raw or escaped): a comma, a tab (or `\t`), a table's rule; undefined if none.
 */
function separatorAt(text: string, at: number, step: 1 | -1): string | undefined {
  for (let i = at, n = 0; i >= 0 && i < text.length && n < 64; i += step, n++) {
    const c = text.charCodeAt(i);
    if (c === 44) return ",";
    if (c === 124) return "|";
    if (c === 0x2502) return "\u2502";
    if (c === 9) return "\t";
    if (c === 92 && text.charCodeAt(i + 1) === 116) return "\\t";
    if (c === 116 && text.charCodeAt(i - 1) === 92) return "\\t";
    // Spaces, quotes and a quote's escape are passed over.
    if (!(c === 32 || c === 34 || (c === 92 && text.charCodeAt(i + 1) === 34))) return undefined;
  }
  return undefined;
}

/**
 * The cells of the row `from`-`to` of `text`, split at `separator`: each `[start, end]` of
 * its text, spaces and quotes (raw or escaped) around it taken off. A CSV cell in quotes
 * may hold the separator.
 */
function cells(text: string, from: number, to: number, separator: string): [number, number][] {
  const out: [number, number][] = [];
  let start = from;
  let quoted = false;
  for (let i = from; i <= to; i++) {
    if (i < to && text.charCodeAt(i) === 34) quoted = !quoted;
    if (i === to || (!quoted && text.startsWith(separator, i))) {
      const [s, e] = trimmed(text, start, i);
      out.push([s, e]);
      start = i + separator.length;
      i = start - 1;
    }
  }
  return out;
}

/** `cells`, without the empty ones a table's rule at its edges makes (`| a | b |`). */
function rowCells(text: string, from: number, to: number, separator: string): [number, number][] {
  const row = cells(text, from, to, separator);
  if (separator !== "|" && separator !== "\u2502") return row;
  if (row.length > 0 && row[0]![0] === row[0]![1]) row.shift();
  if (row.length > 0 && row[row.length - 1]![0] === row[row.length - 1]![1]) row.pop();
  return row;
}

/**
 * `from`-`to` of `text` without the spaces, quotes and escapes around it (`\t`, `\"` of a
 * JSON string).
 */
function trimmed(text: string, from: number, to: number): [number, number] {
  let s = from;
  let e = to;
  while (s < e) {
    const c = text[s]!;
    if (/\s|"/.test(c)) s++;
    else if (c === "\\" && /[tnr"\\]/.test(text[s + 1] ?? "")) s += 2;
    else break;
  }
  while (e > s) {
    const c = text[e - 1]!;
    if (text[e - 2] === "\\" && /[tnr"\\]/.test(c)) e -= 2;
    else if (/\s|"|\\/.test(c)) e--;
    else break;
  }
  return [s, e];
}

/** Whether a row is a table's rule (`|---|---|`, `----+----`, `+----+`): no cell's text. */
function ruleRow(text: string, from: number, to: number): boolean {
  return /^[\s|+\-=:\u2500-\u257f]*$/.test(text.slice(from, to));
}

/** The characters of a column's name in a header: letters, digits, `_`, `-`, `.`, a space. */
const CELL = (() => {
  const cell = new Uint8Array(128);
  for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. ") {
    cell[c.charCodeAt(0)] = 1;
  }
  return cell;
})();

/**
 * Whether `from`-`to` of `text` holds only what a header row does: names, separators,
 * quotes and spaces (a line of code holds brackets, an operator, a colon: one pass over
 * it, before any split).
 */
function headerLine(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 ? HEADER[c] !== 1 : c !== 0x2502) return false;
  }
  return true;
}

/** A header row's characters: a name's, separators, quotes, a backslash (of an escape). */
const HEADER = (() => {
  const header = CELL.slice();
  for (const c of ',|\t"\\') header[c.charCodeAt(0)] = 1;
  return header;
})();

/** Whether `c` may stand beside a header's cell: a separator, a quote, a break, a backslash. */
function edge(c: number): boolean {
  return c === 44 || c === 9 || c === 124 || c === 34 || c === 10 || c === 13 || c === 92 ||
    c === 0x2502;
}

/** Whether the character at `i` is an escape's letter (`t` of `\t` in a JSON string). */
function escapeAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return (c === 116 || c === 110 || c === 114) && text.charCodeAt(i - 1) === 92;
}

/** A column's name: words, a letter first. */
const NAME = /^[A-Za-z][\w .\-]{0,39}$/;

const generic = RULES.find((r) => r.id === "generic-secret")!;

/**
 * The secrets in the columns of tables in `text` whose header names a secret, read from
 * where `names` start (the survey's hits of secret-sounding words: most are in code, and
 * are turned down at a look around them).
 */
export function columnFindings(text: string, names: readonly number[]): Finding[] {
  const out: Finding[] = [];
  // Hits before `after` are in a line already read (or in a table's rows): each line is
  // read once, whatever its hits (a megabyte of `key,key,...` had been read once a hit).
  let after = 0;
  for (const at of names) {
    if (at < after) continue;
    // The word's cell: letters, digits, `_`, `-`, `.` or a space around it, then a
    // separator, a quote or the line's edge on either side (after it first: in code, an
    // operator or a bracket follows most such words).
    let e = at;
    while (e - at < 40 && CELL[text.charCodeAt(e)] === 1 && text.charCodeAt(e) !== 32) e++;
    // (Spaces pad a cell to its column's width: psql's, a Markdown table's.)
    let past = e;
    while (past - e < 64 && text.charCodeAt(past) === 32) past++;
    if (past < text.length && !edge(text.charCodeAt(past))) continue;
    let s = at;
    while (s > 0 && at - s < 40 && CELL[text.charCodeAt(s - 1)] === 1 && !escapeAt(text, s - 1)) {
      s--;
    }
    // (An escape's letter before it, `\t` or `\n` in a JSON string, is the escape's.)
    if (s > 0 && !escapeAt(text, s - 1) && !edge(text.charCodeAt(s - 1))) continue;
    // The separator: the first character past the quotes and spaces after the cell, or
    // before it (the line's last cell).
    const separator = separatorAt(text, e, 1) ?? separatorAt(text, s - 1, -1);
    if (separator === undefined) continue;
    const line = lineStart(text, s);
    const to = line === undefined ? -1 : lineEnd(text, e, line[1]);
    if (line === undefined || to < 0) {
      // A line longer than a header's: none starts before its next break.
      after = nextBreak(text, at);
      continue;
    }
    const [from, json] = line;
    after = to;
    if (!headerLine(text, from, to)) continue;
    const header = rowCells(text, from, to, separator);
    // Two columns or more, each a name (not a list's item and its comma, `FLOW_KEY_NFCT,`;
    // not a row of data, `apt	base-passwd	3.6.1`).
    if (header.length < 2 || !header.every(([cs, ce]) => NAME.test(text.slice(cs, ce)))) {
      continue;
    }
    const kinds = header.map(([cs, ce]) => secretColumn(text.slice(cs, ce)));
    if (kinds.every((k) => k === undefined)) continue;
    let row = to;
    for (let n = 0; n < MAX_ROWS; n++) {
      const size = breakAt(text, row, json);
      if (size === 0) break;
      const start = row + size;
      const end = lineEnd(text, start, json);
      if (end < 0 || end === start) break;
      row = end;
      if (ruleRow(text, start, end)) continue;
      const values = rowCells(text, start, end, separator);
      // A row of the table: as many cells as the header (or one more: a trailing separator).
      if (values.length !== header.length && values.length !== header.length + 1) break;
      for (const [column, kind] of kinds.entries()) {
        if (kind !== undefined) judged(text, values[column]!, kind, out);
      }
    }
    after = row;
  }
  return out;
}

/**
 * Adds the value at `cell` of `text` to `out` if it is a secret of `kind`'s column: as long
 * as each rule reads one, sixteen characters of a token's alphabet or, for a password,
 * twelve of any (a password a person picked).
 */
function judged(
  text: string,
  [from, to]: [number, number],
  kind: "password" | "secret",
  out: Finding[],
): void {
  if (credentialValue(text.slice(from, to), kind === "password")) {
    out.push({
      rule: generic.id,
      description: generic.description,
      index: from,
      length: to - from,
    });
  }
}

/** How far above a row its `Key  Value` header is looked for (see `keyValueFindings`). */
const MAX_KEY_VALUE = 8192;

/** A `Key  Value` header and its rule, as Vault's CLI prints them. */
const KEY_VALUE = /Key {2,}Value *(?:\r?\n|(?:\\r)?\\n)-{3} {2,}-{5} *(?:\r?\n|(?:\\r)?\\n)/g;

/**
 * The secrets in rows of a `Key  Value` table (`password    X` under `Key  Value` and its
 * rule of dashes, as `vault kv get` prints a secret's data), read from where `names` start:
 * a name at its line's start, spaces, then one value to the line's end; no blank line
 * between it and the header.
 */
export function keyValueFindings(text: string, names: readonly number[]): Finding[] {
  const out: Finding[] = [];
  let last = -1;
  // The headers' ends, found once a row asks (one pass over the text), and the row read
  // last under one: a row right after it is under the same header, with no blank line.
  let headers: number[] | undefined;
  let under = -1;
  let rowEnd = -1;
  const kinds = new Map<string, "password" | "secret" | undefined>();
  for (const at of names) {
    if (at <= last) continue;
    let e = at;
    while (e - at < 40 && CELL[text.charCodeAt(e)] === 1 && text.charCodeAt(e) !== 32) e++;
    if (text.charCodeAt(e) !== 32 || text.charCodeAt(e + 1) !== 32) continue;
    let s = at;
    while (
      s > 0 && at - s < 40 && CELL[text.charCodeAt(s - 1)] === 1 && text.charCodeAt(s - 1) !== 32
    ) {
      if (escapeAt(text, s - 1)) break;
      s--;
    }
    const name = text.slice(s, e);
    if (!kinds.has(name)) kinds.set(name, secretColumn(name));
    const kind = kinds.get(name);
    if (kind === undefined) continue;
    const line = lineStart(text, s);
    if (line === undefined || line[0] !== s) continue;
    const [, json] = line;
    let v = e;
    while (v - e < 64 && text.charCodeAt(v) === 32) v++;
    const end = lineEnd(text, v, json);
    if (end < 0) continue;
    let to = end;
    while (to > v && text.charCodeAt(to - 1) === 32) to--;
    last = end;
    if (to === v) continue;
    // The header above, with no blank line between.
    let header = -1;
    if (rowEnd >= 0 && s === rowEnd + breakAt(text, rowEnd, json)) header = under;
    else {
      headers ??= headerEnds(text);
      for (let h = headers.length - 1; h >= 0; h--) {
        if (headers[h]! <= s) {
          if (headers[h]! >= s - MAX_KEY_VALUE) header = headers[h]!;
          break;
        }
      }
      if (header < 0 || BLANK.test(text.slice(header, s))) continue;
    }
    under = header;
    rowEnd = end;
    judged(text, [v, to], kind, out);
  }
  return out;
}

/** A blank line, raw or escaped in a JSON string. */
const BLANK = /\n[ \t]*\r?\n|\\n[ \t]*(?:\\r)?\\n/;

/** Where each `Key  Value` header of `text` ends (past its rule of dashes), in order. */
function headerEnds(text: string): number[] {
  const out: number[] = [];
  KEY_VALUE.lastIndex = 0;
  for (let m = KEY_VALUE.exec(text); m !== null; m = KEY_VALUE.exec(text)) {
    out.push(m.index + m[0].length);
  }
  return out;
}

/** Where the next line break after `at` is (raw, or escaped), or the text's end. */
function nextBreak(text: string, at: number): number {
  const raw = text.indexOf("\n", at);
  const escaped = text.indexOf("\\n", at);
  return Math.min(raw < 0 ? text.length : raw, escaped < 0 ? text.length : escaped);
}

/**
 * What a SQL `INSERT`'s column list may hold: names, their quotes (`"`, `` ` ``, `[ ]`), a
 * schema's dot, commas and spaces; line breaks, raw or escaped in a JSON string.
 */
const LIST = (() => {
  const list = new Uint8Array(128);
  for (
    const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_. ,\t\r\n"`[]\\'
  ) {
    list[c.charCodeAt(0)] = 1;
  }
  return list;
})();

/** Where the spaces from `at` on (raw, or a JSON string's escaped breaks and tabs) end. */
function spacesOn(text: string, at: number): number {
  for (;;) {
    const c = text.charCodeAt(at);
    if (c === 32 || c === 9 || c === 10 || c === 13) at++;
    else if (c === 92 && escapeAt(text, at + 1)) at += 2;
    else return at;
  }
}

/** Whether `word` (small letters) is at `at`, in any case, and a word of its own. */
function wordAt(text: string, at: number, word: string): boolean {
  return text.slice(at, at + word.length).toLowerCase() === word &&
    !/\w/.test(text[at + word.length] ?? "");
}

/** Whether `word` (small letters) ends at `end`, in any case, and is a word of its own. */
function wordBefore(text: string, end: number, word: string): boolean {
  const start = end - word.length;
  // (Past a JSON string's escaped break, `\nINSERT`, a word starts too.)
  return start >= 0 && text.slice(start, end).toLowerCase() === word &&
    (!/\w/.test(text[start - 1] ?? "") || escapeAt(text, start - 1));
}

/** Where the spaces before `at` (raw, or a JSON string's escaped breaks and tabs) start. */
function spacesBack(text: string, at: number): number {
  for (;;) {
    const c = text.charCodeAt(at - 1);
    if (c === 32 || c === 9 || c === 10 || c === 13) at--;
    else if (escapeAt(text, at - 1)) at -= 2;
    else return at;
  }
}

/**
 * Whether the `(` at `open` starts an `INSERT`'s column list: `INSERT INTO table (`, also
 * `INSERT IGNORE INTO`, MySQL's `REPLACE INTO`, T-SQL's `INSERT table (`.
 */
function insertList(text: string, open: number): boolean {
  let p = spacesBack(text, open);
  const name = p;
  while (p > 0 && name - p < 128) {
    const c = text.charCodeAt(p - 1);
    if (c < 128 && LIST[c] === 1 && c !== 32 && c !== 44 && c !== 9 && c !== 10 && c !== 13) {
      p--;
    } else break;
  }
  if (p === name) return false;
  p = spacesBack(text, p);
  if (wordBefore(text, p, "insert")) return true;
  if (!wordBefore(text, p, "into")) return false;
  p = spacesBack(text, p - 4);
  return wordBefore(text, p, "insert") || wordBefore(text, p, "ignore") ||
    wordBefore(text, p, "replace");
}

/**
 * The secrets in the rows of SQL `INSERT` statements whose column list names a secret
 * (`INSERT INTO users (name, password) VALUES ('bob', '...'), (...)`: a seed file, a
 * database's dump), read from where `names` start (the survey's hits of secret-sounding
 * words), each statement once. A row's value in that column is judged as a table's is.
 */
export function insertFindings(text: string, names: readonly number[]): Finding[] {
  const out: Finding[] = [];
  let after = 0;
  // The run of a column list's characters that holds the last hit, found once for all
  // the hits in it (a megabyte of `key, key, ...` is one run, read once).
  let runStart = -1;
  let runEnd = -1;
  for (const at of names) {
    if (at < after) continue;
    // A column's name ends at a comma or the list's end (in code most such words are
    // followed by an operator, a bracket or a call's `(`).
    let e = at;
    while (e - at < 64 && CELL[text.charCodeAt(e)] === 1 && text.charCodeAt(e) !== 32) e++;
    // Its quotes (escaped too, in a JSON string) and spaces.
    for (const limit = e + 8; e < limit; e++) {
      const c = text.charCodeAt(e);
      if (c === 92 && text.charCodeAt(e + 1) === 34) e++;
      else if (c !== 34 && c !== 96 && c !== 93 && c !== 32 && c !== 9) break;
    }
    const next = text.charCodeAt(e);
    if (
      next !== 44 && next !== 41 && next !== 10 && next !== 13 &&
      !(next === 92 && escapeAt(text, e + 1))
    ) continue;
    // And starts after one, or the list's start.
    let b = at;
    while (
      b > 0 && at - b < 64 && CELL[text.charCodeAt(b - 1)] === 1 && text.charCodeAt(b - 1) !== 32
    ) {
      b--;
    }
    for (const limit = b - 8; b > limit; b--) {
      const c = text.charCodeAt(b - 1);
      if (c === 34 && text.charCodeAt(b - 2) === 92) b--;
      else if (escapeAt(text, b - 1)) b--;
      else if (c !== 34 && c !== 96 && c !== 91 && c !== 32 && c !== 9 && c !== 10 && c !== 13) {
        break;
      }
    }
    const before = text.charCodeAt(b - 1);
    if (before !== 44 && before !== 40) continue;
    if (at >= runEnd || at < runStart) {
      runEnd = at;
      while (runEnd < text.length && LIST[text.charCodeAt(runEnd)] === 1) runEnd++;
      runStart = at;
      while (runStart > 0 && LIST[text.charCodeAt(runStart - 1)] === 1) runStart--;
    }
    // Every hit in the run is judged as its first is: the run once (spaces after a list
    // read again for each of its hits had made a megabyte of them cost a second).
    after = runEnd;
    if (
      runEnd - runStart > MAX_ROW || text.charCodeAt(runEnd) !== 41 ||
      text.charCodeAt(runStart - 1) !== 40
    ) continue;
    const p = spacesOn(text, runEnd + 1);
    if (!wordAt(text, p, "values") || !insertList(text, runStart - 1)) continue;
    after = insertRows(text, runStart, runEnd, p + 6, out);
  }
  return out;
}

/**
 * Reads the rows from `from` (past `VALUES`) of a statement whose column list is
 * `open`-`close`, if a column names a secret; adds what they hold to `out`. Returns where
 * it was read to.
 */
function insertRows(
  text: string,
  open: number,
  close: number,
  from: number,
  out: Finding[],
): number {
  const kinds = text.slice(open, close).split(",").map((c) =>
    secretColumn(c.replace(/\\[ntr]/g, " ").replace(/[\\"`[\]]/g, "").trim().split(".").pop()!)
  );
  if (kinds.every((k) => k === undefined)) return close;
  let p = from;
  for (let row = 0; row < MAX_ROWS; row++) {
    p = spacesOn(text, p);
    if (text.charCodeAt(p) !== 40) break;
    const cells = tupleCells(text, p + 1);
    if (cells === undefined) break;
    for (const [i, kind] of kinds.entries()) {
      const cell = cells.values[i];
      if (kind !== undefined && cell !== undefined) judged(text, cell, kind, out);
    }
    p = spacesOn(text, cells.end);
    if (text.charCodeAt(p) !== 44) break;
    p++;
  }
  return p;
}

/**
 * The cells of a SQL row from `from` (past its `(`) to its `)`: each a string literal's
 * text (quoted with `'`, `''` or `\'` inside), or undefined for a value of another kind (a
 * number, `NULL`, a call); and where the row ends. Undefined past `MAX_ROW`.
 */
function tupleCells(
  text: string,
  from: number,
): { values: ([number, number] | undefined)[]; end: number } | undefined {
  const values: ([number, number] | undefined)[] = [];
  let p = from;
  const limit = Math.min(text.length, from + MAX_ROW);
  for (;;) {
    p = spacesOn(text, p);
    let value: [number, number] | undefined;
    // (PostgreSQL's `E'...'` and T-SQL's `N'...'` are strings too.)
    if (text.charCodeAt(p + 1) === 39 && /[EN]/i.test(text[p]!)) p++;
    if (text.charCodeAt(p) === 39) {
      const q = quoteEnd(text, p + 1, limit);
      if (q < 0) return undefined;
      value = [p + 1, q];
      p = q + 1;
    }
    // What else the cell holds, to its comma or the row's end (brackets of a call nested).
    let depth = 0;
    for (; p < limit; p++) {
      const c = text.charCodeAt(p);
      if (c === 40) depth++;
      else if (c === 41) {
        if (depth === 0) break;
        depth--;
      } else if (c === 44 && depth === 0) break;
      else if (c === 39) {
        p = quoteEnd(text, p + 1, limit);
        if (p < 0) return undefined;
      }
    }
    if (p >= limit) return undefined;
    values.push(value);
    if (text.charCodeAt(p) === 41) return { values, end: p + 1 };
    p++;
  }
}

/** Where the SQL string from `from` (past its `'`) ends at its closing `'`, or -1. */
function quoteEnd(text: string, from: number, limit: number): number {
  for (let q = from; q < limit; q++) {
    const c = text.charCodeAt(q);
    if (c === 92) q++;
    else if (c === 39) {
      if (text.charCodeAt(q + 1) !== 39) return q;
      q++;
    }
  }
  return -1;
}
