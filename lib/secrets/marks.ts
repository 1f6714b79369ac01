/**
 * @module
 * A token's run with marks or padding put in, read with them taken out: cut into groups
 * by a mark (`paste -sd-`), cut inside its prefix or among its own marks, a stray mark or
 * two put in past its prefix or inside it, padded with one character over and over, or
 * glued to the text before it. Helpers of the decoding layer (`decode.ts`).
 */

import { isAlphanumeric } from "./chars.ts";
import { MIN_RUN } from "./keywords.ts";
import { hasHead, startsWith, type TurnedHeads } from "./turned.ts";

/** The widest group `markedGroups` reads. */
const MAX_MARKED_GROUP = 64;

/** A mark a run holds (see `markedGroups`). */
const MARK = /[-_/+]/;

/**
 * `run` cut into groups of one width, but a narrower last, by a mark a run holds (`-`,
 * `_`, `/` or `+`: hex, base32 or base64 of the other alphabet joined by it, `paste -sd-`),
 * the groups joined; undefined if it is not so cut. Three groups or more, and a digit:
 * an identifier's or a path's parts are of different widths, or of letters alone. Two
 * groups of 16 characters or more will do where the mark is one their alphabet lacks.
 * Most runs are done with at their first mark or the second's place.
 */
export function markedGroups(run: string): string | undefined {
  const width = run.search(MARK);
  if (width < 2 || width > MAX_MARKED_GROUP) return undefined;
  const step = width + 1;
  const mark = run[width]!;
  if (run.length > width + step && run[width + step] !== mark) return undefined;
  // Each mark at its place, and only there (found natively, as the first is: a loop over
  // the characters took a line of base64 twice as long).
  let last = width;
  let marks = 1;
  for (let next = run.indexOf(mark, last + 1); next !== -1; next = run.indexOf(mark, last + 1)) {
    if (next !== last + step) return undefined;
    last = next;
    marks++;
  }
  // The last group, narrower or none (a mark after the last group: `sed 's/.\{8\}/&-/g'`).
  const rest = run.length - last - 1;
  const groups = marks + +(rest > 0);
  if (rest > width || groups < (width >= MIN_RUN ? 2 : 3) || !/[0-9]/.test(run)) return undefined;
  const joined = run.replaceAll(mark, "");
  // Two groups, one mark: only one the groups' alphabet lacks (hex, base32; `-` or `_`
  // in standard base64, `+` or `/` in the URL's), not one of base64's own by chance.
  if (groups === 2 && !ENCODED_ONE_CASE.test(joined)) {
    if (!(mark === "-" || mark === "_" ? /[+/]/ : /[-_]/).test(joined)) return undefined;
  }
  return joined;
}

/** The narrowest and the widest groups `cutToken` reads. */
const MIN_CUT = 4;

const MAX_CUT = 32;

/**
 * A token cut every so many characters by a mark a run holds (`-`, `_`, `/` or `+`:
 * `fold -w 8 | paste -sd-`), where the cut falls inside its own prefix or among its own
 * marks (`sk-ant-a-pi03-...`, `xoxb-123-45678901-23-12345-...`), so that neither the
 * prefix nor groups after it are there to be read: the run from `lead` on without the
 * marks at the places such a cut puts them, when the run starts with a token's head
 * (`heads`) and what is left starts with a whole prefix; undefined when it is not so
 * cut. Most runs are done with at their head; the rest at the first place each width
 * puts a mark.
 */
export function cutToken(run: string, lead: number, heads: TurnedHeads): string | undefined {
  const n = run.length - lead;
  if (n < MIN_RUN || !hasHead(heads.plain, run, lead)) return undefined;
  for (let width = MIN_CUT; width <= MAX_CUT && width < n; width++) {
    const mark = run.charCodeAt(lead + width);
    if (mark !== 45 && mark !== 95 && mark !== 47 && mark !== 43) continue;
    const step = width + 1;
    let at = lead + width + step;
    while (at < run.length && run.charCodeAt(at) === mark) at += step;
    // The mark at every place to the end: the last group no wider than the others. Of
    // two groups, the second as wide as a piece a space apart must be (`MIN_SPLIT`):
    // three characters after one mark are no sign of a cut.
    if (at < run.length) continue;
    if (at === lead + width + step && n - step < MIN_CUT) continue;
    let joined = "";
    for (let p = lead; p < run.length; p += step) joined += run.slice(p, p + width);
    if (startsWith(heads.prefix, joined)) return joined;
  }
  return undefined;
}

/** The most marks `strayMarksOut` takes out of a run. */
const MAX_STRAY = 2;

/**
 * A token with one or two marks of one kind (`-`, `_`, `/` or `+`) put in past its whole
 * prefix (`ghp_Zq8L-w2Rt5Vn...`, `AKIAQ3EG/Q2VF...`), each with four characters or more
 * after it (three after one are no sign of a cut): the run from `lead` on without them,
 * for each kind that is so, when the run starts with a token's head (`heads`) and a whole
 * prefix. The token's own marks of the other kinds stay (a fine-grained GitHub token's
 * `_`: which kind was put in is not known, so each is tried).
 */
export function strayMarksOut(run: string, lead: number, heads: TurnedHeads): string[] {
  if (run.length - lead < MIN_RUN || !hasHead(heads.plain, run, lead)) return [];
  heads.prefix.lastIndex = 0;
  const whole = heads.prefix.exec(lead === 0 ? run : run.slice(lead));
  if (whole === null) return [];
  const from = lead + whole[0].length;
  const out: string[] = [];
  for (const mark of STRAY_MARKS) {
    let at = run.indexOf(mark, from);
    if (at < 0) continue;
    let joined = run.slice(lead, from);
    let piece = from;
    for (let marks = 1; at >= 0 && marks <= MAX_STRAY; marks++) {
      joined += run.slice(piece, at);
      piece = at + 1;
      at = run.indexOf(mark, piece);
      if ((at < 0 ? run.length : at) - piece < MIN_CUT) break;
    }
    if (at < 0 && run.length - piece >= MIN_CUT) out.push(joined + run.slice(piece));
  }
  return out;
}

/** The marks `strayMarksOut` takes out. */
const STRAY_MARKS = ["-", "_", "/", "+"];

/** How far into a run `markInPrefix` looks for a mark put in a prefix (`github_p-at_`). */
const MAX_MARKED_PREFIX = 20;

/**
 * A token with a mark (`-`, `_`, `/` or `+`) put in its prefix (`gh-p_Zq8L...`,
 * `github_pa/t_11...`): the run from `lead` on without it, when what is left starts with
 * a whole prefix that the mark was inside; undefined when none is so. Looked for past a
 * token's head only where one starts the run, and within its first three characters only
 * where they are a head without the mark.
 */
export function markInPrefix(run: string, lead: number, heads: TurnedHeads): string | undefined {
  if (run.length - lead < MIN_RUN) return undefined;
  const headed = hasHead(heads.plain, run, lead);
  const to = Math.min(run.length, lead + (headed ? MAX_MARKED_PREFIX : 3));
  for (let p = lead + 1; p < to; p++) {
    const c = run.charCodeAt(p);
    if (c !== 45 && c !== 95 && c !== 47 && c !== 43) continue;
    const head = run.slice(lead, p) + run.slice(p + 1, lead + 4);
    if (!headed && !hasHead(heads.plain, head, 0)) continue;
    const joined = run.slice(lead, p) + run.slice(p + 1);
    heads.prefix.lastIndex = 0;
    const whole = heads.prefix.exec(joined);
    if (whole !== null && whole[0].length > p - lead) return joined;
  }
  return undefined;
}

/** The fewest characters of padding `paddingOff` takes off a run's start. */
const MIN_PADDING = 3;

/**
 * A token padded with one character over and over, glued on (`0000ghp_Zq8L...0000`,
 * `xxxxxAKIA...xxxxx`, which whoever receives it takes off again): the run from `lead`
 * on without the padding before it, when a token's head (`heads`) starts right after
 * it; on a line of its own, the same again without as much of that character at the
 * run's end. Undefined when the run is not so padded.
 */
export function paddingOff(run: string, lead: number, heads: TurnedHeads): string | undefined {
  const pad = run.charCodeAt(lead);
  // Most runs start with two characters that differ: done with at once.
  if (run.charCodeAt(lead + 1) !== pad) return undefined;
  let head = lead + 2;
  while (head < run.length && run.charCodeAt(head) === pad) head++;
  // The token's own first character may be the padding's (`AAAAKIA...`).
  if (head - lead > MIN_PADDING && !hasHead(heads.plain, run, head)) head--;
  if (head - lead < MIN_PADDING || run.length - head < MIN_RUN) return undefined;
  if (!hasHead(heads.plain, run, head)) return undefined;
  let end = run.length;
  while (end > head && run.charCodeAt(end - 1) === pad) end--;
  // The token's own last characters may be the padding's: read both ways.
  return end === run.length ? run.slice(head) : `${run.slice(head, end)}\n${run.slice(head)}`;
}

/** Groups joined that read as hex or base32 (one case of letters, and digits). */
export const ENCODED_ONE_CASE = /^(?:[0-9a-f]+|[0-9A-F]+|[A-Z2-7]+|[a-z2-7]+)$/;

/** How many first characters of text spaced out or joined `unglued` leaves out at most. */
const GLUED = 3;

/** How much of it `unglued` reads from there: a token's length at most (the rest is read once). */
const GLUED_READ = 1024;

/**
 * Text spaced out or characters joined (`text`, as read from a dump: see `Dump.glued`)
 * from each of its first `GLUED` characters on, while they are letters or digits, where a
 * token's head (`heads`) starts: a token spaced out in a sentence (`the key is g h p _
 * ...`, `x = g h p _ ...`) or one a line after a line of one character is read with what
 * comes before it glued on (the word's last character, a character of its own, which are
 * cells as much as its own), and no token starts after a letter or a digit.
 */
export function unglued(text: string, heads: TurnedHeads): string[] {
  const out: string[] = [];
  for (let k = 1; k <= GLUED && k + 3 <= text.length; k++) {
    if (!isAlphanumeric(text.charCodeAt(k - 1))) break;
    if (hasHead(heads.plain, text, k)) out.push(text.slice(k, k + GLUED_READ));
  }
  return out;
}

/** How many first characters of a run of decoded text `ungluedDecoded` looks past at most. */
const DECODED_GLUE = 8;

/**
 * Tokens at the start of text decoded from base64 (`printable`: its printable runs, one a
 * line) behind bytes that are not theirs: what the characters before the token's base64
 * decode to, read at their alignment. A short word joined before it as a group or a line
 * (`switc,<base64>`, a line ending `...Authorizati` above a line of it) or letters glued
 * on in front: each of their last bytes is printable one time in three or more, and a
 * letter or a digit among them hides the token's start from its rule, which wants none
 * before it. From each of a run's first `DECODED_GLUE` characters that follows a letter
 * or a digit and starts a token's head (`heads`): the run from there. (In text as written,
 * a token glued on to a word is no finding; bytes decoded from another word are no word.)
 */
export function ungluedDecoded(printable: string, heads: TurnedHeads): string[] {
  const out: string[] = [];
  for (let s = 0; s < printable.length;) {
    let e = printable.indexOf("\n", s);
    if (e < 0) e = printable.length;
    for (let k = s + 1; k <= s + DECODED_GLUE && k + 3 <= e; k++) {
      if (isAlphanumeric(printable.charCodeAt(k - 1)) && hasHead(heads.plain, printable, k)) {
        out.push(printable.slice(k, Math.min(e, k + GLUED_READ)));
      }
    }
    s = e + 1;
  }
  return out;
}
