/**
 * @module
 * Tokens written in pieces or groups, read back: quoted pieces joined in code, a token
 * cut into short lines, split by spaces, marks or markup, across variables, in capitals,
 * in groups after its prefix, its prefix cut within its head; each read from where a
 * token rule's keyword starts one (`piecesIn`). Part of the detector (`mod.ts`).
 */

import {
  assignedBefore,
  assignedName,
  assignmentAt,
  operatorEndBefore,
  quoteAt,
  referenceAfter,
  referenceAt,
} from "./assign.ts";
import { codeAt } from "./chars.ts";
import { indentEnd, lineBreakAt } from "./decode.ts";
import {
  capitalsDetector,
  CUT_HEADS,
  detector,
  HEAD,
  notPublic,
  publicValues,
  ruleById,
  startsToken,
  tokenDetector,
} from "./detectors.ts";
import type { Finding } from "./engine.ts";
import { escapeLetter, type Survey } from "./keywords.ts";
import { emptyQuotesBefore, lineCommentBefore, markupAt, markupBefore } from "./markup.ts";
import type { Encoding } from "./mod.ts";
import { RULES } from "./rules.ts";

/** For each keyword of the survey, whether and how a token starts with it (see `tokenStartAt`). */
let tokenKeywords: Uint8Array | undefined;

/** The widest groups `dottedPieces` reads. */
const MAX_DOTTED = 32;

/** Characters a token's groups may hold: letters, digits, `-` and `_`. */
const TOKEN_CHAR = Uint8Array.from(
  { length: 128 },
  (_, c) => +/[A-Za-z0-9_-]/.test(String.fromCharCode(c)),
);

/**
 * A token whose prefix is `start`-`end` cut every so many characters by a `.` or a `:`
 * (`fold -w 8 | paste -sd.`), its groups holding a `-` or `_` of its own past the prefix
 * (a Slack token's): the groups, start and end of each where written, the first holding
 * the prefix; undefined when it is not so cut. Two groups or more, the last no wider
 * than the others and, of two, as wide as a piece a space apart must be (`MIN_SPLIT`).
 */
function dottedPieces(text: string, start: number, end: number): number[] | undefined {
  const tokenChar = (i: number) => TOKEN_CHAR[codeAt(text, i)] === 1;
  for (let width = Math.max(MIN_SPLIT, end - start); width <= MAX_DOTTED; width++) {
    const mark = text.charCodeAt(start + width);
    if (mark !== 46 && mark !== 58) continue;
    const pieces: number[] = [];
    let own = false;
    let at = start;
    for (;;) {
      let e = at;
      for (; e < at + width && tokenChar(e); e++) {
        const c = text.charCodeAt(e);
        if (e >= end && (c === 45 || c === 95)) own = true;
      }
      pieces.push(at, e);
      if (e === at + width && text.charCodeAt(e) === mark && tokenChar(e + 1)) {
        at = e + 1;
        continue;
      }
      // The last group: no wider than the others (a character of a token after it is no
      // cut's).
      if (tokenChar(e)) pieces.length = 0;
      break;
    }
    const last = pieces.length - 2;
    if (!own || last < 2 || (last === 2 && pieces[3]! - pieces[2]! < MIN_SPLIT)) continue;
    return pieces;
  }
  return undefined;
}

/**
 * After a token's prefix, groups of characters of one length joined by one mark: a
 * licence key's form (`ghp_Zq8L-r2Xv-9Kt4-...`, `AKIA Q3EG Q2VF ...`), or a token cut
 * every so many characters at a mark it may hold itself (`ghp_Zq8Lr2Xv9K.t4mXv7Pq3N...`).
 * The first group may be glued to the prefix or follow a mark; the last may be shorter.
 */
const GROUPED =
  /([-. :_/]?)[A-Za-z0-9]{0,20}([-. :_/])[A-Za-z0-9]{2,20}(?:\2[A-Za-z0-9]{1,20}){0,63}/y;

/** The widest groups of a licence key's form (see `groupedFindings`). */
const MAX_GROUP = 8;

/** The marks `GROUPED` joins groups with. */
const GROUP_MARK = Uint8Array.from(
  { length: 128 },
  (_, c) => +"-. :_/".includes(String.fromCharCode(c)),
);

/** For each keyword of the survey, whether and how a token starts with it (see `tokenStartAt`). */
function tokenKeywordKinds(): Uint8Array {
  if (tokenKeywords === undefined) {
    const prefixes = new Set(RULES.filter((r) => r.kind === "token").flatMap((r) => r.keywords));
    // 2: a prefix with a separator in it, at its end or not (`ghp_`, `sk-`, `glpat-`,
    // Vault's `hvs.`, 42's `s-s4t2`); 1: one of letters and digits, a prefix only written
    // in capitals (`AKIA`; `pat` starts `path`).
    // 3: the head of a longer prefix (see `CUT_HEADS`), which starts a token cut inside it.
    tokenKeywords = Uint8Array.from(
      detector().matcher.keywords,
      (k) =>
        !prefixes.has(k)
          ? CUT_HEADS.has(k) ? 3 : 0
          : k.length < 3 || k.startsWith("-")
          ? 0
          : /[-_.~]/.test(k)
          ? 2
          : /^[a-z0-9]+$/.test(k)
          ? 1
          : 0,
    );
  }
  return tokenKeywords;
}

/** What a quoted piece of a token may hold: no quote, backslash, space or line break. */
const PIECE_CHAR = Uint8Array.from(
  { length: 128 },
  (_, c) => +(c > 32 && c < 127 && !"\"'`\\".includes(String.fromCharCode(c))),
);

/**
 * What a piece of a token split by spaces, lines or markup may hold: what a quoted piece
 * may, but `,`, `;` and `|`, which no token holds and which may stand between its pieces,
 * and `<` and `*`, which start markup (see `markupAt`; a block comment's `/` before its
 * `*` is left out of a piece by `blockCommentOut`).
 */
const SPLIT_CHAR = Uint8Array.from(
  PIECE_CHAR,
  (v, c) => +(v === 1 && !",;|<*".includes(String.fromCharCode(c))),
);

/** What a variable's value in pieces may hold (see `assignedPieces`): what a piece split by spaces may, but a query's `&`. */
const ASSIGNED_CHAR = Uint8Array.from(SPLIT_CHAR, (v, c) => +(v === 1 && c !== 38));

/** `e`, the end of a piece split off, or one before it where its `/` starts a block comment (`/*`). */
function blockCommentOut(text: string, e: number): number {
  return text.charCodeAt(e) === 42 && text.charCodeAt(e - 1) === 47 ? e - 1 : e;
}

/** Where the piece from `from` ends: at its first character `chars` leaves out (`PIECE_CHAR` unless given), `most` characters on at the most. */
function pieceEnd(text: string, from: number, most: number, chars = PIECE_CHAR): number {
  let e = from;
  while (e < from + most && chars[codeAt(text, e)] === 1) e++;
  return e;
}

/** Letters and digits, by code. */
const ALNUM = Uint8Array.from(
  { length: 128 },
  (_, c) => +/[A-Za-z0-9]/.test(String.fromCharCode(c)),
);

/** Operators that join strings in code: `+`, `.` and `..` (PHP, Perl, Lua), `&`, `||`, `~`, `<<` (Ruby, C++'s streams), and `,` (a list joined, arguments formatted). */
const JOINING = Uint8Array.from(
  { length: 128 },
  (_, c) => +"+.&|~,<".includes(String.fromCharCode(c)),
);

/** What stands between quoted pieces at most, read: spaces, line breaks and an operator. */
const MAX_JOIN = 24;

/** Characters a run of quoted pieces is read for at most, joined; and a piece at most. */
const CHAIN = 1024;

const MAX_PIECE = 128;

/** A quoted piece at most: a long JWT (a service's key with its claims) in quoted halves. */
const MAX_QUOTED_PIECE = CHAIN / 2;

/**
 * Where the quoted piece after the one that ends at `close` (its closing quote, escaped
 * with a backslash before it in a JSON string) starts: past spaces and line breaks (as
 * written, or escaped in a JSON string), at most one joining operator (none between
 * Python's or C's adjacent literals), then the same quote; with `keys`, past a `,`, the
 * next value of an object if a key comes first (`"a": "ghp_Zq8L", "b": "w2Rt..."`, see
 * `valueAfterKey`); or -1.
 */
function nextPiece(text: string, close: number, escaped: boolean, keys = false): number {
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

/**
 * Where the token rule's keyword `keyword` of the survey's hits, ending at `end`, starts
 * a token: at its start, if it is a word of its own (`cio` ends `inicio`: in a list of
 * words, it starts no token) and, for a prefix of letters and digits, has a capital
 * (those prefixes are written so, `AKIA`, `AIza`; `pat` starts `path`). -1 if not.
 */
function tokenStartAt(
  text: string,
  kinds: Uint8Array,
  keywords: readonly string[],
  keyword: number,
  end: number,
): number {
  const kind = kinds[keyword]!;
  if (kind === 0) return -1;
  const start = end - keywords[keyword]!.length;
  // After an escaped line break or tab in a JSON string (`\\nghp_`), its letter is no word's;
  // and a keyword that starts with that letter (`napi_` in `\\napi_org_`) starts no token:
  // read from there, it would cover the one that does.
  if (
    ALNUM[codeAt(text, start - 1)] === 1 &&
    !escapedBreak(text, start - 2)
  ) return -1;
  if (text.charCodeAt(start - 1) === 92 && escapeLetter(text.charCodeAt(start))) return -1;
  if (kind === 1) {
    let capital = false;
    for (let i = start; i < end && !capital; i++) {
      const c = text.charCodeAt(i);
      capital = c >= 65 && c <= 90;
    }
    if (!capital) return -1;
  }
  return start;
}

/** Where the survey's hits of token rules' keywords start a token (see `tokenStartAt`): start and end of each. */
function tokenStarts(text: string, hits: readonly number[]): number[] {
  const kinds = tokenKeywordKinds();
  const keywords = detector().matcher.keywords;
  const out: number[] = [];
  for (let h = 0; h < hits.length; h += 2) {
    const end = hits[h + 1]!;
    const start = tokenStartAt(text, kinds, keywords, hits[h]!, end);
    if (start < 0) continue;
    if (kinds[hits[h]!] !== 3) out.push(start, end);
    else {
      // A prefix cut: its first group stands for it.
      const cut = cutPrefixEnd(text, start, CUT_HEADS.get(keywords[hits[h]!]!)!);
      if (cut >= 0) out.push(start, cut);
    }
  }
  return out;
}

/**
 * Where the first group of a token cut inside its prefix, one of `prefixes`, ends, when
 * one starts at `start` (where their head is): the prefix's first characters, as many as
 * are written there, then a separator that no token holds (spaces, a line break, a `.`,
 * a `:`, quotes and an operator, markup: see `markupAt`, a list item's marker after a
 * line break; or a variable's end and the next one's head, see `nextAssigned`), and past
 * it the prefix going on (`github_p at_11...`).
 * -1 when none is.
 */
function cutPrefixEnd(text: string, start: number, prefixes: readonly string[]): number {
  for (const prefix of prefixes) {
    const width = matchedUpTo(text, start + HEAD, prefix, HEAD, prefix.length);
    // The whole prefix is its own keyword's; a token's character after part of it, no cut.
    if (width === prefix.length || TOKEN_CHAR[codeAt(text, start + width)] === 1) continue;
    let p = start + width;
    for (let n = 0; n < 16; n++) {
      // A list item's marker at a line's start (`- `): the next item.
      const item = listMarkerEnd(text, p);
      if (item > p && lineEndBefore(text, p) >= 0) {
        p = item;
        continue;
      }
      const m = markupAt(text, p);
      if (m === 0 && TOKEN_CHAR[codeAt(text, p)] === 1) break;
      p += m > 0 ? m : text.charCodeAt(p) === 92 && escapeLetter(text.charCodeAt(p + 1)) ? 2 : 1;
    }
    // The next group: the prefix's next characters, as many as a group holds; or the
    // next variable's value (`A=github_p; B=at_11...`, see `nextAssigned`).
    const to = Math.min(prefix.length, 2 * width);
    if (matchedUpTo(text, p, prefix, width, to) === to) return start + width;
    const value = nextAssigned(text, start + width);
    if (value >= 0 && matchedUpTo(text, value, prefix, width, to) === to) return start + width;
  }
  return -1;
}

/**
 * Where, from `from` up to `to`, `prefix` (in small letters) stops being what `text`
 * holds from `at` on, blind to case.
 */
function matchedUpTo(text: string, at: number, prefix: string, from: number, to: number) {
  let k = from;
  for (; k < to; k++) {
    const c = codeAt(text, at + k - from);
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== prefix.charCodeAt(k)) break;
  }
  return k;
}

/**
 * The pieces of a token written in quoted pieces joined in code (`"ghp_Zq8L" + "w2Rt..."`,
 * Python's adjacent literals on lines of their own, `["ghp_Z", "q8Lw2"].join("")`, also in
 * a JSON string, its quotes escaped), for `inPieces`: from a token rule's keyword, the
 * piece it is in read to its quote, then those after it, each after an operator or none,
 * up to `CHAIN` characters joined. A prefix cut across pieces is read from its head
 * (`"github_p" + "at_..."`, see `CUT_HEADS`), or, cut within its head (`"gh" + "p_..."`),
 * from where `headCuts` finds it starts.
 */
export function quotedPieces(
  ownFields = false,
): (text: string, start: number, end: number) => Pieces | undefined {
  const wordEnd = wordEnds(MAX_QUOTED_PIECE);
  return (text, start, end) => {
    // The rest of the piece the prefix is in, up to a quote.
    let close = wordEnd(text, end);
    const q = text.charCodeAt(close);
    const escaped = q === 92;
    const quote = escaped ? text.charCodeAt(close + 1) : q;
    if (quote !== 34 && quote !== 39 && quote !== 96) return undefined;
    if (escaped) close++;
    // Pieces as [start, end] where written, up to `CHAIN` characters joined.
    const pieces: number[] = [start, close - +escaped];
    let length = close - +escaped - start;
    // An object's values, across its keys, only where the prefix starts the first: in a
    // table of names (`'zh_sg': 'zh_SG.GB2312', ...`) a prefix inside a value, its values
    // joined, read as a token. Of a request's own JSON (`ownFields`), its fields are read
    // joined as fields (see `findSplitSecrets`), which no cut-out takes apart.
    const keys = text.charCodeAt(start - 1) === quote &&
      (!escaped || text.charCodeAt(start - 2) === 92) &&
      !(ownFields && !escaped && quote === 34);
    for (let p = nextPiece(text, close, escaped, keys); p >= 0 && length < CHAIN;) {
      const e = pieceEnd(text, p, MAX_QUOTED_PIECE);
      const stop = escaped ? e + 1 : e;
      if (text.charCodeAt(stop) !== quote || (escaped && text.charCodeAt(e) !== 92)) break;
      pieces.push(p, e);
      length += e - p;
      p = nextPiece(text, stop, escaped, keys);
    }
    return { pieces, length, loose: 0 };
  };
}

/**
 * The token prefixes that `tokenStartAt` reads (small letters), as a trie for walking a
 * text's characters through, blind to case: `next[node * width + alphabet[c]]` is the node
 * after character `c` (0: none, for the root is no node's child), and `ends[node]` whether
 * a prefix ends there. A token's prefix cut within its first characters (`"gh" + "p_..."`,
 * `gh p_...`) has no keyword of the survey's in either part: it is walked through from
 * where the cut-off word starts (see `headCuts`).
 */
const PREFIX_TRIE = (() => {
  const kinds = tokenKeywordKinds();
  const prefixes = detector().matcher.keywords.filter((_, k) => kinds[k] === 1 || kinds[k] === 2);
  const alphabet = new Uint8Array(128);
  let width = 1;
  for (const c of new Set(prefixes.join(""))) {
    const code = c.charCodeAt(0);
    alphabet[code] = width;
    if (code >= 97 && code <= 122) alphabet[code - 32] = width;
    width++;
  }
  // A node for each prefix of a prefix, and the root.
  const nodes = new Set(prefixes.flatMap((p) => Array.from(p, (_, i) => p.slice(0, i + 1))));
  const next = new Uint16Array((nodes.size + 1) * width);
  const ends = new Uint8Array(nodes.size + 1);
  let count = 1;
  for (const prefix of prefixes) {
    let node = 0;
    for (const c of prefix) {
      const at = node * width + alphabet[c.charCodeAt(0)]!;
      if (next[at] === 0) next[at] = count++;
      node = next[at]!;
    }
    ends[node] = 1;
  }
  const longest = Math.max(...prefixes.map((p) => p.length));
  // What is left of a prefix past a cut inside it: its first two characters, or its last
  // alone (see `restOfPrefixAt`).
  const rests = new Uint8Array(width * width);
  const lasts = new Uint8Array(width);
  for (const prefix of prefixes) {
    for (let i = 1; i < prefix.length; i++) {
      const a = alphabet[prefix.charCodeAt(i)]!;
      if (i === prefix.length - 1) lasts[a] = 1;
      else rests[a * width + alphabet[prefix.charCodeAt(i + 1)]!] = 1;
    }
  }
  return { alphabet, width, next, ends, longest, rests, lasts };
})();

/**
 * Whether what is left of a token's prefix past a cut inside it may start at `i` of
 * `text`: two characters some prefix goes on with, or the last of one. Looked at before a
 * run is read back over a line comment (see `headCuts`): a run of random base64 starts
 * so one time in seven or so, and base64's lines are a run after each line break.
 */
function restOfPrefixAt(text: string, i: number): boolean {
  const { alphabet, width, rests, lasts } = PREFIX_TRIE;
  const a = codeAt(text, i);
  const k = a < 128 ? alphabet[a]! : 0;
  if (k === 0) return false;
  if (lasts[k] === 1) return true;
  const b = codeAt(text, i + 1);
  const m = b < 128 ? alphabet[b]! : 0;
  return m !== 0 && rests[k * width + m] === 1;
}

/** The longest prefix `PREFIX_TRIE` holds. */
const MAX_PREFIX = PREFIX_TRIE.longest;

/**
 * The node of `PREFIX_TRIE` after `node` and the character at `i` of `text`; 0 if none.
 */
function prefixStep(node: number, text: string, i: number): number {
  const c = codeAt(text, i);
  const k = c < 128 ? PREFIX_TRIE.alphabet[c]! : 0;
  return k === 0 ? 0 : PREFIX_TRIE.next[node * PREFIX_TRIE.width + k]!;
}

/** The node of `PREFIX_TRIE` after the characters of `text` from `start` to `end`; 0 if none. */
function prefixWalk(text: string, start: number, end: number): number {
  let node = 0;
  for (let i = start; i < end && (i === start || node !== 0); i++) node = prefixStep(node, text, i);
  return node;
}

/**
 * Whether a token prefix (see `PREFIX_TRIE`) starts at `start` and ends past the quoted
 * piece it is in, whose closing quote is at `close` (escaped with a backslash before it in
 * a JSON string), in the pieces joined after it in code.
 */
function prefixAcross(text: string, start: number, close: number, escaped: boolean): boolean {
  const end = escaped ? close - 1 : close;
  let node = prefixWalk(text, start, end);
  if (node === 0) return false;
  let read = end - start;
  for (let at = close, p = nextPiece(text, at, escaped); p >= 0;) {
    let i = p;
    for (; read < MAX_PREFIX && PIECE_CHAR[codeAt(text, i)] === 1; i++, read++) {
      node = prefixStep(node, text, i);
      if (node === 0) return false;
      if (PREFIX_TRIE.ends[node] === 1) return true;
    }
    at = escaped ? i + 1 : i;
    if (text.charCodeAt(at) !== text.charCodeAt(close) || (escaped && text.charCodeAt(i) !== 92)) {
      return false;
    }
    p = nextPiece(text, at, escaped);
  }
  return false;
}

/** How many quoted pieces before a run `headCuts` reads back across at most. */
const MAX_HEAD_PIECES = 4;

/**
 * Where the word of one to three characters (a prefix's first part, cut off within its
 * head) that ends at `end` starts, past a line break escaped before it in a JSON string
 * (`\\ngh`); -1 when there is none, or a longer word: cut after its head, a prefix is
 * found from it (see `CUT_HEADS`). A line of base64 before the next costs four looks.
 */
function wordBefore(text: string, end: number): number {
  let s = end;
  while (s > end - HEAD && TOKEN_CHAR[codeAt(text, s - 1)] === 1) s--;
  if (s === end) return -1;
  if (escapedBreak(text, s - 1) && s + 1 < end) return s + 1;
  return TOKEN_CHAR[codeAt(text, s - 1)] === 1 && !escapedBreak(text, s - 2) ? -1 : s;
}

/**
 * Whether a token prefix (see `PREFIX_TRIE`) starts at `start` and ends in the run that
 * starts at `run`, past what stands from `end` to it.
 */
function prefixOver(text: string, start: number, end: number, run: number): boolean {
  let node = prefixWalk(text, start, end);
  if (node === 0) return false;
  for (let i = run; i < run + MAX_PREFIX; i++) {
    node = prefixStep(node, text, i);
    if (node === 0) return false;
    if (PREFIX_TRIE.ends[node] === 1) return true;
  }
  return false;
}

/**
 * Where a token's prefix starts that is cut within its first characters, which no keyword
 * of the survey's finds in either part, and where its first part ends, as `tokenStarts`
 * gives, in order: `quoted`, across quoted pieces joined in code (`"gh" + "p_Zq8L..."`,
 * `'s' 'k-ant-...'`, also in a JSON string), for `quotedPieces`; `split`, by spaces, a
 * `,`, `;` or `|`, or line breaks (`gh p_Zq8L...`), for `splitPieces`; `marked`, by one
 * `.` or `:` (`gh.p_Zq8L...`), for `markedPieces`. Read back from the runs of 16
 * characters or more (`runs`, pairs) that the rest of a token is: to the word before the
 * gap, or the last word of each of the few short quoted pieces before, and from there
 * forward for a prefix. A token also cut, after the cut, into pieces shorter than a run
 * is not found.
 */
function headCuts(
  text: string,
  runs: readonly number[],
): { quoted: number[]; split: number[]; marked: number[]; assigned: number[] } {
  // What is returned is made before the loop: made after it, its object was one V8 had
  // never seen made when the loop was compiled on its way (on stack replacement), and
  // that code, kept, gave up at the return every call until a later tier replaced it
  // (36 times over a process's first 30 scans of Python's source, `triggered` 38).
  const out = {
    quoted: [] as number[],
    split: [] as number[],
    marked: [] as number[],
    assigned: [] as number[],
  };
  const { quoted, split, marked, assigned } = out;
  for (let r = 0; r < runs.length; r += 2) {
    const run = runs[r]!;
    // What is left of a prefix cut within its head starts the run (or its second
    // character, after an escaped line break or a block comment's `/`), but in quoted
    // pieces (`"gh" + "p_" + "Zq8L..."`, the run the last): most runs do not.
    const rest = restOfPrefixAt(text, run);
    const follows = text.charCodeAt(run - 1);
    if (
      !rest && !restOfPrefixAt(text, run + 1) && follows !== 34 && follows !== 39 && follows !== 96
    ) continue;
    // A variable's value, after another's (`A=gh; B=p_...`): the word that one ends with.
    const head = rest ? headAssignedBefore(text, run) : undefined;
    if (head) {
      assigned.push(...head);
      continue;
    }
    let open = run - 1;
    // What the run follows: a mark, a gap's last character, or a quoted piece's quote.
    const quote = text.charCodeAt(open);
    if (quote === 46 || quote === 58) {
      // One `.` or `:` after the word: the word and the run are the token's two pieces.
      const s = wordBefore(text, open);
      if (s >= 0 && prefixOver(text, s, open, run)) {
        marked.push(s, open, run, runs[r + 1]!, open - s);
      }
      continue;
    }
    // An empty string glued in the word (`gh""p_...`, which a shell drops) is a gap too.
    const empty = quote === 34 || quote === 39 ? emptyQuotesBefore(text, run) : -1;
    if ((quote !== 34 && quote !== 39 && quote !== 96) || empty >= 0) {
      // The word before a gap: one that reads as the gap up to the run (which, after a
      // line break escaped in a JSON string, starts with the escape's letter, and after
      // a block comment with its `/`), back over markup too.
      const at = (quote === 92 && escapeLetter(text.charCodeAt(run))) ||
          (quote === 42 && text.charCodeAt(run) === 47)
        ? run + 1
        : run;
      // A line comment that ends the line before (`gh # cut`, then `p_...`): back over it.
      const lineEnd = at === run
        ? rest ? lineEndBefore(text, at) : -1
        : restOfPrefixAt(text, at)
        ? lineEndBefore(text, at)
        : -1;
      const comment = lineEnd < 0 ? -1 : lineCommentBefore(text, lineEnd);
      const end = empty >= 0 ? empty : wordEndBefore(
        text,
        comment >= 0
          ? comment
          : quote === 62 || quote === 42
          ? markupStart(text, at)
          : listItemLineEnd(text, run),
      );
      const s = wordBefore(text, end);
      if (s < 0 || end + (gapAt(text, end) >> 1) !== at) continue;
      if (prefixOver(text, s, end, at)) split.push(s, end);
      continue;
    }
    const escaped = text.charCodeAt(open - 1) === 92;
    // What stands before the piece's quote: a space, a line break, an operator or the
    // piece before's quote (most quotes in code follow a bracket, an `=` or a `:`).
    const before = codeAt(text, open - (escaped ? 2 : 1));
    if (
      before > 32 && before !== quote && !escapeLetter(before) && !(before < 128 && JOINING[before])
    ) {
      continue;
    }
    for (let n = 0; n < MAX_HEAD_PIECES; n++) {
      // The piece before: its closing quote, then what joins it to this one.
      const from = open - (escaped ? 2 : 1);
      const close = text.lastIndexOf(String.fromCharCode(quote), from);
      if (close < 0 || from - close > MAX_JOIN) break;
      if (escaped && text.charCodeAt(close - 1) !== 92) break;
      if (nextPiece(text, close, escaped) !== open + 1) break;
      // Its last word.
      const end = escaped ? close - 1 : close;
      let s = end;
      while (s >= end - MAX_PREFIX && TOKEN_CHAR[codeAt(text, s - 1)] === 1) s--;
      // No prefix ends past a word as long as the longest.
      if (s === end || end - s > MAX_PREFIX) break;
      if (prefixAcross(text, s, close, escaped)) {
        quoted.push(s, end);
        break;
      }
      // A word that is the whole piece: the prefix may start in the one before.
      open = s - 1;
      if (text.charCodeAt(open) !== quote || (escaped && text.charCodeAt(open - 1) !== 92)) break;
    }
  }
  out.quoted = inOrder(quoted);
  out.split = inOrder(split);
  out.assigned = inOrder(assigned);
  return out;
}

/** The longest piece `markCuts` reads on either side of the mark. */
const MAX_MARKED = CHAIN / 2;

/**
 * Tokens cut once by a `.` or a `:` past their prefix (`ghp_Zq8Lw2.Rt5Vn...`), anywhere
 * that leaves four characters or more after it (a regular cut, `dottedPieces` and
 * `GROUPED`, reads more than two groups): from where a token rule's keyword starts one
 * (`starts`, see `tokenStarts`), its word up to the mark and the word after it, for
 * `markedPieces`. The starts of those whose word a `/` ends are pushed to `slashed`.
 */
function markCuts(text: string, starts: readonly number[], slashed: number[]): number[] {
  const out: number[] = [];
  for (let h = 0; h < starts.length; h += 2) {
    const start = starts[h]!;
    let e = starts[h + 1]!;
    while (e < start + MAX_MARKED && TOKEN_CHAR[codeAt(text, e)] === 1) e++;
    const mark = text.charCodeAt(e);
    if (TOKEN_CHAR[codeAt(text, e + 1)] !== 1) continue;
    // A path's segments after it, for `slashPieces`.
    if (mark === 47) slashed.push(start, starts[h + 1]!);
    if (mark !== 46 && mark !== 58) continue;
    let f = e + 1;
    while (f < e + 1 + MAX_MARKED && TOKEN_CHAR[codeAt(text, f)] === 1) f++;
    // A piece as short as a file's extension is none of a token's (see `MIN_SPLIT`).
    if (f - e - 1 >= MIN_SPLIT) out.push(start, e, e + 1, f, starts[h + 1]! - start);
  }
  return out;
}

/**
 * A reader of the pieces of a token cut into a path's segments (`https://x.example/
 * ghp_Zq8L/w2Rt5Vn1/...`, anywhere past its prefix: a regular cut is read as groups,
 * see `GROUPED`), for `inPieces` over one text: from a token rule's keyword, the rest of
 * its segment, then up to `MAX_SPLIT` - 1 segments after it, each of a token's
 * characters, none starting with a token's prefix.
 */
function slashPieces(): (text: string, start: number, end: number) => Pieces | undefined {
  const segmentEnd = (text: string, from: number) => {
    let e = from;
    while (e < from + MAX_MARKED && TOKEN_CHAR[codeAt(text, e)] === 1) e++;
    return e;
  };
  return (text, start, end) => {
    const close = segmentEnd(text, end);
    if (text.charCodeAt(close) !== 47 || TOKEN_CHAR[codeAt(text, close + 1)] !== 1) {
      return undefined;
    }
    const pieces = [start, close];
    let length = close - start;
    for (let p = close + 1; pieces.length < 2 * MAX_SPLIT && length < CHAIN;) {
      const e = segmentEnd(text, p);
      if (e === p || startsToken(text, p)) break;
      pieces.push(p, e);
      length += e - p;
      if (text.charCodeAt(e) !== 47) break;
      p = e + 1;
    }
    return { pieces, length, loose: 0 };
  };
}

/**
 * The tokens in two pieces a `.` or a `:` apart (`gh.p_Zq8L...`, `ghp_Zq8L.w2Rt...`; from
 * `headCuts` and `markCuts`, five numbers a token: where each piece starts and ends, and
 * how much of the first its prefix, or the part of it there, is), found joined (see
 * `piecesFindings`).
 */
function markedPieces(text: string, marked: readonly number[]): Finding[] {
  const out: Finding[] = [];
  for (let m = 0; m < marked.length; m += 5) {
    const pieces = marked.slice(m, m + 4);
    const length = pieces[1]! - pieces[0]! + pieces[3]! - pieces[2]!;
    piecesFindings(text, pieces, length, marked[m + 4]!, out);
  }
  return out;
}

/** Whether a line break or tab escaped in a JSON string (`\\n`) starts at `i`. */
function escapedBreak(text: string, i: number): boolean {
  return text.charCodeAt(i) === 92 && escapeLetter(text.charCodeAt(i + 1));
}

/** Pairs sorted by their first. */
function inOrder(pairs: number[]): number[] {
  if (pairs.length <= 2) return pairs;
  const order = Array.from({ length: pairs.length / 2 }, (_, i) => i).sort((a, b) =>
    pairs[2 * a]! - pairs[2 * b]!
  );
  return order.flatMap((i) => [pairs[2 * i]!, pairs[2 * i + 1]!]);
}

/**
 * Pieces a token may be written in, from its prefix's start and end: start and end of
 * each where written (the first holding the prefix), their length joined, and whether the
 * last may be none of it (the next line of a command's output).
 */
interface Pieces {
  pieces: number[];
  length: number;
  /** How many pieces at the end may be the output's next line, not the token's (0: none). */
  loose: number;
}

/**
 * The tokens written in pieces that `gather` reads from each of `starts` (see
 * `tokenStarts`), found joined, pointing at the prefix, its span the pieces as written (see
 * `piecesFindings`); when none is, and the last pieces are loose, found without them.
 *
 * Linear: pieces are read up to `CHAIN` characters joined, and a keyword within their
 * first half is not read again (a token in it of up to half that is found in their join,
 * wherever it starts), so that a body of `"AKIA2" + "AKIA2" + ...` costs a scan of about
 * twice itself, not one per piece.
 */
export function inPieces(
  text: string,
  starts: readonly number[],
  gather: (text: string, start: number, end: number) => Pieces | undefined,
): Finding[] {
  const out: Finding[] = [];
  let covered = 0;
  for (let h = 0; h < starts.length; h += 2) {
    const start = starts[h]!;
    const end = starts[h + 1]!;
    if (start < covered) continue;
    const read = gather(text, start, end);
    if (read === undefined || read.pieces.length < 4) continue;
    const { pieces, length } = read;
    const found: Finding[] = [];
    covered = piecesFindings(text, pieces, length, end - start, found);
    const kept = pieces.length - 2 * read.loose;
    if (found.length === 0 && read.loose > 0 && kept >= 4) {
      let dropped = 0;
      for (let k = kept; k < pieces.length; k += 2) dropped += pieces[k + 1]! - pieces[k]!;
      piecesFindings(text, pieces.slice(0, kept), length - dropped, end - start, found);
    }
    out.push(...found);
  }
  return out;
}

/**
 * Whether a token's body after its prefix reads as random: a digit in it, or letters of
 * both cases with capitals side by side a twelfth of the time or more (in random letters,
 * as a Hugging Face token's are, a quarter; in words joined in camel case, only in an
 * acronym, and words in capitals have no small letter).
 */
function randomBody(body: string): boolean {
  if (/[0-9]/.test(body)) return true;
  let letters = 0;
  let small = 0;
  let paired = 0;
  let before = false;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const capital = c >= 65 && c <= 90;
    if (!capital && !(c >= 97 && c <= 122)) {
      before = false;
      continue;
    }
    letters++;
    if (!capital) small++;
    if (capital && before) paired++;
    before = capital;
  }
  return letters >= 16 && small > 0 && small < letters && paired * 12 >= letters;
}

/** The widest line of a token cut into lines that is read: wider ones are runs (see `lines` in decode.ts). */
const MAX_LINE = 15;

/**
 * The widest line of a token with a character no run holds that is read (`fold -w 64` of
 * a JWT, of a Vault token after its `hvs.`, of an Azure client secret with its `~`): its
 * runs end at those characters, so its lines are not joined as runs are.
 */
const MAX_WIDE_LINE = CHAIN / 2;

/**
 * A reader of where the piece that starts at `from` ends (see `pieceEnd`), `most`
 * characters on at the most, over the keywords of one text in order: what a piece read
 * from the keyword before holds is not read again (where it ended at a character no piece
 * holds, this one ends there too). A body of keywords and nothing else (`ghp_1ghp_1...`,
 * `AKIA1,abcd,...`) is read a character once, not once for each keyword that reaches it.
 */
function wordEnds(
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

/**
 * A reader of the lines of a token cut into lines (`fold -w 8`, `textwrap.wrap(t, 6)`),
 * for `inPieces` over one text: from a token rule's keyword, the rest of its line, then
 * the lines after it while they are of one width (characters with no space, quote or
 * backslash; the last may be shorter, and is loose: the next line of the output may be
 * short too), each ended by a line break as written or escaped in a JSON string. Lines
 * up to `MAX_LINE` characters, or up to `MAX_WIDE_LINE` when a character no run holds
 * (a dot, a `~`) is among them: wider lines without one are runs, joined in decode.ts.
 * Each line may be indented, as the first after the prefix's is. Read only from the
 * survey's hits, as quoted pieces are: a prefix cut across lines (`gh`, then `p_...`) is
 * not found. Looking at every short line of a text instead cost a scan of JSON of source
 * code 4 to 13%.
 */
export function foldedPieces(): (text: string, start: number, end: number) => Pieces | undefined {
  const lineEnd = wordEnds(MAX_WIDE_LINE + 1);
  return (text, start, end) => {
    // The rest of the prefix's line, up to a line break.
    const close = lineEnd(text, end);
    let step = lineBreakAt(text, close);
    if (step === 0 || close - end > MAX_WIDE_LINE) return undefined;
    const pieces: number[] = [start, close];
    let length = close - start;
    let width = 0;
    let widest = close - end;
    // Lines after it may be indented, each as the first of them is.
    let p = indentEnd(text, close + step);
    const indent = p - close - step;
    while (step > 0 && length < CHAIN) {
      const e = pieceEnd(text, p, MAX_WIDE_LINE + 1);
      const w = e - p;
      if (w === 0 || w > (width || MAX_WIDE_LINE)) break;
      width ||= w;
      widest = Math.max(widest, w);
      pieces.push(p, e);
      length += w;
      if (w < width) break;
      step = lineBreakAt(text, e);
      p = indentEnd(text, e + step);
      if (p - e - step !== indent) break;
    }
    if (widest > MAX_LINE && !runBreakIn(text, pieces)) return undefined;
    // A last line shorter than the rest may be the output's next line.
    return { pieces, length, loose: pieces.at(-1)! - pieces.at(-2)! < width ? 1 : 0 };
  };
}

/** Characters of a piece that no run of base64 (either alphabet, padding too) holds: `.`, `~`, `:`, ... */
const RUN_BREAK = Uint8Array.from(
  { length: 128 },
  (_, c) => +(PIECE_CHAR[c] === 1 && !/[A-Za-z0-9+/_=-]/.test(String.fromCharCode(c))),
);

/** Whether a character no run holds is in one of `pieces` of `text` (start and end of each). */
function runBreakIn(text: string, pieces: readonly number[]): boolean {
  for (let i = 0; i < pieces.length; i += 2) {
    for (let k = pieces[i]!; k < pieces[i + 1]!; k++) {
      if (RUN_BREAK[codeAt(text, k)] === 1) return true;
    }
  }
  return false;
}

/**
 * The most pieces a token split by spaces or lines is read in (a Slack token's 57
 * characters in pieces of four); in pieces of one width (a regular cut), up to twice as
 * many (an Anthropic key's 108 characters in pieces of four: in words of any width, that
 * many cost a scan of source code 7%); and the fewest characters each holds but the last
 * of a regular cut (see `splitPieces`).
 */
const MAX_SPLIT = 16;

const MAX_REGULAR_SPLIT = 32;

const MIN_SPLIT = 4;

/**
 * The most characters a piece a space apart holds: a long JWT (a service's key with its
 * claims, 300 characters and more) cut in halves.
 */
const MAX_SPLIT_PIECE = CHAIN / 2;

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
 * list item's marker (`- `, see `listMarkerEnd`), and up to
 * `MAX_MARKUP_ITEMS` items of markup, each followed by spaces (`</a><b>`, `<!-- -->`,
 * `/* *\/`, which a browser or a compiler drops, or a line comment to its line's end,
 * `# first half`); as written, or escaped in a JSON string.
 */
function gapAt(text: string, i: number): number {
  let p = spacesEnd(text, i);
  const mark = text.charCodeAt(p);
  if (mark === 44 || mark === 59 || mark === 124) p = spacesEnd(text, p + 1);
  let broke = 0;
  for (let breaks = 0, items = 0;;) {
    const k = breaks < 2 ? lineBreakAt(text, p) : 0;
    if (k > 0) {
      p = listMarkerEnd(text, indentEnd(text, p + k));
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

/** Where a list item's marker at `i` (`- `, `* `, `+ `, as YAML and Markdown start one) and the spaces after it end; `i` if none is there. */
function listMarkerEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return (c === 45 || c === 42 || c === 43) && spaceAt(text, i + 1) > 0
    ? spacesEnd(text, i + 1)
    : i;
}

/**
 * Where the line before ends, when what stands before `at` is a list item's marker (see
 * `listMarkerEnd`) after a line break and indentation; `at` if it is not.
 */
function listItemLineEnd(text: string, at: number): number {
  let p = at;
  while (p > at - 3 && spaceAt(text, p - 1) === 1) p--;
  if (p === at) return at;
  const c = text.charCodeAt(p - 1);
  if (c !== 45 && c !== 42 && c !== 43) return at;
  const end = lineEndBefore(text, p - 1);
  return end >= 0 ? end : at;
}

/** Where the word before `end` ends: up to eight characters no token holds back from it. */
function wordEndBefore(text: string, end: number): number {
  let p = end;
  for (let n = 0; n < 8 && p > 0 && TOKEN_CHAR[codeAt(text, p - 1)] !== 1; n++) p--;
  return p;
}

/**
 * Where the line before `at` ends, when only indentation and up to two line breaks (as
 * written or escaped in a JSON string; `\r\n` is one) stand between: -1 when no break
 * does, or more than that.
 */
function lineEndBefore(text: string, at: number): number {
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
function markupStart(text: string, end: number): number {
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

/**
 * A reader of the pieces of a token split by spaces or lines (`ghp_Zq8Lw2Rt9Kt4mXv7
 * Pq3Ns6...`: cut in halves, thirds or pieces of four to pass a scanner; `echo` of each
 * piece, a blank line between them), for `inPieces` over one text: from a token rule's
 * keyword, the rest of its word, then up to `MAX_SPLIT` - 1 more words, each of
 * `MIN_SPLIT` characters or more with no quote or backslash, neither starting with a
 * token's prefix nor holding the keyword (a list of tokens one a line is no token), a
 * gap before each (see `gapAt`). The join's own checks (a body that reads as random, the
 * rule's edges: see `piecesFindings`) keep prose after a prefix (`ghp_ tokens are...`)
 * from making one. Words are read as `wordEnds` reads them. The pieces of the last line,
 * when a line break comes before it, may be the output's next line (loose).
 */
export function splitPieces(): (text: string, start: number, end: number) => Pieces | undefined {
  const wordEnd = wordEnds(MAX_SPLIT_PIECE, SPLIT_CHAR);
  return (text, start, end) => {
    const close = blockCommentOut(text, wordEnd(text, end));
    let gap = gapAt(text, close);
    if (gap === 0) return undefined;
    const pieces: number[] = [start, close];
    let length = close - start;
    // Pieces read since the last line break.
    let loose = 0;
    const keyword = text.slice(start, end);
    // The width of the pieces after the first while they are of one (a regular cut), or -1.
    let width = 0;
    for (let p = close + (gap >> 1); length < CHAIN;) {
      if (pieces.length >= 2 * (width > 0 ? MAX_REGULAR_SPLIT : MAX_SPLIT)) break;
      const e = blockCommentOut(text, pieceEnd(text, p, MAX_SPLIT_PIECE, SPLIT_CHAR));
      // A piece that starts with a token's prefix, or holds the keyword again, is another
      // token, or text about one (a prefix's first characters cut off, see `headCuts`,
      // are no keyword: one or two letters a random body may well hold).
      if (startsToken(text, p) || (keyword.length > 2 && text.slice(p, e).includes(keyword))) {
        break;
      }
      if (e - p < MIN_SPLIT) {
        // The rest of a regular cut (`fold`, `cut -c`, a loop's slices): its last piece,
        // narrower, loose (it may be the next word). The cut is regular from the first
        // piece, or over two pieces after it (the first may be a prefix and more).
        if (e > p && width > e - p && (width === close - start || pieces.length >= 6)) {
          pieces.push(p, e);
          length += e - p;
          loose = loose > 0 ? loose + 1 : 1;
        }
        break;
      }
      width = width === 0 || width === e - p ? e - p : -1;
      pieces.push(p, e);
      length += e - p;
      loose = (gap & 1) === 1 ? 1 : loose > 0 ? loose + 1 : 0;
      gap = gapAt(text, e);
      if (gap === 0) break;
      p = e + (gap >> 1);
    }
    return { pieces, length, loose };
  };
}

/** The most variables a token split across assignments is read from (see `assignedPieces`). */
const MAX_ASSIGNED = 8;

/**
 * Where the value of the assignment after the one whose value ends at `end` starts: past
 * the value's closing quote (if one is there), a gap (see `gapAt`: a `;`, a shell's
 * `&&` or a query's `&`, spaces, up to two line breaks, comments) and the next assignment's head (see `assignmentAt`); -1 if
 * none follows.
 */
function nextAssigned(text: string, end: number): number {
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

/** The farthest back from a value `assignedBefore` looks for the end of the one before. */
const MAX_ASSIGNED_BACK = 96;

/**
 * Where the value before the one that starts at `at` ends, when a gap and an assignment's
 * head stand between (see `nextAssigned`) and it ends with a token prefix's first part
 * that goes on in the value at `at` (`gh` in `A=gh; B=p_...`, see `prefixOver`): the
 * start and the end of that part, or undefined.
 */
function headAssignedBefore(text: string, at: number): [number, number] | undefined {
  const p = operatorEndBefore(text, at);
  // `=` ends every operator `assignmentAt` reads, but Ruby's `<<`.
  if (text.charCodeAt(p - 1) !== 61 && text.charCodeAt(p - 1) !== 60) return undefined;
  // From word end to word end, back over the head's words (`export B=`) too: each ends
  // where a value may. The few looks first: a short word that a prefix goes on from.
  const limit = Math.max(0, at - MAX_ASSIGNED_BACK);
  for (let q = p - 1; q > limit;) {
    while (q > limit && TOKEN_CHAR[codeAt(text, q - 1)] !== 1) q--;
    const s = wordBefore(text, q);
    if (s >= 0 && prefixOver(text, s, q, at) && nextAssigned(text, q) === at) return [s, q];
    while (q > limit && TOKEN_CHAR[codeAt(text, q - 1)] === 1) q--;
  }
  return undefined;
}

/** How far after a variable's value its use is looked for (see `substitutedPieces`): some lines. */
const MAX_REFERENCE = CHAIN / 2;

/**
 * The pieces of a token whose keyword starts text glued on before a variable (`B=w2Rt...;
 * echo "ghp_Zq8L$B"`, `"ghp_Zq8L${B}"`): that text up to the reference, then the value
 * last assigned to the variable within `MAX_REFERENCE` characters before (see
 * `assignedBefore`); the second piece comes first in the text.
 */
function usedBefore(text: string, start: number, end: number, close: number): Pieces | undefined {
  for (let i = end; i < close; i++) {
    const c = text.charCodeAt(i);
    if (c !== 36 && c !== 123 && c !== 37) continue;
    const ref = referenceAt(text, i);
    if (ref === undefined) continue;
    // Ruby's `#{b}`: the text ends before its `#`.
    const cut = c === 123 && text.charCodeAt(i - 1) === 35 ? i - 1 : i;
    const value = assignedBefore(
      text,
      Math.max(0, start - MAX_REFERENCE),
      start,
      ref.name,
      ASSIGNED_CHAR,
    );
    if (value === undefined || cut === start) return undefined;
    return {
      pieces: [start, cut, value[0], value[1]],
      length: cut - start + value[1] - value[0],
      loose: 0,
    };
  }
  return undefined;
}

/**
 * A reader of the pieces of a token split between a variable and text glued on where
 * the variable is used (`A=ghp_Zq8L; curl -d "t=${A}w2Rt..."`, `a = "ghp_Zq8L"` then
 * `f"{a}w2Rt..."`), for `inPieces` over one text: from a token rule's keyword that starts
 * a variable's value (see `assignedName`), the rest of that value, then the text glued
 * on after the first reference to it within `MAX_REFERENCE` characters (see `referenceAfter`);
 * or, from a keyword in text glued on before a reference, that text and the value the
 * variable was last given (see `usedBefore`).
 */
function substitutedPieces(): (text: string, start: number, end: number) => Pieces | undefined {
  const wordEnd = wordEnds(MAX_SPLIT_PIECE, ASSIGNED_CHAR);
  return (text, start, end) => {
    const name = assignedName(text, start);
    const close = wordEnd(text, end);
    const glued = name === undefined
      ? -1
      : referenceAfter(text, close, Math.min(text.length, close + MAX_REFERENCE), name);
    if (glued < 0 || startsToken(text, glued)) return usedBefore(text, start, end, close);
    const e = pieceEnd(text, glued, MAX_SPLIT_PIECE, ASSIGNED_CHAR);
    return { pieces: [start, close, glued, e], length: close - start + e - glued, loose: 0 };
  };
}

/**
 * A reader of the pieces of a token split across variables that the code then joins
 * (`A=ghp_Zq8L; B=w2Rt...; curl -d "$A$B"`; `a = "ghp_Zq8L"`, then `b = "w2Rt..."` on the
 * next line; `T+=w2Rt...`), for `inPieces` over one text: from a token rule's keyword, the
 * rest of the value it is in, then the values of up to `MAX_ASSIGNED` - 1 assignments
 * after it, each starting where `nextAssigned` finds one, none starting with a token's
 * prefix nor holding the keyword. Which of them the code joins, and in what order, is not read: the join's own
 * checks (a body that reads as random, the rule's edges at the end of the piece the token
 * ends in: see `piecesFindings`) keep assignments that follow a token's from making one.
 */
export function assignedPieces(): (text: string, start: number, end: number) => Pieces | undefined {
  const wordEnd = wordEnds(MAX_SPLIT_PIECE, ASSIGNED_CHAR);
  return (text, start, end) => {
    const close = wordEnd(text, end);
    let p = nextAssigned(text, close);
    if (p < 0) return undefined;
    const pieces: number[] = [start, close];
    let length = close - start;
    const keyword = text.slice(start, end);
    while (pieces.length < 2 * MAX_ASSIGNED && length < CHAIN) {
      const e = pieceEnd(text, p, MAX_SPLIT_PIECE, ASSIGNED_CHAR);
      // Another token's prefix, or the keyword again: another token (see `splitPieces`).
      if (
        e === p || startsToken(text, p) ||
        (keyword.length > 2 && text.slice(p, e).includes(keyword))
      ) break;
      pieces.push(p, e);
      length += e - p;
      p = nextAssigned(text, e);
      if (p < 0) break;
    }
    return { pieces, length, loose: 0 };
  };
}

/**
 * The tokens in `pieces` (start and end of each where written, the first holding a token
 * rule's keyword, `prefix` long, at its start) joined, `length` characters in all: each
 * found joined, pointing at its prefix, its span the pieces as written, pushed to `out`.
 * Returns how far the pieces read cover the text: a keyword before that need not be read
 * again (see `quotedPieces`).
 */
function piecesFindings(
  text: string,
  pieces: readonly number[],
  length: number,
  prefix: number,
  out: Finding[],
): number {
  let covered = 0;
  // Where each piece starts in the join; keywords in the first half are read here.
  const at: number[] = [];
  let joined = "";
  for (let i = 0; i < pieces.length; i += 2) {
    at.push(joined.length);
    if (joined.length <= CHAIN / 2 || length < CHAIN) covered = pieces[i + 1]!;
    joined += text.slice(pieces[i], pieces[i + 1]);
  }
  // No token's body without a digit or both cases (see below), and none this short: a
  // list of prefixes (`["xoxb-", "xoxp-", ...]`) is no token, and a scan costs more than
  // this look.
  if (joined.length < 16 || !(/[0-9]/.test(joined) || /[a-z][A-Z]|[A-Z][a-z]/.test(joined))) {
    return covered;
  }
  /** Where in `text` the character at `j` of the join is, and which piece holds it. */
  const written = (j: number): [number, number] => {
    let k = 0;
    while (k + 1 < at.length && at[k + 1]! <= j) k++;
    return [pieces[2 * k]! + j - at[k]!, k];
  };
  for (const f of tokenDetector().scan(joined)) {
    const [from] = written(f.index);
    // A word of its own as written, past the prefix where the run starts.
    if (f.index > 0 && ALNUM[codeAt(text, from - 1)] === 1) continue;
    // With a digit after its prefix, or letters of both cases mixed as random letters mix
    // them (see `randomBody`): words listed one after another (`"ACCAT", "ACCOPTION",
    // ...`) have neither.
    const after = f.index === 0 ? prefix : 4;
    if (!randomBody(joined.slice(f.index + after, f.index + f.length))) continue;
    // A value the person declared public is one as joined (a test's stand-in written in
    // pieces, so that scanners pass over it).
    if (publicValues.has(joined.slice(f.index, f.index + f.length))) continue;
    // Its span as written: up to where its last character is, in the piece that holds it.
    const [last, k] = written(f.index + f.length - 1);
    const through = at[k]! + pieces[2 * k + 1]! - pieces[2 * k]!;
    // In one piece, it is no token in pieces (found as written, if it is one).
    if (written(f.index)[1] === k) continue;
    // With the edges its rule has in running text, up to that piece's end: the pieces'
    // own ends are no edges (another argument may follow), but what that piece holds
    // after it is (a value one character too long is no key).
    const bounded = ruleById(f.rule)?.pattern;
    if (bounded) {
      bounded.lastIndex = 0;
      if (bounded.exec(joined.slice(f.index, through))?.index !== 0) continue;
    }
    // Pieces out of the text's order (a variable used after it is assigned, see
    // `substitutedPieces`): the span from the first character of any to the last.
    const k0 = written(f.index)[1];
    let begin = from;
    let end = last + 1;
    for (let j = k0 + 1; j <= k; j++) {
      begin = Math.min(begin, pieces[2 * j]!);
      end = Math.max(end, j === k ? last + 1 : pieces[2 * j + 1]!);
    }
    if (k > k0) end = Math.max(end, pieces[2 * k0 + 1]!);
    out.push({ ...f, index: begin, length: end - begin });
  }
  return covered;
}

/** The fewest characters a word in capitals is read for a token in (see `capitalsFindings`). */
const MIN_CAPITALS = 16;

/**
 * Tokens written in capitals (`tr a-z A-Z`), found with their rules blind to case, from
 * where a token rule's keyword starts one (`starts`, see `tokenStarts`), pointing at it,
 * for the kinds whose token can be had back from its capitals (see `capitalsDetector`): a
 * token with a checksum (GitHub's, npm's) by trying its letters' cases, a few million
 * tries. Read only in a word of no small letter, with a digit past the prefix (a random
 * token's capitals and digits all but always hold one; a constant's name,
 * `GHP_TOKEN_NAME`, none): a word written as the rule writes it is found as it is.
 */
function capitalsFindings(text: string, starts: readonly number[]): Finding[] {
  const out: Finding[] = [];
  const wordEnd = wordEnds(MAX_PIECE);
  for (let h = 0; h < starts.length; h += 2) {
    const start = starts[h]!;
    const end = wordEnd(text, starts[h + 1]!);
    if (end - start < MIN_CAPITALS) continue;
    const word = text.slice(start, end);
    if (/[a-z]/.test(word) || !/[0-9]/.test(word.slice(starts[h + 1]! - start))) continue;
    for (const f of capitalsDetector().scan(word)) {
      if (f.index === 0) out.push({ ...f, index: start });
    }
  }
  return out;
}

/**
 * Whether another of `starts` (start and end of each, in the order their keywords end)
 * starts where the one at `h` does and ends later (within 64 characters, more than any
 * token's prefix holds).
 */
function longerPrefixAt(starts: readonly number[], h: number): boolean {
  const start = starts[h]!;
  for (let k = h + 2; k < starts.length && starts[k + 1]! - starts[h + 1]! <= 64; k += 2) {
    if (starts[k] === start) return true;
  }
  return false;
}

/**
 * Tokens written in groups of one length joined by one mark after their prefix (a
 * licence key's form), each found joined, pointing at its prefix (a word of its own).
 * Looked for only where a token rule's keyword starts a token (`starts`, see
 * `tokenStarts`: after an escaped line break in a JSON string too), so text without them
 * costs nothing; groups of one length keep prose after a prefix (`ghp_ is the prefix
 * of...`) from being read as one. A token starting at a later group of a join is found in
 * that join too, and the hits within the groups read are not read again: a body of one
 * keyword and a group over and over (`eyJ1 eyJ1 ...`) costs a join a run of groups, not
 * one a keyword (it had scanned at half a MiB a second). Groups wider than a licence
 * key's, or fewer than four (a token cut every so many characters at a mark), are read
 * with the checks of pieces a space apart (see `piecesFindings`).
 */
function groupedFindings(text: string, starts: readonly number[]): Finding[] {
  const out: Finding[] = [];
  // Where the groups last joined end: a start before it was read in that join.
  let covered = -1;
  for (let h = 0; h < starts.length; h += 2) {
    // Where a token starts (see `tokenStarts`): a word of its own, after an escaped line
    // break in a JSON string too (`ASIA` inside `CAUCASIAN` starts none; a body of
    // `ghp_1ghp_1...` had its groups read from every keyword).
    const start = starts[h]!;
    const end = starts[h + 1]!;
    if (start < covered) continue;
    // The longest prefix starting there (`sk-ant-api03-`, not `sk-`): groups are read
    // after the whole of it, whose own marks are no cut.
    if (longerPrefixAt(starts, h)) continue;
    // A mark within a group's reach, or no groups: most prefixes start a token as written.
    let mark = false;
    for (let i = end; i < end + 22 && !mark; i++) mark = GROUP_MARK[codeAt(text, i)] === 1;
    if (!mark) continue;
    // A digit among its first groups, or capitals side by side (random letters, a Hugging
    // Face token's: see below), looked for before the groups are read.
    let random = false;
    for (let i = end, capital = false; i < end + 64 && !random; i++) {
      const c = text.charCodeAt(i);
      random = (c >= 48 && c <= 57) || (capital && c >= 65 && c <= 90);
      capital = c >= 65 && c <= 90;
    }
    if (!random) continue;
    // Cut every so many characters by a dot or a colon where the groups hold marks of
    // the token's own (a Slack token's `-`), which the groups below do not: as pieces.
    const dotted = dottedPieces(text, start, end);
    if (dotted) {
      covered = dotted.at(-1)!;
      let length = 0;
      for (let k = 0; k < dotted.length; k += 2) length += dotted[k + 1]! - dotted[k]!;
      piecesFindings(text, dotted, length, end - start, out);
      continue;
    }
    GROUPED.lastIndex = end;
    const m = GROUPED.exec(text);
    if (m === null) continue;
    // A mark before the first group (taken by the pattern's first, greedy, part).
    const lead = m[1]!.length;
    const all = m[0].slice(lead).split(m[2]!);
    const size = all[1]!.length;
    // The groups of one length, and a shorter last one: a word after them is not theirs.
    let n = 2;
    while (n < all.length && all[n]!.length === size) n++;
    if (n < all.length && all[n]!.length < size) n++;
    const groups = all.slice(0, n);
    if (size < 2) continue;
    if (size > MAX_GROUP || groups.length < 4) {
      // Pieces a space apart are read as split (see `splitPieces`); each piece after the
      // first holds `MIN_SPLIT` characters or more, but the narrower last of a regular cut.
      if (m[2] === " " || size < MIN_SPLIT) continue;
      // Wider groups, or fewer: a token cut at a mark, maybe one of its own (`-`, `_`,
      // `.`), read as one cut into pieces by spaces is: a random body, and its rule's
      // edges where its last piece ends (see `piecesFindings`).
      const pieces = lead ? [start, end] : [];
      let at = end + lead;
      let length = lead ? end - start : 0;
      for (let k = 0; k < n; k++) {
        const from = k === 0 && !lead ? start : at;
        at += groups[k]!.length;
        if (at > from) pieces.push(from, at);
        length += at - from;
        at++;
      }
      covered = at - 1;
      piecesFindings(text, pieces, length, end - start, out);
      continue;
    }
    // A body as random as a token's (see `randomBody`): capitals' prose
    // (`ASIA EAST WEST ...`) has no digit, nor small letters among its capitals.
    if (!randomBody(groups.join(""))) continue;
    // Where each group starts, written and joined.
    const written: number[] = [];
    const joinedAt: number[] = [];
    let joined = text.slice(start, end);
    for (let k = 0, at = end + lead; k < n; at += groups[k]!.length + 1, k++) {
      written.push(at);
      joinedAt.push(joined.length);
      joined += groups[k];
    }
    covered = written[n - 1]! + groups[n - 1]!.length;
    for (const f of tokenDetector().scan(joined)) {
      // At the prefix, or at a later group's start (after its mark, a word of its own).
      const k = f.index === 0 ? -1 : joinedAt.indexOf(f.index);
      if (f.index !== 0 && k < 1) continue;
      const from = k < 0 ? start : written[k]!;
      // Its length as written, marks included (what hiding it must cover).
      let left = f.length - (k < 0 ? end - start : 0);
      let to = k < 0 ? end : from;
      while (left > 0 && to < covered) {
        if (ALNUM[codeAt(text, to)] === 1) left--;
        to++;
      }
      out.push({ ...f, index: from, length: to - from });
    }
  }
  return out;
}

/**
 * The tokens written in groups or in pieces in `text` (quoted in code, cut into lines,
 * split across variables, in capitals, split into pieces; see each reader), read from
 * where a token rule's keyword starts one, or where the rest of a prefix cut within its
 * first characters is (see `headCuts`; with `cutHeads`): those `early` by how each is
 * written, in the order they are added; those `split` by spaces, lines or marks apart.
 */
export function piecesIn(
  text: string,
  survey: Survey,
  ownFields: boolean | undefined,
  cutHeads = true,
): { early: [Finding[], Encoding][]; split: Finding[]; deep: number[] } {
  const starts = tokenStarts(text, survey.hits);
  const cuts = headCuts(text, cutHeads ? survey.runs : []);
  // Most texts a scan decodes (a window of escapes, a file's base64) start no token.
  if (
    starts.length === 0 && cuts.quoted.length === 0 && cuts.split.length === 0 &&
    cuts.marked.length === 0 && cuts.assigned.length === 0
  ) return { early: [], split: [], deep: [] };
  const early: [Finding[], Encoding][] = [
    [groupedFindings(text, starts), "grouped"],
    [inPieces(text, starts, quotedPieces(ownFields)), "concatenated"],
    [inPieces(text, cuts.quoted, quotedPieces(ownFields)), "concatenated"],
    [inPieces(text, starts, foldedPieces()), "folded"],
    [inPieces(text, starts, assignedPieces()), "assigned"],
    [inPieces(text, cuts.assigned, assignedPieces()), "assigned"],
    [inPieces(text, starts, substitutedPieces()), "assigned"],
    [capitalsFindings(text, starts), "capitals"],
  ];
  const slashed: number[] = [];
  const marked = markCuts(text, starts, slashed);
  const split = [
    ...inPieces(text, starts, splitPieces()),
    ...inPieces(text, slashed, slashPieces()),
    ...inPieces(text, cuts.split, splitPieces()),
    ...markedPieces(text, [...cuts.marked, ...marked]),
  ];
  return {
    early: early.map(([found, encoding]) => [notPublic(text, found), encoding]),
    split: notPublic(text, split),
    deep: deepBreaksAfter(text, starts),
  };
}

/** How far past a token's keyword its piece is read for a line break escaped twice. */
const DEEP_REACH = 64;

/**
 * Where a token's piece ends at a line break escaped twice or more (`ghp_Zq8L\\n`: lines
 * of a file in a JSON string inside another, where a token cut into lines, listed or
 * assigned a piece a line reads as one only with its breaks resolved, see `variants`):
 * the places of `starts` (pairs of start and keyword end) so followed. Such a break
 * without a token before it (a `\n` written in code, in any request carrying source)
 * opens nothing.
 */
function deepBreaksAfter(text: string, starts: readonly number[]): number[] {
  const out: number[] = [];
  for (let h = 0; h < starts.length; h += 2) {
    let e = starts[h + 1]!;
    const reach = e + DEEP_REACH;
    while (e < reach && TOKEN_CHAR[codeAt(text, e)] === 1) e++;
    let slashes = 0;
    while (codeAt(text, e + slashes) === 92) slashes++;
    if (slashes >= 2 && escapeLetter(codeAt(text, e + slashes))) out.push(starts[h]!);
  }
  return out;
}
