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

/**
 * Test files run two at a time (`deno test --parallel`, DENO_JOBS=2 in the test task):
 * a serial run leaves a third of the CPU idle while engines start containers. Most
 * Docker tests touch only what they create and share the engine; a test that looks at
 * or sweeps the whole engine (`cleanup`, `down --all`, every container before and after)
 * runs `exclusive`: it waits for the tests in flight to end and holds new ones off.
 *
 * A readers-writer lock from two flock files in the temp directory, writer first: a
 * writer holds the gate while it waits for the readers to drain, and a reader passes
 * the gate only to take its shared lock. flock works between the test workers of one
 * process (each open file is its own holder) and is released if the process dies.
 */
async function engineLock(exclusive: boolean): Promise<() => void> {
  const dir = Deno.env.get("TMPDIR") ?? "/tmp";
  const open = (name: string) =>
    Deno.open(`${dir}/bot-bottle-tests-${name}.lock`, { create: true, write: true });
  const gate = await open("gate");
  const rw = await open("rw");
  await gate.lock(true);
  try {
    await rw.lock(exclusive);
  } finally {
    await gate.unlock();
    gate.close();
  }
  return () => rw.close();
}

/** Deno.test that needs Docker: ignored (with the reason printed once) when absent. */
export function dockerTest(
  name: string,
  fn: (t: Deno.TestContext) => Promise<void>,
  options: { exclusive?: boolean } = {},
): void {
  Deno.test({
    name,
    ignore: reason !== undefined,
    async fn(t) {
      const release = await engineLock(options.exclusive === true);
      try {
        await fn(t);
      } finally {
        release();
      }
    },
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
