/**
 * @module
 * The short summary a person reads when a bottle ends: which branches arrived with how
 * many commits, what was refused and where it is kept, and the commands to look at it.
 * Every name in it came from the agent, so each is made inert first.
 */

import { inert } from "../inert.ts";
import { plural } from "../plural.ts";

/** What came home from one bottle. */
export interface HomeReport {
  instance: string;
  kind: "git" | "dir";
  /** The repository the work arrived in. */
  homeRepo: string;
  /** The directory the bottle was started from. */
  source: string;
  arrived: {
    ref: string;
    commits: number;
    wip: boolean;
    /** A wip on a commit holding the user's own uncommitted work as it went in. */
    onYourWork?: boolean;
    /** Work inside this submodule: its files, on a commit of them as they went in. */
    submodule?: string;
    /** A stash the agent left. */
    stash?: boolean;
    /** Commits the agent left on a detached HEAD. */
    detached?: boolean;
    /** A tag the agent pushed (under `refs/tags/bot-bottle/...`), not a branch. */
    tag?: boolean;
    patch?: string;
  }[];
  /** Git LFS objects its commits point to, brought into the repository's LFS store. */
  lfsFiles?: number;
  refused: { ref: string; reasons: string[]; keptIn?: string }[];
  /** The state directory holding what did not arrive (and patches, for `dir`). */
  keptAt?: string;
  /** The host repository's current branch, for `git diff BASE...BRANCH`. */
  baseBranch?: string;
  problems: string[];
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** The summary as lines for a terminal. */
export function renderSummary(report: HomeReport): string {
  const lines: string[] = [];
  const where = report.kind === "git"
    ? report.homeRepo
    : `${report.homeRepo} (${report.source} is not a git repository, so the work came home to a baseline repository and as patches)`;
  if (report.arrived.length === 0) {
    lines.push(`Nothing new came home from ${report.instance}.`);
  } else {
    lines.push(`Work from ${report.instance} came home to ${where}:`);
    const width = Math.max(...report.arrived.map((a) => inert(a.ref, 200).length));
    for (const a of report.arrived) {
      const what = a.stash
        ? "a stash the agent left"
        : a.submodule !== undefined
        ? `work inside submodule ${inert(a.submodule, 200)}, as one commit of its files`
        : a.wip
        ? `uncommitted and untracked work, as one commit${
          a.onYourWork ? " (on one holding your own uncommitted work as it went in)" : ""
        }`
        : a.commits === 0
        ? "no new commits: a new name for a commit you have"
        : `${plural(a.commits, "commit")}${a.detached ? " it left on a detached HEAD" : ""}`;
      lines.push(`  ${inert(a.ref, 200).padEnd(width)}  ${a.tag ? `a tag: ${what}` : what}`);
      if (a.patch) lines.push(`  ${" ".repeat(width)}  patch: ${a.patch}`);
    }
    if (report.lfsFiles) {
      const n = report.lfsFiles;
      lines.push(`  and the Git LFS content of ${plural(n, "file")} they point to`);
    }
  }
  if (report.refused.length > 0) {
    lines.push("Refused by the git gate (no secret is shown), kept outside the repository:");
    for (const r of report.refused) {
      lines.push(`  ${inert(r.ref, 200)}:`);
      for (const reason of r.reasons.slice(0, 5)) lines.push(`    ${inert(reason, 300)}`);
      if (r.reasons.length > 5) lines.push(`    ... and ${r.reasons.length - 5} more`);
    }
    const kept = report.refused.find((r) => r.keptIn)?.keptIn;
    if (kept) {
      // Refused for a secret, or for what the gate cannot check (a file over its limit):
      // the work is the user's to take anyway, knowingly.
      const repo = report.kind === "git" ? "" : `--git-dir=${quote(report.homeRepo)} `;
      lines.push(
        `  kept in ${kept} (mode 600); it may hold a secret: inspect it with`,
        `  git bundle list-heads ${quote(kept)}`,
        `  git ${repo}fetch ${
          quote(kept)
        } 'refs/*:refs/heads/bot-bottle-kept/${report.instance}/*'    # takes it as it is`,
      );
    }
  }
  for (const p of report.problems) lines.push(`Note: ${inert(p, 400)}`);
  const plain = (a: HomeReport["arrived"][number]) => a.submodule === undefined && !a.stash;
  const first = report.arrived.find((a) => !a.wip && plain(a)) ?? report.arrived.find(plain);
  if (first) {
    const repo = report.kind === "git" ? "" : `--git-dir=${quote(report.homeRepo)} `;
    const ref = quote(first.ref);
    lines.push("Look at it:");
    lines.push(`  git ${repo}log --oneline ${ref}`);
    if (!first.onYourWork && report.kind === "git" && report.baseBranch) {
      lines.push(`  git diff ${quote(report.baseBranch)}...${ref}`);
    } else if (report.kind === "dir" && first.patch) {
      lines.push(`  cd ${quote(report.source)} && git apply ${quote(first.patch)}`);
    }
  }
  const hints: string[] = [];
  // A wip on the user's own uncommitted work: the diff from that commit is the agent's.
  const wip = report.arrived.find((a) => a.onYourWork);
  if (wip) {
    const ref = quote(wip.ref);
    hints.push(`  git diff ${ref}~1 ${ref}    # the agent's uncommitted changes alone`);
  }
  // Work in a submodule (its files went in without its git): a patch to apply there.
  for (const a of report.arrived.filter((a) => a.submodule !== undefined)) {
    const ref = quote(a.ref);
    hints.push(
      `  git diff ${ref}~1 ${ref} | git -C ${
        quote(`${report.homeRepo}/${inert(a.submodule!, 200)}`)
      } apply`,
    );
  }
  for (const a of report.arrived.filter((a) => a.stash && report.kind === "git")) {
    hints.push(`  git stash apply ${quote(a.ref)}`);
  }
  if (hints.length > 0 && !first) lines.push("Look at it:");
  lines.push(...hints);
  return lines.join("\n");
}
