/**
 * @module
 * Dumps read back into the bytes they show: what `xxd`, `hexdump -C`, `hexdump`,
 * `od -tx1`, `od -x`, `xxd -i` and a list of hex bytes joined by spaces, colons or commas
 * print; `od`'s numbers (octal words, which it prints unasked; `-b`, `-tu1`, `-d`) and
 * `xxd -b`'s bits; bytes listed in decimal (`[71, 73, ...]`); `od -c`'s characters, one
 * in each cell of four, and characters spaced out. A token in a file so dumped is written
 * nowhere as it is: its bytes are spread over groups and lines, between an offset column
 * and a column of text cut every 16 characters. A tool's output is sent to the model like
 * any other, so the decoding layer reads dumps as it reads base64.
 */

import {
  afterComma,
  anyLineEnd,
  breakLength,
  DUMP_CHAR,
  escapeLetter,
  LINE_CHAR,
  LINE_WIDTH,
  LINES_WIDTH,
  lineStartOf,
  lineStartsAt,
  MIN_DUMP,
  mixedJoined,
  mixedMark,
  NARROW_DIGITS,
  NARROW_MIN,
  narrowAnchor,
  narrowBreak,
  narrowBreakBefore,
  narrowColumn,
  narrowLineBefore,
  narrowLineEnd,
  narrowWidth,
  NUMBER_VALUES,
  numberLine,
  numberRolledOver,
  prefixEnd,
  quotedCharEnd,
  quotedNumberEnd,
} from "./probes.ts";
import { startsLike } from "./chars.ts";
import { TOKEN_KEYWORD } from "./detectors.ts";

/** Bytes a dump must show to be read: fewer hold no token. */
const MIN_BYTES = 8;

/** How far a line's text column (`xxd`'s, `hexdump -C`'s) and break may part two lines' groups. */
const MAX_GAP = 96;

function isDumpChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c < 256 && (DUMP_CHAR[c]! & 1) === 1;
}

/** A dump read back: where it is in the text, and the bytes it shows. */
export interface Dump {
  at: number;
  /**
   * The end of its last line (the text column of `xxd` and `hexdump -C` included, up to the
   * quote that ends a JSON string it is in); of a decimal list, its last number.
   */
  end: number;
  /** Its bytes as written, and (for groups of more than one byte) each group reversed. */
  bytes: Uint8Array[];
  /**
   * Text spaced out or characters joined, whose first characters may be what comes before
   * it glued on (a word's last character, a character of its own: see `variants`).
   */
  glued?: boolean;
  /**
   * Of characters one a line, the short word that ends the line before (`g` in `value: g`,
   * see `shortWordBefore`): their first characters, maybe.
   */
  before?: string;
  /** Set for a block of narrow lines (see `narrowLinesNear`): text cut into lines, not bytes shown. */
  narrow?: true;
}

/**
 * The dumps `text` holds, from its survey's `dumps`: stretches on consecutive lines are
 * one dump, and the line after the last is read too (its groups may be fewer than a
 * stretch). Lines of digits alone are read as numbers, each way `NUMBERS` lists (and as
 * hex bytes, which may hold no letter).
 */
export function hexDumps(text: string, stretches: readonly number[]): Dump[] {
  const out: Dump[] = [];
  for (let k = 0; k < stretches.length;) {
    const rows = new Rows();
    const first = k;
    // What the first line holds before the dump, which each line after may hold too
    // (`xxd .env | sed 's/^/> /'`).
    const prefix = linePrefix(text, stretches[k]!);
    let at = -1;
    let end = 0;
    let letters = false;
    let width = 0;
    for (;;) {
      const line = readLine(text, stretches[k]!, stretches[k + 1]!, width, rows);
      if (line) {
        if (at < 0) at = line.start;
        width ||= line.width;
        letters ||= line.letters;
        end = lastLineEnd(text, line.end);
      }
      k += 2;
      if (k >= stretches.length || !nextLine(text, stretches[k - 1]!, stretches[k]!, prefix)) {
        break;
      }
    }
    // The last line, shorter than a stretch (`00000070: 320a  2.`).
    const next = lineAfter(text, stretches[k - 1]!);
    // Past the prefix the dump's lines hold, or the indentation (`\n\t`, a tab escaped).
    const after = next === undefined
      ? undefined
      : prefix && startsLike(text, next, prefix)
      ? next + prefix.length
      : indentEnd(text, next);
    if (after !== undefined && rows.lines.length > 0) {
      // Groups no wider than the dump's: `readLine` takes none wider.
      const last = readLine(text, after, Math.min(text.length, after + MAX_GAP), width, rows);
      if (last) {
        letters ||= last.letters;
        end = lastLineEnd(text, last.end);
      }
    }
    if (!letters) {
      // Digits only: numbers in decimal, octal or bits (`od`'s own formats), or hex bytes
      // that happen to hold no letter.
      const lines = stretches.slice(first, k);
      if (after !== undefined) lines.push(after, Math.min(text.length, after + MAX_GAP));
      const numbers = numberDump(text, lines);
      const hex = rows.lines.length > 0 ? rows.joined() : undefined;
      if (numbers && hex && hex.length >= MIN_BYTES) numbers.bytes.push(hex);
      if (numbers) out.push(numbers);
      continue;
    }
    const bytes = rows.joined();
    if (bytes.length < MIN_BYTES) continue;
    out.push({ at, end, bytes: width > 2 ? [bytes, swapped(bytes, width)] : [bytes] });
  }
  return out;
}

/**
 * Ways to read numbers as the bytes of a file: the radix, the digits a number takes
 * (fewest, most), and the bytes each stands for (little-endian, as `od` prints words on
 * the machines it runs on).
 */
const NUMBERS: readonly {
  radix: number;
  fewest: number;
  most: number;
  size: number;
  /** Offsets that may be bits read as bytes too. */
  bits?: boolean;
}[] = [
  // `[71, 73, ...]` (Python's `list(data)`, a Node Buffer as JSON), `od -An -tu1`.
  { radix: 10, fewest: 1, most: 3, size: 1 },
  // `od -b`.
  { radix: 8, fewest: 3, most: 3, size: 1 },
  // `od` itself (octal words, what it prints unasked), `od -o`.
  { radix: 8, fewest: 6, most: 6, size: 2 },
  // `od -d`, `od -tu2`.
  { radix: 10, fewest: 1, most: 5, size: 2 },
  // `od -tu4`, `od -tu`, `od -D`: four bytes a number; `od -to4`, `od -O`, in octal.
  { radix: 10, fewest: 1, most: 10, size: 4 },
  { radix: 8, fewest: 11, most: 11, size: 4 },
  // `od -tu8`, `od -to8`: eight bytes a number (read as a `BigInt`: past 2^53 a number
  // loses its low bits).
  { radix: 10, fewest: 1, most: 20, size: 8 },
  { radix: 8, fewest: 22, most: 22, size: 8 },
  // `xxd -b`; a character's bits, eight or as few as it takes (Python's
  // `format(ord(c), "08b")`, `bin(ord(c))[2:]`: seven for most of printable ASCII).
  { radix: 2, fewest: 1, most: 8, size: 1 },
];

const isDigit = (c: number) => c >= 48 && c <= 57;
const BITS = /^[01]+$/;

/**
 * The lines `lines` (pairs of start and end) read as numbers joined by spaces or commas,
 * in each way of `NUMBERS` up to the first number it cannot read (one past a byte, a
 * digit its radix lacks): a dump, with every reading of `MIN_BYTES` or more, if any
 * reading has that many. A line's first number is its offset if it has seven digits or
 * more (`od`'s, `xxd -b`'s); what comes before the first line's first digit is a label.
 */
function numberDump(text: string, lines: readonly number[]): Dump | undefined {
  // Pairs: start and end of each number, in order.
  // Typed, and grown by doubling: pushed to a plain array, a million numbers took 0.2 s.
  let tokens = new Int32Array(64);
  let count = 0;
  let at = -1;
  // Offsets that may be a byte's bits, by where they are in `tokens`: left out of every
  // reading but one more in bits.
  const bitsOffsets = new Set<number>();
  read: for (let l = 0; l < lines.length; l += 2) {
    const to = lines[l + 1]!;
    let i = lines[l]!;
    while (i < to && !isDigit(text.charCodeAt(i))) {
      if (l > 0 && text.charCodeAt(i) !== 32) break read;
      i++;
    }
    for (let first = true; i < to; first = false) {
      let j = i;
      if (first) {
        // An offset: seven digits or more (hex ones too: `0000000c:`), then `:`; or seven
        // to nine from a zero, then a space or the line's end (od's last, the file's
        // length). od pads its offsets with zeros, its numbers with spaces: `od -An -tu4`'s
        // ` 963856182` is a number, as is any of ten digits (an offset of gigabytes).
        while (j < to && text.charCodeAt(j) < 128 && HEX_VALUE[text.charCodeAt(j)]! >= 0) j++;
        const c = text.charCodeAt(j);
        const ends = j >= to || c === 32 || c === 10 || c === 13 || c === 92;
        if (
          j - i < 7 ||
          (c !== 58 && !(ends && j - i <= 9 && text.charCodeAt(i) === 48))
        ) j = i;
      }
      const offset = j > i;
      // An offset of a byte's bits that no `:` ends may be a line's first byte
      // (`01100111 01101000 ...`, what `format(ord(c), "08b")` joins): read both ways.
      const bits = offset && j - i <= 8 && text.charCodeAt(j) === 32 &&
        BITS.test(text.slice(i, j));
      while (j < to && isDigit(text.charCodeAt(j))) j++;
      const c = text.charCodeAt(j);
      // None, or one that runs on into a word (`12ab`).
      if (j === i || (j < text.length && c < 128 && WORD[c] === 1)) break;
      if (at < 0) at = i;
      if (!offset || bits) {
        if (bits) bitsOffsets.add(count);
        if (count === tokens.length) {
          const grown = new Int32Array(count * 2);
          grown.set(tokens);
          tokens = grown;
        }
        tokens[count++] = i;
        tokens[count++] = j;
      }
      i = j;
      while (i < to && text.charCodeAt(i) === 32) i++;
      if (text.charCodeAt(i) === 44 || (first && text.charCodeAt(i) === 58)) i++;
      while (i < to && text.charCodeAt(i) === 32) i++;
      if (i === j) break;
    }
  }
  const bytes: Uint8Array[] = [];
  let end = at;
  // How many numbers the reading in decimal bytes took.
  let decimal = 0;
  const numbers = (count >> 1) - bitsOffsets.size;
  const readings = bitsOffsets.size > 0
    ? [...NUMBERS, { ...NUMBERS.at(-1)!, bits: true }]
    : NUMBERS;
  for (const { radix, fewest, most, size, bits } of readings) {
    // Words whose every number is a byte hold a zero every other byte: no text.
    if (radix === 10 && size > 1 && decimal === numbers) continue;
    const out = new Uint8Array((count >> 1) * size);
    let n = 0;
    const limit = 2 ** (8 * size);
    let t = 0;
    for (; t < count; t += 2) {
      if (!bits && bitsOffsets.has(t)) continue;
      const from = tokens[t]!;
      const to = tokens[t + 1]!;
      if (to - from < fewest || to - from > most) break;
      if (size === 8) {
        const wide = wideValue(text, from, to, radix);
        if (wide < 0n) break;
        for (let k = 0; k < 8; k++) out[n++] = Number((wide >> BigInt(8 * k)) & 0xffn);
        continue;
      }
      let value = 0;
      for (let i = from; i < to && value < limit; i++) {
        const d = text.charCodeAt(i) - 48;
        value = d < radix ? value * radix + d : limit;
      }
      if (value >= limit) break;
      // Little-endian, as `od` prints words on the machines it runs on.
      for (let k = 0; k < size; k++) out[n++] = (value >>> (8 * k)) & 0xff;
    }
    if (t > 0) end = Math.max(end, tokens[t - 1]!);
    if (radix === 10 && size === 1) decimal = n;
    if (n >= MIN_BYTES) bytes.push(out.subarray(0, n));
  }
  return bytes.length > 0 ? { at, end, bytes } : undefined;
}

/** The number of eight bytes written in `radix` from `from` to `to` of `text`, or -1 if it is none. */
function wideValue(text: string, from: number, to: number, radix: number): bigint {
  let value = 0n;
  const base = BigInt(radix);
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d >= radix) return -1n;
    value = value * base + BigInt(d);
  }
  return value < 1n << 64n ? value : -1n;
}

/** The bytes of a dump's lines, each line's count apart (a buffer that grows as it must). */
class Rows {
  #bytes = new Uint8Array(256);
  #n = 0;
  /** Bytes per line. */
  readonly lines: number[] = [];

  /** Bytes pushed. */
  get length(): number {
    return this.#n;
  }

  /** A copy of the bytes pushed. */
  take(): Uint8Array {
    return this.#bytes.slice(0, this.#n);
  }

  /** Starts again, empty. */
  clear(): void {
    this.#n = 0;
  }

  push(byte: number): void {
    if (this.#n === this.#bytes.length) {
      const grown = new Uint8Array(this.#bytes.length * 2);
      grown.set(this.#bytes);
      this.#bytes = grown;
    }
    this.#bytes[this.#n++] = byte;
  }

  /** Ends a line of `count` bytes. */
  line(count: number): void {
    this.lines.push(count);
  }

  /**
   * The lines' bytes in a row, each line cut to the count most lines before the last
   * have (the fewest of those most have, on a tie): a text column that happened to read
   * as groups (`xxd`'s, `cafe beef`) is not taken for bytes.
   */
  joined(): Uint8Array {
    const lines = this.lines;
    const counts = new Map<number, number>();
    for (let l = 0; l < Math.max(1, lines.length - 1); l++) {
      counts.set(lines[l]!, (counts.get(lines[l]!) ?? 0) + 1);
    }
    let row = 0;
    let most = 0;
    for (const [count, n] of counts) {
      if (n > most || (n === most && count < row)) [row, most] = [count, n];
    }
    let total = 0;
    for (const count of lines) total += Math.min(count, row);
    const out = new Uint8Array(total);
    let n = 0;
    let at = 0;
    for (const count of lines) {
      out.set(this.#bytes.subarray(at, at + Math.min(count, row)), n);
      n += Math.min(count, row);
      at += count;
    }
    return out;
  }
}

/**
 * The bytes of one line of a dump from `from` (an offset column, then groups of hex
 * digits, each `0x`-prefixed or not, between spaces, `:` or `,`), up to the first token
 * that is not a group of the line's width (the text column, a decimal `0`), pushed to
 * `rows`. `width`: the digits per group lines before had (0: the first line's decide).
 * Undefined if the line holds no group.
 */
function readLine(
  text: string,
  from: number,
  to: number,
  width: number,
  rows: Rows,
): { width: number; letters: boolean; start: number; end: number } | undefined {
  const skip = (i: number) => {
    while (i < to && isSeparator(text.charCodeAt(i))) i++;
    return i;
  };
  // Where the token at `i` ends; -1 if there is none, or it runs on into a word (`after`).
  const tokenEnd = (i: number) => {
    let j = i;
    while (j < to && isDumpChar(text, j) && !isSeparator(text.charCodeAt(j))) j++;
    const c = text.charCodeAt(j);
    const ends = j === text.length || c >= 128 || WORD[c] === 0;
    return j > i && ends ? j : -1;
  };
  let s = skip(from);
  let e = tokenEnd(s);
  if (e < 0) return undefined;
  let start = s;
  // An offset: `00000010:` (xxd), or six digits or more before shorter groups (hexdump,
  // od, whose offsets have an odd number of digits).
  let s1 = skip(e);
  let e1 = s1 < to ? tokenEnd(s1) : -1;
  // Whether the token `s`-`e`, `s1`-`e1` after it, is an offset.
  const offset = (s: number, e: number, s1: number, e1: number) => {
    const colon = text.charCodeAt(e) === 58 && text.charCodeAt(e + 1) === 32 && e - s >= 4;
    const long = e - s >= 6 && ((e - s) % 2 === 1 || e - s > e1 - s1);
    return (colon || long) && hexDigits(text, s, e);
  };
  // A line after a time (`12:00:01 00000010: ...`, a log's), whose digits and colons read
  // as groups: read from its offset, when one is near the line's start after something
  // no group holds.
  // Or after a word whose last letters are hex digits (`...rea 00000000: ...`, the dump
  // glued on after other text): those are no group.
  if (e1 > 0 && !offset(s, e, s1, e1)) {
    const ahead = OFFSET_AHEAD.exec(text.slice(from, Math.min(to, from + MAX_PREFIX + 12)));
    const inWord = s > 0 && /[A-Za-z0-9_]/.test(text[s - 1]!);
    if (ahead && (inWord || NO_GROUP.test(text.slice(from, from + ahead.index + 1)))) {
      start = s = from + ahead.index + ahead[0].length - ahead[1]!.length;
      e = tokenEnd(s);
      s1 = skip(e);
      e1 = s1 < to ? tokenEnd(s1) : -1;
    }
  }
  if (e1 > 0) {
    if (offset(s, e, s1, e1)) [s, e] = [s1, e1];
    // Or the end of a label before the groups (the `a:` of `data: 67 68 ...`), and an
    // offset after it (a dump's lines each after a prefix, `data: 00000010: ...`).
    else if (!isGroup(text, s, e)) {
      [start, s, e] = [s1, s1, e1];
      const s2 = skip(e);
      const e2 = s2 < to ? tokenEnd(s2) : -1;
      if (e2 > 0 && offset(s, e, s2, e2)) [s, e] = [s2, e2];
    }
  }
  let count = 0;
  let letters = false;
  let end = from;
  while (e > 0) {
    s = digitsFrom(text, s, e);
    const digits = e - s;
    if (digits === 0 || digits % 2 === 1 || digits > 16 || !hexDigits(text, s, e)) break;
    // Every group as wide as the first; the line's last may be narrower (an odd byte count).
    if (width === 0) width = digits;
    else if (digits > width) break;
    for (let i = s; i < e; i += 2) {
      const hi = HEX_VALUE[text.charCodeAt(i)]!;
      const lo = HEX_VALUE[text.charCodeAt(i + 1)]!;
      // A narrower group may be a text column's start (`e5` of `xxd -b`'s `e5.AWS`).
      letters ||= digits === width && (hi > 9 || lo > 9);
      rows.push((hi << 4) | lo);
    }
    count += digits / 2;
    end = e;
    if (digits < width) break;
    s = skip(e);
    e = s < to ? tokenEnd(s) : -1;
  }
  if (count === 0) return undefined;
  rows.line(count);
  return { width, letters, start, end };
}

/**
 * A dump's offset after something else (a time): seven or eight hex digits after a
 * character that is no letter, digit or `:`, then a `:` and a space (`xxd`'s) or spaces
 * (`hexdump -C`'s, `od`'s) and a group.
 */
const OFFSET_AHEAD = /[^0-9A-Za-z:]([0-9a-f]{7,8})(?:: | {1,2})(?=[0-9a-f]{2})/;
/** A character no dump's groups hold, nor the spaces between them. */
const NO_GROUP = /[^0-9A-Fa-f ]/;

/** Where the digits of the token `from`-`to` start: past a `0x` before them. */
function digitsFrom(text: string, from: number, to: number): number {
  const prefixed = to - from > 2 && text.charCodeAt(from) === 48 &&
    (text.charCodeAt(from + 1) | 0x20) === 120;
  return prefixed ? from + 2 : from;
}

/** Whether `from`-`to` is a group of hex digits (`0x` before them or not), whole bytes. */
function isGroup(text: string, from: number, to: number): boolean {
  from = digitsFrom(text, from, to);
  return to > from && (to - from) % 2 === 0 && hexDigits(text, from, to);
}

/** Characters a word goes on with: a token followed by one is cut out of a word (`af` of `after`). */
const WORD = Uint8Array.from({ length: 128 }, (_, c) => +/\w/.test(String.fromCharCode(c)));

function isSeparator(c: number): boolean {
  return c === 32 || c === 58 || c === 44;
}

/** The value of each hex digit (either case) by its code; -1 for any other ASCII character. */
export const HEX_VALUE = new Int8Array(128).fill(-1);
for (const [i, c] of [..."0123456789abcdef"].entries()) {
  HEX_VALUE[c.charCodeAt(0)] = i;
  HEX_VALUE[c.toUpperCase().charCodeAt(0)] = i;
}

/** Whether `from`-`to` of `text` are all hex digits. */
export function hexDigits(text: string, from: number, to: number): boolean {
  if (to > text.length) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || HEX_VALUE[c]! < 0) return false;
  }
  return true;
}

/**
 * Whether the stretch at `next` starts the line after the one the stretch ending at
 * `end` is on: one line break between them (`\n`, `\r\n`, or escaped in a JSON string),
 * a line's text column before it at most; on that line, indentation before it, or what
 * the dump's first line holds before its own (`prefix`, see `linePrefix`).
 */
function nextLine(text: string, end: number, next: number, prefix?: string): boolean {
  if (next - end > MAX_GAP) return false;
  const start = lineAfter(text, end);
  // Indented or not, by spaces or tabs, a tab escaped in a JSON string too (`\n\t0000...`).
  if (start === undefined || start > next) return false;
  const gap = text.slice(start, next);
  return (gap.includes("\\") ? gap.replaceAll("\\t", "") : gap).trim() === "" ||
    (prefix !== undefined && gap.length === prefix.length && startsLike(gap, 0, prefix));
}

/** Where the spaces and tabs at `at` end (a tab escaped in a JSON string too). */
function indentEnd(text: string, at: number): number {
  let i = at;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9) i++;
    else if (c === 92 && text.charCodeAt(i + 1) === 116) i += 2;
    else return i;
  }
}

/** The longest text before a dump on its line that the dump's lines may each start with. */
const MAX_PREFIX = 32;

/**
 * What the line of `at` holds before it (from its break, escaped in a JSON string too, or
 * the quote that opens the string), if that is no indentation, holds no line break and
 * is `MAX_PREFIX` characters at most; undefined if not.
 */
function linePrefix(text: string, at: number): string | undefined {
  for (let i = at; i >= 0 && at - i <= MAX_PREFIX; i--) {
    const c = text.charCodeAt(i - 1);
    const starts = i === 0 || c === 10 || c === 13 || quoteEnds(text, i - 1) ||
      (c === 110 && breakAt(text, i - 2, true) === 2);
    if (!starts) continue;
    const prefix = text.slice(i, at);
    return prefix.replaceAll("\\t", "").trim() === "" ? undefined : prefix;
  }
  return undefined;
}

/**
 * Where the line `at` is on ends (at its break, or at the quote that ends the JSON string
 * it is in), within `MAX_GAP`; else `at`.
 */
function lineEnd(text: string, at: number): number {
  const to = Math.min(text.length, at + MAX_GAP);
  for (let i = at; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13 || quoteEnds(text, i)) return i;
    if (
      c === 92 && (/[nr]/.test(text[i + 1] ?? "") || deepBreakAt(text, i) > 0) &&
      backslashesBefore(text, i) % 2 === 0
    ) {
      return i;
    }
  }
  return to === text.length ? to : at;
}

/** The widest text column of a dump's line: `hexdump -C`'s 16 characters between bars. */
const TEXT_COLUMN = 18;

/**
 * Where a dump's line that ends at `at` ends (see `lineEnd`), or, with no break near (its
 * last line, the text after it glued on), past its text column: the spaces after its
 * groups and `TEXT_COLUMN` characters, which show a line's bytes (a token's last ones)
 * as text. The text after it a cut-out may take too; what it leaves of a token, none.
 */
function lastLineEnd(text: string, at: number): number {
  const end = lineEnd(text, at);
  if (end !== at) return end;
  let i = at;
  while (i < text.length && i - at < MAX_GAP && text.charCodeAt(i) === 32) i++;
  return i === at ? at : Math.min(text.length, i + TEXT_COLUMN);
}

/** Bytes `od -c` writes as an escape, by the escape's letter. */
const ESCAPES: Record<string, number> = {
  "0": 0,
  a: 7,
  b: 8,
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
  "\\": 92,
};

/** How many backslashes come right before `i`. */
function backslashesBefore(text: string, i: number): number {
  let n = 0;
  while (i - n > 0 && text.charCodeAt(i - n - 1) === 92) n++;
  return n;
}

/**
 * The length of the line break at `i`: as written, `\n`; in a JSON string (`json`), its
 * escape (`\\n`, the backslash not itself escaped). 0 if there is none.
 */
function breakAt(text: string, i: number, json: boolean): number {
  if (!json) return +(text.charCodeAt(i) === 10);
  return text.charCodeAt(i) === 92 && text.charCodeAt(i + 1) === 110 &&
      backslashesBefore(text, i) % 2 === 0
    ? 2
    : 0;
}

/** Whether the quote at `i` ends a JSON string (it is a quote, not escaped). */
function quoteEnds(text: string, i: number): boolean {
  return text.charCodeAt(i) === 34 && backslashesBefore(text, i) % 2 === 0;
}

/**
 * The bytes a cell of `od -c` (or a character of text spaced out) stands for: a
 * character, an escape (`\\n`), three octal digits, or none for the `**` after a
 * character of several bytes; undefined for anything else (a word).
 */
function cellBytes(cell: string): number[] | undefined {
  if (cell.length === 1 && cell.charCodeAt(0) < 128) return [cell.charCodeAt(0)];
  if (cell.length === 1 || (cell.length === 2 && cell.codePointAt(0)! > 0xffff)) {
    return [...new TextEncoder().encode(cell)];
  }
  if (cell.length === 2 && cell[0] === "\\" && cell[1]! in ESCAPES) return [ESCAPES[cell[1]!]!];
  if (cell.length === 3 && /^[0-3][0-7]{2}$/.test(cell)) return [parseInt(cell, 8)];
  if (cell === "**") return [];
  return undefined;
}

/**
 * Text spaced out, from the survey's `spaced`: what `od -c` and `hexdump -c` print (an
 * offset, then each byte right-aligned in a cell of four: a character, an escape, three
 * octal digits; a space as a blank cell), and characters joined by spaces. Read from the
 * line each place is on, line by line while the cells go on, both as written and as in a
 * JSON string (line breaks and backslashes escaped; which one it is the text around
 * cannot always tell: a cell `\\n` is an escaped line break's very letters); each run of
 * `MIN_BYTES` cells or more is a dump, from its first cell (or its line's offset) to its
 * last.
 */
export function spacedDumps(text: string, places: readonly number[]): Dump[] {
  const out: Dump[] = [];
  const rows = new Rows();
  for (const json of [false, true]) {
    let done = 0;
    for (const place of places) {
      if (place < done) continue;
      // The line's start, within reach; else the first space from there.
      let start = lineStart(text, place, json);
      if (start === -2) continue;
      if (start < 0) {
        // A line too long to be a dump's: back from here over characters spaced out.
        start = place;
        while (start < text.length && text.charCodeAt(start) === 32) start++;
        for (let k = start - 1; k > place - 2 * MAX_GAP; k--) {
          let gap = 0;
          for (; k >= 0 && text.charCodeAt(k) === 32; k--) gap++;
          if (gap === 0 || gap > 7 || k < 0 || (k > 0 && text.charCodeAt(k - 1) !== 32)) break;
          start = k;
        }
        // And the word before them, whose last character may be one of them.
        for (let k = start - 2; text.charCodeAt(start - 1) === 32 && k > place - 3 * MAX_GAP; k--) {
          if (k < 0 || text.charCodeAt(k) === 32) {
            start = k + 1;
            break;
          }
        }
      } else {
        // Lines before it that are cells too (no place of theirs may have shown it).
        for (let back = 0; back < BACK_LINES && start > done; back++) {
          const before = lineStart(text, start - (json ? 2 : 1) - 1, json);
          if (before < 0 || !cellsFrom(text, before, json, rows)) break;
          start = before;
        }
      }
      done = readSpaced(text, start, place, json, out, rows);
    }
  }
  return out;
}

/**
 * The most lines before a place's that `spacedDumps` reads as cells too: the survey's
 * probes may first find `od -w4 -c`'s lines (four bytes each) six lines into a token.
 */
const BACK_LINES = 8;

/**
 * Where the line `at` is on starts, within `2 * MAX_GAP`; -1 past that. -2 in `json`
 * mode if a line break as written comes first: no JSON string is there.
 */
function lineStart(text: string, at: number, json: boolean): number {
  const reach = Math.max(0, at - 2 * MAX_GAP);
  for (let i = at; i > reach; i--) {
    const c = text.charCodeAt(i - 1);
    if (c === 10) return json ? -2 : i;
    // In a JSON string, its escaped line break or the quote that starts it.
    if (json && c === 110 && breakAt(text, i - 2, true) === 2) return i;
    if (json && quoteEnds(text, i - 1)) return i;
  }
  return reach === 0 ? 0 : -1;
}

/** Whether the line from `from` is cells of `od -c` (or spaced out) to its end. */
function cellsFrom(text: string, from: number, json: boolean, rows: Rows): boolean {
  const found: Dump[] = [];
  const end = readSpaced(text, from, from, json, found, rows, true);
  return found.length === 1 && found[0]!.end === end;
}

/**
 * Reads spaced lines from `from` into `out` (the first only, if `one`), up to the first
 * token past `place` that is no cell, gathering bytes in `bytes`; returns where it
 * stopped.
 */
function readSpaced(
  text: string,
  from: number,
  place: number,
  json: boolean,
  out: Dump[],
  bytes: Rows,
  one = false,
): number {
  bytes.clear();
  let at = -1;
  let end = from;
  const close = () => {
    // One line alone may show fewer (`od -w4 -c`: four a line).
    if (bytes.length >= (one ? 2 : MIN_BYTES)) {
      out.push({ at, end, bytes: [bytes.take()], glued: true });
    }
    bytes.clear();
    at = -1;
  };
  let i = from;
  for (;;) {
    // One line: an offset first, if it has one, then cells, while they go on.
    let offset = -1;
    let cells = 0;
    // The end of the word before, if one came right before (`says:` of `says: g h p`).
    let word = -1;
    // The spaces before the last cell (two: `g  h  p`, where one before a word is no cell's).
    let cellGap = 0;
    for (let first = true;; first = false) {
      let gap = 0;
      while (text.charCodeAt(i) === 32) {
        i++;
        gap++;
      }
      if (i >= text.length || breakAt(text, i, json) > 0 || (json && quoteEnds(text, i))) break;
      const from = i;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 32 || (c === 10 && !json) || (json && quoteEnds(text, i))) break;
        if (json && c === 92 && breakAt(text, i, true) === 2) break;
      }
      // Nothing read (a character the checks above missed): no loop without end.
      if (i === from) break;
      if (first && i - from >= 7 && hexDigits(text, from, i)) {
        offset = from;
        continue;
      }
      // Most cells are one character: read without a string made of it.
      const code = text.charCodeAt(from);
      let cell: number[] | undefined;
      if (i - from !== 1 || code >= 128) {
        const token = text.slice(from, i);
        cell = cellBytes(json && token.includes("\\") ? token.replace(/\\(["\\/])/g, "$1") : token);
        if (cell === undefined) {
          // Characters spaced out may touch a word on either side (`... 5,`): its
          // character next to them is one of them; so is a word as far on as the cells
          // are apart (the last cell with what follows it: `h   p   T.`, `T;`). Where two
          // spaces part the cells, a word one space on is none of them.
          if (at >= 0 && code < 128 && (gap === 1 ? cellGap !== 2 : gap > 1 && gap === cellGap)) {
            bytes.push(code);
            end = from + 1;
          }
          close();
          if (i > place) return i;
          word = i;
          continue;
        }
      }
      if (at < 0) {
        // A run that starts on a line's first cell starts at its offset.
        at = offset >= 0 ? offset : from;
        if (offset < 0 && word >= 0 && gap === 1 && text.charCodeAt(word - 1) < 128) {
          bytes.push(text.charCodeAt(word - 1));
          at = word - 1;
        }
      }
      for (let k = 0; k < gap >> 2; k++) bytes.push(32);
      if (cell === undefined) bytes.push(code);
      else for (const b of cell) bytes.push(b);
      end = i;
      if (cells > 0) cellGap = gap;
      cells++;
      offset = -1;
      word = -1;
    }
    const step = breakAt(text, i, json);
    // A line with no cell (`od`'s last, the file's length alone) ends the run.
    if (at < 0 || cells === 0 || step === 0 || one) break;
    i += step;
  }
  close();
  return i;
}

/** How many hex digits `from`-`to` holds. */
function hexDigitCount(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && HEX_VALUE[c]! >= 0) n++;
  }
  return n;
}

/**
 * The dump that starts at `at` (where a finding decoded from it points), found again by
 * reading `text` from there line by line: what cutting it out of a request takes.
 */
export function dumpAt(text: string, at: number): Dump | undefined {
  const stretches: number[] = [];
  // Each line after the first past what that one holds before the dump (see `hexDumps`),
  // or its indentation (tabs are no dump's characters).
  const prefix = linePrefix(text, at);
  // From the spaces before it, as the survey's stretch starts (a dump's `at` is its first
  // digit's: ` 69 64 3d 41`), where its lines hold nothing before it.
  let from = at;
  while (!prefix && from > 0 && at - from < 8 && text.charCodeAt(from - 1) === 32) from--;
  for (let i = from; i < text.length;) {
    let end = i;
    while (end < text.length && isDumpChar(text, end)) end++;
    // A narrow dump's line (see `narrowFrom` in `probes.ts`): shorter, showing bytes.
    if (
      end - i < MIN_DUMP && (end - i < NARROW_MIN || hexDigitCount(text, i, end) < NARROW_DIGITS)
    ) {
      break;
    }
    stretches.push(i, end);
    const next = lineAfter(text, end);
    if (next === undefined) break;
    if (prefix && startsLike(text, next, prefix)) i = next + prefix.length;
    else {
      // Past tabs (no dump's characters), from the spaces that end the indentation, as the
      // survey's stretches start (`od -An -w4 -tx1`'s lines, ` 4b 49 41 51`, are twelve
      // characters with their space, too few without it).
      i = indentEnd(text, next);
      while (i > next && text.charCodeAt(i - 1) === 32) i--;
    }
  }
  // Of text spaced out, read both as written and as in a JSON string, the longer reading.
  // Characters joined by line breaks in a JSON string also read as lines of one cell.
  return hexDumps(text, stretches).find((d) => d.at === at) ??
    joinedDumps(text, [at]).find((d) => d.at === at) ??
    spacedDumps(text, [at]).filter((d) => d.at <= at && at < d.end)
      .reduce<Dump | undefined>((a, d) => (a && a.end >= d.end ? a : d), undefined) ??
    narrowBlockFrom(text, at);
}

/** The most lines `narrowBlockFrom` reads down from a block's first line to its anchor. */
const BLOCK_ANCHOR_LINES = 64;

/**
 * The block of narrow lines that starts at `at`, found again from one of its lines further
 * down: its first lines may hold a space or a quote (see `narrowLinesNear`), where no
 * block is found from, and the lines of one width that are found from lie below them.
 */
function narrowBlockFrom(text: string, at: number): Dump | undefined {
  const get = (k: number) => text.charCodeAt(k);
  let line = at;
  for (let n = 0; n < BLOCK_ANCHOR_LINES; n++) {
    let p = line;
    while (p < line + 2 * LINES_WIDTH + 2 && p < text.length && narrowBreak(get, p) === 0) p++;
    const size = narrowBreak(get, p);
    if (size === 0) return undefined;
    line = p + size;
    const dump = narrowLinesNear(text, line, { end: 0 });
    if (dump !== undefined && dump.at === at) return dump;
  }
  return undefined;
}

/**
 * Single characters joined by a separator, from the survey's `joined`: `g,h,p,_`,
 * `g-h-p-_`, `g, h, p`, one a line (`fold -w1`; in a JSON string, `g\\nh\\np`). The
 * separator is one or two characters, no letter or digit, the same throughout; a run of
 * `MIN_JOINED` characters or more is a dump, from its first character to its last.
 */
export function joinedDumps(text: string, places: readonly number[]): Dump[] {
  const out: Dump[] = [];
  // How far the runs read so far reach, those turned down too: the survey finds a place
  // every 30 characters of a run, and each read walks the run whole, so reading them all
  // took a megabyte of `g-h-g-h-...` (too few characters to be a token) minutes.
  const reach = { end: 0 };
  for (const place of places) {
    if (place < reach.end) continue;
    const dump = joinedNear(text, place, reach) ?? quotedNear(text, place, reach) ??
      quotedNumbersNear(text, place, reach) ?? numbersNear(text, place, reach) ??
      mixedNear(text, place, reach) ?? narrowLinesNear(text, place, reach);
    if (dump) {
      out.push(dump);
      reach.end = Math.max(reach.end, dump.end);
    }
  }
  return out;
}

/** The fewest characters a run of joined ones holds to be read: a short token's. */
const MIN_JOINED = 16;

/**
 * The word of one to three letters or digits that ends at `end` of `text` after a space,
 * a `:`, a `=` or a quote (`g` in `value: g`); "" if none does.
 */
function shortWordBefore(text: string, end: number): string {
  let s = end;
  while (s > end - 4 && s > 0 && /[A-Za-z0-9]/.test(text[s - 1]!)) s--;
  if (s === end || end - s > 3 || !/[ \t:="']/.test(text[s - 1] ?? "")) return "";
  return text.slice(s, end);
}

/** The run of joined characters whose separators start within a period of `at`. */
function joinedNear(text: string, at: number, reach: { end: number }): Dump | undefined {
  for (let period = 2; period <= 3; period++) {
    for (let k = at; k < at + period; k++) {
      const c = text.charCodeAt(k);
      if (!(c < 256 && (DUMP_CHAR[c]! & 4) !== 0)) continue;
      const sep = text.slice(k, k + period - 1);
      // No letter or digit, but for an escaped line break or tab (in a JSON string); no
      // backspace (`_\bg`, `man`'s underline, is what follows it: normalising reads it).
      if (
        sep === " ".repeat(period - 1) || (/[A-Za-z0-9]/.test(sep) && !/^\\[nrt]$/.test(sep)) ||
        sep.includes("\b")
      ) {
        continue;
      }
      const joins = (c: number) => c >= 0 && text.startsWith(sep, c + 1);
      let ok = true;
      for (let r = 1; r < 4 && ok; r++) ok = text.startsWith(sep, k + r * period);
      if (!ok) continue;
      // Joined by line breaks, each character is alone on its line (or at an end of the
      // string it is in): the last of a line before (`$ fold -w1 f`) or the first of one
      // after is not one of them.
      const lines = sep === "\n" || sep === "\\n";
      const edge = (c: number) => c < 0 || c >= text.length || /["'\n\r]/.test(text[c]!);
      // Never a quote or a backslash: in a JSON string those are its end or an escape (a
      // trailing separator, `g,h,p,"`, is followed by the string's end, not by a character
      // of it, and a cut that took the quote would break the body).
      const joined = (c: number) =>
        isPayload(text, c) && text[c] !== '"' && text[c] !== "\\" &&
        (!lines ||
          ((edge(c - 1) || text.startsWith(sep, c - sep.length)) && (edge(c + 1) || joins(c))));
      // Back to the first character, then on to the last.
      let first = k - 1;
      while (first - period >= 0 && joins(first - period) && joined(first - period)) {
        first -= period;
      }
      if (!joined(first)) first += period;
      let chars = "";
      let last = first;
      for (let c = first; c < text.length && joined(c); c += period) {
        chars += text[c];
        last = c;
        if (!joins(c)) break;
      }
      // A rule drawn with a pattern (`-=-=-=`) joins nothing.
      if (chars.length < MIN_JOINED || new Set(chars).size < 4) {
        reach.end = Math.max(reach.end, last + 1);
        continue;
      }
      // A character at either end may be a word's, its separator only what follows the
      // word (`abc,g,h,p`: the `c`): read with and without it.
      const lead = first > 0 && isPayload(text, first - 1) ? 1 : 0;
      const tail = isPayload(text, last + 1) ? 1 : 0;
      const readings = [chars];
      if (lead || tail) readings.push(chars.slice(lead, chars.length - tail));
      if (lead && tail) readings.push(chars.slice(lead), chars.slice(0, -tail));
      const bytes = readings.map((r) => new TextEncoder().encode(r));
      // Joined by line breaks, the line before may end with their first characters, a
      // short word of its own (`value: g`, then `h`, `p`, ... a line each).
      const before = lines ? shortWordBefore(text, first - sep.length) : "";
      return { at: first, end: last + 1, bytes, glued: true, ...(before ? { before } : {}) };
    }
  }
  return undefined;
}

/** What a block of narrow lines of digits alone reads as (see `narrowLinesNear`). */
const ALL_DIGITS = /^[0-9]*$/;

/** Where the line break nearest after `at` (within this many characters) starts, for a narrow block. */
const NARROW_REACH = 80;

/** A block of narrow lines whose characters are more than this many is read with its last line only. */
const LONG_BLOCK = 1024;

/**
 * The block of narrow lines around `at` (`fold -w 5` of a `.env`, `base64 -w 8`, `xxd -p -c
 * 4`; see `narrowProbe` in probes.ts): lines in a row of one width, two to
 * `LINES_WIDTH` (an escape in a JSON string one character), two or more, each at one
 * column (past an indentation or a prefix, or none), then the block's last line, which may
 * be shorter. Without a prefix, lines as wide that hold other characters too (a space, a
 * quote: see `anyLineEnd`) above and among them are the block's. Each is cut where the
 * next starts, so a token is in none whole; joined, it is. Read with its last line and
 * without it (it may be the output's next line), and with the block's head where there is
 * one (see below). The dump is at its first line.
 */
function narrowLinesNear(text: string, at: number, reach: { end: number }): Dump | undefined {
  const get = (k: number) => text.charCodeAt(k);
  let p = at;
  while (p < at + NARROW_REACH && p < text.length && narrowBreak(get, p) === 0) p++;
  if (narrowBreak(get, p) === 0) return undefined;
  const anchor = narrowAnchor(get, p);
  if (anchor < 0) return undefined;
  const width = narrowWidth(get, anchor);
  // Each line's characters at the anchor's column (past one indentation or prefix, or none).
  const indent = (s: number) => narrowColumn(get, s);
  let indented = indent(anchor);
  const alike = (s: number, column: number) =>
    s >= 0 && narrowWidth(get, s) === width && indent(s) === column;
  // Up, then down, while the lines are of that width, at that column or, where the lines'
  // numbers gain a digit (`9:`, `10:`), one place on (see `numberRolledOver`).
  let first = anchor;
  for (let s = narrowLineBefore(get, first); s >= 0; s = narrowLineBefore(get, s)) {
    if (alike(s, indented)) first = s;
    else if (indented > 1 && alike(s, indented - 1) && numberRolledOver(get, s, first)) {
      first = s;
      indented--;
    } else break;
  }
  // Without a prefix, on up past lines as wide that hold other characters too (a space,
  // a quote: `fold -w 2` of `aws_secret_access_key = ...` cuts `= ` and `y ` out).
  if (indented === 0) {
    for (let b = narrowBreakBefore(get, first); b > 0; b = narrowBreakBefore(get, first)) {
      // Its start: where a line starts (a quote's too: `"aw` in `  "aw`), `width` before `b`.
      let s = b - 1;
      while (
        s >= 0 && s >= b - 2 * width && !(lineStartsAt(get, s) && anyLineEnd(get, s, width) === b)
      ) {
        s--;
      }
      if (s < 0 || s < b - 2 * width) break;
      first = s;
    }
  }
  // Down: each next line's characters at the same column, after a prefix if the block's
  // lines have one (one read of each line; a megabyte of `base64 -w 8` is 100,000 lines).
  // Where the block's line whose characters start at `s` ends, or -1.
  const lineOfBlock = (s: number, column: number) => {
    if (column > 0 && !prefixEnd(get, s, get(s - 1))) return -1;
    let e = narrowLineEnd(get, s);
    if (e < 0 || LINE_WIDTH[0] !== width) e = column === 0 ? anyLineEnd(get, s, width) : -1;
    // A break inside what should be the prefix: a shorter line, not a line of the block.
    return e >= 0 && column > 0 && lineStartOf(get, s) !== s - column ? -1 : e;
  };
  const lines: string[] = [];
  let end = indented === 0 ? anyLineEnd(get, first, width) : narrowLineEnd(get, first);
  lines.push(unescapeLine(text.slice(first, end)));
  // Where the last line read starts.
  let above = first;
  for (;;) {
    let s = end + narrowBreak(get, end) + indented;
    let e = lineOfBlock(s, indented);
    if (e < 0 && indented > 1 && numberRolledOver(get, above, s + 1)) {
      e = lineOfBlock(++s, indented + 1);
      if (e >= 0) indented++;
    }
    if (e < 0) break;
    lines.push(unescapeLine(text.slice(s, e)));
    end = e;
    above = s;
  }
  // The last line: up to `width` characters a narrow line holds, then something else, at
  // the block's column.
  let tail = "";
  const below = end + narrowBreak(get, end) + indented;
  const t = below + +(indented > 1 && numberRolledOver(get, above, below + 1));
  let k = t;
  while (k - t < 2 * width && k < text.length) {
    const c = get(k);
    if (narrowBreak(get, k) > 0) break;
    if (c < 256 && LINE_CHAR[c] === 1) k++;
    // (Not an escaped quote: in a JSON string inside another, it ends the inner one.)
    else if (c === 92 && (get(k + 1) === 92 || get(k + 1) === 47)) k += 2;
    else break;
  }
  const last = unescapeLine(text.slice(t, k));
  if (last.length > 0 && last.length <= width && !(k < text.length && LINE_CHAR[get(k)] === 1)) {
    tail = last;
  }
  // The head: the fold's first line where something comes before it on its line (a
  // label, a JSON string's quote): what that line ends with, `width` characters at most.
  // A line of its own is none: shorter than the rest, it is another line of the output
  // (`key:` above the value's lines).
  const b = narrowBreakBefore(get, lineStartOf(get, first));
  let h = b;
  while (
    b >= 0 && h > 0 && b - h < width && LINE_CHAR[get(h - 1)] === 1 &&
    !(escapeLetter(get(h - 1)) && get(h - 2) === 92)
  ) h--;
  const own = h === 0 || get(h - 1) === 10 || (get(h - 1) === 110 && get(h - 2) === 92);
  const head = b >= 0 && !own ? text.slice(h, b) : "";
  const full = lines.length + +(head.length === width);
  if (full < NARROW_BLOCK_LINES || full * width + tail.length < MIN_JOINED) return undefined;
  // Lines that end alike are a list's items, one a line (`ca_AD.UTF-8`, `ca_ES.UTF-8`:
  // locales of one width), not a fold; but for base64 JSON (`eyJ`: a JWT's claims may
  // repeat themselves, and a fold as wide as they do ends each line alike).
  const body = lines.join("");
  if (endAlike(lines) && !body.includes("eyJ")) {
    reach.end = Math.max(reach.end, end);
    return undefined;
  }
  // Digits alone hold no token (a number a line is read as a character's code: see
  // `numbersNear`): times (`12:30`, a number and a colon read as a prefix), counts.
  if (ALL_DIGITS.test(body + tail)) {
    reach.end = Math.max(reach.end, end);
    return undefined;
  }
  // Not where the head ends a name (`api_key=`, `token:`, a line above a block of values):
  // glued on, the block would read as the value assigned to it. Unless a token's prefix
  // starts in it (`payload=ghp_Z`, then `q8Lw2...`).
  let glued = head !== "" && !/[=:]$/.test(head);
  for (let k = 0; k < head.length && !glued; k++) {
    TOKEN_KEYWORD.lastIndex = k;
    glued = TOKEN_KEYWORD.test(head + body.slice(0, 64));
  }
  // Without the last line too, in a short block (a token's: in a long one, what the last
  // line may glue on is one token among many, and each reading is decoded whole).
  const short = body.length <= LONG_BLOCK;
  const readings = new Set([body + tail, ...(short ? [body] : [])]);
  if (glued) readings.add(head + body + tail).add(short ? head + body : head + body + tail);
  reach.end = Math.max(reach.end, tail ? k : end);
  const encoder = new TextEncoder();
  // Where it is, for a cut: its lines of one width (what is left of the token before and
  // after them is too little to be one).
  return {
    at: first,
    end,
    bytes: [...readings].filter((r) => r.length >= MIN_JOINED).map((r) => encoder.encode(r)),
    narrow: true,
  };
}

/** How many characters two lines in a row end with alike (see `endAlike`). */
const ALIKE_END = 4;

/**
 * Whether half the lines in a row, or more, end with the same `ALIKE_END` characters as
 * the line before: a fold of random characters does so one time in 65,536 a line (hex),
 * a list of names of one width all the time.
 */
function endAlike(lines: readonly string[]): boolean {
  let alike = 0;
  for (let i = 1; i < lines.length; i++) {
    if (
      lines[i]!.length >= ALIKE_END &&
      lines[i]!.slice(-ALIKE_END) === lines[i - 1]!.slice(-ALIKE_END)
    ) {
      alike++;
    }
  }
  return lines.length > 1 && 2 * alike >= lines.length - 1;
}

/**
 * The fewest lines of one width a block of narrow lines holds (see `narrowLinesNear`), its
 * head counted when it is as wide: a short token (an AWS key's ID, 28 characters in base64)
 * makes two and a short last line.
 */
const NARROW_BLOCK_LINES = 2;

/** A narrow line as it reads, out of a JSON string: `\"`, `\\` and `\/` resolved. */
function unescapeLine(line: string): string {
  return line.includes("\\") ? line.replace(/\\(["\\/])/g, "$1") : line;
}

/**
 * The run of single characters joined by marks that change (`g-h.p _/Z-q...`; see
 * `mixedMark` in keywords.ts) whose marks start within two places of `at`, from its
 * first character to its last: `MIN_JOINED` or more, the marks not all the same.
 */
function mixedNear(text: string, at: number, reach: { end: number }): Dump | undefined {
  const mark = (k: number) => mixedMark(text.charCodeAt(k));
  const joined = (k: number) => k >= 0 && mixedJoined(text.charCodeAt(k));
  for (let k = at; k < at + 2; k++) {
    if (!mark(k) || !joined(k - 1) || !joined(k + 1)) continue;
    let first = k - 1;
    while (mark(first - 1) && joined(first - 2)) first -= 2;
    let chars = "";
    let last = first;
    const marks = new Set<number>();
    for (let c = first; joined(c); c += 2) {
      chars += text[c];
      last = c;
      if (!mark(c + 1)) break;
      marks.add(text.charCodeAt(c + 1));
    }
    reach.end = Math.max(reach.end, last + 1);
    if (chars.length < MIN_JOINED || marks.size < 2 || new Set(chars).size < 4) continue;
    return { at: first, end: last + 1, bytes: [new TextEncoder().encode(chars)], glued: true };
  }
  return undefined;
}

/**
 * The list of characters each in quotes (`['g', 'h', 'p']`, `[\\"g\\", \\"h\\"]` in a
 * JSON string) that the survey found at `at` (see `quotedFrom` in keywords.ts), from its
 * first character to its last: `MIN_JOINED` or more.
 */
function quotedNear(text: string, at: number, reach: { end: number }): Dump | undefined {
  const get = (k: number) => text.charCodeAt(k);
  for (let k = at; k < at + 3; k++) {
    const q = get(k);
    if (q !== 34 && q !== 39) continue;
    const escaped = get(k - 1) === 92;
    for (let s of escaped ? [k - 1, k - 4] : [k, k - 2]) {
      if (s < 0 || quotedCharEnd(get, s, q, escaped) < 0) continue;
      // Back to the first: a character in quotes, then a comma, then (past spaces and
      // line breaks) this one.
      for (;;) {
        const before = quotedBefore(text, s, q, escaped);
        if (before < 0) break;
        s = before;
      }
      const inner = escaped ? 2 : 1;
      let chars = "";
      let end = s;
      for (let e = s; e >= 0;) {
        const next = quotedCharEnd(get, e, q, escaped);
        if (next < 0) break;
        chars += text[e + inner];
        end = next;
        e = afterComma(get, next);
      }
      if (chars.length < MIN_JOINED || new Set(chars).size < 4) {
        reach.end = Math.max(reach.end, end);
        continue;
      }
      return { at: s, end, bytes: [new TextEncoder().encode(chars)] };
    }
  }
  return undefined;
}

/**
 * Numbers one a line (`for c in t: print(ord(c))`, `printf '%d\n'`, `xxd -p -c1`; in a
 * JSON string too) around the line break the survey found near `at` (see `numbersFrom`
 * in keywords.ts): back to the first line of them, then on to the last, read as bytes in
 * decimal and in hex (each while it can): `MIN_JOINED` lines or more.
 */
function numbersNear(text: string, at: number, reach: { end: number }): Dump | undefined {
  const get = (k: number) => text.charCodeAt(k);
  let line = -1;
  for (let k = at; k < at + 10 && line < 0; k++) {
    const step = breakLength(get, k);
    if (step > 0) line = k + step;
  }
  if (line < 0 || numberLine(get, line) < 0) return undefined;
  // Back, a line at a time, while the line before holds a number alone.
  for (;;) {
    let start = line - 1;
    // The break that ends the line before: `\n` (after a `\r` or not), or escaped.
    if (get(start) === 10) start -= get(start - 1) === 13 ? 2 : 1;
    else if (get(start) === 110 && get(start - 1) === 92) {
      start -= get(start - 3) === 92 && get(start - 2) === 114 ? 4 : 2;
    } else break;
    const end = start + 1;
    // Its start: the end of the break before it, or the text's, within a number's width
    // (spaces before it too).
    let from = end;
    while (
      from > 0 && end - from < 13 && get(from - 1) !== 10 &&
      !(get(from - 1) === 110 && get(from - 2) === 92)
    ) {
      from--;
    }
    if (numberLine(get, from) !== end) break;
    line = from;
  }
  const first = line;
  const decimal: number[] = [];
  const hex: number[] = [];
  let inDecimal = true, inHex = true;
  let end = line;
  for (let e; (e = numberLine(get, line)) >= 0;) {
    if (!(inDecimal && NUMBER_VALUES[0]! >= 0) && !(inHex && NUMBER_VALUES[1]! >= 0)) break;
    inDecimal &&= NUMBER_VALUES[0]! >= 0;
    inHex &&= NUMBER_VALUES[1]! >= 0;
    if (inDecimal) decimal.push(NUMBER_VALUES[0]!);
    if (inHex) hex.push(NUMBER_VALUES[1]!);
    end = e;
    line = e + breakLength(get, e);
  }
  reach.end = Math.max(reach.end, end);
  const bytes = [decimal, hex].filter((v) => v.length >= MIN_JOINED && new Set(v).size >= 4)
    .map((v) => Uint8Array.from(v));
  return bytes.length > 0 ? { at: first, end, bytes } : undefined;
}

/**
 * Characters' codes listed each in quotes around `at` (see `quotedNumberEnd`), as Python
 * prints `[hex(ord(c)) for c in t]`: from the list's first to its last, read as bytes in
 * each way its codes may be written (see `codeReadings`).
 */
function quotedNumbersNear(text: string, at: number, reach: { end: number }): Dump | undefined {
  const get = (k: number) => text.charCodeAt(k);
  for (let k = at; k < at + 3; k++) {
    const q = get(k);
    if ((q !== 34 && q !== 39) || get(k - 1) === 92) continue;
    // The quote opens a code, or closes one and the next opens three places on.
    for (let s of [k, k + 3]) {
      if (quotedNumberEnd(get, s, q) < 0) continue;
      for (;;) {
        const before = quotedNumberBefore(get, s, q);
        if (before < 0) break;
        s = before;
      }
      const codes: string[] = [];
      let end = s;
      for (let e = s; e >= 0;) {
        const next = quotedNumberEnd(get, e, q);
        if (next < 0) break;
        codes.push(text.slice(e + 1, next - 1));
        end = next;
        e = afterComma(get, next);
      }
      const bytes = codeReadings(codes);
      reach.end = Math.max(reach.end, end);
      if (bytes.length > 0) return { at: s, end, bytes };
    }
  }
  return undefined;
}

/**
 * Where the code in quotes before the one that starts at `s` starts (a comma and spaces or
 * line breaks between), or -1.
 */
function quotedNumberBefore(get: (k: number) => number, s: number, quote: number): number {
  let p = s - 1;
  for (let n = 0; n < 16 && p > 0; n++) {
    const c = get(p);
    if (c === 32 || c === 10 || c === 13 || c === 9) p--;
    else if (escapeLetter(c) && get(p - 1) === 92 && get(p - 2) !== 92) p -= 2;
    else break;
  }
  if (get(p) !== 44 || get(p - 1) !== quote) return -1;
  // Its opening quote: within a code's most characters (`0x` and eight digits).
  for (let o = p - 2; o >= 0 && o >= p - 12; o--) {
    if (get(o) === quote) return quotedNumberEnd(get, o, quote) === p ? o : -1;
  }
  return -1;
}

/** A code's prefix and the radix it gives (`hex(ord(c))`, `bin(ord(c))`, `oct(ord(c))`). */
const PREFIXED: Record<string, number> = { "0x": 16, "0X": 16, "0b": 2, "0B": 2, "0o": 8, "0O": 8 };

/**
 * The bytes `codes` stand for, in each way they may be written, each up to the first it
 * cannot read, of `MIN_BYTES` or more: each by its own prefix (`0x67`, `0b1100111`,
 * `0o147`); else in decimal (`103`), in hex of two digits or one (`67`, `a`) and in bits
 * (`01100111`, or as few as it takes).
 */
function codeReadings(codes: readonly string[]): Uint8Array[] {
  const readings: Uint8Array[] = [];
  const read = (value: (code: string) => number) => {
    const out = new Uint8Array(codes.length);
    let n = 0;
    for (const code of codes) {
      const v = value(code);
      if (!(v >= 0 && v <= 255)) break;
      out[n++] = v;
    }
    if (n >= MIN_BYTES) readings.push(out.subarray(0, n));
  };
  const radixOf = (code: string) => PREFIXED[code.slice(0, 2)];
  if (radixOf(codes[0]!) !== undefined) {
    read((code) => {
      const radix = radixOf(code);
      const digits = code.slice(2);
      return radix !== undefined && DIGITS[radix]!.test(digits) ? parseInt(digits, radix) : -1;
    });
    return readings;
  }
  read((code) => (DIGITS[10]!.test(code) && code.length <= 3 ? parseInt(code, 10) : -1));
  read((code) => (code.length <= 2 ? parseInt(code, 16) : -1));
  read((code) => (DIGITS[2]!.test(code) ? parseInt(code, 2) : -1));
  return readings;
}

/** A code's digits in each radix `codeReadings` reads. */
const DIGITS: Record<number, RegExp> = {
  2: /^[01]{1,8}$/,
  8: /^[0-7]{1,3}$/,
  10: /^[0-9]+$/,
  16: /^[0-9a-fA-F]{1,2}$/,
};

/** Where the character in quotes before the one at `s` starts, or -1. */
function quotedBefore(text: string, s: number, quote: number, escaped: boolean): number {
  let p = s - 1;
  for (let n = 0; n < 16 && p > 0; n++) {
    const c = text.charCodeAt(p);
    if (c === 32 || c === 10 || c === 13 || c === 9) p--;
    else if (
      escapeLetter(c) && text.charCodeAt(p - 1) === 92 &&
      text.charCodeAt(p - 2) !== 92
    ) p -= 2;
    else break;
  }
  if (text.charCodeAt(p) !== 44) return -1;
  const start = p - (escaped ? 5 : 3);
  return start >= 0 && quotedCharEnd((k) => text.charCodeAt(k), start, quote, escaped) === p
    ? start
    : -1;
}

/** Whether the character at `c` may be one of those joined: printable, no space. */
function isPayload(text: string, c: number): boolean {
  const code = text.charCodeAt(c);
  return code > 32 && code < 127;
}

/** Where the line after the one `at` is on starts, if within `MAX_GAP`. */
function lineAfter(text: string, at: number): number | undefined {
  const to = Math.min(text.length, at + MAX_GAP);
  for (let i = at; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) return i + 1;
    if (c !== 92) continue;
    const step = breakAt(text, i, true) || deepBreakAt(text, i);
    if (step > 0) return i + step;
  }
  return undefined;
}

/**
 * The length of a line break escaped twice at `i` (`\\\\n`: lines of a dump in a JSON
 * string inside another, a notebook's cell output in a request), or 0.
 */
function deepBreakAt(text: string, i: number): number {
  return text.charCodeAt(i) === 92 && text.charCodeAt(i + 1) === 92 &&
      text.charCodeAt(i + 2) === 110 && backslashesBefore(text, i) % 2 === 0
    ? 3
    : 0;
}

/** A copy of `bytes` with each group of `width` hex digits reversed (`od -x`, `hexdump`: little-endian words). */
function swapped(bytes: Uint8Array, width: number): Uint8Array {
  const size = width / 2;
  const out = bytes.slice();
  for (let g = 0; g < out.length; g += size) {
    // The last group may be short, and is reversed as shown (`xxd -e` ends a file of
    // 53 bytes with `0a35`: two bytes, not padded to four as `od -tx4` pads them).
    const n = Math.min(size, out.length - g);
    for (let i = 0; i < n; i++) out[g + i] = bytes[g + n - 1 - i]!;
  }
  return out;
}
