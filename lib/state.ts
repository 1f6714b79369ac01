/**
 * @module
 * bot-bottle's state directory on the host (`$BOT_BOTTLE_STATE_DIR`, else
 * `$XDG_STATE_HOME/bot-bottle`, else `~/.local/state/bot-bottle`), and the heartbeat a
 * running `start` keeps there so that `cleanup` can tell a live bottle from one whose
 * process crashed. A heartbeat is a file touched every few seconds; scoped permissions
 * (and macOS) offer no portable way to ask whether a process id is alive.
 */

import { join } from "node:path";

/** How often a running start touches its heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 2_000;
/** A heartbeat older than this means its process is gone. */
export const HEARTBEAT_STALE_MS = 10_000;

/** The state directory for `env`. */
export function stateDir(env: Record<string, string | undefined>): string {
  if (env.BOT_BOTTLE_STATE_DIR) return env.BOT_BOTTLE_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "bot-bottle");
  return join(env.HOME ?? "/tmp", ".local", "state", "bot-bottle");
}

/**
 * The cache directory for `env` (`$BOT_BOTTLE_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/bot-bottle`, else `~/.cache/bot-bottle`): things that can be made
 * again: checked manifests, the agent image archive smolvm boots from.
 */
export function cacheDir(env: Record<string, string | undefined>): string {
  if (env.BOT_BOTTLE_CACHE_DIR) return env.BOT_BOTTLE_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "bot-bottle");
  return join(env.HOME ?? "/tmp", ".cache", "bot-bottle");
}

function heartbeatPath(env: Record<string, string | undefined>, instance: string): string {
  return join(stateDir(env), "heartbeats", instance);
}

/** Starts touching the heartbeat of `instance`; disposing stops it and removes the file. */
export async function startHeartbeat(
  env: Record<string, string | undefined>,
  instance: string,
): Promise<AsyncDisposable> {
  const path = heartbeatPath(env, instance);
  await Deno.mkdir(join(stateDir(env), "heartbeats"), { recursive: true, mode: 0o700 });
  const touch = () => Deno.writeTextFile(path, String(Date.now())).catch(() => {});
  await touch();
  const timer = setInterval(touch, HEARTBEAT_INTERVAL_MS);
  return {
    async [Symbol.asyncDispose]() {
      clearInterval(timer);
      await Deno.remove(path).catch(() => {});
    },
  };
}

/** Whether the heartbeat of `instance` is fresh. */
export async function heartbeatAlive(
  env: Record<string, string | undefined>,
  instance: string,
  now = Date.now(),
): Promise<boolean> {
  try {
    const info = await Deno.stat(heartbeatPath(env, instance));
    return info.mtime !== null && now - info.mtime.getTime() < HEARTBEAT_STALE_MS;
  } catch {
    return false;
  }
}

/** How long a removal claim holds off another process (a removal that died is retried after). */
export const REMOVAL_CLAIM_MS = 5 * 60_000;

/**
 * Claims the removal of `instance` for this process, so that a reaper and a `cleanup`
 * (or `down`) never remove the same bottle at once, bringing its work home twice. Undefined
 * when another process holds a fresh claim.
 */
export async function claimRemoval(
  env: Record<string, string | undefined>,
  instance: string,
): Promise<AsyncDisposable | undefined> {
  const dir = join(stateDir(env), "removing");
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, instance);
  const take = async () => {
    await Deno.writeTextFile(path, String(Date.now()), { createNew: true });
    return { [Symbol.asyncDispose]: () => Deno.remove(path).catch(() => {}) };
  };
  try {
    return await take();
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  const info = await Deno.stat(path).catch(() => undefined);
  if (info?.mtime && Date.now() - info.mtime.getTime() < REMOVAL_CLAIM_MS) return undefined;
  await Deno.remove(path).catch(() => {});
  try {
    return await take();
  } catch {
    return undefined;
  }
}

/** Whether a heartbeat file for `instance` exists at all (fresh or not). */
export async function heartbeatExists(
  env: Record<string, string | undefined>,
  instance: string,
): Promise<boolean> {
  return await Deno.stat(heartbeatPath(env, instance)).then(() => true, () => false);
}

/** Removes the heartbeat of `instance` (a reaped bottle's). */
export async function dropHeartbeat(
  env: Record<string, string | undefined>,
  instance: string,
): Promise<void> {
  await Deno.remove(heartbeatPath(env, instance)).catch(() => {});
}
