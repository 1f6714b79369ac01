/**
 * @module
 * Secrets cut out of a model request rather than the request refused (`cutOutSecrets`):
 * the agent's conversation with its model carries every earlier turn again, so a refusal
 * would refuse every later turn. Each secret goes with the run or the span it is written
 * in; the body is scanned again and sent only if nothing is left and it still parses.
 */

import { detector, type Encoding, type Located, WINDOWED } from "../../lib/secrets/mod.ts";
import { RANK } from "../../lib/secrets/engine.ts";
import { jsonStrings } from "../../lib/secrets/reuse.ts";
import { DECODE_RADIUS, MIN_RUN } from "../../lib/secrets/keywords.ts";
import { base64PiecesEnd, indentEnd, nextLine, prefixOfLine } from "../../lib/secrets/decode.ts";
import { pastDots } from "../../lib/secrets/turned.ts";
import { HTML_NAMES } from "../../lib/secrets/unescape.ts";
import { type Dump, dumpAt } from "../../lib/secrets/hexdump.ts";
import { startsLike } from "../../lib/secrets/chars.ts";
import { CUT_OUT } from "../bundle/config.ts";
import { bodySecrets, scanRequest } from "./dlp.ts";

/** Encodings whose findings point at the start of the encoded run they were decoded from. */
const RUNS = new Set<Encoding>([
  "base64",
  "hex",
  "hexdump",
  "narrow",
  "base32",
  "base2",
  "lines",
  "gzip",
  "zlib",
  "zstd",
  "reversed",
  "reversed-base64",
  "reversed-hex",
  "rot13-base64",
  "rot13-hex",
  "number",
  "doubled",
  "interleaved",
  "padded",
  "rot13",
  "shifted",
  "reversed-rot13",
]);

/** How a token turned around was found (see `pastDots`). */
const TURNED_AROUND = new Set<Encoding>(["reversed", "rot13", "shifted", "reversed-rot13"]);

/**
 * Where the encoded run starting at `from` ends: base64, hex and base32 characters, and
 * the lines of a wrapped block, as the decoding layer joins them (so that no line of the
 * secret is left): lines that follow at their starts or indented (a run there), lines
 * that each start with what the first line starts with before the run (`data: `, `> `),
 * each line as the second (a block's lines go on alike), for a block that is indented
 * itself at its indentation too. Line breaks may be escaped, once or twice (a JSON
 * string, one inside another).
 */
function runEnd(text: string, from: number): number {
  let prefix = prefixOfLine(text, from);
  // How the block's lines go on, as its second did: after the prefix, at their starts, or
  // indented (below a first line that starts after a label); every line after so.
  let how: "prefix" | "start" | "indent" | undefined;
  let end = from;
  for (let at = from;;) {
    RUN_IN_LINE.lastIndex = at;
    if (!RUN_IN_LINE.exec(text)) return end;
    end = RUN_IN_LINE.lastIndex;
    const line = nextLine(text, end);
    if (line < 0) return end;
    let next = -1;
    let now: typeof how;
    const wider = prefix ? widerNumber(prefix) : undefined;
    if (prefix && startsLike(text, line, prefix)) [next, now] = [line + prefix.length, "prefix"];
    else if (wider && startsLike(text, line, wider)) {
      prefix = wider;
      [next, now] = [line + wider.length, "prefix"];
    } else {
      // Indented: a run, or, below a first line that starts after a label (`KEY: <run>`,
      // the lines below aligned with it), the block's short last line, as the decoding
      // layer joins it (wrapped base64 at the lines' starts goes on at them). Below a
      // first line indented itself too: the decoding layer joins the lines after it at
      // their starts (`    <run>`, then the rest of the block at the margin), and the
      // lines it read a token in go with it (cut at the first alone, the rest had gone).
      const k = indentEnd(text, line);
      const indentedRun = k > line &&
        (runLength(text, k) >= MIN_RUN || (prefix && SHORT_LINE.test(text.slice(k, k + 24))));
      if (k === line && LINE_RUN_CHAR.test(text[line] ?? "")) [next, now] = [line, "start"];
      else if (indentedRun) [next, now] = [k, "indent"];
    }
    if (next < 0 || (how !== undefined && now !== how) || !RUN_CHAR.test(text[next] ?? "")) {
      return end;
    }
    how = now;
    at = next;
  }
}

/**
 * `prefix` with a digit more in its number (a line's, as `grep -n` writes it: `9:`, then
 * `10:`), or undefined if it has none: as `startsLike` reads a prefix, the lines after.
 */
function widerNumber(prefix: string): string | undefined {
  const m = /\d(?=\D*$)/.exec(prefix);
  return m ? `${prefix.slice(0, m.index)}0${prefix.slice(m.index)}` : undefined;
}

/**
 * Where the quoted pieces joined on to one that ends at `end` end (`"xoxb-...261" +
 * "4-bF0n..."`, `'ab' 'cd'`, `"ab", "cd"`; each up to its closing quote, 512 characters
 * at most), 16 at most: a secret found in the first alone (a Slack token without its
 * secret part is one of its kind) goes with the rest.
 * Quotes in code in a model request's JSON are escaped (`\"`), or single quotes or
 * backquotes: the JSON's own quotes are not read, so no field is cut into.
 */
function piecesOnEnd(text: string, end: number): number {
  for (let n = 0; n < 16; n++) {
    JOINED_PIECE.lastIndex = end;
    const m = JOINED_PIECE.exec(text);
    if (!m) return end;
    end = JOINED_PIECE.lastIndex;
  }
  return end;
}

/** A quote that ends a piece, what joins it to the next, and the next piece (see `piecesOnEnd`). */
const JOINED_PIECE = /(\\{1,7}"|\\{0,7}['`])(?:[ \t+.,]|\\[nrt]|\r?\n)*\1[^"'`]{1,512}?(?=\1)/y;

/** A run of `runEnd`'s within its line: a block's characters, and its padding. */
const RUN_IN_LINE = /(?:[A-Za-z0-9+/_-]|=(?![A-Za-z0-9+/_-]))+/y;
/** What a block's next line, at its start, goes on with (as wrapped base64 does). */
const LINE_RUN_CHAR = /[A-Za-z0-9+/]/;
/** A wrapped block's last line, shorter than a run: its characters and padding, and no more. */
const SHORT_LINE = /^[A-Za-z0-9+/_-]{1,15}={0,6}(?![A-Za-z0-9+/_=-])/;

/** How many of a run's characters are at `at` (`MIN_RUN` at most). */
function runLength(text: string, at: number): number {
  let k = at;
  while (k - at < MIN_RUN && RUN_CHAR.test(text[k] ?? "")) k++;
  return k - at;
}

/**
 * The run of an encoding (base64, hex, base32, compressed data in base64) a finding at
 * `from` was decoded from: the run that starts there, or, for one found inside a decoded
 * window (which points before its run, by what decoding shortened: at a quote, into a
 * name), the first run from there as long as the shortest an encoded token makes.
 * Undefined when there is none within a window's reach (the scan after the cut then says
 * whether another finding took it).
 */
function encodedRunFrom(text: string, from: number): [number, number] | undefined {
  const reach = Math.min(text.length, from + 2 * DECODE_RADIUS);
  for (let at = from; at < reach; at++) {
    if (at > from && RUN_CHAR.test(text[at - 1]!)) continue;
    const end = runEnd(text, at);
    if (end - at >= MIN_RUN) return [at, end];
    if (end > at) at = end;
  }
  return undefined;
}

const RUN_CHAR = /[A-Za-z0-9+/_-]/;

/** What ends a run of text a secret could be written in: space, quotes, brackets, a comma. */
const DELIMITER = /[\s"'`<>()[\]{},]/;

/**
 * What a run must hold to hide a secret from the plain scan: an escape, `%XX`, `=XX`,
 * a character reference, a character past ASCII.
 */
const ENCODED = new RegExp(
  `%[0-9A-Fa-f]{2}|=[0-9A-Fa-f]{2}|\\\\(?:[uUx/]|[0-7]|N\\{)|&#|&(?:${
    Object.keys(HTML_NAMES).join("|")
  });|[\u0080-\uffff]`,
);

/** Runs cut out for one request's decoded-window findings, at most: past them it is refused. */
const MAX_WINDOW_CUTS = 16;

/** Whether the character at `i` ends a run: ASCII from a table, the rest by `DELIMITER`. */
const ASCII_DELIMITER = Uint8Array.from(
  { length: 128 },
  (_, c) => +DELIMITER.test(String.fromCharCode(c)),
);

function isDelimiter(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c < 128 ? ASCII_DELIMITER[c] === 1 : DELIMITER.test(text[i]!);
}

/**
 * The runs (between delimiters) within reach of each finding in a decoded window that
 * hold an encoding: one of them is the secret as written. A window's finding points at
 * or before where its secret starts (decoding shortens what comes before it), up to a
 * window's width before it; a run ending in a backslash that escapes a quote keeps the
 * backslash. Each stretch of text is split into runs once, however many findings reach
 * it (a body of thousands of encoded tokens had taken seconds per thousand).
 */
function encodedRuns(
  text: string,
  findings: readonly { index: number; length: number }[],
): [number, number][] {
  const reachOf = (f: { index: number; length: number }) =>
    Math.min(text.length, f.index + 2 * DECODE_RADIUS + 12 * f.length);
  const sorted = findings.toSorted((a, b) => a.index - b.index);
  // Runs that hold an encoding, in order: start, end, and where the run itself ends.
  const runs: [number, number, number][] = [];
  let done = 0;
  for (let k = 0; k < sorted.length;) {
    // The stretch the findings from `k` reach, overlapping ones merged.
    let hi = reachOf(sorted[k]!);
    let lo = Math.max(done, sorted[k]!.index);
    while (lo > done && !isDelimiter(text, lo - 1)) lo--;
    for (k++; k < sorted.length && sorted[k]!.index <= hi; k++) {
      hi = Math.max(hi, reachOf(sorted[k]!));
    }
    let i = lo;
    while (i < hi) {
      while (i < hi && isDelimiter(text, i)) i++;
      let j = i;
      while (j < text.length && !isDelimiter(text, j)) j++;
      let end = j;
      let slashes = 0;
      while (end - slashes > i && text.charCodeAt(end - slashes - 1) === 92) slashes++;
      if (slashes % 2 === 1) end--;
      if (end > i && ENCODED.test(text.slice(i, end))) runs.push([i, end, j]);
      i = j;
    }
    done = Math.max(done, i);
  }
  // Encoding only lengthens a secret: a run shorter than it is not it (a name before it).
  const out = new Map<number, number>();
  for (const f of sorted) {
    const reach = reachOf(f);
    // The first run ending at or after the finding (the one it is in, or the next).
    let low = 0;
    let high = runs.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (runs[mid]![2] < f.index) low = mid + 1;
      else high = mid;
    }
    for (let r = low; r < runs.length && runs[r]![0] < reach; r++) {
      const [from, end] = runs[r]!;
      if (end - from >= f.length) out.set(from, end);
    }
  }
  return [...out].toSorted((a, b) => a[0] - b[0]);
}

/**
 * Secrets written where they are found, from the first of their characters to the last
 * (marks, quotes, operators, line breaks and assignments between pieces too): cut out as
 * that span.
 */
const CUT_AS_WRITTEN: ReadonlySet<Encoding> = new Set<Encoding>([
  "plain",
  "grouped",
  "concatenated",
  "folded",
  "split",
  "assigned",
  "capitals",
  "codes-shifted",
]);

/**
 * Request body `text` with every secret in it cut out, for a request that can go without
 * them (the agent's conversation with its model: refusing it would refuse every later
 * turn, which carries the same text): one written as it is where it is, one found
 * decoded from a run of base64, hex or base32 with its whole run, one found in a decoded
 * window (percent-encoding, escapes, look-alikes) with the run it is written in (of the
 * runs with an encoding within reach, the fewest in order that leave none); what is left
 * cut again where it holds a secret the cut set apart (`CUT_ROUNDS` in all). Undefined
 * when a secret cannot be cut out so (split across fields), when what is left still holds
 * one, or when a JSON body would no longer parse: then the request is refused as before.
 */
export function cutOutSecrets(
  text: string,
  values: readonly string[],
  found: readonly Located[] = bodySecrets(text, values),
  rounds = CUT_ROUNDS,
): { text: string; rules: string[] } | undefined {
  // A secret written across runs (a key block, a header's name and value) is not cut
  // out of a window: which runs are it is not known.
  const cuttable = (f: (typeof found)[number]) =>
    CUT_AS_WRITTEN.has(f.encoding) || f.encoding === "base64-pieces" || RUNS.has(f.encoding) ||
    (WINDOWED.has(f.encoding) && detector().rank(f.rule) !== RANK.structure);
  if (found.length === 0 || !found.every(cuttable)) return undefined;
  const dumps = new Map<number, Dump | undefined>();
  // A token in pieces found in a decoded window goes from its first piece to its last,
  // where they are written (the runs around it hold no encoding to tell them by).
  const spans = found.filter((f) => f.written).map((f) => f.written!);
  // A secret read from a block of runs joined goes with the whole block, as the decoding
  // layer joined it (its lines, groups or quoted lines), whatever `runEnd` reads as the run.
  // (A run right after a line break escaped in a JSON string starts with the escape's letter,
  // which stays.)
  for (const f of found) {
    if (!f.block) continue;
    const [from, to] = f.block;
    spans.push([from + +(text.charCodeAt(from - 1) === 92 && /[nrt]/.test(text[from] ?? "")), to]);
  }
  spans.push(
    ...found.filter((f) => !WINDOWED.has(f.encoding)).flatMap((f): [number, number][] => {
      // A token in groups is cut out as written, marks and all; one in quoted pieces with
      // the quotes and operators between them; one that ends a quoted piece with the
      // pieces joined on to it (its first piece may be a token of its kind by itself).
      if (f.encoding === "plain") return [[f.index, piecesOnEnd(text, f.index + f.length)]];
      if (CUT_AS_WRITTEN.has(f.encoding)) return [[f.index, f.index + f.length]];
      // A hex dump goes whole, its text column too (the token is there, cut in lines). Its
      // findings all point at its start: it is read once.
      if (f.encoding === "hexdump" || f.encoding === "narrow") {
        if (!dumps.has(f.index)) dumps.set(f.index, dumpAt(text, f.index));
        const dump = dumps.get(f.index);
        return dump ? [[dump.at, dump.end]] : [];
      }
      // Pieces each in base64 go together, the gaps between them too.
      if (f.encoding === "base64-pieces") return [[f.index, base64PiecesEnd(text, f.index)]];
      // A run found right after an escaped line break starts with the escape's letter.
      const from = f.index + +(text.charCodeAt(f.index - 1) === 92 && /[nrt]/.test(text[f.index]!));
      const run = encodedRunFrom(text, from);
      // A token turned around goes with the runs its reading took in past dots (a JWT's
      // three parts): with its header alone cut out, the rest would be the token but for a
      // part anyone can write again. A last dot with no run after it (a sentence's) stays.
      if (run && TURNED_AROUND.has(f.encoding)) {
        const end = pastDots(text, run[1], 1);
        run[1] = text.charCodeAt(end - 1) === 46 ? end - 1 : end;
      }
      return run ? [run] : [];
    }),
  );
  const candidates = encodedRuns(
    text,
    found.filter((f) => WINDOWED.has(f.encoding) && !f.written),
  );
  const clean = (k: number) => {
    const out = cut(text, [...spans, ...candidates.slice(0, k)], values);
    return scanRequest({ url: "", headers: [], body: out }, values).length === 0 ? out : undefined;
  };
  // With the runs of decoded windows: as few as leave nothing (each try is a scan of the
  // whole body, so the fewest are found by halving, from all of them at once).
  let k = Math.min(candidates.length, MAX_WINDOW_CUTS);
  let out = clean(k);
  if (out === undefined) {
    // What is left holds a secret the first scan did not see: one the cut set apart from
    // what it was glued to (`fold -w 5` of AWS credentials: the key's ID ran on into the
    // label of the secret key, which is found once the ID is cut out). Cut again.
    if (rounds <= 1) return undefined;
    const left = cut(text, [...spans, ...candidates.slice(0, k)], values);
    const again = cutOutSecrets(left, values, bodySecrets(left, values), rounds - 1);
    if (again === undefined || (!parsesAsJson(again.text) && parsesAsJson(text))) return undefined;
    return { text: again.text, rules: [...new Set([...found.map((f) => f.rule), ...again.rules])] };
  }
  for (let low = candidates.length > 0 ? 1 : 0; low < k;) {
    const mid = (low + k) >> 1;
    const tried = clean(mid);
    if (tried === undefined) low = mid + 1;
    else [k, out] = [mid, tried];
  }
  // What is left parses, as a rule: the text it came from is parsed only when it does not.
  // Cut only inside its strings, it parses if the text did (a megabyte's parse had been a
  // fifth of the scan job of a conversation's next request, cut).
  const inside = !values.some((v) => v.length >= 8 && text.includes(v)) &&
    cutsInsideStrings(text, [...spans, ...candidates.slice(0, k)]);
  if (!inside && !parsesAsJson(out) && parsesAsJson(text)) return undefined;
  return { text: out, rules: [...new Set(found.map((f) => f.rule))] };
}

/**
 * How many times `cutOutSecrets` cuts a body before it gives up and the request is
 * refused: what is left after a cut is scanned, and may hold a secret the cut set apart.
 */
const CUT_ROUNDS = 3;

/**
 * Whether each of `spans` of `text` (one JSON document, for its structure) lies inside
 * one of its strings, parting no escape: replaced by `CUT_OUT` (characters a JSON string
 * holds as they are), every string stays one, and what is left parses if `text` did.
 */
export function cutsInsideStrings(text: string, spans: readonly [number, number][]): boolean {
  if ([...CUT_OUT].some((c) => c === '"' || c === "\\" || c < " ")) return false;
  const sorted = spans.toSorted((a, b) => a[0] - b[0]);
  let next = 0;
  let inside = true;
  const whole = jsonStrings(text, (open, close) => {
    // The spans that start in this string must end in it (no span starts before the
    // first string, or between two: checked below).
    for (; next < sorted.length && sorted[next]![0] <= close; next++) {
      const [from, to] = sorted[next]!;
      if (from <= open || to > close || splitsEscape(text, from) || splitsEscape(text, to)) {
        inside = false;
      }
    }
  });
  return whole && inside && next === sorted.length;
}

/** Whether `i` falls inside an escape of a JSON string (`\n`, `\uXXXX`), after its backslash. */
function splitsEscape(text: string, i: number): boolean {
  /** Whether the backslash at `k` starts an escape (an even run of them before it). */
  const escapes = (k: number) => {
    if (text.charCodeAt(k) !== 92) return false;
    let run = 0;
    while (k - 1 - run >= 0 && text.charCodeAt(k - 1 - run) === 92) run++;
    return run % 2 === 0;
  };
  if (escapes(i - 1)) return true;
  // Within the four hex digits of `\uXXXX`.
  for (let d = 2; d <= 5; d++) {
    if (text.charCodeAt(i - d + 1) === 117 && escapes(i - d)) return true;
  }
  return false;
}

/** `text` with `spans` (overlapping or not) and the bottle's own values cut out. */
export function cut(text: string, spans: [number, number][], values: readonly string[]): string {
  let out = "";
  let at = 0;
  for (const [from, to] of spans.toSorted((a, b) => a[0] - b[0])) {
    if (to <= at) continue;
    out += text.slice(at, Math.max(at, from)) + CUT_OUT;
    at = Math.max(at, to);
  }
  out += text.slice(at);
  // The bottle's own values, everywhere (a value is reported where it first occurs).
  for (const v of values) if (v.length >= 8) out = out.replaceAll(v, CUT_OUT);
  return out;
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
