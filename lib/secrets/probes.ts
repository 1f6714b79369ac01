/**
 * @module
 * The survey's probes for text written out character by character (`dumpsIn`): a hex
 * dump's stretches, characters spaced out (`od -c`, `g h p _`), joined by a separator
 * (`g,h,p`, `g-h.p _/Z`), listed in quotes (`['g', 'h', 'p']`) or a code a line
 * (`for c in t: print(ord(c))`). Three characters are looked at every `DUMP_STRIDE`, each
 * slice just after the survey's pass over it (`keywords.ts`), while it is in the cache.
 */

import type { Pass } from "./keywords.ts";

/**
 * `String.prototype.charCodeAt`, called as `codeOf.call(text, i)` (see `chars.ts`): this
 * module's own constant, as one imported is not folded into the loops compiled here.
 */
const codeOf = String.prototype.charCodeAt;

/** The shortest stretch of a hex dump's characters `Survey.dumps` holds: eight bytes as `hh `. */
export const MIN_DUMP = 32;

/** How far past a place the survey looks to tell text spaced out (see `dumpsIn`). */
const SPACED_REACH = 17;

/**
 * Characters from one three looked at (see `dumpsInText`) to the next: a stretch of
 * `MIN_DUMP` holds three. 29, not 30: lines that repeat every 5, 6, 10, 15 or 30
 * characters (`fold -w 5 | cat -n` in a JSON string: 15 with its prefix and its break;
 * `fold -w 2` quoted with `> `: 5) had each probe fall at the same place of every line,
 * where at some alignments it met their prefix each time, and a block of narrow lines
 * passed (232 of the evasion grid's 1,050 prefixed texts; 73 at 29). At 29, each probe
 * falls one character earlier in such a line than the last. With the narrow lines' test
 * that reads on past what follows a break (see `NARROW`), a scan of source code took 2-3%
 * longer, by turns in one process.
 */
const DUMP_STRIDE = MIN_DUMP - 3;

/**
 * By code: 1 for a character a line of a hex dump is made of, before the text it shows
 * (if any); 2 more for a space; 4 for one that may join single characters (see
 * `joinedFrom`): no letter, digit or space, or a tab or a line break; 8 for a quote; 16
 * for a digit; 32 for what starts a line break (`\n`, `\r`, or a backslash: an escaped one);
 * 64 for what a number a line may be written with (a hex digit, the `x` of `0x`); 128 for
 * a mark that may join single characters, changing from one to the next (`g-h.p _/Z-q`,
 * as DLP evasion suites put in; see `mixedFrom`): a space, `-`, `.`, `/`, `,`, `:`, `;`
 * and `|`.
 */
export const DUMP_CHAR = Uint8Array.from(
  { length: 256 },
  (_, c) =>
    +/[0-9a-fA-FxX :,]/.test(String.fromCharCode(c)) | (c === 32 ? 2 : 0) |
    (c === 9 || c === 10 || (c > 32 && c < 127 && !/[A-Za-z0-9]/.test(String.fromCharCode(c)))
      ? 4
      : 0) |
    (c === 34 || c === 39 ? 8 : 0) | (c >= 48 && c <= 57 ? 16 : 0) |
    (c === 10 || c === 13 || c === 92 ? 32 : 0) |
    (/[0-9a-fA-FxX]/.test(String.fromCharCode(c)) ? 64 : 0) |
    (" -./,:;|".includes(String.fromCharCode(c)) ? 128 : 0),
);

/**
 * Adds to `pass.dumps` the stretches of a hex dump's characters (`MIN_DUMP` or more)
 * reached by `to`. Looks at three characters in a row every `DUMP_STRIDE` from
 * `pass.dumpProbe` on (a stretch that long holds one such three), and only where all
 * three are a dump's at the characters around them. Called for each slice after its
 * pass, while it is in the cache. Source code is two fifths such characters, a few at a
 * time: a test of one character at a time branches either way as often, and a pass of
 * its own over a megabyte, read from memory, had cost a twentieth of a scan.
 *
 * At each such place it also tells text spaced out, joined, listed in quotes or a number
 * a line (see `spacedFrom`, `joinedFrom`, `quotedFrom`, `mixedFrom`, `numbersFrom`):
 * first from the few characters around the place, read here (each of those functions
 * fails at once without them), and only then by a call. `dumpsInBytes` is the same loop
 * over bytes. Two loops, each reading one kind: one reading either kind, and the checks
 * each made by a call, had the probes a fifth of a scan of source code; a loop that
 * has read strings slows at bytes too.
 */
export function dumpsInText(text: string, to: number, pass: Pass): void {
  const length = text.length;
  const get = (k: number) => codeOf.call(text, k);
  // Where the run the pass has not ended yet started (see the narrow lines below).
  const openRun = to - pass.run;
  let i = pass.dumpProbe;
  for (; i < to && i + 2 < length; i += DUMP_STRIDE) {
    const ca = codeOf.call(text, i);
    const cb = codeOf.call(text, i + 1);
    const cc = codeOf.call(text, i + 2);
    const a = ca < 256 ? DUMP_CHAR[ca]! : 0;
    const b = cb < 256 ? DUMP_CHAR[cb]! : 0;
    const c = cc < 256 ? DUMP_CHAR[cc]! : 0;
    // A stretch of 32 holds the three and the 15 characters after them or before them.
    if (
      (a & b & c & 1) !== 0 &&
      (((DUMP_CHAR[codeOf.call(text, i + 3)] ?? 0) & (DUMP_CHAR[codeOf.call(text, i + 10)] ?? 0) &
            (DUMP_CHAR[codeOf.call(text, i + 17)] ?? 0) & 1) !== 0 ||
        ((DUMP_CHAR[codeOf.call(text, i - 1)] ?? 0) & (DUMP_CHAR[codeOf.call(text, i - 8)] ?? 0) &
            (DUMP_CHAR[codeOf.call(text, i - 15)] ?? 0) & 1) !== 0)
    ) {
      const end = dumpFrom(text, undefined, 0, i, length, pass);
      if (end >= 0) {
        i = end - DUMP_STRIDE + 1;
        continue;
      }
    } else {
      // A narrow dump's line (see `narrowFrom`): a stretch of 12 around the three reaches
      // five places past them or before them; or, a line break among them, the three
      // before them are a dump's (lines of 15 with their breaks, as a JSON string inside
      // another holds `od -An -w4 -tx1`, put every other one at the probe's place). Where
      // the test above fails, the stretch is shorter than `MIN_DUMP`: `dumpFrom` reads it
      // as such a line.
      const k = (a & b & c & 1) !== 0
        ? ((DUMP_CHAR[codeOf.call(text, i + 3)] ?? 0) & (DUMP_CHAR[codeOf.call(text, i + 7)] ?? 0) &
                1) !== 0 ||
            ((DUMP_CHAR[codeOf.call(text, i - 1)] ?? 0) &
                (DUMP_CHAR[codeOf.call(text, i - 5)] ?? 0) & 1) !== 0
          ? i
          : -1
        : ((a | b | c) & 32) !== 0 &&
            ((DUMP_CHAR[codeOf.call(text, i - 3)] ?? 0) &
                (DUMP_CHAR[codeOf.call(text, i - 4)] ?? 0) &
                (DUMP_CHAR[codeOf.call(text, i - 5)] ?? 0) & 1) !== 0
        ? i - 5
        : -1;
      const end = k >= 0 ? dumpFrom(text, undefined, 0, k, length, pass) : -1;
      if (end >= 0) {
        i = end - DUMP_STRIDE + 1;
        continue;
      }
    }
    const any = a | b | c;
    // Spaced out: a space among the three there, not four in a row (indentation), then
    // see `spacedFrom` (spaces four places after the first, and eight after it or, in a
    // line of few cells, `od -w5 -c`, four before it) and `spacedThirds` (two spaces three
    // places after the first two).
    if (
      (any & 2) !== 0 && i + SPACED_REACH < length &&
      ((a & b & c & 2) === 0 || ((DUMP_CHAR[codeOf.call(text, i + 3)] ?? 0) & 2) === 0)
    ) {
      const k = (a & 2) !== 0 ? i : (b & 2) !== 0 ? i + 1 : i + 2;
      const pair = (a & b & 2) !== 0 ? i : (b & c & 2) !== 0 ? i + 1 : i + 2;
      if (
        (((DUMP_CHAR[codeOf.call(text, k + 4)] ?? 0) &
              ((DUMP_CHAR[codeOf.call(text, k + 8)] ?? 0) |
                (DUMP_CHAR[codeOf.call(text, k - 4)] ?? 0)) &
              2) !== 0 &&
          spacedFrom(text, undefined, 0, i, a, b)) ||
        ((a & 2) + (b & 2) + (c & 2) === 4 &&
          ((DUMP_CHAR[codeOf.call(text, pair + 3)] ?? 0) &
              (DUMP_CHAR[codeOf.call(text, pair + 4)] ?? 0) & 2) !== 0 &&
          spacedThirds(text, undefined, 0, i))
      ) pass.spaced.push(i);
    }
    // Joined: a separator at the probe or just after it, again six places on (see
    // `joinedFrom`).
    if (
      (((a & 4) !== 0 && codeOf.call(text, i + 6) === ca) ||
        ((b & 4) !== 0 && codeOf.call(text, i + 7) === cb) ||
        ((c & 4) !== 0 && codeOf.call(text, i + 8) === cc)) &&
      joinedFrom(text, undefined, 0, i)
    ) pass.joined.push(i);
    // Listed in quotes: a quote there, and the same two or three places from it.
    else if (
      (any & 8) !== 0 &&
      (quoteNear(ca, get(i - 3), get(i - 2), get(i + 2), get(i + 3)) ||
        quoteNear(cb, get(i - 2), get(i - 1), get(i + 3), get(i + 4)) ||
        quoteNear(cc, get(i - 1), ca, get(i + 4), get(i + 5))) &&
      quotedFrom(text, undefined, 0, i)
    ) pass.joined.push(i);
    // Joined by marks that change (`g-h.p _/Z`; see `mixedFrom`): a space or other mark
    // every other place, four times from one of the first two here.
    else if (
      ((a & 128) !== 0
        ? (b & 6) === 0 &&
          (c & (DUMP_CHAR[codeOf.call(text, i + 4)] ?? 0) &
              (DUMP_CHAR[codeOf.call(text, i + 6)] ?? 0) & 128) !== 0
        : (b & 128) !== 0 && (c & 6) === 0 &&
          ((DUMP_CHAR[codeOf.call(text, i + 3)] ?? 0) & (DUMP_CHAR[codeOf.call(text, i + 5)] ?? 0) &
              (DUMP_CHAR[codeOf.call(text, i + 7)] ?? 0) & 128) !==
            0) &&
      mixedFrom(text, undefined, 0, i)
    ) pass.joined.push(i);
    // Numbers one a line (`for c in t: print(ord(c))`): a digit among the three, or a line
    // break and then a digit within two more (`f\\n0x60`, `\\r\\n1`, `\\n  95`). Each
    // place of a line should show one: all do but `n  ` in `\\n  95` (two-digit codes
    // alone, right-aligned, in a JSON string), where the next probe falls a place earlier
    // (see `DUMP_STRIDE`; at 30, on that place of every line). Breaks alone, a backslash in
    // every escape of a JSON string, had cost a scan of source code 5%.
    else if (
      ((any & 16) !== 0 && numberBreaks(text, undefined, 0, i)) ||
      ((any & 32) !== 0 &&
        (((DUMP_CHAR[codeOf.call(text, i + 3)] ?? 0) | (DUMP_CHAR[codeOf.call(text, i + 4)] ?? 0)) &
            16) !== 0)
    ) {
      if (numbersFrom(get, i)) pass.joined.push(i);
    }
    // Narrow lines (`fold -w 5`, `base64 -w 8`; see `narrowProbe`): what a narrow line
    // holds up to a line break's first character, or to the third (see `NARROW`).
    // Or they are in a line's number (see `inLineNumber`).
    if (
      ((ca < 256 && cb < 256 && cc < 256 &&
        ((NARROW[ca]! >> 1) |
            (NARROW[ca]! & ((NARROW[cb]! >> 1) | (NARROW[cb]! & NARROW[cc]!)) & 1)) !==
          0) ||
        inLineNumber(get, i, ca, cb, cc)) &&
      narrowProbe(text, undefined, 0, get, i, openRun, pass)
    ) pass.joined.push(i);
  }
  pass.dumpProbe = i;
}

/**
 * `dumpsInText` over the UTF-8 of the text, for a slice of ASCII: character `i` is byte
 * `i + shift`. Before and after the slice that holds up to the nearest character past
 * ASCII, whose bytes are no dump's: a stretch reaching it ends there either way.
 */
export function dumpsInBytes(bytes: Uint8Array, shift: number, to: number, pass: Pass): void {
  const length = bytes.length - shift;
  const get = (k: number) => bytes[k + shift] ?? -1;
  const openRun = to - pass.run;
  let i = pass.dumpProbe;
  for (; i < to && i + 2 < length; i += DUMP_STRIDE) {
    const j = i + shift;
    const ca = bytes[j]!;
    const cb = bytes[j + 1]!;
    const cc = bytes[j + 2]!;
    const a = DUMP_CHAR[ca]!;
    const b = DUMP_CHAR[cb]!;
    const c = DUMP_CHAR[cc]!;
    if (
      (a & b & c & 1) !== 0 &&
      (((DUMP_CHAR[bytes[j + 3]!] ?? 0) & (DUMP_CHAR[bytes[j + 10]!] ?? 0) &
            (DUMP_CHAR[bytes[j + 17]!] ?? 0) & 1) !== 0 ||
        ((DUMP_CHAR[bytes[j - 1]!] ?? 0) & (DUMP_CHAR[bytes[j - 8]!] ?? 0) &
            (DUMP_CHAR[bytes[j - 15]!] ?? 0) & 1) !== 0)
    ) {
      const end = dumpFrom("", bytes, shift, i, length, pass);
      if (end >= 0) {
        i = end - DUMP_STRIDE + 1;
        continue;
      }
    } else {
      const k = (a & b & c & 1) !== 0
        ? ((DUMP_CHAR[bytes[j + 3]!] ?? 0) & (DUMP_CHAR[bytes[j + 7]!] ?? 0) & 1) !== 0 ||
            ((DUMP_CHAR[bytes[j - 1]!] ?? 0) & (DUMP_CHAR[bytes[j - 5]!] ?? 0) & 1) !== 0
          ? i
          : -1
        : ((a | b | c) & 32) !== 0 &&
            ((DUMP_CHAR[bytes[j - 3]!] ?? 0) & (DUMP_CHAR[bytes[j - 4]!] ?? 0) &
                (DUMP_CHAR[bytes[j - 5]!] ?? 0) & 1) !==
              0
        ? i - 5
        : -1;
      const end = k >= 0 ? dumpFrom("", bytes, shift, k, length, pass) : -1;
      if (end >= 0) {
        i = end - DUMP_STRIDE + 1;
        continue;
      }
    }
    const any = a | b | c;
    if (
      (any & 2) !== 0 && i + SPACED_REACH < length &&
      ((a & b & c & 2) === 0 || ((DUMP_CHAR[bytes[j + 3]!] ?? 0) & 2) === 0)
    ) {
      const k = (a & 2) !== 0 ? j : (b & 2) !== 0 ? j + 1 : j + 2;
      const pair = (a & b & 2) !== 0 ? j : (b & c & 2) !== 0 ? j + 1 : j + 2;
      if (
        (((DUMP_CHAR[bytes[k + 4]!] ?? 0) &
              ((DUMP_CHAR[bytes[k + 8]!] ?? 0) | (DUMP_CHAR[bytes[k - 4]!] ?? 0)) & 2) !== 0 &&
          spacedFrom("", bytes, shift, i, a, b)) ||
        ((a & 2) + (b & 2) + (c & 2) === 4 &&
          ((DUMP_CHAR[bytes[pair + 3]!] ?? 0) & (DUMP_CHAR[bytes[pair + 4]!] ?? 0) & 2) !== 0 &&
          spacedThirds("", bytes, shift, i))
      ) pass.spaced.push(i);
    }
    if (
      (((a & 4) !== 0 && bytes[j + 6] === ca) || ((b & 4) !== 0 && bytes[j + 7] === cb) ||
        ((c & 4) !== 0 && bytes[j + 8] === cc)) &&
      joinedFrom("", bytes, shift, i)
    ) pass.joined.push(i);
    else if (
      (any & 8) !== 0 &&
      (quoteNear(ca, get(i - 3), get(i - 2), get(i + 2), get(i + 3)) ||
        quoteNear(cb, get(i - 2), get(i - 1), get(i + 3), get(i + 4)) ||
        quoteNear(cc, get(i - 1), ca, get(i + 4), get(i + 5))) &&
      quotedFrom("", bytes, shift, i)
    ) pass.joined.push(i);
    else if (
      ((a & 128) !== 0
        ? (b & 6) === 0 &&
          (c & (DUMP_CHAR[bytes[j + 4]!] ?? 0) & (DUMP_CHAR[bytes[j + 6]!] ?? 0) & 128) !== 0
        : (b & 128) !== 0 && (c & 6) === 0 &&
          ((DUMP_CHAR[bytes[j + 3]!] ?? 0) & (DUMP_CHAR[bytes[j + 5]!] ?? 0) &
              (DUMP_CHAR[bytes[j + 7]!] ?? 0) & 128) !==
            0) &&
      mixedFrom("", bytes, shift, i)
    ) pass.joined.push(i);
    else if (
      ((any & 16) !== 0 && numberBreaks("", bytes, shift, i)) ||
      ((any & 32) !== 0 &&
        (((DUMP_CHAR[bytes[j + 3]!] ?? 0) | (DUMP_CHAR[bytes[j + 4]!] ?? 0)) & 16) !== 0)
    ) {
      if (numbersFrom(get, i)) pass.joined.push(i);
    }
    if (
      (((NARROW[ca]! >> 1) |
            (NARROW[ca]! & ((NARROW[cb]! >> 1) | (NARROW[cb]! & NARROW[cc]!)) & 1)) !==
          0 ||
        inLineNumber(get, i, ca, cb, cc)) &&
      narrowProbe("", bytes, shift, get, i, openRun, pass)
    ) pass.joined.push(i);
  }
  pass.dumpProbe = i;
}

/**
 * Whether the three at `i` (`a`, `b`, `c`) are in a line's number that a narrow line's
 * prefix ends with, which the narrow lines' test (see `NARROW`) turns down, as it does a
 * space in code: the `: ` after it (`awk '{print NR": "$0}'`), or the spaces before it
 * (`cat -n`'s `     12\t`).
 */
function inLineNumber(
  get: (k: number) => number,
  i: number,
  a: number,
  b: number,
  c: number,
): boolean {
  return b === 58
    ? c === 32 && isDigit(a)
    : a === 58
    ? b === 32 && isDigit(get(i - 1))
    : a === 32 &&
      (isDigit(b) || (b === 32 && isDigit(c)) || (get(i - 1) === 58 && isDigit(get(i - 2))));
}

/**
 * Whether `q` is a quote that `quotedFrom` may find a character in: the same quote three
 * or two places before it, or two or three after it (`before3`, `before2`, `after2`,
 * `after3`).
 */
function quoteNear(q: number, before3: number, before2: number, after2: number, after3: number) {
  return (q === 34 || q === 39) &&
    (after2 === q || before2 === q || after3 === q || before3 === q);
}

/**
 * The stretch of a hex dump's characters around the three at `i` (each one's), recorded
 * (see `dumpsInText`) when it is `MIN_DUMP` long or more: where it ends, or -1. Nothing
 * before `pass.dumpFloor` (the end of the last) is read again.
 */
function dumpFrom(
  text: string,
  bytes: Uint8Array | undefined,
  shift: number,
  i: number,
  length: number,
  pass: Pass,
): number {
  const at = (k: number) => dumpClass(text, bytes, shift, k);
  let from = i;
  while (from > pass.dumpFloor && (at(from - 1) & 1) === 1) from--;
  let end = i + 3;
  while (end < length && (at(end) & 1) === 1) end++;
  if (end - from < MIN_DUMP) return narrowFrom(text, bytes, shift, from, end, length, pass);
  // Not one character over and over (indentation, `0000...`, `xxxx...`): no dump, and
  // reading one as lines of numbers took a model request of 256 KiB of `x` 3 ms.
  if (!sameCharacter(text, bytes, shift, from, end)) {
    // The lines before it that are narrower, as a dump's first lines may be (see
    // `narrowFrom`): after a label, or with a text column that lengthens no stretch.
    const l = layoutAt(text, bytes, shift, from, length);
    const floor = Math.max(pass.dumpFloor, pass.dumps.at(-1) ?? 0);
    if (l) { for (const k of linesBefore(l, l.start, floor).found) pass.dumps.push(k); }
    pass.dumps.push(from, end);
  }
  // Text spaced out of a dump's characters alone (`od -c` of `A   3   6   A   5`) is
  // such a stretch too: told here, where the probe passes over it.
  const last = pass.spaced.at(-1) ?? -1;
  for (let p = from; p < from + 4; p++) {
    if ((at(p) & 2) === 0) continue;
    if (p > last && p + SPACED_REACH < length && spacedFrom(text, bytes, shift, p, 2, 0)) {
      pass.spaced.push(p);
    }
    break;
  }
  // So are characters joined by `,` or `:` (`A,3,6,A,5`).
  if (joinedFrom(text, bytes, shift, from) && from > (pass.joined.at(-1) ?? -1)) {
    pass.joined.push(from);
  }
  pass.dumpFloor = end;
  return end;
}

/**
 * The fewest characters of a dump's that a line of a narrow dump holds in a row: four
 * bytes as ` hh` (`od -An -w4 -tx1`), or an offset and a byte or two (`xxd -c 2`:
 * `00000000: 4749  `).
 */
export const NARROW_MIN = 12;

/** The fewest hex digits a narrow dump's line shows (four bytes: `od -An -w4 -tx1`'s ` 47 49 54 48`). */
export const NARROW_DIGITS = 8;

/** The fewest lines in a row that make a narrow dump (a token's 40 bytes take ten of four). */
const NARROW_LINES = 3;

/** The most characters from a narrow dump's line's stretch to its break (`xxd`'s text column). */
const NARROW_GAP = 24;

/** How a dump's lines are read (see `narrowFrom`): the column their stretches start at. */
interface Layout {
  get: (k: number) => number;
  at: (k: number) => number;
  length: number;
  /** Where the line of the stretch the layout was taken from starts. */
  start: number;
  column: number;
}

/** The layout of the line the stretch from `from` is on, or undefined if its line starts too far before it. */
function layoutAt(
  text: string,
  bytes: Uint8Array | undefined,
  shift: number,
  from: number,
  length: number,
): Layout | undefined {
  const get = (k: number) => k >= 0 && k < length ? charAt(text, bytes, shift, k) : -1;
  const start = lineStartBefore(get, from, NARROW_GAP);
  if (start < 0) return undefined;
  const at = (k: number) => dumpClass(text, bytes, shift, k);
  return { get, at, length, start, column: from - start };
}

/**
 * Whether `from`-`to`, a stretch of a dump's characters, shows four bytes or more: eight
 * hex digits (indentation is such a stretch too, and deep code's lines start with one at
 * the same column, each line after line).
 */
function showsBytes(at: (k: number) => number, from: number, to: number): boolean {
  let digits = 0;
  for (let k = from; k < to && digits < NARROW_DIGITS; k++) digits += (at(k) >> 6) & 1;
  return digits >= NARROW_DIGITS;
}

/** The end of the stretch at the column of the line that starts at `line`, if `NARROW_MIN` long or more and showing bytes; else -1. */
function stretchOf(l: Layout, line: number): number {
  const f = line + l.column;
  if (f >= l.length || (l.column > 0 && (l.at(f - 1) & 1) === 1)) return -1;
  let e = f;
  while (e < l.length && (l.at(e) & 1) === 1) e++;
  return e - f >= NARROW_MIN && showsBytes(l.at, f, e) ? e : -1;
}

/**
 * The stretch a dump's first line holds after a label (`payload=00000000: 6768 ...`):
 * the first `NARROW_MIN` long or more within `NARROW_GAP` of the column, ending by `to`.
 */
function labelled(l: Layout, line: number, to: number): [number, number] | undefined {
  for (let f = line + l.column; f < line + l.column + NARROW_GAP && f < to;) {
    if ((l.at(f) & 1) === 0) {
      f++;
      continue;
    }
    let e = f;
    while (e < to && (l.at(e) & 1) === 1) e++;
    if (e - f >= NARROW_MIN && showsBytes(l.at, f, e)) return [f, e];
    f = e;
  }
  return undefined;
}

/**
 * The stretches of the lines before the line that starts at `start`, in order, that are
 * a dump's lines laid out as it is, back to `floor` (no stretch before it is recorded
 * again); `joined` when the line before the first of them holds the last stretch recorded
 * (a line of the same dump, found by the probe as a stretch of `MIN_DUMP`: `xxd -c 8` of
 * `AKIA...`, whose first line's text column starts with a hex digit).
 */
function linesBefore(
  l: Layout,
  start: number,
  floor: number,
): { found: number[]; joined: boolean } {
  const found: number[] = [];
  for (let line = start; found.length < 64;) {
    const before = breakBefore(l.get, line);
    if (before < 0) break;
    // A line's stretch is under `MIN_DUMP`, its text column and break within `NARROW_GAP`.
    const previous = lineStartBefore(l.get, before, l.column + MIN_DUMP + NARROW_GAP);
    if (previous < 0) break;
    if (previous + l.column < floor) return { found, joined: floor > previous && floor <= before };
    const e = stretchOf(l, previous);
    if (e < 0 || e > before || before - e > NARROW_GAP) {
      const first = labelled(l, previous, before);
      if (first && first[0] >= floor && before - first[1] <= NARROW_GAP) found.unshift(...first);
      break;
    }
    found.unshift(previous + l.column, e);
    line = previous;
  }
  return { found, joined: false };
}

/**
 * A dump narrower than a stretch (`xxd -c 4`, `od -w4 -tx1`: each line shows a few bytes,
 * its dump's characters fewer than `MIN_DUMP`), around the stretch `from`-`end`: lines in a
 * row whose stretches each start where this one does on its line and are `NARROW_MIN` long
 * or more, each ending within `NARROW_GAP` of its line's break (raw or escaped in a JSON
 * string), `NARROW_LINES` or more of them. Each line's stretch is recorded (consecutive
 * lines are one dump, see `hexDumps`); returns where the last ends, or -1.
 */
function narrowFrom(
  text: string,
  bytes: Uint8Array | undefined,
  shift: number,
  from: number,
  end: number,
  length: number,
  pass: Pass,
): number {
  if (end - from < NARROW_MIN) return -1;
  if (!showsBytes((k) => dumpClass(text, bytes, shift, k), from, end)) return -1;
  const l = layoutAt(text, bytes, shift, from, length);
  if (!l) return -1;
  const before = linesBefore(l, l.start, Math.max(pass.dumpFloor, pass.dumps.at(-1) ?? 0));
  const found = [...before.found, from, end];
  // Lines after, to the dump's end.
  for (let e = end;;) {
    const next = breakAfter(l.get, e);
    if (next < 0) break;
    const e2 = stretchOf(l, next);
    if (e2 < 0) break;
    found.push(next + l.column, e2);
    e = e2;
  }
  if (found.length + 2 * +before.joined < 2 * NARROW_LINES) return -1;
  for (const k of found) pass.dumps.push(k);
  const last = found[found.length - 1]!;
  pass.dumpFloor = last;
  return last;
}

/**
 * The first character of the line `k` is on: just past the line break before it (raw,
 * or escaped in a JSON string) or the quote that opens the string it is the first line
 * of, within `reach` characters; 0 at the text's start; -1 if there is none that near, or
 * a character past ASCII comes first (see `charAt`).
 */
function lineStartBefore(get: (k: number) => number, k: number, reach: number): number {
  for (let p = k; p >= k - reach; p--) {
    if (p === 0) return 0;
    const c = get(p - 1);
    if (c < 0 || c >= 128) return -1;
    if (c === 10 || c === 34 || (c === 110 && get(p - 2) === 92)) return p;
  }
  return -1;
}

/**
 * Where the line break that ends just before `line` starts, or -1: as `lengthAt` reads
 * breaks (`breakLength`, or `narrowBreak` for narrow lines, escaped twice too).
 */
function breakBefore(
  get: (k: number) => number,
  line: number,
  lengthAt: (get: (k: number) => number, p: number) => number = breakLength,
): number {
  for (const size of [4, 3, 2, 1]) {
    if (line - size >= 0 && lengthAt(get, line - size) === size) return line - size;
  }
  return -1;
}

/**
 * Where the line after `e` starts: past the first line break within `NARROW_GAP`
 * characters of it (see `breakLength`), or -1.
 */
function breakAfter(get: (k: number) => number, e: number): number {
  for (let p = e; p < e + NARROW_GAP; p++) {
    const c = get(p);
    if (c < 0 || c >= 128) return -1;
    const size = breakLength(get, p);
    if (size > 0) return p + size;
  }
  return -1;
}

/**
 * What `DUMP_CHAR` says of character `i`: byte `i + shift` of `bytes` if given, else of
 * `text` (the checks past the probes' own, rarely called, read either kind).
 */
function dumpClass(text: string, bytes: Uint8Array | undefined, shift: number, i: number): number {
  if (bytes !== undefined) return DUMP_CHAR[bytes[i + shift]!]!;
  const c = codeOf.call(text, i);
  return c < 256 ? DUMP_CHAR[c]! : 0;
}

/**
 * Whether a list of single characters each in quotes is at `i` (one of the three there
 * a quote): what Python prints of `list(token)`, `['g', 'h', 'p']`, or Node of
 * `[...token]`, in a JSON string `[\\"g\\", \\"h\\"]`; three such in a row, whichever
 * quote of one the probe found.
 */
function quotedFrom(text: string, bytes: Uint8Array | undefined, shift: number, i: number) {
  for (let k = i; k < i + 3; k++) {
    const q = charAt(text, bytes, shift, k);
    if (q !== 34 && q !== 39) continue;
    // First, at no cost, whether the same quote is two places away (three, escaped): a
    // string of one character. Most quotes in code have a longer one.
    if (
      charAt(text, bytes, shift, k + 2) !== q && charAt(text, bytes, shift, k - 2) !== q &&
      charAt(text, bytes, shift, k + 3) !== q && charAt(text, bytes, shift, k - 3) !== q
    ) continue;
    const get = (k: number) => charAt(text, bytes, shift, k);
    const escaped = get(k - 1) === 92;
    // The quote opens a character, or closes one.
    for (const s of escaped ? [k - 1, k - 4] : [k, k - 2]) {
      let e = s;
      for (let n = 0; n < 3 && e >= 0; n++) {
        if (n > 0) e = afterComma(get, e);
        e = e < 0 ? -1 : quotedCharEnd(get, e, q, escaped);
      }
      if (e >= 0) return true;
    }
    // Or codes in quotes (see `quotedNumberEnd`): the quote opens one, or closes one and
    // the next opens three places on (`', '`).
    if (!escaped) {
      for (const s of [k, k + 3]) {
        let e = s;
        for (let n = 0; n < 3 && e >= 0; n++) {
          if (n > 0) e = afterComma(get, e);
          e = e < 0 ? -1 : quotedNumberEnd(get, e, q);
        }
        if (e >= 0) return true;
      }
    }
  }
  return false;
}

/** The most digits of a code in quotes (`quotedNumberEnd`): a byte's bits. */
const QUOTED_DIGITS = 8;

/**
 * Where a character's code in quotes (`quote`) that starts at `s` ends, past the closing
 * quote, or -1: what Python prints of a list of them, `['0x67', '0x68']` (`hex(ord(c))`),
 * `['103', '104']`, `['01100111', ...]` (`format(ord(c), "08b")`), `'0b1100111'`,
 * `'0o147'`, and Node of `[...t].map((c) => c.charCodeAt(0).toString(16))`: a `0x`, `0b`
 * or `0o` or none, then one to eight hex digits.
 */
export function quotedNumberEnd(get: (k: number) => number, s: number, quote: number): number {
  let p = s;
  if (get(p++) !== quote) return -1;
  const x = get(p + 1) | 32;
  if (get(p) === 48 && (x === 120 || x === 98 || x === 111)) p += 2;
  const from = p;
  while (p - from <= QUOTED_DIGITS && isHexDigit(get(p))) p++;
  if (p === from || p - from > QUOTED_DIGITS) return -1;
  return get(p) === quote ? p + 1 : -1;
}

/** Whether `c` is the code of a hex digit. */
function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

/**
 * Where a character in quotes (`quote`, escaped with a backslash in a JSON string) that
 * starts at `s` ends, or -1: a printable character, no quote or backslash (`'g'`).
 */
export function quotedCharEnd(
  get: (k: number) => number,
  s: number,
  quote: number,
  escaped: boolean,
): number {
  let p = s;
  if (escaped && get(p++) !== 92) return -1;
  if (get(p) !== quote) return -1;
  const c = get(p + 1);
  if (!(c > 32 && c < 127) || c === quote || c === 92) return -1;
  p += 2;
  if (escaped && get(p++) !== 92) return -1;
  return get(p) === quote ? p + 1 : -1;
}

/** Whether `c` is the code of `n`, `r` or `t`: after a backslash, an escaped line break or tab. */
export const escapeLetter = (c: number): boolean => c === 110 || c === 114 || c === 116;

/**
 * The length of the line break at `i` read with `get`: `\n`, `\r\n`, or either escaped
 * in a JSON string; 0 if none.
 */
export function breakLength(get: (k: number) => number, i: number): number {
  const c = get(i);
  if (c === 10) return 1;
  if (c === 13) return get(i + 1) === 10 ? 2 : 0;
  if (c !== 92) return 0;
  const d = get(i + 1);
  if (d === 110) return 2;
  return d === 114 && get(i + 2) === 92 && get(i + 3) === 110 ? 4 : 0;
}

/**
 * The widest line of a block of narrow lines (`fold -w 5` of a `.env`, `base64 -w 8`, `xxd -p
 * -c 4`; see `narrowProbe`): a wider one is a run of its own, and runs cut into lines are
 * joined (see `variants`).
 */
export const LINES_WIDTH = 15;

/**
 * By code: 1 for a character a narrow line holds: a letter, a digit, or what base64, a
 * token, a `.env`'s assignment or a URL holds besides (`_-+/=.:@%~`). Not a space, a
 * quote, a backslash (which starts an escape in a JSON string), nor code's brackets and
 * punctuation (a line of code has one within a few characters: the probe reads on less).
 */
export const LINE_CHAR = Uint8Array.from(
  { length: 256 },
  (_, c) => +/[A-Za-z0-9_\-+/=.:@%~]/.test(String.fromCharCode(c)),
);

/**
 * By code: 1 for a character of a narrow line (`LINE_CHAR`) or one that starts a line
 * break, 2 more for the latter. The probe's three pass where a narrow line's characters
 * run on from the first to a line break's first character (`ab\n`, `a\n` and a space),
 * or through all three (`abc`). What comes after the break is the next line's, and its
 * prefix (a space, `>`) had made the probe fail.
 */
const NARROW = Uint8Array.from(
  { length: 256 },
  (_, c) => LINE_CHAR[c]! | (c === 10 || c === 13 || c === 92 ? 3 : 0),
);

/** The width of the line `narrowLineEnd` read last (an escape one character). */
export const LINE_WIDTH = new Int32Array(1);

/**
 * Where the narrow line from `s` ends: at the line break after it (raw, or escaped in a
 * JSON string; see `breakLength`), its characters (`LINE_CHAR`, and a JSON string's `\"`,
 * `\\` and `\/`, one each) one to `LINES_WIDTH`; -1 if anything else comes first. Its
 * width goes to `LINE_WIDTH`.
 */
export function narrowLineEnd(get: (k: number) => number, s: number): number {
  let p = s;
  for (let w = 0; w <= LINES_WIDTH; w++) {
    const c = get(p);
    if (c >= 0 && c < 256 && LINE_CHAR[c] === 1) {
      p++;
      continue;
    }
    // An escape: a line break (escaped once or twice) ends the line, see below.
    if (c === 92 && narrowBreak(get, p) === 0) {
      const d = get(p + 1);
      if (d === 34 || d === 92 || d === 47) {
        p += 2;
        continue;
      }
    }
    if (w > 0 && narrowBreak(get, p) > 0) {
      LINE_WIDTH[0] = w;
      return p;
    }
    return -1;
  }
  return -1;
}

/**
 * Where the line from `s` ends if it is `width` characters of printable ASCII (a JSON
 * string's `\"`, `\\` and `\/` one each) and then a line break (see `narrowBreak`), or -1:
 * a line of a block of narrow lines that holds what `LINE_CHAR` leaves out (a space, a
 * quote, a bracket, a comma: `= ` and `":` in `fold -w 2` of a file). Read only beside a
 * block's lines, never to find one.
 */
export function anyLineEnd(get: (k: number) => number, s: number, width: number): number {
  let p = s;
  for (let w = 0; w < width; w++) {
    const c = get(p);
    if (c === 92) {
      const d = get(p + 1);
      if (d !== 34 && d !== 92 && d !== 47) return -1;
      p += 2;
    } else if (c >= 32 && c <= 126) p++;
    else return -1;
  }
  return narrowBreak(get, p) > 0 ? p : -1;
}

/** The most characters of indentation before a narrow line (spaces, tabs, `\t` escaped). */
/**
 * The most characters before a narrow line's own on its line (see `narrowLineStart`):
 * indentation, or a prefix each line of a block has (`> `, `data: `, a line's number as
 * `cat -n` or an agent's file reader shows it, a log's stamp).
 */
const MAX_PREFIX = 32;

/**
 * Whether `c`, read with `get` before `k`, ends what comes before a narrow line's own
 * characters on its line: a space, a tab, a tab escaped in a JSON string (`c` its `t`),
 * `→` (an agent's file reader's, after a line's number), or a colon after a line's number
 * alone (`grep -n`'s `12:`).
 */
export function prefixEnd(get: (k: number) => number, k: number, c: number): boolean {
  return c === 32 || c === 9 || c === 0x2192 || (c === 116 && get(k - 2) === 92) ||
    (c === 58 && numberStartsLine(get, k - 1));
}

/**
 * Whether one to `NUMBER_DIGITS` digits end before `k`, at the start of a line or after a
 * prefix (`> 12:`, `grep -n` quoted).
 */
function numberStartsLine(get: (k: number) => number, k: number): boolean {
  let s = k;
  while (s > k - NUMBER_DIGITS && isDigit(get(s - 1))) s--;
  if (s === k) return false;
  const c = get(s - 1);
  return lineStartsAt(get, s) || ((c === 32 || c === 9) && lineStartOf(get, s) >= 0);
}

/** The most digits of a line's number (`grep -n`'s) before the colon that ends a prefix. */
const NUMBER_DIGITS = 7;

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * Whether the prefix of the line whose narrow characters start at `s` is that of the line
 * at `above` with its number one digit longer, rolled over (`9:` then `10:`, `99: ` then
 * `100: `, as `grep -n` and `awk '{print NR": "$0}'` number lines): the block's column
 * moves one place on there.
 */
export function numberRolledOver(get: (k: number) => number, above: number, s: number): boolean {
  const prefix = (at: number) => {
    const start = lineStartOf(get, at);
    let out = "";
    for (let k = start; k >= 0 && k < at; k++) out += String.fromCharCode(get(k));
    return out;
  };
  const before = /^(\D*)(9+)(\D*)$/.exec(prefix(above));
  return before !== null &&
    prefix(s) === `${before[1]}1${"0".repeat(before[2]!.length)}${before[3]}`;
}

/**
 * Whether a line starts at `k`: the text's start, past a line break (raw, or escaped), or
 * past the quote that opens a JSON string (its first line; not an escaped quote).
 */
export function lineStartsAt(get: (k: number) => number, k: number): boolean {
  if (k === 0) return true;
  const c = get(k - 1);
  return c === 10 || (c === 110 && get(k - 2) === 92) || (c === 34 && get(k - 2) !== 92);
}

/**
 * Where the narrow line that ends at the line break at `p` starts (see `narrowLineEnd`):
 * past the break before it (raw, or escaped once or twice) or at the text's start, or past
 * what comes before it on its line, `MAX_PREFIX` characters at most, ending with a space,
 * a tab or `→` (see `prefixEnd`); -1 if it is no such line (it starts after a label, or a
 * JSON string's quote).
 */
export function narrowLineStart(get: (k: number) => number, p: number): number {
  // Back over the line's characters (a JSON string's escapes among them)...
  let s = p;
  for (; s > 0 && s > p - 2 * LINES_WIDTH - 1; s--) {
    const c = get(s - 1);
    if (lineStartsAt(get, s) || prefixEnd(get, s, c)) break;
    if (!(c >= 0 && c < 256 && (LINE_CHAR[c] === 1 || c === 92 || c === 34))) return -1;
  }
  // ...then over what comes before them.
  if (!lineStartsAt(get, s)) {
    if (!prefixEnd(get, s, get(s - 1))) return -1;
    if (lineStartOf(get, s) < 0) return -1;
  }
  return narrowLineEnd(get, s) === p ? s : -1;
}

/**
 * Where the line whose narrow characters start at `s` starts: `s`, or where what comes
 * before them on their line starts (`MAX_PREFIX` at most); -1 if that is longer.
 */
export function lineStartOf(get: (k: number) => number, s: number): number {
  for (let k = s; k >= 0 && k >= s - MAX_PREFIX; k--) {
    if (k === 0) return 0;
    // One read a place, most of them; more only at what may end a line.
    const c = get(k - 1);
    if (c === 10 || c === 34 || c === 110) {
      if (lineStartsAt(get, k)) return k;
    } else if (c === 13 || (c === 114 && get(k - 2) === 92)) return -1;
  }
  return -1;
}

/**
 * The length of the line break at `p` for narrow lines: as `breakLength` reads one, or
 * escaped twice (`\\n`: lines of a file in a JSON string inside another); 0 if none.
 */
export function narrowBreak(get: (k: number) => number, p: number): number {
  const n = breakLength(get, p);
  if (n > 0 || get(p) !== 92) return n;
  return breakLength(get, p + 1) === 2 ? 3 : 0;
}

/** Where the line break that ends just before `line` starts (see `narrowBreak`), or -1. */
export function narrowBreakBefore(get: (k: number) => number, line: number): number {
  return breakBefore(get, line, narrowBreak);
}

/** The width of the narrow line from `s` (see `narrowLineEnd`), or -1. */
export function narrowWidth(get: (k: number) => number, s: number): number {
  return s >= 0 && narrowLineEnd(get, s) >= 0 ? LINE_WIDTH[0]! : -1;
}

/**
 * Where the narrow characters of the line after the one that ends at the line break at `p`
 * start (see `narrowLineStart`), or -1: that line must end with a break too.
 */
function lineAfterBreak(get: (k: number) => number, p: number): number {
  const r = p + narrowBreak(get, p);
  for (let k = r; k < r + MAX_PREFIX + 2 * LINES_WIDTH + 2; k++) {
    const c = get(k);
    if (!(c >= 0)) return -1;
    if ((c === 10 || c === 13 || c === 92) && narrowBreak(get, k) > 0) {
      return narrowLineStart(get, k);
    }
  }
  return -1;
}

/** Where the narrow line before the one whose characters start at `s` starts, or -1. */
export function narrowLineBefore(get: (k: number) => number, s: number): number {
  const r = lineStartOf(get, s);
  const b = r < 0 ? -1 : narrowBreakBefore(get, r);
  return b < 0 ? -1 : narrowLineStart(get, b);
}

/** How far into its line the narrow characters at `s` start (see `lineStartOf`). */
export function narrowColumn(get: (k: number) => number, s: number): number {
  return s - lineStartOf(get, s);
}

/**
 * A line of a block of narrow lines around the line break at `p`: of the lines there (up
 * to three ending with the one `p` ends, two after it), the first of two in a row of one
 * width (two or more) and one indentation; its start (past its indentation), or -1. The
 * line `p` ends may follow a label, or be a block's short last line.
 */
export function narrowAnchor(get: (k: number) => number, p: number): number {
  // Each line read once: where its characters start, its width (what `narrowLineStart` read
  // last, validating it) and its column; pairs in turn, from the one `p` splits. Most
  // places in code fail every one at once.
  const line = (s: number, end: number) =>
    s < 0 ? undefined : { s, end, w: LINE_WIDTH[0]!, c: narrowColumn(get, s) };
  const same = (a?: { w: number; c: number }, b?: { w: number; c: number }) =>
    a !== undefined && b !== undefined && a.w >= 2 && a.w === b.w && a.c === b.c;
  const after = (end: number) => {
    const s = lineAfterBreak(get, end);
    // (`lineAfterBreak` validates the line it finds: it ends at the next break.)
    return s < 0 ? undefined : line(s, narrowLineEnd(get, s));
  };
  const l0 = line(narrowLineStart(get, p), p);
  const l1 = after(p);
  if (same(l0, l1)) return l0!.s;
  if (l1 !== undefined && l1.w >= 2) {
    const l2 = after(l1.end);
    if (same(l1, l2)) return l1.s;
  }
  if (l0 === undefined || l0.w < 2) return -1;
  const before = (s: number) => {
    const b = narrowLineBefore(get, s);
    return b < 0 ? undefined : line(b, narrowLineEnd(get, b));
  };
  const m1 = before(l0.s);
  if (same(m1, l0)) return m1!.s;
  const m2 = m1 === undefined ? undefined : before(m1.s);
  return same(m2, m1) ? m2!.s : -1;
}

/**
 * The probe's test for narrow lines at `i` (see `dumpsInText`; the three there run on to a
 * line break, see `NARROW`), reading character `k` as byte `k + shift` of `bytes` if
 * given, else of `text`: not in a long run (an image's base64; `openRun`: where the run
 * the pass has not ended yet started), a line break within `LINES_WIDTH` of `i`, and then
 * lines of one width around it (`narrowAnchor`). A call of its own: in the probes' loop,
 * its code made the loop's other tests slower. Its reads are each kind's own (through
 * `get`, the two loops' closures, they had cost a scan of source code 8%).
 */
function narrowProbe(
  text: string,
  bytes: Uint8Array | undefined,
  shift: number,
  get: (k: number) => number,
  i: number,
  openRun: number,
  pass: Pass,
): boolean {
  const runs = pass.runs;
  let r = pass.runProbe;
  while (r < runs.length && runs[r + 1]! <= i) r += 2;
  pass.runProbe = r;
  if (r < runs.length && runs[r]! <= i && runs[r + 1]! - runs[r]! > LINES_WIDTH + 1) return false;
  if (i >= openRun && pass.run > LINES_WIDTH + 1) return false;
  // On to a line break (`c`, and after a backslash `e`: the next, or past 256 a second
  // backslash, then a letter), and back to where the line starts: a line break (`d`), a
  // JSON string's quote or the text's start, or a prefix (see `narrowLineStart`) after one. Read here, each kind its
  // own way: through `get`, the two loops' closures, the reads had cost a scan of source
  // code 8%; most places in code end there.
  let c = 0;
  let e = 0;
  let d = 10;
  // Where the line break is.
  let p = i;
  if (bytes !== undefined) {
    const j = i + shift;
    let k = j;
    c = bytes[k]!;
    // In the spaces before a line's number (`cat -n`, `nl`): on to the number.
    if (c === 32) {
      while (k < j + 6 && c === 32) c = bytes[++k]!;
      if (!isDigit(c)) return false;
    }
    while (k < j + LINES_WIDTH && LINE_CHAR[c] === 1) c = bytes[++k]!;
    // On past a line's number's `: ` (`awk '{print NR": "$0}'`): the probe was in it.
    if (c === 32 && bytes[k - 1] === 58 && isDigit(bytes[k - 2]!)) {
      const from = ++k;
      c = bytes[k]!;
      while (k < from + LINES_WIDTH && LINE_CHAR[c] === 1) c = bytes[++k]!;
    }
    // Or past the tab after one (`cat -n`, `nl`; in a JSON string, `\t`).
    if (isDigit(bytes[k - 1]!) && (c === 9 || (c === 92 && bytes[k + 1] === 116))) {
      k += c === 9 ? 1 : 2;
      const from = k;
      c = bytes[k]!;
      while (k < from + LINES_WIDTH && LINE_CHAR[c] === 1) c = bytes[++k]!;
    }
    p = k - shift;
    if (c === 92) e = bytes[k + 1]! === 92 ? 256 + bytes[k + 2]! : bytes[k + 1]!;
    if (!(c === 10 || c === 13 || (c === 92 && escapeLetter(e & 255)))) return false;
    let s = j;
    while (s > 0 && s > k - LINES_WIDTH && LINE_CHAR[bytes[s - 1]!] === 1) {
      if (bytes[s - 1] === 110 && bytes[s - 2] === 92) break;
      s--;
    }
    d = s > 0 ? bytes[s - 1]! : 10;
    // After a prefix: its line's start within `MAX_PREFIX`.
    if (d === 32 || d === 9) {
      for (let q = s - 1; q >= s - MAX_PREFIX; q--) {
        const b = q > 0 ? bytes[q - 1]! : 10;
        if (b === 10 || (b === 110 && bytes[q - 2] === 92)) {
          d = 10;
          break;
        }
      }
    }
  } else {
    let k = i;
    c = codeOf.call(text, k);
    if (c === 32) {
      while (k < i + 6 && c === 32) c = codeOf.call(text, ++k);
      if (!isDigit(c)) return false;
    }
    while (k < i + LINES_WIDTH && LINE_CHAR[c] === 1) c = codeOf.call(text, ++k);
    if (c === 32 && codeOf.call(text, k - 1) === 58 && isDigit(codeOf.call(text, k - 2))) {
      const from = ++k;
      c = codeOf.call(text, k);
      while (k < from + LINES_WIDTH && LINE_CHAR[c] === 1) c = codeOf.call(text, ++k);
    }
    if (
      isDigit(codeOf.call(text, k - 1)) &&
      (c === 9 || (c === 92 && codeOf.call(text, k + 1) === 116))
    ) {
      k += c === 9 ? 1 : 2;
      const from = k;
      c = codeOf.call(text, k);
      while (k < from + LINES_WIDTH && LINE_CHAR[c] === 1) c = codeOf.call(text, ++k);
    }
    p = k;
    if (c === 92) {
      e = codeOf.call(text, k + 1);
      if (e === 92) e = 256 + codeOf.call(text, k + 2);
    }
    if (!(c === 10 || c === 13 || (c === 92 && escapeLetter(e & 255)))) return false;
    let s = i;
    while (s > 0 && s > k - LINES_WIDTH && LINE_CHAR[codeOf.call(text, s - 1)] === 1) {
      if (codeOf.call(text, s - 1) === 110 && codeOf.call(text, s - 2) === 92) break;
      s--;
    }
    d = s > 0 ? codeOf.call(text, s - 1) : 10;
    if (d === 32 || d === 9 || d === 0x2192) {
      for (let q = s - 1; q >= s - MAX_PREFIX; q--) {
        const b = q > 0 ? codeOf.call(text, q - 1) : 10;
        if (b === 10 || (b === 110 && codeOf.call(text, q - 2) === 92)) {
          d = 10;
          break;
        }
      }
    }
  }
  // The line starts after a break, raw or escaped (its letter), a quote, or a backslash
  // (the probe is in a break, or the line is indented by escaped tabs).
  return (d === 10 || d === 110 || d === 34 || d === 92) &&
    pass.joined.at(-1) !== i &&
    // Just after a place already recorded (a block goes on, most likely: the megabyte of
    // `base64 -w 8` that took 108 ms a scan, each place's lines read anew), at once:
    // `narrowLinesNear` reads each place past the last block read.
    (pass.joined.at(-1) === i - DUMP_STRIDE || narrowAnchor(get, p) >= 0);
}

/** A number a line's values, as `numberLine` read them last: in decimal and in hex (-1: not so). */
export const NUMBER_VALUES = new Int32Array(2);

/**
 * Where the number a line holds alone from `start` ends, at the line break after it (or
 * the text's end, or the quote that ends a JSON string; -1 if none): 1 to 3 decimal
 * digits, or a byte's two hex digits with `0x` before them or not, after spaces or none. Its values go to
 * `NUMBER_VALUES`: in decimal (a byte's, 255 at most) and in hex.
 */
export function numberLine(get: (k: number) => number, start: number): number {
  let i = start;
  // Right-aligned, as `od -An -tu1 -w1` prints them.
  while (i < start + 8 && get(i) === 32) i++;
  const prefixed = get(i) === 48 && (get(i + 1) | 32) === 120;
  if (prefixed) i += 2;
  let decimal = prefixed ? -1 : 0;
  let hex = 0;
  const first = i;
  for (; i < first + 3; i++) {
    const c = get(i);
    const h = c >= 48 && c <= 57 ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1;
    if (h < 0) break;
    if (decimal >= 0) decimal = h < 10 ? decimal * 10 + h : -1;
    hex = hex * 16 + h;
  }
  const digits = i - first;
  // Then a line break, the text's end or the quote that ends a JSON string (the last line).
  const after = get(i);
  if (digits === 0 || !(breakLength(get, i) > 0 || !(after >= 0) || after === 34)) return -1;
  NUMBER_VALUES[0] = decimal > 255 ? -1 : decimal;
  NUMBER_VALUES[1] = digits === 2 || (prefixed && digits === 1) ? hex : -1;
  return NUMBER_VALUES[0] < 0 && NUMBER_VALUES[1] < 0 ? -1 : i;
}

/**
 * Whether the number that the first digit among `i` to `i + 2` is part of ends in a line
 * break within four characters (`103\n`, `0x67\n`), as every one of a column does: looked
 * at before `numbersFrom`, which reads ten characters for a break. In base64 (an image in
 * a model request) a digit is among the three at two probes in five, a break nowhere:
 * there those reads had cost a twentieth of a scan.
 */
function numberBreaks(
  text: string,
  bytes: Uint8Array | undefined,
  shift: number,
  i: number,
): boolean {
  let k = i;
  while ((dumpClass(text, bytes, shift, k) & 16) === 0) k++;
  for (const end = k + 5; k < end; k++) {
    const c = dumpClass(text, bytes, shift, k);
    if ((c & 32) !== 0) return true;
    if ((c & 64) === 0) return false;
  }
  return false;
}

/**
 * Whether numbers one a line may start near `i`: at the first line break within a line's
 * width of it (a number's with spaces before it, and its break), two lines each holding a
 * number alone (see `numberLine`).
 */
function numbersFrom(get: (k: number) => number, i: number): boolean {
  for (let k = i; k < i + 10; k++) {
    const c = get(k);
    if (c !== 10 && c !== 13 && c !== 92) continue;
    const step = breakLength(get, k);
    if (step === 0) return false;
    const first = numberLine(get, k + step);
    return first >= 0 && numberLine(get, first + breakLength(get, first)) >= 0;
  }
  return false;
}

/**
 * Where what follows a list's `,` at `p` starts (past spaces and line breaks, as written
 * or escaped in a JSON string, as Node breaks a long list), or -1.
 */
export function afterComma(get: (k: number) => number, p: number): number {
  if (get(p++) !== 44) return -1;
  for (let n = 0; n < 16; n++) {
    const c = get(p);
    if (c === 32 || c === 10 || c === 13 || c === 9) p++;
    else if (c === 92 && escapeLetter(get(p + 1))) p += 2;
    else return p;
  }
  return -1;
}

/**
 * Whether single characters are joined by a separator from `i` on: one of one or two
 * characters that are no letter, digit or space, the same four times, one every second
 * or third place, between characters not all the same (not a rule of `-----` or `=-=-`).
 * Either way a separator's character recurs six places on, at `i`, `i + 1` or `i + 2`
 * (a two-character separator whose second is a letter, `\\n` in a JSON string): looked at
 * first, where a full look at each probe had cost a fifth of the survey.
 */
function joinedFrom(
  text: string,
  bytes: Uint8Array | undefined,
  shift: number,
  i: number,
): boolean {
  let recurs = false;
  for (let k = i; k < i + 3 && !recurs; k++) {
    const c = charAt(text, bytes, shift, k);
    recurs = c >= 0 && c < 256 && (DUMP_CHAR[c]! & 4) !== 0 &&
      charAt(text, bytes, shift, k + 6) === c;
  }
  if (!recurs) return false;
  for (let period = 2; period <= 3; period++) {
    for (let k = i; k < i + period; k++) {
      const s = charAt(text, bytes, shift, k);
      if (s < 0 || s >= 256 || (DUMP_CHAR[s]! & 4) === 0) continue;
      if (
        charAt(text, bytes, shift, k + period) !== s ||
        charAt(text, bytes, shift, k + 2 * period) !== s ||
        charAt(text, bytes, shift, k + 3 * period) !== s
      ) continue;
      if (period === 3) {
        const t = charAt(text, bytes, shift, k + 1);
        if (charAt(text, bytes, shift, k + 4) !== t || charAt(text, bytes, shift, k + 7) !== t) {
          continue;
        }
      }
      const first = charAt(text, bytes, shift, k - 1);
      if (
        first !== charAt(text, bytes, shift, k + period - 1) ||
        first !== charAt(text, bytes, shift, k + 2 * period - 1)
      ) return true;
    }
  }
  return false;
}

/**
 * Whether characters `from` to `end` are one character over and over (see `charAt`): no
 * hex dump, and no run any reader of runs finds anything in.
 */
export function sameCharacter(
  text: string,
  bytes: Uint8Array | undefined,
  shift: number,
  from: number,
  end: number,
): boolean {
  const first = charAt(text, bytes, shift, from);
  for (let i = from + 1; i < end; i++) if (charAt(text, bytes, shift, i) !== first) return false;
  return true;
}

/** Character `i`'s code: byte `i + shift` of `bytes` if given, else of `text` (see `dumpClass`). */
function charAt(text: string, bytes: Uint8Array | undefined, shift: number, i: number): number {
  return bytes !== undefined ? (bytes[i + shift] ?? -1) : codeOf.call(text, i);
}

/**
 * Whether the text is spaced out from `i` (`od -c`'s cells of four, a character every
 * other place): from the first space among the three there (`a` and `b` the classes of
 * the first two; the spaces of such text recur every four places, whichever is taken),
 * back to the first of its gap and to its line's first cell, one every four places three
 * times over, and three of the four cells so made end in a
 * character after a space (`   A`, `  \n`, ` a b`; not `!== -1) {`, not indentation; a
 * cell may be blank, for a space).
 */
function spacedFrom(
  text: string,
  bytes: Uint8Array | undefined,
  shift: number,
  i: number,
  a: number,
  b: number,
): boolean {
  let k = (a & 2) !== 0 ? i : (b & 2) !== 0 ? i + 1 : i + 2;
  // Back to the first of the spaces there, where a cell starts (`A   K`: the probe may
  // fall on the second or third).
  for (let s = 0; s < 2 && (dumpClass(text, bytes, shift, k - 1) & 2) !== 0; s++) k--;
  // Back to a line's first cell, where its cells are few (`od -w4 -c`: four a line, and
  // cells from the second reach past the line's end): over cells before, each a space
  // then what it shows.
  for (
    let s = 0;
    s < 5 && (dumpClass(text, bytes, shift, k - 1) & 2) === 0 &&
    (dumpClass(text, bytes, shift, k - 2) & 2) !== 0 &&
    (dumpClass(text, bytes, shift, k - 4) & 2) !== 0;
    s++
  ) k -= 4;
  // One at a time: most places fail at the first.
  for (let c = k + 4; c < k + 16; c += 4) {
    if ((dumpClass(text, bytes, shift, c) & 2) === 0) return false;
  }
  let others = 0;
  for (let c = k; c < k + 16 && others < 2; c += 4) {
    const space = dumpClass(text, bytes, shift, c + 1) | dumpClass(text, bytes, shift, c + 2);
    if ((space & 2) === 0 || (dumpClass(text, bytes, shift, c + 3) & 2) !== 0) others++;
  }
  return others < 2;
}

/**
 * Whether `c` is a character that marks that change join (see `DUMP_CHAR`'s 128): an
 * ASCII letter or digit, `_`, or a token's own `-` (`s-k.-/a`: places, not characters,
 * tell marks apart).
 */
export function mixedJoined(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 ||
    c === 45;
}

/**
 * Whether single characters are joined from `i` on by marks that change (see
 * `DUMP_CHAR`'s 128): a mark every second place four times over, a character after each
 * (see `mixedJoined`), the marks not all the same (those are `joinedFrom`'s and
 * `spacedFrom`'s).
 */
function mixedFrom(
  text: string,
  bytes: Uint8Array | undefined,
  shift: number,
  i: number,
): boolean {
  for (let k = i; k < i + 2; k++) {
    const first = charAt(text, bytes, shift, k);
    // A mark here and two places on (most places fail here, at no cost).
    if (!mixedMark(first) || !mixedMark(charAt(text, bytes, shift, k + 2))) continue;
    let same = true;
    let r = 0;
    for (; r < 4; r++) {
      const m = charAt(text, bytes, shift, k + 2 * r);
      if (!mixedMark(m) || !mixedJoined(charAt(text, bytes, shift, k + 2 * r + 1))) break;
      same &&= m === first;
    }
    if (r === 4 && !same) return true;
  }
  return false;
}

/** Whether code `c` is a mark that may join characters that change (see `DUMP_CHAR`'s 128). */
export function mixedMark(c: number): boolean {
  return c >= 0 && c < 256 && (DUMP_CHAR[c]! & 128) !== 0;
}

/**
 * Whether the text is spaced out from `i` a character every third place (two spaces
 * between, `g  h  p`, which `spacedFrom` does not see; two of the three places there are
 * spaces): from the first two spaces in a row among the places there, two more every
 * three places three times over, each after one character that is no space, not all the
 * same.
 */
function spacedThirds(
  text: string,
  bytes: Uint8Array | undefined,
  shift: number,
  i: number,
): boolean {
  let k = i;
  while (k < i + 3 && !(spaceAt(text, bytes, shift, k) && spaceAt(text, bytes, shift, k + 1))) k++;
  if (k === i + 3) return false;
  const first = charAt(text, bytes, shift, k + 2);
  let same = true;
  for (let c = k + 3; c < k + 12; c += 3) {
    if (
      !spaceAt(text, bytes, shift, c) || !spaceAt(text, bytes, shift, c + 1) ||
      spaceAt(text, bytes, shift, c - 1) || spaceAt(text, bytes, shift, c + 2)
    ) return false;
    same &&= charAt(text, bytes, shift, c + 2) === first;
  }
  return !same;
}

/** Whether character `i` is a space (see `dumpClass`). */
function spaceAt(text: string, bytes: Uint8Array | undefined, shift: number, i: number): boolean {
  return (dumpClass(text, bytes, shift, i) & 2) !== 0;
}
