/**
 * @module
 * From command-line context to a plan: load the manifest, gather host facts, plan.
 * Shared by `plan`, `start` and `up` so the dry run is exactly what a start does.
 */

import { resolve } from "node:path";
import { bringUp, type UpBottle } from "../bottle/launch.ts";
import { SubnetTakenError, UsageError } from "../errors.ts";
import { log } from "../log.ts";
import { type LoadedManifest, loadManifest, manifestPath } from "../manifest/read.ts";
import { gatherHostFacts } from "../plan/facts.ts";
import { planBottle } from "../plan/plan.ts";
import type { BackendName, BottlePlan } from "../plan/types.ts";
import type { CommandContext } from "./command.ts";

/** The manifest the context names (flag, environment, default). */
export function loadContextManifest(ctx: CommandContext): Promise<LoadedManifest> {
  return loadManifest(
    manifestPath(ctx.values.manifest as string | undefined, ctx.env.BOT_BOTTLE_MANIFEST),
    ctx.cwd,
  );
}

/** The working tree `--cwd` copies in, refusing trees that would carry the user's secrets. */
export function workingTree(ctx: CommandContext): string | undefined {
  if (!ctx.values.cwd) return undefined;
  const dir = resolve(ctx.cwd);
  const home = ctx.env.HOME ? resolve(ctx.env.HOME) : undefined;
  if (dir === "/" || dir === home) {
    throw new UsageError(
      `--cwd refuses to copy "${dir}": it would carry your whole ${
        dir === "/" ? "disk" : "home"
      } into the agent`,
      {
        hint: "cd into the project you want the agent to work on",
      },
    );
  }
  return dir;
}

/** Loads, gathers and plans for `ctx.positionals[0]`. */
export async function resolvePlan(
  ctx: CommandContext,
  again?: { runId: string; avoid: string[] },
): Promise<{ loaded: LoadedManifest; plan: BottlePlan }> {
  const loaded = await loadContextManifest(ctx);
  const agent = ctx.positionals[0]!;
  const cwd = workingTree(ctx);
  const include = (ctx.values.include as string[] | undefined) ?? [];
  if (include.length > 0 && cwd === undefined) {
    throw new UsageError("--include needs --cwd (it names paths of the working tree)");
  }
  const facts = await gatherHostFacts(loaded.manifest, loaded.path, agent, {
    env: ctx.env,
    cwd,
    ...(again ?? {}),
  });
  const plan = planBottle(loaded.manifest, {
    agent,
    backend: ctx.values.backend as BackendName | undefined,
    cwd,
    include,
    agentArgs: ctx.rest,
  }, facts);
  return { loaded, plan };
}

/**
 * Brings the planned bottle up, planning it again (same name, another subnet) when a
 * bottle started at the same moment took its subnet first: up to five times.
 */
export async function bringUpPlanned(
  ctx: CommandContext,
  first: BottlePlan,
  options: { mode: "start" | "up"; stack: AsyncDisposableStack },
  deps: { bringUp: typeof bringUp; resolvePlan: typeof resolvePlan } = { bringUp, resolvePlan },
): Promise<{ plan: BottlePlan; up: UpBottle }> {
  const avoid: string[] = [];
  let plan = first;
  for (let attempt = 1;; attempt++) {
    try {
      const up = await deps.bringUp(plan, { env: ctx.env, ...options, signal: ctx.signal });
      return { plan, up };
    } catch (error) {
      if (!(error instanceof SubnetTakenError) || attempt >= 5) throw error;
      avoid.push(error.subnet);
      log.info(`${error.message}; planning again`);
      const runId = plan.instance.slice(plan.instance.lastIndexOf("-") + 1);
      plan = (await deps.resolvePlan(ctx, { runId, avoid })).plan;
    }
  }
}
