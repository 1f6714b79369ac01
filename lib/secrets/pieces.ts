/**
 * @module
 * Tokens written in pieces or groups, read back: quoted pieces joined in code, a token
 * cut into short lines, split by spaces, marks or markup, across variables, in capitals,
 * in groups after its prefix, its prefix cut within its head; each read from where a
 * token rule's keyword starts one (`piecesIn`). Part of the detector (`mod.ts`).
 */

import { assignedBefore, assignedName, referenceAfter, referenceAt } from "./assign.ts";
import { codeAt, startsLike } from "./chars.ts";
import { indentEnd, lineBreakAt, linePrefix, prefixOfLine } from "./decode.ts";
import {
  capitalsDetector,
  isPublic,
  notPublic,
  ruleById,
  startsToken,
  tokenDetector,
} from "./detectors.ts";
import type { Finding } from "./engine.ts";
import { headCuts, tokenStarts } from "./heads.ts";
import { type Survey } from "./keywords.ts";
import { escapeLetter } from "./probes.ts";
import {
  ALNUM,
  ASSIGNED_CHAR,
  blockCommentOut,
  CHAIN,
  gapAt,
  MAX_ASSIGNED,
  nextAssigned,
  nextPiece,
  PIECE_CHAR,
  pieceEnd,
  SPLIT_CHAR,
  TOKEN_CHAR,
  wordEnds,
} from "./gaps.ts";
import type { Encoding } from "./mod.ts";

/** The widest groups `dottedPieces` reads. */
const MAX_DOTTED = 32;

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

const MAX_PIECE = 128;

/** A quoted piece at most: a long JWT (a service's key with its claims) in quoted halves. */
const MAX_QUOTED_PIECE = CHAIN / 2;

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
 * A reader of the lines of a token cut into lines (`fold -w 8`, `textwrap.wrap(t, 6)`),
 * for `inPieces` over one text: from a token rule's keyword, the rest of its line, then
 * the lines after it while they are of one width (characters with no space, quote or
 * backslash; the last may be shorter, and is loose: the next line of the output may be
 * short too), each ended by a line break as written or escaped in a JSON string. Lines
 * up to `MAX_LINE` characters, or up to `MAX_WIDE_LINE` when a character no run holds
 * (a dot, a `~`) is among them: wider lines without one are runs, joined in decode.ts.
 * Each line may be indented, as the first after the prefix's is, or start with what the
 * prefix's line holds before the token (`data: `, `> `). Read only from the
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
    // Lines after it may be indented, each as the first of them is, or each start with
    // what the prefix's line holds before the token (`data: `, `> `).
    const prefix = linePrefix(text, start);
    const lineFrom = (q: number) =>
      prefix && startsLike(text, q, prefix) ? q + prefix.length : indentEnd(text, q);
    let p = lineFrom(close + step);
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
      p = lineFrom(e + step);
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
    // What the line holds before the token: lines after it may each start so too.
    const before = prefixOfLine(text, start);
    let gap = gapAt(text, close, before);
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
      gap = gapAt(text, e, before);
      if (gap === 0) break;
      p = e + (gap >> 1);
    }
    return { pieces, length, loose };
  };
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
    if (isPublic(joined.slice(f.index, f.index + f.length))) continue;
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
    const k0 = written(f.index)[1];
    // Pieces that start or end alike are a list's items (`en_SG.UTF-8 UTF-8`, then
    // `en_US.UTF-8 UTF-8` on the next line of a list of locales), not a random body cut;
    // but for a body of base64 JSON (`eyJ`: a JWT's, whose claims may repeat themselves,
    // its lines starting alike every third line of a fold).
    const body = joined.slice(f.index, f.index + f.length);
    if (!body.includes("eyJ") && repeatedPiece(text, pieces, k0, k)) continue;
    // Pieces out of the text's order (a variable used after it is assigned, see
    // `substitutedPieces`): the span from the first character of any to the last.
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

/** How many characters pieces share at their start or end to be a list's (`repeatedPiece`). */
const MIN_REPEATED = 5;

/**
 * Whether three of the pieces `from` to `to` (indices, both in) start or end with the same
 * `MIN_REPEATED` characters (the piece at `from` compared by its end only: it starts with
 * the token's prefix): a list's items (`en_TT.UTF-8 UTF-8`, `en_UK.UTF-8 UTF-8`), not a
 * random body cut, whose pieces share as many two at a time one time in thousands (hex,
 * sixteen pieces), three at a time all but never.
 */
function repeatedPiece(
  text: string,
  pieces: readonly number[],
  from: number,
  to: number,
): boolean {
  const seen = new Map<string, number>();
  const count = (key: string) => {
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return n >= 3;
  };
  for (let j = from; j <= to; j++) {
    const start = pieces[2 * j]!;
    const end = pieces[2 * j + 1]!;
    if (end - start < MIN_REPEATED) continue;
    if (count("$" + text.slice(end - MIN_REPEATED, end))) return true;
    if (j > from && count("^" + text.slice(start, start + MIN_REPEATED))) return true;
  }
  return false;
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
