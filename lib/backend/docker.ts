/**
 * @module
 * The Docker backend: per bottle an internal network shared only by the agent and the
 * bundle, an egress network only the bundle joins, the bundle container, and the agent
 * container with no capabilities, no new privileges and no outside DNS.
 */

import {
  AUDIT_PATH,
  BUNDLE_UID,
  type BundleConfig,
  CA_CERT_PATH,
  CONFIG_PATH,
  READY_PATH,
} from "../../sidecars/bundle/config.ts";
import { LABEL_BOTTLE, LABEL_ROLE, LABEL_TOOL } from "../constants.ts";
import * as docker from "../docker/cli.ts";
import { BackendError, InterruptedError } from "../errors.ts";
import { log } from "../log.ts";
import type { BottlePlan } from "../plan/types.ts";
import { $ } from "../shell.ts";
import { heartbeatAlive } from "../state.ts";
import { fileTar } from "../tar.ts";
import type {
  AttachOptions,
  Backend,
  BottleSummary,
  Guest,
  GuestExecOptions,
  GuestResult,
  GuestUser,
  LaunchedBottle,
} from "./types.ts";

/** Extra labels on the agent container, read by `ls`, `exec` and `cleanup`. */
const LABEL_MODE = "bot-bottle.mode";
const LABEL_OWNER_HOST = "bot-bottle.owner-host";
const LABEL_WORKDIR = "bot-bottle.workdir";
const LABEL_BACKEND = "bot-bottle.backend";

const USERS: Record<GuestUser, string> = { root: "0:0", agent: "1000:1000" };

/** Hardening every bottle container gets. */
const HARDENING = [
  "--cap-drop",
  "ALL",
  "--security-opt",
  "no-new-privileges",
  "--init",
  "--pids-limit",
  "4096",
];

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

/** A docker container as a provisioning target. */
export class DockerGuest implements Guest {
  constructor(readonly container: string) {}

  async putFile(
    hostPath: string,
    guestPath: string,
    owner: { user: GuestUser; mode: number },
  ): Promise<void> {
    // Written by the owning user through exec, so that no capability (CHOWN,
    // DAC_OVERRIDE) is needed in a container that has none.
    const data = await Deno.readFile(hostPath);
    const script = 'umask 077 && cat > "$1" && chmod "$2" "$1"';
    const r = await docker.execCapture(this.container, [
      "sh",
      "-c",
      script,
      "sh",
      guestPath,
      owner.mode.toString(8),
    ], {
      user: USERS[owner.user],
      stdin: data,
      timeout: "5m",
    });
    if (r.code !== 0) {
      throw new BackendError(
        `Copying to ${this.container}:${guestPath} failed: ${r.stderr.trim()}`,
      );
    }
  }

  exec(argv: string[], options: GuestExecOptions = {}): Promise<GuestResult> {
    return docker.execCapture(this.container, argv, {
      user: USERS[options.user ?? "agent"],
      workdir: options.workdir,
      env: options.env,
      stdin: options.stdin,
      timeout: options.timeout,
    });
  }
}

async function waitForBundle(name: string, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (signal.aborted) throw signal.reason ?? new InterruptedError("SIGINT");
    const ready = await docker.execCapture(name, ["test", "-f", READY_PATH], { timeout: "20s" });
    if (ready.code === 0) return;
    const state = await docker.containerState(name);
    if (!state || state.status === "exited" || state.status === "dead") {
      const logs = await docker.containerLogsTail(name);
      throw new BackendError(
        `The bundle stopped before it was ready${
          logs ? `:\n  ${logs.split("\n").join("\n  ")}` : ""
        }`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new BackendError(
    `The bundle was not ready within 60 s: ${await docker.containerLogsTail(name)}`,
  );
}

/** The Docker backend. */
export class DockerBackend implements Backend {
  readonly name = "docker" as const;

  unavailable(): Promise<string | undefined> {
    return docker.engineProblem();
  }

  async launch(
    plan: BottlePlan,
    config: BundleConfig,
    options: { mode: "start" | "up"; stack: AsyncDisposableStack; signal: AbortSignal },
  ): Promise<LaunchedBottle> {
    const { stack, signal } = options;
    const check = () => {
      if (signal.aborted) throw signal.reason ?? new InterruptedError("SIGINT");
    };
    // One disposer removes everything by label, so a resource whose creation was
    // interrupted half-way is removed too.
    stack.defer(() => this.remove(plan.instance));
    const labels = (role: string) => ({
      ...plan.labels,
      [LABEL_ROLE]: role,
      [LABEL_BACKEND]: "docker",
    });

    log.step(`Creating networks for ${plan.instance}`);
    await docker.networkCreate(plan.networks.internal.name, {
      internal: true,
      subnet: plan.networks.internal.subnet,
      labels: labels("internal"),
      // Without this the host holds the bridge's gateway address and every host
      // service listening on all interfaces is one connect away from the agent.
      driverOptions: { "com.docker.network.bridge.inhibit_ipv4": "true" },
    });
    check();
    if (plan.networks.egress.external) {
      if (!(await docker.networkExists(plan.networks.egress.name))) {
        throw new BackendError(
          `BOT_BOTTLE_EGRESS_NETWORK: network "${plan.networks.egress.name}" does not exist`,
        );
      }
    } else {
      await docker.networkCreate(plan.networks.egress.name, {
        internal: false,
        labels: labels("egress"),
      });
    }
    check();

    log.step("Starting the bundle (egress proxy)");
    await docker.containerCreate({
      name: plan.bundle.name,
      image: plan.images.bundle,
      labels: labels("bundle"),
      network: plan.networks.internal.name,
      ip: plan.bundle.address,
      hostname: "bundle",
      // Lets the unprivileged bundle bind DNS (53) without any capability.
      flags: [...HARDENING, "--sysctl", "net.ipv4.ip_unprivileged_port_start=53"],
    });
    await docker.networkConnect(plan.networks.egress.name, plan.bundle.name);
    const configBytes = new TextEncoder().encode(JSON.stringify(config));
    const configName = CONFIG_PATH.split("/").at(-1)!;
    const configDir = CONFIG_PATH.slice(0, CONFIG_PATH.lastIndexOf("/"));
    await docker.copyTarInto(
      plan.bundle.name,
      configDir,
      fileTar(configName, configBytes, { uid: BUNDLE_UID, gid: BUNDLE_UID, mode: 0o600 }),
    );
    await docker.containerStart(plan.bundle.name);
    await waitForBundle(plan.bundle.name, signal);
    check();

    log.step("Starting the agent container");
    await docker.containerRun({
      name: plan.guest.name,
      image: plan.images.agent,
      labels: {
        ...labels("agent"),
        [LABEL_MODE]: options.mode,
        [LABEL_OWNER_HOST]: hostName(),
        [LABEL_WORKDIR]: plan.guest.workdir,
      },
      network: plan.networks.internal.name,
      ip: plan.guest.address,
      user: USERS.agent,
      hostname: "bottle",
      workdir: plan.guest.workdir,
      env: { ...plan.guest.env, HOME: plan.guest.home },
      // Outside names must not resolve: docker answers the bottle's own names and
      // forwards the rest to the bundle, which refuses them and forwards nothing.
      dns: [plan.bundle.address],
      flags: HARDENING,
      command: ["sleep", "infinity"],
    });
    check();

    const bundle = plan.bundle.name;
    return {
      guest: new DockerGuest(plan.guest.name),
      async caCertificate() {
        const r = await docker.execCapture(bundle, ["cat", CA_CERT_PATH], { timeout: "30s" });
        if (r.code !== 0 || !r.stdout.includes("BEGIN CERTIFICATE")) {
          throw new BackendError(
            `Reading the bottle's CA from the bundle failed: ${r.stderr.trim()}`,
          );
        }
        return r.stdout;
      },
    };
  }

  async #agentContainer(instance: string): Promise<docker.Labelled> {
    const found = (await docker.containersByLabel(`${LABEL_BOTTLE}=${instance}`))
      .filter((c) => c.labels[LABEL_ROLE] === "agent");
    if (found.length === 0) {
      throw new BackendError(`No bottle named "${instance}"`, {
        hint: "Run `bot-bottle ls` to see the bottles",
      });
    }
    if (found[0]!.state !== "running") {
      throw new BackendError(`Bottle "${instance}" is not running (${found[0]!.state})`, {
        hint: `Remove it with \`bot-bottle down ${instance}\``,
      });
    }
    return found[0]!;
  }

  async attach(
    instance: string,
    argv: string[],
    options: AttachOptions,
    signal?: AbortSignal,
  ): Promise<number> {
    const agent = await this.#agentContainer(instance);
    return await docker.execAttached(agent.name, argv, {
      user: USERS.agent,
      workdir: options.workdir ?? agent.labels[LABEL_WORKDIR],
      env: options.env,
      tty: options.tty,
      interactive: options.interactive,
    }, signal);
  }

  async remove(instance: string): Promise<void> {
    const label = `${LABEL_BOTTLE}=${instance}`;
    const failures: string[] = [];
    const attempt = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (error) {
        failures.push(`${what}: ${(error as Error).message}`);
      }
    };
    // Containers first (agent before bundle), then networks, then volumes.
    const containers = await docker.containersByLabel(label);
    const order = (c: docker.Labelled) => (c.labels[LABEL_ROLE] === "agent" ? 0 : 1);
    await attempt(
      "containers",
      () =>
        docker.containersRemove(
          containers.toSorted((a, b) => order(a) - order(b)).map((c) => c.id),
        ),
    );
    await attempt(
      "networks",
      async () => docker.networksRemove((await docker.networksByLabel(label)).map((n) => n.id)),
    );
    await attempt("volumes", async () => docker.volumesRemove(await docker.volumesByLabel(label)));
    if (failures.length > 0) {
      throw new BackendError(`Removing bottle "${instance}" failed:\n  ${failures.join("\n  ")}`);
    }
  }

  async list(): Promise<BottleSummary[]> {
    const out =
      await $`docker ps --all --no-trunc --filter ${`label=${LABEL_ROLE}=agent`} --filter ${`label=${LABEL_BACKEND}=docker`} --format ${"{{.Labels}}\t{{.State}}\t{{.CreatedAt}}"}`
        .text();
    return out.split("\n").filter(Boolean).map((line) => {
      const [labelText, state, created] = line.split("\t");
      const labels = Object.fromEntries(
        labelText!.split(",").map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]),
      );
      return {
        name: labels[LABEL_BOTTLE] ?? "?",
        agent: labels["bot-bottle.agent"] ?? "?",
        backend: "docker" as const,
        status: state ?? "?",
        created: created ?? "",
        mode: labels[LABEL_MODE] ?? "?",
      };
    });
  }

  async leftovers(env: Record<string, string | undefined>): Promise<string[]> {
    const containers = await docker.containersByLabel(`${LABEL_TOOL}=1`);
    const networks = await docker.networksByLabel(`${LABEL_TOOL}=1`);
    const byInstance = new Map<string, docker.Labelled[]>();
    for (const c of containers) {
      const name = c.labels[LABEL_BOTTLE];
      if (name) byInstance.set(name, [...(byInstance.get(name) ?? []), c]);
    }
    const stale = new Set<string>();
    for (const [name, list] of byInstance) {
      // A live start or up (still starting, or running claude) beats; leave it alone.
      if (await heartbeatAlive(env, name)) continue;
      const agent = list.find((c) => c.labels[LABEL_ROLE] === "agent");
      const bundle = list.find((c) => c.labels[LABEL_ROLE] === "bundle");
      if (!agent || !bundle || !list.every((c) => c.state === "running")) {
        stale.add(name);
      } else if (
        agent.labels[LABEL_MODE] === "start" && agent.labels[LABEL_OWNER_HOST] === hostName()
      ) {
        // A `start` bottle lives exactly as long as the process that started it.
        stale.add(name);
      }
    }
    for (const n of networks) {
      const name = n.labels[LABEL_BOTTLE];
      if (name && !byInstance.has(name) && !(await heartbeatAlive(env, name))) stale.add(name);
    }
    return [...stale].toSorted();
  }

  async superviseCall(instance: string, args: string[]): Promise<string | undefined> {
    const bundle = (await docker.containersByLabel(`${LABEL_BOTTLE}=${instance}`)).find((c) =>
      c.labels[LABEL_ROLE] === "bundle" && c.state === "running"
    );
    if (!bundle) {
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

  async auditLog(
    instance: string,
    follow: boolean,
    sink: (chunk: Uint8Array) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<void> {
    const bundle = (await docker.containersByLabel(`${LABEL_BOTTLE}=${instance}`)).find((c) =>
      c.labels[LABEL_ROLE] === "bundle"
    );
    if (!bundle) {
      throw new BackendError(`No bottle named "${instance}"`, {
        hint: "Run `bot-bottle ls` to see the bottles",
      });
    }
    if (bundle.state !== "running") {
      throw new BackendError(`Bottle "${instance}" is not running; its log went with it`);
    }
    const args = follow ? ["tail", "-n", "+1", "-F", AUDIT_PATH] : ["cat", AUDIT_PATH];
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
}
