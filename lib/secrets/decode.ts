/**
 * @module
 * The one decoding layer both detectors share: the forms a secret takes to slip past
 * a pattern. Text is normalised (NFKC, zero-width and control characters removed,
 * look-alike letters mapped to ASCII), and percent-encoding, JSON `\u` escapes,
 * program-text escapes (`\x5f`, `\x{5f}`, `\u{5f}`, `\U0000005f`, octal `\137`,
 * `\N{LOW LINE}`; also with their
 * backslash doubled inside a JSON string), HTML numeric references (`&#95;`) and runs of base64
 * (standard and URL-safe, at any alignment, also wrapped across lines), hex and base32
 * are decoded, base64 of gzip or of a zlib stream is opened, and a token cut across
 * lines is joined; from binary output only the printable runs are kept. Each variant says how it was made
 * and where in the original it came from. Its helpers: `unescape.ts` (escapes, where they
 * are and what they stand for), `turned.ts` (tokens reversed, in ROT13, shifted,
 * doubled), `printable.ts` (which bytes are text).
 */

import { codeAt } from "./chars.ts";
import {
  DECODE_RADIUS,
  escapeLetter,
  KeywordMatcher,
  MIN_RUN,
  sameCharacter,
  type Survey,
} from "./keywords.ts";
import { normalize, withoutMarks } from "./normalize.ts";
import { gunzipLenient, inflateLenient, unzstdLenient } from "./compressed.ts";
import { HEX_VALUE, hexDumps, joinedDumps, spacedDumps } from "./hexdump.ts";
import { ASCII, PRINTABLE_BYTE, printableRuns, runsOf } from "./printable.ts";
import {
  hasHead,
  mayInterleave,
  MIN_DOUBLED,
  MIN_INTERLEAVED,
  reverseText,
  shiftCode,
  SHORT_RUN,
  startsWith,
  type TurnedHeads,
  turnedRuns,
  turnedText,
  undoubled,
  uninterleaved,
} from "./turned.ts";
import {
  charCallsDecode,
  codeUnescape,
  htmlUnescape,
  jsonUnescape,
  jsonUnescapeDeep,
  percentDecode,
  qpDecode,
  triggered,
} from "./unescape.ts";

export { normalize };

/** One decoded form of (part of) a text. */
export interface Variant {
  text: string;
  /** How it was obtained from the original. */
  encoding:
    | "normalized"
    | "url"
    | "quoted-printable"
    | "json"
    | "escape"
    | "html"
    | "base64"
    | "hex"
    | "hexdump"
    | "base32"
    | "base2"
    | "lines"
    | "chunks"
    | "cut"
    | "gzip"
    | "zlib"
    | "zstd"
    | "reversed"
    | "reversed-base64"
    | "reversed-hex"
    | "codes-shifted"
    | "rot13-base64"
    | "rot13-hex"
    | "number"
    | "base64-pieces"
    | "doubled"
    | "interleaved"
    | "padded"
    | "rot13"
    | "shifted"
    | "reversed-rot13";
  /** Offset in the original text the variant stands for. */
  at: number;
  /** For a window decoded in place: where in the original text the window ends. */
  end?: number;
  /**
   * For a window decoded in place: where in the original text what decodes to `from`-`to`
   * of `text` is written (see `writtenSpan`).
   */
  origin?: (from: number, to: number) => [number, number];
  /**
   * Set (with `text` empty) for compressed data that could not be opened within what a
   * scan may decode: what it holds is unknown, which callers treat as a finding.
   */
  unchecked?: true;
  /**
   * Set where only a secret that is the whole text counts (a run with marks taken out: a
   * token that holds its own, Sourcegraph's `sgp_<16>_<40>`, would be another token
   * without them, a part of it).
   */
  whole?: true;
  /** For a hex dump: where its last line ends in the original text (see `Dump.end`). */
  through?: number;
}

/**
 * Base64, hex and base32 decode into one reused buffer (a decode allocates nothing):
 * each decoder reads it with `printableRuns` before the next decode.
 */
let scratch = new Uint8Array(1 << 16);
function room(bytes: number): Uint8Array {
  if (scratch.length < bytes) scratch = new Uint8Array(Math.max(bytes, scratch.length * 2));
  return scratch;
}

/**
 * The bytes of the base64 (either alphabet, padding optional) of `run` decoded from
 * `offset` up to its first character outside the alphabets, decoded natively (a model
 * request's image is megabytes of it), in the reused buffer: good until the next decode.
 */
function base64Bytes(run: string, offset: number): Uint8Array {
  let body = offset ? run.slice(offset) : run;
  // Looked for as strings, not with a class: over an image's megabyte, a third of the time.
  if (body.includes("-") || body.includes("_")) {
    body = body.replaceAll("-", "+").replaceAll("_", "/");
  }
  // Into the reused buffer (a fresh one per image is megabytes of page faults); a last
  // lone character holds no whole byte.
  const out = room(Math.ceil((body.length * 3) / 4));
  const decode = (s: string) =>
    out.setFromBase64(s.length % 4 === 1 ? s.slice(0, -1) : s, { lastChunkHandling: "loose" })
      .written;
  let written: number;
  try {
    written = decode(body);
  } catch (error) {
    // Not all of it is base64 (callers pass runs of the alphabet; this is a guard).
    const bad = body.search(/[^A-Za-z0-9+/]/);
    if (bad < 0) throw error;
    written = decode(body.slice(0, bad));
  }
  return out.subarray(0, written);
}

/**
 * base64 of gzip, zstd or a zlib stream in ROT13 (`gzip | base64 | tr A-Za-z N-ZA-Mn-za-m`)
 * or turned around (`gzip | base64 -w0 | rev`, its padding before it), told by its
 * signature so written: that base64 as written, or undefined. A first or last character
 * no such signature has (most runs) is all that is read.
 */
function turnedCompressed(body: string): string | undefined {
  const first = body.charCodeAt(0);
  if (
    (first === 85 && body.startsWith("U4fV")) ||
    (first === 88 && (body.startsWith("XYHi/") || body.startsWith("XYHi_"))) ||
    (first === 114 && zlibHeader(base64Bytes(turnedText(body, 0, 4, false, true), 0)))
  ) return turnedText(body, 0, body.length, false, true);
  const last = body.charCodeAt(body.length - 1);
  if (
    (last === 72 && body.endsWith("Is4H")) ||
    (last === 75 && (body.endsWith("/vULK") || body.endsWith("_vULK"))) ||
    (last === 101 && zlibHeader(base64Bytes(reverseText(body.slice(-4)), 0)))
  ) return reverseText(body);
  return undefined;
}

/** Whether `bytes` start with a zlib header: deflate, a window git or zlib would use, its check. */
function zlibHeader(bytes: Uint8Array): boolean {
  const [cmf = 0, flg = 0] = bytes;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && (cmf * 256 + flg) % 31 === 0;
}

/** The printable runs (8+ characters) of `base64Bytes(run, offset)`. */
function base64Printable(run: string, offset: number, min = 8): string {
  return printableRuns(base64Bytes(run, offset), min);
}

/**
 * Whether hex digits may be text's hex turned around: every other digit, from the last or
 * the one before, a high digit of printable ASCII (`2` to `7`), over the first 32.
 */
function turnedHexOfText(sub: string): boolean {
  const n = Math.min(sub.length, 32);
  for (const start of [sub.length - 1, sub.length - 2]) {
    let k = 0;
    for (; k < n; k += 2) {
      const c = sub.charCodeAt(start - k);
      if (c < 50 || c > 55) break;
    }
    if (k >= n) return true;
  }
  return false;
}

/** The shortest run of digits read as a number (ten bytes of text), and the longest. */
const MIN_NUMBER = 24, MAX_NUMBER = 4096;
const DIGITS = /^[0-9]+$/;

/**
 * The printable runs of the bytes of a number written in decimal, most significant first.
 * Text read the other way round (`int.from_bytes(b, "little")`) comes out turned around,
 * as `rev` turns it, and is read so.
 */
function numberText(digits: string): string {
  let hex = BigInt(digits).toString(16);
  if (hex.length % 2 === 1) hex = "0" + hex;
  return printableRuns(hexBytes(hex, 0));
}

/**
 * The printable runs of `digits` hex digits decoded (`bytes`, `hexBytes` with its tail),
 * from the first digit and from the second, one reading a line.
 */
function hexText(bytes: Uint8Array, digits: number): string {
  return [
    printableRuns(bytes.subarray(0, digits >> 1)),
    printableRuns(shiftedBytes(bytes, 4, true, (digits - 1) >> 1)),
  ].filter(Boolean).join("\n");
}

/** Decodes the hex digits of `run` from `offset`, two to a byte. */
function hexBytes(run: string, offset: number, tail = false): Uint8Array {
  const n = Math.floor((run.length - offset) / 2);
  const out = room(n + 1);
  for (let i = 0; i < n; i++) {
    const at = offset + i * 2;
    out[i] = (HEX_VALUE[run.charCodeAt(at)]! << 4) | HEX_VALUE[run.charCodeAt(at + 1)]!;
  }
  // With `tail`, a last digit short of a byte too, high (for `shiftedBytes`).
  if (tail && (run.length - offset) % 2 === 1) {
    out[n] = HEX_VALUE[run.charCodeAt(run.length - 1)]! << 4;
    return out.subarray(0, n + 1);
  }
  return out.subarray(0, n);
}

/** Digit values (either case) of an alphabet of 32, -1 outside it. */
function base32Values(alphabet: string): Int8Array {
  const values = new Int8Array(65536).fill(-1);
  for (const [i, c] of [...alphabet].entries()) {
    values[c.charCodeAt(0)] = i;
    values[c.toLowerCase().charCodeAt(0)] = i;
  }
  return values;
}
/** Base32 (RFC 4648), and base32hex (its "extended hex" alphabet: `basenc --base32hex`). */
const B32_VALUE = base32Values("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
const B32HEX_VALUE = base32Values("0123456789ABCDEFGHIJKLMNOPQRSTUV");

function base32Bytes(run: string, values = B32_VALUE, tail = false): Uint8Array {
  const out = room(Math.ceil((run.length * 5) / 8) + 1);
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < run.length; i++) {
    const v = values[run.charCodeAt(i)]!;
    if (v < 0) break;
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  // The bits short of a byte at the end, high first (for `shiftedBytes`).
  if (tail && bits > 0) out[n++] = (acc << (8 - bits)) & 0xff;
  return out.subarray(0, n);
}

/** Bits (`basenc --base2msbf`): eight characters a byte, so as many as a token's eight. */
const MIN_BITS = 64;
const MIN_BASE64 = 20, MIN_HEX = 20, MIN_BASE32 = 16;
/** Which alphabets (bits) each ASCII character belongs to. */
const HEX_CHAR = 1, BASE32_UPPER = 2, BASE32_LOWER = 4;
const BASE32HEX_UPPER = 8, BASE32HEX_LOWER = 16, BIT_CHAR = 32;
/** Indexed by an ASCII character's code. */
const ALPHABET = new Uint8Array(256);
/** Alphabets looked for inside a long run (see `longBody` for the others). */
const SUB_ALPHABETS: readonly [number, number][] = [
  [HEX_CHAR, MIN_HEX],
  [BASE32_UPPER, MIN_BASE32],
  [BASE32_LOWER, MIN_BASE32],
];
const TEXT_ENCODER = new TextEncoder();
for (const c of "0123456789abcdefABCDEF") ALPHABET[c.charCodeAt(0)]! |= HEX_CHAR;
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") ALPHABET[c.charCodeAt(0)]! |= BASE32_UPPER;
for (const c of "abcdefghijklmnopqrstuvwxyz234567") ALPHABET[c.charCodeAt(0)]! |= BASE32_LOWER;
for (const c of "0123456789ABCDEFGHIJKLMNOPQRSTUV") ALPHABET[c.charCodeAt(0)]! |= BASE32HEX_UPPER;
for (const c of "0123456789abcdefghijklmnopqrstuv") ALPHABET[c.charCodeAt(0)]! |= BASE32HEX_LOWER;
for (const c of "01") ALPHABET[c.charCodeAt(0)]! |= BIT_CHAR;
/** Standard base64's characters (for `turnedLines`), padding aside. */
const BASE64_CHAR = 64;
for (let c = 0; c < 128; c++) {
  if (/[A-Za-z0-9+/]/.test(String.fromCharCode(c))) ALPHABET[c]! |= BASE64_CHAR;
}
/** What a run holds (`Survey.runs`): either base64 alphabet. */
const RUN_CHAR = 128;
for (const c of "+/_-0123456789") ALPHABET[c.charCodeAt(0)]! |= RUN_CHAR;
for (let c = 65; c <= 122; c++) {
  if (/[A-Za-z]/.test(String.fromCharCode(c))) ALPHABET[c]! |= RUN_CHAR;
}

/** Where `shiftedBytes` writes (not `room`'s: what it shifts is there), as words too. */
let shiftScratch = new Uint8Array(1 << 12);
let shiftWords = new Uint32Array(shiftScratch.buffer);

/**
 * The `count` bytes a decode from a few characters further into a run reads, from the
 * bytes decoded from its start (the bits short of a byte at its end included): from
 * bit `from` on, the high bit of a byte first if `msb` (as base32 and `--base2msbf`
 * write them), else the low. A character of the alphabet glued in front shifts base32 by
 * five bits and bits by one: the bytes decoded once are read at each shift, where each
 * was decoded again from each of seven places (eight decodes of a megabyte of base32 had
 * cost its scan four times as much, so only its first 8 KiB was, and a `.env` after that
 * much of anything was not read at all). Four bytes at a time, in a buffer of its own,
 * good until the next call.
 */
function shiftedBytes(bytes: Uint8Array, from: number, msb: boolean, count: number): Uint8Array {
  const shift = from & 7;
  const skip = from >> 3;
  // Shifted from the first byte (so that words line up), then moved down by `skip`.
  const n = skip + count;
  if (shiftScratch.length < n + 4) {
    shiftScratch = new Uint8Array((Math.max(n + 4, shiftScratch.length * 2) + 3) & ~3);
    shiftWords = new Uint32Array(shiftScratch.buffer);
  }
  const back = 8 - shift;
  // As little-endian words (byte `k` of a word is its lane `k`), while the word after is
  // whole. Low bit first, a word is bits in the stream's order: shifted whole, the next
  // word's first bits come into its top. High bit first, each lane takes bits of its own
  // byte and of the next, the last lane of the next word's first.
  let done = 0;
  if (shift !== 0 && bytes.byteOffset % 4 === 0 && bytes.length >= 8) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    const out = shiftWords;
    const last = Math.min(words.length - 1, n >> 2);
    const own = ((0xff << shift) & 0xff) * 0x01010101;
    const lanes = ((1 << shift) - 1) * 0x010101;
    const top = ((1 << shift) - 1) << 24;
    let w = words[0]!;
    for (let i = 0; i < last; i++) {
      const next = words[i + 1]!;
      out[i] = msb
        ? ((w << shift) & own) | ((w >>> (16 - shift)) & lanes) | ((next << (16 + shift)) & top)
        : (w >>> shift) | (next << (32 - shift));
      w = next;
    }
    done = last << 2;
  }
  for (let i = done; i < n; i++) {
    const next = bytes[i + 1] ?? 0;
    shiftScratch[i] = msb
      ? (bytes[i]! << shift) | (next >> back)
      : (bytes[i]! >> shift) | (next << back);
  }
  if (skip > 0) shiftScratch.copyWithin(0, skip, n);
  return shiftScratch.subarray(0, count);
}

/** The least a long run's body of bits or base32hex holds (see `longBody`). */
const LONG_BODY = 480;
/** What may be glued on either side of a long run's body (see `longBody`). */
const LONG_GLUED = 32;

/**
 * A long run that is bits or base32hex (`basenc -w0` of a file) but for up to 32
 * characters glued on either side: `[alphabet, from, to]` of its body. Inside a long run
 * such runs are looked for only so: looked for anywhere in a megabyte of an image's
 * base64, where half its characters are base32hex's, they had cost its scan a fifth
 * more. The body is the stretch of the alphabet through the run's 33rd character, each
 * character read once at most (a regular expression with the glued parts optional had
 * backtracked through a run all of the alphabet but its last 33 characters: 1.4 s for
 * 256 KiB).
 */
function longBody(run: string): [number, number, number] | undefined {
  const at = Math.min(LONG_GLUED, run.length - 1);
  for (const alphabet of [BIT_CHAR, BASE32HEX_UPPER, BASE32HEX_LOWER]) {
    if ((ALPHABET[run.charCodeAt(at)]! & alphabet) === 0) continue;
    let from = at;
    while (from > 0 && (ALPHABET[run.charCodeAt(from - 1)]! & alphabet) !== 0) from--;
    let to = at + 1;
    while (to < run.length && (ALPHABET[run.charCodeAt(to)]! & alphabet) !== 0) to++;
    if (to - from >= LONG_BODY && run.length - to <= LONG_GLUED) return [alphabet, from, to];
  }
  return undefined;
}

/**
 * Maximal runs of hex (20+), of base32 or base32hex in one case (16+) and of bits (64+)
 * in `run`: `[alphabet, from, to]`, in the order they end. Skipping ahead as
 * `printableRuns` does (an image's base64 is megabytes where each character is in each
 * alphabet or not by chance).
 */
function subRuns(run: string): [number, number, number][] {
  if (run.length <= 512) return shortSubRuns(run);
  // A run of the base64 alphabets is ASCII: its bytes, encoded natively, are its characters.
  const bytes = room(run.length);
  TEXT_ENCODER.encodeInto(run, bytes);
  const data = bytes.subarray(0, run.length);
  const out: [number, number, number][] = [];
  for (const [alphabet, min] of SUB_ALPHABETS) {
    const found = runsOf(data, ALPHABET, alphabet, min, []);
    for (let k = 0; k < found.length; k += 2) out.push([alphabet, found[k]!, found[k + 1]!]);
  }
  const body = longBody(run);
  if (body) out.push(body);
  return out.sort((a, b) => a[2] - b[2] || a[0] - b[0]);
}

/**
 * `subRuns` of a short run (source code holds thousands: names, paths), in one pass
 * with a count per alphabet: skipping ahead pays over megabytes, and on a run of a few
 * dozen characters costs more than it saves (a copy into bytes, three passes, a sort).
 * Written out for each alphabet: a loop over a table of them made a scan of source code
 * 4% slower.
 */
function shortSubRuns(run: string): [number, number, number][] {
  const out: [number, number, number][] = [];
  // None long enough for any alphabet (`MIN_BASE32` is the least of their minimums).
  if (longestInAlphabet(run) < MIN_BASE32) return out;
  let hex = 0, upper = 0, lower = 0, hexUpper = 0, hexLower = 0, bits = 0;
  for (let i = 0; i <= run.length; i++) {
    // A run is of the base64 alphabets (ASCII); past its end, no alphabet.
    const c = i < run.length ? ALPHABET[run.charCodeAt(i)]! : 0;
    // In the order `subRuns` gives: by where a run ends, then by alphabet.
    if ((c & HEX_CHAR) !== 0) hex++;
    else {
      if (hex >= MIN_HEX) out.push([HEX_CHAR, i - hex, i]);
      hex = 0;
    }
    if ((c & BASE32_UPPER) !== 0) upper++;
    else {
      if (upper >= MIN_BASE32) out.push([BASE32_UPPER, i - upper, i]);
      upper = 0;
    }
    if ((c & BASE32_LOWER) !== 0) lower++;
    else {
      if (lower >= MIN_BASE32) out.push([BASE32_LOWER, i - lower, i]);
      lower = 0;
    }
    if ((c & BASE32HEX_UPPER) !== 0) hexUpper++;
    else {
      if (hexUpper >= MIN_BASE32) out.push([BASE32HEX_UPPER, i - hexUpper, i]);
      hexUpper = 0;
    }
    if ((c & BASE32HEX_LOWER) !== 0) hexLower++;
    else {
      if (hexLower >= MIN_BASE32) out.push([BASE32HEX_LOWER, i - hexLower, i]);
      hexLower = 0;
    }
    if ((c & BIT_CHAR) !== 0) bits++;
    else {
      if (bits >= MIN_BITS) out.push([BIT_CHAR, i - bits, i]);
      bits = 0;
    }
  }
  return out;
}

/**
 * The most characters in a row of `run` that one of the alphabets `shortSubRuns` looks
 * for holds (bits aside: they are hex too). Most runs hold none long enough (random
 * base64, as an npm lock's hashes are; names), which this pass tells two and a half
 * times as fast as `shortSubRuns`' own: its counts are kept without a branch on each
 * character's class, which in random base64 goes either way every few characters.
 */
function longestInAlphabet(run: string): number {
  let hex = 0, upper = 0, lower = 0, hexUpper = 0, hexLower = 0, most = 0;
  for (let i = 0; i < run.length; i++) {
    const c = ALPHABET[run.charCodeAt(i)]!;
    hex = (hex + 1) & -(c & HEX_CHAR);
    upper = (upper + 1) & -((c & BASE32_UPPER) >> 1);
    lower = (lower + 1) & -((c & BASE32_LOWER) >> 2);
    hexUpper = (hexUpper + 1) & -((c & BASE32HEX_UPPER) >> 3);
    hexLower = (hexLower + 1) & -((c & BASE32HEX_LOWER) >> 4);
    most = Math.max(most, hex, upper, lower, hexUpper, hexLower);
  }
  return most;
}

/** Decodes a run of `0` and `1`, eight a byte, the first of each the high bit (`msb`) or the low. */
function bitBytes(run: string, msb: boolean, tail = false): Uint8Array {
  // With `tail`, the bits short of a byte at the end too (for `shiftedBytes`).
  const n = tail ? (run.length + 7) >> 3 : run.length >> 3;
  const out = room(n);
  for (let i = 0; i < n; i++) {
    let byte = 0;
    for (let k = 0; k < 8 && i * 8 + k < run.length; k++) {
      const bit = run.charCodeAt(i * 8 + k) - 48;
      byte |= msb ? bit << (7 - k) : bit << k;
    }
    out[i] = byte;
  }
  return out.subarray(0, n);
}

/** Whether a base32hex run holds a digit value past hex's (`G` to `V`): else it is hex. */
const PAST_HEX = /[G-Vg-v]/;

/** Two ascending lists of offsets as one. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    out.push(j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!);
  }
  return out;
}

/** How far around a trigger a decoded window reaches: longer than any token. */
const RADIUS = DECODE_RADIUS;
/** Decoding stops after this many bytes of decoded output per text (a bound, not a gap: the plain text is always scanned). */
const MAX_DECODED = 8 * 1024 * 1024;

/**
 * Merged windows reaching `RADIUS` around each stretch (pairs of start and end, in
 * increasing order; a single offset `at` is the stretch `at, at + 1`).
 */
function windowsAround(length: number, stretches: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < stretches.length; k += 2) {
    const from = Math.max(0, stretches[k]! - RADIUS);
    const to = Math.min(length, stretches[k + 1]! - 1 + RADIUS);
    const last = out.at(-1);
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

/**
 * The longest window whose characters are traced back to where they are written (see
 * `writtenSpan`: a trace decodes starts of the window a few hundred times over).
 */
const MAX_TRACED = 4096;

/** The longest escape a window's decoding resolves, in characters (`&#x1F600;`, `chr(1234)`). */
const LONGEST_ESCAPE = 48;

/**
 * Where in `window` what `decode` turns into characters `from`-`to` of its decoding is
 * written. A start of the window that ends inside an escape decodes to more than the
 * escape will (what is left of it stays as written): a start counts for the fewest
 * characters it or a start up to an escape longer decodes to, which grows with it, and
 * the shortest that counts for more than `from` characters, less its last, and the
 * shortest that counts for `to` or more are found by halving. Each is then moved out of
 * any escape it falls in, to where a start decodes to a start of the whole decoding.
 * Exact at characters decoding leaves as they are (a token's pieces between escaped
 * quotes).
 */
export function writtenSpan(
  window: string,
  decode: (s: string) => string,
  from: number,
  to: number,
): [number, number] {
  const whole = decode(window);
  const decodedBy = (end: number) => {
    let fewest = Infinity;
    for (let e = end; e <= Math.min(window.length, end + LONGEST_ESCAPE); e++) {
      fewest = Math.min(fewest, decode(window.slice(0, e)).length);
    }
    return fewest;
  };
  const shortest = (enough: (length: number) => boolean) => {
    let low = 0;
    let high = window.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (enough(decodedBy(mid))) high = mid;
      else low = mid + 1;
    }
    return low;
  };
  const clean = (end: number) => whole.startsWith(decode(window.slice(0, end)));
  let start = Math.max(0, shortest((n) => n > from) - 1);
  for (let k = 0; k < LONGEST_ESCAPE && start > 0 && !clean(start); k++) start--;
  let end = shortest((n) => n >= to);
  for (let k = 0; k < LONGEST_ESCAPE && end < window.length && !clean(end); k++) end++;
  return [start, end];
}

/** Each offset as a stretch of one character. */
function single(offsets: readonly number[]): number[] {
  const out = new Array<number>(offsets.length * 2);
  for (let k = 0; k < offsets.length; k++) {
    out[2 * k] = offsets[k]!;
    out[2 * k + 1] = offsets[k]! + 1;
  }
  return out;
}

/**
 * The base64 of a file's first bytes: PNG, JPEG, GIF, WebP/RIFF, PDF, gzip, zip, and
 * the image formats models accept. Only the characters those bytes alone make: a
 * character that takes bits from the next byte too (a PNG's eleventh) varies with it.
 */
const FILE_MAGIC = /^(?:iVBORw0KGg|\/9j\/|R0lGOD|UklGR|JVBERi0|H4sI|UEsDB)/;

/**
 * Whether a run of base64 is a file's (it starts with one's signature): at the other three
 * alignments it is read for text of 16 characters or more only (see `variants`).
 */
export function isFileBase64(body: string): boolean {
  return FILE_MAGIC.test(body);
}

/** The longest join of lines read without its short last line too (see `SHORT_LAST_LINE`). */
const SHORT_JOIN = 1024;

/**
 * A line break (and indentation), then a last line of base64 or base32 shorter than a run
 * (its padding too), then its end.
 */
const SHORT_LAST_LINE =
  /^(?:\r?\n|(?:\\{1,2}r)?\\{1,2}n)(?:[ \t]|\\t){0,8}[A-Za-z0-9+/_-]{1,15}={0,6}(?![A-Za-z0-9+/_=-])/;

/**
 * A separator between runs cut apart (see `variants`): spaces, tabs, commas, `;`, `|`, a
 * dot or a colon right between two runs (`fold -w 16 | paste -sd.`: no run holds them),
 * and quotes with what joins quoted pieces in code (`", "`, `" + "`, a line break between
 * them), also escaped in a JSON string; up to 12 characters. Line breaks and indentation
 * alone are lines', joined before.
 */
const SEPARATOR = /^(?:[ \t,;|.:]|\\t|(?:\\?["'`])(?:[ \t\r\n,;|+]|\\[nrt])*(?:\\?["'`])){1,12}$/;
/** The longest separator read. */
const MAX_SEPARATOR = 12;
/** By code: 1 for what may start a separator (see `SEPARATOR`). */
const SEPARATOR_START = Uint8Array.from(
  { length: 128 },
  (_, c) => +/[ \t,;|.:"'`\\]/.test(String.fromCharCode(c)),
);
/**
 * A separator of spaces, tabs, commas, `;` or `|` where a group starts after it (sticky:
 * set `lastIndex`), for one run and a narrower group: not quotes, which would join each
 * long string of a JSON body (an image's base64) to the next key's name.
 */
const SEPARATOR_AT = /(?:[ \t,;|]|\\t){1,12}(?=[A-Za-z0-9+/_-])/y;
/** The widest group `markedGroups` reads. */
const MAX_MARKED_GROUP = 64;
/** A mark a run holds (see `markedGroups`). */
const MARK = /[-_/+]/;

/**
 * `run` cut into groups of one width, but a narrower last, by a mark a run holds (`-`,
 * `_`, `/` or `+`: hex, base32 or base64 of the other alphabet joined by it, `paste -sd-`),
 * the groups joined; undefined if it is not so cut. Three groups or more, and a digit:
 * an identifier's or a path's parts are of different widths, or of letters alone. Two
 * groups of 16 characters or more will do where the mark is one their alphabet lacks.
 * Most runs are done with at their first mark or the second's place.
 */
function markedGroups(run: string): string | undefined {
  const width = run.search(MARK);
  if (width < 2 || width > MAX_MARKED_GROUP) return undefined;
  const step = width + 1;
  const mark = run[width]!;
  if (run.length > width + step && run[width + step] !== mark) return undefined;
  // Each mark at its place, and only there (found natively, as the first is: a loop over
  // the characters took a line of base64 twice as long).
  let last = width;
  let marks = 1;
  for (let next = run.indexOf(mark, last + 1); next !== -1; next = run.indexOf(mark, last + 1)) {
    if (next !== last + step) return undefined;
    last = next;
    marks++;
  }
  // The last group, narrower or none (a mark after the last group: `sed 's/.\{8\}/&-/g'`).
  const rest = run.length - last - 1;
  const groups = marks + +(rest > 0);
  if (rest > width || groups < (width >= MIN_RUN ? 2 : 3) || !/[0-9]/.test(run)) return undefined;
  const joined = run.replaceAll(mark, "");
  // Two groups, one mark: only one the groups' alphabet lacks (hex, base32; `-` or `_`
  // in standard base64, `+` or `/` in the URL's), not one of base64's own by chance.
  if (groups === 2 && !ENCODED_ONE_CASE.test(joined)) {
    if (!(mark === "-" || mark === "_" ? /[+/]/ : /[-_]/).test(joined)) return undefined;
  }
  return joined;
}

/** The narrowest and the widest groups `cutToken` reads. */
const MIN_CUT = 4;
const MAX_CUT = 32;

/**
 * A token cut every so many characters by a mark a run holds (`-`, `_`, `/` or `+`:
 * `fold -w 8 | paste -sd-`), where the cut falls inside its own prefix or among its own
 * marks (`sk-ant-a-pi03-...`, `xoxb-123-45678901-23-12345-...`), so that neither the
 * prefix nor groups after it are there to be read: the run from `lead` on without the
 * marks at the places such a cut puts them, when the run starts with a token's head
 * (`heads`) and what is left starts with a whole prefix; undefined when it is not so
 * cut. Most runs are done with at their head; the rest at the first place each width
 * puts a mark.
 */
function cutToken(run: string, lead: number, heads: TurnedHeads): string | undefined {
  const n = run.length - lead;
  if (n < MIN_RUN || !hasHead(heads.plain, run, lead)) return undefined;
  for (let width = MIN_CUT; width <= MAX_CUT && width < n; width++) {
    const mark = run.charCodeAt(lead + width);
    if (mark !== 45 && mark !== 95 && mark !== 47 && mark !== 43) continue;
    const step = width + 1;
    let at = lead + width + step;
    while (at < run.length && run.charCodeAt(at) === mark) at += step;
    // The mark at every place to the end: the last group no wider than the others. Of
    // two groups, the second as wide as a piece a space apart must be (`MIN_SPLIT`):
    // three characters after one mark are no sign of a cut.
    if (at < run.length) continue;
    if (at === lead + width + step && n - step < MIN_CUT) continue;
    let joined = "";
    for (let p = lead; p < run.length; p += step) joined += run.slice(p, p + width);
    if (startsWith(heads.prefix, joined)) return joined;
  }
  return undefined;
}

/** The most marks `strayMarksOut` takes out of a run. */
const MAX_STRAY = 2;

/**
 * A token with one or two marks of one kind (`-`, `_`, `/` or `+`) put in past its whole
 * prefix (`ghp_Zq8L-w2Rt5Vn...`, `AKIAQ3EG/Q2VF...`), each with four characters or more
 * after it (three after one are no sign of a cut): the run from `lead` on without them,
 * for each kind that is so, when the run starts with a token's head (`heads`) and a whole
 * prefix. The token's own marks of the other kinds stay (a fine-grained GitHub token's
 * `_`: which kind was put in is not known, so each is tried).
 */
function strayMarksOut(run: string, lead: number, heads: TurnedHeads): string[] {
  if (run.length - lead < MIN_RUN || !hasHead(heads.plain, run, lead)) return [];
  heads.prefix.lastIndex = 0;
  const whole = heads.prefix.exec(lead === 0 ? run : run.slice(lead));
  if (whole === null) return [];
  const from = lead + whole[0].length;
  const out: string[] = [];
  for (const mark of STRAY_MARKS) {
    let at = run.indexOf(mark, from);
    if (at < 0) continue;
    let joined = run.slice(lead, from);
    let piece = from;
    for (let marks = 1; at >= 0 && marks <= MAX_STRAY; marks++) {
      joined += run.slice(piece, at);
      piece = at + 1;
      at = run.indexOf(mark, piece);
      if ((at < 0 ? run.length : at) - piece < MIN_CUT) break;
    }
    if (at < 0 && run.length - piece >= MIN_CUT) out.push(joined + run.slice(piece));
  }
  return out;
}

/** The marks `strayMarksOut` takes out. */
const STRAY_MARKS = ["-", "_", "/", "+"];

/** How far into a run `markInPrefix` looks for a mark put in a prefix (`github_p-at_`). */
const MAX_MARKED_PREFIX = 20;

/**
 * A token with a mark (`-`, `_`, `/` or `+`) put in its prefix (`gh-p_Zq8L...`,
 * `github_pa/t_11...`): the run from `lead` on without it, when what is left starts with
 * a whole prefix that the mark was inside; undefined when none is so. Looked for past a
 * token's head only where one starts the run, and within its first three characters only
 * where they are a head without the mark.
 */
function markInPrefix(run: string, lead: number, heads: TurnedHeads): string | undefined {
  if (run.length - lead < MIN_RUN) return undefined;
  const headed = hasHead(heads.plain, run, lead);
  const to = Math.min(run.length, lead + (headed ? MAX_MARKED_PREFIX : 3));
  for (let p = lead + 1; p < to; p++) {
    const c = run.charCodeAt(p);
    if (c !== 45 && c !== 95 && c !== 47 && c !== 43) continue;
    const head = run.slice(lead, p) + run.slice(p + 1, lead + 4);
    if (!headed && !hasHead(heads.plain, head, 0)) continue;
    const joined = run.slice(lead, p) + run.slice(p + 1);
    heads.prefix.lastIndex = 0;
    const whole = heads.prefix.exec(joined);
    if (whole !== null && whole[0].length > p - lead) return joined;
  }
  return undefined;
}

/** The fewest characters of padding `paddingOff` takes off a run's start. */
const MIN_PADDING = 3;

/**
 * A token padded with one character over and over, glued on (`0000ghp_Zq8L...0000`,
 * `xxxxxAKIA...xxxxx`, which whoever receives it takes off again): the run from `lead`
 * on without the padding before it, when a token's head (`heads`) starts right after
 * it; on a line of its own, the same again without as much of that character at the
 * run's end. Undefined when the run is not so padded.
 */
function paddingOff(run: string, lead: number, heads: TurnedHeads): string | undefined {
  const pad = run.charCodeAt(lead);
  // Most runs start with two characters that differ: done with at once.
  if (run.charCodeAt(lead + 1) !== pad) return undefined;
  let head = lead + 2;
  while (head < run.length && run.charCodeAt(head) === pad) head++;
  // The token's own first character may be the padding's (`AAAAKIA...`).
  if (head - lead > MIN_PADDING && !hasHead(heads.plain, run, head)) head--;
  if (head - lead < MIN_PADDING || run.length - head < MIN_RUN) return undefined;
  if (!hasHead(heads.plain, run, head)) return undefined;
  let end = run.length;
  while (end > head && run.charCodeAt(end - 1) === pad) end--;
  // The token's own last characters may be the padding's: read both ways.
  return end === run.length ? run.slice(head) : `${run.slice(head, end)}\n${run.slice(head)}`;
}

/** The longest run read as one piece of a secret in base64 pieces (see `variants`). */
const MAX_PIECE_BASE64 = 512;
/** The most pieces in base64 joined. */
const MAX_BASE64_PIECES = 8;

/** The text `body` (base64 at its own alignment) decodes to, when all of it is printable ASCII. */
function textOfBase64(body: string): string | undefined {
  const bytes = base64Bytes(body, 0);
  if (bytes.length < 4) return undefined;
  for (let i = 0; i < bytes.length; i++) if (PRINTABLE_BYTE[bytes[i]!] === 0) return undefined;
  return ASCII.decode(bytes);
}

/**
 * Whether the text from `end` (a run's) to `start` (the next run's) is what stands
 * between pieces: its padding, then up to eight spaces, line breaks (as written or
 * escaped in a JSON string), quotes, `,`, `;`, `|` or `+`.
 */
function piecesGap(text: string, end: number, start: number): boolean {
  // Without padding after it, a run and the next a line apart are base64 wrapped (read as
  // such, joined): base64 lines, each one's pair looked at, had cost their scan a tenth.
  if (text.charCodeAt(end) !== 61) {
    const k = lineBreakAt(text, end);
    if (k > 0 && end + k === start) return false;
  }
  let p = end;
  while (p < start && text.charCodeAt(p) === 61) p++;
  if (start - p > 16) return false;
  let n = 0;
  for (; p < start; p++, n++) {
    const c = text.charCodeAt(p);
    const next = text.charCodeAt(p + 1);
    // An escape in a JSON string: a line break or a quote.
    if (c === 92 && (escapeLetter(next) || next === 34 || next === 39)) p++;
    else if (
      !(c === 32 || c === 9 || c === 10 || c === 13 || c === 34 || c === 39 || c === 44 ||
        c === 59 || c === 124 || c === 43)
    ) return false;
  }
  return n > 0 && n <= 8;
}

/**
 * Where the pieces in base64 that start at `from` end (see `piecesGap`): the last
 * piece's end, its padding with it, `MAX_BASE64_PIECES` pieces at the most.
 */
export function base64PiecesEnd(text: string, from: number): number {
  const run = /[A-Za-z0-9+/_-]+/y;
  run.lastIndex = from;
  if (!run.exec(text)) return from;
  let runEnd = run.lastIndex;
  let end = runEnd;
  while (text.charCodeAt(end) === 61) end++;
  const piece = /[A-Za-z0-9+/_-]{16,}/g;
  for (let n = 1; n < MAX_BASE64_PIECES; n++) {
    // The next piece, a gap away (a `+` between quoted pieces is the gap's), looked for
    // within reach of it.
    const window = text.slice(end, end + 16 + MAX_PIECE_BASE64);
    piece.lastIndex = 0;
    const next = piece.exec(window);
    if (!next || next.index > 16 || !piecesGap(text, runEnd, end + next.index)) break;
    // After a line break escaped in a JSON string, the run starts with the escape's letter.
    const escaped = window.charCodeAt(next.index - 1) === 92 && escapeLetter(next[0].charCodeAt(0));
    if (textOfBase64(escaped ? next[0].slice(1) : next[0]) === undefined) break;
    runEnd = end + next.index + next[0].length;
    end = runEnd;
    while (text.charCodeAt(end) === 61) end++;
  }
  return end;
}

/** Groups joined that read as hex or base32 (one case of letters, and digits). */
const ENCODED_ONE_CASE = /^(?:[0-9a-f]+|[0-9A-F]+|[A-Z2-7]+|[a-z2-7]+)$/;
/** Whether character `at` of `text` is one a run holds (either base64 alphabet, base32). */
function inBase64(text: string, at: number): boolean {
  const c = codeAt(text, at);
  return c < 256 && (ALPHABET[c]! & RUN_CHAR) !== 0;
}

/** Line breaks between joined lines, with the next line's indentation and a soft break's `=`. */
const JOINED_BREAK = /=?(?:\r?\n|(?:\\{1,2}r)?\\{1,2}n)(?:[ \t]|\\{1,2}t)*/g;

/**
 * `run` without the `=` padding it ends in: read from its end (a regular expression tried
 * every place in an image's megabyte of base64, a twentieth of its scan).
 */
function withoutPadding(run: string): string {
  let end = run.length;
  while (end > 0 && run.charCodeAt(end - 1) === 61) end--;
  return end === run.length ? run : run.slice(0, end);
}

/** How many first characters of text spaced out or joined `unglued` leaves out at most. */
const GLUED = 3;
/** How much of it `unglued` reads from there: a token's length at most (the rest is read once). */
const GLUED_READ = 1024;

/**
 * Text spaced out or characters joined (`text`, as read from a dump: see `Dump.glued`)
 * from each of its first `GLUED` characters on, while they are letters or digits, where a
 * token's head (`heads`) starts: a token spaced out in a sentence (`the key is g h p _
 * ...`, `x = g h p _ ...`) or one a line after a line of one character is read with what
 * comes before it glued on (the word's last character, a character of its own, which are
 * cells as much as its own), and no token starts after a letter or a digit.
 */
function unglued(text: string, heads: TurnedHeads): string[] {
  const out: string[] = [];
  for (let k = 1; k <= GLUED && k + 3 <= text.length; k++) {
    const c = text.charCodeAt(k - 1);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) break;
    if (hasHead(heads.plain, text, k)) out.push(text.slice(k, k + GLUED_READ));
  }
  return out;
}

/** Whether a run could be base64 of text: both cases, and a digit or a `+` or `/`. */
function base64Candidate(run: string): boolean {
  return /[a-z]/.test(run) && /[A-Z]/.test(run) && /[0-9+/]/.test(run);
}

/**
 * Every decoded form of `text` worth scanning, one level deep. Normalising,
 * percent-decoding and JSON-unescaping are done only around what they would change,
 * so that a large text costs what its encoded parts cost. `tokenStart`: where a token's
 * own prefix starts (see the joined lines below); `turned`: the token heads to look for
 * reversed or in ROT13 at the ends of runs, and as written at their starts (see
 * `TurnedHeads`).
 */
export function variants(
  text: string,
  survey: Pick<Survey, "runs" | "triggers" | "odd" | "marked" | "dumps" | "spaced" | "joined"> =
    surveyText(
      text,
    ),
  tokenStart?: RegExp,
  turned?: TurnedHeads,
  deepBreaks: readonly number[] = [],
): Variant[] {
  // Nothing to decode (most headers, URLs and decoded windows): no run, no trigger,
  // nothing normalising changes, no `&` (character references are found by it), no
  // stretch of a hex dump, nothing spaced out.
  const { dumps, spaced, joined } = survey;
  if (
    survey.runs.length === 0 && survey.triggers.length === 0 && survey.odd.length === 0 &&
    survey.marked.length === 0 &&
    dumps.length === 0 && spaced.length === 0 && joined.length === 0 && !text.includes("&") &&
    deepBreaks.length === 0
  ) {
    return [];
  }
  const out: Variant[] = [];
  let budget = MAX_DECODED;
  const add = (v: Variant) => {
    if (v.text.length === 0 || budget <= 0) return;
    budget -= v.text.length;
    out.push(v);
  };
  // base64 of gzip (`gzip | base64`), of a zlib stream (`zlib.compress`) or of zstd
  // (`zstd | base64`): opened, within what is left to decode (wrapped across lines, from
  // the joined lines' own variants). A zlib stream is told by its header (its first
  // base64 letter is `e`). What cannot be opened to check (too large, zstd that needs a
  // dictionary) is a finding of its own.
  const compressed = (body: string, at: number) => {
    const encoding = body.startsWith("H4sI")
      ? "gzip"
      : body.startsWith("KLUv/") || body.startsWith("KLUv_")
      ? "zstd"
      : body[0] === "e" && zlibHeader(base64Bytes(body.slice(0, 4), 0))
      ? "zlib"
      : undefined;
    if (encoding !== undefined) open(base64Bytes(body, 0), encoding, at);
    // And its base64 in ROT13 (`gzip | base64 | tr A-Za-z N-ZA-Mn-za-m`), or turned around
    // (`gzip | base64 -w0 | rev`, its padding before it): told by the signature so written.
    else {
      const turned = turnedCompressed(body);
      if (turned !== undefined) compressed(turned, at);
    }
  };
  // The same for bytes decoded from hex or base32 (`gzip | xxd -p`), told by their own
  // first bytes.
  const compressedBytes = (bytes: Uint8Array, at: number) => {
    const encoding = bytes[0] === 0x1f && bytes[1] === 0x8b
      ? "gzip"
      : bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd
      ? "zstd"
      : zlibHeader(bytes)
      ? "zlib"
      : undefined;
    if (encoding !== undefined) open(bytes, encoding, at);
  };
  const open = (bytes: Uint8Array, encoding: "gzip" | "zstd" | "zlib", at: number) => {
    let opened: Uint8Array | "large" | undefined;
    try {
      opened = encoding === "gzip"
        ? gunzipLenient(bytes, budget)
        : encoding === "zstd"
        ? unzstdLenient(bytes, budget)
        : inflateLenient(bytes, budget);
    } catch {
      opened = "large";
    }
    if (opened === "large") out.push({ text: "", encoding, at, unchecked: true });
    else if (opened) add({ text: new TextDecoder().decode(opened), encoding, at });
  };
  const found = triggered(text, survey.triggers);
  const local = (
    encoding: Variant["encoding"],
    stretches: readonly number[],
    decode: (s: string) => string,
  ) => {
    for (const [from, to] of windowsAround(text.length, stretches)) {
      if (budget <= 0) return;
      const window = text.slice(from, to);
      const decoded = decode(window);
      if (decoded !== window) {
        add({
          text: decoded,
          encoding,
          at: from,
          end: to,
          origin: window.length > MAX_TRACED
            ? undefined
            : (a, b) => writtenSpan(window, decode, a, b).map((i) => from + i) as [number, number],
        });
      }
    }
  };
  local("normalized", survey.odd, normalize);
  local("normalized", single(survey.marked), withoutMarks);
  local("url", single(found.percent), percentDecode);
  local("quoted-printable", single(found.qp), qpDecode);
  // And code in a JSON string inside another, its quotes escaped twice (see `deepQuoteAt`),
  // or a token's piece ending at a line break so (`deepBreaks`, from the caller): one list,
  // so that windows around them all are one.
  const deep = deepBreaks.length === 0 ? found.deep : mergeSorted(found.deep, deepBreaks);
  local(
    "json",
    single(deep.length === 0 ? found.escape : mergeSorted(found.escape, deep)),
    deep.length === 0 ? jsonUnescape : jsonUnescapeDeep,
  );
  // Escapes written inside a JSON string (or another layer of quoting) have their
  // backslash doubled (`"printf '\\147'"`): a run of backslashes before an escape counts
  // as one, or each would leave a backslash inside the token.
  local(
    "escape",
    single(found.code),
    (w) => codeUnescape(w.replace(/\\+(?=[0-7xuUN])/g, "\\")).replace(/\\+\//g, "/"),
  );
  local("html", single(found.html), htmlUnescape);
  local("escape", single(found.calls), charCallsDecode);
  // Hex dumps (`xxd`, `hexdump -C`, `od -tx1`, `xxd -i`): their bytes, as written and,
  // in groups of more than a byte, each group reversed (`od -x`: little-endian words).
  // Text spaced out (`od -c`) too, and characters joined by a separator (`g,h,p,_`).
  const cells = found.zeroCells.length === 0
    ? spaced
    : [...spaced, ...found.zeroCells].sort((a, b) => a - b);
  if (dumps.length > 0 || cells.length > 0 || joined.length > 0) {
    const all = [
      ...hexDumps(text, dumps),
      ...spacedDumps(text, cells),
      ...joinedDumps(text, joined),
    ];
    for (const dump of all) {
      if (budget <= 0) break;
      const parts = dump.bytes.map((b) => printableRuns(b)).filter(Boolean);
      if (dump.glued && turned && parts.length > 0) parts.push(...unglued(parts[0]!, turned));
      // Characters one a line that start no token, but do with the short word that ends the
      // line before (`value: g`, then `h`, `p`, ...).
      const before = dump.before;
      if (
        before && turned && parts.length > 0 && !hasHead(turned.plain, parts[0]!, 0) &&
        hasHead(turned.plain, before + parts[0], 0)
      ) parts.push(before + parts[0]);
      if (parts.length) {
        add({ text: parts.join("\n"), encoding: "hexdump", at: dump.at, through: dump.end });
      }
    }
  }
  const runs = survey.runs;
  // A token or a base64 block cut across lines (`base64` wraps at 76): runs that follow
  // one another with only a line break between are joined, scanned as they are and,
  // when they may be base64, decoded as one. In a JSON string the break is escaped
  // (`\n`, whose `n` starts the next run): a join starts past it (`lineStart`), where the
  // run's own findings point too.
  // A line that starts with a token's own prefix (`tokenStart`: one with a separator,
  // which no token's body holds) starts a token of its own: joined to the line before, a
  // list of keys one a line read as one longer key (`sk_live_<23 A>` then `sk_test_...`).
  const startsToken = (at: number) => {
    if (!tokenStart) return false;
    tokenStart.lastIndex = at;
    return tokenStart.test(text);
  };
  // The next line may be indented (spaces, tabs): its run starts past them, or at the
  // `t` of a tab escaped last in a JSON string.
  const broken = (end: number) => {
    let from = runs[end + 1]!;
    const next = runs[end + 2]!;
    // Quoted-printable's soft line break: a `=` ends the line it wraps.
    if (text.charCodeAt(from) === 61) from++;
    // A break escaped twice (lines of output in a JSON string inside another, a notebook's
    // cell in a request), read as one escaped once: its first backslash passed.
    if (text.charCodeAt(from) === 92 && text.charCodeAt(from + 1) === 92) from++;
    const step = lineBreakAt(text, from);
    if (step === 0) return false;
    const line = from + step;
    if (next === line) return !startsToken(next);
    // An escaped break (`\n`, `\r\n`), whose `n` starts the next run.
    if (next === line - 1) return text.charCodeAt(from) === 92 && !startsToken(next + 1);
    const indented = indentEnd(text, line);
    if (next === indented) return indented > line && !startsToken(next);
    return next === indented - 1 && text.charCodeAt(next - 1) === 92 && !startsToken(next + 1);
  };
  // Base64 turned a line at a time, whose last line's padding leads it: from run `r`, a
  // line right above that last line, up through the lines of its width above it; turned
  // back line by line, joined and decoded. The last line may be shorter than a run. In a
  // JSON string a run after an escaped break starts with its `n`: a line starts after.
  const lineStart = (k: number) => {
    const c = text.charCodeAt(runs[k]!);
    return runs[k]! + (text.charCodeAt(runs[k]! - 1) === 92 && (c === 110 || c === 116) ? 1 : 0);
  };
  const turnedLines = (r: number): [Variant, number] | undefined => {
    const pad = runs[r + 1]! + lineBreakAt(text, runs[r + 1]!);
    if (pad === runs[r + 1] || text.charCodeAt(pad) !== 61) return undefined;
    let end = pad + 1;
    if (text.charCodeAt(end) === 61) end++;
    while (end < text.length && (ALPHABET[text.charCodeAt(end)]! & BASE64_CHAR) !== 0) end++;
    const width = runs[r + 1]! - lineStart(r);
    if (width < MIN_BASE64 || end - pad > width) return undefined;
    let first = r;
    while (first >= 2 && runs[first - 1]! - lineStart(first - 2) === width && broken(first - 2)) {
      first -= 2;
    }
    const lines: string[] = [];
    for (let k = first; k <= r; k += 2) lines.push(text.slice(lineStart(k), runs[k + 1]!));
    lines.push(text.slice(pad, end));
    const printable = turnedBackBase64(lines);
    return printable
      ? [{ text: printable, encoding: "reversed-base64", at: runs[first]! }, first]
      : undefined;
  };
  // Whether the lines of runs `r` to `end` are of one width but the last, which may be
  // shorter (the first line's run may start after a label).
  const oneWidth = (r: number, end: number) => {
    const width = end > r + 2 ? runs[r + 3]! - lineStart(r + 2) : runs[r + 1]! - lineStart(r);
    for (let k = r + 2; k < end; k += 2) {
      if (runs[k + 1]! - lineStart(k) !== width) return false;
    }
    return runs[r + 1]! - lineStart(r) <= width && runs[end + 1]! - lineStart(end) <= width;
  };
  // Runs of a block whose base64 was decoded joined (at every alignment, which covers
  // each line's own): not decoded again one line at a time (a megabyte of wrapped base64
  // is fourteen thousand lines, four decodes each).
  const decodedJoined = runs.length === 0 ? NO_RUNS : new Uint8Array(runs.length >> 1);
  // Runs of a block decoded as base64 turned a line at a time: not decoded turned alone too
  // (a secret read from its block and from its line would be two findings).
  const turnedJoined = runs.length === 0 ? NO_RUNS : new Uint8Array(runs.length >> 1);
  // base64 of runs `r` to `end` joined (`body`, its padding left out), at every
  // alignment: those runs are then not decoded alone.
  // base64 in ROT13 (`base64 | tr A-Za-z N-ZA-Mn-za-m`: still base64, of nothing): a run
  // whose first bytes are no text, read again with its letters moved back where they then
  // are (see `base64Text`). Bytes decoded as written may be text by chance further on.
  const rot13Base64 = (body: string, at: number) => {
    if (base64Text(body, BASE64_VALUE) || !base64Text(body, ROT13_BASE64)) return;
    const back = turnedText(body, 0, body.length, false, true);
    const parts: string[] = [];
    for (let offset = 0; offset < 4 && offset < back.length - 16; offset++) {
      const printable = base64Printable(back, offset);
      if (printable) parts.push(printable);
    }
    if (parts.length) add({ text: parts.join("\n"), encoding: "rot13-base64", at });
  };
  const joinedBase64 = (body: string, at: number, r: number, end: number) => {
    const parts: string[] = [];
    for (let offset = 0; offset < 4 && offset < body.length - 16; offset++) {
      const printable = base64Printable(body, offset);
      if (printable) parts.push(printable);
    }
    if (parts.length) add({ text: parts.join("\n"), encoding: "base64", at });
    rot13Base64(body, at);
    if (budget > 0) decodedJoined.fill(1, r >> 1, (end >> 1) + 1);
  };
  for (let r = 0; r < runs.length && budget > 0;) {
    let end = r;
    while (end + 2 < runs.length && broken(end)) end += 2;
    let tail = runs[end + 1]!;
    // Each line of wrapped base64 turned around (`base64 .env | rev`: `rev` turns a line
    // at a time): the last line's padding leads it, at the start of its line, under lines
    // of one width (a line break, then `=`, ends a block).
    const padded = turnedLines(end);
    if (padded) {
      add(padded[0]);
      turnedJoined.fill(1, padded[1] >> 1, (end >> 1) + 1);
    }
    // The last line of wrapped base64 may be shorter than a run (`AQ==`): without it, a
    // zstd frame of one block opens to nothing.
    const c = text.charCodeAt(tail);
    const next = text.charCodeAt(tail + 1);
    // (A break escaped twice too: see `broken`.)
    const escape = c === 92 && next === 92 ? text.charCodeAt(tail + 2) : next;
    const short = c === 10 || c === 13 || (c === 92 && (escape === 110 || escape === 114))
      ? SHORT_LAST_LINE.exec(text.slice(tail, tail + 40))
      : null;
    if (end === r && !short) {
      r += 2;
      continue;
    }
    if (short) tail += short[0].length;
    // Padding: base64's two, base32's six.
    while (tail < text.length && tail - runs[end + 1]! < 6 && text.charCodeAt(tail) === 61) tail++;
    const joined = text.slice(lineStart(r), tail).replace(JOINED_BREAK, "");
    add({ text: joined, encoding: "lines", at: lineStart(r) });
    // The short line may be the output's next line instead (`ok`, a word after a token cut
    // into lines): glued on, it would make the token too long for its rule. Lines of one
    // width (as `fold` cuts them), `SHORT_JOIN` at most, are joined without it too.
    if (short && end > r && tail - runs[r]! <= SHORT_JOIN && oneWidth(r, end)) {
      add({
        text: text.slice(lineStart(r), runs[end + 1]!).replace(JOINED_BREAK, ""),
        encoding: "lines",
        at: lineStart(r),
      });
    }
    // Lines of one width that each read as base64 of text turned around (`base64 .env |
    // rev` where no padding leads the last line): turned back one by one and decoded.
    const width = runs[r + 1]! - lineStart(r);
    if (!padded && width % 4 === 0 && looksTurnedBase64(text.slice(lineStart(r), runs[r + 1]!))) {
      const lines = text.slice(lineStart(r), tail).split(/\r?\n|(?:\\r)?\\n/);
      if (
        lines.every((line, i) =>
          line.length === width || (i === lines.length - 1 && line.length < width)
        )
      ) {
        const printable = turnedBackBase64(lines);
        if (printable) {
          add({ text: printable, encoding: "reversed-base64", at: runs[r]! });
          turnedJoined.fill(1, r >> 1, (end >> 1) + 1);
        }
      }
    }
    const body = withoutPadding(joined);
    // Where the lines joined start, past an escape's letter (as they do).
    if (base64Candidate(body)) joinedBase64(body, lineStart(r), r, end);
    // One line and a short one after it, which may be the next line of output instead
    // (`EOF`): the line is decoded alone too (glued on, the short one's bytes can run on
    // into the token's).
    if (short && end === r) decodedJoined[r >> 1] = 0;
    r = end + 2;
  }
  // Runs cut apart by a separator that is no line break, the same each time: base64's
  // lines joined by spaces (`echo $(base64 .env)`, `tr '\n' ' '`), by tabs (in a JSON
  // string `\t`, whose `t` starts the next run), commas, or the quotes between quoted
  // pieces (a list of base64 lines; see `SEPARATOR`). Of one width but the last,
  // which may be narrower (narrower than a run too: it follows the separator), they are
  // joined and, when they read as base64, hex or base32, scanned and decoded as one, as
  // lines are above (each alone, a secret across two of them was in neither: groups of
  // 64 hid every `.env`). Looked for only where runs are, so text without them costs
  // nothing; long words one after another (`someLongName anotherLongName`) are none.
  const groupStart = (k: number) =>
    runs[k]! + (text.charCodeAt(runs[k]! - 1) === 92 && text.charCodeAt(runs[k]!) === 116 ? 1 : 0);
  const cutApart = (k: number) => text.slice(runs[k + 1]!, groupStart(k + 2));
  for (let r = 0; r < runs.length && budget > 0;) {
    // Lines joined above are theirs (a secret in the last line, read again with a word
    // after it, was said twice).
    if (decodedJoined[r >> 1] === 1) {
      r += 2;
      continue;
    }
    const from = groupStart(r);
    const width = runs[r + 1]! - from;
    // What follows the run must start a separator (most runs fail here, at no cost).
    const after = codeAt(text, runs[r + 1]!);
    if (after >= 128 || SEPARATOR_START[after] === 0) {
      r += 2;
      continue;
    }
    const gap = r + 2 < runs.length ? groupStart(r + 2) - runs[r + 1]! : Infinity;
    // A dot or a colon separates only runs right after it: most runs' dot is a path's or
    // a name's (`plugin.c`, `Accessor::Copy`), and a look at each of them cost the scan of
    // an executable a tenth.
    if ((after === 46 || after === 58) && gap !== 1) {
      r += 2;
      continue;
    }
    let separator = gap <= MAX_SEPARATOR ? cutApart(r) : "";
    let end = r;
    if (separator && SEPARATOR.test(separator) && runs[r + 3]! - groupStart(r + 2) <= width) {
      while (end + 2 < runs.length && decodedJoined[(end + 2) >> 1] === 0) {
        const next = runs[end + 3]! - groupStart(end + 2);
        if (next > width || cutApart(end) !== separator) break;
        end += 2;
        if (next < width) break;
      }
    } else {
      // One run, then only a group narrower than a run.
      SEPARATOR_AT.lastIndex = runs[r + 1]!;
      separator = SEPARATOR_AT.exec(text)?.[0] ?? "";
    }
    // No digit, `+` or `/` in the runs: words one after another, no base64, hex or base32
    // (looked at first: 1 MiB of long words, a pair joined each time, had scanned a fifth
    // slower for the groups read around them).
    if (!separator || !/[0-9+/]/.test(text.slice(from, runs[end + 1]!))) {
      r = end + 2;
      continue;
    }
    // A last group narrower than a run (or than the others), then padding.
    let tail = runs[end + 1]!;
    if (runs[end + 1]! - groupStart(end) === width && text.startsWith(separator, tail)) {
      const first = tail + separator.length;
      let last = first;
      while (last - first < width && inBase64(text, last)) last++;
      if (last > first && !inBase64(text, last)) tail = last;
    }
    if (end === r && tail === runs[r + 1]) {
      r += 2;
      continue;
    }
    for (const padded = tail; tail - padded < 2 && text.charCodeAt(tail) === 61;) tail++;
    // A first group narrower than a run, before the separator (after a label glued on,
    // `data:R0lU...`, then the rest in groups).
    let head = from;
    if (text.startsWith(separator, from - separator.length)) {
      const last = from - separator.length;
      let first = last;
      while (last - first < Math.min(width, MIN_RUN - 1) && inBase64(text, first - 1)) first--;
      if (first < last && !inBase64(text, first - 1)) head = first;
    }
    const joined = text.slice(head, tail).replaceAll(separator, "");
    const body = withoutPadding(joined);
    // base64 is decoded here (what it opens to too); hex, base32 and bits a level down.
    if (!base64Candidate(body)) {
      if (ENCODED_ONE_CASE.test(body)) {
        add({ text: joined, encoding: "chunks", at: head, end: tail });
      }
    } else {
      compressed(body, head);
      joinedBase64(body, head, r, end);
    }
    r = end + 2;
  }
  // A run's part of one alphabet (see `subRuns`), `sub`, written at `at`: decoded as hex,
  // bits or base32 from each of its places.
  const decodeSubRun = (
    alphabet: number,
    sub: string,
    at: number,
    hexEncoding: "hex" | "rot13-hex" = "hex",
  ) => {
    if (alphabet === HEX_CHAR) {
      // From its second digit too: four bits further (decoded once, read shifted).
      const bytes = hexBytes(sub, 0, true);
      compressedBytes(bytes.subarray(0, sub.length >> 1), at);
      const parts = hexText(bytes, sub.length);
      if (parts) add({ text: parts, encoding: hexEncoding, at });
      // Hex turned around (`xxd -p | rev`, `h[::-1]`): read back from its end, from its last
      // digit and from the one before (a character glued on after it).
      if (turnedHexOfText(sub)) {
        const turned = hexText(hexBytes(reverseText(sub), 0, true), sub.length);
        if (turned) add({ text: turned, encoding: "reversed-hex", at });
      }
      // Text's bytes read as one number, in decimal (`int.from_bytes(t.encode(), "big")`).
      if (sub.length >= MIN_NUMBER && sub.length <= MAX_NUMBER && DIGITS.test(sub)) {
        const number = numberText(sub);
        if (number) add({ text: number, encoding: "number", at });
      }
    } else if (alphabet === BIT_CHAR) {
      // Both orders of a byte's bits (`basenc --base2msbf`, `--base2lsbf`), from each of
      // a byte's eight places: a character of the alphabet glued in front (`v1`, then
      // the bits) shifts them, as it shifts base64's groups of four.
      const parts: string[] = [];
      for (const msb of [true, false]) {
        const bytes = bitBytes(sub, msb, true);
        const whole = sub.length >> 3;
        for (let offset = 0; offset < 8 && sub.length - offset >= MIN_BITS; offset++) {
          const printable = printableRuns(
            offset === 0
              ? bytes.subarray(0, whole)
              : shiftedBytes(bytes, offset, msb, (sub.length - offset) >> 3),
          );
          if (printable) parts.push(printable);
        }
      }
      if (parts.length) add({ text: parts.join("\n"), encoding: "base2", at });
    } else if (alphabet === BASE32_UPPER || alphabet === BASE32_LOWER || PAST_HEX.test(sub)) {
      // From each of a group's eight places, likewise: five bits further each.
      const values = alphabet === BASE32_UPPER || alphabet === BASE32_LOWER
        ? B32_VALUE
        : B32HEX_VALUE;
      const parts: string[] = [];
      const bytes = base32Bytes(sub, values, true);
      const whole = (sub.length * 5) >> 3;
      compressedBytes(bytes.subarray(0, whole), at);
      for (let offset = 0; offset < 8 && sub.length - offset >= MIN_BASE32; offset++) {
        const printable = printableRuns(
          offset === 0
            ? bytes.subarray(0, whole)
            : shiftedBytes(bytes, offset * 5, true, ((sub.length - offset) * 5) >> 3),
        );
        if (printable) parts.push(printable);
      }
      if (parts.length) add({ text: parts.join("\n"), encoding: "base32", at });
    }
  };
  for (let r = 0; r < runs.length && budget > 0; r += 2) {
    const from = runs[r]!;
    let to = runs[r + 1]!;
    while (to < text.length && to - runs[r + 1]! < 6 && text.charCodeAt(to) === 61) to++;
    const run = text.slice(from, to);
    // One character over and over (base64 of zeros in an image, `AAAA...`; a rule of
    // dashes) stands for nothing but its length: none of the readers below finds
    // anything in it, and each read all of it (a model request of 256 KiB of one letter
    // was read as a filler between characters, doubled, padded and as base32 from eight
    // places: 22 ms).
    if (sameCharacter(run, undefined, 0, 0, run.length)) continue;
    // In a JSON string a run after an escape starts with its letter (`\\n`'s `n`).
    const escaped = from > 0 && text.charCodeAt(from - 1) === 92 && ESCAPE_LETTER.test(run[0]!);
    // Without the `=` padding read on above: a line of `.env` turned around (`rev .env`)
    // puts its `=` right after the token's head (`..._phg=NEKOT`).
    const turnedBack = turned &&
      turnedRuns(
        text,
        to === runs[r + 1] ? run : text.slice(from, runs[r + 1]),
        from,
        turned,
        escaped,
      );
    if (turnedBack) { for (const v of turnedBack) add(v); }
    // A token cut by a mark inside its prefix or among its own marks: put back together.
    const uncut = turned && cutToken(run, +escaped, turned);
    if (uncut) add({ text: uncut, encoding: "cut", at: from + +escaped });
    // One or two marks put in past its prefix: taken out (where the same mark also falls
    // where a regular cut puts one, the regular cut above may be the wrong reading).
    if (turned) {
      for (const text of strayMarksOut(run, +escaped, turned)) {
        add({ text, encoding: "cut", at: from + +escaped, whole: true });
      }
      const inPrefix = markInPrefix(run, +escaped, turned);
      if (inPrefix) add({ text: inPrefix, encoding: "cut", at: from + +escaped, whole: true });
      const unpadded = paddingOff(run, +escaped, turned);
      if (unpadded) add({ text: unpadded, encoding: "padded", at: from + +escaped });
    }
    // Groups of one width joined by a mark the run holds (`fold -w 16 | paste -sd-`):
    // joined, and read as the groups cut apart by a space are above.
    const grouped = markedGroups(escaped ? run.slice(1) : run);
    if (grouped !== undefined) {
      const at = from + +escaped;
      if (base64Candidate(grouped)) {
        const body = withoutPadding(grouped);
        compressed(body, at);
        joinedBase64(body, at, r, r);
      } else {
        for (const [alphabet, from2, to2] of subRuns(grouped)) {
          decodeSubRun(alphabet, grouped.slice(from2, to2), at);
        }
      }
    }
    // Each character doubled (`sed 's/./&&/g'`): a long run of pairs, read one of each.
    const halved = run.length >= 2 * MIN_DOUBLED ? undoubled(run) : undefined;
    if (halved) add({ text: halved, encoding: "doubled", at: from });
    // One character put between each of its own (`gXhXpX_X...`): read without it; in a
    // path's segment too (a run holds the path's slashes).
    if (run.length >= 2 * MIN_INTERLEAVED - 1) {
      let unfilled = mayInterleave(run, 0) ? uninterleaved(run, 0, run.length) : undefined;
      // A path is short: a run of base64 (slashes every 64 characters) is not cut so.
      for (let p = 0; !unfilled && run.length <= SHORT_RUN && p < run.length;) {
        let slash = run.indexOf("/", p);
        if (slash === -1) slash = run.length;
        if (p > 0 && slash - p >= 2 * MIN_INTERLEAVED - 1 && mayInterleave(run, p)) {
          unfilled = uninterleaved(run, p, slash);
        }
        p = slash + 1;
      }
      if (unfilled) add({ text: unfilled, encoding: "interleaved", at: from });
    }
    // base64 turned around (`base64 -w0 | rev`): its padding comes first, right before
    // the run; with no padding (a third of lengths), a run that reads as base64 of text
    // turned around. Only there: decoding every run turned around too would cost each
    // one a fifth more.
    const lead = escaped ? 1 : 0;
    // (Not read before the text's start: a character read out of bounds, at a decoded
    // window's first run, made V8's code for this function give up there each time, some
    // 400 times over a process's first 30 scans of Python's source.)
    if (
      run.length - lead >= MIN_BASE64 && turnedJoined[r >> 1] === 0 &&
      ((from > 0 && text.charCodeAt(from - 1) === 61) || looksTurnedBase64(run, lead))
    ) {
      const printable = turnedBackBase64([escaped ? run.slice(1) : run]);
      if (printable) add({ text: printable, encoding: "reversed-base64", at: from });
    }
    if (run.length >= MIN_BASE64 && base64Candidate(run)) {
      const body = withoutPadding(run);
      // On a line of its own in a JSON string (`\nH4sI...`), past the escape's letter, where
      // what the run decodes to points (and lines joined do: a block read a line at a time
      // and whole is one finding).
      const start = from + +escaped;
      compressed(body, from);
      if (escaped) compressed(body.slice(1), start);
      // Any alignment: a character glued in front shifts the groups of four. A file's
      // signature glued in front does too (`printf iVBORw0KGgo; base64 .env`: its
      // eleven characters had hidden the rest when a file was decoded at its own
      // alignment only). At the other three, a file (an image in a model request) is
      // read for runs of text of 16 characters or more (a token's length, a `.env`
      // line's): 8, as at its own alignment, had cost its scan a sixth more.
      const alignments = decodedJoined[r >> 1] === 1 ? 0 : 4;
      const file = isFileBase64(body);
      const parts: string[] = [];
      for (let offset = 0; offset < alignments && offset < body.length - 16; offset++) {
        const printable = base64Printable(body, offset, file && offset > 0 ? 16 : 8);
        if (printable) parts.push(printable);
      }
      if (parts.length) add({ text: parts.join("\n"), encoding: "base64", at: start });
      if (alignments > 0 && !file) rot13Base64(body, start);
    }
    // Hex in ROT13 (`xxd -p | tr a-z n-za-m`: its letters `n` to `s`): moved back, read as hex.
    if (run.length >= MIN_HEX && rot13HexRun(run)) {
      decodeSubRun(HEX_CHAR, turnedText(run, 0, run.length, false, true), from, "rot13-hex");
    }
    if (run.length < MIN_BASE32) continue;
    for (const [alphabet, from2, to2] of subRuns(run)) {
      decodeSubRun(alphabet, run.slice(from2, to2), from + from2);
    }
  }
  // Pieces each in base64 of their own, side by side (`echo $(printf ghp_Zq8L... |
  // base64) $(printf w2Rt... | base64)`): what each decodes to, joined, when each is text.
  // Decoded only where a run and the next stand so (a piece of base64 of text may hold no
  // digit, which a run decoded above must).
  const pieceText = (r: number) => {
    // After a line break escaped in a JSON string, the run starts with the escape's letter.
    const from = runs[r]! +
      +(text.charCodeAt(runs[r]! - 1) === 92 && escapeLetter(text.charCodeAt(runs[r]!)));
    const run = text.slice(from, runs[r + 1]!);
    return run.length <= MAX_PIECE_BASE64 ? textOfBase64(run) : undefined;
  };
  for (let r = 0; r + 2 < runs.length && budget > 0; r += 2) {
    if (!piecesGap(text, runs[r + 1]!, runs[r + 2]!)) continue;
    let joined = pieceText(r);
    if (joined === undefined) continue;
    let last = r;
    for (; last + 2 < runs.length && last - r < 2 * MAX_BASE64_PIECES; last += 2) {
      if (!piecesGap(text, runs[last + 1]!, runs[last + 2]!)) break;
      const next = pieceText(last + 2);
      if (next === undefined) break;
      joined += next;
    }
    // Pointing past an escape's letter, as lines joined do (see `lineStart`).
    if (last > r) add({ text: joined, encoding: "base64-pieces", at: lineStart(r) });
    r = last;
  }
  return out;
}

/**
 * The printable text of base64 whose lines were each turned around (`rev`), turned back
 * one by one and joined (one line: all of it turned); "" if it cannot be base64 of text.
 */
function turnedBackBase64(lines: readonly string[]): string {
  const body = withoutPadding(lines.map(reverseText).join(""));
  return base64Candidate(body) ? base64Printable(body, 0) : "";
}

/** Standard base64's digit values, -1 outside it. */
const B64_VALUE = Int8Array.from(
  { length: 128 },
  (_, c) =>
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".indexOf(
      String.fromCharCode(c),
    ),
);

/**
 * Whether `line` from `from` on, a run of base64's alphabet whose length is a multiple of
 * four, reads as base64 of ASCII text turned around. In base64 of bytes below 0x80, each
 * group of four has its first digit below 32, its second with 8 clear and its third with
 * 2 clear (the top bits of its three bytes); turned around, those are each group's last
 * three, from the end. Random characters pass a group one time in eight: five groups or
 * more, and at most one in sixteen failing (a character past ASCII in the text). A run
 * whose first characters mostly repeat the one before (base64 of zeros: `AAAA...`, which
 * passes) is none.
 */
function looksTurnedBase64(line: string, from = 0): boolean {
  const n = line.length - from;
  if (n < MIN_BASE64 || n % 4 !== 0) return false;
  const allowed = n >> 6;
  let failed = 0;
  // Base64 of text changes character nearly every place; of zeros (`AAAA...`) never.
  let same = 0;
  for (let i = from + 1; i < from + 16; i++) {
    same += +(line.charCodeAt(i) === line.charCodeAt(i - 1));
  }
  if (same > 8) return false;
  for (let g = from; g < line.length; g += 4) {
    const first = B64_VALUE[line.charCodeAt(g + 3)]!;
    const second = B64_VALUE[line.charCodeAt(g + 2)]!;
    const third = B64_VALUE[line.charCodeAt(g + 1)]!;
    const ascii = first >= 0 && first < 32 && second >= 0 && (second & 8) === 0 && third >= 0 &&
      (third & 2) === 0;
    if (!ascii && ++failed > allowed) return false;
  }
  return true;
}

/**
 * How long the line break that starts at `at` is (`\n`, `\r\n`, or either escaped in a
 * JSON string: a backslash after a line's characters, none of which is one, starts an
 * escape), or 0.
 */
export function lineBreakAt(text: string, at: number): number {
  const c = text.charCodeAt(at);
  if (c === 10) return 1;
  if (c === 13) return text.charCodeAt(at + 1) === 10 ? 2 : 0;
  if (c !== 92) return 0;
  const d = text.charCodeAt(at + 1);
  if (d === 110) return 2;
  return d === 114 && text.charCodeAt(at + 2) === 92 && text.charCodeAt(at + 3) === 110 ? 4 : 0;
}

/** The most characters a line's indentation is read for (see `indentEnd`). */
const MAX_INDENT = 8;

/**
 * Where the indentation at `at` ends (the start of a line: spaces and tabs, a tab escaped
 * in a JSON string too), `MAX_INDENT` characters on at the most: a token cut into lines
 * and indented (`fold -w 20 | sed 's/^/  /'`, a block in YAML or Markdown).
 */
export function indentEnd(text: string, at: number): number {
  let k = at;
  while (k - at < MAX_INDENT) {
    const c = text.charCodeAt(k);
    if (c === 32 || c === 9) k++;
    else if (c === 92 && text.charCodeAt(k + 1) === 116) k += 2;
    else break;
  }
  return k;
}

/** Base64 digit values of each ASCII character, as written or in ROT13 (-1 outside the alphabets). */
const [BASE64_VALUE, ROT13_BASE64] = [false, true].map((turned) =>
  Int8Array.from({ length: 128 }, (_, c) => {
    const r = String.fromCharCode(turned ? shiftCode(c, 13) : c);
    const i = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".indexOf(r);
    return i >= 0 ? i : r === "-" ? 62 : r === "_" ? 63 : -1;
  })
) as [Int8Array, Int8Array];

/** Characters of a run read for text in base64 (see `base64Text`): nine bytes. */
const TEXT_PROBE = 12;

/**
 * Whether a run's first characters (in ROT13, with `values` `ROT13_BASE64`) decoded as
 * base64 at one of its four alignments are printable text: nine bytes, which random
 * base64 gives one run in fourteen hundred.
 */
function base64Text(body: string, values: Int8Array): boolean {
  for (let offset = 0; offset < 4; offset++) {
    if (body.length - offset < TEXT_PROBE + 8) return false;
    let ok = true;
    for (let k = offset; ok && k < offset + TEXT_PROBE; k += 4) {
      let v = 0;
      for (let j = 0; j < 4; j++) {
        const d = values[body.charCodeAt(k + j) & 127]!;
        if (d < 0) return false;
        v = (v << 6) | d;
      }
      for (let shift = 16; shift >= 0; shift -= 8) {
        const b = (v >> shift) & 255;
        if (!(b >= 0x20 && b < 0x7f) && b !== 9 && b !== 10 && b !== 13) ok = false;
      }
    }
    if (ok) return true;
  }
  return false;
}

/**
 * Whether a run is hex in ROT13: digits and the letters `n` to `s` (either case), one of
 * those letters at least: ROT13 moves hex's `a`-`f` there.
 */
function rot13HexRun(run: string): boolean {
  let letters = 0;
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i) | 32;
    if (c >= 110 && c <= 115) letters++;
    else if (!(c >= 48 && c <= 57)) return false;
  }
  return letters > 0;
}

/** A letter that a backslash before it makes an escape of (`\n`, `\t`, `\r`, `\b`, `\f`). */
const ESCAPE_LETTER = /^[ntrbf]$/;

/** `decodedJoined` of a text without runs: a typed array made per call costs a header's scan a tenth. */
const NO_RUNS = new Uint8Array(0);

let plain: KeywordMatcher | undefined;
/** Runs and triggers of `text`, for a caller without a detector's survey at hand. */
function surveyText(text: string): Survey {
  plain ??= new KeywordMatcher([]);
  return plain.survey(text);
}
