/**
 * @module
 * Runs of base64, hex, base32 and bits read as the bytes they stand for; which alphabets
 * each character belongs to, and the runs of one alphabet inside a longer one; bytes
 * moved by a few bits (base64 read at another alignment). Helpers of the decoding layer
 * (`decode.ts`).
 */

import { HEX_VALUE } from "./hexdump.ts";
import { printableRuns } from "./printable.ts";
import { reverseText, turnedText } from "./turned.ts";

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
export function base64Bytes(run: string, offset: number): Uint8Array {
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
export function turnedCompressed(body: string): string | undefined {
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
export function zlibHeader(bytes: Uint8Array): boolean {
  const [cmf = 0, flg = 0] = bytes;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && (cmf * 256 + flg) % 31 === 0;
}

/** The printable runs (8+ characters) of `base64Bytes(run, offset)`. */
export function base64Printable(run: string, offset: number, min = 8): string {
  return printableRuns(base64Bytes(run, offset), min);
}

/**
 * Whether hex digits may be text's hex turned around: every other digit, from the last or
 * the one before, a high digit of printable ASCII (`2` to `7`), over the first 32.
 */
export function turnedHexOfText(sub: string): boolean {
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
export const MIN_NUMBER = 24, MAX_NUMBER = 4096;

export const DIGITS = /^[0-9]+$/;

/**
 * The printable runs of the bytes of a number written in decimal, most significant first.
 * Text read the other way round (`int.from_bytes(b, "little")`) comes out turned around,
 * as `rev` turns it, and is read so.
 */
export function numberText(digits: string): string {
  let hex = BigInt(digits).toString(16);
  if (hex.length % 2 === 1) hex = "0" + hex;
  return printableRuns(hexBytes(hex, 0));
}

/**
 * The printable runs of `digits` hex digits decoded (`bytes`, `hexBytes` with its tail),
 * from the first digit and from the second, one reading a line.
 */
export function hexText(bytes: Uint8Array, digits: number): string {
  return [
    printableRuns(bytes.subarray(0, digits >> 1)),
    printableRuns(shiftedBytes(bytes, 4, true, (digits - 1) >> 1)),
  ].filter(Boolean).join("\n");
}

/** Decodes the hex digits of `run` from `offset`, two to a byte. */
export function hexBytes(run: string, offset: number, tail = false): Uint8Array {
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
export const B32_VALUE = base32Values("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");

export const B32HEX_VALUE = base32Values("0123456789ABCDEFGHIJKLMNOPQRSTUV");

export function base32Bytes(run: string, values = B32_VALUE, tail = false): Uint8Array {
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
export const MIN_BITS = 64;

export const MIN_BASE64 = 20, MIN_HEX = 20, MIN_BASE32 = 16;

/** Which alphabets (bits) each ASCII character belongs to. */
export const HEX_CHAR = 1, BASE32_UPPER = 2, BASE32_LOWER = 4;

export const BASE32HEX_UPPER = 8, BASE32HEX_LOWER = 16, BIT_CHAR = 32;

/** Indexed by an ASCII character's code. */
export const ALPHABET = new Uint8Array(256);

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
export const BASE64_CHAR = 64;
for (let c = 0; c < 128; c++) {
  if (/[A-Za-z0-9+/]/.test(String.fromCharCode(c))) ALPHABET[c]! |= BASE64_CHAR;
}

/** What a run holds (`Survey.runs`): either base64 alphabet. */
export const RUN_CHAR = 128;
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
export function shiftedBytes(
  bytes: Uint8Array,
  from: number,
  msb: boolean,
  count: number,
): Uint8Array {
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
export function subRuns(run: string): [number, number, number][] {
  if (run.length <= 512) return shortSubRuns(run);
  // A run of the base64 alphabets is ASCII: its bytes, encoded natively, are its characters.
  const bytes = room(run.length);
  TEXT_ENCODER.encodeInto(run, bytes);
  const data = bytes.subarray(0, run.length);
  const out = blockRuns(data);
  const body = longBody(run);
  if (body) out.push(body);
  return out.sort((a, b) => a[2] - b[2] || a[0] - b[0]);
}

/**
 * Characters `blockRuns` reads at once: a run of 15 or more (each of `SUB_ALPHABETS`'
 * least) holds a whole block of them that starts at a multiple of `BLOCK`.
 */
const BLOCK = 8;

/** The alphabets of `SUB_ALPHABETS` (bits of `ALPHABET`). */
const SUB_MASK = SUB_ALPHABETS.reduce((mask, [alphabet]) => mask | alphabet, 0);

/**
 * Maximal runs of each of `SUB_ALPHABETS` in `data` (ASCII), `[alphabet, from, to]`, a
 * run as long as its alphabet's least. All alphabets are looked for in one pass, a block
 * at a time: the alphabets of a block's eight characters and-ed together, with no branch
 * on any one character. In an image's base64 a character is in each alphabet or not by
 * chance, and a block is whole in one about once in 256 times; only around such a block
 * are characters read one by one. (Skipping ahead in each alphabet, a pass each, took a
 * fifth of the scan of a model request with an image.)
 */
function blockRuns(data: Uint8Array): [number, number, number][] {
  const out: [number, number, number][] = [];
  const a = ALPHABET;
  const length = data.length;
  // For each alphabet, where the last run read through ends: a block before it is in it.
  const reached = SUB_ALPHABETS.map(() => 0);
  for (let b = 0; b + BLOCK <= length; b += BLOCK) {
    const block = a[data[b]!]! & a[data[b + 1]!]! & a[data[b + 2]!]! & a[data[b + 3]!]! &
      a[data[b + 4]!]! & a[data[b + 5]!]! & a[data[b + 6]!]! & a[data[b + 7]!]! & SUB_MASK;
    if (block === 0) continue;
    for (let k = 0; k < SUB_ALPHABETS.length; k++) {
      const [alphabet, min] = SUB_ALPHABETS[k]!;
      if ((block & alphabet) === 0 || b < reached[k]!) continue;
      let from = b;
      while (from > 0 && (a[data[from - 1]!]! & alphabet) !== 0) from--;
      let to = b + BLOCK;
      while (to < length && (a[data[to]!]! & alphabet) !== 0) to++;
      reached[k] = to;
      if (to - from >= min) out.push([alphabet, from, to]);
    }
  }
  return out;
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
  // None long enough for any alphabet (`MIN_BASE32`, the least of their minimums, is more
  // than twice a block less one).
  if (!blockInAlphabet(run)) return out;
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

/** The alphabets `shortSubRuns` looks for (bits aside: they are hex too). */
const SHORT_MASK = HEX_CHAR | BASE32_UPPER | BASE32_LOWER | BASE32HEX_UPPER | BASE32HEX_LOWER;

/**
 * Whether a block of `run` (eight characters from a multiple of eight) is all of one of
 * the alphabets `shortSubRuns` looks for, as every run of one long enough holds. Most
 * runs hold none (random base64, as an npm lock's hashes and a file's base64 lines are),
 * which this tells with no branch on any one character: their alphabets are and-ed. (A
 * count of each alphabet's characters in a row, kept without a branch, took a tenth of
 * the scan of a MiB of base64 lines.)
 */
function blockInAlphabet(run: string): boolean {
  const a = ALPHABET;
  for (let b = 0; b + BLOCK <= run.length; b += BLOCK) {
    const block = a[run.charCodeAt(b)]! & a[run.charCodeAt(b + 1)]! &
      a[run.charCodeAt(b + 2)]! & a[run.charCodeAt(b + 3)]! & a[run.charCodeAt(b + 4)]! &
      a[run.charCodeAt(b + 5)]! & a[run.charCodeAt(b + 6)]! & a[run.charCodeAt(b + 7)]!;
    if ((block & SHORT_MASK) !== 0) return true;
  }
  return false;
}

/** Decodes a run of `0` and `1`, eight a byte, the first of each the high bit (`msb`) or the low. */
export function bitBytes(run: string, msb: boolean, tail = false): Uint8Array {
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
