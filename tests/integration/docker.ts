/**
 * @module
 * Helpers for integration tests against a real Docker engine. Where no engine answers,
 * tests are skipped with the reason printed; under CI (CI=true) a missing engine is a
 * failure instead, because CI installs and starts one.
 */

import { $, captureRaw } from "../shell.ts";

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
 * Docker tests touch only what they create and share the engine (a test that must create
 * nothing records its own docker calls: `recordingDocker`); a test that sweeps the whole
 * engine (`cleanup`, `down --all`) does so inside `exclusively`, which waits for the
 * tests in flight to end and holds new ones off.
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

/** The engine lock the running Docker test holds (tests in one file run one at a time). */
let held: { release: () => void } | undefined;

/**
 * Runs `fn` alone on the engine, from inside a shared `dockerTest`: the test's slow
 * preparation (starting a bottle, say) shares the engine, and only its sweep waits for
 * the tests in flight to end. Another exclusive test may run between the two locks, so
 * what it must not sweep has to look alive meanwhile (a fresh heartbeat).
 */
export async function exclusively<T>(fn: () => Promise<T>): Promise<T> {
  const test = held;
  if (!test) throw new Error("exclusively() runs inside a dockerTest");
  test.release();
  test.release = () => {};
  const release = await engineLock(true);
  try {
    return await fn();
  } finally {
    release();
    test.release = await engineLock(false);
  }
}

/** Deno.test that needs Docker: ignored (with the reason printed once) when absent. */
export function dockerTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  Deno.test({
    name,
    ignore: reason !== undefined,
    async fn(t) {
      const test = { release: await engineLock(false) };
      held = test;
      try {
        await fn(t);
      } finally {
        held = undefined;
        test.release();
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

/** A `docker` first on PATH that records every call and runs the real one. */
export interface RecordingDocker extends AsyncDisposable {
  /** Environment that puts the recorder first on PATH. */
  env: Record<string, string>;
  /** Each call's arguments, joined by spaces, in order. */
  calls(): Promise<string[]>;
}

/** Calls that only read: anything else creates, changes or removes something. */
export const READ_ONLY_DOCKER =
  /^(info|version|inspect|ps|images|(image|network|volume|container|context) (inspect|ls))\b/;

/**
 * Installs a recording `docker`: a test that must create nothing checks its own calls
 * instead of every resource of an engine other tests use at the same time. Its
 * environment also turns the engine socket shortcut off (`BOT_BOTTLE_DOCKER_API=0`), so
 * that every call goes through the recorder.
 */
export async function recordingDocker(): Promise<RecordingDocker> {
  const path = Deno.env.get("PATH") ?? "";
  let real: string | undefined;
  for (const dir of path.split(":").filter(Boolean)) {
    if (await Deno.stat(`${dir}/docker`).then((s) => s.isFile, () => false)) {
      real = `${dir}/docker`;
      break;
    }
  }
  if (!real) throw new Error("no docker on PATH");
  const root = await Deno.makeTempDir({ prefix: "bot-bottle-recording-docker-" });
  const log = `${root}/calls.log`;
  await Deno.mkdir(`${root}/bin`);
  await Deno.writeTextFile(
    `${root}/bin/docker`,
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${real}' "$@"\n`,
    { mode: 0o755 },
  );
  return {
    env: { PATH: `${root}/bin:${path}`, BOT_BOTTLE_DOCKER_API: "0" },
    async calls() {
      const text = await Deno.readTextFile(log).catch(() => "");
      return text.split("\n").filter(Boolean);
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

/** What of bottle `name` is left in the engine: the IDs of its containers, networks and volumes. */
export async function leftOf(name: string): Promise<string[]> {
  const label = `label=bot-bottle.bottle=${name}`;
  const found = await Promise.all([
    captureRaw($`docker ps --all --quiet --filter ${label}`),
    captureRaw($`docker network ls --quiet --filter ${label}`),
    captureRaw($`docker volume ls --quiet --filter ${label}`),
  ]);
  return found.flatMap((r) => r.stdout.split("\n")).filter(Boolean);
}
