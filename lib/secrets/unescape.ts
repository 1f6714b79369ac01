/**
 * @module
 * Escapes: where a text holds them (`triggered`: a `%`, a backslash, a `&`, a `=` or a
 * character call that may stand for a token's character) and what they stand for
 * (percent-encoding, quoted-printable, program-text and JSON escapes, HTML references,
 * `chr()` calls). Pure helpers of the decoding layer (`decode.ts`).
 */

import { codeAt, sameButNumbers } from "./chars.ts";
import { HEX_VALUE, hexDigits } from "./hexdump.ts";

/**
 * Percent-decoding that survives malformed sequences: a run of escapes that is UTF-8
 * decodes as `decodeURIComponent` decodes it, any other one a character a byte (Latin-1).
 * Told apart without `decodeURIComponent`'s error: a thrown error costs microseconds, and
 * tracing a finding in a window of escapes back to where it is written decodes starts of
 * the window a thousand times over (2 KiB of escapes that are no UTF-8 took 45 ms).
 */
export function percentDecode(text: string): string {
  return text.replace(/\+/g, " ").replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = (HEX_VALUE[run.charCodeAt(3 * i + 1)]! << 4) |
        HEX_VALUE[run.charCodeAt(3 * i + 2)]!;
    }
    return isUtf8(bytes) ? UTF8.decode(bytes) : latin1(bytes);
  });
}

/** A character of each byte's code, a slice at a time (one call's arguments are bounded). */
function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return out;
}

/** UTF-8 decoding that keeps a byte-order mark, as `decodeURIComponent` does. */
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Whether `bytes` are UTF-8 as `decodeURIComponent` takes it (RFC 3629): no overlong
 * form, no surrogate, nothing past U+10FFFF, no sequence cut short.
 */
export function isUtf8(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length;) {
    const c = bytes[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    // How many continuation bytes follow, and the range the first of them must fall in.
    let n: number, low = 0x80, high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) low = 0xa0;
      if (c === 0xed) high = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) low = 0x90;
      if (c === 0xf4) high = 0x8f;
    } else return false;
    if (i + n >= bytes.length) return false;
    const first = bytes[i + 1]!;
    if (first < low || first > high) return false;
    for (let k = 2; k <= n; k++) {
      const b = bytes[i + k]!;
      if (b < 0x80 || b > 0xbf) return false;
    }
    i += n + 1;
  }
  return true;
}

/** A line break, as it is or escaped in a JSON string (`\\n`). */
const BREAK = /(?:\r?\n|(?:\\r)?\\n)/.source;
/** What indents a line: spaces and tabs, as they are or escaped (`\\t`). */
const INDENT = /(?:[ \t]|\\t)*/.source;

/**
 * A kind of escape `joinBrokenEscapes` joins across line breaks: `one`, a global pattern
 * of one escape; `cut`, what a text holds where a line break is next to one (an escape,
 * or a part of one, before it; or a backslash before it and the rest after).
 */
export interface EscapeKind {
  one: RegExp;
  cut: RegExp;
}

/** Percent escapes (`%67`). */
export const PERCENT_ESCAPES: EscapeKind = {
  one: /%[0-9A-Fa-f]{2}/g,
  cut: new RegExp(/%[0-9A-Fa-f]{0,2}/.source + BREAK),
};

/**
 * The escapes of program text as `codeUnescape` reads them, the backslash written once
 * or more (doubled inside a JSON string).
 */
export const CODE_ESCAPES: EscapeKind = {
  one:
    /\\+(?:x[0-9A-Fa-f]{2}|[ux]\{[0-9A-Fa-f]{1,6}\}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[0-3][0-7]{2}|[0-7]{1,2}(?![0-7]))/g,
  cut: new RegExp(
    /\\(?:x[0-9A-Fa-f]{0,2}|[ux]\{[0-9A-Fa-f]{0,6}\}?|u[0-9A-Fa-f]{0,4}|U[0-9A-Fa-f]{0,8}|[0-7]{1,3})/
      .source + BREAK + "|" + /\\/.source + BREAK + INDENT + "[xuU0-7]",
  ),
};

/** JSON's `\\u` escapes. */
export const JSON_U_ESCAPES: EscapeKind = {
  one: /\\u[0-9A-Fa-f]{4}/g,
  cut: new RegExp(
    /\\u[0-9A-Fa-f]{0,4}/.source + BREAK + "|" + /\\/.source + BREAK + INDENT + "u",
  ),
};

/** Numeric HTML references (`&#x67;`, `&#103;`). */
export const HTML_ESCAPES: EscapeKind = {
  one: /&#(?:[xX][0-9A-Fa-f]{1,6}|[0-9]{1,7});?/g,
  cut: new RegExp(/&(?:#(?:[xX][0-9A-Fa-f]{0,6}|[0-9]{0,7});?)?/.source + BREAK),
};

/** A line break and the indentation after it. */
const BREAK_INDENTED = new RegExp(BREAK + INDENT, "g");
/** The line break alone, at the start of what `BREAK_INDENTED` matched. */
const BREAK_ONLY = new RegExp(BREAK);

/** How far either side of a line break `joinBrokenEscapes` looks: longer than an escape. */
const ESCAPE_REACH = 16;

/** 1 for the characters an escape may hold (see `joinBrokenEscapes`). */
const ESCAPE_PART = Uint8Array.from(
  { length: 128 },
  (_, c) => +/[0-9A-Za-z%\\&#;{}+]/.test(String.fromCharCode(c)),
);

/** The longest prefix each line of escapes may start with (`data: `, `> `, a log's stamp). */
const MAX_ESCAPES_PREFIX = 32;

/**
 * `text` with each line break (as it is or escaped, `\\n`, and the spaces or tabs
 * indenting the line after it) that falls inside a run of escapes of `kind` taken out:
 * one that cuts an escape in two (`%6`, then `7%68...`), or stands between two (`fold -w
 * 12` of a percent-encoded token). A prefix the line after starts with, as the line
 * before does (`sed 's/^/data: /'`), goes with it. Escapes cut into lines that way are
 * decoded joined, as a tool that reads them would after `tr -d '\\n'`; a line break
 * next to anything else stays. `cuts`, when given, gets for each part taken out where
 * it was in what is returned and its length. A text with no line break next to an escape (`kind.cut`)
 * is returned as it is, at the cost of one search.
 */
export function joinBrokenEscapes(text: string, kind: EscapeKind, cuts?: number[]): string {
  if (!kind.cut.test(text)) return text;
  const out: string[] = [];
  let from = 0;
  let length = 0;
  BREAK_INDENTED.lastIndex = 0;
  for (let m = BREAK_INDENTED.exec(text); m !== null; m = BREAK_INDENTED.exec(text)) {
    const at = m.index;
    const after = at + m[0].length;
    const left = text.slice(Math.max(0, at - ESCAPE_REACH), at);
    // The prefix the line before starts with too, ending in a character no escape holds
    // (`data: `, `> `), then escapes on after it; or escapes on right after the break. In
    // that order: a prefix may read as the rest of an escape (`%` at a line's end, then
    // `data: 71`: `%da` is one). A line that starts with an escape's first character has
    // none.
    let skip = -1;
    // Where the line after starts (its indentation may be its prefix's, a line number's
    // padding: `     9\t`).
    const line = at + BREAK_ONLY.exec(m[0])![0].length;
    const first = text.charCodeAt(after);
    if (first !== 37 && first !== 92 && first !== 38) {
      const start = lineStartBefore(text, at);
      // How far the two lines are the same (but for numbers: a log's stamp counting on, a
      // line's number), and where the last character no escape holds in that stretch is.
      let shared = 0;
      let prefix = 0;
      while (shared < MAX_ESCAPES_PREFIX && start + shared < at) {
        const c = text.charCodeAt(line + shared);
        const tab = c === 92 && text.charCodeAt(line + shared + 1) === 116;
        if (c === 37 || (c === 92 && !tab) || c === 38 || c === 10 || c === 13) break;
        if (!sameButNumbers(c, text.charCodeAt(start + shared))) break;
        shared++;
        // (A tab escaped in a JSON string, `\\t`, is no escape's either.)
        if (c >= 128 || ESCAPE_PART[c] === 0) prefix = shared;
        else if (c === 116 && text.charCodeAt(line + shared - 2) === 92) prefix = shared;
      }
      if (
        line + prefix > after &&
        insideEscapes(left, text.slice(line + prefix, line + prefix + ESCAPE_REACH), kind.one)
      ) skip = line + prefix - after;
    }
    if (skip < 0 && insideEscapes(left, text.slice(after, after + ESCAPE_REACH), kind.one)) {
      skip = 0;
    }
    if (skip < 0) continue;
    out.push(text.slice(from, at));
    length += at - from;
    cuts?.push(length, after + skip - at);
    from = after + skip;
    BREAK_INDENTED.lastIndex = from;
  }
  if (from === 0) return text;
  out.push(text.slice(from));
  return out.join("");
}

/** How far back `lineStartBefore` looks for where a line starts. */
const LINE_REACH = 256;

/**
 * Where the line holding `at` starts: after a line break as it is or escaped (`\\n`), or
 * after a quote (a JSON string's first line); `LINE_REACH` characters back at most.
 */
function lineStartBefore(text: string, at: number): number {
  const end = Math.max(0, at - LINE_REACH);
  for (let i = at - 1; i >= end; i--) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 34 || (c === 110 && text.charCodeAt(i - 1) === 92)) return i + 1;
  }
  return end;
}

/**
 * Whether `left` and `right` joined hold an escape across where they meet, or one that
 * ends there and one that starts there.
 */
function insideEscapes(left: string, right: string, escape: RegExp): boolean {
  const joined = left + right;
  const at = left.length;
  let ends = false;
  let starts = false;
  for (const m of joined.matchAll(escape)) {
    const end = m.index + m[0].length;
    if (m.index < at && end > at) return true;
    if (end === at) ends = true;
    if (m.index === at) starts = true;
    if (m.index > at) break;
  }
  return ends && starts;
}

/**
 * Quoted-printable decoding (RFC 2045; RFC 2047's `Q` writes a space as `_`, which is left
 * as it is): `=XX` is the byte it names, in either case, and a soft line break (`=` at a
 * line's end, written as it is or escaped in a JSON string) joins the lines it ends.
 */
export function qpDecode(text: string): string {
  return text.replace(/=(?:\r?\n|(?:\\r)?\\n)/g, "").replace(
    /=([0-9A-Fa-f]{2})/g,
    (_, h) => String.fromCharCode(parseInt(h, 16)),
  );
}

/**
 * The Unicode names of the characters of a token (Python's and Perl's `\N{LOW LINE}`),
 * upper case: letters, digits and `_-+/=.:@`.
 */
const CHARACTER_NAMES: ReadonlyMap<string, string> = new Map([
  ...[..."ABCDEFGHIJKLMNOPQRSTUVWXYZ"].flatMap((c) => [
    [`LATIN CAPITAL LETTER ${c}`, c],
    [`LATIN SMALL LETTER ${c}`, c.toLowerCase()],
  ]),
  ...["ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"].map((
    d,
    i,
  ) => [`DIGIT ${d}`, String(i)]),
  ["LOW LINE", "_"],
  ["HYPHEN-MINUS", "-"],
  ["PLUS SIGN", "+"],
  ["SOLIDUS", "/"],
  ["EQUALS SIGN", "="],
  ["FULL STOP", "."],
  ["COLON", ":"],
  ["COMMERCIAL AT", "@"],
] as [string, string][]);

/** What `\N{name}` stands for (a name above, in any case, or `U+` and hex); undefined if not known. */
function named(name: string): string | undefined {
  const upper = name.trim().toUpperCase();
  const hex = /^U\+([0-9A-F]{1,6})$/.exec(upper)?.[1];
  if (hex !== undefined) {
    const code = parseInt(hex, 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  return CHARACTER_NAMES.get(upper);
}

/**
 * The escapes of program text (C, JavaScript, Python, Perl, a shell's `$'...'` and
 * `printf`) resolved in place: `\xHH`, `\x{H...}`, `\u{H...}`, `\uHHHH`, `\UHHHHHHHH`,
 * octal `\N` to `\NNN`, and `\N{...}` naming a character of a token. Anything else stays
 * as written.
 */
export function codeUnescape(text: string): string {
  return replaceEscapes(text, "\\", codeEscapeAt, codeEscapeValue);
}

/**
 * `text` with each escape that starts at a `mark` replaced by what it stands for:
 * `lengthAt` gives the length of the escape at a mark (0 if none is there), `valueOf`
 * what it stands for (undefined to leave it as written). A loop over the marks, pieces
 * joined at the end (as `jsonUnescape`): a regular expression replace called back for
 * each escape took over twice as long, and a megabyte of escapes cut into lines is
 * decoded twice (as written and joined).
 */
function replaceEscapes(
  text: string,
  mark: string,
  lengthAt: (text: string, at: number) => number,
  valueOf: (text: string, at: number, length: number) => string | undefined,
): string {
  let at = text.indexOf(mark);
  if (at === -1) return text;
  const out: string[] = [];
  let from = 0;
  while (at !== -1) {
    const length = lengthAt(text, at);
    const value = length === 0 ? undefined : valueOf(text, at, length);
    if (value === undefined) {
      at = text.indexOf(mark, at + 1);
      continue;
    }
    out.push(text.slice(from, at), value);
    from = at + length;
    at = text.indexOf(mark, from);
  }
  if (from === 0) return text;
  out.push(text.slice(from));
  return out.join("");
}

/** How many hex digits run from `at`, up to `most`. */
function hexRun(text: string, at: number, most: number): number {
  let n = 0;
  while (n < most && hexDigit(text.charCodeAt(at + n)) >= 0) n++;
  return n;
}

/**
 * The length of the escape of program text whose backslash is at `at` (see
 * `codeUnescape`), 0 if none starts there.
 */
function codeEscapeAt(text: string, at: number): number {
  const next = text.charCodeAt(at + 1);
  if (next === 120 && hexRun(text, at + 2, 2) === 2) return 4; // \xHH
  if ((next === 120 || next === 117) && text.charCodeAt(at + 2) === 123) {
    // \x{H...}, \u{H...}
    const n = hexRun(text, at + 3, 7);
    return n >= 1 && n <= 6 && text.charCodeAt(at + 3 + n) === 125 ? n + 4 : 0;
  }
  if (next === 117) return hexRun(text, at + 2, 4) === 4 ? 6 : 0; // \uHHHH
  if (next === 85) return hexRun(text, at + 2, 8) === 8 ? 10 : 0; // \UHHHHHHHH
  if (next >= 48 && next <= 55) {
    const octal = (i: number) => {
      const c = text.charCodeAt(i);
      return c >= 48 && c <= 55;
    };
    // Three digits from 0-3; else one or two not followed by another.
    if (next <= 51 && octal(at + 2) && octal(at + 3)) return 4;
    if (octal(at + 2)) return octal(at + 3) ? 0 : 3;
    return 2;
  }
  if (next === 78 && text.charCodeAt(at + 2) === 123) {
    // \N{name}
    let k = at + 3;
    while (k - at - 3 < 41 && NAME_CHAR[text.charCodeAt(k)] === 1) k++;
    const n = k - at - 3;
    return n >= 1 && n <= 40 && text.charCodeAt(k) === 125 ? n + 4 : 0;
  }
  return 0;
}

/** What the escape of `length` at `at` stands for; undefined to leave it as written. */
function codeEscapeValue(text: string, at: number, length: number): string | undefined {
  const next = text.charCodeAt(at + 1);
  if (next === 78) return named(text.slice(at + 3, at + length - 1));
  const code = next >= 48 && next <= 55
    ? parseInt(text.slice(at + 1, at + length), 8)
    : parseInt(text.slice(at + (text.charCodeAt(at + 2) === 123 ? 3 : 2), at + length), 16);
  return code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

/** 1 for the characters of a `\\N{...}` name (letters, digits, space, `+`, `-`). */
const NAME_CHAR = Uint8Array.from(
  { length: 128 },
  (_, c) => +/[A-Za-z0-9 +-]/.test(String.fromCharCode(c)),
);

/**
 * HTML's named references for the punctuation tokens are written with (`ghp&lowbar;...`,
 * a key's `&sol;` and `&plus;`, the `&commat;` between a URL's password and its host),
 * and for the marks other encodings start with (`&percnt;`, `&bsol;`), each with its
 * `;`. Letters and digits have none.
 */
export const HTML_NAMES: Readonly<Record<string, string>> = {
  lowbar: "_",
  UnderBar: "_",
  period: ".",
  sol: "/",
  colon: ":",
  equals: "=",
  plus: "+",
  commat: "@",
  percnt: "%",
  bsol: "\\",
};

const HTML_NAMED = new RegExp(`^&(?:${Object.keys(HTML_NAMES).join("|")});`);

/** 1 for the first letter of a name above. */
const HTML_NAME_START = Uint8Array.from(
  { length: 128 },
  (_, c) => +Object.keys(HTML_NAMES).some((n) => n.charCodeAt(0) === c),
);

/**
 * HTML character references resolved in place: numeric ones (`&#95;`, `&#x5f;`, the `;`
 * optional as browsers read them) and the named ones above. Anything else stays as
 * written.
 */
export function htmlUnescape(text: string): string {
  return replaceEscapes(text, "&", htmlReferenceAt, htmlReferenceValue);
}

/** The length of the HTML reference at `at` (see `htmlUnescape`), 0 if none is there. */
function htmlReferenceAt(text: string, at: number): number {
  if (text.charCodeAt(at + 1) === 35) {
    const hex = (text.charCodeAt(at + 2) | 32) === 120;
    const first = at + (hex ? 3 : 2);
    let n = 0;
    if (hex) n = hexRun(text, first, 6);
    else while (n < 7 && text.charCodeAt(first + n) >= 48 && text.charCodeAt(first + n) <= 57) n++;
    return n === 0 ? 0 : first + n - at + (text.charCodeAt(first + n) === 59 ? 1 : 0);
  }
  if (HTML_NAME_START[text.charCodeAt(at + 1)] !== 1) return 0;
  return HTML_NAMED.exec(text.slice(at, at + 12))?.[0].length ?? 0;
}

/** What the HTML reference of `length` at `at` stands for; undefined to leave it. */
function htmlReferenceValue(text: string, at: number, length: number): string | undefined {
  if (text.charCodeAt(at + 1) !== 35) return HTML_NAMES[text.slice(at + 1, at + length - 1)];
  const hex = (text.charCodeAt(at + 2) | 32) === 120;
  const end = at + length - (text.charCodeAt(at + length - 1) === 59 ? 1 : 0);
  const code = parseInt(text.slice(at + (hex ? 3 : 2), end), hex ? 16 : 10);
  return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

/** What each one-character JSON escape stands for. */
const JSON_ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** The value of a hex digit's character code, or -1. */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 32;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * JSON string escapes (`\"`, `\n`, `\u0041`) resolved in place, without parsing JSON; a
 * backslash starting no escape stays as written. A loop over the backslashes (a regex
 * replace called back for each escape took four times as long on source code, where
 * every line ends in `\n`).
 */
export function jsonUnescape(text: string): string {
  let at = text.indexOf("\\");
  if (at === -1) return text;
  // Pieces joined at the end: a string grown by `+=` is a rope, which every later
  // character read of the scan pays for.
  const out: string[] = [];
  let from = 0;
  while (at !== -1 && at + 1 < text.length) {
    const next = text[at + 1]!;
    let value: string | undefined;
    let length = 2;
    if (next === "u") {
      if (at + 5 < text.length) {
        const code = (hexDigit(text.charCodeAt(at + 2)) << 12) |
          (hexDigit(text.charCodeAt(at + 3)) << 8) | (hexDigit(text.charCodeAt(at + 4)) << 4) |
          hexDigit(text.charCodeAt(at + 5));
        // A digit that is not one makes the whole negative.
        if (code >= 0) {
          value = String.fromCharCode(code);
          length = 6;
        }
      }
    } else value = JSON_ESCAPES[next];
    if (value === undefined) {
      at = text.indexOf("\\", at + 1);
      continue;
    }
    out.push(text.slice(from, at), value);
    from = at + length;
    at = text.indexOf("\\", from);
  }
  out.push(text.slice(from));
  return out.join("");
}

/**
 * Characters of a token (letters, digits, `_-+/=.:@`): an octal escape that stands for
 * one (`ghp\137...` is `ghp_...` to `printf`) may hide a secret. One that stands for
 * anything else (C's `\0`, a regular expression's `\1`) opens no window: source code
 * holds many.
 */
export const TOKEN_CHAR = Uint8Array.from(
  { length: 256 },
  (_, c) => /[A-Za-z0-9_\-+/=.:@]/.test(String.fromCharCode(c)) ? 1 : 0,
);

/**
 * The character an octal escape stands for, its digits at `at` (as `codeUnescape` reads
 * them: three digits from `0` to `377`, else one or two not followed by another); -1
 * when those digits are no escape.
 */
function octalAt(text: string, at: number): number {
  const digit = (i: number) => {
    const c = text.charCodeAt(i) - 48;
    return c >= 0 && c <= 7 ? c : -1;
  };
  const d0 = digit(at);
  const d1 = digit(at + 1);
  const d2 = digit(at + 2);
  if (d0 < 0) return -1;
  if (d0 <= 3 && d1 >= 0 && d2 >= 0) return d0 * 64 + d1 * 8 + d2;
  if (d1 < 0) return d0;
  return d2 < 0 ? d0 * 8 + d1 : -1;
}

/** Whether the `\N{` whose name starts at `at` names a character of a token. */
function namedAt(text: string, at: number): boolean {
  const close = text.indexOf("}", at);
  if (close === -1 || close - at > 40) return false;
  const char = named(text.slice(at, close));
  return char !== undefined && char.length === 1 && TOKEN_CHAR[char.charCodeAt(0)] === 1;
}

/** Whether `text` has `count` hex digits from `at`. */
function hexDigitsAt(text: string, at: number, count: number): boolean {
  return hexDigits(text, at, at + count);
}

/**
 * Whether fewer than `count` hex digits at `at` run up to a line break, as it is or
 * escaped (`\\n`): an escape cut in two by `fold` (`%6`, then `7`), which
 * `joinBrokenEscapes` joins.
 */
function cutEscapeAt(text: string, at: number, count: number): boolean {
  for (let k = at; k < at + count; k++) {
    const c = text.charCodeAt(k);
    if (c === 10 || c === 13) return true;
    if (c === 92) return text.charCodeAt(k + 1) === 110 || text.charCodeAt(k + 1) === 114;
    if (hexDigit(c) < 0) return false;
  }
  return false;
}

/** Values of the standard base64 alphabet by code (-1: not one), as UTF-7 shifts use it. */
const UTF7_VALUE = Int8Array.from(
  { length: 128 },
  (_, c) =>
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".indexOf(
      String.fromCharCode(c),
    ),
);

/**
 * The characters a UTF-7 shift stands for (`+AF8-`: `_`), from its `+` at `i` of `text`
 * to `end` (the first character past its base64), or undefined unless they are all
 * printable ASCII and the bits left over are zeros: what `iconv -t UTF-7` makes of a
 * token's `_`, `=`, `!`... (it writes letters, digits and `-` as they are; `+` as `+-`).
 * Code (`+Array`, `x+1`) so read is no such characters.
 */
function utf7Shift(text: string, i: number, end: number): string | undefined {
  let bits = 0;
  let value = 0;
  let out = "";
  for (let k = i + 1; k < end; k++) {
    value = (value << 6) | UTF7_VALUE[text.charCodeAt(k)]!;
    bits += 6;
    if (bits >= 16) {
      bits -= 16;
      const unit = (value >> bits) & 0xffff;
      if (unit < 0x20 || unit > 0x7e) return undefined;
      out += String.fromCharCode(unit);
      value &= (1 << bits) - 1;
    }
  }
  return out !== "" && value === 0 ? out : undefined;
}

/** Where the base64 of a UTF-7 shift from `i` (its `+`) ends. */
function utf7End(text: string, i: number): number {
  let end = i + 1;
  while (end < text.length && end - i < LONGEST_SHIFT) {
    const c = text.charCodeAt(end);
    if (c >= 128 || UTF7_VALUE[c]! < 0) break;
    end++;
  }
  return end;
}

/** The longest shift read (a run of a token's marks: `+AF8AXwBf-` is three `_`). */
const LONGEST_SHIFT = 40;

/**
 * Whether a UTF-7 shift of printable ASCII starts at the `+` at `i` (see `utf7Shift`),
 * or a `+` written as UTF-7 writes it (`+-`).
 */
function utf7At(text: string, i: number): boolean {
  const next = text.charCodeAt(i + 1);
  if (next === 45) return true;
  return next === 65 && utf7Shift(text, i, utf7End(text, i)) !== undefined;
}

/**
 * UTF-7 read back where it stands for printable ASCII (`ghp+AF8-Zq8L...`: `ghp_Zq8L...`;
 * `+-`: `+`); any other `+` stays as written. A shift's closing `-` is taken with it.
 */
export function utf7Decode(text: string): string {
  let out = "";
  let last = 0;
  for (let i = text.indexOf("+"); i !== -1; i = text.indexOf("+", i + 1)) {
    if (i < last) continue;
    let decoded: string | undefined;
    let end: number;
    if (text.charCodeAt(i + 1) === 45) {
      decoded = "+";
      end = i + 2;
    } else {
      end = utf7End(text, i);
      decoded = utf7Shift(text, i, end);
      if (decoded !== undefined && text.charCodeAt(end) === 45) end++;
    }
    if (decoded === undefined) continue;
    out += text.slice(last, i) + decoded;
    last = end;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** Where the escapes of each kind are in a text (see `triggered`). */
export interface Triggered {
  percent: number[];
  qp: number[];
  escape: number[];
  code: number[];
  html: number[];
  zeroCells: number[];
  calls: number[];
  deep: number[];
  utf7: number[];
}

/**
 * Offsets of `%XX`; of `\\uXXXX`, `\\/` and `\\b`; of `\\xHH` and `\\u{`; of `&#`; of
 * UTF-7's `+`; and of `od -c`'s cell of a zero byte as a JSON string holds it (`  \\\\0 `:
 * five places, not the four the survey's look for text spaced out expects, which a dump
 * of UTF-16 text, a zero every other cell, never showed).
 */
export function triggered(text: string, triggers: readonly number[]): Triggered {
  // The lists, made before the loop (see `headCuts` in mod.ts).
  const found: Triggered = {
    percent: [],
    qp: [],
    escape: [],
    code: [],
    html: [],
    zeroCells: [],
    calls: [],
    deep: [],
    utf7: [],
  };
  const { percent, qp, escape, code, html, zeroCells, calls, deep, utf7 } = found;
  for (const i of triggers) {
    const c = text.charCodeAt(i);
    if (c === 99 || c === 67) {
      if (charCallAt(text, i)) calls.push(i);
    } else if (c === 92 && text.charCodeAt(i + 1) === 92) {
      // Three backslashes (the survey finds each three of a longer run): from the run's
      // first, an odd run before a quote.
      if (text.charCodeAt(i - 1) !== 92 && deepQuoteAt(text, i)) deep.push(i);
    } else if (c === 37) {
      if (hexDigitsAt(text, i + 1, 2) || cutEscapeAt(text, i + 1, 2)) percent.push(i);
    } else if (c === 61) {
      if (qpAt(text, i)) qp.push(i);
    } else {
      const next = text.charCodeAt(i + 1);
      if (
        next === 48 && text.charCodeAt(i + 2) === 32 && text.charCodeAt(i - 1) === 92 &&
        text.charCodeAt(i - 2) === 32 && text.charCodeAt(i - 3) === 32
      ) {
        zeroCells.push(i);
        continue;
      }
      if (next === 98 || next === 66) {
        // A backspace escaped in a JSON string (`\b`), after an odd run of backslashes
        // (`\\b` is a backslash, then `b`, as a regex's word boundary is written): what it
        // overstrikes is read by normalising the window's decoding.
        let run = 1;
        while (run <= i && text.charCodeAt(i - run) === 92) run++;
        if (next === 98 && run % 2 === 1) escape.push(i);
      } else if (
        next === 47 ||
        (next === 117 && (hexDigitsAt(text, i + 2, 4) || cutEscapeAt(text, i + 2, 4)))
      ) {
        // After an even run of backslashes this one is escaped itself (`\\u0041` in JSON is
        // a backslash, then `u0041`): not a JSON escape here, but an escape written in
        // the string's text (a file the agent shows), decoded with the others.
        let run = 1;
        while (run <= i && text.charCodeAt(i - run) === 92) run++;
        if (run % 2 === 1) escape.push(i);
        else code.push(i);
      } else if (
        (next === 120 &&
          (hexDigitsAt(text, i + 2, 2) || text[i + 2] === "{" || cutEscapeAt(text, i + 2, 2))) ||
        (next === 117 && text[i + 2] === "{") || (next === 85 && hexDigitsAt(text, i + 2, 8)) ||
        (next >= 48 && next <= 55 && TOKEN_CHAR[Math.max(0, octalAt(text, i + 1))] === 1) ||
        (next === 78 && namedAt(text, i + 3))
      ) {
        code.push(i);
      }
    }
  }
  // Rare, and cheap to look for (no trigger word: see keywords.ts): character
  // references, at each `&` a `#` or one of the names above.
  for (let i = text.indexOf("&"); i !== -1; i = text.indexOf("&", i + 1)) {
    const next = codeAt(text, i + 1);
    if (next === 35) html.push(i);
    else if (HTML_NAME_START[next] === 1 && HTML_NAMED.test(text.slice(i, i + 10))) html.push(i);
  }
  // UTF-7 (`iconv -t UTF-7`), the same way: at each `+`, a shift of printable ASCII.
  for (let i = text.indexOf("+"); i !== -1; i = text.indexOf("+", i + 1)) {
    if (utf7At(text, i)) utf7.push(i);
  }
  return found;
}

/**
 * Whether the run of backslashes from `i` is an odd one of three or more before a quote:
 * a quote escaped twice or more (`\\\"`, `\\\\\\\"`), as JSON escapes code that is itself
 * in a JSON string. One backslash more before the quote is a backslash escaped, then the
 * quote (the string's end).
 */
function deepQuoteAt(text: string, i: number): boolean {
  let end = i;
  while (text.charCodeAt(end) === 92) end++;
  return end - i >= 3 && (end - i) % 2 === 1 && text.charCodeAt(end) === 34;
}

/**
 * A quote escaped twice or more (see `deepQuoteAt`), or a line break, a tab or a return so
 * right after a token's character, anywhere in `text`.
 */
const DEEP_ESCAPE = /(?<!\\)(?:\\\\)+\\"|[A-Za-z0-9_](?:\\\\)+[nrt]/;

/**
 * JSON string escapes resolved, then again while a quote escaped twice or more, or such a
 * line break after a token's character, is left (`DEEP_ESCAPE`; four levels at most): code in a JSON string inside another (`t = \\\"ghp_Zq8L\\\" +
 * \\\"w2Rt...\\\"`) comes out as code in a JSON string, whose escapes the readers of
 * pieces know; one a level deeper needs two.
 */
export function jsonUnescapeDeep(text: string): string {
  let out = jsonUnescape(text);
  for (let level = 1; level < 4 && DEEP_ESCAPE.test(out); level++) out = jsonUnescape(out);
  return out;
}

/** A call that gives a character by its code, from its name on (see `charCallAt`). */
const CHAR_CALL_AT = /(?:chrw?|char(?:code)?)\s*\(\s*(?:0x)?[0-9a-f]|char\]\s*(?:0x)?[0-9a-f]/iy;

/**
 * Whether a call that gives a character by its code starts at `i` (where the survey
 * found `chr` or `char`): `chr(103)`, `Chr(104)`, `ChrW(112)`, `String.fromCharCode(95)`,
 * PowerShell's `[char]90`.
 */
function charCallAt(text: string, i: number): boolean {
  // What follows the name first (most of `char` in code is `charCodeAt`, `char *`).
  const isChar = (text.charCodeAt(i + 2) | 0x20) === 0x61;
  const at = i + (isChar ? 4 : 3);
  let next = text.charCodeAt(at);
  if ((next | 0x20) === (isChar ? 0x63 : 0x77)) next = text.charCodeAt(isChar ? at + 4 : at + 1);
  if (next !== 40 && next !== 32 && next !== 93) return false;
  CHAR_CALL_AT.lastIndex = i;
  return CHAR_CALL_AT.test(text);
}

/** One call of `charCallAt`'s, whole, its code captured: decimal or `0x` hex. */
const CHAR_CALL = String
  .raw`(?:(?<![\w$])(?:String\.fromCharCode|chrw?|unichr|char)\s*\(\s*(0x[0-9a-f]{1,6}|\d{1,7})\s*\)|\[char\]\s*(0x[0-9a-f]{1,6}|\d{1,7}))`;

/**
 * Between two calls: an operator or none (`+`, `.`, `..`, `&`, `,`, `||`), or, after up to
 * eight `;` or line breaks (escaped too, in a JSON string; each read once, so that a long
 * run of them costs no more than its length), the next call appended to a name (`s += `,
 * `$s .= `, `s &= `, `s << `, `s = s + `): a character a line.
 */
const CHAR_JOIN = String
  .raw`\s*(?:(?:\+|\.\.?|&|,|\|\|)\s*)?|[ \t]*(?:(?:;|\r?\n|(?:\\r)?\\n)[ \t]*(?:\\t[ \t]*)*){1,8}(?:\$?[\w.]+\s*(?:\+=|\.=|&=|<<)|\$?[\w.]+\s*=\s*\$?[\w.]+\s*(?:\+|\.|&))\s*`;

/** Calls one after another (see `CHAR_JOIN`). */
const CHAR_CALLS = new RegExp(String.raw`${CHAR_CALL}(?:(?:${CHAR_JOIN})${CHAR_CALL})*`, "gi");

const ONE_CHAR_CALL = new RegExp(CHAR_CALL, "gi");

/**
 * Characters given by their codes in calls (`chr(103)+chr(104)+...`, `Chr(103) & Chr(104)`,
 * `[char]103+[char]104`, SQL's `CONCAT(CHAR(103), CHAR(104))`) resolved in place: calls
 * one after another, and what joins them, become the characters they give. Anything else
 * stays as written.
 */
export function charCallsDecode(text: string): string {
  return text.replace(CHAR_CALLS, (chain: string, ...rest: unknown[]) => {
    let out = "";
    for (const [, code, bracketed] of chain.matchAll(ONE_CHAR_CALL)) {
      const written = code ?? bracketed!;
      const value = /^0x/i.test(written) ? parseInt(written.slice(2), 16) : parseInt(written, 10);
      if (value > 0x10ffff) return chain;
      out += String.fromCodePoint(value);
    }
    // Joined to a quoted piece (`"ghp_Zq8L" + chr(119) + "2Rt..."`): a quoted piece too,
    // in that piece's quotes, so that the pieces are read joined (see mod.ts).
    const at = rest.at(-2) as number;
    const quote = QUOTE_BEFORE.exec(text.slice(Math.max(0, at - 8), at))?.[1] ??
      QUOTE_AFTER.exec(text.slice(at + chain.length, at + chain.length + 8))?.[1];
    return quote ? quote + out + quote : out;
  });
}

/** A quote, then an operator that joins strings, ending a text (see `charCallsDecode`). */
const QUOTE_BEFORE = /(\\?["'])\s*(?:\+|\.\.?|&)\s*$/;

/** An operator that joins strings, then a quote, starting a text. */
const QUOTE_AFTER = /^\s*(?:\+|\.\.?|&)\s*(\\?["'])/;

/**
 * Whether the `=` at `i` is quoted-printable that may hide a token: `=XX` standing for one
 * of its characters (`x=10` in code or a query opens no window), or a soft line break
 * (`=`, then a line break written as it is or escaped in a JSON string) between two of
 * them (`x =` ending a line of code is none).
 */
function qpAt(text: string, i: number): boolean {
  const next = text.charCodeAt(i + 1);
  if (next !== 10 && next !== 13 && next !== 92) {
    return hexDigitsAt(text, i + 1, 2) &&
      TOKEN_CHAR[(HEX_VALUE[next]! << 4) | HEX_VALUE[text.charCodeAt(i + 2)]!] === 1;
  }
  const eol = /^(?:\r?\n|(?:\\r)?\\n)/.exec(text.slice(i + 1, i + 6));
  return eol !== null && TOKEN_CHAR[codeAt(text, i - 1)] === 1 &&
    TOKEN_CHAR[codeAt(text, i + 1 + eol[0].length)] === 1;
}
