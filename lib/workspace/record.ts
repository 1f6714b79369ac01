/**
 * @module
 * What the host remembers about a bottle's workspace, in bot-bottle's state directory
 * (mode 700 directories, mode 600 files): where its work comes home and what the gate
 * started with. `down`, `cleanup` and the reaper read it to bring the work home after
 * the process that started the bottle is gone.
 */

import { join } from "node:path";
import { stateDir } from "../state.ts";

/** A bottle's workspace, as recorded at start. */
export interface WorkspaceRecord {
  version: 1;
  instance: string;
  /** The directory the user started from. */
  source: string;
  /** `git`: the user's repository receives the work; `dir`: a baseline repository does. */
  kind: "git" | "dir";
  /** The repository the work comes home to. */
  homeRepo: string;
  /** For `dir`: the directory the baseline was made from. */
  baselineOf?: string;
  /** The gate's refs at start (the host's branches and tags). */
  seed: Record<string, string>;
  /** The gate entry serving the work, and its URL as the agent reaches it. */
  gateName: string;
  gateUrl: string;
  /** The workspace directory in the guest. */
  guestPath: string;
  created: string;
  /**
   * The commit of the user's own uncommitted work the guest made as the workspace went
   * in, before the agent ran (see `BASELINE_SCRIPT`).
   */
  baseline?: string;
  /**
   * Tracked files that stayed out (they hold a secret; skip-worktree in the agent's
   * index), so that one the agent writes anew is told apart at home.
   */
  leftOut?: string[];
  /** The bottle's `public_values`: the work's LFS content is scanned with them, as it went in. */
  publicValues?: string[];
}

/** Records the baseline commit of `instance`'s workspace (see `WorkspaceRecord`). */
export async function noteBaseline(
  env: Record<string, string | undefined>,
  instance: string,
  baseline: string,
): Promise<void> {
  const record = await readRecord(env, instance);
  if (record) await writeRecord(env, { ...record, baseline });
}

/** The directory holding what a bottle's work left on the host (refused work, baseline). */
export function workDir(env: Record<string, string | undefined>, instance: string): string {
  return join(stateDir(env), "work", instance);
}

function recordPath(env: Record<string, string | undefined>, instance: string): string {
  return join(stateDir(env), "bottles", `${instance}.workspace.json`);
}

/** Writes the record of `record.instance` (mode 600). */
export async function writeRecord(
  env: Record<string, string | undefined>,
  record: WorkspaceRecord,
): Promise<void> {
  await Deno.mkdir(join(stateDir(env), "bottles"), { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(recordPath(env, record.instance), JSON.stringify(record, null, 2), {
    mode: 0o600,
  });
}

/** The record of `instance`, or undefined when it has no workspace (or it was forgotten). */
export async function readRecord(
  env: Record<string, string | undefined>,
  instance: string,
): Promise<WorkspaceRecord | undefined> {
  try {
    const record = JSON.parse(await Deno.readTextFile(recordPath(env, instance)));
    return record?.version === 1 && record.instance === instance ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Forgets the record of `instance` once its bottle is gone. */
export async function forgetRecord(
  env: Record<string, string | undefined>,
  instance: string,
): Promise<void> {
  await Deno.remove(recordPath(env, instance)).catch(() => {});
}
