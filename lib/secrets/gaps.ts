/**
 * @module
 * Where a token's piece ends and the next one starts: the characters of pieces, what
 * joins quoted pieces in code, the gaps between pieces split apart (spaces, list
 * markers, markup, line ends) and the next assignment's value. The lowest floor of the
 * readers of pieces (`pieces.ts`, `heads.ts`).
 */

import { assignmentAt, quoteAt } from "./assign.ts";
import { codeAt, startsLike } from "./chars.ts";
import { indentEnd, lineBreakAt } from "./decode.ts";
import { escapeLetter } from "./probes.ts";
import { markupAt, markupBefore } from "./markup.ts";

/** Characters a token's groups may hold: letters, digits, `-` and `_`. */
export const TOKEN_CHAR = Uint8Array.from(
  { length: 128 },
  (_, c) => +/[A-Za-z0-9_-]/.test(String.fromCharCode(c)),
);

/** What a quoted piece of a token may hold: no quote, backslash, space or line break. */
export const PIECE_CHAR = Uint8Array.from(
  { length: 128 },
  (_, c) => +(c > 32 && c < 127 && !"\"'`\\".includes(String.fromCharCode(c))),
);

/**
 * What a piece of a token split by spaces, lines or markup may hold: what a quoted piece
 * may, but `,`, `;` and `|`, which no token holds and which may stand between its pieces,
 * and `<` and `*`, which start markup (see `markupAt`; a block comment's `/` before its
 * `*` is left out of a piece by `blockCommentOut`).
 */
export const SPLIT_CHAR = Uint8Array.from(
  PIECE_CHAR,
  (v, c) => +(v === 1 && !",;|<*".includes(String.fromCharCode(c))),
);

/** What a variable's value in pieces may hold (see `assignedPieces`): what a piece split by spaces may, but a query's `&`. */
export const ASSIGNED_CHAR = Uint8Array.from(SPLIT_CHAR, (v, c) => +(v === 1 && c !== 38));

/** `e`, the end of a piece split off, or one before it where its `/` starts a block comment (`/*`). */
export function blockCommentOut(text: string, e: number): number {
  return text.charCodeAt(e) === 42 && text.charCodeAt(e - 1) === 47 ? e - 1 : e;
}

/** Where the piece from `from` ends: at its first character `chars` leaves out (`PIECE_CHAR` unless given), `most` characters on at the most. */
export function pieceEnd(text: string, from: number, most: number, chars = PIECE_CHAR): number {
  let e = from;
  while (e < from + most && chars[codeAt(text, e)] === 1) e++;
  return e;
}

/** Letters and digits, by code. */
export const ALNUM = Uint8Array.from(
  { length: 128 },
  (_, c) => +/[A-Za-z0-9]/.test(String.fromCharCode(c)),
);

/** Operators that join strings in code: `+`, `.` and `..` (PHP, Perl, Lua), `&`, `||`, `~`, `<<` (Ruby, C++'s streams), and `,` (a list joined, arguments formatted). */
export const JOINING = Uint8Array.from(
  { length: 128 },
  (_, c) => +"+.&|~,<".includes(String.fromCharCode(c)),
);

/** What stands between quoted pieces at most, read: spaces, line breaks and an operator. */
export const MAX_JOIN = 24;

/** Characters a run of quoted pieces is read for at most, joined; and a piece at most. */
export const CHAIN = 1024;

/**
 * Where the quoted piece after the one that ends at `close` (its closing quote, escaped
 * with a backslash before it in a JSON string) starts: past spaces and line breaks (as
 * written, or escaped in a JSON string), at most one joining operator (none between
 * Python's or C's adjacent literals), then the same quote; with `keys`, past a `,`, the
 * next value of an object if a key comes first (`"a": "ghp_Zq8L", "b": "w2Rt..."`, see
 * `valueAfterKey`); or -1.
 */
export function nextPiece(text: string, close: number, escaped: boolean, keys = false): number {
  const quote = text.charCodeAt(close);
  let p = close + 1;
  let operator = 0;
  let comma = false;
  for (let n = 0; n < MAX_JOIN; n++) {
    const c = text.charCodeAt(p);
    if (c === 32 || c === 9 || c === 10 || c === 13) p++;
    else if (c === 92 && !escaped && escapeLetter(text.charCodeAt(p + 1))) p += 2;
    else if (c === 92 && escaped && text.charCodeAt(p + 1) !== quote) {
      // `\n` in a JSON string is a line break; `\"` opens the next piece.
      if (!escapeLetter(text.charCodeAt(p + 1))) return -1;
      p += 2;
    } else if (
      c < 128 && JOINING[c] === 1 && operator < 2 &&
      (operator === 0 || c === text.charCodeAt(p - 1))
    ) {
      operator++;
      comma = c === 44;
      p++;
    } else break;
  }
  const start = escaped
    ? text.charCodeAt(p) === 92 && text.charCodeAt(p + 1) === quote ? p + 2 : -1
    : text.charCodeAt(p) === quote
    ? p + 1
    : -1;
  return keys && comma && start >= 0 ? valueAfterKey(text, start, quote, escaped) : start;
}

/** The longest key `valueAfterKey` reads past. */
const MAX_KEY = 64;

/** Characters of a key between values (`valueAfterKey`): letters, digits, `_`, `-` and `.`. */
const KEY_CHAR = Uint8Array.from(
  { length: 128 },
  (_, c) => +/[A-Za-z0-9_.-]/.test(String.fromCharCode(c)),
);

/**
 * Where the value after the quoted piece that starts at `start` starts, when that piece
 * is an object's key (`"b": "w2Rt..."`: a word of `KEY_CHAR`, its closing quote, a `:`
 * with spaces around it, the value's opening quote; escaped in a JSON string too, as a
 * JSON file is in a model request); else `start`, a piece of its own (a list's).
 */
function valueAfterKey(text: string, start: number, quote: number, escaped: boolean): number {
  let p = start;
  while (p - start < MAX_KEY && KEY_CHAR[codeAt(text, p)] === 1) p++;
  if (p === start) return start;
  const closes = (at: number) =>
    escaped
      ? text.charCodeAt(at) === 92 && text.charCodeAt(at + 1) === quote ? at + 2 : -1
      : text.charCodeAt(at) === quote
      ? at + 1
      : -1;
  p = closes(p);
  if (p < 0) return start;
  while (text.charCodeAt(p) === 32) p++;
  if (text.charCodeAt(p) !== 58) return start;
  p++;
  while (text.charCodeAt(p) === 32) p++;
  const value = closes(p);
  return value < 0 ? start : value;
}

/** Whether a line break or tab escaped in a JSON string (`\\n`) starts at `i`. */
export function escapedBreak(text: string, i: number): boolean {
  return text.charCodeAt(i) === 92 && escapeLetter(text.charCodeAt(i + 1));
}

/** Pairs sorted by their first. */
export function inOrder(pairs: number[]): number[] {
  if (pairs.length <= 2) return pairs;
  const order = Array.from({ length: pairs.length / 2 }, (_, i) => i).sort((a, b) =>
    pairs[2 * a]! - pairs[2 * b]!
  );
  return order.flatMap((i) => [pairs[2 * i]!, pairs[2 * i + 1]!]);
}

/**
 * A reader of where the piece that starts at `from` ends (see `pieceEnd`), `most`
 * characters on at the most, over the keywords of one text in order: what a piece read
 * from the keyword before holds is not read again (where it ended at a character no piece
 * holds, this one ends there too). A body of keywords and nothing else (`ghp_1ghp_1...`,
 * `AKIA1,abcd,...`) is read a character once, not once for each keyword that reaches it.
 */
export function wordEnds(
  most: number,
  chars = PIECE_CHAR,
): (text: string, from: number) => number {
  // The characters from `wordFrom` to `clear` are a piece's; `ended`: the one at `clear`
  // is not.
  let wordFrom = 0;
  let clear = -1;
  let ended = false;
  return (text, from) => {
    const limit = from + most;
    let e = from;
    if (from >= wordFrom && from <= clear) {
      if (ended || clear >= limit) return Math.min(clear, limit);
      e = clear;
    } else wordFrom = from;
    while (e < limit && chars[codeAt(text, e)] === 1) e++;
    clear = e;
    ended = e < limit;
    return e;
  };
}

/** The most spaces or tabs between two pieces. */
const MAX_GAP_SPACES = 3;

/**
 * The length of the space at `i` between pieces: a space or a tab, a tab escaped in a
 * JSON string, or a space of Unicode's that shows as one (a no-break space, U+00A0; the
 * spaces of U+2000 to U+200A, U+202F, U+205F, U+3000); 0 if none.
 */
function spaceAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 32 || c === 9) return 1;
  if (c < 128) return c === 92 && text.charCodeAt(i + 1) === 116 ? 2 : 0;
  return c === 0xa0 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f ||
      c === 0x3000
    ? 1
    : 0;
}

/** Where the spaces or tabs from `i` end, `MAX_GAP_SPACES` of them at the most (see `spaceAt`). */
function spacesEnd(text: string, i: number): number {
  let p = i;
  for (let n = 0, k = spaceAt(text, p); n < MAX_GAP_SPACES && k > 0; n++, k = spaceAt(text, p)) {
    p += k;
  }
  return p;
}

/** The most items of markup (see `markupAt`) a gap between two pieces holds. */
const MAX_MARKUP_ITEMS = 4;

/**
 * The gap at `i` between two pieces of a token split by spaces, lines or markup, as a
 * length times two plus 1 if a line break is in it; 0 if none: up to `MAX_GAP_SPACES`
 * spaces or tabs, a `,`, `;` or `|` and as many again (`a, b`, `a | b`), then up to two
 * line breaks (a blank line between the pieces), each followed by indentation and maybe a
 * list item's marker (`- `, see `listMarkerEnd`) or by what the first piece's line held
 * before it, where `before` gives that (see `sharedPrefix`), and up to
 * `MAX_MARKUP_ITEMS` items of markup, each followed by spaces (`</a><b>`, `<!-- -->`,
 * `/* *\/`, which a browser or a compiler drops, or a line comment to its line's end,
 * `# first half`); as written, or escaped in a JSON string.
 */
export function gapAt(text: string, i: number, before?: string): number {
  let p = spacesEnd(text, i);
  const mark = text.charCodeAt(p);
  if (mark === 44 || mark === 59 || mark === 124) p = spacesEnd(text, p + 1);
  let broke = 0;
  for (let breaks = 0, items = 0;;) {
    const k = breaks < 2 ? lineBreakAt(text, p) : 0;
    if (k > 0) {
      const line = p + k;
      p = listMarkerEnd(text, indentEnd(text, line));
      if (before) {
        // Past indentation too where it is a line's number's, right-aligned (`     9\t`).
        const shared = line + sharedPrefix(text, line, before);
        if (p === line || (shared > p && LINE_NUMBER.test(text.slice(line, shared)))) p = shared;
      }
      broke = 1;
      breaks++;
      continue;
    }
    const m = items < MAX_MARKUP_ITEMS ? markupAt(text, p) : 0;
    if (m === 0) break;
    p = spacesEnd(text, p + m);
    items++;
  }
  return 2 * (p - i) + broke;
}

/**
 * A line's number as `cat -n`, `nl` or an agent's file reader print it before each line:
 * right-aligned, then a tab (escaped in a JSON string too), an arrow, a `:` or `|`, or
 * spaces.
 */
const LINE_NUMBER = /^ *\d{1,9}(?:\t|\\t|→| {1,2}|: ?|\| ?)$/;

/**
 * How much of the line at `line` is what the first piece's line held before it (`before`,
 * see `gapAt`), up to a character no token holds (`data: ` of `data: TOKEN=ghp_...`, then
 * `data: Rt5V...`): lines that each start with one prefix. 0 if that is none, or spaces
 * alone.
 */
function sharedPrefix(text: string, line: number, before: string): number {
  let n = 0;
  while (n < before.length && startsLike(text, line + n, before[n]!)) n++;
  // (Back to a character no token holds, or a tab escaped in a JSON string, `\\t`.)
  while (
    n > 0 && TOKEN_CHAR[codeAt(text, line + n - 1)] === 1 &&
    !(text.charCodeAt(line + n - 1) === 116 && text.charCodeAt(line + n - 2) === 92)
  ) n--;
  return /[^ \t]/.test(text.slice(line, line + n)) ? n : 0;
}

/** Where a list item's marker at `i` (`- `, `* `, `+ `, as YAML and Markdown start one) and the spaces after it end; `i` if none is there. */
export function listMarkerEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return (c === 45 || c === 42 || c === 43) && spaceAt(text, i + 1) > 0
    ? spacesEnd(text, i + 1)
    : i;
}

/**
 * Where the line before ends, when what stands before `at` is a list item's marker (see
 * `listMarkerEnd`) after a line break and indentation; `at` if it is not.
 */
export function listItemLineEnd(text: string, at: number): number {
  let p = at;
  while (p > at - 3 && spaceAt(text, p - 1) === 1) p--;
  if (p === at) return at;
  const c = text.charCodeAt(p - 1);
  if (c !== 45 && c !== 42 && c !== 43) return at;
  const end = lineEndBefore(text, p - 1);
  return end >= 0 ? end : at;
}

/** Where the word before `end` ends: up to eight characters no token holds back from it. */
export function wordEndBefore(text: string, end: number): number {
  let p = end;
  for (let n = 0; n < 8 && p > 0 && TOKEN_CHAR[codeAt(text, p - 1)] !== 1; n++) p--;
  return p;
}

/**
 * Where the line before `at` ends, when only indentation and up to two line breaks (as
 * written or escaped in a JSON string; `\r\n` is one) stand between: -1 when no break
 * does, or more than that.
 */
export function lineEndBefore(text: string, at: number): number {
  let p = at;
  let breaks = 0;
  for (let n = 0; n < 24 && p > 0; n++) {
    const c = text.charCodeAt(p - 1);
    if (c === 32 || c === 9) p--;
    else if (c === 10 || c === 13) {
      p--;
      if (c === 10 && text.charCodeAt(p - 1) === 13) p--;
      breaks++;
    } else if ((c === 110 || c === 114) && text.charCodeAt(p - 2) === 92) {
      p -= 2;
      if (c === 110 && text.charCodeAt(p - 1) === 114 && text.charCodeAt(p - 2) === 92) p -= 2;
      breaks++;
    } else break;
  }
  return breaks > 0 && breaks <= 2 ? p : -1;
}

/**
 * Where the items of markup that end at `end` start (up to `MAX_MARKUP_ITEMS`, with
 * spaces and line breaks between them, as written or escaped in a JSON string; see
 * `markupBefore`): `end` itself when none ends there.
 */
export function markupStart(text: string, end: number): number {
  let p = end;
  for (let n = 0; n < MAX_MARKUP_ITEMS; n++) {
    let q = p;
    for (let k = 0; k < 8 && q > p - 16; k++) {
      const c = text.charCodeAt(q - 1);
      if (c === 32 || c === 9 || c === 10 || c === 13) q--;
      else if (text.charCodeAt(q - 2) === 92 && (c === 110 || c === 116 || c === 114)) q -= 2;
      else break;
    }
    const s = markupBefore(text, q);
    if (s < 0) break;
    p = s;
  }
  return p;
}

/** The most variables a token split across assignments is read from (see `assignedPieces`). */
export const MAX_ASSIGNED = 8;

/**
 * Where the value of the assignment after the one whose value ends at `end` starts: past
 * the value's closing quote (if one is there), a gap (see `gapAt`: a `;`, a shell's
 * `&&` or a query's `&`, spaces, up to two line breaks, comments) and the next assignment's head (see `assignmentAt`); -1 if
 * none follows.
 */
export function nextAssigned(text: string, end: number): number {
  let p = end + quoteAt(text, end);
  // A shell's `&&` between them, as a `;` is; or a query's or a form's `&`.
  const and = spacesEnd(text, p);
  const joined = text.charCodeAt(and) === 38;
  if (joined) p = and + (text.charCodeAt(and + 1) === 38 ? 2 : 1);
  const gap = gapAt(text, p);
  if (gap === 0 && !joined) return -1;
  const q = p + (gap >> 1);
  const head = assignmentAt(text, q);
  return head === 0 ? -1 : q + head;
}
