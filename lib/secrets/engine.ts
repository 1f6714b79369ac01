/**
 * @module
 * The secret detector: rules (a keyword prefilter, a pattern, an entropy floor, a
 * placeholder allowlist) run only where one of their keywords occurs. One instance
 * serves the egress DLP and the git gate alike. A finding names the rule and where it
 * is, never the secret.
 */

import { KeywordMatcher, type Survey } from "./keywords.ts";
import { randomName } from "./words.ts";

/** One kind of secret. */
export interface Rule {
  id: string;
  description: string;
  /**
   * `token`: recognisable by itself (a prefix and a shape); `named`: needs a name
   * nearby saying what it is; `structure`: key blocks, URLs, headers; `generic`: any
   * random-looking value assigned to a secret-sounding name.
   */
  kind?: "token" | "named" | "structure" | "generic";
  /** Lower-case literals; the rule runs near an occurrence of one of them. */
  keywords: readonly string[];
  /** Global pattern; its first group (or the whole match) is the secret. */
  pattern: RegExp;
  /** Minimum Shannon entropy of the secret, in bits per character. */
  entropy?: number;
  /** How far before and after a keyword the pattern may start and end. */
  window?: { before: number; after: number };
  /**
   * Every match starts where one of the keywords starts (a name the pattern begins
   * with): the pattern is tried at those places only, not across a window.
   */
  anchored?: boolean;
  /** Whether a secret that looks like a placeholder still counts (strong token shapes). */
  placeholders?: boolean;
  /**
   * Whether a value written for show (`namesItself`: `password123`) still counts: a
   * password in a URL does, as secretlint counts `https://user:pass@host` (its own
   * check passes only the field's name, `password`).
   */
  shownValues?: boolean;
  /** Extra judgement of the secret. */
  check?: (secret: string) => boolean;
  /** Which group is the secret (default: the first, else the whole match). */
  group?: number;
  /** Extra judgement of the whole match (the name a value was assigned to, say). */
  checkMatch?: (match: RegExpExecArray) => boolean;
  /**
   * The shape of this rule's values beyond a prefix (a Telegram bot token's `<bot
   * id>:A...`): such a value is this rule's to judge, and one it turned down (a bot id
   * too short, a secret too long) is no generic secret either.
   */
  claims?: RegExp;
}

/** A secret found in a text: the rule and where, never the value. */
export interface Finding {
  rule: string;
  description: string;
  /** Offset of the secret in the scanned text. */
  index: number;
  length: number;
}

/** Shannon entropy of `s`, in bits per character. */
export function entropy(s: string): number {
  if (s.length === 0) return 0;
  const distinct = asciiCounts(s);
  if (distinct >= 0) {
    // As the general way below sums it: each character by its first place.
    let h = 0;
    for (let k = 0; k < distinct; k++) {
      const c = SEEN[k]!;
      const p = COUNTS[c]! / s.length;
      COUNTS[c] = 0;
      h -= p * Math.log2(p);
    }
    return h;
  }
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** How many times each ASCII character occurs (see `asciiCounts`); zero between calls. */
const COUNTS = new Uint32Array(128);
/** The distinct characters `asciiCounts` counted, by their first place. */
const SEEN = new Uint8Array(128);

/**
 * Counts the characters of `s` into `COUNTS` (the caller zeroes those it read, listed in
 * `SEEN`) and returns how many are distinct; -1, with nothing counted, if `s` holds one
 * past ASCII. A table, not a map of one-character strings: the judging of every value a
 * secret's name is given (the entropy, the placeholders' count) took 2-7 µs a value.
 */
function asciiCounts(s: string): number {
  let distinct = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      for (let k = 0; k < distinct; k++) COUNTS[SEEN[k]!] = 0;
      return -1;
    }
    if (COUNTS[c]!++ === 0) SEEN[distinct++] = c;
  }
  return distinct;
}

const PLACEHOLDER = new RegExp(
  [
    "example",
    "x{5,}",
    "\\*{3,}",
    "\\.\\.\\.",
    "…",
    "<[^>]*>",
    "\\$\\{",
    "\\{\\{",
    "\\$\\(",
    "%\\(",
    "^(?:your|my|insert|enter|replace|put|add)[_-]",
    "placeholder",
    "redacted",
    "changeme",
    "change_me",
    "dummy",
    "notreal",
    "not_a_real",
    "here$",
    "bot-bottle",
  ].join("|"),
  "i",
);

/**
 * Whether `secret` is a variable put in (`$DB_PASS`, `$HOME/.key`, `$USER:$PASS`,
 * `$this->key`, `$ENV{KEY}`), not a random password that starts with `$` and a letter
 * (`$Q;at4.nbq1_r8sy`, or `$Zq8Lr2Xv9Kt4Wm`: no one names a variable so; a shell would put
 * one in there outside single quotes, but a language's string, YAML or Windows' command
 * line would not).
 */
function variable(secret: string): boolean {
  const name = /^\$([A-Za-z_]\w*)(?:$|[-/.:@$(){}[\]])/.exec(secret)?.[1];
  return name !== undefined && !randomName(name);
}

/**
 * A value written for show in documentation and tests: its letters spell its own kind,
 * with a few small words, and nothing else (`password123`, `secretPassword123`,
 * `abc_ThIsIsAsEcReT`, `MySuperSecret!`): a guess anyone makes first, not a credential.
 * Those words and no letter more (`Passport1`, `passwordX` are not), and at most four
 * digits or marks besides.
 */
export function namesItself(secret: string): boolean {
  if (secret.length > 44) return false;
  let letters = "";
  for (let i = 0; i < secret.length; i++) {
    const c = secret.charCodeAt(i) | 0x20;
    if (c >= 0x61 && c <= 0x7a) letters += String.fromCharCode(c);
  }
  // A few digits or marks more (`Password1!`), not a number to guess (`pass82736491`).
  return secret.length - letters.length <= 4 && /pass|pwd|secret/.test(letters) &&
    SHOW_WORDS.test(letters);
}

/** What `namesItself` lets a value's letters be made of. */
const SHOW_WORDS =
  /^(?:password|passwd|pass|pwd|secret|my|the|this|is|a|super|top|very|your|abc|test)+$/;

/** Test data: a run of six or more consecutive characters (`123456`, `abcdef`). */
export function isSequence(s: string): boolean {
  let run = 1;
  for (let i = 1; i < s.length; i++) {
    run = s.charCodeAt(i) === s.charCodeAt(i - 1) + 1 ? run + 1 : 1;
    if (run >= 6) return true;
  }
  return false;
}

/**
 * Whether `secret` is a stand-in, not a value: `xxxx`, `EXAMPLE`, `${VAR}`, `<key>`, one
 * repeated character; unless `shown`, also a value written for show (`namesItself`).
 */
export function isPlaceholder(secret: string, shown = false): boolean {
  if (PLACEHOLDER.test(secret) || variable(secret) || (!shown && namesItself(secret))) {
    return true;
  }
  if (secret.length < 8) return false;
  let top = 0;
  const distinct = asciiCounts(secret);
  if (distinct >= 0) {
    for (let k = 0; k < distinct; k++) {
      top = Math.max(top, COUNTS[SEEN[k]!]!);
      COUNTS[SEEN[k]!] = 0;
    }
  } else {
    const counts = new Map<string, number>();
    for (const ch of secret) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    top = Math.max(...counts.values());
  }
  return top / secret.length > 0.6;
}

/**
 * Stand-in text a value may hold besides a real secret: placeholder words, a character
 * or a short unit repeated, the alphabet in order. A real token with such text added
 * (`<token>EXAMPLE`, `<token>xxxxx`, `<token>` then `aaaa...` to lower its entropy) is
 * still that token. Elision (`...`, `***`) is not filler: what it leaves is part of a
 * value, not the value (`ops_eyJzaWdu...`).
 */
const FILLER =
  /example|x{5,}|placeholder|redacted|changeme|change_me|dummy|notreal|not_a_real|bot-bottle|(.{1,4}?)\1{4,}/gi;

/**
 * Which code units of `secret` are filler (placeholder words, repeats, ascending runs of
 * six or more), or undefined when none is.
 */
export function fillerMask(secret: string): Uint8Array | undefined {
  // Made at the first filler found: most values turned down hold none, and a typed array
  // made for each (every value a secret's name is given in source code) cost its scan
  // some 2%.
  let mask: Uint8Array | undefined;
  FILLER.lastIndex = 0;
  for (let m = FILLER.exec(secret); m !== null; m = FILLER.exec(secret)) {
    (mask ??= new Uint8Array(secret.length)).fill(1, m.index, m.index + m[0].length);
  }
  let run = 1;
  for (let i = 1; i <= secret.length; i++) {
    if (
      i < secret.length && !mask?.[i] && !mask?.[i - 1] &&
      secret.charCodeAt(i) === secret.charCodeAt(i - 1) + 1
    ) {
      run++;
      continue;
    }
    if (run >= 6) (mask ??= new Uint8Array(secret.length)).fill(1, i - run, i);
    run = 1;
  }
  return mask;
}

const DEFAULT_WINDOW = { before: 80, after: 600 };

/** How specific a kind of rule is: a finding yields to a more specific one over the same text. */
export const RANK = { token: 0, named: 1, structure: 2, generic: 3 } as const;

/**
 * One finding per secret: a finding overlapping one of a more specific rule is left out
 * (a token in an Authorization header is the token; a key assigned to `api_key` is the
 * key's own kind), as is one of the same span as another of its rank that comes first in
 * `place` (the catalogue's order), or in the list.
 */
export function dropShadowed<T extends Finding>(
  findings: T[],
  rank: (f: T) => number,
  place: (f: T) => number = () => 0,
): T[] {
  // Most scans (a header, a URL, a window) find nothing: no sweep, no arrays for it.
  if (findings.length < 2) return findings.slice();
  // One sweep in order of start, comparing each finding with those still open where it
  // starts (a text of thousands of secrets compared every pair: 8000 took 2.5 s).
  const ranks = findings.map(rank);
  const order = findings.map((_, i) => i).sort((a, b) => findings[a]!.index - findings[b]!.index);
  const dropped = new Uint8Array(findings.length);
  let open: number[] = [];
  for (const i of order) {
    const start = findings[i]!.index;
    const end = start + findings[i]!.length;
    open = open.filter((j) => findings[j]!.index + findings[j]!.length > start);
    for (const j of open) {
      if (findings[j]!.index >= end) continue;
      if (ranks[j]! < ranks[i]!) dropped[i] = 1;
      else if (ranks[i]! < ranks[j]!) dropped[j] = 1;
      // Two rules of a kind that read the same value (`password=X` as a connection
      // string's and as a password literal's): the one first in `place` stands for it.
      else if (findings[j]!.index === start && findings[j]!.length === end - start) {
        const [oi, oj] = [place(findings[i]!), place(findings[j]!)];
        dropped[oi < oj || oi === oj && i < j ? j : i] = 1;
      }
    }
    open.push(i);
  }
  return findings.filter((_, i) => dropped[i] === 0);
}

/**
 * `rule` with every field, in one order: rules are written by several helpers, each
 * leaving out what it does not set, and the reads of a rule's fields for each match
 * (`entropy`, `check`, `placeholders`, ...) saw so many shapes that each went through a
 * generic lookup.
 */
function shaped(rule: Rule): Rule {
  // Every field named (the type says so), so that one added to `Rule` is not left out here.
  const all: { [K in keyof Required<Rule>]: Rule[K] } = {
    id: rule.id,
    description: rule.description,
    kind: rule.kind,
    keywords: rule.keywords,
    pattern: rule.pattern,
    entropy: rule.entropy,
    window: rule.window,
    anchored: rule.anchored,
    placeholders: rule.placeholders,
    shownValues: rule.shownValues,
    check: rule.check,
    group: rule.group,
    checkMatch: rule.checkMatch,
    claims: rule.claims,
  };
  return all;
}

/** Matches kept so far in one scan, and the rule and offset of each. */
interface Found {
  findings: (Finding & { r: number })[];
  seen: Set<string>;
}

/** A compiled rule set. */
export class Detector {
  readonly rules: readonly Rule[];
  readonly #matcher: KeywordMatcher;
  /** For each keyword, the rules it wakes. */
  readonly #wakes: number[][];
  /** Sticky copies of the anchored rules' patterns, by rule index. */
  readonly #sticky: (RegExp | undefined)[];
  /** Each rule's pattern once more, for a second try at a match turned down (`#salvage`). */
  readonly #again: (RegExp | undefined)[] = [];

  /** The keyword automaton (for its size: see `KeywordMatcher.entryBits`). */
  get matcher(): KeywordMatcher {
    return this.#matcher;
  }

  /**
   * `rules`, and `signs`: keywords the survey finds that wake no rule (what a caller reads
   * from the hits itself: see `Survey.hits`).
   */
  constructor(rules: readonly Rule[], signs: readonly string[] = []) {
    this.rules = rules.map(shaped);
    const keywords: string[] = [];
    const index = new Map<string, number>();
    const wakes: number[][] = [];
    const add = (k: string) => {
      let i = index.get(k);
      if (i === undefined) {
        i = keywords.length;
        keywords.push(k);
        index.set(k, i);
        wakes.push([]);
      }
      return i;
    };
    rules.forEach((rule, r) => {
      if (rule.keywords.length === 0) throw new Error(`rule ${rule.id} has no keyword`);
      for (const k of rule.keywords) wakes[add(k)]!.push(r);
    });
    for (const k of signs) add(k);
    this.#matcher = new KeywordMatcher(keywords);
    this.#wakes = wakes;
    this.#sticky = rules.map((rule) =>
      rule.anchored ? new RegExp(rule.pattern.source, rule.pattern.flags + "y") : undefined
    );
  }

  /** How specific the rule named `id` is (see `RANK`); the bottle's own values count as tokens. */
  rank(id: string): number {
    const rule = this.rules.find((r) => r.id === id);
    return rule ? RANK[rule.kind ?? "structure"] : RANK.token;
  }

  /** Every secret in `text`, at most one finding per rule and offset. */
  scan(text: string): Finding[] {
    return this.findings(text, this.survey(text));
  }

  /**
   * Keywords, encoded runs and decoding triggers in `text` (one pass); `utf8`, the bytes
   * it was decoded from, when at hand, makes it faster.
   */
  survey(text: string, utf8?: Uint8Array): Survey {
    return this.#matcher.survey(text, utf8);
  }

  /** Every secret in `text`, given its survey. */
  findings(text: string, survey: Survey): Finding[] {
    // Two small functions rather than one with two long loops: V8 optimises each whole,
    // where one function was entered mid-loop (OSR) and thrown away again at code its
    // interpreter had not run yet, hundreds of times over a scan of 1 MiB.
    const findings = this.#match(text, this.#windowsOf(survey, text.length));
    return dropShadowed(findings, (f) => RANK[this.rules[f.r]!.kind ?? "structure"], (f) => f.r)
      .map(({ r: _, ...f }) => f)
      .toSorted((a, b) => a.index - b.index || a.rule.localeCompare(b.rule));
  }

  /**
   * Where each woken rule should look: merged windows around keyword hits (pairs of
   * start and end, flat), or for an anchored rule the places its keywords start, in
   * order.
   */
  #windowsOf(survey: Survey, length: number): Map<number, number[]> {
    const windows = new Map<number, number[]>();
    const keywords = this.#matcher.keywords;
    const hits = survey.hits;
    const anchored: number[] = [];
    for (let h = 0; h < hits.length; h += 2) {
      const k = hits[h]!;
      const end = hits[h + 1]!;
      const start = end - keywords[k]!.length;
      const wakes = this.#wakes[k]!;
      for (let i = 0; i < wakes.length; i++) {
        this.#wake(windows, anchored, wakes[i]!, start, end, length);
      }
    }
    // Hits come in the order their keywords end; starts of keywords of different lengths
    // can come out of order.
    for (const r of anchored) {
      const starts = windows.get(r)!;
      for (let i = 1; i < starts.length; i++) {
        if (starts[i]! < starts[i - 1]!) {
          starts.sort((a, b) => a - b);
          break;
        }
      }
    }
    return windows;
  }

  /** Adds rule `r`'s window (or anchor) for a keyword at `start`-`end`. */
  #wake(
    windows: Map<number, number[]>,
    anchored: number[],
    r: number,
    start: number,
    end: number,
    length: number,
  ): void {
    const list = windows.get(r);
    if (this.#sticky[r]) {
      if (list) list.push(start);
      else {
        windows.set(r, [start]);
        anchored.push(r);
      }
      return;
    }
    const w = this.rules[r]!.window ?? DEFAULT_WINDOW;
    const from = Math.max(0, start - w.before);
    const to = Math.min(length, end + w.after);
    if (list === undefined) windows.set(r, [from, to]);
    else if (from <= list[list.length - 1]!) {
      list[list.length - 1] = Math.max(list[list.length - 1]!, to);
    } else list.push(from, to);
  }

  /**
   * Each woken rule's matches in its windows (or at its anchors). One small function per
   * loop, for the same reason as in `findings`.
   */
  #match(text: string, windows: Map<number, number[]>): (Finding & { r: number })[] {
    const found: Found = { findings: [], seen: new Set() };
    for (const [r, list] of windows) {
      if (this.#sticky[r]) this.#matchAnchored(text, r, list, found);
      else this.#matchWindows(text, r, list, found);
    }
    return found.findings;
  }

  /**
   * Rule `r` at each anchor; as a scan of the text would, a match hides the anchors inside
   * it, but only one found to hold a secret: a match turned down may have read a name as
   * the value (`key="ClearTextPassword" value="..."`, whose value is named inside it).
   */
  #matchAnchored(text: string, r: number, anchors: number[], found: Found): void {
    const sticky = this.#sticky[r]!;
    let next = 0;
    for (let i = 0; i < anchors.length; i++) {
      const start = anchors[i]!;
      if (start < next) continue;
      sticky.lastIndex = start;
      const m = sticky.exec(text);
      if (m === null) continue;
      if (this.#take(r, m, 0, found)) next = start + Math.max(1, m[0].length);
    }
  }

  /** Rule `r` across each window. */
  #matchWindows(text: string, r: number, list: number[], found: Found): void {
    const pattern = this.rules[r]!.pattern;
    for (let i = 0; i < list.length; i += 2) {
      const start = list[i]!;
      const to = list[i + 1]!;
      // A few characters more in front, so that lookbehinds see what precedes.
      const from = Math.max(0, start - 16);
      const slice = text.slice(from, to);
      pattern.lastIndex = 0;
      for (let m = pattern.exec(slice); m !== null; m = pattern.exec(slice)) {
        if (m[0].length === 0) pattern.lastIndex++;
        this.#take(r, m, from, found);
      }
    }
  }

  /**
   * Judges one match of rule `r` (found in text that starts at `from`) and keeps it.
   * Returns whether it was kept (or what filler hid in it).
   */
  #take(r: number, m: RegExpExecArray, from: number, found: Found, salvage = true): boolean {
    const rule = this.rules[r]!;
    const g = rule.group ?? 1;
    const secret = m[g] ?? m[0];
    // A rule with the `d` flag says where its group is: one read behind where it is tried
    // (`echo 'user:X' | chpasswd`, tried at `passwd`) is before its match.
    const inInput = m.indices?.[g]?.[0] ??
      m.index + (m[g] !== undefined ? m[0].lastIndexOf(m[g]!) : 0);
    const at = from + inInput;
    if (!this.#accept(rule, secret)) {
      const before = found.findings.length;
      if (salvage) this.#salvage(r, m.input, inInput, secret, from, found);
      return found.findings.length > before;
    }
    if (rule.checkMatch && !rule.checkMatch(m)) return false;
    this.#record(r, at, secret.length, found);
    return true;
  }

  /** Keeps a finding of rule `r`, once per rule and offset. */
  #record(r: number, index: number, length: number, found: Found): void {
    const key = `${r}:${index}`;
    if (found.seen.has(key)) return;
    found.seen.add(key);
    const rule = this.rules[r]!;
    found.findings.push({ rule: rule.id, description: rule.description, index, length, r });
  }

  /**
   * A match turned down (as a placeholder, for its low entropy, or by the rule's check: a
   * run of one character or a counting run reads as no random value) may be a real secret
   * with filler added to hide it (`<jwt>EXAMPLE`, a token then `aaaa...`): the filler is
   * blanked out (space for space, so offsets hold) and the rule tried again where the
   * secret was. What was a placeholder through and through (`hf_xxxx...`) stays one.
   */
  #salvage(r: number, input: string, at: number, secret: string, from: number, found: Found) {
    const mask = fillerMask(secret);
    if (!mask) return;
    let blanked = "";
    for (let i = 0; i < secret.length; i++) blanked += mask[i] ? " " : secret[i];
    const rule = this.rules[r]!;
    const start = Math.max(0, at - (rule.window?.before ?? 0) - 64);
    const end = at + secret.length;
    const before = input.slice(start, at);
    const pattern = this.#again[r] ??= new RegExp(
      rule.pattern.source,
      rule.pattern.flags.replace("y", "").replace("g", "") + "g",
    );
    const g = rule.group ?? 1;
    const span = (m: RegExpExecArray) => {
      const s = m.index + (m[g] !== undefined ? m[0].lastIndexOf(m[g]!) : 0);
      return [s, s + (m[g] ?? m[0]).length];
    };
    // Filler around a secret: blanked out, space for space, so offsets hold. Around one:
    // filler between two long runs is inside a value (below), and in a value the rule
    // turned down whole (a public key, in which `mmMMm` comes once in a few thousand) it
    // left two pieces that are not secrets.
    if (blanked.match(/[^ ]{8,}/g)?.length === 1) {
      const probe = before + blanked + input.slice(end, end + 16);
      pattern.lastIndex = 0;
      for (let m = pattern.exec(probe); m !== null; m = pattern.exec(probe)) {
        if (m[0].length === 0) pattern.lastIndex++;
        const [s, e] = span(m);
        if (s! < at - start || e! > end - start) continue;
        this.#take(r, m, from + start, found, false);
      }
    }
    // Filler inside a secret (`ghp_<half>EXAMPLE<half>`), which whoever receives it
    // takes out again: taken out here too, from the secret and as much again after it
    // (a second piece of filler), and a match across it found over the whole. Not for a
    // value named as a secret, of any shape: what filler leaves of a typed stand-in
    // (`dapi123456789012345678a9bc...`) is as random as a value, and an agent that means
    // to hide one has easier ways (cut in two, say) than filler.
    if (rule.kind === "generic") return;
    const region = input.slice(at, end + secret.length);
    const inRegion = fillerMask(region)!;
    let kept = "";
    const keptAt: number[] = [];
    for (let i = 0; i < region.length; i++) {
      if (inRegion[i]) continue;
      kept += region[i];
      keptAt.push(i);
    }
    if (kept.length < 8) return;
    const regionEnd = at + region.length;
    const probe = before + kept + input.slice(regionEnd, regionEnd + 16);
    const middle = before.length + kept.length;
    const original = (p: number) =>
      p < before.length
        ? start + p
        : p < middle
        ? at + keptAt[p - before.length]!
        : regionEnd + p - middle;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(probe); m !== null; m = pattern.exec(probe)) {
      if (m[0].length === 0) pattern.lastIndex++;
      const [s, e] = span(m) as [number, number];
      if (e <= before.length || s >= middle) continue;
      const index = original(s);
      const length = original(e - 1) + 1 - index;
      // A match that spans no filler is found, or turned down, as written.
      if (length === e - s || !this.#accept(rule, probe.slice(s, e))) continue;
      if (rule.checkMatch && !rule.checkMatch(m)) continue;
      this.#record(r, from + index, length, found);
    }
  }

  #accept(rule: Rule, secret: string): boolean {
    return accepts(rule, secret);
  }
}

/** Whether `rule` takes `secret` for one: its entropy floor, placeholders and check. */
export function accepts(rule: Rule, secret: string): boolean {
  if (rule.entropy !== undefined && entropy(secret) < rule.entropy) return false;
  if (!rule.placeholders && isPlaceholder(secret, rule.shownValues)) return false;
  if (rule.check && !rule.check(secret)) return false;
  return true;
}
