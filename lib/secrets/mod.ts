/**
 * @module
 * The secret detector bot-bottle runs everywhere a secret could leave or enter: the
 * egress proxy's DLP, the git gate, and the `--cwd` copy. One rule set, one decoding
 * layer; a rule added once guards every path. Findings name the rule and where, never
 * the secret. No dependencies beyond this folder, so the bundle carries it as is.
 */

import { Detector, dropShadowed, type Finding, type Rule } from "./engine.ts";
import { RULES, separatedPrefix, tokenEdges, unbounded } from "./rules.ts";
import { indentEnd, lineBreakAt, type Variant, variants } from "./decode.ts";
import {
  reverseText,
  rot13,
  turnable,
  turnedAtEdges,
  type TurnedHeads,
  turnedHeads,
} from "./turned.ts";
import { codeAt } from "./chars.ts";
import { escapeLetter, escapeRegExp, MIN_RUN, type Survey, withoutDumps } from "./keywords.ts";
import { UNCHECKED_RULE } from "./compressed.ts";
import { emptyQuotesBefore, lineCommentBefore, markupAt, markupBefore } from "./markup.ts";
import {
  assignedBefore,
  assignedName,
  assignmentAt,
  operatorEndBefore,
  quoteAt,
  referenceAfter,
  referenceAt,
} from "./assign.ts";

export { type Finding, isPlaceholder } from "./engine.ts";
export { normalize } from "./decode.ts";
export { looksBinary, printableText } from "./printable.ts";

/** How a secret was written where it was found. */
/**
 * How a secret was written: as it is, in a decoded form, joined from fields (`joined`),
 * in groups joined by a mark after its prefix (`grouped`: a licence key's form, its span
 * as written), in quoted pieces joined in code (`concatenated`, its span as written), cut
 * into lines (`folded`: `fold -w 8`, or `fold -w 64` of one with a dot or `~`; its span
 * as written), split into pieces by spaces or lines (`split`, its span as written), or
 * written in capitals (`capitals`: `tr a-z A-Z`).
 */
export type Encoding =
  | "plain"
  | Variant["encoding"]
  | "joined"
  | "grouped"
  | "concatenated"
  | "folded"
  | "split"
  | "assigned"
  | "capitals";

/**
 * How a secret was written, in words for a finding's description: nothing for one as it
 * is or joined from fields (the place says so), `in groups`, `reversed`, `in ROT13`,
 * how it was cut or escaped, or `<encoding>-encoded` (`base64-encoded`).
 */
export function howWritten(encoding: Encoding): string {
  switch (encoding) {
    case "plain":
    case "joined":
      return "";
    case "grouped":
      return "in groups";
    case "concatenated":
      return "in quoted pieces";
    case "reversed":
      return "reversed";
    case "rot13":
      return "in ROT13";
    case "shifted":
      return "its letters shifted (a Caesar cipher)";
    case "reversed-rot13":
      return "reversed and in ROT13";
    case "reversed-base64":
      return "in base64, reversed";
    case "reversed-hex":
      return "in hex, reversed";
    case "codes-shifted":
      return "each character's code moved by one number";
    case "rot13-base64":
      return "in base64, in ROT13";
    case "rot13-hex":
      return "in hex, in ROT13";
    case "number":
      return "its bytes read as a number";
    case "doubled":
      return "each character doubled";
    case "interleaved":
      return "a character put between each of its own";
    case "padded":
      return "padded";
    case "base64-pieces":
      return "in base64, a piece at a time";
    case "cut":
      return "cut into groups";
    case "folded":
    case "lines":
      return "cut into lines";
    case "chunks":
      return "cut into groups";
    case "normalized":
      return "in look-alike or hidden characters";
    case "url":
      return "percent-encoded";
    case "json":
    case "escape":
      return "escaped";
    case "html":
      return "in HTML character references";
    case "hexdump":
      return "in a hex dump";
    case "base2":
      return "in bits";
    case "split":
      return "split into pieces";
    case "assigned":
      return "split across variables";
    case "capitals":
      return "in capital letters";
    default:
      return `${encoding}-encoded`;
  }
}

/** A secret found, with how it was encoded. */
export interface Located extends Finding {
  encoding: Encoding;
  /**
   * Where a token in pieces found in a window decoded in place is written, from its first
   * piece to its last, where `index` points only near it (see `WINDOWED`): what a cut-out
   * takes.
   */
  written?: [number, number];
}

/**
 * Compressed data too large to open within a scan's bounds: what it holds is not known,
 * so it counts as a finding (a gzip bomb with a secret at its end is no way past).
 */
const UNCHECKED = {
  rule: UNCHECKED_RULE,
  description: "compressed data too large to check",
} as const;

/**
 * Encodings decoded in a window of text around what calls for it (an escape, `%XX`,
 * `=XX`, a look-alike), in place: decoding only shortens what it changes, so a finding's offset
 * in the decoded window, from the window's start, is at or before its secret's in the
 * original (the cut-out reads on from there). A window of escapes is as long as the
 * escapes in a row: pointed at its start, a secret far into it was out of reach.
 */
export const WINDOWED: ReadonlySet<Encoding> = new Set<Encoding>([
  "normalized",
  "url",
  "quoted-printable",
  "json",
  "escape",
  "html",
]);

/**
 * Values the person declared public (`public_values` in the manifest: a Firebase web API
 * key, a search-only key): a finding whose text is one of them, as written or decoded, is
 * no finding. Set once per process, from the bottle's plan or its bundle's config.
 */
let publicValues: ReadonlySet<string> = new Set();
let publicList: readonly string[] = [];

/**
 * Sets the values no scan in this process reports (see `publicValues`). The same values
 * again (a scan worker is given them with each job) leave the list as it was: what was
 * kept of scans made with it (`RecentScans`, the DLP's head scans) still holds.
 */
export function setPublicValues(values: Iterable<string>): void {
  const set = new Set(values);
  const list = [...set].toSorted();
  if (list.length === publicList.length && list.every((v, i) => v === publicList[i])) return;
  publicValues = set;
  publicList = list;
}

/** What stands for the part of a name (a path, a ref) from where a secret in it starts. */
const HIDDEN_NAME = "[name holding a secret]";

/**
 * Where a token's own prefix starts, for the decoding layer's joined lines: a prefix of
 * four characters or more with a separator in it (`sk_test_`, `ghp_`, `glpat-`), which
 * no token's body (letters, digits, at most `_` and `-` drawn at random) holds. A line
 * that starts with one is a token of its own, not the rest of the line before.
 */
const TOKEN_START = new RegExp(
  `(?:${
    [
      ...new Set(
        RULES.filter((r) => r.kind === "token").flatMap((r) => r.keywords)
          .filter(separatedPrefix),
      ),
    ].map(escapeRegExp).join("|")
  })`,
  "iy",
);

/** Whether a token's own prefix (see `TOKEN_START`) starts at `at`. */
function startsToken(text: string, at: number): boolean {
  TOKEN_START.lastIndex = at;
  return TOKEN_START.test(text);
}

/**
 * Token prefixes to look for reversed (`rev`) or in ROT13 at the ends of runs: the
 * keywords of token rules made of letters, digits, `_` and `-`, three characters or more.
 */
const TURNED = turnedHeads(
  RULES.filter((r) => r.kind === "token").flatMap((r) => r.keywords)
    .filter((k) => /^[a-z0-9_-]{3,}$/i.test(k)),
);

/**
 * What is shown of `name`, a path or a ref whose text holds a secret from offset `at`
 * on: up to the part (between slashes) the secret starts in, then `HIDDEN_NAME` for the
 * rest (a secret in base64 may run past a slash).
 */
function nameLabel(name: string, at: number): string {
  return name.slice(0, name.lastIndexOf("/", at - 1) + 1) + HIDDEN_NAME;
}

/**
 * The first secret in `name` (a path, a ref) and what is shown of it instead (see
 * `nameLabel`); undefined when it holds none. A secret cut at the name's slashes or dots
 * (`refs/heads/ghp_Zq8L/w2Rt...`, a token's hex in a file's name and the directory
 * above it) is found too, as the DLP finds one split across fields (see `splitInPieces`).
 */
export function secretInName(
  name: string,
  values: readonly string[] = [],
): { finding: Located; label: string } | undefined {
  const finding = findSecrets(name, { values })[0];
  if (finding) return { finding, label: nameLabel(name, finding.index) };
  return secretCutInName(name, values);
}

/**
 * `secretInName` for a secret cut at the name's slashes or dots only, for a caller that
 * scanned the name as written already (the gate scans a push's paths all at once).
 */
export function secretCutInName(
  name: string,
  values: readonly string[] = [],
): { finding: Located; label: string } | undefined {
  const split = splitInPieces(name, values);
  return split && { finding: split.finding, label: nameLabel(name, split.at + 1) };
}

/**
 * A secret cut into the pieces of a name without white space (a path's or a ref's parts
 * between slashes, a host name's labels between dots), each piece percent-decoded: the
 * pieces joined are scanned as a request's fields are (`findSplitSecrets`). `at`: where
 * in `name` the piece it starts in starts.
 */
function splitInPieces(
  name: string,
  values: readonly string[] = [],
): { finding: Located; at: number } | undefined {
  if (/\s/.test(name) || !/[./]/.test(name)) return undefined;
  const starts: number[] = [];
  const pieces: string[] = [];
  for (const m of name.matchAll(/[^./]+/g)) {
    starts.push(m.index);
    // As written where decoding makes white space (`%20`): the join leaves out a field
    // with some, which would shift every piece after it. A separator written encoded
    // (`%2F`) separates too.
    let piece = m[0];
    try {
      piece = decodeURIComponent(piece).replace(/[./]/g, "");
    } catch { /* not percent-encoding */ }
    pieces.push(/\s/.test(piece) || piece === "" ? m[0] : piece);
  }
  const finding = findSplitSecrets(pieces, values, { decode: true })[0];
  if (!finding) return undefined;
  // The piece the finding starts in, counted in the pieces as joined.
  let k = 0;
  for (let end = pieces[0]!.length; end <= finding.index && k < pieces.length - 1;) {
    end += pieces[++k]!.length;
  }
  return { finding, at: starts[k]! };
}

/**
 * `text` as a log may keep it: unchanged when it holds no secret; else what comes before
 * the word the first secret starts in, then a label naming the secret's kind (`[GitHub
 * token hidden]`). A secret found decoded is placed at its encoded run, or roughly in a
 * window decoded in place: nothing of that word or after it is kept. A path or a host
 * name is also read as the DLP reads it, its pieces joined (a token cut at the slashes of
 * `/ghp_Zq8L/w2Rt...`, its hex at the dots of `<hex>.<hex>.example.com`): what comes
 * before the piece it starts in is kept.
 */
export function hideSecrets(text: string): string {
  const first = findSecrets(text)[0];
  if (first) {
    const start = Math.max(text.slice(0, first.index).search(/\S*$/), 0);
    return `${text.slice(0, start)}[${first.description} hidden]`;
  }
  const split = splitInPieces(text);
  return split ? `${text.slice(0, split.at)}[${split.finding.description} hidden]` : text;
}

/** The values set by `setPublicValues`, in order (for a scan run in another worker). */
export function getPublicValues(): readonly string[] {
  return publicList;
}

/** `findings` in `source` without those whose text is a public value. */
function notPublic(source: string, findings: Finding[]): Finding[] {
  if (publicValues.size === 0) return findings;
  return findings.filter((f) => !publicValues.has(source.slice(f.index, f.index + f.length)));
}

let shared: Detector | undefined;
let joinedOnly: Detector | undefined;

/** The detector over every rule, its survey finding the heads of cut prefixes too (`CUT_HEADS`). */
export function detector(): Detector {
  shared ??= new Detector(RULES, [...CUT_HEADS.keys()]);
  return shared;
}

/** How many characters of a prefix its head is (see `CUT_HEADS`). */
const HEAD = 4;

/**
 * The first `HEAD` characters of each token prefix longer than that, of letters, digits,
 * `_` and `-` (`gith` of `github_pat_`, `dckr` of `dckr_pat_`), and the prefixes each
 * starts: a token cut every so many characters inside its prefix (`github_p at_11AB ...`,
 * `fold -w 8 | paste -sd' '`) starts with one, where no keyword finds the whole prefix.
 * Keywords of the survey that wake no rule (see `cutPrefixEnd`).
 */
const CUT_HEADS: ReadonlyMap<string, readonly string[]> = (() => {
  const heads = new Map<string, string[]>();
  const prefixes = new Set(RULES.filter((r) => r.kind === "token").flatMap((r) => r.keywords));
  for (const prefix of prefixes) {
    if (!separatedPrefix(prefix) || !/^[a-z0-9]{2}[a-z0-9_-]{3,}$/.test(prefix)) continue;
    const head = prefix.slice(0, HEAD);
    heads.set(head, [...(heads.get(head) ?? []), prefix]);
  }
  return heads;
})();

/**
 * Rules strong enough to judge text glued together from several fields, without the
 * boundaries a token has in running text (`findSplitSecrets` checks them, and the
 * fields' edges).
 */
function tokenDetector(): Detector {
  joinedOnly ??= new Detector(RULES.filter((r) => r.kind === "token").map(unbounded));
  return joinedOnly;
}

let capitalized: Detector | undefined;

/**
 * Token rules whose tokens carry a checksum, so that one written in capitals is had back
 * by trying its letters' cases (GitHub's and npm's: a CRC32 in the last six characters).
 */
const CHECKSUMMED = new Set(["github-token", "npm-access-token"]);

/**
 * Whether a token rule's body is of one case of letters (hex, base32, small letters and
 * digits): its token written in capitals is the same token, had back by `tr A-Z a-z`.
 */
function oneCase(rule: Rule): boolean {
  const source = unbounded(rule).pattern.source;
  return !(/A-Z/.test(source) && /a-z/.test(source)) && !/\\w/.test(source);
}

/**
 * Token rules blind to case, for a token written in capitals (see `capitalsFindings`):
 * those whose token can be had back from its capitals (`oneCase`, `CHECKSUMMED`). Another
 * in capitals (a Google API key's) has lost a bit a letter.
 */
function capitalsDetector(): Detector {
  capitalized ??= new Detector(
    RULES.filter((r) => r.kind === "token" && (oneCase(r) || CHECKSUMMED.has(r.id))).map(
      blindToCase,
    ),
  );
  return capitalized;
}

/** `rule` with its pattern blind to case. */
function blindToCase(rule: Rule): Rule {
  const flags = rule.pattern.flags.replace("i", "") + "i";
  return { ...rule, pattern: new RegExp(rule.pattern.source, flags) };
}

let byId: Map<string, Rule> | undefined;

/** The rule of that id, as written (with its edges). */
function ruleById(id: string): Rule | undefined {
  byId ??= new Map(RULES.map((r) => [r.id, r]));
  return byId.get(id);
}

/** How one of the bottle's values is written where it was found. */
type ValueForm = "plain" | Turned | "concatenated" | "folded" | "split" | "assigned";

/** How a value was turned around: reversed, in ROT13, or both. */
type Turned = "reversed" | "rot13" | "reversed-rot13";

/** How the bottle's values are looked for, turned around (see `valueForms`). */
interface ValueForms {
  /** `TURNED` and the heads of the values looked for at the ends of runs. */
  heads: TurnedHeads;
  /**
   * The other values' turned forms, looked for anywhere, all with one regular expression
   * (global): for a few, a pass costs what one `indexOf` does, where an `indexOf` for
   * each cost a scan of source code 3% a form.
   */
  other: RegExp | undefined;
  /** What each of those forms is. */
  otherForms: Map<string, Turned>;
  /** The values of 8 characters or more, each with its first `VALUE_HEAD` (see `valueFindings`). */
  looked: [string, string][];
  /** Where any of those heads is, all with one regular expression (global; see `headsPattern`). */
  lookedHeads: RegExp | undefined;
}

let formsFor: readonly string[] = [];
let forms: ValueForms = {
  heads: TURNED,
  other: undefined,
  otherForms: new Map(),
  looked: [],
  lookedHeads: undefined,
};
/** Those of the few values lists asked for before (a process that scans for the DLP and the gate). */
const earlierForms = new Map<string, ValueForms>();

/**
 * How the bottle's `values` are looked for reversed and in ROT13, kept for the last
 * values asked for (callers pass the same few values, in a new array for each field). A
 * value of a run's characters, a run's length or more, is looked for where tokens are
 * (at the ends of runs and a path's segments, see `turnedRuns`): its head is added to
 * theirs, and the window turned back is searched for it as it is. Looking for each
 * turned form anywhere (`indexOf`) cost a scan of source code 3% a form; that is left for
 * the values a run cannot hold whole (shorter, or with a `/`, a space or a mark).
 */
function valueForms(values: readonly string[]): ValueForms {
  if (values.length === formsFor.length && values.every((v, i) => v === formsFor[i])) return forms;
  const key = values.join("\0");
  const earlier = earlierForms.get(key);
  formsFor = [...values];
  if (earlier) return forms = earlier;
  const long = values.filter((v) => v.length >= 8);
  const atRuns = long.filter((v) =>
    v.length >= MIN_RUN && /^[A-Za-z0-9+_-]+$/.test(v) && turnable(v)
  );
  const otherForms = new Map<string, Turned>();
  const turn = (form: string, how: Turned) => {
    if (!otherForms.has(form) && !long.includes(form)) otherForms.set(form, how);
  };
  for (const v of long) {
    if (atRuns.includes(v)) continue;
    turn(reverseText(v), "reversed");
    turn(rot13(v), "rot13");
    turn(rot13(reverseText(v)), "reversed-rot13");
  }
  // Longest first: of two forms where one holds the other, the longer is found.
  const alternatives = [...otherForms.keys()].toSorted((a, b) => b.length - a.length)
    .map(escapeRegExp);
  forms = {
    heads: atRuns.length ? turnedHeads(atRuns, TURNED) : TURNED,
    other: alternatives.length ? new RegExp(alternatives.join("|"), "g") : undefined,
    otherForms,
    looked: long.map((v) => [v, v.slice(0, VALUE_HEAD)]),
    lookedHeads: long.length ? headsPattern(long.map((v) => v.slice(0, VALUE_HEAD))) : undefined,
  };
  // A few kept (each holds three bit sets of 8 KiB): a value list made anew for each
  // request (a bottle's approved values changing) does not grow it.
  if (earlierForms.size >= 4) earlierForms.delete(earlierForms.keys().next().value!);
  earlierForms.set(key, forms);
  return forms;
}

/**
 * The characters a value of the bottle starts with that it is looked for by: where they
 * are, the value as it is, or in pieces from there (see `valuePieces`). A value in pieces
 * is found when its first piece holds them: halves of a value of 24 characters or more,
 * `fold -w 12` and wider. Eight had cost a scan of source code 3% a value more than
 * looking for the whole value (a shorter string is searched for with shorter skips).
 */
const VALUE_HEAD = 12;

/**
 * One global pattern for where any of `heads` is, each written with its first character
 * as a class: V8 searches a pattern that is one literal as `indexOf` does, which over
 * source code is a fourth as fast as its own search of a pattern (a 12-character head
 * took 0.32 ms a MiB, 0.08 so), and a pass for each value had cost a scan 3% a value.
 */
function headsPattern(heads: readonly string[]): RegExp {
  const source = [...new Set(heads)].map((h) =>
    `[\\u${h.charCodeAt(0).toString(16).padStart(4, "0")}]${escapeRegExp(h.slice(1))}`
  );
  return new RegExp(source.join("|"), "g");
}

/**
 * One of the bottle's values written in pieces from `at`, where its first `VALUE_HEAD`
 * characters are: in quoted pieces joined in code, cut into lines or split into pieces,
 * read as a token is from its prefix (a value has no prefix a rule knows, but the bottle
 * knows the whole of it). Its length as written, through the piece its last character is
 * in, and how it is written; undefined if the pieces there are not it.
 */
function valuePieces(
  text: string,
  value: string,
  at: number,
): { length: number; form: ValueForm } | undefined {
  const readers = [
    [quotedPieces(), "concatenated"],
    [foldedPieces(), "folded"],
    [splitPieces(), "split"],
    [assignedPieces(), "assigned"],
  ] as const;
  for (const [gather, form] of readers) {
    const read = gather(text, at, at + VALUE_HEAD);
    if (read === undefined || read.pieces.length < 4) continue;
    const { pieces } = read;
    let joined = "";
    let k = 0;
    for (; k < pieces.length && joined.length < value.length; k += 2) {
      joined += text.slice(pieces[k], pieces[k + 1]);
    }
    // Two pieces or more make it (in one, it is written as it is).
    if (k > 2 && joined.startsWith(value)) {
      return { length: pieces[k - 1]! - (joined.length - value.length) - at, form };
    }
  }
  return undefined;
}

/** A finding of one of the bottle's own values, at `index`, written as `form`. */
function valueFinding(
  index: number,
  length: number,
  form: ValueForm,
): { finding: Finding; form: ValueForm } {
  return {
    finding: { rule: "bottle-credential", description: "a secret of this bottle", index, length },
    form,
  };
}

/**
 * The bottle's own values (at least 8 characters) that occur in `text`: the first place
 * of each as it is, each place of each in pieces (quoted, cut into lines, split by
 * spaces: see `valuePieces`) and (for values a run cannot hold, see `valueForms`) the
 * first reversed and in ROT13, with how it is written there.
 */
function valueFindings(
  text: string,
  values: readonly string[],
): { finding: Finding; form: ValueForm }[] {
  const out: { finding: Finding; form: ValueForm }[] = [];
  if (values.length === 0) return out;
  const { other, otherForms, looked, lookedHeads } = valueForms(values);
  // Where a value's head is (from where the value's last finding ends on): the value as it
  // is there (the first place: the cut-out takes every one), or in pieces from there (each
  // place: the cut-out takes each as written). Each value's findings in its own list, in
  // the order of the values.
  const each = looked.map(() => ({ next: 0, plain: false, out: [] as typeof out }));
  if (lookedHeads) lookedHeads.lastIndex = 0;
  for (let m = lookedHeads?.exec(text); m; m = lookedHeads!.exec(text)) {
    const i = m.index;
    for (let k = 0; k < looked.length; k++) {
      const [v, head] = looked[k]!;
      const mine = each[k]!;
      if (i < mine.next || !text.startsWith(head, i)) continue;
      mine.next = i + 1;
      if (text.startsWith(v, i)) {
        if (!mine.plain) mine.out.push(valueFinding(i, v.length, "plain"));
        mine.plain = true;
        mine.next = i + v.length;
      } else {
        const inPieces = valuePieces(text, v, i);
        if (inPieces) {
          mine.out.push(valueFinding(i, inPieces.length, inPieces.form));
          mine.next = i + inPieces.length;
        }
      }
    }
    // Every place a head starts, also inside another's match.
    lookedHeads!.lastIndex = i + 1;
  }
  for (const mine of each) out.push(...mine.out);
  if (!other) return out;
  const seen = new Set<string>();
  other.lastIndex = 0;
  for (let m = other.exec(text); m && seen.size < otherForms.size; m = other.exec(text)) {
    if (seen.has(m[0])) continue;
    seen.add(m[0]);
    out.push(valueFinding(m.index, m[0].length, otherForms.get(m[0])!));
  }
  return out;
}

/** `valueFindings`, whatever form each is in (for a text whose own encoding names them). */
function valuesIn(text: string, values: readonly string[]): Finding[] {
  return valueFindings(text, values).map((v) => v.finding);
}

/** A text longer than this is scanned a piece at a time (a file is read in pieces of it too). */
export const PIECE = 4 << 20;
/** How much each piece repeats of the one before: more than any secret, encoded, is long. */
export const OVERLAP = 64 << 10;

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
function quotedPieces(
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
function inPieces(
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
function foldedPieces(): (text: string, start: number, end: number) => Pieces | undefined {
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
function splitPieces(): (text: string, start: number, end: number) => Pieces | undefined {
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
function assignedPieces(): (text: string, start: number, end: number) => Pieces | undefined {
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

/** How `findSecrets` reads a text. */
export interface FindOptions {
  /** The bottle's own values, found in any form. */
  values?: readonly string[];
  /** Whether decoded forms are read (`false`: as written, and in pieces, only). */
  decode?: boolean;
  /** The bytes the text was decoded from (a faster survey). */
  utf8?: Uint8Array;
  /**
   * Whether the text is a request's body, whose own JSON fields are read joined as fields
   * (`findSplitSecrets`): an object's values are then joined across keys only inside a
   * JSON string (a file the request carries).
   */
  ownFields?: boolean;
}

/**
 * Every secret in `text`: rule matches and the bottle's `values`, as written and in
 * each decoded form (two levels deep: base64 of percent-encoding, and so on). `utf8`:
 * the bytes `text` was decoded from, when the caller holds them (a faster survey).
 * Offsets of decoded findings point at where the encoded run starts. A long text is
 * scanned in overlapping pieces, so that what a scan holds at once (decoded forms,
 * normalised windows: up to ten times the text) stays bounded by the piece's size; a 32
 * MiB blob of compressed data had taken a scan past 500 MB.
 */
export function findSecrets(
  text: string,
  options: FindOptions = {},
): Located[] {
  if (text.length <= PIECE + OVERLAP) return findInPiece(text, options);
  // Pieces are scanned as text: where a piece starts in the bytes is not known.
  options = { ...options, utf8: undefined };
  const pieces: { at: number; found: readonly Located[] }[] = [];
  for (let at = 0; at < text.length; at += PIECE) {
    pieces.push({ at, found: findInPiece(text.slice(at, at + PIECE + OVERLAP), options) });
    if (at + PIECE + OVERLAP >= text.length) break;
  }
  return joinPieces(pieces);
}

/**
 * The findings of pieces of one text, each found in the text from its `at` on, as the
 * text's: at its offsets, each once, those shadowed by another dropped, in order.
 */
export function joinPieces(
  pieces: Iterable<{ at: number; found: readonly Located[] }>,
): Located[] {
  const out: Located[] = [];
  const seen = new Set<string>();
  for (const { at, found } of pieces) {
    for (const f of found) {
      const index = at + f.index;
      const key = `${f.rule}:${f.encoding}:${index}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const written = f.written && [at + f.written[0], at + f.written[1]] as [number, number];
      out.push({ ...f, index, ...(written ? { written } : {}) });
    }
  }
  return dropShadowed(out, rankOf).toSorted((a, b) => a.index - b.index);
}

const ranks = new Map<string, number>();
function rankOf(f: Located): number {
  let r = ranks.get(f.rule);
  if (r === undefined) ranks.set(f.rule, r = detector().rank(f.rule));
  return r;
}

/**
 * The tokens written in groups or in pieces in `text` (quoted in code, cut into lines,
 * split across variables, in capitals, split into pieces; see each reader), read from
 * where a token rule's keyword starts one, or where the rest of a prefix cut within its
 * first characters is (see `headCuts`; with `cutHeads`): those `early` by how each is
 * written, in the order they are added; those `split` by spaces, lines or marks apart.
 */
function piecesIn(
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

function findInPiece(
  text: string,
  options: FindOptions,
): Located[] {
  const values = options.values ?? [];
  const out: Located[] = [];
  const seen = new Set<string>();
  // Found by a reader of runs in a window decoded in place (see the end).
  const inWindow = new Set<Located>();
  // The hex dumps of the text, where they are (see the end).
  const dumps: [number, number][] = [];
  const add = (findings: Finding[], encoding: Encoding, windowed = false) => {
    for (const f of findings) {
      const index = f.index;
      const key = `${f.rule}:${index}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const located = { ...f, index, encoding };
      out.push(located);
      if (windowed) inWindow.add(located);
    }
  };
  const survey = detector().survey(text, options.utf8);
  add(notPublic(text, detector().findings(text, survey)), "plain");
  for (const { finding, form } of valueFindings(text, values)) add([finding], form);
  // Tokens in groups or in pieces; those split by spaces or lines after the decoded
  // forms, so that a token cut into lines that the lines joined hold is said to be cut
  // into lines.
  const { early, split, deep } = piecesIn(text, survey, options.ownFields);
  for (const [found, encoding] of early) add(found, encoding);
  if (options.decode === false) {
    add(split, "split");
    return out;
  }
  const heads = values.length ? valueForms(values).heads : TURNED;
  let traces = 0;
  // `span`: at depth 1, where in `text` the window decoded in place that `source` is
  // lies (offsets in it are offsets in `text`, roughly); undefined for a decoded run.
  // `asWritten`: the secrets found in `source` itself (`keyOf`); `ownPieces`: the tokens
  // in pieces found in it.
  const level = (
    source: string,
    surveyed: Survey,
    depth: number,
    at: number,
    span: [number, number] | undefined,
    asWritten: Set<string>,
    ownPieces: readonly Finding[],
    deepBreaks: readonly number[],
    parent?: Encoding,
  ) => {
    for (const v of variants(source, surveyed, TOKEN_START, heads, deepBreaks)) {
      // (In a window decoded in place, roughly where: decoding shortens it.)
      if (v.through !== undefined && (depth === 0 || span !== undefined)) {
        dumps.push([at + v.at, at + v.through + (span ? span[1] - span[0] - source.length : 0)]);
      }
      // Offsets in what a run decodes to are none in the text: what is found a level down
      // in it points at the run's start, as what is found in it does (a token found there
      // and again put back together from its marks, `cut`, is one finding).
      const where = depth > 0 && span === undefined ? at : at + v.at;
      if (v.unchecked) {
        add([{ ...UNCHECKED, index: where, length: 0 }], v.encoding);
        continue;
      }
      // Groups joined are read for what only the join decodes (see `FROM_GROUPS`).
      if (parent === "chunks" && !FROM_GROUPS.has(v.encoding)) continue;
      // A window decoded in place keeps offsets roughly; a decoded run points at its start.
      const inPlace = WINDOWED.has(v.encoding);
      // Where a finding in a window of the text itself is written (for the first
      // `MAX_TRACES` traces: each decodes the window hundreds of times).
      const traced = depth === 0 ? v.origin : undefined;
      const origin = traced &&
        ((a: number, b: number): [number, number] =>
          traces++ < MAX_TRACES ? traced(a, b) : [-1, -1]);
      const place = (fs: Finding[]) =>
        fs.map((f): Finding & Pick<Located, "written"> => ({
          ...f,
          index: inPlace ? where + f.index : where,
          ...(origin && ownPieced.has(f) && traces < MAX_TRACES
            ? { written: origin(f.index, f.index + f.length) }
            : {}),
        }));
      const inner = detector().survey(v.text);
      let decoded = notPublic(v.text, detector().findings(v.text, inner));
      if (v.whole) decoded = decoded.filter((f) => f.index === 0 && f.length === v.text.length);
      // What this text holds as written, for lines joined within it (all of it: a secret
      // left out below as found elsewhere is still this text's own).
      const own = new Set(decoded.map((f) => keyOf(f, v.text)));
      let valued = valuesIn(v.text, values);
      // Found again in a window around it (a `%` or `\` nearby that decodes to something
      // else), a secret written as it is stays one finding: the one where it is written.
      // So too in a window within such a window (a `%XX` near a zero-width character).
      const within: [number, number] | undefined = depth > 0
        ? span && [where, span[1]]
        : v.end === undefined
        ? undefined
        : [where, v.end];
      // Tokens in pieces in what a run or a window decodes to (`"ghp_Zq8L" + "w2Rt..."` in
      // base64, pieces a zero-width character apart): but in a join of lines or groups,
      // itself pieces joined; and in a window, but those the text it is in holds as
      // written (`ownPieces`), and, in a window looked at for look-alikes, but a prefix cut
      // within its head (such a window is most of an executable uploaded: read for those,
      // it cost its scan 6%).
      let pieced: Finding[] = [];
      let innerDeep: readonly number[] = [];
      const ownPieced = new Set<Finding>();
      if (!v.whole && !JOINS.has(v.encoding) && v.encoding !== "shifted") {
        const { early, split: parts, deep } = piecesIn(
          v.text,
          inner,
          false,
          v.encoding !== "normalized",
        );
        innerDeep = deep;
        pieced = [...early.flatMap(([found]) => found), ...parts];
        const end = v.end;
        if (inPlace && end !== undefined) {
          pieced = pieced.filter((f) =>
            !ownPieces.some((w) => w.rule === f.rule && w.index < end && w.index + w.length > v.at)
          );
        }
        for (const f of pieced) ownPieced.add(f);
        decoded.push(...pieced);
      }
      // A window cut out of the middle of the text has no edges of its own: what runs to
      // where it was cut may run on past it (a value assigned in minified code, cut at the
      // window's end, read as ending there).
      if (inPlace && v.end !== undefined && (v.at > 0 || v.end < source.length)) {
        const last = v.end < source.length ? v.text.length : Infinity;
        const first = v.at > 0 ? 0 : -1;
        decoded = decoded.filter((f) => f.index !== first && f.index + f.length < last);
      }
      if (inPlace && within) {
        decoded = writtenElsewhere(decoded, v.text, text, out, ...within, origin);
        valued = writtenElsewhere(valued, v.text, text, out, ...within, origin);
      }
      // Lines joined hold each line's own secrets too (a token ending its line runs on
      // into the next line's first word): those are found in the lines as they are. And a
      // window decoded in place within a decoded run (a `%` or `=` among an image's bytes,
      // just before a `.env` in base64 after it) holds the run's own secrets again: those
      // are the run's finding (one in a hundred images had the token said twice).
      if (v.encoding === "lines" || (depth > 0 && inPlace && span === undefined)) {
        decoded = decoded.filter((f) => !asWritten.has(keyOf(f, v.text)));
      }
      // Groups joined (see `variants`) are read for what they decode to, a level down: a
      // token or a value in pieces as written is for the readers of pieces (`split`,
      // `folded`, `grouped`), whose rules keep a unit or a counter after a key out.
      if (v.encoding === "chunks") {
        decoded = [];
        valued = [];
      }
      // A run read in a window decoded in place (`=\n`, a soft line break, taken out before
      // it) may be read as written too: see the end.
      const windowed = depth > 0 && span !== undefined && !inPlace;
      add(place(decoded), v.encoding, windowed);
      add(place(valued), v.encoding, windowed);
      // A token put back together from groups (`cut`) holds nothing more to decode; a run
      // shifted back (`shifted`) is read as it is (see `shiftedRuns` in decode.ts).
      if (depth === 0 && v.encoding !== "cut" && v.encoding !== "shifted") {
        level(
          v.text,
          // Dumps are read from the text as written: lines joined only glue a dump's lines
          // together, and read again they would find what it shows a second time.
          v.encoding === "lines" || v.encoding === "chunks" ? withoutDumps(inner) : inner,
          1,
          where,
          inPlace && v.end !== undefined ? [where, v.end] : undefined,
          own,
          pieced,
          innerDeep,
          v.encoding,
        );
      }
    }
  };
  level(
    text,
    survey,
    0,
    0,
    undefined,
    new Set(out.filter((f) => f.encoding === "plain").map((f) => keyOf(f, text))),
    [...early.flatMap(([found]) => found), ...split],
    deep,
  );
  add(split, "split");
  // A token a run's reader found in a window and also as the text is written is one
  // finding, the one as written: by its rule, a few characters on (what the window decodes
  // before the run shortens it: `=\n` taken out), however the other was read (as written
  // where the window's reading put it back together from its marks). Further, it is
  // another (the next line's), or said twice.
  let once = out;
  if (inWindow.size > 0) {
    const written = placesByRule(out.filter((f) => !inWindow.has(f)), (f) => [f.index, f.index]);
    once = once.filter((f) =>
      !inWindow.has(f) || !holds(written.get(f.rule), f.index, f.index + WINDOW_SHIFT)
    );
  }
  // A hex dump's token read again from its text column (a line's end and the next line's
  // offset, `xoxb-2401383461-` and `00000010`, read as a token cut into lines) is the
  // dump's finding.
  if (dumps.length > 0) {
    dumps.sort((a, b) => a[0] - b[0]);
    const dumped = placesByRule(once.filter((f) => f.encoding === "hexdump"), (f) => {
      const dump = dumps[lastAtOrBefore(dumps, f.index)];
      return dump && f.index < dump[1] ? dump : undefined;
    });
    once = once.filter((f) => f.encoding === "hexdump" || !holds(dumped.get(f.rule), f.index));
  }
  return dropShadowed(once, rankOf).toSorted((a, b) => a.index - b.index);
}

/** How far before its run as written a run's finding in a window may point (see the end of `findInPiece`). */
const WINDOW_SHIFT = 2 * MIN_RUN;

/**
 * Stretches (`from`, `to`) of findings, by rule, sorted by where they start: each
 * finding's `place`, or none. For a look at each of many findings that is not a pass over
 * all of them (a body of thousands of secrets).
 */
function placesByRule(
  findings: readonly Located[],
  place: (f: Located) => readonly [number, number] | undefined,
): Map<string, (readonly [number, number])[]> {
  const out = new Map<string, (readonly [number, number])[]>();
  for (const f of findings) {
    const at = place(f);
    if (!at) continue;
    const list = out.get(f.rule);
    if (list) list.push(at);
    else out.set(f.rule, [at]);
  }
  for (const list of out.values()) list.sort((a, b) => a[0] - b[0]);
  return out;
}

/**
 * Whether one of `stretches` (sorted by start) holds `at` (from its start to its end, or
 * up to `to`: one that starts between `at` and `to`).
 */
function holds(
  stretches: readonly (readonly [number, number])[] | undefined,
  at: number,
  to?: number,
): boolean {
  if (!stretches) return false;
  if (to !== undefined) {
    const k = lastAtOrBefore(stretches, to);
    return k >= 0 && stretches[k]![0] >= at;
  }
  const k = lastAtOrBefore(stretches, at);
  return k >= 0 && at < stretches[k]![1];
}

/** The index of the last of `sorted` (by start) that starts at or before `at`; -1 if none. */
function lastAtOrBefore(sorted: readonly (readonly [number, number])[], at: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid]![0] <= at) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}

/**
 * Findings in decoded windows of one text traced back to where they are written: a token
 * in pieces (see `Located.written`; past this, it is refused rather than cut out), and one
 * written with escapes inside it as well as found as written (see `writtenElsewhere`;
 * past this, said twice).
 */
const MAX_TRACES = 64;

/**
 * What groups joined (`chunks`, see `variants`) are decoded to, a level down: hex,
 * base32 and bits (their base64 is decoded where they are joined). What each run is read
 * for alone (turned around, in ROT13, doubled) is read in the runs as written: read again
 * in the join, a token was said twice.
 */
const FROM_GROUPS: ReadonlySet<Encoding> = new Set<Encoding>(["hex", "base32", "base2"]);

/**
 * Variants not read for tokens in pieces: what lines or groups joined decode to (see
 * `variants`), pieces joined already; and a dump's readings, one a line (a byte out of
 * range ends a reading: the next one is no piece of it).
 */
const JOINS: ReadonlySet<Encoding> = new Set<Encoding>(["lines", "chunks", "cut", "hexdump"]);

/** A finding's rule and the secret it found in `text`: the same secret found twice has one key. */
function keyOf(f: Finding, text: string): string {
  return `${f.rule}\0${text.slice(f.index, f.index + f.length)}`;
}

/**
 * `findings` in window `decoded` (the text from `from` to `to` of `text`, decoded in
 * place) less those that are a finding as written in that stretch, by the same rule and
 * of the same text: each one found as written answers for the nearest found in the
 * window (decoding moves what follows by what it shortens or lengthens before it); or,
 * with `origin` (see `Variant.origin`), by the same rule where it is traced back to.
 */
function writtenElsewhere(
  findings: Finding[],
  decoded: string,
  text: string,
  found: readonly Located[],
  from: number,
  to: number,
  origin?: (from: number, to: number) => [number, number],
): Finding[] {
  const written = found.filter((p) =>
    p.encoding === "plain" && p.index >= from && p.index + p.length <= to
  );
  if (written.length === 0) return findings;
  const claimed = new Set<Located>();
  // The window's findings that one as written answers for: another of the same rule at the
  // same place (a token read as written and as pieces in the window) is answered too.
  const answered = new Set<string>();
  return findings.filter((f) => {
    if (answered.has(`${f.rule}:${f.index}`)) return false;
    const secret = decoded.slice(f.index, f.index + f.length);
    let nearest: Located | undefined;
    for (const p of written) {
      if (claimed.has(p) || p.rule !== f.rule) continue;
      if (text.slice(p.index, p.index + p.length) !== secret) continue;
      const distance = Math.abs(p.index - (from + f.index));
      if (!nearest || distance < Math.abs(nearest.index - (from + f.index))) nearest = p;
    }
    // Written with escapes inside it that the window resolved (a key's line breaks, two
    // levels deep), its text is another: the one written where it is traced back to.
    if (nearest === undefined && origin && written.some((p) => p.rule === f.rule)) {
      const [a, b] = origin(f.index, f.index + f.length);
      nearest = written.find((p) =>
        !claimed.has(p) && p.rule === f.rule && p.index < b && p.index + p.length > a
      );
    }
    if (nearest === undefined) return true;
    claimed.add(nearest);
    answered.add(`${f.rule}:${f.index}`);
    return false;
  });
}

/** Whether `text` holds white space (ASCII; a field past ASCII is kept). */
function hasSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) return true;
  }
  return false;
}

/** The index of the first of `sorted` past `at` (its length when none is). */
function firstAfter(sorted: readonly number[], at: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid]! <= at) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Secrets split across the fields of one message (query parameters, headers, JSON
 * values): the fields are glued together and scanned with the token rules and the
 * bottle's values. A token holds no white space: fields with some (prose, a sentence's
 * worth of a value) are left out, which glues the fields on either side of one together
 * (a spacer between two pieces hides nothing) and keeps the text short. `decode`: also
 * decode what only the gluing made a run of base64, hex or base32 (see `decodedAcross`).
 * `whole`: only a token made of whole fields, from a field's start to a field's end (for
 * fields of many messages: a prefix ending one, then other fields' values as they came,
 * can make a token's length without being one).
 */
export function findSplitSecrets(
  all: readonly string[],
  values: readonly string[] = [],
  options: { decode?: boolean; whole?: boolean } = {},
): Located[] {
  // Where each field starts, in order (and where the text ends): a token split across
  // fields has an edge inside it, and starts and ends where a token may in running text
  // or at an edge (the fields around it are glued on: `assistant` + `ghp_...` + `...` +
  // `user`).
  const fields: string[] = [];
  const starts = [0];
  for (const field of all) {
    if (field.length === 0 || hasSpace(field)) continue;
    fields.push(field);
    starts.push(starts[starts.length - 1]! + field.length);
  }
  if (fields.length < 2) return [];
  const joined = fields.join("");
  const survey = tokenDetector().survey(joined);
  const found = tokenDetector().findings(joined, survey);
  const split = found.filter((f) => {
    const end = f.index + f.length;
    const [startsHere, endsHere] = tokenEdges(joined, f.index, end, ruleById(f.rule));
    const next = firstAfter(starts, f.index);
    const across = next < starts.length && starts[next]! < end;
    const atStart = starts[next - 1] === f.index;
    const atEnd = starts[firstAfter(starts, end - 1)] === end;
    return across &&
      (options.whole ? atStart && atEnd : (startsHere || atStart) && (endsHere || atEnd));
  });
  return [
    ...[...notPublic(joined, split), ...valuesIn(joined, values)].map((f) => ({
      ...f,
      encoding: "joined" as const,
    })),
    ...(options.decode ? decodedAcross(joined, survey.runs, starts, values) : []),
  ];
}

/**
 * The secrets in the encoded runs of `joined` that only gluing its fields made (their
 * pieces in two fields or more: `p1=Z2hwX1px&p2=OEx3...`), decoded (base64, hex,
 * base32) and scanned with the token rules and the bottle's values; each pointing at
 * its run. A run within one field was decoded with the text it came in.
 */
function decodedAcross(
  joined: string,
  runs: readonly number[],
  starts: readonly number[],
  values: readonly string[],
): Located[] {
  // The runs, a space apart (no line break: runs on lines in a row are joined), decoded
  // in one call; `at`: where each starts in that text and in `joined`.
  const pieces: string[] = [];
  const at: [number, number][] = [];
  /** The runs that span an edge, in `joined`. */
  const across: [number, number][] = [];
  let length = 0;
  // The survey's runs of the base64 alphabets (which hex and base32 are within).
  for (let r = 0; r < runs.length; r += 2) {
    const from = runs[r]!;
    const end = runs[r + 1]!;
    const next = firstAfter(starts, from);
    if (!(next < starts.length && starts[next]! < end)) continue;
    const piece = joined.slice(from, end);
    // Encoded data holds a digit, or both cases (base64 of random bytes lacks a digit once
    // in a thousand forty-character runs; hex or base32 all but never): names glued
    // together (`userassistantuser...`, a JSON body's roles) hold neither.
    if (!/[0-9]/.test(piece) && !(/[a-z]/.test(piece) && /[A-Z]/.test(piece))) continue;
    at.push([length, from]);
    across.push([from, end]);
    pieces.push(piece);
    length += piece.length + 1;
  }
  if (pieces.length === 0) return [];
  const out: Located[] = [];
  const offsets = at.map(([offset]) => offset);
  // Only the runs are read: what else a survey finds in them (a hex dump's characters,
  // and so on) is no run's encoding, and had cost most of the time.
  const spans = at.flatMap(([offset], i) => [offset, offset + pieces[i]!.length]);
  const survey = {
    runs: spans,
    triggers: [],
    odd: [],
    marked: [],
    dumps: [],
    spaced: [],
    joined: [],
  };
  const decoded = variants(pieces.join(" "), survey)
    .filter((v) => !v.unchecked && /^(base64|hex|base32|base2)$/.test(v.encoding))
    .map((v) => ({ v, run: at[Math.max(0, firstAfter(offsets, v.at) - 1)]![1] }));
  // Turned around, then cut (`rev`, then a piece a field): turned back from the edges
  // between fields within each run.
  const heads = values.length ? valueForms(values).heads : TURNED;
  for (const [from, end] of across) {
    const edges = starts.slice(firstAfter(starts, from - 1), firstAfter(starts, end));
    for (const v of turnedAtEdges(joined, from, end, edges, heads)) decoded.push({ v, run: from });
  }
  for (const { v, run } of decoded) {
    for (
      const f of [
        ...notPublic(v.text, tokenDetector().scan(v.text)),
        ...valuesIn(v.text, values),
      ]
    ) {
      out.push({ ...f, index: run, encoding: v.encoding });
    }
  }
  return out;
}
