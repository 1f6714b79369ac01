/**
 * @module
 * Commands acting on running bottles: `up`, `exec`, `down`, `ls`, `logs`, `cleanup`.
 */

import { dirname } from "node:path";
import { allBackends, requireAvailable } from "../../backend/mod.ts";
import type { Backend, BottleSummary } from "../../backend/types.ts";
import { BotBottleError, UsageError } from "../../errors.ts";
import { inert } from "../../inert.ts";
import { asciiJson, log, logToFile, out } from "../../log.ts";
import { LOG_MAX_AGE_DAYS, LOG_MAX_TOTAL_BYTES, logsDir, savedLog, savedLogs } from "../../logs.ts";
import { reap, REAP_COMMAND, reaperLog, spawnReaper } from "../../reaper.ts";
import { claimRemoval, heartbeatAlive, heartbeatExists, startHeartbeat } from "../../state.ts";
import { bringHome, forgetRecord } from "../../workspace/mod.ts";
import { savedRefusals } from "../../refusals.ts";
import { type Command, FORMAT_OPTION } from "../command.ts";
import { bringUpPlanned, resolvePlan } from "../resolve.ts";
import { PLAN_OPTIONS } from "./plan.ts";

async function availableBackends(): Promise<Backend[]> {
  const usable: Backend[] = [];
  for (const backend of allBackends()) {
    if (!(await backend.unavailable())) usable.push(backend);
  }
  if (usable.length === 0) await requireAvailable(allBackends()[0]!);
  return usable;
}

/**
 * Brings `name`'s work home (when it has a `--cwd` workspace), removes it, and forgets
 * its record. A failure to bring the work home keeps the bottle: removing it would
 * lose the work.
 */
export async function removeBottle(
  backend: Backend,
  name: string,
  env: Record<string, string | undefined>,
): Promise<void> {
  await bringHome(env, name, await backend.homeAccess(name));
  await backend.remove(name, { archiveDir: logsDir(env) });
  await forgetRecord(env, name);
  const told = await savedRefusals(logsDir(env), name);
  if (told) log.info(told);
}

/** `removeBottle` under this process's claim; false when another process is removing it. */
async function removeClaimed(
  backend: Backend,
  name: string,
  env: Record<string, string | undefined>,
): Promise<boolean> {
  await using claim = await claimRemoval(env, name);
  if (!claim) return false;
  await removeBottle(backend, name, env);
  return true;
}

/** The hidden command a reaper runs as (see `lib/reaper.ts`); not in help or completions. */
export const reapCommand: Command = {
  name: REAP_COMMAND,
  summary: "(internal) remove a bottle whose owner process died",
  synopsis: "NAME",
  description: "",
  options: {},
  args: { min: 1, max: 1, names: "a bottle NAME" },
  async run(ctx) {
    const name = ctx.positionals[0]!;
    const report = reaperLog(ctx.env, name);
    await Deno.mkdir(dirname(report), { recursive: true, mode: 0o700 });
    logToFile(report);
    const stop = new AbortController();
    const onTerm = () => stop.abort();
    Deno.addSignalListener("SIGTERM", onTerm);
    try {
      const outcome = await reap(
        ctx.env,
        name,
        availableBackends,
        (backend, n) => removeBottle(backend, n, ctx.env),
        { signal: stop.signal },
      );
      if (outcome === "reaped") log.info(`Reaped ${name}`);
      // Nothing to report when the owner finished by itself.
      else await Deno.remove(report).catch(() => {});
    } finally {
      Deno.removeSignalListener("SIGTERM", onTerm);
    }
  },
};

/** The backend holding bottle `name`. */
async function backendHolding(name: string): Promise<Backend> {
  for (const backend of await availableBackends()) {
    if ((await backend.list()).some((b) => b.name === name)) return backend;
  }
  throw new BotBottleError(`No bottle named "${name}"`, {
    hint: "Run `bot-bottle ls --all` to see the bottles and the kept logs of removed ones",
  });
}

export const upCommand: Command = {
  name: "up",
  summary: "Start a bottle for AGENT in the background and print its name",
  synopsis: "AGENT [--cwd] [--backend docker|smolvm]",
  description: `
Like start, but detached: the bottle keeps running after this command returns, and its
name is printed on stdout. Use \`exec NAME -- claude\` to run the agent in it, and
\`down NAME\` to remove it.`,
  options: PLAN_OPTIONS,
  args: { min: 1, max: 1, names: "an AGENT name" },
  examples: ['name=$(bot-bottle up claude) && bot-bottle exec "$name" -it -- claude'],
  async run(ctx) {
    const { plan: first } = await resolvePlan(ctx);
    // Keeps `cleanup` off the bottle while it comes up; an up bottle that is whole
    // needs no heartbeat after that.
    await using _beat = await startHeartbeat(ctx.env, first.instance);
    // If this process dies while the bottle comes up, the reaper removes what it made.
    spawnReaper(ctx.env, first.instance);
    const stack = new AsyncDisposableStack();
    let plan = first;
    try {
      plan = (await bringUpPlanned(ctx, first, { mode: "up", stack })).plan;
    } catch (error) {
      await stack.disposeAsync();
      throw error;
    }
    // Success: the bottle outlives this process; `down` removes it by label.
    stack.move();
    log.info(`Bottle ${plan.instance} is up. Remove it with: bot-bottle down ${plan.instance}`);
    out.line(plan.instance);
  },
};

export const execCommand: Command = {
  name: "exec",
  summary: "Run a command in a bottle's agent; its exit code passes through",
  synopsis: "NAME [-i] [-t] -- CMD...",
  description: "Runs CMD as the agent user (node) in the bottle NAME, in its working directory.",
  options: {
    interactive: { type: "boolean", short: "i", description: "Keep stdin open" },
    tty: { type: "boolean", short: "t", description: "Allocate a terminal" },
  },
  args: { min: 1, max: 1, names: "a bottle NAME" },
  passthrough: true,
  examples: [
    "bot-bottle exec claude-ab12cd -- git status",
    "bot-bottle exec claude-ab12cd -it -- claude",
  ],
  async run(ctx) {
    if (ctx.rest.length === 0) {
      throw new UsageError('"exec" needs a command after "--"', {
        usage: "Usage: bot-bottle exec NAME [-i] [-t] -- CMD...",
      });
    }
    const name = ctx.positionals[0]!;
    const backend = await backendHolding(name);
    const code = await backend.attach(name, ctx.rest, {
      tty: ctx.values.tty === true,
      interactive: ctx.values.interactive === true,
    }, ctx.signal);
    if (ctx.signal.aborted) throw ctx.signal.reason;
    return code;
  },
};

export const downCommand: Command = {
  name: "down",
  summary: "Remove a bottle and everything it created",
  synopsis: "NAME | --all",
  description:
    "Brings a --cwd bottle's work home first (as branches under refs/heads/bot-bottle/NAME/), then finds the bottle's VM, containers, networks and volumes by label and removes them (a VM first), keeping its audit log, and sums up what the bottle refused (requests carrying a secret, hosts, pushes) and the requests to allowed hosts that failed. Removing a bottle that is already gone (or never was) is not an error; down says there was nothing to remove.",
  options: { all: { type: "boolean", description: "Remove every bottle" } },
  args: { min: 0, max: 1, names: "a bottle NAME or --all" },
  async run(ctx) {
    const name = ctx.positionals[0];
    if ((name === undefined) === (ctx.values.all !== true)) {
      throw new UsageError('"down" needs a bottle NAME or --all (not both)', {
        usage: "Usage: bot-bottle down NAME | --all",
      });
    }
    const backends = await availableBackends();
    if (name !== undefined) {
      // The backend holding the bottle removes it, in its own order (a VM before the
      // network it hangs on). A bottle nobody lists may still have left networks:
      // sweep by label everywhere, which is idempotent.
      const holders = [];
      for (const backend of backends) {
        if ((await backend.list()).some((b) => b.name === name)) holders.push(backend);
      }
      // Nothing of it anywhere (a typo, or gone already): said so, not "Removed".
      let known = holders.length > 0 || await heartbeatExists(ctx.env, name);
      for (const backend of known ? [] : backends) {
        if ((await backend.leftovers(ctx.env)).includes(name)) known = true;
      }
      if (holders.length === 0) log.debug(`${name}: no backend lists it; sweeping by label`);
      for (const backend of holders.length > 0 ? holders : backends.toReversed()) {
        if (!(await removeClaimed(backend, name, ctx.env))) {
          log.info(
            `${name} is being removed by another bot-bottle process (its reaper, or cleanup)`,
          );
          return;
        }
      }
      log.info(
        known
          ? `Removed ${name}`
          : `No bottle ${name} here: nothing to remove (\`bot-bottle ls\` lists the bottles)`,
      );
      return;
    }
    for (const backend of backends) {
      const names = new Set([
        ...(await backend.list()).map((b) => b.name),
        ...(await backend.leftovers(ctx.env)),
      ]);
      for (const n of names) {
        log.info(
          await removeClaimed(backend, n, ctx.env)
            ? `Removed ${n}`
            : `${n} is being removed by another bot-bottle process`,
        );
      }
    }
  },
};

function renderTable(rows: (Omit<BottleSummary, "backend"> & { backend: string })[]): string {
  const header = ["NAME", "AGENT", "BACKEND", "MODE", "STATUS", "CREATED"];
  const cells = rows.map((r) => [r.name, r.agent, r.backend, r.mode, r.status, r.created]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells].map((row) =>
    row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
  ).join("\n");
}

export const lsCommand: Command = {
  name: "ls",
  summary: "List bottles",
  synopsis: "[--all] [--format text|json]",
  description: `
Lists the running bottles. --all adds removed bottles whose audit logs are kept (for
${LOG_MAX_AGE_DAYS} days), which \`logs NAME\` still shows.`,
  options: {
    all: { type: "boolean", short: "a", description: "Also list removed bottles with kept logs" },
    format: FORMAT_OPTION,
  },
  args: { min: 0, max: 0, names: "" },
  async run(ctx) {
    const rows: (Omit<BottleSummary, "backend"> & { backend: string })[] = [];
    for (const backend of await availableBackends()) rows.push(...await backend.list());
    if (ctx.values.all) {
      const live = new Set(rows.map((r) => r.name));
      for (const saved of await savedLogs(logsDir(ctx.env))) {
        if (live.has(saved.name)) continue;
        rows.push({
          name: saved.name,
          agent: saved.name.replace(/-[a-z0-9]{6}$/, ""),
          backend: "-",
          status: "removed (log kept)",
          created: saved.saved.toISOString(),
          mode: "-",
        });
      }
    }
    if (ctx.values.format === "json") out.json(rows);
    else if (rows.length === 0) {
      log.info(ctx.values.all ? "No bottles and no kept logs" : "No bottles");
    } else out.line(renderTable(rows));
  },
};

/** One audit entry as a JSON line, ASCII only; a line that is not JSON becomes a string. */
function jsonLine(line: string): string {
  try {
    return asciiJson(JSON.parse(line));
  } catch {
    return asciiJson({ unparsed: line });
  }
}

/** One audit entry as a line for people; what the agent wrote in it is made inert. */
export function formatAuditLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return inert(line, 2000);
  }
  const { ts, kind, action, host, port, method, path, status, reason, ...rest } = entry;
  const target = host ? `${host}${port ? `:${port}` : ""}` : "";
  const parts = [String(ts ?? ""), String(kind ?? ""), String(action ?? "").toUpperCase(), target];
  if (method) parts.push(`${method}${path ? ` ${path}` : ""}`);
  if (status !== undefined) parts.push(String(status));
  if (reason) parts.push(`(${reason})`);
  const extra = Object.entries(rest).map(([k, v]) =>
    `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
  );
  return inert([...parts.filter((p) => p !== ""), ...extra].join("  "), 2000);
}

export const logsCommand: Command = {
  name: "logs",
  summary: "Show a bottle's audit log (egress, git, supervise decisions)",
  synopsis: "NAME [--follow] [--format text|json]",
  description: `
Prints a bottle's audit log: every egress decision, git fetch and push, and supervise
request with the person's answer. A removed bottle's log is kept in the state directory
(${LOG_MAX_AGE_DAYS} days, ${LOG_MAX_TOTAL_BYTES >> 20} MiB in all) and shown the same way;
\`ls --all\` lists them. With --format json, prints JSON Lines (one object per line).`,
  options: {
    follow: { type: "boolean", short: "f", description: "Keep printing new entries" },
    format: FORMAT_OPTION,
  },
  args: { min: 1, max: 1, names: "a bottle NAME" },
  async run(ctx) {
    const name = ctx.positionals[0]!;
    const json = ctx.values.format === "json";
    const decoder = new TextDecoder();
    let pending = "";
    const sink = async (chunk: Uint8Array) => {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines.filter(Boolean)) {
        await out.write(`${json ? jsonLine(line) : formatAuditLine(line)}\n`);
      }
    };
    const backend = await backendHolding(name).catch(async (error) => {
      // A removed bottle: its log was kept when it went.
      const saved = await savedLog(logsDir(ctx.env), name);
      if (!saved) throw error;
      if (ctx.values.follow) log.info(`Bottle ${name} was removed; its log is complete`);
      await sink(await Deno.readFile(saved));
      return undefined;
    });
    if (backend) await backend.auditLog(name, ctx.values.follow === true, sink, ctx.signal);
    if (pending) await out.write(`${json ? jsonLine(pending) : formatAuditLine(pending)}\n`);
    if (ctx.signal.aborted) throw ctx.signal.reason;
  },
};

export const cleanupCommand: Command = {
  name: "cleanup",
  summary: "Remove everything crashed runs left behind",
  synopsis: "",
  description: `
Finds bottles by the bot-bottle labels and removes those that are broken (a container
stopped or missing) or whose \`start\` process is gone. Bottles started with \`up\` that
are still whole are kept; remove those with \`down\`.`,
  options: {},
  args: { min: 0, max: 0, names: "" },
  async run(ctx) {
    let removed = 0;
    const leftAlone: string[] = [];
    for (const backend of await availableBackends()) {
      const leftovers = await backend.leftovers(ctx.env);
      for (const name of leftovers) {
        if (await removeClaimed(backend, name, ctx.env)) {
          log.info(`Removed ${name}`);
          removed++;
        } else {
          leftAlone.push(`${name} (another bot-bottle process is removing it)`);
        }
      }
      for (const b of await backend.list()) {
        if (leftovers.includes(b.name)) continue;
        leftAlone.push(
          await heartbeatAlive(ctx.env, b.name)
            ? `${b.name} (still owned by a live process)`
            : `${b.name} (started with up and whole; remove it with \`bot-bottle down ${b.name}\`)`,
        );
      }
    }
    log.info(removed === 0 ? "Nothing to clean up" : `Removed ${removed} bottle(s)`);
    if (leftAlone.length) log.info(`Left alone: ${leftAlone.join("; ")}`);
  },
};
