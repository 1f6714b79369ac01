/**
 * @module
 * The Docker side every backend shares: the bottle's networks, the bundle container
 * (egress proxy, DNS, git gate, supervise), its CA, its audit log and supervise control
 * calls, and removal by label. The backends differ only in how the agent guest runs.
 */

import {
  AUDIT_FLUSH_SCRIPT,
  AUDIT_PATH,
  type BundleConfig,
  STATE_DIR,
} from "../../sidecars/bundle/config.ts";
import { join } from "node:path";
import { LABEL_BOTTLE, LABEL_ROLE } from "../constants.ts";
import { pruneLogs } from "../logs.ts";
import * as docker from "../docker/cli.ts";
import { BackendError, InterruptedError, SubnetTakenError } from "../errors.ts";
import { log } from "../log.ts";
import type { BackendName, BottlePlan } from "../plan/types.ts";
import type { BundleAccess, RemoveOptions } from "./types.ts";
import { shell } from "../shell.ts";
import { timed } from "../timings.ts";

/** Labels read by `ls`, `exec` and `cleanup` besides the plan's own. */
export const LABEL_MODE = "bot-bottle.mode";
export const LABEL_OWNER_HOST = "bot-bottle.owner-host";
export const LABEL_WORKDIR = "bot-bottle.workdir";
export const LABEL_BACKEND = "bot-bottle.backend";

/** The agent's limits: room for builds and test runs, not for a fork bomb. */
export const AGENT_LIMITS = { pids: 4096, memoryBytes: 8 * 1024 ** 3 };

/**
 * The bundle's limits. The proxy holds at most 32 MiB of request bodies at once, across
 * connections (more waits for a 503 and a retry), so a flood of uploads fails there, not
 * on the host. One 32 MiB body of compressed data takes the bundle to ~300 MB while it is
 * scanned, a push of a 31 MiB blob of it the gate's hook to ~300 MB: room for both at once.
 */
export const BUNDLE_LIMITS = { pids: 512, memoryBytes: 1024 ** 3 };

/** This host's name, for telling whose `start` bottle a container is. */
export function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

/** The plan's labels plus role and backend. */
export function roleLabels(
  plan: BottlePlan,
  role: string,
  backend: BackendName,
): Record<string, string> {
  return { ...plan.labels, [LABEL_ROLE]: role, [LABEL_BACKEND]: backend };
}

function check(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason ?? new InterruptedError("SIGINT");
}

/**
 * Creates the internal network (agent side) and the egress network (bundle only).
 * A Docker agent shares the internal bridge, where the host's address would be an
 * escape, so the host gets none; a microVM's traffic leaves through the host's own
 * network stack, so there the plan keeps it (`hostReachable`) and the VM's egress
 * policy allows only the bundle.
 */
export async function createNetworks(
  plan: BottlePlan,
  backend: BackendName,
  signal: AbortSignal,
): Promise<void> {
  log.step(`Creating networks for ${plan.instance}`);
  // The two networks do not depend on each other.
  const egress = plan.networks.egress.external
    ? docker.networkExists(plan.networks.egress.name).then((exists) => {
      if (!exists) {
        throw new BackendError(
          `BOT_BOTTLE_EGRESS_NETWORK: network "${plan.networks.egress.name}" does not exist`,
        );
      }
    })
    : docker.networkCreate(plan.networks.egress.name, {
      internal: false,
      labels: roleLabels(plan, "egress", backend),
    });
  // Settled before this returns, whatever the internal network does.
  const egressDone = egress.then(() => undefined, (error) => error as Error);
  try {
    await docker.networkCreate(plan.networks.internal.name, {
      internal: true,
      subnet: plan.networks.internal.subnet,
      labels: roleLabels(plan, "internal", backend),
      driverOptions: plan.networks.internal.hostReachable
        ? undefined
        : { "com.docker.network.bridge.inhibit_ipv4": "true" },
    });
  } catch (error) {
    await egressDone;
    // Another bottle (or anything else) took the subnet since the plan looked.
    if (/overlap/i.test((error as Error).message)) {
      throw new SubnetTakenError(plan.networks.internal.subnet);
    }
    throw error;
  }
  const egressError = await egressDone;
  if (egressError) throw egressError;
  check(signal);
}

/**
 * Creates the bottle's networks while `setup` (images, the config) is being made;
 * returns what `setup` gives. Both settle before this does, so nothing is still being
 * created when the caller's stack removes the bottle; `setup`'s error comes first.
 */
export async function networksBeside<T>(
  plan: BottlePlan,
  backend: BackendName,
  signal: AbortSignal,
  setup: Promise<T>,
): Promise<T> {
  const networks = timed("networks", () => createNetworks(plan, backend, signal))
    .then(() => undefined, (error) => error as Error);
  let ready: T;
  try {
    ready = await setup;
  } catch (error) {
    await networks;
    throw error;
  }
  const failed = await networks;
  if (failed) throw failed;
  check(signal);
  return ready;
}

/** The line the bundle writes when every daemon listens (`sidecars/bundle/init.ts`). */
const READY_LINE = "bundle: ready";

/**
 * Creates the bundle with its pinned address and starts it attached: the config (which
 * holds the credential values and the CA's key) goes in on its stdin, never through a
 * file or its environment, and the start ends when the bundle says its daemons listen.
 */
export async function startBundle(
  plan: BottlePlan,
  config: BundleConfig,
  backend: BackendName,
  signal: AbortSignal,
  options: { seed?: string } = {},
): Promise<void> {
  log.step("Starting the bundle (egress proxy)");
  await timed("bundle:create", () =>
    docker.containerCreate({
      name: plan.bundle.name,
      image: plan.images.bundle,
      labels: roleLabels(plan, "bundle", backend),
      network: plan.networks.internal.name,
      ip: plan.bundle.address,
      hostname: "bundle",
      interactive: true,
      hardened: true,
      limits: BUNDLE_LIMITS,
      // Lets the unprivileged bundle bind DNS (53) without any capability.
      sysctls: { "net.ipv4.ip_unprivileged_port_start": "53" },
    }));
  // The second network and the gate's seed repository (a --cwd workspace's objects and
  // refs) go to the created container at once.
  await timed("bundle:config", () =>
    Promise.all([
      docker.networkConnect(plan.networks.egress.name, plan.bundle.name),
      options.seed ? docker.copyTarFileInto(plan.bundle.name, STATE_DIR, options.seed) : undefined,
    ]));
  const result = await timed("bundle:start", () =>
    docker.startAttached(
      plan.bundle.name,
      new TextEncoder().encode(JSON.stringify(config)),
      (line) => line === READY_LINE,
      { timeoutMs: 60_000, signal },
    ));
  if (!result.ready) {
    const output = result.output ? `:\n  ${result.output.split("\n").join("\n  ")}` : "";
    throw new BackendError(
      result.why === "timeout"
        ? `The bundle was not ready within 60 s${output}`
        : `The bundle stopped before it was ready${output}`,
    );
  }
  check(signal);
}

/** Removes the bottle's containers, networks and volumes (its audit log saved first, if asked). */
export async function removeDockerResources(
  instance: string,
  failures: string[],
  options: RemoveOptions = {},
): Promise<void> {
  const label = `${LABEL_BOTTLE}=${instance}`;
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (error) {
      failures.push(`${what}: ${(error as Error).message}`);
    }
  };
  // The containers together (the agent can reach nothing but the bundle either way);
  // the bundle's once its audit log is saved, while the others already go. Then the
  // networks they were on.
  await attempt("containers", async () => {
    const containers = await docker.containersByLabel(label);
    const isBundle = (c: docker.Labelled) => c.labels[LABEL_ROLE] === "bundle";
    const others = docker.containersRemove(containers.filter((c) => !isBundle(c)).map((c) => c.id))
      .then(() => undefined, (error: Error) => error);
    if (options.archiveDir) await saveAuditLog(instance, options.archiveDir);
    await docker.containersRemove(containers.filter(isBundle).map((c) => c.id));
    const failed = await others;
    if (failed) throw failed;
  });
  await attempt(
    "networks",
    async () => docker.networksRemove((await docker.networksByLabel(label)).map((n) => n.id)),
  );
  await attempt("volumes", async () => docker.volumesRemove(await docker.volumesByLabel(label)));
}

/**
 * Copies the bundle's audit log (running or stopped) to `<dir>/<instance>.jsonl` before
 * the bundle goes, and prunes old saved logs. A bundle that is gone, or never wrote a
 * log, leaves nothing to save; that is not a failure of the removal.
 */
export async function saveAuditLog(instance: string, dir: string): Promise<void> {
  const bundle = (await docker.containersByLabel(`${LABEL_BOTTLE}=${instance}`).catch(() => []))
    .find((c) => c.labels[LABEL_ROLE] === "bundle");
  if (!bundle) return;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const target = join(dir, `${instance}.jsonl`);
    const partial = `${target}.partial`;
    // A running bundle prints it, up to 16 MiB (an exec the engine's socket takes, no
    // docker process); a larger log, or a stopped bundle's, is copied (streamed).
    const printed = bundle.state === "running"
      ? await docker.execCapture(bundle.name, [
        "sh",
        "-c",
        `${AUDIT_FLUSH_SCRIPT}; test "$(stat -c %s "$1")" -le 16777216 && cat "$1"`,
        "sh",
        AUDIT_PATH,
      ], { timeout: "2m" })
      : undefined;
    if (printed?.code === 0) {
      await Deno.writeTextFile(partial, printed.stdout, { mode: 0o600 });
    } else {
      await docker.copyOut(bundle.name, AUDIT_PATH, partial);
    }
    await Deno.chmod(partial, 0o600);
    await Deno.rename(partial, target);
    log.debug(`Saved the audit log of ${instance} to ${target}`);
    await pruneLogs(dir);
  } catch (error) {
    log.debug(`No audit log saved for ${instance}: ${(error as Error).message}`);
  }
}

/** The bundle of `instance` for bringing work home: exec while it runs, copies always. */
export function bundleAccess(instance: string): BundleAccess {
  const find = () =>
    docker.containersByLabel(`${LABEL_BOTTLE}=${instance}`).then((list) =>
      list.find((c) => c.labels[LABEL_ROLE] === "bundle")
    );
  return {
    async running() {
      return (await find().catch(() => undefined))?.state === "running";
    },
    async exec(argv) {
      const bundle = await find();
      if (!bundle) return { code: 1, stdout: "", stderr: `no bundle for "${instance}"` };
      return await docker.execCapture(bundle.name, argv, { timeout: "10m" });
    },
    async execToFile(argv, hostPath) {
      const bundle = await find();
      if (!bundle) return { code: 1, stdout: "", stderr: `no bundle for "${instance}"` };
      return await docker.execToFile(bundle.name, argv, hostPath, { timeout: "30m" });
    },
    async copyOut(path, hostPath) {
      const bundle = await find();
      if (!bundle) throw new BackendError(`No bundle for "${instance}"`);
      await docker.copyOut(bundle.name, path, hostPath);
    },
  };
}

/** The bundle container of `instance`, as docker lists it. */
export async function findBundle(instance: string): Promise<docker.Labelled> {
  const bundle = (await docker.containersByLabel(`${LABEL_BOTTLE}=${instance}`)).find((c) =>
    c.labels[LABEL_ROLE] === "bundle"
  );
  if (!bundle) {
    throw new BackendError(`No bottle named "${instance}"`, {
      hint: "Run `bot-bottle ls` to see the bottles",
    });
  }
  return bundle;
}

/**
 * Calls the supervise control API in `instance`'s bundle; its JSON text, or undefined
 * when the bottle runs no supervise server.
 */
export async function bundleSuperviseCall(
  instance: string,
  args: string[],
): Promise<string | undefined> {
  const bundle = await findBundle(instance);
  if (bundle.state !== "running") {
    throw new BackendError(`No running bottle named "${instance}"`, {
      hint: "Run `bot-bottle ls`",
    });
  }
  const r = await docker.execCapture(bundle.name, [
    "/usr/local/bin/deno",
    "run",
    "--quiet",
    "--cached-only",
    "--no-prompt",
    "--allow-net=127.0.0.1",
    "/opt/bot-bottle/sidecars/supervise/client.ts",
    ...args,
  ], { timeout: "30s" });
  if (r.code !== 0 && /Connection refused|ECONNREFUSED|os error 111/i.test(r.stderr)) {
    return undefined;
  }
  if (r.code !== 0 && !r.stdout.trim().startsWith("{")) {
    throw new BackendError(
      `Supervise call in "${instance}" failed: ${(r.stderr || r.stdout).trim()}`,
    );
  }
  return r.stdout;
}

/** Writes the bundle's audit log (JSONL) to `sink`; with `follow`, until `signal`. */
export async function bundleAuditLog(
  instance: string,
  follow: boolean,
  sink: (chunk: Uint8Array) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const bundle = await findBundle(instance);
  if (bundle.state !== "running") {
    throw new BackendError(`Bottle "${instance}" is not running; its log went with it`);
  }
  // What the log holds back is asked for first: bursts counted in full.
  const args = [
    "sh",
    "-c",
    `${AUDIT_FLUSH_SCRIPT}; exec ${follow ? "tail -n +1 -F" : "cat"} "$1"`,
    "sh",
    AUDIT_PATH,
  ];
  const $ = await shell();
  const child = $`docker exec ${bundle.name} ${args}`.stdout("piped").stderr("piped").spawn();
  const onAbort = () => child.kill("SIGTERM");
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of child.stdout()) await sink(chunk);
    await child;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
