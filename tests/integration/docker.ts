/**
 * @module
 * Helpers for integration tests against a real Docker engine. Where no engine answers,
 * tests are skipped with the reason printed; under CI (CI=true) a missing engine is a
 * failure instead, because CI installs and starts one.
 */

import { $, captureRaw } from "../../lib/shell.ts";

let ready: Promise<string | undefined> | undefined;

/** Undefined when docker answers, else the reason it does not. */
export function dockerUnavailable(): Promise<string | undefined> {
  ready ??= (async () => {
    try {
      const r = await captureRaw($`docker info --format ${"{{.ServerVersion}}"}`, "20s");
      return r.code === 0
        ? undefined
        : `docker engine not reachable: ${r.stderr.trim().split("\n")[0]}`;
    } catch (error) {
      return `docker not runnable: ${(error as Error).message}`;
    }
  })();
  return ready;
}

const reason = await dockerUnavailable();
if (reason && Deno.env.get("CI") === "true") {
  throw new Error(`CI needs a Docker engine and has none: ${reason}`);
}
if (reason) {
  // deno-lint-ignore no-console
  console.error(`skipping Docker integration tests: ${reason}`);
}

/** Deno.test that needs Docker: ignored (with the reason printed once) when absent. */
export function dockerTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  Deno.test({
    name,
    ignore: reason !== undefined,
    fn,
    sanitizeOps: false,
    sanitizeResources: false,
  });
}

/**
 * The bottle a `start` or `up` with `BOT_BOTTLE_STATE_DIR=stateDir` runs, from its
 * heartbeat (the one bottle of that state directory), or undefined before it beats.
 */
export async function bottleOf(stateDir: string): Promise<string | undefined> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(`${stateDir}/heartbeats`)) names.push(e.name);
  } catch {
    return undefined;
  }
  if (names.length > 1) throw new Error(`more than one bottle in ${stateDir}: ${names}`);
  return names[0];
}

/** Sorted ids of every container, network and volume, to compare before and after. */
export async function dockerResources(): Promise<string[]> {
  const [containers, networks, volumes] = await Promise.all([
    captureRaw($`docker ps --all --quiet --no-trunc`),
    captureRaw($`docker network ls --quiet --no-trunc`),
    captureRaw($`docker volume ls --quiet`),
  ]);
  return [
    ...containers.stdout.split("\n").filter(Boolean).map((id) => `container ${id}`),
    ...networks.stdout.split("\n").filter(Boolean).map((id) => `network ${id}`),
    ...volumes.stdout.split("\n").filter(Boolean).map((id) => `volume ${id}`),
  ].toSorted();
}
