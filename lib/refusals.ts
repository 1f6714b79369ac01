/**
 * @module
 * What the bottle refused while it ran, told to the person when the bottle goes: the
 * requests that carried a secret (by rule and host, never the secret), the hosts the
 * proxy would not reach, the requests to allowed hosts that failed (the network's fault, not
 * the allowlist's), and the pushes the git gate refused (to repositories other than
 * the `--cwd` workspace, whose refusals the home-coming summary tells). Someone who comes
 * back to a stopped agent learns why (a model request refused because the conversation
 * held a secret; a registry not in the allowlist) without reading the whole audit log,
 * and the secrets cut out of the agent's conversation with its model.
 * Host names came from the agent: each is made inert and the lists are cut short.
 */

import { inert } from "./inert.ts";
import { plural } from "./plural.ts";
import { auditEntries, savedLog } from "./logs.ts";
import { CUT_OUT, WORKSPACE_ENTRY } from "../sidecars/bundle/config.ts";

/** Hosts and rules listed by name before the rest are counted. */
const LISTED = 5;

/** Counts by key, most first (ties by name). */
class Tally {
  readonly #counts = new Map<string, number>();
  total = 0;

  add(key: string, count = 1): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + count);
    this.total += count;
  }

  /** The keys, most counted first, the first `LISTED` by name, the rest counted. */
  list(withCounts: boolean): string {
    const sorted = [...this.#counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const named = sorted.slice(0, LISTED).map(([key, n]) =>
      withCounts && this.#counts.size > 1 ? `${inert(key, 100)} (${n})` : inert(key, 100)
    );
    const rest = sorted.length - LISTED;
    return named.join(", ") + (rest > 0 ? ` and ${rest} more` : "");
  }
}

/**
 * The summary of the refusals in audit log `text` (JSON Lines), or undefined
 * when there were none. Rate-limited bursts count in full (their summary lines carry
 * the count); refusals that name no host (a malformed request) are left to `logs`.
 */
export function refusalSummary(text: string, instance: string): string | undefined {
  const blocked = { hosts: new Tally(), rules: new Tally() };
  const audited = { hosts: new Tally(), rules: new Tally() };
  const cut = { hosts: new Tally(), rules: new Tally() };
  // `git push` over HTTPS to an allowed host: around the git gate, told apart.
  const gitPushes = { hosts: new Tally(), rules: new Tally() };
  const denied = new Tally();
  // Requests to allowed hosts that failed upstream (a name that does not resolve, a
  // connection refused): not refusals, and not mended by the allowlist.
  const failed = new Tally();
  // Pushes the git gate refused, by repository (the workspace's are in the home summary).
  const pushes = new Map<string, { refs: number; rules: Tally }>();
  for (const e of auditEntries(text)) {
    // A rate-limited burst's summary line stands for `count` entries like it.
    const suppressed = e.action === "suppressed";
    const action = suppressed ? e.of : e.action;
    const count = suppressed && typeof e.count === "number" && e.count > 0 ? e.count : 1;
    if (e.kind === "git" && action === "refuse") {
      const repo = String((suppressed ? e.target : e.repo) ?? "");
      if (repo === WORKSPACE_ENTRY) continue;
      const into = pushes.get(repo) ?? { refs: 0, rules: new Tally() };
      into.refs += count;
      into.rules.add(String(e.rule ?? "refused"), count);
      pushes.set(repo, into);
      continue;
    }
    if (e.kind !== "egress") continue;
    const host = typeof (suppressed ? e.target : e.host) === "string"
      ? String(suppressed ? e.target : e.host)
      : undefined;
    if (action === "dlp-block" || action === "dlp-audit" || action === "dlp-cut") {
      const push = !suppressed && /\/git-receive-pack$/.test(String(e.path ?? ""));
      const into = action === "dlp-block"
        ? (push ? gitPushes : blocked)
        : action === "dlp-cut"
        ? cut
        : audited;
      into.hosts.add(host ?? "(no host)", count);
      // Each rule once per request, whatever the places it was found in.
      const rules = Array.isArray(e.rules) ? e.rules : [];
      for (const rule of new Set(rules.map((r) => String(r).split("@")[0]!))) into.rules.add(rule);
    } else if (action === "deny" && host !== undefined) {
      // By host: the log counts a burst per host, whatever its ports.
      denied.add(host, count);
    } else if (action === "error" && host !== undefined) {
      failed.add(host, count);
    }
  }
  const refused = blocked.hosts.total + gitPushes.hosts.total + denied.total + pushes.size;
  if (refused + audited.hosts.total + cut.hosts.total + failed.total === 0) return undefined;
  const see = `\`bot-bottle logs ${instance}\` shows each`;
  const lines: string[] = [];
  if (refused > 0) lines.push(`While ${instance} ran, the bottle refused (${see}):`);
  if (blocked.hosts.total > 0) {
    lines.push(
      `  ${plural(blocked.hosts.total, "request", "requests")} carrying a secret (${
        blocked.rules.list(false)
      }) to ${blocked.hosts.list(true)}; the secret is not shown`,
    );
  }
  if (gitPushes.hosts.total > 0) {
    lines.push(
      `  ${plural(gitPushes.hosts.total, "git push", "git pushes")} over HTTPS carrying a secret (${
        gitPushes.rules.list(false)
      }) to ${gitPushes.hosts.list(true)}, around the git gate`,
    );
  }
  if (denied.total > 0) {
    lines.push(
      `  ${plural(denied.total, "connection or request", "connections or requests")} to ${
        denied.list(true)
      }`,
      "  (a host the agent needs goes in the bottle's egress.allow; the log says why each was refused)",
    );
  }
  for (const [repo, { refs, rules }] of [...pushes].slice(0, LISTED)) {
    lines.push(
      `  ${plural(refs, "ref", "refs")} pushed to ${inert(repo, 100)}, at the git gate (${
        rules.list(false)
      })`,
    );
  }
  if (pushes.size > LISTED) lines.push(`  and pushes to ${pushes.size - LISTED} more repositories`);
  if (cut.hosts.total > 0) {
    lines.push(
      `Cut out before they went: secrets (${cut.rules.list(false)}) in ${
        plural(cut.hosts.total, "request", "requests")
      } to the agent's model at ${cut.hosts.list(true)}; the model saw "${CUT_OUT}" instead${
        lines.length === 0 ? ` (${see})` : ""
      }`,
    );
  }
  if (audited.hosts.total > 0) {
    lines.push(
      `Let through, as \`dlp: audit\` asks: ${
        plural(audited.hosts.total, "request", "requests")
      } carrying a secret (${audited.rules.list(false)}) to ${audited.hosts.list(true)}${
        lines.length === 0 ? ` (${see})` : ""
      }`,
    );
  }
  if (failed.total > 0) {
    lines.push(
      `${plural(failed.total, "request", "requests")} to allowed hosts failed on the way out: ${
        failed.list(true)
      } (${see.replace("shows each", "says why")})`,
      "  (a name that does not resolve or a connection that fails: this machine's network or DNS, or the host)",
    );
  }
  return lines.join("\n");
}

/** The summary of `instance`'s saved audit log (see `refusalSummary`), if it has one. */
export async function savedRefusals(dir: string, instance: string): Promise<string | undefined> {
  const path = await savedLog(dir, instance);
  if (!path) return undefined;
  const text = await Deno.readTextFile(path).catch(() => "");
  return refusalSummary(text, instance);
}
