/**
 * @module
 * The one decoding layer both detectors share: the forms a secret takes to slip past
 * a pattern. Text is normalised (NFKC, zero-width and control characters removed,
 * look-alike letters mapped to ASCII), and percent-encoding, JSON `\u` escapes,
 * program-text escapes (`\x5f`, `\x{5f}`, `\u{5f}`, `\U0000005f`, octal `\137`,
 * `\N{LOW LINE}`; also with their
 * backslash doubled inside a JSON string), HTML numeric references (`&#95;`) and runs of base64
 * (standard and URL-safe, at any alignment, also wrapped across lines), hex and base32
 * are decoded, base64 of gzip or of a zlib stream is opened, and a token cut across
 * lines is joined; from binary output only the printable runs are kept. Each variant says how it was made
 * and where in the original it came from. Its helpers: `unescape.ts` (escapes, where they
 * are and what they stand for), `basen.ts` (runs of base64, hex, base32 and bits read as
 * bytes), `marks.ts` (a token's run with marks or padding put in), `turned.ts` (tokens
 * reversed, in ROT13, shifted, doubled), `printable.ts` (which bytes are text).
 */

import {
  ALPHABET,
  B32_VALUE,
  B32HEX_VALUE,
  BASE32_LOWER,
  BASE32_UPPER,
  base32Bytes,
  BASE64_CHAR,
  base64Bytes,
  base64Printable,
  BIT_CHAR,
  bitBytes,
  DIGITS,
  HEX_CHAR,
  hexBytes,
  hexText,
  MAX_NUMBER,
  MIN_BASE32,
  MIN_BASE64,
  MIN_BITS,
  MIN_HEX,
  MIN_NUMBER,
  numberText,
  RUN_CHAR,
  shiftedBytes,
  subRuns,
  turnedCompressed,
  turnedHexOfText,
  zlibHeader,
} from "./basen.ts";
import { codeAt, isAlphanumeric, startsLike } from "./chars.ts";
import { TOKEN_KEYWORD } from "./detectors.ts";
import { DECODE_RADIUS, KeywordMatcher, MIN_RUN, type Survey } from "./keywords.ts";
import { escapeLetter, sameCharacter } from "./probes.ts";
import { normalize, withoutMarks } from "./normalize.ts";
import {
  cutToken,
  ENCODED_ONE_CASE,
  markedGroups,
  markInPrefix,
  paddingOff,
  strayMarksOut,
  unglued,
  ungluedDecoded,
} from "./marks.ts";
import { gunzipLenient, inflateLenient, unzstdLenient } from "./compressed.ts";
import { hexDumps, joinedDumps, spacedDumps } from "./hexdump.ts";
import { ASCII, PRINTABLE_BYTE, printableRuns } from "./printable.ts";
import {
  hasHead,
  mayInterleave,
  MIN_DOUBLED,
  MIN_INTERLEAVED,
  reverseText,
  shiftCode,
  SHORT_RUN,
  type TurnedHeads,
  turnedRuns,
  turnedText,
  undoubled,
  uninterleaved,
} from "./turned.ts";
import {
  charCallsDecode,
  CODE_ESCAPES,
  codeUnescape,
  type EscapeKind,
  HTML_ESCAPES,
  htmlUnescape,
  joinBrokenEscapes,
  JSON_U_ESCAPES,
  jsonUnescape,
  jsonUnescapeDeep,
  PERCENT_ESCAPES,
  percentDecode,
  qpDecode,
  triggered,
  utf7Decode,
} from "./unescape.ts";

export { normalize };

/** One decoded form of (part of) a text. */
export interface Variant {
  text: string;
  /** How it was obtained from the original. */
  encoding:
    | "normalized"
    | "url"
    | "utf7"
    | "quoted-printable"
    | "json"
    | "escape"
    | "html"
    | "base64"
    | "hex"
    | "hexdump"
    | "narrow"
    | "base32"
    | "base2"
    | "lines"
    | "chunks"
    | "cut"
    | "gzip"
    | "zlib"
    | "zstd"
    | "reversed"
    | "reversed-base64"
    | "reversed-hex"
    | "codes-shifted"
    | "rot13-base64"
    | "rot13-hex"
    | "number"
    | "base64-pieces"
    | "doubled"
    | "interleaved"
    | "padded"
    | "rot13"
    | "shifted"
    | "reversed-rot13";
  /** Offset in the original text the variant stands for. */
  at: number;
  /** For a window decoded in place: where in the original text the window ends. */
  end?: number;
  /**
   * For a window decoded in place: where in the original text what decodes to `from`-`to`
   * of `text` is written (see `writtenSpan`).
   */
  origin?: (from: number, to: number) => [number, number];
  /**
   * Set (with `text` empty) for compressed data that could not be opened within what a
   * scan may decode: what it holds is unknown, which callers treat as a finding.
   */
  unchecked?: true;
  /**
   * Set where only a secret that is the whole text counts (a run with marks taken out: a
   * token that holds its own, Sourcegraph's `sgp_<16>_<40>`, would be another token
   * without them, a part of it).
   */
  whole?: true;
  /** For a hex dump: where its last line ends in the original text (see `Dump.end`). */
  through?: number;
  /**
   * For what a block of runs joined decodes to (lines, groups, a list of quoted lines):
   * where in the original text the block ends, `at` where it starts. A secret found in it
   * is cut out of a model request with the whole block (see `Located.block`): the lines of
   * a wrapped block the cut had not taken as one had held the rest of a token.
   */
  until?: number;
}

/** How base64 of gzip or zstd starts (see `variants`' `compressed`). */
const COMPRESSED_START = /^(?:H4sI|KLUv[/_])/;

/** Whether a base32hex run holds a digit value past hex's (`G` to `V`): else it is hex. */
const PAST_HEX = /[G-Vg-v]/;

/** Two ascending lists of offsets as one. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    out.push(j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!);
  }
  return out;
}

/** How far around a trigger a decoded window reaches: longer than any token. */
const RADIUS = DECODE_RADIUS;
/** Decoding stops after this many bytes of decoded output per text (a bound, not a gap: the plain text is always scanned). */
const MAX_DECODED = 8 * 1024 * 1024;

/**
 * Merged windows reaching `RADIUS` around each stretch (pairs of start and end, in
 * increasing order; a single offset `at` is the stretch `at, at + 1`).
 */
function windowsAround(length: number, stretches: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < stretches.length; k += 2) {
    const from = Math.max(0, stretches[k]! - RADIUS);
    const to = Math.min(length, stretches[k + 1]! - 1 + RADIUS);
    const last = out.at(-1);
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

/**
 * The longest window whose characters are traced back to where they are written (see
 * `writtenSpan`: a trace decodes starts of the window a few hundred times over).
 */
const MAX_TRACED = 4096;

/** The longest escape a window's decoding resolves, in characters (`&#x1F600;`, `chr(1234)`). */
const LONGEST_ESCAPE = 48;

/**
 * Where in `window` what `decode` turns into characters `from`-`to` of its decoding is
 * written. A start of the window that ends inside an escape decodes to more than the
 * escape will (what is left of it stays as written): a start counts for the fewest
 * characters it or a start up to an escape longer decodes to, which grows with it, and
 * the shortest that counts for more than `from` characters, less its last, and the
 * shortest that counts for `to` or more are found by halving. Each is then moved out of
 * any escape it falls in, to where a start decodes to a start of the whole decoding.
 * Exact at characters decoding leaves as they are (a token's pieces between escaped
 * quotes).
 */
export function writtenSpan(
  window: string,
  decode: (s: string) => string,
  from: number,
  to: number,
): [number, number] {
  const whole = decode(window);
  const decodedBy = (end: number) => {
    let fewest = Infinity;
    for (let e = end; e <= Math.min(window.length, end + LONGEST_ESCAPE); e++) {
      fewest = Math.min(fewest, decode(window.slice(0, e)).length);
    }
    return fewest;
  };
  const shortest = (enough: (length: number) => boolean) => {
    let low = 0;
    let high = window.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (enough(decodedBy(mid))) high = mid;
      else low = mid + 1;
    }
    return low;
  };
  const clean = (end: number) => whole.startsWith(decode(window.slice(0, end)));
  let start = Math.max(0, shortest((n) => n > from) - 1);
  for (let k = 0; k < LONGEST_ESCAPE && start > 0 && !clean(start); k++) start--;
  let end = shortest((n) => n >= to);
  for (let k = 0; k < LONGEST_ESCAPE && end < window.length && !clean(end); k++) end++;
  return [start, end];
}

/** Each offset as a stretch of one character. */
function single(offsets: readonly number[]): number[] {
  const out = new Array<number>(offsets.length * 2);
  for (let k = 0; k < offsets.length; k++) {
    out[2 * k] = offsets[k]!;
    out[2 * k + 1] = offsets[k]! + 1;
  }
  return out;
}

/**
 * The base64 of a file's first bytes: PNG, JPEG, GIF, WebP/RIFF, PDF, gzip, zip, and
 * the image formats models accept. Only the characters those bytes alone make: a
 * character that takes bits from the next byte too (a PNG's eleventh) varies with it.
 */
const FILE_MAGIC = /^(?:iVBORw0KGg|\/9j\/|R0lGOD|UklGR|JVBERi0|H4sI|UEsDB)/;

/**
 * Whether a run of base64 is a file's (it starts with one's signature): at the other three
 * alignments it is read for text of 16 characters or more only (see `variants`).
 */
export function isFileBase64(body: string): boolean {
  return FILE_MAGIC.test(body);
}

/** The longest join of lines read without its short last line too (see `SHORT_LAST_LINE`). */
const SHORT_JOIN = 1024;

/**
 * A line break (and indentation), then a last line of base64 or base32 shorter than a run
 * (its padding too), then its end.
 */
const SHORT_LAST_LINE =
  /^(?:\r?\n|(?:\\{1,2}r)?\\{1,2}n)(?:[ \t]|\\t){0,8}[A-Za-z0-9+/_-]{1,15}={0,6}(?![A-Za-z0-9+/_=-])/;

/**
 * A separator between runs cut apart (see `variants`): spaces, tabs, commas, `;`, `|`, a
 * dot or a colon right between two runs (`fold -w 16 | paste -sd.`: no run holds them),
 * and quotes with what joins quoted pieces in code (`", "`, `" + "`, a line break between
 * them), also escaped in a JSON string; up to 12 characters. Line breaks and indentation
 * alone are lines', joined before.
 */
const SEPARATOR = /^(?:[ \t,;|.:]|\\t|(?:\\?["'`])(?:[ \t\r\n,;|+]|\\[nrt])*(?:\\?["'`])){1,12}$/;
/** The longest separator read. */
const MAX_SEPARATOR = 12;
/** By code: 1 for what may start a separator (see `SEPARATOR`). */
const SEPARATOR_START = Uint8Array.from(
  { length: 128 },
  (_, c) => +/[ \t,;|.:"'`\\]/.test(String.fromCharCode(c)),
);
/**
 * A separator of spaces, tabs, commas, `;` or `|` where a group starts after it (sticky:
 * set `lastIndex`), for one run and a narrower group: not quotes, which would join each
 * long string of a JSON body (an image's base64) to the next key's name.
 */
const SEPARATOR_AT = /(?:[ \t,;|]|\\t){1,12}(?=[A-Za-z0-9+/_-])/y;
/** The longest run read as one piece of a secret in base64 pieces (see `variants`). */
const MAX_PIECE_BASE64 = 512;
/** The most pieces in base64 joined. */
const MAX_BASE64_PIECES = 8;

/** The text `body` (base64 at its own alignment) decodes to, when all of it is printable ASCII. */
function textOfBase64(body: string): string | undefined {
  const bytes = base64Bytes(body, 0);
  if (bytes.length < 4) return undefined;
  for (let i = 0; i < bytes.length; i++) if (PRINTABLE_BYTE[bytes[i]!] === 0) return undefined;
  return ASCII.decode(bytes);
}

/**
 * Whether the text from `end` (a run's) to `start` (the next run's) is what stands
 * between pieces: its padding, then up to eight spaces, line breaks (as written or
 * escaped in a JSON string), quotes, `,`, `;`, `|` or `+`.
 */
function piecesGap(text: string, end: number, start: number): boolean {
  // Without padding after it, a run and the next a line apart are base64 wrapped (read as
  // such, joined): base64 lines, each one's pair looked at, had cost their scan a tenth.
  if (text.charCodeAt(end) !== 61) {
    const k = lineBreakAt(text, end);
    if (k > 0 && end + k === start) return false;
  }
  let p = end;
  while (p < start && text.charCodeAt(p) === 61) p++;
  if (start - p > 16) return false;
  let n = 0;
  for (; p < start; p++, n++) {
    const c = text.charCodeAt(p);
    const next = text.charCodeAt(p + 1);
    // An escape in a JSON string: a line break or a quote.
    if (c === 92 && (escapeLetter(next) || next === 34 || next === 39)) p++;
    else if (
      !(c === 32 || c === 9 || c === 10 || c === 13 || c === 34 || c === 39 || c === 44 ||
        c === 59 || c === 124 || c === 43)
    ) return false;
  }
  return n > 0 && n <= 8;
}

/**
 * Where the pieces in base64 that start at `from` end (see `piecesGap`): the last
 * piece's end, its padding with it, `MAX_BASE64_PIECES` pieces at the most.
 */
export function base64PiecesEnd(text: string, from: number): number {
  const run = /[A-Za-z0-9+/_-]+/y;
  run.lastIndex = from;
  if (!run.exec(text)) return from;
  let runEnd = run.lastIndex;
  let end = runEnd;
  while (text.charCodeAt(end) === 61) end++;
  const piece = /[A-Za-z0-9+/_-]{16,}/g;
  for (let n = 1; n < MAX_BASE64_PIECES; n++) {
    // The next piece, a gap away (a `+` between quoted pieces is the gap's), looked for
    // within reach of it.
    const window = text.slice(end, end + 16 + MAX_PIECE_BASE64);
    piece.lastIndex = 0;
    const next = piece.exec(window);
    if (!next || next.index > 16 || !piecesGap(text, runEnd, end + next.index)) break;
    // After a line break escaped in a JSON string, the run starts with the escape's letter.
    const escaped = window.charCodeAt(next.index - 1) === 92 && escapeLetter(next[0].charCodeAt(0));
    if (textOfBase64(escaped ? next[0].slice(1) : next[0]) === undefined) break;
    runEnd = end + next.index + next[0].length;
    end = runEnd;
    while (text.charCodeAt(end) === 61) end++;
  }
  return end;
}

/** Whether character `at` of `text` is one a run holds (either base64 alphabet, base32). */
function inBase64(text: string, at: number): boolean {
  const c = codeAt(text, at);
  return c < 256 && (ALPHABET[c]! & RUN_CHAR) !== 0;
}

/** Line breaks between joined lines, with the next line's indentation and a soft break's `=`. */
const JOINED_BREAK = /=?(?:\r?\n|(?:\\{1,2}r)?\\{1,2}n)(?:[ \t]|\\{1,2}t)*/g;

/**
 * `run` without the `=` padding it ends in: read from its end (a regular expression tried
 * every place in an image's megabyte of base64, a twentieth of its scan).
 */
function withoutPadding(run: string): string {
  let end = run.length;
  while (end > 0 && run.charCodeAt(end - 1) === 61) end--;
  return end === run.length ? run : run.slice(0, end);
}

/**
 * Whether a run could be base64 of text: both cases, and a digit, a `+` or `/`, the `=` of
 * padding at its end, or first characters that decode to text (see `base64Text`). Most of
 * base64's characters stand for bits that text in capitals and digits seldom has (an AWS
 * key ID's, one in ten, is letters alone in base64); a long name written in both cases
 * (code's every other run) has none of those.
 */
function base64Candidate(run: string): boolean {
  return /[a-z]/.test(run) && /[A-Z]/.test(run) &&
    (/[0-9+/]/.test(run) || run.charCodeAt(run.length - 1) === 61 ||
      base64Text(run, BASE64_VALUE));
}

/**
 * Every decoded form of `text` worth scanning, one level deep. Normalising,
 * percent-decoding and JSON-unescaping are done only around what they would change,
 * so that a large text costs what its encoded parts cost. `tokenStart`: where a token's
 * own prefix starts (see the joined lines below); `turned`: the token heads to look for
 * reversed or in ROT13 at the ends of runs, and as written at their starts (see
 * `TurnedHeads`).
 */
export function variants(
  text: string,
  survey: Pick<Survey, "runs" | "triggers" | "odd" | "marked" | "dumps" | "spaced" | "joined"> =
    surveyText(
      text,
    ),
  tokenStart?: RegExp,
  turned?: TurnedHeads,
  deepBreaks: readonly number[] = [],
): Variant[] {
  // Nothing to decode (most headers, URLs and decoded windows): no run, no trigger,
  // nothing normalising changes, no `&` (character references are found by it), no
  // stretch of a hex dump, nothing spaced out.
  const { dumps, spaced, joined } = survey;
  if (
    survey.runs.length === 0 && survey.triggers.length === 0 && survey.odd.length === 0 &&
    survey.marked.length === 0 &&
    dumps.length === 0 && spaced.length === 0 && joined.length === 0 && !text.includes("&") &&
    deepBreaks.length === 0
  ) {
    return [];
  }
  const out: Variant[] = [];
  let budget = MAX_DECODED;
  // Where the block of runs read now ends (see `Variant.until`), for what is added.
  let until: number | undefined;
  const add = (v: Variant) => {
    if (v.text.length === 0 || budget <= 0) return;
    budget -= v.text.length;
    out.push(until === undefined || v.until !== undefined ? v : { ...v, until });
  };
  // base64 of gzip (`gzip | base64`), of a zlib stream (`zlib.compress`) or of zstd
  // (`zstd | base64`): opened, within what is left to decode (wrapped across lines, from
  // the joined lines' own variants). A zlib stream is told by its header (its first
  // base64 letter is `e`). What cannot be opened to check (too large, zstd that needs a
  // dictionary) is a finding of its own.
  const compressed = (body: string, at: number) => {
    const encoding = body.startsWith("H4sI")
      ? "gzip"
      : body.startsWith("KLUv/") || body.startsWith("KLUv_")
      ? "zstd"
      : body[0] === "e" && zlibHeader(base64Bytes(body.slice(0, 4), 0))
      ? "zlib"
      : undefined;
    if (encoding !== undefined) open(base64Bytes(body, 0), encoding, at);
    // And its base64 in ROT13 (`gzip | base64 | tr A-Za-z N-ZA-Mn-za-m`), or turned around
    // (`gzip | base64 -w0 | rev`, its padding before it): told by the signature so written.
    else {
      const turned = turnedCompressed(body);
      if (turned !== undefined) compressed(turned, at);
    }
  };
  // The same for bytes decoded from hex or base32 (`gzip | xxd -p`), told by their own
  // first bytes.
  const compressedBytes = (bytes: Uint8Array, at: number) => {
    const encoding = bytes[0] === 0x1f && bytes[1] === 0x8b
      ? "gzip"
      : bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd
      ? "zstd"
      : zlibHeader(bytes)
      ? "zlib"
      : undefined;
    if (encoding !== undefined) open(bytes, encoding, at);
  };
  const open = (bytes: Uint8Array, encoding: "gzip" | "zstd" | "zlib", at: number) => {
    let opened: Uint8Array | "large" | undefined;
    try {
      opened = encoding === "gzip"
        ? gunzipLenient(bytes, budget)
        : encoding === "zstd"
        ? unzstdLenient(bytes, budget)
        : inflateLenient(bytes, budget);
    } catch {
      opened = "large";
    }
    if (opened === "large") out.push({ text: "", encoding, at, unchecked: true });
    else if (opened) add({ text: new TextDecoder().decode(opened), encoding, at });
  };
  const found = triggered(text, survey.triggers);
  const local = (
    encoding: Variant["encoding"],
    stretches: readonly number[],
    decode: (s: string) => string,
    escape?: EscapeKind,
  ) => {
    // `written`: where in the text a character of `window` is (what was taken out of it
    // before, see below, is not in `window`).
    const one = (window: string, from: number, to: number, written?: (i: number) => number) => {
      const decoded = decode(window);
      if (decoded === window) return;
      add({
        text: decoded,
        encoding,
        at: from,
        end: to,
        origin: window.length > MAX_TRACED ? undefined : (a, b) => {
          const [start, end] = writtenSpan(window, decode, a, b);
          return written
            ? [written(start), end > start ? written(end - 1) + 1 : written(start)]
            : [from + start, from + end];
        },
      });
    };
    for (const [from, to] of windowsAround(text.length, stretches)) {
      if (budget <= 0) return;
      const window = text.slice(from, to);
      one(window, from, to);
      // Escapes cut into lines (`fold`, a wrapped column): decoded again with the line
      // breaks inside their runs taken out (see `joinBrokenEscapes`), where there are any.
      if (escape) {
        const cuts: number[] = [];
        const joined = joinBrokenEscapes(window, escape, cuts);
        if (joined !== window) {
          one(joined, from, to, (i) => {
            let at = from + i;
            for (let k = 0; k < cuts.length && cuts[k]! <= i; k += 2) at += cuts[k + 1]!;
            return at;
          });
        }
      }
    }
  };
  local("normalized", survey.odd, normalize);
  local("normalized", single(survey.marked), withoutMarks);
  local("url", single(found.percent), percentDecode, PERCENT_ESCAPES);
  local("quoted-printable", single(found.qp), qpDecode);
  // And code in a JSON string inside another, its quotes escaped twice (see `deepQuoteAt`),
  // or a token's piece ending at a line break so (`deepBreaks`, from the caller): one list,
  // so that windows around them all are one.
  const deep = deepBreaks.length === 0 ? found.deep : mergeSorted(found.deep, deepBreaks);
  local(
    "json",
    single(deep.length === 0 ? found.escape : mergeSorted(found.escape, deep)),
    deep.length === 0 ? jsonUnescape : jsonUnescapeDeep,
    JSON_U_ESCAPES,
  );
  // Escapes written inside a JSON string (or another layer of quoting) have their
  // backslash doubled (`"printf '\\147'"`): a run of backslashes before an escape counts
  // as one, or each would leave a backslash inside the token.
  const code = (w: string) =>
    codeUnescape(w.replace(/\\+(?=[0-7xuUN])/g, "\\")).replace(/\\+\//g, "/");
  local("escape", single(found.code), code, CODE_ESCAPES);
  local("html", single(found.html), htmlUnescape, HTML_ESCAPES);
  local("utf7", single(found.utf7), utf7Decode);
  local("escape", single(found.calls), charCallsDecode);
  // Hex dumps (`xxd`, `hexdump -C`, `od -tx1`, `xxd -i`): their bytes, as written and,
  // in groups of more than a byte, each group reversed (`od -x`: little-endian words).
  // Text spaced out (`od -c`) too, and characters joined by a separator (`g,h,p,_`).
  const cells = found.zeroCells.length === 0
    ? spaced
    : [...spaced, ...found.zeroCells].sort((a, b) => a - b);
  if (dumps.length > 0 || cells.length > 0 || joined.length > 0) {
    const all = [
      ...hexDumps(text, dumps),
      ...spacedDumps(text, cells),
      ...joinedDumps(text, joined),
    ];
    for (const dump of all) {
      if (budget <= 0) break;
      const parts = dump.bytes.map((b) => printableRuns(b)).filter(Boolean);
      if (dump.glued && turned && parts.length > 0) parts.push(...unglued(parts[0]!, turned));
      // Its last cell the first letter of the word after it (`... J A and more`, read
      // `...JAa`): read without it too, as a token glued on to nothing after it.
      if (dump.glued && parts.length > 0 && isAlphanumeric(text.charCodeAt(dump.end))) {
        const shorter = parts[0]!.slice(0, -1);
        parts.push(shorter, ...(turned ? unglued(shorter, turned) : []));
      }
      // Characters one a line that start no token, but do with the short word that ends the
      // line before (`value: g`, then `h`, `p`, ...).
      const before = dump.before;
      if (
        before && turned && parts.length > 0 && !hasHead(turned.plain, parts[0]!, 0) &&
        hasHead(turned.plain, before + parts[0], 0)
      ) parts.push(before + parts[0]);
      if (parts.length) {
        add({
          // A block of narrow lines' readings a blank line apart: one a line, their runs
          // would be read as lines of a wrapped block, joined.
          text: parts.join(dump.narrow ? "\n\n" : "\n"),
          encoding: dump.narrow ? "narrow" : "hexdump",
          at: dump.at,
          through: dump.end,
        });
      }
    }
  }
  const runs = survey.runs;
  // A token whose prefix the line break before a block of lines cuts (`fold -w 16` of
  // `TOKEN=ghp_...`: `TOKEN=ghp`, then `_Zq8Lw2...`): the short word the line before ends
  // with after a label (see `wordBeforeLine`) glued on before the lines joined, where a
  // token rule's keyword then starts across the break. `at`: where the block's first run
  // starts; `joined`: the lines joined, or (a run alone on its line) where the run ends;
  // `line`: where that line starts (before a prefix each line starts with, `data: `).
  const cutHead = (at: number, joined: string | number, line = at) => {
    const head = wordBeforeLine(text, line);
    if (head === undefined) return;
    const word = text.slice(head, lineEndBefore(text, line));
    if (typeof joined === "number") joined = text.slice(at, joined);
    const glued = word + joined.slice(0, 64);
    TOKEN_KEYWORD.lastIndex = 0;
    const keyword = TOKEN_KEYWORD.exec(glued);
    if (keyword && keyword[0].length > word.length) {
      add({ text: word + joined, encoding: "lines", at: head });
    }
  };
  // A token or a base64 block cut across lines (`base64` wraps at 76): runs that follow
  // one another with only a line break between are joined, scanned as they are and,
  // when they may be base64, decoded as one. In a JSON string the break is escaped
  // (`\n`, whose `n` starts the next run): a join starts past it (`lineStart`), where the
  // run's own findings point too.
  // A line that starts with a token's own prefix (`tokenStart`: one with a separator,
  // which no token's body holds) starts a token of its own: joined to the line before, a
  // list of keys one a line read as one longer key (`sk_live_<23 A>` then `sk_test_...`).
  const startsToken = (at: number) => {
    if (!tokenStart) return false;
    tokenStart.lastIndex = at;
    return tokenStart.test(text);
  };
  // The next line may be indented (spaces, tabs): its run starts past them, or at the
  // `t` of a tab escaped last in a JSON string.
  const broken = (end: number) => {
    let from = runs[end + 1]!;
    const next = runs[end + 2]!;
    // Quoted-printable's soft line break: a `=` ends the line it wraps.
    if (text.charCodeAt(from) === 61) from++;
    // A break escaped twice (lines of output in a JSON string inside another, a notebook's
    // cell in a request), read as one escaped once: its first backslash passed.
    if (text.charCodeAt(from) === 92 && text.charCodeAt(from + 1) === 92) from++;
    const step = lineBreakAt(text, from);
    if (step === 0) return false;
    const line = from + step;
    if (next === line) return !startsToken(next);
    // An escaped break (`\n`, `\r\n`), whose `n` starts the next run.
    if (next === line - 1) return text.charCodeAt(from) === 92 && !startsToken(next + 1);
    const indented = indentEnd(text, line);
    if (next === indented) return indented > line && !startsToken(next);
    return next === indented - 1 && text.charCodeAt(next - 1) === 92 && !startsToken(next + 1);
  };
  // Base64 turned a line at a time, whose last line's padding leads it: from run `r`, a
  // line right above that last line, up through the lines of its width above it; turned
  // back line by line, joined and decoded. The last line may be shorter than a run. In a
  // JSON string a run after an escaped break starts with its `n`: a line starts after.
  const lineStart = (k: number) => {
    const c = text.charCodeAt(runs[k]!);
    return runs[k]! + (text.charCodeAt(runs[k]! - 1) === 92 && (c === 110 || c === 116) ? 1 : 0);
  };
  const turnedLines = (r: number): [Variant, number] | undefined => {
    const pad = runs[r + 1]! + lineBreakAt(text, runs[r + 1]!);
    if (pad === runs[r + 1] || text.charCodeAt(pad) !== 61) return undefined;
    let end = pad + 1;
    if (text.charCodeAt(end) === 61) end++;
    while (end < text.length && (ALPHABET[text.charCodeAt(end)]! & BASE64_CHAR) !== 0) end++;
    const width = runs[r + 1]! - lineStart(r);
    if (width < MIN_BASE64 || end - pad > width) return undefined;
    let first = r;
    while (first >= 2 && runs[first - 1]! - lineStart(first - 2) === width && broken(first - 2)) {
      first -= 2;
    }
    const lines: string[] = [];
    for (let k = first; k <= r; k += 2) lines.push(text.slice(lineStart(k), runs[k + 1]!));
    lines.push(text.slice(pad, end));
    const printable = turnedBackBase64(lines);
    return printable
      ? [{ text: printable, encoding: "reversed-base64", at: runs[first]!, until: end }, first]
      : undefined;
  };
  // Whether the lines of runs `r` to `end` are of one width but the last, which may be
  // shorter (the first line's run may start after a label).
  const oneWidth = (r: number, end: number) => {
    const width = end > r + 2 ? runs[r + 3]! - lineStart(r + 2) : runs[r + 1]! - lineStart(r);
    for (let k = r + 2; k < end; k += 2) {
      if (runs[k + 1]! - lineStart(k) !== width) return false;
    }
    return runs[r + 1]! - lineStart(r) <= width && runs[end + 1]! - lineStart(end) <= width;
  };
  // Runs of a block whose base64 was decoded joined (at every alignment, which covers
  // each line's own): not decoded again one line at a time (a megabyte of wrapped base64
  // is fourteen thousand lines, four decodes each).
  let decodedJoined: Uint8Array = NO_RUNS;
  // Runs of a block decoded as base64 turned a line at a time: not decoded turned alone too
  // (a secret read from its block and from its line would be two findings).
  let turnedJoined: Uint8Array = NO_RUNS;
  // One of those two, made when a run is first marked in it (a typed array made per call,
  // for a decoded window's few runs, cost a scan of TypeScript sources some 3%).
  const marks = (made: Uint8Array): Uint8Array =>
    made.length > 0 ? made : new Uint8Array(runs.length >> 1);
  // base64 of runs `r` to `end` joined (`body`, its padding left out), at every
  // alignment: those runs are then not decoded alone.
  // base64 in ROT13 (`base64 | tr A-Za-z N-ZA-Mn-za-m`: still base64, of nothing): a run
  // whose first bytes are no text, read again with its letters moved back where they then
  // are (see `base64Text`). Bytes decoded as written may be text by chance further on.
  const rot13Base64 = (body: string, at: number) => {
    if (base64Text(body, BASE64_VALUE) || !base64Text(body, ROT13_BASE64)) return;
    const back = turnedText(body, 0, body.length, false, true);
    const parts: string[] = [];
    for (let offset = 0; offset < 4 && offset < back.length - 16; offset++) {
      const printable = base64Printable(back, offset);
      if (printable) parts.push(printable);
    }
    if (parts.length) add({ text: parts.join("\n"), encoding: "rot13-base64", at });
  };
  // `alone`: the base64 of run `r` alone, when narrower groups are glued on before or after
  // it (`word,<run>,word`): what a token's base64 in it decodes to, read with the bytes of
  // those groups on either side, may have a letter glued on at each end (see
  // `ungluedDecoded`), and the run is not decoded alone. Read so, its findings point where
  // those of the groups joined do: one secret, one finding.
  const joinedBase64 = (body: string, at: number, r: number, end: number, alone?: string) => {
    const parts: string[] = [];
    for (const text of alone === undefined ? [body] : [body, alone]) {
      for (let offset = 0; offset < 4 && offset < text.length - 16; offset++) {
        const printable = base64Printable(text, offset);
        if (printable) parts.push(printable);
        if (printable && turned) parts.push(...ungluedDecoded(printable, turned));
      }
    }
    if (parts.length) add({ text: parts.join("\n"), encoding: "base64", at });
    rot13Base64(body, at);
    if (budget > 0) (decodedJoined = marks(decodedJoined)).fill(1, r >> 1, (end >> 1) + 1);
  };
  for (let r = 0; r < runs.length && budget > 0;) {
    until = undefined;
    let end = r;
    while (end + 2 < runs.length && broken(end)) end += 2;
    let tail = runs[end + 1]!;
    // Each line of wrapped base64 turned around (`base64 .env | rev`: `rev` turns a line
    // at a time): the last line's padding leads it, at the start of its line, under lines
    // of one width (a line break, then `=`, ends a block).
    const padded = turnedLines(end);
    if (padded) {
      add(padded[0]);
      (turnedJoined = marks(turnedJoined)).fill(1, padded[1] >> 1, (end >> 1) + 1);
    }
    // The last line of wrapped base64 may be shorter than a run (`AQ==`): without it, a
    // zstd frame of one block opens to nothing.
    const c = text.charCodeAt(tail);
    const next = text.charCodeAt(tail + 1);
    // (A break escaped twice too: see `broken`.)
    const escape = c === 92 && next === 92 ? text.charCodeAt(tail + 2) : next;
    const short = c === 10 || c === 13 || (c === 92 && (escape === 110 || escape === 114))
      ? SHORT_LAST_LINE.exec(text.slice(tail, tail + 40))
      : null;
    if (end === r && !short) {
      cutHead(lineStart(r), runs[r + 1]!);
      r += 2;
      continue;
    }
    // Where the lines' runs end, with their padding.
    let runsEnd = runs[end + 1]!;
    while (runsEnd - runs[end + 1]! < 6 && text.charCodeAt(runsEnd) === 61) runsEnd++;
    if (short) tail += short[0].length;
    // Padding: base64's two, base32's six.
    while (tail < text.length && tail - runs[end + 1]! < 6 && text.charCodeAt(tail) === 61) tail++;
    // The block as written, for a cut-out (see `Variant.until`): with the short line only
    // where it may go on from the lines (the last as wide as the one before, no padding),
    // not where it is the next line of output (`after`, below a block's last line).
    until = short && runsEnd === runs[end + 1] &&
        (end === r || runs[end + 1]! - lineStart(end) === runs[end - 1]! - lineStart(end - 2))
      ? tail
      : runsEnd;
    const joined = text.slice(lineStart(r), tail).replace(JOINED_BREAK, "");
    // Lines of one character over and over, the same one (a comment's rule of slashes or
    // dashes, line after line, as TypeScript sources put between sections): they cut no
    // token, and their join, read a level down as a text of its own, found nothing (a
    // model request of such sources had hundreds, a tenth of its scan). The word before
    // them is still read (see `cutHead`); each run alone is passed over below.
    const runsJoined = text.slice(lineStart(r), runs[end + 1]!).replace(JOINED_BREAK, "");
    if (sameCharacter(runsJoined, undefined, 0, 0, runsJoined.length)) {
      cutHead(lineStart(r), joined);
      if (short) cutHead(lineStart(r), runsJoined);
      r = end + 2;
      continue;
    }
    add({ text: joined, encoding: "lines", at: lineStart(r) });
    cutHead(lineStart(r), joined);
    // Without the short last line too (it may be the output's next line, see below).
    if (short) cutHead(lineStart(r), runsJoined);
    // The short line may be the output's next line instead (`ok`, a word after a token cut
    // into lines): glued on, it would make the token too long for its rule. Lines of one
    // width (as `fold` cuts them), `SHORT_JOIN` at most, are joined without it too.
    if (short && end > r && tail - runs[r]! <= SHORT_JOIN && oneWidth(r, end)) {
      add({ text: runsJoined, encoding: "lines", at: lineStart(r), until: runsEnd });
    }
    // Lines of one width that each read as base64 of text turned around (`base64 .env |
    // rev` where no padding leads the last line): turned back one by one and decoded.
    const width = runs[r + 1]! - lineStart(r);
    if (!padded && width % 4 === 0 && looksTurnedBase64(text.slice(lineStart(r), runs[r + 1]!))) {
      const lines = text.slice(lineStart(r), tail).split(/\r?\n|(?:\\r)?\\n/);
      if (
        lines.every((line, i) =>
          line.length === width || (i === lines.length - 1 && line.length < width)
        )
      ) {
        const printable = turnedBackBase64(lines);
        if (printable) {
          add({ text: printable, encoding: "reversed-base64", at: runs[r]! });
          (turnedJoined = marks(turnedJoined)).fill(1, r >> 1, (end >> 1) + 1);
        }
      }
    }
    const body = withoutPadding(joined);
    // Where the lines joined start, past an escape's letter (as they do).
    if (base64Candidate(joined)) joinedBase64(body, lineStart(r), r, end);
    // Compressed data whose base64 starts on a later line of the block (a line that ends in
    // a long name above it, joined on): opened from that line, where its first line alone
    // points too (one secret, one finding).
    for (let k = r + 2; k <= end; k += 2) {
      const at = lineStart(k);
      if (!COMPRESSED_START.test(text.slice(at, at + 5))) continue;
      compressed(withoutPadding(text.slice(at, tail).replace(JOINED_BREAK, "")), at);
      break;
    }
    // One line and a short one after it, which may be the next line of output instead
    // (`EOF`): the line is decoded alone too (glued on, the short one's bytes can run on
    // into the token's).
    if (short && end === r) decodedJoined[r >> 1] = 0;
    r = end + 2;
  }
  until = undefined;
  // Lines that each start with the same few characters before their run, no indentation
  // alone (`base64 .env | sed 's/^/data: /'`, a quote's `> `, a comment's `# `, a log's
  // stamp): their runs, of one width but the last, are joined as lines are above (a
  // token cut into them) and decoded as base64. Each alone, a secret across two lines was
  // in neither.
  for (let r = 0; r < runs.length && budget > 0;) {
    until = undefined;
    // Only where a run ends its line (most runs do not).
    // A run right after a tab escaped in a JSON string (`     1\t` of `cat -n`) starts
    // with its `t`: the run starts past it, the prefix holds it.
    const from = runStart(text, runs, r);
    const first = nextLine(text, runs[r + 1]!) < 0 ? undefined : linePrefix(text, from);
    // The lines' prefix: the first line's, or, where more stands before it there (`x data:
    // `, the block glued on after other text, however long), the next line's, which the
    // first ends with.
    let prefix = first;
    let end = prefix === undefined ? r : prefixedLines(text, runs, r, prefix);
    const line = end === r ? nextLine(text, runs[r + 1]!) : -1;
    if (line >= 0) {
      const next = sharedPrefix(text, from, line, first);
      if (next !== undefined) [prefix, end] = [next, prefixedLines(text, runs, r, next)];
    }
    // The last line's padding (base64's two, base32's six), or a last line shorter than a
    // run after it (`fold -w 16` of a token of 40).
    let tail = runs[end + 1]!;
    while (tail < text.length && tail - runs[end + 1]! < 6 && text.charCodeAt(tail) === 61) tail++;
    const short = prefix !== undefined && tail === runs[end + 1]!
      ? shortPrefixedLine(text, runs, end, prefix)
      : "";
    if (end === r && short === "") {
      if (first !== undefined) cutHead(from, runs[r + 1]!, from - first.length);
      r += 2;
      continue;
    }
    const pieces: string[] = [];
    for (let k = r; k <= end; k += 2) {
      pieces.push(text.slice(runStart(text, runs, k), runs[k + 1]!));
    }
    // (The short last line is on the next line, after the prefix.)
    until = short === "" ? tail : text.indexOf(short, tail) + short.length;
    const joined = pieces.join("") + text.slice(runs[end + 1]!, tail) + short;
    add({ text: joined, encoding: "lines", at: from });
    if (first !== undefined) cutHead(from, joined, from - first.length);
    const body = withoutPadding(joined);
    if (base64Candidate(joined)) joinedBase64(body, from, r, end);
    until = undefined;
    r = end + 2;
  }
  // Runs cut apart by a separator that is no line break, the same each time: base64's
  // lines joined by spaces (`echo $(base64 .env)`, `tr '\n' ' '`), by tabs (in a JSON
  // string `\t`, whose `t` starts the next run), commas, or the quotes between quoted
  // pieces (a list of base64 lines; see `SEPARATOR`). Of one width but the last,
  // which may be narrower (narrower than a run too: it follows the separator), they are
  // joined and, when they read as base64, hex or base32, scanned and decoded as one, as
  // lines are above (each alone, a secret across two of them was in neither: groups of
  // 64 hid every `.env`). Looked for only where runs are, so text without them costs
  // nothing; long words one after another (`someLongName anotherLongName`) are none.
  const groupStart = (k: number) =>
    runs[k]! + (text.charCodeAt(runs[k]! - 1) === 92 && text.charCodeAt(runs[k]!) === 116 ? 1 : 0);
  const cutApart = (k: number) => text.slice(runs[k + 1]!, groupStart(k + 2));
  for (let r = 0; r < runs.length && budget > 0;) {
    // Lines joined above are theirs (a secret in the last line, read again with a word
    // after it, was said twice).
    if (decodedJoined[r >> 1] === 1) {
      r += 2;
      continue;
    }
    const from = groupStart(r);
    const width = runs[r + 1]! - from;
    // What follows the run must start a separator (most runs fail here, at no cost).
    const after = codeAt(text, runs[r + 1]!);
    if (after >= 128 || SEPARATOR_START[after] === 0) {
      r += 2;
      continue;
    }
    const gap = r + 2 < runs.length ? groupStart(r + 2) - runs[r + 1]! : Infinity;
    // A dot or a colon separates only runs right after it: most runs' dot is a path's or
    // a name's (`plugin.c`, `Accessor::Copy`), and a look at each of them cost the scan of
    // an executable a tenth.
    if ((after === 46 || after === 58) && gap !== 1) {
      r += 2;
      continue;
    }
    let separator = gap <= MAX_SEPARATOR ? cutApart(r) : "";
    let end = r;
    if (separator && SEPARATOR.test(separator) && runs[r + 3]! - groupStart(r + 2) <= width) {
      while (end + 2 < runs.length && decodedJoined[(end + 2) >> 1] !== 1) {
        const next = runs[end + 3]! - groupStart(end + 2);
        if (next > width || cutApart(end) !== separator) break;
        end += 2;
        if (next < width) break;
      }
    } else {
      // One run, then only a group narrower than a run.
      SEPARATOR_AT.lastIndex = runs[r + 1]!;
      separator = SEPARATOR_AT.exec(text)?.[0] ?? "";
    }
    // No digit, `+` or `/` in the runs: words one after another, no base64, hex or base32
    // (looked at first: 1 MiB of long words, a pair joined each time, had scanned a fifth
    // slower for the groups read around them).
    if (!separator || !/[0-9+/]/.test(text.slice(from, runs[end + 1]!))) {
      r = end + 2;
      continue;
    }
    // A last group narrower than a run (or than the others), then padding.
    let tail = runs[end + 1]!;
    if (runs[end + 1]! - groupStart(end) === width && text.startsWith(separator, tail)) {
      const first = tail + separator.length;
      let last = first;
      while (last - first < width && inBase64(text, last)) last++;
      if (last > first && !inBase64(text, last)) tail = last;
    }
    if (end === r && tail === runs[r + 1]) {
      r += 2;
      continue;
    }
    for (const padded = tail; tail - padded < 2 && text.charCodeAt(tail) === 61;) tail++;
    // A first group narrower than a run, before the separator (after a label glued on,
    // `data:R0lU...`, then the rest in groups).
    let head = from;
    if (text.startsWith(separator, from - separator.length)) {
      const last = from - separator.length;
      let first = last;
      while (last - first < Math.min(width, MIN_RUN - 1) && inBase64(text, first - 1)) first--;
      if (first < last && !inBase64(text, first - 1)) head = first;
    }
    const joined = text.slice(head, tail).replaceAll(separator, "");
    const body = withoutPadding(joined);
    until = tail;
    // base64 is decoded here (what it opens to too); hex, base32 and bits a level down.
    if (!base64Candidate(joined)) {
      if (ENCODED_ONE_CASE.test(body)) {
        add({ text: joined, encoding: "chunks", at: head, end: tail });
      }
    } else {
      compressed(body, head);
      joinedBase64(body, head, r, end, end === r ? text.slice(from, runs[r + 1]!) : undefined);
    }
    until = undefined;
    r = end + 2;
  }
  // A run's part of one alphabet (see `subRuns`), `sub`, written at `at`: decoded as hex,
  // bits or base32 from each of its places.
  const decodeSubRun = (
    alphabet: number,
    sub: string,
    at: number,
    hexEncoding: "hex" | "rot13-hex" = "hex",
  ) => {
    if (alphabet === HEX_CHAR) {
      // From its second digit too: four bits further (decoded once, read shifted).
      const bytes = hexBytes(sub, 0, true);
      compressedBytes(bytes.subarray(0, sub.length >> 1), at);
      const parts = hexText(bytes, sub.length);
      if (parts) add({ text: parts, encoding: hexEncoding, at });
      // Hex turned around (`xxd -p | rev`, `h[::-1]`): read back from its end, from its last
      // digit and from the one before (a character glued on after it).
      if (turnedHexOfText(sub)) {
        const turned = hexText(hexBytes(reverseText(sub), 0, true), sub.length);
        if (turned) add({ text: turned, encoding: "reversed-hex", at });
      }
      // Text's bytes read as one number, in decimal (`int.from_bytes(t.encode(), "big")`).
      if (sub.length >= MIN_NUMBER && sub.length <= MAX_NUMBER && DIGITS.test(sub)) {
        const number = numberText(sub);
        if (number) add({ text: number, encoding: "number", at });
      }
    } else if (alphabet === BIT_CHAR) {
      // Both orders of a byte's bits (`basenc --base2msbf`, `--base2lsbf`), from each of
      // a byte's eight places: a character of the alphabet glued in front (`v1`, then
      // the bits) shifts them, as it shifts base64's groups of four.
      const parts: string[] = [];
      for (const msb of [true, false]) {
        const bytes = bitBytes(sub, msb, true);
        const whole = sub.length >> 3;
        for (let offset = 0; offset < 8 && sub.length - offset >= MIN_BITS; offset++) {
          const printable = printableRuns(
            offset === 0
              ? bytes.subarray(0, whole)
              : shiftedBytes(bytes, offset, msb, (sub.length - offset) >> 3),
          );
          if (printable) parts.push(printable);
        }
      }
      if (parts.length) add({ text: parts.join("\n"), encoding: "base2", at });
    } else if (alphabet === BASE32_UPPER || alphabet === BASE32_LOWER || PAST_HEX.test(sub)) {
      // From each of a group's eight places, likewise: five bits further each.
      const values = alphabet === BASE32_UPPER || alphabet === BASE32_LOWER
        ? B32_VALUE
        : B32HEX_VALUE;
      const parts: string[] = [];
      const bytes = base32Bytes(sub, values, true);
      const whole = (sub.length * 5) >> 3;
      compressedBytes(bytes.subarray(0, whole), at);
      for (let offset = 0; offset < 8 && sub.length - offset >= MIN_BASE32; offset++) {
        const printable = printableRuns(
          offset === 0
            ? bytes.subarray(0, whole)
            : shiftedBytes(bytes, offset * 5, true, ((sub.length - offset) * 5) >> 3),
        );
        if (printable) parts.push(printable);
      }
      if (parts.length) add({ text: parts.join("\n"), encoding: "base32", at });
    }
  };
  // Runs the readers below gave nothing for, each with a bit for each of the sixteen ways
  // it may stand (see there).
  const barren = new Map<string, number>();
  for (let r = 0; r < runs.length && budget > 0; r += 2) {
    const from = runs[r]!;
    let to = runs[r + 1]!;
    while (to < text.length && to - runs[r + 1]! < 6 && text.charCodeAt(to) === 61) to++;
    const run = text.slice(from, to);
    // One character over and over (base64 of zeros in an image, `AAAA...`; a rule of
    // dashes) stands for nothing but its length: none of the readers below finds
    // anything in it, and each read all of it (a model request of 256 KiB of one letter
    // was read as a filler between characters, doubled, padded and as base32 from eight
    // places: 22 ms).
    if (sameCharacter(run, undefined, 0, 0, run.length)) continue;
    // In a JSON string a run after an escape starts with its letter (`\\n`'s `n`).
    const escaped = from > 0 && text.charCodeAt(from - 1) === 92 && ESCAPE_LETTER.test(run[0]!);
    // Without the `=` padding read on above: a line of `.env` turned around (`rev .env`)
    // puts its `=` right after the token's head (`..._phg=NEKOT`).
    const turnedBack = turned &&
      turnedRuns(
        text,
        to === runs[r + 1] ? run : text.slice(from, runs[r + 1]),
        from,
        turned,
        escaped,
      );
    if (turnedBack) { for (const v of turnedBack) add(v); }
    // The readers below read the run alone, and how it stands (`state`: whether an escape's
    // letter starts it, a `=` comes before it, it was decoded joined already or turned
    // back in lines): what gave nothing for a run standing so gives nothing for it again,
    // and code names the same things over and over (three runs in four, in an npm
    // package's sources, are one seen before), so such a run is passed over after. Short
    // runs only: no line of base64 is looked up. (Remembered by a string of the run and
    // its state, the lookups cost what they saved.)
    const remembered = run.length <= MAX_BARREN;
    const state = 1 << (+escaped | +(from > 0 && text.charCodeAt(from - 1) === 61) << 1 |
      +(decodedJoined[r >> 1] === 1) << 2 | +(turnedJoined[r >> 1] === 1) << 3);
    if (remembered && ((barren.get(run) ?? 0) & state) !== 0) continue;
    const before = out.length;
    // A token cut by a mark inside its prefix or among its own marks: put back together.
    const uncut = turned && cutToken(run, +escaped, turned);
    if (uncut) add({ text: uncut, encoding: "cut", at: from + +escaped });
    // One or two marks put in past its prefix: taken out (where the same mark also falls
    // where a regular cut puts one, the regular cut above may be the wrong reading).
    if (turned) {
      for (const text of strayMarksOut(run, +escaped, turned)) {
        add({ text, encoding: "cut", at: from + +escaped, whole: true });
      }
      const inPrefix = markInPrefix(run, +escaped, turned);
      if (inPrefix) add({ text: inPrefix, encoding: "cut", at: from + +escaped, whole: true });
      const unpadded = paddingOff(run, +escaped, turned);
      if (unpadded) add({ text: unpadded, encoding: "padded", at: from + +escaped });
    }
    // Groups of one width joined by a mark the run holds (`fold -w 16 | paste -sd-`):
    // joined, and read as the groups cut apart by a space are above.
    const grouped = markedGroups(escaped ? run.slice(1) : run);
    if (grouped !== undefined) {
      const at = from + +escaped;
      if (base64Candidate(grouped)) {
        const body = withoutPadding(grouped);
        compressed(body, at);
        joinedBase64(body, at, r, r);
      } else {
        for (const [alphabet, from2, to2] of subRuns(grouped)) {
          decodeSubRun(alphabet, grouped.slice(from2, to2), at);
        }
      }
    }
    // Each character doubled (`sed 's/./&&/g'`): a long run of pairs, read one of each.
    const halved = run.length >= 2 * MIN_DOUBLED ? undoubled(run) : undefined;
    if (halved) add({ text: halved, encoding: "doubled", at: from });
    // One character put between each of its own (`gXhXpX_X...`): read without it; in a
    // path's segment too (a run holds the path's slashes).
    if (run.length >= 2 * MIN_INTERLEAVED - 1) {
      let unfilled = mayInterleave(run, 0) ? uninterleaved(run, 0, run.length) : undefined;
      // A path is short: a run of base64 (slashes every 64 characters) is not cut so.
      for (let p = 0; !unfilled && run.length <= SHORT_RUN && p < run.length;) {
        let slash = run.indexOf("/", p);
        if (slash === -1) slash = run.length;
        if (p > 0 && slash - p >= 2 * MIN_INTERLEAVED - 1 && mayInterleave(run, p)) {
          unfilled = uninterleaved(run, p, slash);
        }
        p = slash + 1;
      }
      if (unfilled) add({ text: unfilled, encoding: "interleaved", at: from });
    }
    // base64 turned around (`base64 -w0 | rev`): its padding comes first, right before
    // the run; with no padding (a third of lengths), a run that reads as base64 of text
    // turned around. Only there: decoding every run turned around too would cost each
    // one a fifth more.
    const lead = escaped ? 1 : 0;
    // (Not read before the text's start: a character read out of bounds, at a decoded
    // window's first run, made V8's code for this function give up there each time, some
    // 400 times over a process's first 30 scans of Python's source.)
    if (
      run.length - lead >= MIN_BASE64 && turnedJoined[r >> 1] !== 1 &&
      ((from > 0 && text.charCodeAt(from - 1) === 61) || looksTurnedBase64(run, lead))
    ) {
      // (With the padding before it, which turned back is padding again.)
      const padding = from > 0 && text.charCodeAt(from - 1) === 61 ? "=" : "";
      const printable = turnedBackBase64([padding + (escaped ? run.slice(1) : run)]);
      if (printable) add({ text: printable, encoding: "reversed-base64", at: from });
    }
    // Judged past an escape's letter, as lines joined are (`\tNL80211_CMD_CONNECT`, a C
    // header's name after a tab in a JSON string, is no base64 for its `t`: a header's
    // thousands of such names, each decoded at four alignments, were a sixth of its scan).
    if (run.length >= MIN_BASE64 && base64Candidate(escaped ? run.slice(1) : run)) {
      const body = withoutPadding(run);
      // On a line of its own in a JSON string (`\nH4sI...`), past the escape's letter, where
      // what the run decodes to points (and lines joined do: a block read a line at a time
      // and whole is one finding).
      const start = from + +escaped;
      compressed(body, from);
      if (escaped) compressed(body.slice(1), start);
      // Any alignment: a character glued in front shifts the groups of four. A file's
      // signature glued in front does too (`printf iVBORw0KGgo; base64 .env`: its
      // eleven characters had hidden the rest when a file was decoded at its own
      // alignment only). At the other three, a file (an image in a model request) is
      // read for runs of text of 16 characters or more (a token's length, a `.env`
      // line's): 8, as at its own alignment, had cost its scan a sixth more.
      const alignments = decodedJoined[r >> 1] === 1 ? 0 : 4;
      const file = isFileBase64(body);
      const parts: string[] = [];
      for (let offset = 0; offset < alignments && offset < body.length - 16; offset++) {
        const printable = base64Printable(body, offset, file && offset > 0 ? 16 : 8);
        if (printable) parts.push(printable);
        // Bytes of what stands before the token's base64 in the run glued on in front.
        if (printable && turned) parts.push(...ungluedDecoded(printable, turned));
      }
      if (parts.length) add({ text: parts.join("\n"), encoding: "base64", at: start });
      if (alignments > 0 && !file) rot13Base64(body, start);
    }
    // Hex in ROT13 (`xxd -p | tr a-z n-za-m`: its letters `n` to `s`): moved back, read as hex.
    if (run.length >= MIN_HEX && rot13HexRun(run)) {
      decodeSubRun(HEX_CHAR, turnedText(run, 0, run.length, false, true), from, "rot13-hex");
    }
    if (run.length >= MIN_BASE32) {
      for (const [alphabet, from2, to2] of subRuns(run)) {
        decodeSubRun(alphabet, run.slice(from2, to2), from + from2);
      }
    }
    if (remembered && out.length === before) barren.set(run, (barren.get(run) ?? 0) | state);
  }
  // Pieces each in base64 of their own, side by side (`echo $(printf ghp_Zq8L... |
  // base64) $(printf w2Rt... | base64)`): what each decodes to, joined, when each is text.
  // Decoded only where a run and the next stand so (a piece of base64 of text may hold no
  // digit, which a run decoded above must).
  const pieceText = (r: number) => {
    // After a line break escaped in a JSON string, the run starts with the escape's letter.
    const from = runs[r]! +
      +(text.charCodeAt(runs[r]! - 1) === 92 && escapeLetter(text.charCodeAt(runs[r]!)));
    const run = text.slice(from, runs[r + 1]!);
    return run.length <= MAX_PIECE_BASE64 ? textOfBase64(run) : undefined;
  };
  for (let r = 0; r + 2 < runs.length && budget > 0; r += 2) {
    if (!piecesGap(text, runs[r + 1]!, runs[r + 2]!)) continue;
    let joined = pieceText(r);
    if (joined === undefined) continue;
    let last = r;
    for (; last + 2 < runs.length && last - r < 2 * MAX_BASE64_PIECES; last += 2) {
      if (!piecesGap(text, runs[last + 1]!, runs[last + 2]!)) break;
      const next = pieceText(last + 2);
      if (next === undefined) break;
      joined += next;
    }
    // Pointing past an escape's letter, as lines joined do (see `lineStart`).
    if (last > r) add({ text: joined, encoding: "base64-pieces", at: lineStart(r) });
    r = last;
  }
  return out;
}

/**
 * The printable text of base64 whose lines were each turned around (`rev`), turned back
 * one by one and joined (one line: all of it turned); "" if it cannot be base64 of text.
 */
function turnedBackBase64(lines: readonly string[]): string {
  const joined = lines.map(reverseText).join("");
  return base64Candidate(joined) ? base64Printable(withoutPadding(joined), 0) : "";
}

/** Standard base64's digit values, -1 outside it. */
const B64_VALUE = Int8Array.from(
  { length: 128 },
  (_, c) =>
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".indexOf(
      String.fromCharCode(c),
    ),
);

/**
 * Whether `line` from `from` on, a run of base64's alphabet whose length is a multiple of
 * four, reads as base64 of ASCII text turned around. In base64 of bytes below 0x80, each
 * group of four has its first digit below 32, its second with 8 clear and its third with
 * 2 clear (the top bits of its three bytes); turned around, those are each group's last
 * three, from the end. Random characters pass a group one time in eight: five groups or
 * more, and at most one in sixteen failing (a character past ASCII in the text). A run
 * whose first characters mostly repeat the one before (base64 of zeros: `AAAA...`, which
 * passes) is none.
 */
function looksTurnedBase64(line: string, from = 0): boolean {
  const n = line.length - from;
  if (n < MIN_BASE64 || n % 4 !== 0) return false;
  const allowed = n >> 6;
  let failed = 0;
  // Base64 of text changes character nearly every place; of zeros (`AAAA...`) never.
  let same = 0;
  for (let i = from + 1; i < from + 16; i++) {
    same += +(line.charCodeAt(i) === line.charCodeAt(i - 1));
  }
  if (same > 8) return false;
  for (let g = from; g < line.length; g += 4) {
    const first = B64_VALUE[line.charCodeAt(g + 3)]!;
    const second = B64_VALUE[line.charCodeAt(g + 2)]!;
    const third = B64_VALUE[line.charCodeAt(g + 1)]!;
    const ascii = first >= 0 && first < 32 && second >= 0 && (second & 8) === 0 && third >= 0 &&
      (third & 2) === 0;
    if (!ascii && ++failed > allowed) return false;
  }
  return true;
}

/**
 * How long the line break that starts at `at` is (`\n`, `\r\n`, or either escaped in a
 * JSON string: a backslash after a line's characters, none of which is one, starts an
 * escape), or 0.
 */
export function lineBreakAt(text: string, at: number): number {
  const c = text.charCodeAt(at);
  if (c === 10) return 1;
  if (c === 13) return text.charCodeAt(at + 1) === 10 ? 2 : 0;
  if (c !== 92) return 0;
  const d = text.charCodeAt(at + 1);
  if (d === 110) return 2;
  return d === 114 && text.charCodeAt(at + 2) === 92 && text.charCodeAt(at + 3) === 110 ? 4 : 0;
}

/** The longest prefix of a line read before its run (see `prefixedLines`): a log's stamp. */
const MAX_LINE_PREFIX = 32;

/**
 * The last of the runs from run `r` on (offsets in `runs`, two a run) that are lines each
 * starting with `prefix`, the one run `r`'s line starts with (see `linePrefix`), and
 * holding nothing after their run but a line break: of one width but the last, which may
 * be narrower; `r` itself if the next is not so. A line break may be escaped once or
 * twice (a JSON string, one inside another).
 */
function prefixedLines(text: string, runs: readonly number[], r: number, prefix: string): number {
  const width = runs[r + 1]! - runStart(text, runs, r);
  let k = r;
  while (k + 2 < runs.length) {
    const line = nextLine(text, runs[k + 1]!);
    const next = runStart(text, runs, k + 2);
    if (line < 0 || next - line !== prefix.length || !startsLike(text, line, prefix)) break;
    const own = runs[k + 3]! - next;
    if (own > width) break;
    k += 2;
    // A narrower line is the last.
    if (own < width) break;
  }
  return k;
}

/**
 * What stands before the run at `start` on its line: from where the line starts (see
 * `lineStarts`), `MAX_LINE_PREFIX` characters at most; undefined when that is nothing,
 * indentation alone (spaces and tabs, escaped too: `broken` reads those lines), a list's
 * item mark (`- `, `* `: the readers of pieces read a token in a list's items), or the
 * line starts further back.
 */
export function linePrefix(text: string, start: number): string | undefined {
  // A run after an escape in a JSON string starts with its letter: at the `n` of a line
  // break (most runs that end their line, wrapped base64's), none; at the `t` of a tab,
  // the line is indented.
  const c = text.charCodeAt(start);
  const escaped = text.charCodeAt(start - 1) === 92 && (c === 110 || c === 116);
  const prefix = prefixOfLine(text, start + +escaped);
  return prefix === undefined || NO_LINE_PREFIX.test(prefix) ? undefined : prefix;
}

/**
 * The prefix of the lines from `line` on when the first line, whose run starts at `from`,
 * holds more before it (`x data: <run>`, then `data: <run>`): the longest of what stands
 * before `from` (`MAX_LINE_PREFIX` at most, shorter than `first`, that line's own prefix if
 * known) that the line at `line` starts with and that is more than indentation; undefined
 * if none.
 */
function sharedPrefix(
  text: string,
  from: number,
  line: number,
  first: string | undefined,
): string | undefined {
  const longest = Math.min(from, MAX_LINE_PREFIX, (first?.length ?? Infinity) - 1);
  // Where the line's run may start: past a character no run holds (`data: `, `> `).
  let found: string | undefined;
  for (let p = line + 2; p - line <= longest && p < text.length; p++) {
    if (!inBase64(text, p) || inBase64(text, p - 1)) continue;
    const prefix = text.slice(line, p);
    if (startsLike(text, from - prefix.length, prefix) && !NO_LINE_PREFIX.test(prefix)) {
      found = prefix;
    }
  }
  return found;
}

/** Indentation alone, or a list's item mark after it (see `linePrefix`). */
const NO_LINE_PREFIX = /^(?:[ \t]|\\{1,2}t)*(?:[-*+][ \t]+)?$/;

/**
 * What stands on the line of `start` before it, from where that line starts (see
 * `lineStarts`): "" at a line's start; undefined when the line starts more than
 * `MAX_LINE_PREFIX` characters back.
 */
export function prefixOfLine(text: string, start: number): string | undefined {
  for (let p = start; p >= 0 && start - p <= MAX_LINE_PREFIX; p--) {
    if (lineStarts(text, p)) return text.slice(p, start);
  }
  return undefined;
}

/** Where the line after a line break at `at` starts (escaped once or twice too); -1 if none is there. */
export function nextLine(text: string, at: number): number {
  if (text.charCodeAt(at) === 92 && text.charCodeAt(at + 1) === 92) at++;
  const step = lineBreakAt(text, at);
  return step === 0 ? -1 : at + step;
}

/**
 * Whether a line starts at `at`: the text's start, after a line break (escaped too), or
 * after the quote that opens a JSON string (the first line of a command's output in one).
 */
function lineStarts(text: string, at: number): boolean {
  if (at === 0) return true;
  const c = text.charCodeAt(at - 1);
  return c === 10 || c === 13 || c === 34 || (c === 110 && text.charCodeAt(at - 2) === 92);
}

/**
 * Where run `k` (offsets in `runs`, two a run) starts: past the `t` of a tab escaped in a
 * JSON string right before it (`\\t`, which the run otherwise starts with).
 */
function runStart(text: string, runs: readonly number[], k: number): number {
  const at = runs[k]!;
  return text.charCodeAt(at) === 116 && text.charCodeAt(at - 1) === 92 ? at + 1 : at;
}

/**
 * The short last line after run `end` of lines that each start with `prefix` (see
 * `prefixedLines`): up to 15 characters of the base64 alphabets and their padding, after
 * a line break and the prefix, and before no more of them; "" if none.
 */
function shortPrefixedLine(text: string, runs: readonly number[], end: number, prefix: string) {
  const line = nextLine(text, runs[end + 1]!);
  if (line < 0 || !startsLike(text, line, prefix)) return "";
  const at = line + prefix.length;
  let k = at;
  while (k - at < 15 && (ALPHABET[text.charCodeAt(k)]! & BASE64_CHAR) !== 0) k++;
  if (k === at || (ALPHABET[text.charCodeAt(k)]! & BASE64_CHAR) !== 0) return "";
  while (k - at < 21 && text.charCodeAt(k) === 61) k++;
  return text.slice(at, k);
}

/** The most characters a line's indentation is read for (see `indentEnd`). */
const MAX_INDENT = 8;

/** The most characters of a token's prefix a line may end with before a break cuts it. */
const MAX_CUT_HEAD = 7;

/**
 * Where the line before the one starting at `line` (past indentation) ends: at its line
 * break, as it is or escaped (`\\n`, `\\r\\n`); -1 if no break is there.
 */
function lineEndBefore(text: string, line: number): number {
  let i = line;
  while (i > 0) {
    const c = text.charCodeAt(i - 1);
    if (c === 32 || c === 9) i--;
    else if (c === 116 && text.charCodeAt(i - 2) === 92) i -= 2;
    else break;
  }
  if (text.charCodeAt(i - 1) === 10) return text.charCodeAt(i - 2) === 13 ? i - 2 : i - 1;
  if (text.charCodeAt(i - 1) === 110 && text.charCodeAt(i - 2) === 92) {
    i -= 2;
    return text.charCodeAt(i - 1) === 114 && text.charCodeAt(i - 2) === 92 ? i - 2 : i;
  }
  return -1;
}

/**
 * Where the word the line before the one starting at `line` ends with starts: letters,
 * digits, `_` and `-`, `MAX_CUT_HEAD` at most, after a label's `=` or `:` (and spaces) or
 * a quote; undefined if there is none, it is longer, or it stands after anything else.
 */
function wordBeforeLine(text: string, line: number): number | undefined {
  const end = lineEndBefore(text, line);
  if (end <= 0) return undefined;
  let k = end;
  while (k > 0 && end - k <= MAX_CUT_HEAD && WORD_CHAR[text.charCodeAt(k - 1)] === 1) k--;
  if (k === end || end - k > MAX_CUT_HEAD) return undefined;
  // After a label's mark (`TOKEN=gh`, `key: gh`, `"gh`): a word alone on its line, or an
  // item's, is a token's piece that the readers of pieces read (`echo gh; echo p_...`).
  let j = k;
  while (j > 0 && (text.charCodeAt(j - 1) === 32 || text.charCodeAt(j - 1) === 9)) j--;
  const c = text.charCodeAt(j - 1);
  return c === 61 || c === 58 || (j === k && (c === 34 || c === 39)) ? k : undefined;
}

/** 1 for the characters of `wordBeforeLine`'s words. */
const WORD_CHAR = Uint8Array.from(
  { length: 128 },
  (_, c) => +/[A-Za-z0-9_-]/.test(String.fromCharCode(c)),
);

/**
 * Where the indentation at `at` ends (the start of a line: spaces and tabs, a tab escaped
 * in a JSON string too), `MAX_INDENT` characters on at the most: a token cut into lines
 * and indented (`fold -w 20 | sed 's/^/  /'`, a block in YAML or Markdown).
 */
export function indentEnd(text: string, at: number): number {
  let k = at;
  while (k - at < MAX_INDENT) {
    const c = text.charCodeAt(k);
    if (c === 32 || c === 9) k++;
    else if (c === 92 && text.charCodeAt(k + 1) === 116) k += 2;
    else break;
  }
  return k;
}

/** Base64 digit values of each ASCII character, as written or in ROT13 (-1 outside the alphabets). */
const [BASE64_VALUE, ROT13_BASE64] = [false, true].map((turned) =>
  Int8Array.from({ length: 128 }, (_, c) => {
    const r = String.fromCharCode(turned ? shiftCode(c, 13) : c);
    const i = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".indexOf(r);
    return i >= 0 ? i : r === "-" ? 62 : r === "_" ? 63 : -1;
  })
) as [Int8Array, Int8Array];

/** Characters of a run read for text in base64 (see `base64Text`): nine bytes. */
const TEXT_PROBE = 12;

/**
 * Whether a run's first characters (in ROT13, with `values` `ROT13_BASE64`) decoded as
 * base64 at one of its four alignments are printable text: nine bytes, which random
 * base64 gives one run in fourteen hundred.
 */
function base64Text(body: string, values: Int8Array): boolean {
  for (let offset = 0; offset < 4; offset++) {
    if (body.length - offset < TEXT_PROBE + 8) return false;
    let ok = true;
    for (let k = offset; ok && k < offset + TEXT_PROBE; k += 4) {
      let v = 0;
      for (let j = 0; j < 4; j++) {
        const d = values[body.charCodeAt(k + j) & 127]!;
        if (d < 0) return false;
        v = (v << 6) | d;
      }
      for (let shift = 16; shift >= 0; shift -= 8) {
        const b = (v >> shift) & 255;
        if (!(b >= 0x20 && b < 0x7f) && b !== 9 && b !== 10 && b !== 13) ok = false;
      }
    }
    if (ok) return true;
  }
  return false;
}

/**
 * Whether a run is hex in ROT13: digits and the letters `n` to `s` (either case), one of
 * those letters at least: ROT13 moves hex's `a`-`f` there.
 */
function rot13HexRun(run: string): boolean {
  let letters = 0;
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i) | 32;
    if (c >= 110 && c <= 115) letters++;
    else if (!(c >= 48 && c <= 57)) return false;
  }
  return letters > 0;
}

/** A letter that a backslash before it makes an escape of (`\n`, `\t`, `\r`, `\b`, `\f`). */
const ESCAPE_LETTER = /^[ntrbf]$/;

/** The longest run whose readings are remembered when they gave nothing (see `variants`). */
const MAX_BARREN = 64;

/**
 * `decodedJoined` and `turnedJoined` until a run is marked in them: a typed array made per
 * call costs a header's scan a tenth.
 */
const NO_RUNS = new Uint8Array(0);

let plain: KeywordMatcher | undefined;
/** Runs and triggers of `text`, for a caller without a detector's survey at hand. */
function surveyText(text: string): Survey {
  plain ??= new KeywordMatcher([]);
  return plain.survey(text);
}
