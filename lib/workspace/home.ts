/**
 * @module
 * Bringing the agent's work home when a bottle ends (claude exits, a signal, `down`,
 * `cleanup`, the reaper). First, in the agent, everything it did not push goes through
 * the gate like any push: every local branch, and its uncommitted and untracked work
 * as one commit. Then the refs the gate accepted cross to the host repository as a git
 * bundle file, fetched with hooks off under `refs/heads/bot-bottle/<bottle>/`: only
 * objects and those refs, never hooks, config, the index or the checked-out branch.
 * Work the gate refused is kept in bot-bottle's state directory (mode 600) and the
 * user is told where and why, without the secret.
 */

import { join } from "node:path";
import { AUDIT_PATH, gateRepo, MAX_BLOB_BYTES } from "../../sidecars/bundle/config.ts";
import type { BundleAccess, Guest, HomeAccess } from "../backend/types.ts";
import { mapLimited } from "../async.ts";
import { log } from "../log.ts";
import { plural } from "../plural.ts";
import { captureRaw, shell } from "../shell.ts";
import {
  HEAD_REF,
  type HomeRef,
  homeRefs,
  shortRef,
  STASH_REFS,
  SUBMODULE_REFS,
  submoduleOf,
  WIP_LARGE_REF,
  WIP_REF,
} from "./refs.ts";
import { bringLfsHome, MAX_LFS_HOME, newPointers } from "./lfs.ts";
import { forgetRecord, readRecord, workDir, type WorkspaceRecord } from "./record.ts";
import { type HomeReport, renderSummary } from "./summary.ts";
import { auditEntries } from "../logs.ts";
import { secretInName, setPublicValues } from "../secrets/mod.ts";

/** Git in the agent with its own hooks and helpers turned off. */
const AGENT_GIT =
  'G() { git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c gc.auto=0 -c maintenance.auto=false "$@"; }';

/** The ref, in the agent's repository, of the user's own uncommitted work as carried in. */
export const BASELINE_REF = "refs/bot-bottle/baseline";

/** Where, in the agent's repository, the HEAD it started at is recorded. */
export const START_REF = "refs/bot-bottle/start";

/** The message of the commit of the user's own work (the baseline, and its merge into a moved HEAD). */
export const BASELINE_MESSAGE = "bot-bottle: your uncommitted and untracked work, as carried in";

/** Commits a tree as bot-bottle, with no hooks: `C TREE [-p PARENT]` with the message on stdin. */
const COMMIT_AS_BOT =
  'C() { G -c user.name=bot-bottle -c user.email=wip@bot-bottle.invalid commit-tree "$@"; }';

/** Where, in the agent's repository, a submodule's files as they went in are recorded. */
export const SUBMODULE_BASE_REFS = "refs/bot-bottle/submodule-base/";

/**
 * Shell functions over the submodules of the agent's repository, which go in as plain
 * files (their own git does not): `S` prints `HEX PATH` for each (the hex of its
 * path names its refs; a path git quotes is skipped), and `T PATH` prints the tree of
 * the files in it, with its own .gitignore heeded.
 */
const SUBMODULE_FUNCTIONS = String
  .raw`S() { G -c core.quotePath=false ls-files -s | sed -n 's/^160000 [0-9a-f]* [0-9]\t//p' | while IFS= read -r p; do
  case "$p" in \"*) continue ;; esac
  [ -d "$p" ] && printf '%s %s\n' "$(printf %s "$p" | od -An -tx1 -v | tr -d ' \n')" "$p"
done; }
T() { ti=$(mktemp) && rm -f "$ti" && top=$(pwd) && (cd "$1" && GIT_INDEX_FILE="$ti" G --git-dir="$top/.git" --work-tree=. add -A . >/dev/null 2>&1 && GIT_INDEX_FILE="$ti" G --git-dir="$top/.git" write-tree); rm -f "$ti"; }`;

/**
 * Run in the agent's workspace right after it is unpacked: when the user's tree held
 * uncommitted or untracked work (it goes in as it is), records it as a commit on top of
 * HEAD under `BASELINE_REF`, so that at exit the agent's own uncommitted work can be
 * told from the user's. Never fails the unpacking.
 */
export const BASELINE_SCRIPT = `${AGENT_GIT}
${COMMIT_AS_BOT}
if G rev-parse -q --verify HEAD >/dev/null; then htree=$(G rev-parse HEAD^{tree}); parent="-p HEAD"; G update-ref ${START_REF} HEAD; else htree=""; parent=""; fi
idx=$(mktemp)
cp .git/index "$idx" 2>/dev/null || rm -f "$idx"
if GIT_INDEX_FILE="$idx" G add -A . >/dev/null 2>&1; then
  tree=$(GIT_INDEX_FILE="$idx" G write-tree 2>/dev/null)
  if [ -n "$tree" ] && [ "$tree" != "$htree" ]; then
    c=$(echo "${BASELINE_MESSAGE}" | C "$tree" $parent) && [ -n "$c" ] && G update-ref ${BASELINE_REF} "$c" &&
      echo "baseline $c"
  fi
fi
rm -f "$idx"
${SUBMODULE_FUNCTIONS}
S | while read -r hex p; do
  t=$(T "$p") && [ -n "$t" ] && c=$(echo "bot-bottle: the files of submodule $p, as carried in" | C "$t") &&
    [ -n "$c" ] && G update-ref "${SUBMODULE_BASE_REFS}$hex" "$c"
done
true
`;

/**
 * The agent-side script: saves uncommitted and untracked work (what .gitignore does
 * not exclude) as a commit without touching the agent's branch or index, then lists it
 * and every local branch as `KIND SHA REF` lines. Work the user had not committed goes
 * in with the tree (see `BASELINE_SCRIPT`): it is not the agent's, so when nothing but
 * it is left uncommitted there is no wip, and otherwise the wip sits on a commit
 * holding it (the baseline, or where the agent moved HEAD, a merge of the baseline into
 * it), so that the wip's own change is the agent's alone.
 */
export const COLLECT_SCRIPT = `set -u
limit="\${2:-${MAX_BLOB_BYTES}}"
cd "$1" 2>/dev/null || { echo "missing $1"; exit 0; }
${AGENT_GIT}
${COMMIT_AS_BOT}
G rev-parse --git-dir >/dev/null 2>&1 || { echo "nogit"; exit 0; }
gd=$(G rev-parse --git-dir)
for op in MERGE_HEAD:merge rebase-merge:rebase rebase-apply:rebase CHERRY_PICK_HEAD:cherry-pick REVERT_HEAD:revert; do
  [ -e "$gd/\${op%%:*}" ] && { echo "unfinished \${op#*:}"; break; }
done
idx=$(mktemp)
cp .git/index "$idx" 2>/dev/null || rm -f "$idx"
if G rev-parse -q --verify HEAD >/dev/null; then head=$(G rev-parse HEAD); base=$(G rev-parse HEAD^{tree}); parent="-p HEAD"; else head=""; base=""; parent=""; fi
carried=""
if bl=$(G rev-parse -q --verify ${BASELINE_REF}^{commit}); then
  if [ "$(G rev-parse -q --verify "$bl^" || true)" = "$head" ]; then
    carried=$(G rev-parse "$bl^{tree}"); parent="-p $bl"
  elif [ -n "$head" ] && merged=$(G merge-tree --write-tree "$bl" HEAD 2>/dev/null); then
    carried=$(echo "$merged" | head -n 1)
    if [ -n "$carried" ] && [ "$carried" != "$base" ]; then
      on=$(echo "${BASELINE_MESSAGE}" | C "$carried" -p HEAD -p "$bl") && [ -n "$on" ] && parent="-p $on"
    fi
  fi
fi
# A file left out of the bottle (it holds a secret; skip-worktree in the index) that the
# agent wrote anew is its work too: unmarked, so that add sees it (one it left alone stays
# marked, or add would take it for deleted).
GIT_INDEX_FILE="$idx" G ls-files -z -v 2>/dev/null | tr '\\000' '\\n' | sed -n 's/^S //p' |
  while IFS= read -r p; do { [ -e "$p" ] || [ -L "$p" ]; } && printf '%s\\000' "$p"; done |
  GIT_INDEX_FILE="$idx" G update-index -z --no-skip-worktree --stdin >/dev/null 2>&1
if GIT_INDEX_FILE="$idx" G add -A . >/dev/null 2>&1; then
  tree=$(GIT_INDEX_FILE="$idx" G write-tree 2>/dev/null)
  if [ -n "$tree" ] && [ "$tree" != "$base" ] && [ "$tree" != "$carried" ]; then
    # Files larger than the gate can check go in a commit of their own on top of the
    # wip: the gate refuses that one (it is kept) and the rest of the work comes home.
    full="$tree"
    if [ -n "$parent" ]; then under=$(G rev-parse "\${parent#-p }^{tree}"); else under=$(G hash-object -t tree /dev/null); fi
    big=$(mktemp)
    # Candidates by the size the index recorded of each file on disk (reading thousands of
    # git objects' sizes took seconds), then each one's blob: new or changed, and over the
    # limit as git holds it (a Git LFS file's blob is a pointer).
    GIT_INDEX_FILE="$idx" G -c core.quotePath=false ls-files -s --debug 2>/dev/null |
      awk -v limit="$limit" '/^[0-7]+ [0-9a-f]+ [0-3]\t/ { t = index($0, "\t"); split(substr($0, 1, t - 1), f, " "); sha = f[2]; p = substr($0, t + 1); next }
        /^  size: / { if ($2 + 0 > limit + 0) print sha " " p }' |
      while read -r new p; do
        [ "$new" != "$(G rev-parse -q --verify "$under:$p" 2>/dev/null)" ] || continue
        [ "$(G cat-file -s "$new" 2>/dev/null || echo 0)" -gt "$limit" ] && printf '%s\\000' "$p"
      done > "$big"
    if [ -s "$big" ] && GIT_INDEX_FILE="$idx" G --literal-pathspecs reset -q --pathspec-from-file="$big" --pathspec-file-nul "$under" >/dev/null 2>&1; then
      tree=$(GIT_INDEX_FILE="$idx" G write-tree 2>/dev/null)
    fi
    rm -f "$big"
    top="$parent"
    if [ -n "$tree" ] && [ "$tree" != "$base" ] && [ "$tree" != "$carried" ]; then
      wip=$(echo "bot-bottle: uncommitted and untracked work at exit" | C "$tree" $parent)
      [ -n "$wip" ] && G update-ref ${WIP_REF} "$wip" && echo "wip $wip ${WIP_REF}" && top="-p $wip"
    fi
    if [ -n "$tree" ] && [ "$tree" != "$full" ]; then
      large=$(echo "bot-bottle: uncommitted files too large for the git gate to check, at exit" | C "$full" $top)
      [ -n "$large" ] && G update-ref ${WIP_LARGE_REF} "$large" && echo "wip-large $large ${WIP_LARGE_REF}"
    fi
  fi
fi
rm -f "$idx"
${SUBMODULE_FUNCTIONS}
S | while read -r hex p; do
  b=$(G rev-parse -q --verify "${SUBMODULE_BASE_REFS}$hex^{commit}") || continue
  t=$(T "$p") && [ -n "$t" ] && [ "$t" != "$(G rev-parse "$b^{tree}")" ] || continue
  c=$(echo "bot-bottle: work in submodule $p at exit" | C "$t" -p "$b") && [ -n "$c" ] &&
    G update-ref "${SUBMODULE_REFS}$hex" "$c" && echo "submodule $c ${SUBMODULE_REFS}$hex"
done
if [ -n "$head" ] && ! G symbolic-ref -q HEAD >/dev/null &&
  [ "$head" != "$(G rev-parse -q --verify ${START_REF} || true)" ] &&
  [ -z "$(G for-each-ref --count=1 --contains HEAD refs/heads refs/tags refs/remotes)" ]; then
  G update-ref ${HEAD_REF} "$head" && echo "head $head ${HEAD_REF}"
fi
G stash list --format=%H 2>/dev/null | head -n 100 | {
  n=0
  while read -r s; do
    G update-ref "${STASH_REFS}$n" "$s" && echo "stash $s ${STASH_REFS}$n"
    n=$((n + 1))
  done
}
G for-each-ref --format='branch %(objectname) %(refname)' refs/heads
`;

/** Pushes one local ref to the gate; a refusal is printed by git, never fatal here. */
export const PUSH_SCRIPT = `set -u
cd "$1" || exit 3
${AGENT_GIT}
G push --quiet "$2" "+$3:$4" 2>&1
`;

/** How many of the agent's refs are pushed to the gate at a time. */
const PUSHES_AT_ONCE = 3;

/** While the gate checks the work, a line says so this often. */
const BEAT_MS = 10_000;

/** One local ref of the agent at exit. */
interface AgentRef {
  kind: "wip" | "wip-large" | "branch" | "submodule" | "stash" | "head";
  sha: string;
  ref: string;
}

function parseCollect(stdout: string): AgentRef[] {
  const refs: AgentRef[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^(wip|wip-large|branch|submodule|stash|head) ([0-9a-f]{40,64}) (refs\/\S+)$/.exec(
      line,
    );
    if (m) refs.push({ kind: m[1] as AgentRef["kind"], sha: m[2]!, ref: m[3]! });
  }
  return refs;
}

function parseRefs(stdout: string): Record<string, string> {
  const refs: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^([0-9a-f]{40,64}) (refs\/\S+)$/.exec(line.trim());
    if (m) refs[m[2]!] = m[1]!;
  }
  return refs;
}

async function hostGit(repo: string, args: string[]) {
  const $ = await shell();
  return await captureRaw(
    $`git -C ${repo} -c core.hooksPath=/dev/null -c core.fsmonitor=false -c gc.auto=0 -c maintenance.auto=false ${args}`,
    "10m",
  );
}

/** The home refs whose commits the host lacks: those a bundle must carry. */
async function needBundle(record: WorkspaceRecord, home: HomeRef[]): Promise<HomeRef[]> {
  const held = await heldBy(record.homeRepo, home.map((h) => h.sha));
  return home.filter((h) => !held.has(h.sha));
}

/**
 * The shas among `shas` that `repo` already holds. A ref the agent made at a commit the
 * user has (a branch at HEAD, a tag, a branch fast-forwarded to another of theirs) has
 * nothing to carry: a bundle leaves it out (and refuses to be made of only such refs),
 * so it is set directly, to an object the host already checked in.
 */
async function heldBy(repo: string, shas: readonly string[]): Promise<Set<string>> {
  const held = new Set<string>();
  for (const sha of new Set(shas)) {
    if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(sha)) continue;
    if ((await hostGit(repo, ["cat-file", "-e", `${sha}^{commit}`])).code === 0) held.add(sha);
  }
  return held;
}

/** Why the gate refused each ref, from its audit log (never the secret). */
async function refusalReasons(
  bundle: BundleAccess,
  gateName: string,
  staging: string,
  since: string,
) {
  const reasons = new Map<string, string[]>();
  let text = "";
  if (await bundle.running()) {
    text = (await bundle.exec(["cat", AUDIT_PATH])).stdout;
  } else {
    const file = join(staging, "audit.jsonl");
    await bundle.copyOut(AUDIT_PATH, file).catch(() => {});
    text = await Deno.readTextFile(file).catch(() => "");
  }
  for (const e of auditEntries(text)) {
    if (e.kind !== "git" || e.action !== "refuse" || e.repo !== gateName) continue;
    if (String(e.ts ?? "") < since) continue;
    // The gate words its refusals for the agent; this one is read by the person.
    const reason = e.rule === "no-force-push"
      ? "its history was rewritten (a rebase or an amend of commits it had), and this gate takes no force-push (workspace.allow_force_push)"
      : String(e.message ?? `refused (rule ${e.rule})`);
    const list = reasons.get(String(e.ref)) ?? [];
    if (!list.includes(reason)) list.push(reason);
    reasons.set(String(e.ref), list);
  }
  return reasons;
}

/** The gate's refs and, when some come home, a git bundle file holding them. */
async function gateHome(
  record: WorkspaceRecord,
  bundle: BundleAccess,
  staging: string,
): Promise<{ refs: Record<string, string>; file?: string; error?: string }> {
  const repo = gateRepo(record.gateName);
  const seeds = [...new Set(Object.values(record.seed))];
  if (await bundle.running()) {
    const listed = await bundle.exec([
      "git",
      "-C",
      repo,
      "for-each-ref",
      "--format=%(objectname) %(refname)",
    ]);
    if (listed.code !== 0) return { refs: {}, error: `the gate's refs: ${listed.stderr.trim()}` };
    const refs = parseRefs(listed.stdout);
    const home = await needBundle(record, homeRefs(record.instance, refs, record.seed));
    if (home.length === 0) return { refs };
    // Packed to stdout, straight into the host's file: nothing is left in the bundle.
    const file = join(staging, "home.bundle");
    const made = await bundle.execToFile([
      "git",
      "-C",
      repo,
      "bundle",
      "create",
      "--quiet",
      "-",
      ...home.map((h) => h.gate),
      ...(seeds.length ? ["--not", ...seeds] : []),
    ], file);
    if (made.code !== 0) return { refs, error: `packing the work: ${made.stderr.trim()}` };
    return { refs, file };
  }
  // The bundle stopped (it died, or the engine restarted): read its repository as files.
  const copy = join(staging, "gate.git");
  try {
    await bundle.copyOut(repo, copy);
  } catch (error) {
    return { refs: {}, error: `the gate's repository is gone: ${(error as Error).message}` };
  }
  const listed = await hostGit(copy, ["for-each-ref", "--format=%(objectname) %(refname)"]);
  const refs = parseRefs(listed.stdout);
  const home = await needBundle(record, homeRefs(record.instance, refs, record.seed));
  if (home.length === 0) return { refs };
  const file = join(staging, "home.bundle");
  const made = await hostGit(copy, [
    "bundle",
    "create",
    "--quiet",
    file,
    ...home.map((h) => h.gate),
    ...(seeds.length ? ["--not", ...seeds] : []),
  ]);
  return made.code === 0
    ? { refs, file }
    : { refs, error: `packing the work: ${made.stderr.trim()}` };
}

/**
 * Collects the agent's unpushed work through the gate. Returns the refs that did not
 * reach the gate (refused, or the push failed), each with what git said.
 */
async function collect(
  record: WorkspaceRecord,
  guest: Guest,
): Promise<
  { pending: AgentRef[]; outputs: Map<string, string>; problem?: string; unfinished?: string }
> {
  // The commits bot-bottle makes are dated when the bottle started, so that collecting
  // the same work again (a `cleanup` after a home-coming cut short) makes the same
  // commits, which the gate already holds, not new ones it would take for a force-push.
  const created = Date.parse(record.created);
  const started = `@${Math.floor(created / 1000)} +0000`;
  const listed = await guest.exec(["sh", "-c", COLLECT_SCRIPT, "sh", record.guestPath], {
    user: "agent",
    timeout: "5m",
    ...(Number.isFinite(created)
      ? { env: { GIT_AUTHOR_DATE: started, GIT_COMMITTER_DATE: started } }
      : {}),
  });
  if (listed.code !== 0) {
    return {
      pending: [],
      outputs: new Map(),
      problem: `collecting the agent's work failed: ${listed.stderr.trim()}`,
    };
  }
  if (/^(missing|nogit)/m.test(listed.stdout)) {
    return {
      pending: [],
      outputs: new Map(),
      problem: `the agent's workspace (${record.guestPath}) no longer holds a git repository`,
    };
  }
  // A branch still where the seed had it needs no push (the gate has it): the branches
  // of earlier sessions, come home into the repository and copied in again, say.
  const refs = parseCollect(listed.stdout).filter((r) =>
    r.kind === "wip" || r.kind === "wip-large" || record.seed[r.ref] !== r.sha
  );
  // The gate reads every file the work adds: thousands take seconds, so it is said.
  if (refs.length > 0) {
    log.info(
      `  the git gate checks the agent's work (${plural(refs.length, "ref")})`,
    );
  }
  const checking = performance.now();
  const beat = setInterval(() => {
    const s = Math.round((performance.now() - checking) / 1000);
    log.info(`  the git gate is still checking (${s} s)`);
  }, BEAT_MS);
  // One push per ref (the gate's verdict on one must not hold back another), a few at
  // once: each wakes the gate's hooks in the bundle, whose memory is capped.
  const pushed = await mapLimited(refs, PUSHES_AT_ONCE, (r) =>
    guest.exec(
      [
        "sh",
        "-c",
        PUSH_SCRIPT,
        "sh",
        record.guestPath,
        record.gateUrl,
        r.sha,
        r.kind === "wip" ? WIP_REF : r.ref,
      ],
      { user: "agent", timeout: "10m" },
    )).finally(() => clearInterval(beat));
  const outputs = new Map(
    refs.map((r, i) => [r.ref, (pushed[i]!.stdout + pushed[i]!.stderr).trim()]),
  );
  const unfinished = /^unfinished (merge|rebase|cherry-pick|revert)$/m.exec(listed.stdout)?.[1];
  return { pending: refs, outputs, ...(unfinished ? { unfinished } : {}) };
}

/** Keeps refs that did not come home as a bundle file in the state directory. */
async function keepRefused(
  record: WorkspaceRecord,
  guest: Guest,
  refs: AgentRef[],
  dir: string,
): Promise<string | undefined> {
  const seeds = [...new Set(Object.values(record.seed))];
  const inGuest = `/tmp/bot-bottle-kept-${Date.now()}.bundle`;
  const made = await guest.exec([
    "sh",
    "-c",
    `umask 077 && cd "$1" && ${AGENT_GIT} && shift && G bundle create --quiet "$@"`,
    "sh",
    record.guestPath,
    inGuest,
    ...refs.map((r) => r.ref),
    ...(seeds.length ? ["--not", ...seeds] : []),
  ], { user: "agent", timeout: "10m" });
  try {
    if (made.code !== 0) return undefined;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `kept-${new Date().toISOString().replace(/[:.]/g, "-")}.bundle`);
    await guest.getFile(inGuest, file);
    await Deno.chmod(file, 0o600);
    return file;
  } finally {
    // It holds refused work, maybe a secret: not left in the guest's /tmp (a guest that
    // outlives the session, or a stand-in running on the host, would keep it).
    await guest.exec(["rm", "-f", inGuest], { user: "agent", timeout: "1m" }).catch(() => {});
  }
}

/** The host repository's current branch, for the `git diff` hint. */
async function currentBranch(repo: string): Promise<string | undefined> {
  const r = await hostGit(repo, ["symbolic-ref", "--quiet", "--short", "HEAD"]);
  const branch = r.code === 0 ? r.stdout.trim() : "";
  // A branch without a commit yet (a repository started empty) is nothing to diff against.
  if (!branch) return undefined;
  const born = await hostGit(repo, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
  return born.code === 0 ? branch : undefined;
}

/**
 * Brings `instance`'s work home, if it has a workspace; prints and returns the report.
 * `guest` is the agent when it still runs (its unpushed work is collected first).
 */
export async function bringHome(
  env: Record<string, string | undefined>,
  instance: string,
  access: HomeAccess,
): Promise<HomeReport | undefined> {
  const { guest, bundle } = access;
  const record = await readRecord(env, instance);
  if (!record) return undefined;
  setPublicValues(record.publicValues ?? []);
  // Refusals from earlier in the session may since have been fixed; only this round's count.
  const since = new Date(Date.now() - 1000).toISOString();
  log.step(`Bringing the work of ${instance} home`);
  const dir = workDir(env, instance);
  const staging = await Deno.makeTempDir({ prefix: "bot-bottle-home-" });
  const report: HomeReport = {
    instance,
    kind: record.kind,
    homeRepo: record.homeRepo,
    source: record.source,
    arrived: [],
    refused: [],
    problems: [],
  };
  try {
    let pending: AgentRef[] = [];
    let outputs = new Map<string, string>();
    if (guest) {
      const collected = await collect(record, guest).catch((error) => ({
        pending: [] as AgentRef[],
        outputs: new Map<string, string>(),
        problem: `collecting the agent's work failed: ${(error as Error).message}`,
      }));
      pending = collected.pending;
      outputs = collected.outputs;
      if (collected.problem) report.problems.push(collected.problem);
      if ("unfinished" in collected && collected.unfinished) {
        report.problems.push(
          `the agent left a ${collected.unfinished} unfinished: its uncommitted work holds the files as they were, conflict markers included`,
        );
      }
    } else if (access.salvage) {
      // Nothing can run in the agent: keep its whole workspace, unscanned, as an archive.
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      const file = join(dir, "agent-workspace.tar");
      try {
        await access.salvage(record.guestPath, file);
        report.problems.push(
          `the agent could not run, so its workspace was saved unscanned (it may hold secrets) as ${file}; extract it with tar --no-same-owner --no-same-permissions`,
        );
      } catch (error) {
        report.problems.push(
          `the agent's workspace could not be saved: ${(error as Error).message}`,
        );
      }
    } else {
      report.problems.push("the agent is gone, so work it had not pushed could not be collected");
    }

    const gate = await gateHome(record, bundle, staging);
    if (gate.error) report.problems.push(gate.error);
    // What the gate does not hold at the agent's sha did not get through.
    // Files too large to check never come home, whatever the gate said: they are kept.
    const missed = pending.filter((r) =>
      (r.kind === "wip-large" || gate.refs[r.kind === "wip" ? WIP_REF : r.ref] !== r.sha) &&
      !(r.kind === "branch" && record.seed[r.ref] === r.sha)
    );
    if (missed.length > 0 && guest) {
      const reasons = await refusalReasons(bundle, record.gateName, staging, since);
      // A refused ref naming a commit the user has (a branch moved back) holds nothing to keep.
      const held = await heldBy(record.homeRepo, missed.map((r) => r.sha));
      const keep = missed.filter((r) => !held.has(r.sha));
      const kept = keep.length === 0
        ? undefined
        : await keepRefused(record, guest, keep, dir).catch(() => undefined);
      for (const r of missed) {
        const gateRef = r.kind === "wip" ? WIP_REF : r.ref;
        // A ref named for a secret: the gate logged it by its label, and so it is shown.
        const named = secretInName(gateRef);
        const why = reasons.get(named?.label ?? gateRef) ?? [];
        report.refused.push({
          ref: r.kind === "wip"
            ? "uncommitted work"
            : r.kind === "wip-large"
            ? "uncommitted files too large for the gate to check"
            : r.kind === "submodule"
            ? `work in submodule ${submoduleOf(r.ref)}`
            : r.kind === "stash"
            ? `stash ${r.ref.slice(STASH_REFS.length)}`
            : r.kind === "head"
            ? "commits on a detached HEAD"
            : shortRef(named?.label ?? r.ref),
          // What git said repeats the ref's name.
          reasons: why.length > 0
            ? why
            : [(named ? "" : lastLine(outputs.get(r.ref))) || "the push did not reach the gate"],
          ...(kept && !held.has(r.sha) ? { keptIn: kept } : {}),
        });
      }
      if (!kept && keep.length > 0) {
        report.problems.push("work that did not come home could not be saved from the agent");
      }
    }

    const home = homeRefs(instance, gate.refs, record.seed);
    const held = await heldBy(record.homeRepo, home.map((h) => h.sha));
    const carried = home.filter((h) => !held.has(h.sha));
    if (home.length > 0 && (gate.file || carried.length === 0)) {
      const fetched = carried.length === 0 ? { code: 0, stderr: "" } : await hostGit(
        record.homeRepo,
        [
          "-c",
          "transfer.fsckObjects=true",
          "-c",
          "fetch.writeCommitGraph=false",
          "fetch",
          "--quiet",
          "--no-tags",
          "--no-prune",
          "--no-write-fetch-head",
          gate.file!,
          ...carried.map((h) => `+${h.gate}:${h.home}`),
        ],
      );
      // The others name commits the user has: set to them directly.
      const direct = fetched.code !== 0 ? [] : home.filter((h) => held.has(h.sha));
      const set = await mapLimited(
        direct,
        4,
        async (h) => (await hostGit(record.homeRepo, ["update-ref", h.home, h.sha])).code === 0,
      );
      const unset = new Set(direct.filter((_, i) => !set[i]).map((h) => h.home));
      if (unset.size > 0) {
        report.problems.push(
          `${unset.size} branch(es) naming a commit you have could not be set in your repository`,
        );
      }
      if (fetched.code !== 0) {
        await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
        const keep = join(dir, "home.bundle");
        await Deno.copyFile(gate.file!, keep);
        await Deno.chmod(keep, 0o600);
        report.problems.push(
          `fetching into ${record.homeRepo} failed (${
            lastLine(fetched.stderr)
          }); the work is kept in ${keep}`,
        );
      } else {
        const seeds = [...new Set(Object.values(record.seed))];
        const lfs = await lfsContent(record, guest, home, seeds, staging);
        if (lfs.brought > 0) report.lfsFiles = lfs.brought;
        report.problems.push(...lfs.problems);
        const arrivedHome = home.filter((h) => !unset.has(h.home));
        if (record.leftOut?.length) {
          report.problems.push(
            ...await rewrittenLeftOut(
              record.homeRepo,
              arrivedHome.map((h) => h.home),
              seeds,
              record.leftOut,
            ),
          );
        }
        for (const h of arrivedHome) {
          const count = await hostGit(record.homeRepo, [
            "rev-list",
            "--count",
            h.home,
            ...(seeds.length ? ["--not", ...seeds] : []),
          ]);
          const arrived: HomeReport["arrived"][number] = {
            ref: shortRef(h.home),
            commits: Number(count.stdout.trim()) || 0,
            wip: h.gate === WIP_REF,
            ...(h.stash ? { stash: true } : {}),
            ...(h.detached ? { detached: true } : {}),
            ...(h.home.startsWith("refs/tags/") ? { tag: true } : {}),
          };
          // The path came from the agent: only a submodule of the user's repository gets
          // the command that applies the work there.
          if (h.submodule !== undefined && await isSubmodule(record.homeRepo, h.submodule)) {
            arrived.submodule = h.submodule;
          }
          if (arrived.wip && record.baseline) {
            arrived.onYourWork = await onBaseline(record.homeRepo, h.home, record.baseline);
          }
          if (record.kind === "dir") {
            arrived.patch = await writePatch(record, h.home, dir);
          }
          report.arrived.push(arrived);
        }
      }
    }
    if (record.kind === "git") {
      const base = await currentBranch(record.homeRepo);
      if (base) report.baseBranch = base;
    }
    if (report.refused.length > 0 || record.kind === "dir") report.keptAt = dir;
    const text = renderSummary(report);
    log.info(text);
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(join(dir, "summary.txt"), text + "\n", { mode: 0o600 });
    return report;
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/**
 * Whether the wip `ref` sits on the user's own uncommitted work as it went in: its
 * parent is the baseline commit recorded before the agent ran, or a merge of it into
 * the agent's HEAD that git on the host makes the same. Everything in the wip came from
 * the agent, which could dress its own changes up as the user's: nothing else counts.
 */
/**
 * Tracked files that stayed out of the bottle (they hold a secret) which the agent wrote
 * anew, in any of `refs` (its commits past `seeds`, its wip): they hold its version in
 * place of yours, made without seeing yours.
 */
async function rewrittenLeftOut(
  repo: string,
  refs: string[],
  seeds: string[],
  paths: string[],
): Promise<string[]> {
  const by = new Map<string, string[]>();
  for (const ref of refs) {
    const changed = await hostGit(repo, [
      "log",
      "--format=",
      "--name-only",
      "-z",
      "--no-renames",
      ref,
      ...(seeds.length ? ["--not", ...seeds] : []),
      "--",
      ...paths.map((p) => `:(literal)${p}`),
    ]);
    if (changed.code !== 0) continue;
    const named = changed.stdout.split("\0").map((p) => p.replace(/^\n+/, ""));
    for (const path of new Set(named.filter((p) => paths.includes(p)))) {
      by.set(path, [...(by.get(path) ?? []), shortRef(ref)]);
    }
  }
  return [...by].map(([path, where]) =>
    `the agent wrote ${path}, which stayed out of the bottle because it holds a secret: ` +
    `${where.toSorted().join(", ")} ${
      where.length === 1 ? "has" : "have"
    } its version in place of yours, ` +
    `made without seeing yours`
  );
}

async function onBaseline(repo: string, ref: string, baseline: string): Promise<boolean> {
  const parents = await hostGit(repo, ["rev-list", "--parents", "-n", "1", `${ref}~1`]);
  if (parents.code !== 0) return false;
  const [under, ...of] = parents.stdout.trim().split(" ");
  if (under === baseline) return true;
  if (of.length !== 2 || of[1] !== baseline) return false;
  const merged = await hostGit(repo, ["merge-tree", "--write-tree", baseline, of[0]!]);
  const tree = await hostGit(repo, ["rev-parse", `${ref}~1^{tree}`]);
  return merged.code === 0 && merged.stdout.split("\n")[0] === tree.stdout.trim();
}

/**
 * Brings the Git LFS content the home refs point to (see `lfs.ts`): how many objects
 * came, and what the person should hear about content that did not.
 */
async function lfsContent(
  record: WorkspaceRecord,
  guest: Guest | undefined,
  home: { home: string }[],
  seeds: string[],
  staging: string,
): Promise<{ brought: number; problems: string[] }> {
  try {
    const pointers = await newPointers(record.homeRepo, home.map((h) => h.home), seeds);
    if (pointers.length === 0) return { brought: 0, problems: [] };
    if (!guest) {
      return {
        brought: 0,
        problems: [
          `the agent is gone, so the content of ${
            plural(pointers.length, "Git LFS file")
          } its commits point to could not come home`,
        ],
      };
    }
    const got = await bringLfsHome(record.homeRepo, guest, record.guestPath, pointers, staging);
    const some = (paths: string[]) =>
      `${paths.slice(0, 5).join(", ")}${paths.length > 5 ? ` and ${paths.length - 5} more` : ""}`;
    return {
      brought: got.brought,
      problems: [
        ...got.refused.map((r) =>
          `the Git LFS content of ${r.path} holds a secret (rule ${r.rule}), so it did not come home; its commit points to content your repository lacks`
        ),
        ...(got.missing.length > 0
          ? [
            `the agent did not have the Git LFS content of ${
              some(got.missing)
            }, which its commits point to`,
          ]
          : []),
        ...(got.tooLarge.length > 0
          ? [
            `the Git LFS content of ${some(got.tooLarge)} did not come home: together past ${
              MAX_LFS_HOME / 1024 ** 3
            } GiB, the most one bottle brings`,
          ]
          : []),
      ],
    };
  } catch (error) {
    return {
      brought: 0,
      problems: [`bringing Git LFS content home failed: ${(error as Error).message}`],
    };
  }
}

/** Whether `path` is a submodule in `repo`'s index. */
async function isSubmodule(repo: string, path: string): Promise<boolean> {
  const r = await hostGit(repo, ["ls-files", "--stage", "-z", "--", `:(literal)${path}`]);
  return r.code === 0 &&
    r.stdout.split("\0").some((e) => e.startsWith("160000 ") && e.endsWith(`\t${path}`));
}

/** For a directory outside git: the branch's change against the baseline, as a patch. */
async function writePatch(record: WorkspaceRecord, ref: string, dir: string): Promise<string> {
  const baseline = record.seed["refs/heads/main"];
  const diff = await hostGit(record.homeRepo, ["diff", "--binary", baseline ?? ref, ref]);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${shortRef(ref).replaceAll("/", "_")}.patch`);
  await Deno.writeTextFile(file, diff.stdout, { mode: 0o600 });
  return file;
}

function lastLine(text: string | undefined): string {
  return (text ?? "").trim().split("\n").at(-1)?.replace(/^remote:\s*/, "") ?? "";
}

/** After the bottle is removed: forget its record (its work directory stays). */
export async function forgetWorkspace(
  env: Record<string, string | undefined>,
  instance: string,
): Promise<void> {
  await forgetRecord(env, instance);
}
