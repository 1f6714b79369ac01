/**
 * @module
 * The detectors made of the rule set, one of each per process: over every rule (its
 * survey also finding the heads of cut prefixes), over token rules alone for text glued
 * from fields, and over token rules blind to case; and the values the person declared
 * public, which no scan reports.
 */

import { Detector, type Finding, type Rule } from "./engine.ts";
import { escapeRegExp } from "./keywords.ts";
import { RULES, separatedPrefix, unbounded } from "./rules.ts";

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

/**
 * Where a token's own prefix starts, for the decoding layer's joined lines: a prefix of
 * four characters or more with a separator in it (`sk_test_`, `ghp_`, `glpat-`), which
 * no token's body (letters, digits, at most `_` and `-` drawn at random) holds. A line
 * that starts with one is a token of its own, not the rest of the line before.
 */
export const TOKEN_START = new RegExp(
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

/**
 * The keywords of the token rules (their prefixes, `ghp_`, `AKIA`, `xoxb-`), in any case,
 * read from where the search starts: what a prefix a line break cuts makes joined again
 * (see `variants`).
 */
export const TOKEN_KEYWORD = new RegExp(
  `(?:${
    [...new Set(RULES.filter((r) => r.kind === "token").flatMap((r) => r.keywords))]
      .sort((a, b) => b.length - a.length).map(escapeRegExp).join("|")
  })`,
  "iy",
);

/** Whether a token's own prefix (see `TOKEN_START`) starts at `at`. */
export function startsToken(text: string, at: number): boolean {
  TOKEN_START.lastIndex = at;
  return TOKEN_START.test(text);
}

/** The values set by `setPublicValues`, in order (for a scan run in another worker). */
export function getPublicValues(): readonly string[] {
  return publicList;
}

/** `findings` in `source` without those whose text is a public value. */
export function notPublic(source: string, findings: Finding[]): Finding[] {
  if (publicValues.size === 0) return findings;
  return findings.filter((f) => !isPublic(source.slice(f.index, f.index + f.length)));
}

/** Whether `text` is one of the values the person declared public (see `setPublicValues`). */
export function isPublic(text: string): boolean {
  return publicValues.has(text);
}

let shared: Detector | undefined;

let joinedOnly: Detector | undefined;

/** The detector over every rule, its survey finding the heads of cut prefixes too (`CUT_HEADS`). */
export function detector(): Detector {
  shared ??= new Detector(RULES, [...CUT_HEADS.keys()]);
  return shared;
}

/** How many characters of a prefix its head is (see `CUT_HEADS`). */
export const HEAD = 4;

/**
 * The first `HEAD` characters of each token prefix longer than that, of letters, digits,
 * `_` and `-` (`gith` of `github_pat_`, `dckr` of `dckr_pat_`), and the prefixes each
 * starts: a token cut every so many characters inside its prefix (`github_p at_11AB ...`,
 * `fold -w 8 | paste -sd' '`) starts with one, where no keyword finds the whole prefix.
 * Keywords of the survey that wake no rule (see `cutPrefixEnd`).
 */
export const CUT_HEADS: ReadonlyMap<string, readonly string[]> = (() => {
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
export function tokenDetector(): Detector {
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
export function capitalsDetector(): Detector {
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
export function ruleById(id: string): Rule | undefined {
  byId ??= new Map(RULES.map((r) => [r.id, r]));
  return byId.get(id);
}
