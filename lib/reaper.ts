/**
 * @module
 * The reaper: a small detached bot-bottle process that `start` and `up` leave beside
 * themselves, so that a bottle whose owner died (SIGKILL, OOM, a closed laptop) is
 * removed within seconds with no command typed. It watches the owner's heartbeat (see
 * `state.ts`): gone means the owner finished and cleaned up, so the reaper leaves; stale
 * means the owner died, so the reaper does what `cleanup` does for that bottle (brings
 * the work home first, saves the audit log, removes everything) and leaves. It runs on
 * the host with the user's rights; no container holds the Docker socket. It ignores
 * SIGINT and SIGHUP (the terminal's Ctrl-C or closing reach the whole process group)
 * and stops on SIGTERM. Its report (the work that came home, where the rest was kept)
 * goes to `<state dir>/reaper/<bottle>.log`.
 */

import denoConfig from "../deno.json" with { type: "json" };
import type { Backend } from "./backend/types.ts";
import { log } from "./log.ts";
import { join } from "node:path";
import {
  claimRemoval,
  dropHeartbeat,
  HEARTBEAT_INTERVAL_MS,
  heartbeatAlive,
  heartbeatExists,
  stateDir,
} from "./state.ts";

/** Where the reaper of `instance` writes its report (what it removed, where the work went). */
export function reaperLog(env: Record<string, string | undefined>, instance: string): string {
  return join(stateDir(env), "reaper", `${instance}.log`);
}

/** The hidden command the reaper runs as. */
export const REAP_COMMAND = "__reap";

/** The argv that runs this same bot-bottle as the reaper of `instance`. */
export function reaperArgv(instance: string): string[] {
  const exec = Deno.execPath();
  const name = exec.split(/[\\/]/).pop() ?? "";
  // By name where the permission names it (--allow-run=deno,bot-bottle resolves names on
  // PATH; the resolved path of a symlinked binary is not covered).
  if (!/^deno(\.exe)?$/.test(name)) {
    return [name.startsWith("bot-bottle") ? "bot-bottle" : exec, REAP_COMMAND, instance];
  }
  // `deno run`: the same module, with the bot-bottle task's own permission flags.
  const task: string = (denoConfig as { tasks: Record<string, string> }).tasks["bot-bottle"]!;
  const flags = task.split(/\s+/).filter((a) => a.startsWith("--"));
  const remote = /^https?:/.test(Deno.mainModule) ? ["--allow-import"] : [];
  return ["deno", "run", "--quiet", ...remote, ...flags, Deno.mainModule, REAP_COMMAND, instance];
}

/**
 * Starts the reaper of `instance`, detached. Returns false (and says why, once) when it
 * cannot run here, in which case a crash leaves the bottle for `cleanup`.
 */
export function spawnReaper(env: Record<string, string | undefined>, instance: string): boolean {
  if (env.BOT_BOTTLE_NO_REAPER === "1") return false;
  const [cmd, ...args] = reaperArgv(instance);
  try {
    const child = new Deno.Command(cmd!, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
      env: { ...stringEnv(env), BOT_BOTTLE_REAPER: "1" },
    }).spawn();
    child.unref();
    return true;
  } catch (error) {
    log.warn(
      `No reaper for ${instance} (${
        (error as Error).message
      }); if this process is killed, run \`bot-bottle cleanup\``,
    );
    return false;
  }
}

function stringEnv(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

/**
 * The reaper's loop: until the owner's heartbeat is gone (a clean end) or stale (a
 * crash, when it removes the bottle as `cleanup` would). Returns what it did.
 */
export async function reap(
  env: Record<string, string | undefined>,
  instance: string,
  backends: () => Promise<Backend[]>,
  remove: (backend: Backend, instance: string) => Promise<void>,
  options: { signal?: AbortSignal; intervalMs?: number } = {},
): Promise<"owner-finished" | "reaped" | "stopped"> {
  const interval = options.intervalMs ?? HEARTBEAT_INTERVAL_MS;
  while (!options.signal?.aborted) {
    if (!(await heartbeatExists(env, instance))) return "owner-finished";
    if (!(await heartbeatAlive(env, instance))) {
      await using claim = await claimRemoval(env, instance);
      if (!claim) return "reaped"; // another process (cleanup, down) is removing it
      log.info(`The process that owned ${instance} is gone; removing it`);
      for (const backend of await backends()) {
        if ((await backend.leftovers(env)).includes(instance)) await remove(backend, instance);
      }
      await dropHeartbeat(env, instance);
      return "reaped";
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  return "stopped";
}
