/**
 * @module
 * Normalising text before matching: NFKC, zero-width and control characters removed (a
 * terminal's escape sequences whole; a backspace, or the cursor moved back, with what it
 * goes back over),
 * look-alike letters and tag characters mapped to ASCII; and, where marks are, combining
 * marks taken out first (`withoutMarks`). Its own module because the keyword survey asks,
 * once per character, whether normalising would change it.
 */

/**
 * `String.prototype.charCodeAt`, called as `codeOf.call(text, i)` in loops over a text (see
 * `chars.ts`). This module's own constant: one imported from another module is not folded
 * into the code compiled for the loop, which then calls it as any function, at half speed.
 */
const codeOf = String.prototype.charCodeAt;

/** Look-alike letters (Cyrillic, Greek, full-width forms NFKC leaves) mapped to ASCII. */
const LETTERS: Readonly<Record<string, string>> = {
  "а": "a",
  "е": "e",
  "о": "o",
  "р": "p",
  "с": "c",
  "у": "y",
  "х": "x",
  "і": "i",
  "ј": "j",
  "ѕ": "s",
  "ԁ": "d",
  "ɡ": "g",
  "һ": "h",
  "ӏ": "l",
  "к": "k",
  "м": "m",
  "т": "t",
  "в": "b",
  "н": "h",
  "А": "A",
  "В": "B",
  "Е": "E",
  "К": "K",
  "М": "M",
  "Н": "H",
  "О": "O",
  "Р": "P",
  "С": "C",
  "Т": "T",
  "Х": "X",
  "У": "Y",
  "І": "I",
  "Ј": "J",
  "Ѕ": "S",
  "Ԁ": "D",
  "α": "a",
  "ο": "o",
  "ρ": "p",
  "ν": "v",
  "τ": "t",
  "ι": "i",
  "κ": "k",
  "χ": "x",
  "υ": "u",
  "Α": "A",
  "Β": "B",
  "Ε": "E",
  "Ζ": "Z",
  "Η": "H",
  "Ι": "I",
  "Κ": "K",
  "Μ": "M",
  "Ν": "N",
  "Ο": "O",
  "Ρ": "P",
  "Τ": "T",
  "Υ": "Y",
  "Χ": "X",
};
/**
 * The decimal digits of other scripts that NFKC leaves (Arabic-Indic `٣`, Devanagari `३`,
 * Thai, Bengali, ...: Unicode's `Nd`, which comes in runs of ten from zero) mapped to
 * ASCII's: a token's digits written so read as its own.
 */
const DIGITS: Readonly<Record<string, string>> = (() => {
  const out: Record<string, string> = {};
  let zero = -1;
  for (let c = 0x80; c < 0x10000; c++) {
    const ch = String.fromCharCode(c);
    if (!/\p{Nd}/u.test(ch)) {
      zero = -1;
      continue;
    }
    if (zero === -1) zero = c;
    if (ch.normalize("NFKC") === ch) out[ch] = String((c - zero) % 10);
  }
  return out;
})();

/**
 * Look-alikes mapped to ASCII: letters of other scripts, and digits. Like a letter, a
 * digit of another script disguises something only among ASCII letters and digits: in
 * prose of its own script (a date in Arabic) it is left alone.
 */
export const CONFUSABLES: Readonly<Record<string, string>> = { ...LETTERS, ...DIGITS };

/** Invisible characters (controls, zero-width, bidi, variation selectors), as ranges. */
const INVISIBLE_RANGES: [number, number][] = [
  [0x0000, 0x0008],
  [0x000b, 0x000c],
  [0x000e, 0x001f],
  [0x007f, 0x009f],
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
];

const hex = (c: number) => `\\u${c.toString(16).padStart(4, "0")}`;
/**
 * The first half of a tag character (U+E0000 to U+E007F): each of U+E0020 to U+E007E
 * stands for the ASCII character 0xE0000 below it, and shows as nothing ("ASCII
 * smuggling": a secret written in them is invisible to a person, and was to the scan).
 */
const TAG_HIGH = 0xdb40;
/** Whether a text holds a character the table below drops or maps, or a tag character. */
const TOUCHED = new RegExp(
  `[${INVISIBLE_RANGES.map(([a, b]) => `${hex(a)}-${hex(b)}`).join("")}${
    Object.keys(CONFUSABLES).join("")
  }${hex(TAG_HIGH)}]`,
);
/**
 * Combining marks (diacritics, and those for symbols and half marks) written after a
 * character (see `withoutMarks`), as ranges.
 */
const MARK_RANGES: [number, number][] = [
  [0x0300, 0x036f],
  [0x1ab0, 0x1aff],
  [0x1dc0, 0x1dff],
  [0x20d0, 0x20ff],
  [0xfe20, 0xfe2f],
];
const MARKS = new RegExp(`[${MARK_RANGES.map(([a, b]) => `${hex(a)}-${hex(b)}`).join("")}]`, "g");

/**
 * `normalize` of the text with its combining marks taken out first, before NFKC would
 * compose them into a letter (`g` and U+0301 into `ǵ`): a token with a mark after each
 * character (Zalgo text) reads as itself. A letter written with its accent (`é`) has none
 * to take out. Only where a mark follows a digit (see `Survey.marked`): over all text, the
 * pass cost a scan of binary data a tenth.
 */
export function withoutMarks(text: string): string {
  return normalize(text.replace(MARKS, ""));
}

/** Whether `code` is a combining mark `normalize` takes out (see `MARKS`). */
export function isCombiningMark(code: number): boolean {
  return code < 0x10000 && IS_MARK[code] === 1;
}

/** `MARK_RANGES` by code: a look on the survey's path, where a loop over them cost decomposed prose a tenth. */
const IS_MARK = (() => {
  const table = new Uint8Array(0x10000);
  for (const [a, b] of MARK_RANGES) table.fill(1, a, b + 1);
  return table;
})();

/** Whether code point `point` is a tag character (U+E0000 to U+E007F). */
export function isTag(point: number): boolean {
  return point >= 0xe0000 && point <= 0xe007f;
}

/**
 * The fewest tag characters in a row that standing for ASCII are read as it: a flag's
 * tag sequence (England's `gbeng` and its cancel tag) is shorter, and is left alone.
 */
const MIN_TAGS = 8;

/** Each UTF-16 code unit after normalising: itself, its ASCII look, or 0 (dropped). */
const AFTER = (() => {
  const table = new Uint16Array(65536);
  for (let c = 0; c < 65536; c++) table[c] = c;
  for (const [a, b] of INVISIBLE_RANGES) table.fill(0, a, b + 1);
  for (const [from, to] of Object.entries(CONFUSABLES)) {
    table[from.charCodeAt(0)] = to.charCodeAt(0);
  }
  return table;
})();

const utf16 = new TextDecoder("utf-16le");

/** The text with invisible characters removed and look-alikes mapped to ASCII. */
export function normalize(text: string): string {
  const nfkc = text.normalize("NFKC");
  if (!TOUCHED.test(nfkc)) return nfkc;
  // One pass over the code units: a regex replacing each of the control characters
  // binary data is dense with took five to ten times as long. (A lone surrogate, which
  // hides nothing, comes out as U+FFFD.)
  const out = new Uint16Array(nfkc.length);
  let n = 0;
  for (let i = 0; i < out.length; i++) {
    const unit = codeOf.call(nfkc, i);
    // A terminal's escape sequence (colour from `grep --color=always`, `bat`, a log) shows
    // as nothing, nor do the characters after its ESC: all of it goes.
    if (unit === 0x1b) {
      const end = escapeEnd(nfkc, i);
      // The cursor moved back (`ESC [ 4 D`) is written over, as after a backspace.
      if (codeOf.call(nfkc, end - 1) === 0x44 && codeOf.call(nfkc, i + 1) === 0x5b) {
        n = Math.max(0, n - (parseInt(nfkc.slice(i + 2, end - 1), 10) || 1));
      }
      i = end - 1;
      continue;
    }
    // A backspace: what comes after it is shown over the character before it (`man`'s
    // bold, `g\bg`, and underline, `_\bg`; `JUNK\b\b\b\b` put inside a token).
    if (unit === 0x08) {
      if (n > 0) n--;
      continue;
    }
    const code = AFTER[unit]!;
    const end = code === TAG_HIGH ? tagsEnd(nfkc, i) : -1;
    if (end >= 0) {
      // A run of tag characters: the ASCII each stands for, the others (the language
      // tag, the cancel tag) and invisible characters between them dropped.
      for (; i < end; i++) {
        const low = codeOf.call(nfkc, i + 1) - 0xdc00;
        if (codeOf.call(nfkc, i) !== TAG_HIGH || low < 0 || low >= 0x80) continue;
        if (low >= 0x20 && low < 0x7f) out[n++] = low;
        i++;
      }
      i--;
      continue;
    }
    out[n] = code;
    n += +(code !== 0);
  }
  return utf16.decode(out.subarray(0, n));
}

/** The longest escape sequence read as one (an OSC 8 link's is its URL and more). */
const MAX_ESCAPE = 512;

/**
 * Where the terminal's escape sequence whose ESC is at `i` ends (ECMA-48): a control
 * sequence (`ESC [`, parameters `0`-`?`, intermediates ` `-`/`, a final `@`-`~`:
 * `\x1b[01;31m`, `\x1b[K`), an operating system command (`ESC ]` up to BEL or `ESC \`:
 * a title, an OSC 8 link), or an escape with intermediates and a final (`\x1b(B`, `\x1b7`).
 * An ESC before anything else, or a sequence not ended, is the ESC alone.
 */
function escapeEnd(text: string, i: number): number {
  const next = codeOf.call(text, i + 1);
  let k = i + 2;
  if (next === 0x5b) {
    while (k < text.length && k - i < MAX_ESCAPE && inRange(codeOf.call(text, k), 0x30, 0x3f)) k++;
    while (k < text.length && k - i < MAX_ESCAPE && inRange(codeOf.call(text, k), 0x20, 0x2f)) k++;
    return inRange(codeOf.call(text, k), 0x40, 0x7e) ? k + 1 : i + 1;
  }
  if (next === 0x5d) {
    for (; k < text.length && k - i < MAX_ESCAPE; k++) {
      const c = codeOf.call(text, k);
      if (c === 0x07) return k + 1;
      if (c === 0x1b) return codeOf.call(text, k + 1) === 0x5c ? k + 2 : i + 1;
    }
    return i + 1;
  }
  k = i + 1;
  while (k < text.length && k - i < MAX_ESCAPE && inRange(codeOf.call(text, k), 0x20, 0x2f)) k++;
  return inRange(codeOf.call(text, k), 0x30, 0x7e) ? k + 1 : i + 1;
}

function inRange(c: number, low: number, high: number): boolean {
  return c >= low && c <= high;
}

/**
 * The most invisible characters in a row a run of tag characters reads past: a bound on
 * each look, where binary data is invisible characters for megabytes on end.
 */
const MAX_TAG_GAP = 8;

/**
 * Where the run of tag characters that starts at `i` of `text` ends, up to
 * `MAX_TAG_GAP` invisible characters between two of them taken as nothing (a zero-width
 * space after every few cuts no run short), when it holds `MIN_TAGS` or more; else -1.
 */
function tagsEnd(text: string, i: number): number {
  let count = 0;
  let k = i;
  let end = i;
  for (let gap = 0;;) {
    const unit = codeOf.call(text, k);
    const low = codeOf.call(text, k + 1);
    if (unit === TAG_HIGH && low >= 0xdc00 && low <= 0xdc7f) {
      count++;
      k += 2;
      end = k;
      gap = 0;
    } else if (k < text.length && AFTER[unit] === 0 && gap < MAX_TAG_GAP) {
      k++;
      gap++;
    } else break;
  }
  return count >= MIN_TAGS ? end : -1;
}

/**
 * Whether normalising changes the one UTF-16 code unit `code` standing alone. A
 * surrogate (half of a character outside the BMP) is answered for its whole character
 * by the caller, so it counts as changing here.
 */
export function unitChanges(code: number): boolean {
  // A combining mark is looked at too: after a digit it is read without (`withoutMarks`).
  if ((code >= 0xd800 && code <= 0xdfff) || isCombiningMark(code)) return true;
  const ch = String.fromCharCode(code);
  return normalize(ch) !== ch;
}

/**
 * Whether `code` is a look-alike letter of another script (normalising maps it to
 * ASCII, NFKC leaves it alone). In a word of its own script it is just a letter; it
 * disguises something only among ASCII letters and digits (Unicode's mixed-script
 * confusables, UTS #39).
 */
export function isLookAlike(code: number): boolean {
  return LOOK_ALIKE.has(code);
}

const LOOK_ALIKE = new Set(Object.keys(CONFUSABLES).map((c) => c.charCodeAt(0)));
