/**
 * @module
 * Where tokens start: each token rule's keyword in a text (`tokenStarts`), and a token's
 * prefix cut within its first characters or inside itself (`gh" + "p_...`,
 * `github_p at_...`, `gh-p_...`), read on across the cut to the rest of the prefix
 * (`headCuts`). Part of the readers of pieces (`pieces.ts`).
 */

import { operatorEndBefore } from "./assign.ts";
import { codeAt } from "./chars.ts";
import { CUT_HEADS, detector, HEAD } from "./detectors.ts";
import {
  ALNUM,
  escapedBreak,
  gapAt,
  inOrder,
  JOINING,
  lineEndBefore,
  listItemLineEnd,
  listMarkerEnd,
  markupStart,
  MAX_JOIN,
  nextAssigned,
  nextPiece,
  PIECE_CHAR,
  TOKEN_CHAR,
  wordEndBefore,
} from "./gaps.ts";
import { escapeLetter } from "./probes.ts";
import { emptyQuotesBefore, lineCommentBefore, markupAt } from "./markup.ts";
import { RULES } from "./rules.ts";

/** For each keyword of the survey, whether and how a token starts with it (see `tokenStartAt`). */
let tokenKeywords: Uint8Array | undefined;

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
export function tokenStarts(text: string, hits: readonly number[]): number[] {
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
export function headCuts(
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
