/**
 * @module
 * The secret detector bot-bottle runs everywhere a secret could leave or enter: the
 * egress proxy's DLP, the git gate, and the `--cwd` copy. One rule set, one decoding
 * layer; a rule added once guards every path. Findings name the rule and where, never
 * the secret. No dependencies beyond this folder, so the bundle carries it as is. Its
 * parts: `detectors.ts` (the detectors made of the rules, and the public values),
 * `pieces.ts` (tokens in pieces and groups read back, with `heads.ts` and `gaps.ts`),
 * `decode.ts` (the decoding layer).
 */

import { dropShadowed, type Finding } from "./engine.ts";
import { detector, notPublic, ruleById, TOKEN_START, tokenDetector } from "./detectors.ts";
import { RULES, tokenEdges } from "./rules.ts";
import { assignedPieces, foldedPieces, piecesIn, quotedPieces, splitPieces } from "./pieces.ts";
import { type Variant, variants } from "./decode.ts";
import {
  reverseText,
  rot13,
  turnable,
  turnedAtEdges,
  type TurnedHeads,
  turnedHeads,
} from "./turned.ts";
import { escapeRegExp, MIN_RUN, type Survey, withoutDumps } from "./keywords.ts";
import { UNCHECKED_RULE } from "./compressed.ts";
import { readsAsWords } from "./words.ts";
import { columnFindings, insertFindings, keyValueFindings } from "./columns.ts";

export { type Finding, isPlaceholder } from "./engine.ts";
export { normalize } from "./decode.ts";
export { detector, getPublicValues, setPublicValues } from "./detectors.ts";
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
    case "utf7":
      return "in UTF-7";
    case "json":
    case "escape":
      return "escaped";
    case "html":
      return "in HTML character references";
    case "hexdump":
      return "in a hex dump";
    case "narrow":
      return "cut into short lines";
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
  /**
   * Where the block of runs joined that it was decoded from is written (lines, groups, a
   * list of quoted lines; see `Variant.until`), from its first character to its last:
   * what a cut-out takes with it, as the decoding layer read it.
   */
  block?: [number, number];
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
  "utf7",
]);

/** What stands for the part of a name (a path, a ref) from where a secret in it starts. */
const HIDDEN_NAME = "[name holding a secret]";

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
      const block = f.block && [at + f.block[0], at + f.block[1]] as [number, number];
      out.push({ ...f, index, ...(written ? { written } : {}), ...(block ? { block } : {}) });
    }
  }
  return dropShadowed(out, rankOf, orderOf).toSorted((a, b) => a.index - b.index);
}

/** A rule's place in the catalogue. */
const orders = new Map(RULES.map((r, i) => [r.id, i]));
function orderOf(f: Located): number {
  return orders.get(f.rule) ?? RULES.length;
}

const ranks = new Map<string, number>();
function rankOf(f: Located): number {
  let r = ranks.get(f.rule);
  if (r === undefined) ranks.set(f.rule, r = detector().rank(f.rule));
  return r;
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
  // What blocks of narrow lines hold (see `level`), added last: one found by another
  // reader too (a token alone cut into lines from its prefix, `folded`; the items of a
  // list, `split`) at the same place is that reader's.
  const narrowFound: [Finding[], Encoding][] = [];
  const located = new Map<string, Located>();
  // `asWritten`: the findings are the text's own, each from its first character to its
  // last as written (pieces, groups): one that starts where a secret of its rule was found
  // already and reaches further (a token whose first piece is itself one of its kind,
  // `"xoxb-...261" + "4-bF0n..."`) is that secret's written span, which a cut-out takes
  // whole (cut as found, the rest of the token had been sent).
  const add = (findings: Finding[], encoding: Encoding, windowed = false, asWritten = false) => {
    for (const f of findings) {
      const index = f.index;
      const key = `${f.rule}:${index}`;
      if (seen.has(key)) {
        // Or found in a window with where it is written (a token folded into lines of
        // look-alike letters, its first line a token of its kind by itself).
        const kept = located.get(key);
        const written = (f as Pick<Located, "written">).written;
        const end = written?.[1] ?? (asWritten ? index + f.length : -1);
        if (kept && end > (kept.written?.[1] ?? kept.index + kept.length)) {
          kept.written = [Math.min(kept.index, written?.[0] ?? index), end];
        }
        // Or read again from a block of runs joined (its first line alone, then the block):
        // of two blocks, the shorter holds it as well (lines without the short line that
        // may be the next line of output).
        const block = (f as Pick<Located, "block">).block;
        if (kept && block && (!kept.block || block[1] - block[0] < kept.block[1] - kept.block[0])) {
          kept.block = block;
        }
        continue;
      }
      seen.add(key);
      const one: Located = { ...f, index, encoding };
      out.push(one);
      located.set(key, one);
      if (windowed) inWindow.add(one);
    }
  };
  const survey = detector().survey(text, options.utf8);
  add(notPublic(text, detector().findings(text, survey)), "plain");
  const names = nameStarts(survey.hits);
  add(notPublic(text, columnFindings(text, names)), "plain");
  add(notPublic(text, keyValueFindings(text, names)), "plain");
  add(notPublic(text, insertFindings(text, names)), "plain");
  for (const { finding, form } of valueFindings(text, values)) add([finding], form);
  // Tokens in groups or in pieces; those split by spaces or lines after the decoded
  // forms, so that a token cut into lines that the lines joined hold is said to be cut
  // into lines.
  const { early, split, deep } = piecesIn(text, survey, options.ownFields);
  for (const [found, encoding] of early) add(found, encoding, false, true);
  if (options.decode === false) {
    add(split, "split", false, true);
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
    outer?: [number, number],
  ) => {
    for (const v of variants(source, surveyed, TOKEN_START, heads, deepBreaks)) {
      // The block of runs this was decoded from, as written (a level down, the one its
      // text was).
      const block: [number, number] | undefined = depth === 0
        ? v.until === undefined ? undefined : [at + v.at, at + v.until]
        : outer;
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
        fs.map((f): Finding & Pick<Located, "written" | "block"> => ({
          ...f,
          index: inPlace ? where + f.index : where,
          ...(origin && ownPieced.has(f) && traces < MAX_TRACES
            ? { written: origin(f.index, f.index + f.length) }
            : {}),
          ...(block ? { block } : {}),
        }));
      const inner = detector().survey(v.text);
      let decoded = notPublic(v.text, detector().findings(v.text, inner));
      // A table in what a run decodes to (a CSV export uploaded in base64); not in a window
      // decoded in place (source code is windows of escapes all over).
      if (DECODED_RUN.test(v.encoding)) {
        const names = nameStarts(inner.hits);
        if (names.length > 0) {
          decoded.push(
            ...notPublic(v.text, [
              ...columnFindings(v.text, names),
              ...keyValueFindings(v.text, names),
              ...insertFindings(v.text, names),
            ]),
          );
        }
      }
      if (v.whole) decoded = decoded.filter((f) => f.index === 0 && f.length === v.text.length);
      // A token's letters shifted are as random as its own; text that reads as words as
      // written (`pg_updateaptconfig`, then `systemctl` on the next line, moved back to
      // `fw_...`) was no token shifted.
      if (v.encoding === "shifted") {
        decoded = decoded.filter((f) => !readsAsWords(shiftedBody(source, v, f)));
      }
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
      // What a block of narrow lines holds, and what it decodes to, after every other
      // reader's findings (see the end).
      if (v.encoding === "narrow" || parent === "narrow") {
        narrowFound.push([place(decoded), v.encoding], [place(valued), v.encoding]);
      } else {
        add(place(decoded), v.encoding, windowed);
        add(place(valued), v.encoding, windowed);
      }
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
          block,
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
  add(split, "split", false, true);
  const fromNarrow = new Set<Located>();
  for (const [found, encoding] of narrowFound) {
    const before = out.length;
    add(found, encoding);
    for (let k = before; k < out.length; k++) fromNarrow.add(out[k]!);
  }
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
    // A block of narrow lines (`fold -w 5`) is read whole for what no other reader found
    // in it: a token in it that one did (a token alone cut into lines, `folded`, from its
    // first line, which may come after a label; a narrow hex dump) is that one's, and one
    // read again from inside it (its lines in a window decoded in place: `=` ending a line
    // of `fold -w 3` is quoted-printable's soft line break) is the first reading's.
    if (fromNarrow.size > 0) {
      const endOf = (f: Located) => {
        const dump = dumps[lastAtOrBefore(dumps, f.index)];
        return dump ? dump[1] : f.index;
      };
      const others = placesByRule(
        once.filter((f) => !fromNarrow.has(f)),
        (f) => [f.index, f.index],
      );
      const blocks = placesByRule(
        once.filter((f) => fromNarrow.has(f)),
        (f) => [f.index, endOf(f)],
      );
      once = once.filter((f) =>
        !fromNarrow.has(f) ||
        !(holds(others.get(f.rule), f.index - NARROW_HEAD, endOf(f)) ||
          holds(blocks.get(f.rule), f.index - 1))
      );
    }
  }
  return dropShadowed(once, rankOf, orderOf).toSorted((a, b) => a.index - b.index);
}

/**
 * How far before a block of narrow lines another reader's finding of the same secret may
 * start: its first line's head (escaped, 30 characters at most), a line break and the
 * prefix each line has (`MAX_PREFIX` in probes.ts, 32).
 */
const NARROW_HEAD = 72;

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
const JOINS: ReadonlySet<Encoding> = new Set<Encoding>([
  "lines",
  "chunks",
  "cut",
  "hexdump",
  "narrow",
]);

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

/** The encodings of a run decoded whole, where a table may be (see `columnFindings`). */
const DECODED_RUN = /^(?:base64|base32|hex)$/;

/** The generic rule's keywords' indices in the survey's (secret-sounding words: `pass`, `key`). */
let nameKeywords: Uint8Array | undefined;

/** Where the survey's `hits` of secret-sounding words start (see `columnFindings`). */
function nameStarts(hits: readonly number[]): number[] {
  const keywords = detector().matcher.keywords;
  if (!nameKeywords) {
    const generic = new Set(RULES.find((r) => r.id === "generic-secret")!.keywords);
    nameKeywords = Uint8Array.from(keywords, (k) => +generic.has(k));
  }
  const out: number[] = [];
  for (let h = 0; h < hits.length; h += 2) {
    if (nameKeywords[hits[h]!] === 1) out.push(hits[h + 1]! - keywords[hits[h]!]!.length);
  }
  return out;
}

/**
 * What the token `f`, found in `v` (a reading of `source` with its letters shifted, one
 * character for one), is written as in `source`, past its rule's keyword.
 */
function shiftedBody(source: string, v: Variant, f: Finding): string {
  const found = v.text.slice(f.index, f.index + f.length).toLowerCase();
  const keyword = ruleById(f.rule)?.keywords.find((k) => found.startsWith(k)) ?? "";
  return source.slice(v.at + f.index + keyword.length, v.at + f.index + f.length);
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
  const apart = options.whole ? [] : apartPieces(fields, starts, survey.hits, split);
  return [
    ...[...notPublic(joined, split), ...apart, ...valuesIn(joined, values)].map((f) => ({
      ...f,
      encoding: "joined" as const,
    })),
    ...(options.decode ? decodedAcross(joined, survey.runs, starts, values) : []),
  ];
}

/** How many fields past a token's first piece `apartPieces` reads its other pieces from. */
const APART_REACH = 12;

/** How many pieces past its first `apartPieces` joins at most. */
const APART_PIECES = 3;

/** How many choices of pieces in any order `apartPieces` scans from one first piece at most. */
const APART_TRIES = 1500;

/** How many first pieces `apartPieces` reads on from in one list of fields at most. */
const APART_STARTS = 4;

/** What a token's piece is made of (`apartPieces`): its letters, digits and marks. */
const PIECE_OF_TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * Tokens split across fields with other fields between the pieces (`?a=ghp_Zq8L&n=1&b=w2Rt...`,
 * a header's value between two of a JSON body's), which the fields joined as they come do not
 * hold: from each field that ends with a token's start cut short (a token rule's keyword where
 * a token may start, then a token's characters alone to the field's end, and no token in it
 * whole), that start joined with one to `APART_PIECES` of the next `APART_REACH` fields made of
 * a token's characters alone, in their order, then with those of the `APART_REACH` before it
 * too in any order (a piece in a header, read before the body that holds the first), each
 * choice scanned with the token rules: a token from the start to the end of the last piece,
 * the pieces whole. `hits`: the survey's keyword hits in the fields joined; `found`: tokens
 * they hold already; `starts`: where each field starts in them.
 */
function apartPieces(
  fields: readonly string[],
  starts: readonly number[],
  hits: readonly number[],
  found: readonly Finding[],
): Finding[] {
  const out: Finding[] = [];
  const tokens = tokenDetector();
  const keywords = tokens.matcher.keywords;
  let read = 0;
  let last = -1;
  // The token rules' keywords the fields joined hold (their survey's), each in its field.
  for (let h = 0; h < hits.length && read < APART_STARTS; h += 2) {
    const end = hits[h + 1]!;
    const at = end - keywords[hits[h]!]!.length;
    const i = firstAfter(starts, at) - 1;
    if (i <= last) continue;
    const field = fields[i]!;
    const from = at - starts[i]!;
    if (!tokenEdges(field, from, field.length)[0]) continue;
    if (!PIECE_OF_TOKEN.test(field.slice(from))) continue;
    // A prefix cut between fields side by side (`xoxb`, then `-8802...`): the first piece
    // is those fields joined.
    const e = firstAfter(starts, end - 1) - 1;
    let head = field.slice(from);
    for (let k = i + 1; k <= e; k++) head += fields[k]!;
    if (e > i && !PIECE_OF_TOKEN.test(head)) continue;
    last = e;
    if (found.some((f) => f.index <= at && at < f.index + f.length)) continue;
    if (tokens.scan(head).length > 0) continue;
    read++;
    const later: string[] = [];
    for (let j = e + 1; j < fields.length && j <= e + APART_REACH; j++) {
      if (PIECE_OF_TOKEN.test(fields[j]!)) later.push(fields[j]!);
    }
    // The choices in the fields' order (each one, then it with later ones); the first token
    // found is the one.
    // (A public value is no secret: judged on the pieces joined, which the fields with
    // others between them are not.)
    const token = (text: string) =>
      notPublic(text, tokens.scan(text)).find((f) => f.index === 0 && f.length === text.length);
    const choose = (text: string, next: number, left: number): Finding | undefined => {
      for (let k = next; k < later.length; k++) {
        const joined = text + later[k]!;
        const match = token(joined) ?? (left > 1 ? choose(joined, k + 1, left - 1) : undefined);
        if (match) return match;
      }
      return undefined;
    };
    // Then in any order, the fields before it too (a piece in the body, the next in a
    // header the fields are read before it), up to `APART_TRIES` choices.
    let tries = 0;
    const near: number[] = [];
    for (let j = Math.max(0, i - APART_REACH); j < fields.length && j <= e + APART_REACH; j++) {
      if ((j < i || j > e) && PIECE_OF_TOKEN.test(fields[j]!)) near.push(j);
    }
    const anyOrder = (text: string, used: number[], left: number): Finding | undefined => {
      for (const j of near) {
        if (used.includes(j) || tries >= APART_TRIES) continue;
        const chosen = [...used, j];
        const joined = text + fields[j]!;
        // (In the fields' order after it: tried above.)
        const inOrder = chosen.every((c, n) => c > e && (n === 0 || c > chosen[n - 1]!));
        const match = (inOrder ? undefined : (tries++, token(joined))) ??
          (left > 1 ? anyOrder(joined, chosen, left - 1) : undefined);
        if (match) return match;
      }
      return undefined;
    };
    const hit = choose(head, 0, APART_PIECES) ?? anyOrder(head, [], APART_PIECES);
    if (hit) out.push({ ...hit, index: at });
  }
  return out;
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
