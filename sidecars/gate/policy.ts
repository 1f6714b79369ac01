/**
 * @module
 * What the gate decides for each ref a push updates, from facts the hook gathers with
 * git: deletions and force-pushes only where the entry allows them, no change to a
 * protected path, and no secret on any added line.
 */

import { globMatch } from "./diff.ts";
import type { LocatedFinding } from "./scan.ts";

/** The zero object id git uses for "no ref". */
export const ZERO = "0000000000000000000000000000000000000000";

/** One line of pre-receive input. */
export interface RefUpdate {
  old: string;
  new: string;
  ref: string;
}

/** A new commit the push brings, as the hook read and scanned it. */
export interface CommitFacts {
  sha: string;
  files: string[];
  /** Secrets on its added lines (see `scanAdded`). */
  findings: LocatedFinding[];
}

/** The entry's rules and the values the scanner must also look for. */
export interface GateRules {
  allowForcePush: boolean;
  allowDelete: boolean;
  protectedPaths: string[];
  /** The bottle's credential values; the hook scans for them, never prints them. */
  secrets: string[];
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

/** Decides one ref update; an empty list means it may go upstream. */
export function decide(
  update: RefUpdate,
  facts: { fastForward: boolean; commits: CommitFacts[] },
  rules: GateRules,
): Refusal[] {
  if (update.new === ZERO) {
    return rules.allowDelete ? [] : [{
      ref: update.ref,
      rule: "no-delete",
      message: `deleting ${update.ref} is not allowed through this gate`,
    }];
  }
  const refusals: Refusal[] = [];
  if (update.old !== ZERO && !facts.fastForward && !rules.allowForcePush) {
    refusals.push({
      ref: update.ref,
      rule: "no-force-push",
      message:
        "not a fast-forward, and force-push is not allowed (pull, rebase onto it, and push again)",
    });
  }
  for (const commit of facts.commits) {
    const short = commit.sha.slice(0, 12);
    for (const file of commit.files) {
      const glob = rules.protectedPaths.find((g) => globMatch(g, file));
      if (glob) {
        refusals.push({
          ref: update.ref,
          commit: short,
          file,
          rule: "protected-path",
          message: `commit ${short} changes ${file}, which matches the protected path "${glob}"`,
        });
      }
    }
    for (const finding of commit.findings) {
      refusals.push({
        ref: update.ref,
        commit: short,
        file: finding.file,
        line: finding.line,
        rule: finding.rule,
        message:
          `commit ${short} ${finding.file}:${finding.line}: ${finding.description} (rule ${finding.rule})`,
      });
    }
  }
  return refusals;
}
