/**
 * @module
 * The git gate's hooks, run by git in the bundle:
 *
 * - `access SERVICE PATH ...` (git daemon's access hook): before a fetch, refresh the
 *   mirror from upstream; log every fetch and push attempt.
 * - `pre-receive NAME` (the mirror's pre-receive hook): decide every ref update, tell
 *   the pusher exactly why a push is refused (never the secret), and forward an
 *   accepted push upstream with the gate's key, so the pusher sees upstream's result.
 */

import { AuditLog } from "../egress/audit.ts";
import {
  AUDIT_PATH,
  gateDir,
  gateOverrides,
  gateRefusals,
  lockOverrides,
  STATE_DIR,
} from "../bundle/config.ts";
import { followUpstreamHead, git } from "./git.ts";
import { type PushScan, scanPush } from "./objects.ts";
import { setPublicValues } from "../../lib/secrets/mod.ts";
import {
  decide,
  type GateRules,
  homeRefAllowed,
  type Override,
  refNameRefusal,
  type RefUpdate,
  type Refusal,
  ZERO,
} from "./policy.ts";

const audit = new AuditLog(AUDIT_PATH);
// deno-lint-ignore no-console
const tell = (line: string) => console.error(`bot-bottle gate: ${line}`);

function repoName(path: string): string {
  return path.replace(/\/+$/, "").split("/").pop()!.replace(/\.git$/, "");
}

async function access(service: string, path: string): Promise<number> {
  const name = repoName(path);
  const repo = path.startsWith("/") ? path : `${STATE_DIR}/git/${path}`;
  const hasUpstream =
    (await git(["config", "--get", "remote.upstream.url"], { cwd: repo })).code === 0;
  if (service === "upload-pack" && !hasUpstream) {
    audit.write({ kind: "git", action: "fetch", repo: name, refreshed: false });
  } else if (service === "upload-pack") {
    const r = await git(["fetch", "--quiet", "--prune", "upstream"], { cwd: repo });
    if (r.code !== 0) {
      // The mirror still serves what it has; the agent is told it may be stale.
      tell(`could not refresh from upstream, serving the last fetched state: ${r.stderr.trim()}`);
      audit.write({
        kind: "git",
        action: "fetch",
        repo: name,
        refreshed: false,
        reason: r.stderr.trim(),
      });
    } else {
      await followUpstreamHead(repo);
      audit.write({ kind: "git", action: "fetch", repo: name, refreshed: true });
    }
  } else {
    audit.write({ kind: "git", action: "push-attempt", repo: name });
  }
  await audit.flush();
  return 0;
}

/** The overrides a person granted through supervise (JSON lines; see `Override`). */
async function readOverrides(name: string): Promise<Override[]> {
  const text = await Deno.readTextFile(gateOverrides(name)).catch(() => "");
  const out: Override[] = [];
  for (const line of text.split("\n").filter(Boolean)) {
    try {
      const o = JSON.parse(line);
      if (typeof o.commit === "string" && typeof o.ref === "string") out.push(o);
    } catch { /* an old or broken line grants nothing */ }
  }
  return out;
}

async function spendOverrides(name: string, spent: Override[]): Promise<void> {
  if (spent.length === 0) return;
  using _lock = await lockOverrides(name);
  const all = await readOverrides(name);
  for (const o of all) {
    if (spent.some((s) => s.commit === o.commit && s.ref === o.ref && !s.used)) o.used = true;
  }
  await Deno.writeTextFile(gateOverrides(name), all.map((o) => JSON.stringify(o) + "\n").join(""), {
    mode: 0o600,
  });
}

/**
 * What supervise shows a person asked to override a refusal: the gate's own record of
 * it (commit, ref, rules, files, protected paths), never the agent's account of it.
 */
async function recordRefusals(name: string, refusals: Refusal[]): Promise<void> {
  const byCommit = Map.groupBy(refusals.filter((r) => r.commit), (r) => `${r.commit} ${r.ref}`);
  let text = "";
  for (const list of byCommit.values()) {
    text += JSON.stringify({
      commit: list[0]!.commit,
      ref: list[0]!.ref,
      at: new Date().toISOString(),
      findings: list.filter((r) => r.rule !== "protected-path").map((r) => r.message),
      protectedPaths: list.filter((r) => r.rule === "protected-path").map((r) => r.file),
    }) + "\n";
  }
  if (text) await Deno.writeTextFile(gateRefusals(name), text, { append: true, mode: 0o600 });
}

async function preReceive(name: string): Promise<number> {
  // `upstream` is null for the workspace repository: accepted work stays in the bundle.
  const rules: GateRules & { upstream: string | null } = JSON.parse(
    await Deno.readTextFile(`${gateDir(name)}/rules.json`),
  );
  setPublicValues(rules.publicValues ?? []);
  const overrides = await readOverrides(name);
  const input = await new Response(Deno.stdin.readable).text();
  const updates: RefUpdate[] = input.split("\n").filter(Boolean).map((line) => {
    const [old, next, ref] = line.split(" ");
    return { old: old!, new: next!, ref: ref! };
  });
  const refusals: Refusal[] = [];
  const spent: Override[] = [];
  const forward: { update: RefUpdate; force: boolean }[] = [];
  for (const update of updates) {
    // Its name is never printed, logged or recorded: its label is.
    const named = refNameRefusal(update.ref, rules);
    if (named) {
      refusals.push(named);
      continue;
    }
    if (rules.upstream === null && !homeRefAllowed(update.ref)) {
      refusals.push({
        ref: update.ref,
        rule: "ref-namespace",
        message: "only branches and tags come home from a bottle (push to refs/heads/NAME)",
      });
      continue;
    }
    let fastForward = true;
    let scan: PushScan = { commits: [], findings: [], oversized: [] };
    if (update.new !== ZERO) {
      if (update.old !== ZERO) {
        fastForward =
          (await git(["merge-base", "--is-ancestor", update.old, update.new])).code === 0;
      }
      scan = await scanPush(update.new, rules.secrets);
    }
    const decision = decide(update, { fastForward, scan }, rules, overrides);
    for (const r of decision.refusals) refusals.push(r);
    for (const o of decision.used) {
      spent.push(o);
      audit.write({
        kind: "git",
        action: "override",
        repo: name,
        ref: update.ref,
        commit: o.commit.slice(0, 12),
      });
    }
    if (decision.refusals.length === 0) forward.push({ update, force: !fastForward });
  }
  if (refusals.length > 0) {
    tell(`push refused; nothing was sent upstream:`);
    for (const r of refusals) {
      tell(`  ${r.ref}: ${r.message}`);
      audit.write({
        kind: "git",
        action: "refuse",
        repo: name,
        ref: r.ref,
        rule: r.rule,
        message: r.message,
        ...(r.commit ? { commit: r.commit } : {}),
        ...(r.file ? { file: r.file, line: r.line } : {}),
      });
    }
    if (refusals.some((r) => r.commit)) {
      await recordRefusals(name, refusals);
      tell("rewrite those commits without the secret or the protected change, then push again,");
      tell(
        "or ask the person supervising this bottle for an override (the full commit id and ref).",
      );
    }
    await audit.flush();
    return 1;
  }
  for (const { update, force } of forward) {
    if (rules.upstream === null) {
      // The workspace repository: git stores the refs once this hook says yes.
      audit.write({
        kind: "git",
        action: "accept",
        repo: name,
        ref: update.ref,
        old: update.old,
        new: update.new,
        forced: force,
      });
      continue;
    }
    const spec = update.new === ZERO
      ? `:${update.ref}`
      : `${force ? "+" : ""}${update.new}:${update.ref}`;
    // By URL, not by remote name: a remote's tracking refs may not move in quarantine.
    const r = await git(["push", "--porcelain", rules.upstream, spec]);
    if (r.code !== 0) {
      tell(`upstream rejected ${update.ref}:`);
      for (const line of (r.stderr + r.stdout).trim().split("\n")) tell(`  ${line}`);
      audit.write({
        kind: "git",
        action: "upstream-reject",
        repo: name,
        ref: update.ref,
        reason: r.stderr.trim().split("\n").at(-1),
      });
      await audit.flush();
      return 1;
    }
    audit.write({
      kind: "git",
      action: "push",
      repo: name,
      ref: update.ref,
      old: update.old,
      new: update.new,
      forced: force,
    });
  }
  // Each override grants one push: spent once the push went through.
  await spendOverrides(name, spent);
  await audit.flush();
  return 0;
}

const [mode, ...args] = Deno.args;
try {
  Deno.exitCode = mode === "access" ? await access(args[0]!, args[1]!) : await preReceive(args[0]!);
} catch (error) {
  tell(`internal error, push refused: ${(error as Error).message}`);
  Deno.exitCode = 1;
}
