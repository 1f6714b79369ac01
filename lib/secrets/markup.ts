/**
 * @module
 * Markup put between the pieces of a secret, which a browser, an XML parser or a compiler
 * drops when it reads them (`AKIAQ3<!-- -->EGQ2...`, `<a>ghp_Zq8L</a><b>w2Rt...</b>`,
 * `ghp_Zq8L/* *\/w2Rt...`): an HTML or XML comment, a tag, or a C-style block comment,
 * read at a place, forward or back, each `MAX_MARKUP` characters long at the most; and
 * a line comment that ends the line a piece is on (`ghp_Zq8L # first half`, then the
 * rest on the next line), which the language drops with the line's end; and an empty
 * string glued in a word (`gh""p_...`), which a shell drops.
 */

/** The longest item of markup read. */
export const MAX_MARKUP = 64;

/** Characters of a tag's name after its first letter: letters, digits, `:`, `_`, `.` and `-`. */
const NAME_CHAR = Uint8Array.from(
  { length: 128 },
  (_, c) => +/[A-Za-z0-9:_.-]/.test(String.fromCharCode(c)),
);

/** Whether `c` is an ASCII letter. */
function letter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Where `closer` ends, looked for from `from` on within `MAX_MARKUP` characters of `start`; -1 if not there. */
function closedAt(text: string, start: number, from: number, closer: string): number {
  // In a slice: looked for in the whole text, an opener with no closer after it cost a
  // pass over the rest of the text each time.
  const at = text.slice(from, start + MAX_MARKUP).indexOf(closer);
  return at < 0 ? -1 : from + at + closer.length;
}

/**
 * How long the item of markup that starts at `i` is, or 0: `<!-- ... -->`; a tag
 * (`<b>`, `</b>`, `<br/>`, `<span class="x">`: a letter after `<` or `</`, a name, then
 * `>` or `/>`, or a space and attributes with no `<`, `>` or line break);
 * `/* ... *\/`; a line comment up to its line's end (see `lineCommentAt`); or an empty
 * string glued in a word (see `emptyQuotesAt`).
 */
export function markupAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 34 || c === 39 || c === 92) return emptyQuotesAt(text, i);
  if (c === 35 || (c === 45 && text.charCodeAt(i + 1) === 45)) return lineCommentAt(text, i);
  if (c === 47) {
    if (text.charCodeAt(i + 1) === 47) return lineCommentAt(text, i);
    if (text.charCodeAt(i + 1) !== 42) return 0;
    const end = closedAt(text, i, i + 2, "*/");
    return end < 0 ? 0 : end - i;
  }
  if (c !== 60) return 0;
  let p = i + 1;
  const next = text.charCodeAt(p);
  if (next === 33 && text.charCodeAt(i + 2) === 45 && text.charCodeAt(i + 3) === 45) {
    const end = closedAt(text, i, i + 4, "-->");
    return end < 0 ? 0 : end - i;
  }
  if (next === 47) p++;
  if (!letter(text.charCodeAt(p))) return 0;
  const limit = i + MAX_MARKUP;
  for (p++; p < limit; p++) {
    const n = text.charCodeAt(p);
    if (n >= 128 || NAME_CHAR[n] !== 1) break;
  }
  if (text.charCodeAt(p) === 32) {
    for (; p < limit; p++) {
      const n = text.charCodeAt(p);
      if (n === 60 || n === 62 || n === 10 || n === 13 || Number.isNaN(n)) break;
    }
  } else if (text.charCodeAt(p) === 47) p++;
  return p < limit && text.charCodeAt(p) === 62 ? p + 1 - i : 0;
}

/**
 * How long the empty string at `i` is, glued between two characters of a word, or 0:
 * `""` or `''`, which a shell drops (`echo gh""p_...`), also with its quotes escaped in
 * a JSON string (`\\"\\"`).
 */
function emptyQuotesAt(text: string, i: number): number {
  const escaped = text.charCodeAt(i) === 92;
  const q = text.charCodeAt(i + +escaped);
  if (q !== 34 && q !== 39) return 0;
  const length = escaped ? 4 : 2;
  if (escaped && text.charCodeAt(i + 2) !== 92) return 0;
  if (text.charCodeAt(i + length - 1) !== q) return 0;
  // Glued between two characters of a word: an empty string in code stands apart.
  if (!wordChar(text.charCodeAt(i - 1)) || !wordChar(text.charCodeAt(i + length))) return 0;
  // Not where a word in quotes ends and the next begins (`"g""hp_..."`): two strings side
  // by side, which the reader of quoted pieces reads.
  let s = i - 1;
  while (s > i - MAX_MARKUP && wordChar(text.charCodeAt(s - 1))) s--;
  return text.charCodeAt(s - 1) === q ? 0 : length;
}

/** Where the empty string glued in a word that ends at `end` starts (see `emptyQuotesAt`); -1 if none does. */
export function emptyQuotesBefore(text: string, end: number): number {
  for (const length of [2, 4]) {
    if (end - length >= 0 && emptyQuotesAt(text, end - length) === length) return end - length;
  }
  return -1;
}

/** Whether `c` is an ASCII letter, a digit, `_` or `-`. */
function wordChar(c: number): boolean {
  return letter(c) || (c >= 48 && c <= 57) || c === 95 || c === 45;
}

/**
 * Whether a line comment opens at `i`: `#`, `//`, or `--` and a space (SQL's, not a
 * command's option), after a space or a tab or at a line's start (`#` and `/` are in
 * tokens and URLs).
 */
function commentOpens(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  const next = text.charCodeAt(i + 1);
  if (
    c !== 35 && !(c === 47 && next === 47) &&
    !(c === 45 && next === 45 && text.charCodeAt(i + 2) === 32)
  ) {
    return false;
  }
  const before = text.charCodeAt(i - 1);
  return i === 0 || before === 32 || before === 9 || before === 10 || before === 13 ||
    ((before === 110 || before === 114) && text.charCodeAt(i - 2) === 92);
}

/** Whether a line break, as written or escaped in a JSON string, is at `p` (-1: a quote, a JSON string's end). */
function lineEndAt(text: string, p: number): number {
  const n = text.charCodeAt(p);
  if (n === 10 || n === 13) return 1;
  if (n === 34) return -1;
  if (n === 92) {
    const e = text.charCodeAt(p + 1);
    return e === 110 || e === 114 ? 1 : 0;
  }
  return 0;
}

/**
 * How long the line comment that starts at `i` is (see `commentOpens`), up to the line
 * break that ends it (as written, or escaped in a JSON string), or 0: one with a quote
 * in it (a JSON string's end) or longer than `MAX_MARKUP` is none.
 */
export function lineCommentAt(text: string, i: number): number {
  if (!commentOpens(text, i)) return 0;
  const limit = Math.min(text.length, i + MAX_MARKUP);
  for (let p = i + 1; p < limit; p++) {
    const end = lineEndAt(text, p);
    if (end === 1) return p - i;
    if (end < 0) return 0;
    if (text.charCodeAt(p) === 92) p++;
  }
  return 0;
}

/**
 * Where the line comment that ends at `end` (the end of its line; see `lineCommentAt`)
 * starts: its first opener on the line, `MAX_MARKUP` characters back at the most; -1 if
 * none ends there. One look back: a quote or a line break ends it.
 */
export function lineCommentBefore(text: string, end: number): number {
  // Most lines hold no opener: told by a native search (a look at each character had
  // cost a scan of base64 lines, a run after each break, a tenth more).
  const line = text.slice(Math.max(0, end - MAX_MARKUP), end);
  if (line.indexOf("#") < 0 && line.indexOf("//") < 0 && line.indexOf("-- ") < 0) return -1;
  let found = -1;
  for (let s = end - 1; s >= 0 && end - s <= MAX_MARKUP; s--) {
    const c = text.charCodeAt(s);
    const escaped = text.charCodeAt(s - 1) === 92;
    // A line break, as written or escaped (`\n`), or a quote that ends a JSON string
    // (not an escaped one, `\"`: a quote in the comment).
    if (c === 10 || c === 13 || (c === 34 && !escaped) || ((c === 110 || c === 114) && escaped)) {
      break;
    }
    if (commentOpens(text, s)) found = s;
  }
  return found;
}

/** Where the item of markup that ends at `end` (see `markupAt`) starts; -1 if none does. */
export function markupBefore(text: string, end: number): number {
  const last = text.charCodeAt(end - 1);
  const comment = last === 47 && text.charCodeAt(end - 2) === 42;
  if (last !== 62 && !comment) return -1;
  const opener = comment ? 47 : 60;
  for (let s = end - 2; s >= 0 && end - s <= MAX_MARKUP; s--) {
    if (text.charCodeAt(s) === opener && markupAt(text, s) === end - s) return s;
  }
  return -1;
}
