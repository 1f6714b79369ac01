/**
 * @module
 * Normalising text before matching: NFKC, zero-width and control characters removed,
 * look-alike letters mapped to ASCII. Its own module because the keyword survey asks,
 * once per character, whether normalising would change it.
 */

/** Look-alike letters (Cyrillic, Greek, full-width forms NFKC leaves) mapped to ASCII. */
const CONFUSABLES: Record<string, string> = {
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
const CONFUSABLE_RE = new RegExp(`[${Object.keys(CONFUSABLES).join("")}]`, "g");
const INVISIBLE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/g;

/** The text with invisible characters removed and look-alikes mapped to ASCII. */
export function normalize(text: string): string {
  return text.normalize("NFKC").replace(INVISIBLE, "").replace(
    CONFUSABLE_RE,
    (c) => CONFUSABLES[c] ?? c,
  );
}

/**
 * Whether normalising changes the one UTF-16 code unit `code` standing alone. A
 * surrogate (half of a character outside the BMP) is answered for its whole character
 * by the caller, so it counts as changing here.
 */
export function unitChanges(code: number): boolean {
  if (code >= 0xd800 && code <= 0xdfff) return true;
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
