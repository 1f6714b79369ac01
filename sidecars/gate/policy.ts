/**
 * @module
 * What the gate decides for each ref a push updates, from what the hook read with git
 * (`objects.ts`): deletions and force-pushes only where the entry allows them, refs
 * that name a commit (or a tag of one), no blob over the scan limit, no change to a
 * protected path, and no secret anywhere the push carries, the names of its refs and
 * files included. A person's override excuses exactly one commit on one ref, once.
 */

import { HEAD_REF, STASH_REFS, SUBMODULE_REFS, WIP_LARGE_REF, WIP_REF } from "../bundle/config.ts";
import { globMatch } from "./diff.ts";
import { MAX_BLOB_BYTES, type PushScan } from "./objects.ts";
import { secretInName } from "../../lib/secrets/mod.ts";

/** The zero object id git uses for "no ref". */
export const ZERO = "0000000000000000000000000000000000000000";

/**
 * Refs the workspace repository (a `--cwd` bottle's, which has no upstream) takes:
 * branches, tags, and the refs bot-bottle pushes the agent's work to at exit (the wip and
 * its files too large to check, one per submodule, named by the hex of its path, one per
 * stash, and a detached HEAD).
 */
export function homeRefAllowed(ref: string): boolean {
  return ref === WIP_REF || ref === WIP_LARGE_REF || ref === HEAD_REF ||
    /^refs\/(heads|tags)\/./.test(ref) ||
    (ref.startsWith(SUBMODULE_REFS) &&
      /^(?:[0-9a-f]{2}){1,1024}$/.test(ref.slice(SUBMODULE_REFS.length))) ||
    (ref.startsWith(STASH_REFS) && /^(?:0|[1-9][0-9]{0,3})$/.test(ref.slice(STASH_REFS.length)));
}

/** One line of pre-receive input. */
export interface RefUpdate {
  old: string;
  new: string;
  ref: string;
}

/** The entry's rules and the values the scanner must also look for. */
export interface GateRules {
  allowForcePush: boolean;
  allowDelete: boolean;
  protectedPaths: string[];
  /** The bottle's credential values; the hook scans for them, never prints them. */
  secrets: string[];
  /** Values the person declared public: not secrets to the scan. */
  publicValues?: string[];
}

/**
 * A person's approval of one refused push: this commit, on this ref, once. It excuses
 * the commit's secret findings, and its protected paths only if the person was shown
 * them (`protectedPaths`).
 */
export interface Override {
  commit: string;
  ref: string;
  protectedPaths: boolean;
  used?: boolean;
}

/** Why one ref update is refused. Never holds a secret. */
export interface Refusal {
  ref: string;
  commit?: string;
  file?: string;
  line?: number;
  rule: string;
  message: string;
}

/** The decision for one ref update: refusals (empty: it may go), and overrides it spent. */
export interface Decision {
  refusals: Refusal[];
  used: Override[];
}

/**
 * The refusal of a ref whose name holds a secret (a branch named for a token carries it
 * upstream as surely as a file does), named by its label (see `nameLabel`); undefined
 * for any other. Asked before anything else about the update, deletions included.
 */
export function refNameRefusal(ref: string, rules: GateRules): Refusal | undefined {
  const held = secretInName(ref, rules.secrets);
  if (!held) return undefined;
  const { rule, description } = held.finding;
  return {
    ref: held.label,
    rule,
    message: `the ref's name holds a secret: ${description} (rule ${rule}); ` +
      "push to a name without it",
  };
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Decides one ref update. */
export function decide(
  update: RefUpdate,
  facts: { fastForward: boolean; scan: PushScan },
  rules: GateRules,
  overrides: readonly Override[] = [],
): Decision {
  if (update.new === ZERO) {
    return {
      refusals: rules.allowDelete ? [] : [{
        ref: update.ref,
        rule: "no-delete",
        message: `deleting ${update.ref} is not allowed through this gate`,
      }],
      used: [],
    };
  }
  const refusals: Refusal[] = [];
  const used: Override[] = [];
  const { scan } = facts;
  if (scan.badTarget) {
    refusals.push({
      ref: update.ref,
      rule: "not-a-commit",
      message: `${update.ref} cannot be pushed: ${scan.badTarget}`,
    });
  }
  if (update.old !== ZERO && !facts.fastForward && !rules.allowForcePush) {
    refusals.push({
      ref: update.ref,
      rule: "no-force-push",
      message:
        "not a fast-forward, and force-push is not allowed (pull, rebase onto it, and push again)",
    });
  }
  for (const big of scan.oversized) {
    refusals.push({
      ref: update.ref,
      file: big.path,
      rule: "too-large",
      message: `${big.path} is ${mib(big.bytes)}, over the gate's scan limit of ${
        mib(MAX_BLOB_BYTES)
      }; it cannot be checked, so it cannot pass`,
    });
  }
  for (const commit of scan.commits) {
    const short = commit.sha.slice(0, 12);
    const override = overrides.find((o) =>
      !o.used && o.commit === commit.sha && o.ref === update.ref
    );
    if (override) used.push(override);
    for (const path of commit.touched) {
      const glob = rules.protectedPaths.find((g) => globMatch(g, path));
      if (glob && !override?.protectedPaths) {
        // A path whose name holds a secret is named by its label (see `nameLabel`).
        const file = scan.pathLabels?.get(path) ?? path;
        refusals.push({
          ref: update.ref,
          commit: commit.sha,
          file,
          rule: "protected-path",
          message: `commit ${short} changes ${
            JSON.stringify(file)
          }, which matches the protected path "${glob}"`,
        });
      }
    }
    if (override) continue;
    for (const finding of capped(commit.findings)) {
      refusals.push({
        ref: update.ref,
        commit: commit.sha,
        file: finding.file,
        rule: finding.rule,
        ...finding.line > 0 ? { line: finding.line } : {},
        message: `commit ${short} ${finding.file}${
          finding.line > 0 ? `:${finding.line}` : ""
        }: ${finding.description} (rule ${finding.rule})`,
      });
    }
  }
  for (const finding of capped(scan.findings)) {
    refusals.push({
      ref: update.ref,
      file: finding.file,
      rule: finding.rule,
      ...finding.line > 0 ? { line: finding.line } : {},
      message: `${finding.file}${
        finding.line > 0 ? `:${finding.line}` : ""
      }: ${finding.description} (rule ${finding.rule})`,
    });
  }
  return { refusals, used: refusals.length === 0 ? used : [] };
}

/** Findings named one by one per file; past them, one line counts the rest. */
export const FINDINGS_PER_FILE = 10;

/**
 * `findings` with at most `FINDINGS_PER_FILE` per file, the rest of a file's folded into
 * one a rule (line 0: "N more"): a file of a hundred thousand tokens would print as many
 * lines to the agent, the audit log and the person's screen.
 */
function capped(
  findings: readonly { file: string; line: number; rule: string; description: string }[],
): { file: string; line: number; rule: string; description: string }[] {
  const out: { file: string; line: number; rule: string; description: string }[] = [];
  const shown = new Map<string, number>();
  const rest = new Map<
    string,
    { file: string; rule: string; description: string; count: number }
  >();
  for (const f of findings) {
    const n = shown.get(f.file) ?? 0;
    if (n < FINDINGS_PER_FILE) {
      shown.set(f.file, n + 1);
      out.push(f);
      continue;
    }
    const key = JSON.stringify([f.file, f.rule]);
    const more = rest.get(key) ??
      { file: f.file, rule: f.rule, description: f.description, count: 0 };
    more.count++;
    rest.set(key, more);
  }
  for (const { file, rule, description, count } of rest.values()) {
    out.push({ file, line: 0, rule, description: `${count} more: ${description}` });
  }
  return out;
}
