/**
 * @module
 * Which bytes are text: whether a body looks binary, the printable runs of binary
 * output (ASCII and UTF-16, either byte order), and text read from decoded bytes only
 * where it is text. Pure helpers of the decoding layer (`decode.ts`).
 */

/** Whether `bytes` are binary, as git decides it: a NUL byte in the first 8000. */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

/**
 * The text a binary file shows, as `strings` shows it: runs of at least `min` printable
 * ASCII characters (tabs too; UTF-16 text as its characters), each stretch between them
 * one space, and every line break kept in place, so line numbers still count the file's
 * own. Random bytes (compressed data, an image) are printable by chance a third of the
 * time: shown whole, a space for each byte that was not, they had cost the detector a
 * megabyte of text per megabyte (60 MB/s over 200 such files); runs of four or more are
 * a thirteenth of that (145 MB/s). Decoded as UTF-8 instead, every byte past ASCII would
 * wake the decoding layer (~2.5 MB/s). A token cut by non-printable bytes is not put
 * together, so this is for files whose author is not hiding anything (a user's own
 * repository), not for what an agent pushes.
 */
export function printableText(bytes: Uint8Array, min = 4): string {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  const space = () => {
    if (n > 0 && out[n - 1] !== 0x20) out[n++] = 0x20;
  };
  // Between stretches: its line breaks, then a space (random bytes are printable a third
  // of the time, so a branch on each byte mispredicts: stretches are found skipping ahead).
  // The next line break at or after where the last search started (-1: none is left).
  let newline = bytes.indexOf(0x0a);
  const gap = (from: number, to: number) => {
    if (from >= to) return;
    if (newline !== -1 && newline < from) newline = bytes.indexOf(0x0a, from);
    while (newline !== -1 && newline < to) {
      out[n++] = 0x0a;
      newline = bytes.indexOf(0x0a, newline + 1);
    }
    space();
  };
  let prev = 0;
  for (const [from, to] of pairs(runsOf(bytes, TEXTISH, 1, min, []))) {
    gap(prev, from);
    prev = to;
    // Within a stretch of text (and zeros, for UTF-16), each byte as shown: runs shorter
    // than `min` left out, a line break kept, a zero of UTF-16 text dropped.
    let start = n;
    let run = 0;
    for (let i = from; i < to; i++) {
      const b = bytes[i]!;
      if (b !== 0 && b !== 0x0a) {
        if (run === 0) start = n;
        out[n++] = PRINTABLE[b]!;
        run++;
        continue;
      }
      if (b === 0 && utf16Zero(bytes, i)) continue;
      if (run > 0 && run < min) n = start;
      run = 0;
      if (b === 0x0a) out[n++] = 0x0a;
      else space();
    }
    if (run > 0 && run < min) n = start;
  }
  gap(prev, bytes.length);
  return ASCII_TEXT.decode(out.subarray(0, n));
}

const ASCII_TEXT = new TextDecoder();

/** `[start, end]` pairs of a flat list. */
function* pairs(flat: number[]): Generator<[number, number]> {
  for (let k = 0; k < flat.length; k += 2) yield [flat[k]!, flat[k + 1]!];
}

/** 1 for a byte of text a binary file may hold: printable, a tab or line break, or a zero (UTF-16). */
const TEXTISH = Uint8Array.from(
  { length: 256 },
  (_, b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x09 || b === 0x0d || b === 0 ? 1 : 0,
);

/**
 * Whether the zero at `i` is the other half of an ASCII character in UTF-16 (a file
 * Windows saved as "Unicode", PowerShell's `>`): between two characters of text, in a
 * row of such pairs. Left out, the text reads as written (as spaces, `K E Y = ...`, no
 * secret showed); a zero between two strings of a program (C's ends) stays a space.
 */
function utf16Zero(bytes: Uint8Array, i: number): boolean {
  return i > 0 && TEXT_BYTE[bytes[i - 1]!] === 1 && TEXT_BYTE[bytes[i + 1]!] === 1 &&
    (bytes[i - 2] === 0 || bytes[i + 2] === 0);
}

/** 1 for a byte `printableText` keeps as it is. */
const TEXT_BYTE = Uint8Array.from(
  { length: 256 },
  (_, b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x09 || b === 0x0d ? 1 : 0,
);

/** Each byte as `printableText` shows it. */
const PRINTABLE = Uint8Array.from(
  { length: 256 },
  (_, b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x09 ? b : 0x20,
);

/** 1 for a printable ASCII byte. */
export const PRINTABLE_BYTE = Uint8Array.from(
  { length: 256 },
  (_, b) => (b >= 0x20 && b < 0x7f ? 1 : 0),
);

export const ASCII = new TextDecoder();

/**
 * Printable ASCII runs of at least `min` characters in `bytes`, one per line. In decoded
 * binary (an image's bytes), a byte is printable or not by chance, so a branch on each
 * mispredicts half the time: the loop looks at every `min`th byte instead, and only
 * around a printable one at the bytes before it, to see whether a run long enough could
 * end there (see `runsOf`). A run is decoded natively: spread into `fromCharCode`, a long
 * one (a text file's base64) had overflowed the stack.
 */
export function printableRuns(bytes: Uint8Array, min = 8): string {
  const found = bytes.length >= WORD_PROBED && bytes.byteOffset % 4 === 0
    ? printableByWords(bytes, min)
    : runsOf(bytes, PRINTABLE_BYTE, 1, min, []);
  const parts: string[] = [];
  for (let k = 0; k < found.length; k += 2) {
    parts.push(ASCII.decode(bytes.subarray(found[k]!, found[k + 1]!)));
  }
  utf16Runs(bytes, min, parts);
  return parts.join("\n");
}

/** From how many bytes `printableRuns` reads four at a time (a view costs a little to make). */
const WORD_PROBED = 4096;

/**
 * `runsOf(bytes, PRINTABLE_BYTE, 1, min, [])` for `min` of 7 or more, read four bytes at a
 * time: such a run holds `(min - 3) >> 2` whole words in a row, so one word in that many
 * is looked at, and only one whose four bytes could each be printable (one in fifty of
 * random bytes, where a printable byte is one in three: a test that nearly always goes the
 * same way) is read around, byte by byte.
 */
function printableByWords(bytes: Uint8Array, min: number): number[] {
  const out: number[] = [];
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  const stride = (min - 3) >> 2;
  const length = bytes.length;
  // No run starts before `floor`: the byte before it is outside one.
  let floor = 0;
  for (let w = 0; w < words.length; w += stride) {
    // Each byte below 0x80 and with 0x20 or 0x40 set (adding 0x60 to those two bits
    // carries into the top bit only then, and never into the next byte): a word of
    // zeros is no candidate.
    const word = words[w]!;
    if (
      (word & 0x80808080) !== 0 ||
      (((word & 0x60606060) + 0x60606060) & 0x80808080) !== (0x80808080 | 0) || w << 2 < floor
    ) continue;
    let from = w << 2;
    while (from > floor && PRINTABLE_BYTE[bytes[from - 1]!] === 1) from--;
    let to = from;
    while (to < length && PRINTABLE_BYTE[bytes[to]!] === 1) to++;
    if (to - from >= min) out.push(from, to);
    floor = to + 1;
  }
  return out;
}

/** 1 for a byte ASCII text in UTF-16 is made of: a printable character's, or zero. */
const UTF16_BYTE = Uint8Array.from({ length: 256 }, (_, b) => PRINTABLE_BYTE[b]! | +(b === 0));

/**
 * Adds to `parts` the printable ASCII runs of at least `min` characters that `bytes`
 * hold as UTF-16, in either byte order: each character's byte beside a zero (what
 * PowerShell's `-EncodedCommand` takes in base64, what .NET's `Encoding.Unicode` and
 * Windows' "Unicode" files are). Read as bytes, such text is a printable byte every
 * other place, never a run. In such a run every two bytes in a row hold a zero, which
 * two random bytes do once in 128 times: the loop looks at a pair every `2 * min - 1`
 * bytes (a run that long holds one), and reads the stretch of printable and zero bytes
 * around a pair with a zero, at both parities (an image's bytes cost a pass over a
 * fifteenth of them).
 */
function utf16Runs(bytes: Uint8Array, min: number, parts: string[]): void {
  const length = bytes.length;
  const step = 2 * min - 1;
  let floor = 0;
  for (let i = floor; i + 1 < length; i += step) {
    // Exactly one of the two a zero: a pair inside such a run is a character and a zero,
    // and two zeros are none (bytes of zeros, base64 of them `AAAA...`, were each read
    // through as a stretch of such bytes, at every decode of the run).
    if ((bytes[i] === 0) === (bytes[i + 1] === 0)) continue;
    let from = i;
    while (from > floor && UTF16_BYTE[bytes[from - 1]!] === 1) from--;
    let to = i;
    while (to < length && UTF16_BYTE[bytes[to]!] === 1) to++;
    if (to - from >= 2 * min) {
      for (let parity = 0; parity < 2; parity++) utf16Text(bytes, from + parity, to, min, parts);
    }
    floor = to;
    i = Math.max(i, to - step + 1);
  }
}

/**
 * `utf16Runs` in `from`-`to`, a stretch of printable and zero bytes, read as pairs from
 * `from` on: each run of `min` or more pairs that hold a character and a zero in the
 * same order.
 */
function utf16Text(bytes: Uint8Array, from: number, to: number, min: number, parts: string[]) {
  let chars: number[] = [];
  // Which byte of each pair holds the character (0 or 1); -1: neither.
  let side = -1;
  for (let i = from; i + 1 < to; i += 2) {
    const a = bytes[i]!;
    const b = bytes[i + 1]!;
    const s = b === 0 && a !== 0 ? 0 : a === 0 && b !== 0 ? 1 : -1;
    // A run ends at another order, or grows long (a token is far shorter than what one
    // spread into `fromCharCode` may take).
    if (s !== side || chars.length >= 4096) {
      if (chars.length >= min) parts.push(String.fromCharCode(...chars));
      chars = [];
    }
    side = s;
    if (s !== -1) chars.push(s === 0 ? a : b);
  }
  if (chars.length >= min) parts.push(String.fromCharCode(...chars));
}

/**
 * Adds to `out` (start and end, in order) each maximal run of at least `min` bytes of
 * `data` whose class in `table` has `bit`, and returns it. Skips ahead: a run that long
 * covers every `min`th byte, so only those are tried, and from one inside, the bytes
 * before it back to where a run would have to start.
 */
export function runsOf(
  data: Uint8Array,
  table: Uint8Array,
  bit: number,
  min: number,
  out: number[],
): number[] {
  const length = data.length;
  // No run starts before `floor`: the byte before it is outside one.
  let floor = 0;
  for (let i = min - 1; i < length;) {
    if ((table[data[i]!]! & bit) === 0) {
      floor = i + 1;
      i += min;
      continue;
    }
    const low = Math.max(floor, i - min + 1);
    let j = i - 1;
    while (j >= low && (table[data[j]!]! & bit) !== 0) j--;
    if (j >= low) {
      floor = j + 1;
      i = j + min;
      continue;
    }
    let from = low;
    while (from > floor && (table[data[from - 1]!]! & bit) !== 0) from--;
    let to = i + 1;
    while (to < length && (table[data[to]!]! & bit) !== 0) to++;
    out.push(from, to);
    floor = to + 1;
    i = to + min;
  }
  return out;
}
