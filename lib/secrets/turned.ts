/**
 * @module
 * A token turned around so that no pattern sees it: reversed, in ROT13 or both, its
 * letters shifted (a Caesar cipher), each character's code moved by one number, doubled
 * or with a character put between each of its own; and the heads of the prefixes that
 * tell where such a run may hold one (`turnedHeads`). Helpers of the decoding layer
 * (`decode.ts`), which reads each such run back.
 */

import { codeAt, isAlphanumeric } from "./chars.ts";
import type { Variant } from "./decode.ts";
import { DECODE_RADIUS, escapeRegExp } from "./keywords.ts";
import { ASCII } from "./printable.ts";
import { TOKEN_CHAR } from "./unescape.ts";

/** A run up to this long is also looked at part by part between slashes (a path's segments). */
export const SHORT_RUN = 512;

/**
 * The heads of token prefixes (`ghp_`, `akia`, `sk-`: their first three characters)
 * turned around, as `rev` and ROT13 (`tr A-Za-z N-ZA-Mn-za-m`) turn them: a reversed token
 * ends with its head reversed (`...phg`), a ROT13 one starts with its head in ROT13
 * (`tuc...`), one both reversed and in ROT13 ends with its head so (`...cut`); and as
 * written, which a token cut by marks starts with (see `cutToken`). Bit sets over
 * `headKey`, blind to case.
 */
export interface TurnedHeads {
  reversed: Uint8Array;
  rot13: Uint8Array;
  /** Reversed and in ROT13 (`rev | tr ...`), at a run's end. */
  both: Uint8Array;
  /**
   * Its letters shifted by any other number of places (a Caesar cipher, `tr a-z d-za-c`),
   * digits and marks as they are, at a run's start: the `shapeKey` of each prefix that has
   * one, and the first letter of each prefix of that shape (see `shiftedRuns`).
   */
  shapes: Map<number, number[]>;
  /**
   * Each character's code moved by one number (`chr(ord(c) + 1)`), marks too: the `codeKey`
   * of each prefix that has a shape (see `shapes`), and the prefixes of that key.
   */
  codes: Map<number, string[]>;
  /** The keys of `codes`, as a bit set (a look at each run: a map's cost an executable's scan 5%). */
  codeBits: Uint8Array;
  /** As written, at a run's start. */
  plain: Uint8Array;
  /** A whole prefix at the start of a text (sticky, blind to case): a head is only a sign. */
  prefix: RegExp;
  /** The prefixes it was made of. */
  prefixes: readonly string[];
  /** The length of the longest of them. */
  longest: number;
}

/** The fewest characters a run of doubled ones stands for: a short token's. */
export const MIN_DOUBLED = 16;

/**
 * Whether a filler may stand every other place from `at`'s first three characters on (see
 * `uninterleaved`): the same character two places apart, a look most runs fail.
 */
export function mayInterleave(run: string, at: number): boolean {
  const c3 = run.charCodeAt(at + 3);
  return run.charCodeAt(at + 1) === c3 || run.charCodeAt(at + 2) === run.charCodeAt(at + 4) ||
    c3 === run.charCodeAt(at + 5);
}

/** The fewest characters a run with one character put between each stands for: a short token's. */
export const MIN_INTERLEAVED = 16;

/**
 * The part `from`-`to` of `run` without the character put between each of its own
 * (`gXhXpX_XZ...`, a letter or a digit: with a mark, `g-h-p`, the characters are a dump's
 * joined, see keywords.ts), from its first, second or third character (one or two glued
 * on before: an escaped line break's `n`), when that one character stands at every other
 * place to its end and the others change three times or more; else undefined. Most runs
 * fail at their first pair of places from each start.
 */
export function uninterleaved(run: string, from: number, to: number): string | undefined {
  for (let o = from; o < from + 3; o++) {
    const filler = run.charCodeAt(o + 1);
    // A mark between them is a dump's separator (read there, as joined characters).
    if (!isAlphanumeric(filler)) continue;
    let i = o + 1;
    while (i < to && run.charCodeAt(i) === filler) i += 2;
    // The filler to the end: past it, or the last character is one kept.
    if (i < to - 1) continue;
    const kept = (to - o + 1) >> 1;
    if (kept < MIN_INTERLEAVED) continue;
    let changes = 0;
    for (let k = o + 2; k < to; k += 2) {
      if (run.charCodeAt(k) !== run.charCodeAt(k - 2)) changes++;
    }
    if (changes < 3) continue;
    let out = "";
    for (let k = o; k < to; k += 2) out += run[k];
    return out;
  }
  return undefined;
}

/**
 * `run` with each pair of like characters read once (`gghhpp__` is `ghp_`), from its first,
 * second or third character (one or two glued on before: a letter, an escaped line break's
 * `n`), when it is all pairs but for a character left over at its end, and the pairs change
 * three times or more (a rule of `////` is no token: making a set of its characters for
 * each such run had cost a scan of source code 7%); else undefined. Most runs fail at their
 * first pair from each place.
 */
export function undoubled(run: string): string | undefined {
  // From the third character only where the first pair is none: else the pairs from it
  // are those from the first, one fewer (a megabyte of `AAAA...`, base64 of zeros, was
  // read through three times).
  let first = true;
  for (let o = 0; o < 3; o++) {
    if (o === 2 && !first) break;
    let i = o;
    // Places where a pair differs from the one before: a rule of `////` has none.
    let changes = 0;
    while (i + 1 < run.length && run.charCodeAt(i) === run.charCodeAt(i + 1)) {
      if (i > o && run.charCodeAt(i) !== run.charCodeAt(i - 2)) changes++;
      i += 2;
    }
    if (o === 0) first = i === 0;
    // One character over and over, read from any place.
    if (o === 0 && i + 1 >= run.length && changes === 0) return undefined;
    if (i + 1 < run.length || (i - o) / 2 < MIN_DOUBLED || changes < 3) continue;
    let out = "";
    for (let k = o; k + 1 < run.length; k += 2) out += run[k];
    return out;
  }
  return undefined;
}

/** `text` reversed, a character at a time (as `rev` reverses a line). */
export function reverseText(text: string): string {
  return Array.from(text).reverse().join("");
}

/** ROT13 of an ASCII letter's code (any other code as it is). */
const ROT13 = Uint8Array.from(
  { length: 128 },
  (_, c) => c >= 65 && c <= 90 ? 65 + (c - 52) % 26 : c >= 97 && c <= 122 ? 97 + (c - 84) % 26 : c,
);

/** `text` in ROT13: ASCII letters moved 13 places, all else as it is (its own inverse). */
export function rot13(text: string): string {
  return text.replace(/[A-Za-z]/g, (c) => String.fromCharCode(ROT13[c.charCodeAt(0)]!));
}

/** The code of ASCII letter `c` moved `places` on (wrapping), or `c` if it is no letter. */
export function shiftCode(c: number, places: number): number {
  if (c >= 65 && c <= 90) return 65 + (c - 65 + places) % 26;
  if (c >= 97 && c <= 122) return 97 + (c - 97 + places) % 26;
  return c;
}

/** The furthest a prefix's first separator may be for its shape to be read (see `shapeKey`). */
const SHAPE_WIDTH = 8;

/**
 * A number for the shape, which shifting letters keeps, of the characters of `text` from
 * `at` up to its first separator (`_`, `-`, `.`, `~`; within `SHAPE_WIDTH`): each letter
 * by how far it is from the first (blind to case), each digit and the separator as they
 * are. -1 where the first is no letter, another character comes first, or no separator
 * does (`ghp_` and `jks_`, GitHub's prefix moved 3 on, have one shape; so do `github_`
 * and its shifts). Hashed to 30 bits, a small integer: the number itself, past 2^31 from
 * six characters on, was a double made anew and hashed as one for a look-up at each run
 * (8% of the scan of Python's source). Two shapes that meet in one number only cost a look
 * for a whole prefix that is not there.
 */
function shapeKey(text: string, at: number): number {
  const first = text.charCodeAt(at) | 0x20;
  if (first < 97 || first > 122) return -1;
  let key = 1;
  for (let i = at; i < at + SHAPE_WIDTH; i++) {
    const code = text.charCodeAt(i);
    const c = code | 0x20;
    if (c >= 97 && c <= 122) {
      key = (Math.imul(key, 41) + (c - first + 26) % 26) & 0x3fffffff;
      continue;
    }
    const v = code < 128 ? SHAPE_MARK[code]! : 0;
    if (v === 0) return -1;
    key = (Math.imul(key, 41) + v) & 0x3fffffff;
    if (v > 36) return key;
  }
  return -1;
}

/** A digit's or a separator's place in a `shapeKey` (0: neither). */
const SHAPE_MARK = (() => {
  const marks = new Uint8Array(128);
  for (let d = 0; d < 10; d++) marks[48 + d] = 27 + d;
  for (const [i, c] of [..."_-.~"].entries()) marks[c.charCodeAt(0)] = 37 + i;
  return marks;
})();

/**
 * What the part of `text` from `start` to `stop` reads as with its letters moved back,
 * where its first characters have the shape of a token's prefix (see `shapeKey`) and,
 * moved back by how far its first letter is from that prefix's, are the whole prefix
 * (`jks_Ct8O...`, a GitHub token moved 3 on): one reading for each such prefix (mostly
 * none). Read for tokens as it is, not decoded further (its marks taken out,
 * `vm_script_cached...` moved back read as a Fireworks key).
 */
function shiftedRuns(text: string, start: number, stop: number, heads: TurnedHeads): Variant[] {
  const out: Variant[] = [];
  const shape = shapeKey(text, start);
  const firsts = shape < 0 ? undefined : heads.shapes.get(shape);
  if (!firsts) return out;
  // The prefix is looked for in as many characters as the longest one has, moved back;
  // the whole part only where one is there. A shape of one letter and a mark (`x-`) is
  // in every `x-stainless-...` header's name, each glued to the rest of a request's
  // fields: moving all of them back, for both readings below, had taken a third of the
  // scan of a model request's headers.
  const head = Math.min(stop, start + heads.longest);
  const c0 = text.charCodeAt(start);
  const c1 = text.charCodeAt(start + 1);
  const c2 = text.charCodeAt(start + 2);
  for (const first of firsts) {
    const back = (first - (c0 | 0x20) + 26) % 26;
    if (back === 0 || back === 13) continue;
    // Every letter, then only those of the case the first three are written in (a
    // token of one case in text of both). The second is another reading only where the
    // first was not one: the two are the same where they start the same.
    let any = false;
    for (const only of [ANY_CASE, caseOf(c0, c1, c2)]) {
      if (only === MIXED_CASE) continue;
      if (!markedPrefixAt(heads.prefix, shiftedText(text, start, head, back, only))) continue;
      const shifted = shiftedText(text, start, stop, back, only);
      if (!any || shifted !== out[out.length - 1]!.text) {
        out.push({ text: shifted, encoding: "shifted", at: start });
      }
      any ||= only === ANY_CASE;
    }
  }
  return out;
}

/**
 * `text` from `start` to `stop` with its letters moved `back` places (all of them, or
 * only those of case `only`), as ASCII.
 */
function shiftedText(text: string, start: number, stop: number, back: number, only: number) {
  const codes = codesFor(stop - start);
  for (let i = start; i < stop; i++) {
    const c = text.charCodeAt(i) & 0x7f;
    codes[i - start] = only === ANY_CASE || only === (c >= 97 ? SMALL : CAPITAL)
      ? shiftCode(c, back)
      : c;
  }
  return textOfCodes(codes);
}

/**
 * Codes of a text made a character at a time, before it is one string: reused, and made
 * into a string at once. Bytes in a new `Uint8Array` each time, decoded, had cost most of
 * the time of reading a model request's headers shifted: short texts are made many times
 * over, and a typed array's allocation costs what moving a few hundred characters does.
 */
const CODES: number[] = [];

/** `CODES`, `length` long (its codes to be set). */
function codesFor(length: number): number[] {
  CODES.length = length;
  return CODES;
}

/** The text of `codes` (a flat string, as a decoder's; not one joined a piece at a time). */
function textOfCodes(codes: readonly number[]): string {
  if (codes.length <= APPLIED) return String.fromCharCode.apply(null, codes as number[]);
  const parts: string[] = [];
  for (let k = 0; k < codes.length; k += APPLIED) {
    parts.push(String.fromCharCode.apply(null, codes.slice(k, k + APPLIED)));
  }
  return parts.join("");
}

/** Codes made into a string in one call (arguments on the stack: far fewer than its limit). */
const APPLIED = 8192;

/**
 * A number for how the first three characters of `text` at `at` step from one to the
 * next, which moving each code by one number keeps (`ghp` and `hiq`: 1, then 8); -1 past
 * ASCII or the text's end.
 */
function codeKey(text: string, at: number): number {
  const a = text.charCodeAt(at);
  const b = text.charCodeAt(at + 1);
  const c = text.charCodeAt(at + 2);
  if (!(a < 128 && b < 128 && c < 128)) return -1; // (NaN past the end fails too.)
  return ((b - a + 128) << 8) | (c - b + 128);
}

/** How far before a run the start of its word is looked for (see `wordStart`). */
const WORD_BACK = 16;

/** Where `wordStart` last found a value to start in the word: past its last `=` or `:`. */
let valueStart = -1;

/**
 * Where the word that holds `at` starts: past the space, quote or character outside
 * printable ASCII before it, or a line break or tab escaped in a JSON string (`\\n`),
 * within `WORD_BACK`; `at` itself where there is none so near (a run in a long word: the
 * word was read where its own run starts). Sets `valueStart` (within that reach too), or
 * -1 for none.
 */
function wordStart(text: string, at: number): number {
  valueStart = -1;
  // Most runs start a word: the character before is a space or a quote.
  const before = text.charCodeAt(at - 1);
  if (!(before > 32 && before < 127 && before !== 34 && before !== 39)) return at;
  for (let i = at - 1; i >= at - WORD_BACK; i--) {
    if (i < 0) return 0;
    const c = text.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 34 || c === 39) return i + 1;
    if ((c === 110 || c === 116 || c === 114) && text.charCodeAt(i - 1) === 92) return i + 1;
    if ((c === 61 || c === 58) && valueStart < 0 && i + 1 < at) valueStart = i + 1;
  }
  return at;
}

/** `codesShifted` at `start` where its `codeKey` is a prefix's, added to `out`. */
function codesShiftedAt(
  text: string,
  start: number,
  heads: TurnedHeads,
  out: Variant[] | undefined,
): Variant[] | undefined {
  const key = codeKey(text, start);
  if (key < 0 || (heads.codeBits[key >> 3]! & (1 << (key & 7))) === 0) return out;
  for (const v of codesShifted(text, start, heads)) (out ??= []).push(v);
  return out;
}

/**
 * What the word from `start` reads as with each character's code moved back by how far
 * its first is from a prefix's of its `codeKey` (see `TurnedHeads.codes`), where that
 * reading starts with a whole prefix: up to a window's reach, or the first character that
 * moved back is no printable ASCII.
 */
function codesShifted(text: string, start: number, heads: TurnedHeads): Variant[] {
  const out: Variant[] = [];
  for (const prefix of heads.codes.get(codeKey(text, start)) ?? []) {
    const back = text.charCodeAt(start) - prefix.charCodeAt(0);
    if (back === 0) continue;
    // The whole prefix first, blind to case (words of three letters share a key with one:
    // `rust`, `func` in an executable's names).
    let whole = true;
    for (let i = 1; whole && i < prefix.length; i++) {
      whole = ((text.charCodeAt(start + i) - back) | 0x20) === (prefix.charCodeAt(i) | 0x20);
    }
    if (!whole) continue;
    const end = Math.min(text.length, start + DECODE_RADIUS);
    const bytes = new Uint8Array(end - start);
    let n = 0;
    for (; start + n < end; n++) {
      const c = text.charCodeAt(start + n);
      const moved = c - back;
      if (c <= 32 || c >= 127 || moved <= 32 || moved >= 127) break;
      bytes[n] = moved;
    }
    const moved = ASCII.decode(bytes.subarray(0, n));
    if (startsWith(heads.prefix, moved)) {
      out.push({ text: moved, encoding: "codes-shifted", at: start });
    }
  }
  return out;
}

const ANY_CASE = 0;

const SMALL = 1;

const CAPITAL = 2;

const MIXED_CASE = 3;

/** Whether the letters among codes `a`, `b`, `c` are all small, all capitals, or mixed. */
function caseOf(a: number, b: number, c: number): number {
  let seen = 0;
  for (const code of [a, b, c]) {
    if (code >= 97 && code <= 122) seen |= SMALL;
    else if (code >= 65 && code <= 90) seen |= CAPITAL;
  }
  return seen === 0 ? MIXED_CASE : seen;
}

/**
 * The part of `run` (ASCII) from `from` to `to`, turned: reversed, in ROT13 or both. Made
 * flat at once (codes, or bytes decoded, as decoded runs are): a string made otherwise
 * (joined a character at a time, replaced) had the survey that reads it made slower for
 * every text after.
 */
export function turnedText(
  run: string,
  from: number,
  to: number,
  reversed: boolean,
  rot13: boolean,
): string {
  // A window's worth (most): its codes (see `CODES`); a long run: its bytes, decoded.
  if (to - from <= APPLIED) {
    const codes = codesFor(to - from);
    for (let i = from; i < to; i++) {
      const c = run.charCodeAt(i) & 0x7f;
      codes[reversed ? to - 1 - i : i - from] = rot13 ? ROT13[c]! : c;
    }
    return textOfCodes(codes);
  }
  const bytes = new Uint8Array(to - from);
  for (let i = from; i < to; i++) {
    const c = run.charCodeAt(i) & 0x7f;
    bytes[reversed ? to - 1 - i : i - from] = rot13 ? ROT13[c]! : c;
  }
  return ASCII.decode(bytes);
}

/**
 * A number (16 bits: a place in a bit set of 8 KiB) for the three characters of `text` at
 * `at`, blind to case. Their 21 bits are hashed down: two heads that meet in one place
 * only cost a window turned back and a look for a whole prefix in it.
 */
function headKey(text: string, at: number): number {
  return headKeyOf(text.charCodeAt(at), text.charCodeAt(at + 1), text.charCodeAt(at + 2));
}

/** `headKey` of three characters' codes. */
function headKeyOf(a: number, b: number, c: number): number {
  const key = ((a | 0x20) & 0x7f) << 14 | ((b | 0x20) & 0x7f) << 7 | ((c | 0x20) & 0x7f);
  return Math.imul(key, 0x9e3779b1) >>> 16;
}

/** The size of a bit set of heads: one bit for each `headKey`. */
const HEAD_BYTES = 1 << 13;

/** Whether bit set `bits` holds the `headKey` of `text` at `at`. */
export function hasHead(bits: Uint8Array, text: string, at: number): boolean {
  const key = headKey(text, at);
  return (bits[key >> 3]! & (1 << (key & 7))) !== 0;
}

/**
 * The `TurnedHeads` of `prefixes` (letters, digits, `_` and `-`; three characters or
 * more), less heads of one character three times (`---`, `aaa`: a run of dashes, base64
 * of zero bytes; no sign of a token), and those of `base`.
 */
export function turnedHeads(prefixes: Iterable<string>, base?: TurnedHeads): TurnedHeads {
  const reversed = base ? base.reversed.slice() : new Uint8Array(HEAD_BYTES);
  const turned = base ? base.rot13.slice() : new Uint8Array(HEAD_BYTES);
  const both = base ? base.both.slice() : new Uint8Array(HEAD_BYTES);
  const plain = base ? base.plain.slice() : new Uint8Array(HEAD_BYTES);
  const shapes = new Map<number, number[]>(
    base ? [...base.shapes].map(([k, v]) => [k, [...v]]) : [],
  );
  const codes = new Map<number, string[]>(
    base ? [...base.codes].map(([k, v]) => [k, [...v]]) : [],
  );
  const codeBits = base ? base.codeBits.slice() : new Uint8Array(HEAD_BYTES);
  const whole: string[] = base ? [...base.prefixes] : [];
  const set = (bits: Uint8Array, head: string) => {
    const key = headKey(head, 0);
    bits[key >> 3]! |= 1 << (key & 7);
  };
  for (const prefix of prefixes) {
    if (!turnable(prefix)) continue;
    const head = prefix.slice(0, 3);
    set(reversed, reverseText(head));
    set(turned, rot13(head));
    set(both, rot13(reverseText(head)));
    set(plain, head);
    // Only a prefix with a separator among its first characters: shifted, a prefix of
    // letters alone is a word's as often (`IEEE` moved 4 back is Square's `EAAA`), and a
    // shape of letters and digits alone is in every run of base64.
    const shape = shapeKey(prefix, 0);
    if (shape >= 0) {
      const firsts = shapes.get(shape) ?? [];
      const first = prefix.charCodeAt(0) | 0x20;
      if (!firsts.includes(first)) firsts.push(first);
      shapes.set(shape, firsts);
      const key = codeKey(prefix, 0);
      const byCode = codes.get(key) ?? [];
      if (!byCode.includes(prefix)) byCode.push(prefix);
      codes.set(key, byCode);
      codeBits[key >> 3]! |= 1 << (key & 7);
    }
    whole.push(prefix);
  }
  const prefix = whole.toSorted((a, b) => b.length - a.length)
    .map(escapeRegExp).join("|");
  return {
    reversed,
    rot13: turned,
    both,
    plain,
    shapes,
    codes,
    codeBits,
    prefix: new RegExp(`(?:${prefix})`, "iy"),
    prefixes: whole,
    longest: Math.max(0, ...whole.map((p) => p.length)),
  };
}

/**
 * Whether a token starting with `prefix` is looked for turned around (see `turnedHeads`):
 * not one whose head is a character three times. A head of two characters (Slack's
 * `xox`, PyPI's `pyp`, Notion's `ntn`) is a sign as good as any.
 */
export function turnable(prefix: string): boolean {
  return /^[A-Za-z0-9_-]{3}/.test(prefix) && new Set(prefix.slice(0, 3).toLowerCase()).size > 1;
}

/** Whether sticky `pattern` matches at the start of `text`. */
export function startsWith(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(text);
}

/** Whether `text` starts with a prefix of `pattern`'s that holds a digit or a mark (see `shiftedRuns`). */
function markedPrefixAt(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0;
  const m = pattern.exec(text);
  return m !== null && /[^a-z]/i.test(m[0]);
}

/**
 * Tokens turned around in `text` from `from` to `to` (a run made of fields glued
 * together) that start or end at one of `edges` (where fields meet, in order): a token
 * turned, then cut into pieces sent as fields of their own, ends at a field's end
 * reversed, or starts at a field's start in ROT13, whatever the fields around it glue on.
 */
export function turnedAtEdges(
  text: string,
  from: number,
  to: number,
  edges: readonly number[],
  heads: TurnedHeads,
): Variant[] {
  const out: Variant[] = [];
  for (const edge of edges) {
    if (edge - from >= MIN_TURNED && edge <= to) {
      for (const rot of [false, true]) {
        if (!hasHead(rot ? heads.both : heads.reversed, text, edge - 3)) continue;
        const at = Math.max(from, edge - DECODE_RADIUS);
        const turned = turnedText(text, at, edge, true, rot);
        if (startsWith(heads.prefix, turned)) {
          out.push({ text: turned, encoding: rot ? "reversed-rot13" : "reversed", at });
        }
      }
    }
    if (edge >= from && to - edge >= MIN_TURNED && hasHead(heads.rot13, text, edge)) {
      const turned = turnedText(text, edge, Math.min(to, edge + DECODE_RADIUS), false, true);
      if (startsWith(heads.prefix, turned)) out.push({ text: turned, encoding: "rot13", at: edge });
    }
    if (edge >= from && to - edge >= MIN_TURNED) {
      out.push(...shiftedRuns(text, edge, Math.min(to, edge + DECODE_RADIUS), heads));
    }
  }
  return out;
}

/** The shortest part of a run a turned token is looked for in: as short as a token is. */
const MIN_TURNED = 16;

/**
 * Where a token turned around reaches past its run's edge at `edge` of `text`, going
 * `step` (-1: back, 1: on): across up to two dots and the runs after them, as a JWT
 * (`header.payload.signature`) is written, `DOTTED_REACH` at most. A token's head is in
 * one run; the rest may be in the runs a dot away. Read from the outer run of a stretch
 * only (the last, reversed; the first, in ROT13), over two dots at most: a body of runs
 * and dots is read about once more, not a reach's length a run. (A prefix with a dot in
 * it, `hvb.`, is not looked for turned around: its head's run is too short.)
 */
export function pastDots(text: string, edge: number, step: -1 | 1): number {
  const back = step < 0 ? 1 : 0;
  const limit = edge + step * DOTTED_REACH;
  let reach = edge;
  for (let dots = 0; dots < 2 && text.charCodeAt(reach - back) === 46; dots++) {
    const dot = reach + step;
    let p = dot;
    while (
      (step < 0 ? p > limit : p < limit) && TOKEN_CHAR[codeAt(text, p - back)] === 1 &&
      text.charCodeAt(p - back) !== 46
    ) p += step;
    reach = p;
    // A dot with no run past it ends the reach (an unsigned JWT ends so).
    if (p === dot) break;
  }
  return reach;
}

/** Whether a dot at `at` of `text` joins a run on its `step` side (-1: before it, 1: after). */
function dotJoins(text: string, at: number, step: -1 | 1): boolean {
  const next = text.charCodeAt(at + step);
  return text.charCodeAt(at) === 46 && next !== 46 && TOKEN_CHAR[next] === 1;
}

/** How far past its run a token turned around is read (`pastDots`): a long JWT's length. */
const DOTTED_REACH = 4096;

/**
 * Tokens turned around in `run`, at `from` in `text` (see `TurnedHeads`):
 * where it, or in a short run a part of it between slashes, ends with a reversed head,
 * what leads up to there (a window's reach) reversed; where one starts with a ROT13 head,
 * what follows in ROT13; from the run's own edge, the runs a dot away too (`pastDots`). A
 * look at each end, so the cost is per run, not per character.
 */
export function turnedRuns(
  text: string,
  run: string,
  from: number,
  heads: TurnedHeads,
  escaped: boolean,
): Variant[] | undefined {
  let out: Variant[] | undefined;
  const to = from + run.length;
  const parts = run.length <= SHORT_RUN;
  // After a backslash, the run's first letter is an escape's (`\n` in a JSON string: a
  // line of a command's output), not the token's.
  const first = from + (escaped ? 1 : 0);
  // Each character's code moved by one number (`chr(ord(c) + 1)`): a token's marks, and a
  // few of its letters and digits, move off the alphabet of runs (`ghp_` 1 on is `hiq` and a
  // backquote),
  // so that a run may start past its prefix: read from the start of the word the run is
  // in too (see `wordStart`).
  out = codesShiftedAt(text, first, heads, out);
  const word = wordStart(text, first);
  const value = valueStart;
  if (word !== first) out = codesShiftedAt(text, word, heads, out);
  // And past the last `=` or `:` in it (`TOKEN=hiq...`).
  if (value >= 0 && value !== word) out = codesShiftedAt(text, value, heads, out);
  for (let start = first; start < to;) {
    const slash = parts ? run.indexOf("/", start - from) : -1;
    const end = slash === -1 ? to : from + slash;
    if (end - start >= MIN_TURNED) {
      for (const rot of [false, true]) {
        if (!hasHead(rot ? heads.both : heads.reversed, text, end - 3)) continue;
        let at = Math.max(start, end - DECODE_RADIUS);
        // From the last run of a dotted stretch only (a reversed JWT's header), so that a
        // stretch of many is read once, not once a run; a sentence's full stop after it
        // joins no run.
        if (at === from && !dotJoins(text, to, 1)) at = pastDots(text, at, -1);
        const turned = turnedText(text, at, end, true, rot);
        if (startsWith(heads.prefix, turned)) {
          (out ??= []).push({ text: turned, encoding: rot ? "reversed-rot13" : "reversed", at });
        }
      }
      if (hasHead(heads.rot13, text, start)) {
        let stop = Math.min(end, start + DECODE_RADIUS);
        if (stop === to && !dotJoins(text, from - 1, -1)) stop = pastDots(text, stop, 1);
        const turned = turnedText(text, start, stop, false, true);
        if (startsWith(heads.prefix, turned)) {
          (out ??= []).push({ text: turned, encoding: "rot13", at: start });
        }
      }
      if (heads.shapes.has(shapeKey(text, start))) {
        let stop = Math.min(end, start + DECODE_RADIUS);
        if (stop === to && !dotJoins(text, from - 1, -1)) stop = pastDots(text, stop, 1);
        for (const v of shiftedRuns(text, start, stop, heads)) (out ??= []).push(v);
      }
    }
    start = end + 1;
  }
  return out;
}
