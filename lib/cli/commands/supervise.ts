/**
 * @module
 * `bot-bottle supervise`: the person's side of the agents' requests. Lists pending
 * requests across bottles and answers them; `--watch` shows new ones as they arrive
 * and prompts. The queue lives in each bottle's bundle, so answers take effect there
 * at once, and a restarted command sees the same queue.
 */

import { allBackends } from "../../backend/mod.ts";
import type { Backend } from "../../backend/types.ts";
import { LABEL_BOTTLE, LABEL_POLICY } from "../../constants.ts";
import { containersByLabel } from "../../docker/cli.ts";
import { BotBottleError, UsageError } from "../../errors.ts";
import { inert } from "../../inert.ts";
import { log, out } from "../../log.ts";
import { isIpv4 } from "../../net/hosts.ts";
import { type Command, type CommandContext, FORMAT_OPTION } from "../command.ts";

/** One request, as the bundle reports it, with the bottle it came from. */
export interface Listed {
  id: string;
  kind: string;
  reason: string;
  details: Record<string, unknown>;
  created: string;
  status: string;
  answer?: { decision: string; comment: string };
  bottle: string;
}

const USAGE =
  "Usage: bot-bottle supervise [approve ID | deny ID | answer ID TEXT] [--comment TEXT] [--all] [--watch]";

async function bottles(): Promise<{ backend: Backend; name: string }[]> {
  const found: { backend: Backend; name: string }[] = [];
  for (const backend of allBackends()) {
    if (await backend.unavailable()) continue;
    for (const b of await backend.list()) {
      if (b.status === "running") found.push({ backend, name: b.name });
    }
  }
  return found;
}

async function listAll(): Promise<Listed[]> {
  return await listRequests(await bottles());
}

/**
 * The requests of `found` bottles, oldest first. Bottles come and go while this runs: one
 * removed or stopped since it was found is passed over; a running one that fails to
 * answer is an error.
 */
export async function listRequests(
  found: { backend: Pick<Backend, "superviseCall" | "bundleRunning">; name: string }[],
): Promise<Listed[]> {
  const all: Listed[] = [];
  for (const { backend, name } of found) {
    const text = await listOne(backend, name);
    if (text === undefined) continue;
    for (const r of JSON.parse(text)) all.push({ ...r, bottle: name });
  }
  return all.toSorted((a, b) => a.created.localeCompare(b.created));
}

/** Pause before asking a failing bottle that still looks running once more. */
const RETRY_MS = 500;

/**
 * One bottle's requests as JSON text; undefined for a bottle removed or stopped since it
 * was found. A bottle being removed right now can still look running for a moment after
 * its call failed, so a failure is asked once more before it counts.
 */
async function listOne(
  backend: Pick<Backend, "superviseCall" | "bundleRunning">,
  name: string,
): Promise<string | undefined> {
  for (let attempt = 1;; attempt++) {
    try {
      return await backend.superviseCall(name, ["list"]);
    } catch (error) {
      if (!(await backend.bundleRunning(name).catch(() => false))) return undefined;
      if (attempt === 2) throw error;
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}

/** A private, loopback, link-local or metadata IPv4 literal, said in words. */
export function privateAddressNote(host: string): string | undefined {
  const ip = host.replace(/:\d+$/, "");
  if (!isIpv4(ip)) return undefined;
  const [a, b] = ip.split(".").map(Number) as [number, number];
  const kind = a === 127
    ? "a loopback address (this machine)"
    : a === 169 && b === 254
    ? "a link-local address (cloud metadata lives here)"
    : a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
    ? "a private network address (your LAN, or Docker's own networks)"
    : a === 0 || (a === 100 && b >= 64 && b <= 127) || a >= 224
    ? "a reserved address"
    : undefined;
  return kind
    ? `WARNING: ${ip} is ${kind}; approving it has no effect unless egress.allow_private covers it`
    : undefined;
}

/**
 * One request as the person reads it. Everything the agent wrote is made inert and cut
 * to size; what is approved (host, repo, ref, commit) is shown as the bundle parsed it,
 * and a push override lists the gate's own findings, not the agent's account of them.
 */
export function describe(r: Listed): string {
  const d = r.details;
  const lines: string[] = [];
  if (r.kind === "egress") {
    lines.push(`${r.id}  wants to reach ${inert(String(d.host), 260)}`);
    const note = privateAddressNote(String(d.host));
    if (note) lines.push(`    ${note}`);
  } else if (r.kind === "ask") {
    lines.push(`${r.id}  asks: ${inert(String(d.question), 1000)}`);
    if (Array.isArray(d.choices)) {
      lines.push(
        `    choices: ${d.choices.slice(0, 20).map((c) => inert(String(c), 100)).join(" | ")}`,
      );
    }
  } else {
    lines.push(
      `${r.id}  asks to push commit ${inert(String(d.commit), 64)} to ${
        inert(String(d.ref ?? "?"), 200)
      } of ${inert(String(d.repo), 64)} despite the gate, once`,
    );
    const findings = Array.isArray(d.findings) ? d.findings : [];
    for (const f of findings.slice(0, 10)) lines.push(`    gate found: ${inert(String(f), 300)}`);
    if (findings.length > 10) lines.push(`    ... and ${findings.length - 10} more findings`);
    const paths = Array.isArray(d.protectedPaths) ? d.protectedPaths : [];
    for (const p of paths.slice(0, 10)) {
      lines.push(`    touches protected path: ${inert(String(p), 300)} (approving allows it too)`);
    }
  }
  if (r.reason) lines.push(`    reason (from the agent): ${inert(r.reason, 500)}`);
  if (r.status !== "pending") {
    lines.push(`    [${r.status}${r.answer?.comment ? `: ${inert(r.answer.comment, 500)}` : ""}]`);
  }
  return lines.join("\n");
}

async function answer(
  id: string,
  decision: "approved" | "denied" | "answered",
  comment: string,
): Promise<Listed> {
  const bottle = id.replace(/-r\d+$/, "");
  if (bottle === id) {
    throw new UsageError(`"${id}" is not a request id (like claude-ab12cd-r1)`, { usage: USAGE });
  }
  const found = (await bottles()).find((b) => b.name === bottle);
  if (!found) throw new BotBottleError(`No running bottle "${bottle}" for request "${id}"`);
  const text = await found.backend.superviseCall(bottle, ["answer", id, decision, comment]);
  if (text === undefined) throw new BotBottleError(`Bottle "${bottle}" runs no supervise server`);
  const parsed = JSON.parse(text);
  if (parsed.error) throw new BotBottleError(`Cannot answer "${id}": ${parsed.error}`);
  const r: Listed = { ...parsed, bottle };
  if (decision === "approved" && r.kind === "egress") {
    const host = inert(String(r.details.host), 260);
    log.info(
      `"${host}" is allowed in ${bottle} until it stops. To make it permanent, add to the manifest:\n` +
        `  bottles.${await policyOf(bottle)}.egress.allow:\n    - ${host}`,
    );
    const note = privateAddressNote(String(r.details.host));
    if (note) log.warn(note);
  }
  return r;
}

/** The manifest bottle an instance was made from (its bundle is a container on every backend). */
async function policyOf(bottle: string): Promise<string> {
  const c = (await containersByLabel(`${LABEL_BOTTLE}=${bottle}`))[0];
  return c?.labels[LABEL_POLICY] ?? "<bottle>";
}

async function watch(ctx: CommandContext): Promise<void> {
  const seen = new Set<string>();
  const interactive = Deno.stdin.isTerminal();
  log.info("Watching for requests (Ctrl-C to stop)");
  while (!ctx.signal.aborted) {
    for (const r of await listAll()) {
      if (r.status !== "pending" || seen.has(r.id)) continue;
      seen.add(r.id);
      out.line(describe(r));
      if (!interactive) continue;
      const reply = prompt(
        r.kind === "ask" ? "  your answer (empty to skip):" : "  approve? [y]es / [n]o / [s]kip:",
      );
      if (reply === null || reply.trim() === "" || reply.trim() === "s") continue;
      const comment = r.kind === "ask"
        ? reply.trim()
        : (prompt("  comment (optional):") ?? "").trim();
      const decision = r.kind === "ask"
        ? "answered"
        : /^y/i.test(reply.trim())
        ? "approved"
        : "denied";
      await answer(r.id, decision, comment).catch((e) => log.error((e as Error).message));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export const superviseCommand: Command = {
  name: "supervise",
  summary: "List and answer the agents' requests (egress, questions, push overrides)",
  synopsis:
    "[approve ID | deny ID | answer ID TEXT] [--comment TEXT] [--all] [--watch] [--format text|json]",
  description: `
Without an action, lists the pending requests of every running bottle (--all includes
answered ones). approve and deny decide an egress or push-override request; answer
replies to a question. An approved host is allowed at once in that bottle; the command
prints the manifest change that would make it permanent. --watch shows new requests as
they arrive and, on a terminal, prompts for each.`,
  options: {
    comment: {
      type: "string",
      valueName: "TEXT",
      description: "A comment the agent sees with the decision",
    },
    all: { type: "boolean", description: "List answered and expired requests too" },
    watch: {
      type: "boolean",
      short: "w",
      description: "Show new requests as they arrive and prompt",
    },
    format: FORMAT_OPTION,
  },
  args: { min: 0, max: 1000, names: "an action" },
  examples: [
    "bot-bottle supervise",
    "bot-bottle supervise approve claude-ab12cd-r1 --comment 'ok for today'",
  ],
  async run(ctx) {
    const [action, id, ...text] = ctx.positionals;
    const json = ctx.values.format === "json";
    if (action === undefined) {
      if (ctx.values.watch) return await watch(ctx);
      const all = (await listAll()).filter((r) => ctx.values.all || r.status === "pending");
      if (json) out.json(all);
      else if (all.length === 0) log.info("No pending requests");
      else out.line(all.map(describe).join("\n"));
      return;
    }
    if (!["approve", "deny", "answer"].includes(action) || id === undefined) {
      throw new UsageError(`Unknown supervise action "${action}"`, { usage: USAGE });
    }
    if (action === "answer" && text.length === 0) {
      throw new UsageError('"answer" needs the answer TEXT', { usage: USAGE });
    }
    if (action !== "answer" && text.length > 0) {
      throw new UsageError(`"${action}" takes only an ID`, { usage: USAGE });
    }
    const decision = action === "approve" ? "approved" : action === "deny" ? "denied" : "answered";
    const comment = action === "answer"
      ? text.join(" ")
      : (ctx.values.comment as string | undefined) ?? "";
    const r = await answer(id, decision, comment);
    if (json) out.json(r);
    else log.info(`${r.id}: ${r.status}`);
  },
};
