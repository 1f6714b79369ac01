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
