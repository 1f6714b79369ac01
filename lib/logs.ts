/**
 * @module
 * Audit logs that outlive their bottles. Removing a bottle first copies its bundle's
 * audit log (egress decisions, git fetches and pushes, supervise requests and the
 * person's answers) to `<state dir>/logs/<bottle>.jsonl`, so that `logs NAME` still
 * shows what its agent tried. Kept for 30 days, and at most 100 MiB in all (oldest
 * first), pruned whenever a log is saved.
 */

import { join } from "node:path";
import { stateDir } from "./state.ts";

/** How long a saved log is kept. */
export const LOG_MAX_AGE_DAYS = 30;
/** How much all saved logs may take together. */
export const LOG_MAX_TOTAL_BYTES = 100 * 1024 * 1024;

/** Where saved logs live. */
export function logsDir(env: Record<string, string | undefined>): string {
  return join(stateDir(env), "logs");
}

/** The saved log of `instance`, if there is one. */
export async function savedLog(dir: string, instance: string): Promise<string | undefined> {
  if (!/^[a-z0-9][a-z0-9_-]{0,60}$/.test(instance)) return undefined;
  const path = join(dir, `${instance}.jsonl`);
  try {
    return (await Deno.stat(path)).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

/** One saved log. */
export interface SavedLog {
  name: string;
  /** When the bottle was removed (the log saved). */
  saved: Date;
  bytes: number;
}

/** Saved logs, newest first. */
export async function savedLogs(dir: string): Promise<SavedLog[]> {
  const out: SavedLog[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".jsonl")) continue;
      const info = await Deno.stat(join(dir, entry.name)).catch(() => undefined);
      if (!info) continue;
      out.push({
        name: entry.name.slice(0, -".jsonl".length),
        saved: info.mtime ?? new Date(0),
        bytes: info.size,
      });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out.toSorted((a, b) => b.saved.getTime() - a.saved.getTime());
}

/** Which saved logs to delete: too old, or beyond the total size (oldest first). */
export function logsToPrune(
  logs: readonly SavedLog[],
  now: Date,
  limits = { days: LOG_MAX_AGE_DAYS, bytes: LOG_MAX_TOTAL_BYTES },
): string[] {
  const cutoff = now.getTime() - limits.days * 24 * 3600 * 1000;
  const prune: string[] = [];
  let total = 0;
  for (const log of logs.toSorted((a, b) => b.saved.getTime() - a.saved.getTime())) {
    total += log.bytes;
    if (log.saved.getTime() < cutoff || total > limits.bytes) prune.push(log.name);
  }
  return prune;
}

/** Deletes what `logsToPrune` says. */
export async function pruneLogs(dir: string, now = new Date()): Promise<void> {
  for (const name of logsToPrune(await savedLogs(dir), now)) {
    await Deno.remove(join(dir, `${name}.jsonl`)).catch(() => {});
  }
}

/** The entries of an audit log's text (JSON Lines): each line that is a JSON object. */
export function* auditEntries(text: string): Generator<Record<string, unknown>> {
  for (const line of text.split("\n")) {
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry !== null && typeof entry === "object" && !Array.isArray(entry)) {
      yield entry as Record<string, unknown>;
    }
  }
}
