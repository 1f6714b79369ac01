/**
 * @module
 * The Docker backend: per bottle an internal network shared only by the agent and the
 * bundle, an egress network only the bundle joins, the bundle container, and the agent
 * container with no capabilities, no new privileges and no outside DNS.
 */

import { LABEL_BOTTLE, LABEL_ROLE, LABEL_TOOL } from "../constants.ts";
import * as docker from "../docker/cli.ts";
import { BackendError, InterruptedError } from "../errors.ts";
import { log } from "../log.ts";
import { logsDir } from "../logs.ts";
import { timed } from "../timings.ts";
import type { BottlePlan } from "../plan/types.ts";
import { heartbeatAlive } from "../state.ts";
import {
  AGENT_LIMITS,
  bundleAccess,
  bundleAuditLog,
  bundleSuperviseCall,
  hostName,
  LABEL_BACKEND,
  LABEL_MODE,
  LABEL_OWNER_HOST,
  LABEL_WORKDIR,
  networksBeside,
  removeDockerResources,
  roleLabels,
  startBundle,
} from "./bundle.ts";
import type {
  AttachOptions,
  Backend,
  BottleSummary,
  Guest,
  GuestExecOptions,
  GuestResult,
  GuestUser,
  HomeAccess,
  LaunchedBottle,
  LaunchOptions,
  LaunchSetup,
  RemoveOptions,
} from "./types.ts";

const USERS: Record<GuestUser, string> = { root: "0:0", agent: "1000:1000" };

/** A docker container as a provisioning target. */
export class DockerGuest implements Guest {
  constructor(readonly container: string) {}

  async putFile(
    hostPath: string,
    guestPath: string,
    owner: { user: GuestUser; mode: number },
  ): Promise<void> {
    // Written by the owning user through exec, so that no capability (CHOWN,
    // DAC_OVERRIDE) is needed in a container that has none; streamed from the file. The
    // input is read to its end even when the write fails (the engine needs that).
    const script =
      'umask 077; if cat > "$1"; then chmod "$2" "$1"; else cat > /dev/null; exit 1; fi';
    const r = await docker.execCapture(this.container, [
      "sh",
      "-c",
      script,
      "sh",
      guestPath,
      owner.mode.toString(8),
    ], {
      user: USERS[owner.user],
      stdinFile: hostPath,
      timeout: "5m",
    });
    if (r.code !== 0) {
      throw new BackendError(
        `Copying to ${this.container}:${guestPath} failed (exit ${r.code}): ${r.stderr.trim()}`,
      );
    }
  }

  async getFile(guestPath: string, hostPath: string): Promise<void> {
    await docker.copyOut(this.container, guestPath, hostPath);
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

/** The Docker backend. */
export class DockerBackend implements Backend {
  readonly name = "docker" as const;

  unavailable(): Promise<string | undefined> {
    return docker.engineProblem();
  }

  async launch(
    plan: BottlePlan,
    setup: Promise<LaunchSetup>,
    options: LaunchOptions,
  ): Promise<LaunchedBottle> {
    const { stack, signal } = options;
    const guest = new DockerGuest(plan.guest.name);
    // One disposer removes everything by label, so a resource whose creation was
    // interrupted half-way is removed too.
    stack.defer(async () => {
      log.step(`Removing bottle ${plan.instance}`);
      await this.remove(plan.instance, { archiveDir: logsDir(options.env) });
    });
    const { config, bundleSeed } = await networksBeside(plan, "docker", signal, setup);
    // The agent's container needs nothing from the bundle until its CA is trusted: both
    // start at once, and the guest's own provisioning runs while the bundle starts.
    log.step("Starting the bundle and the agent container");
    await Promise.all([
      timed("bundle", () => startBundle(plan, config, "docker", signal, { seed: bundleSeed })),
      timed("agent", () => this.#runAgent(plan, options.mode)).then(() => options.onGuest?.(guest)),
    ]);
    if (signal.aborted) throw signal.reason ?? new InterruptedError("SIGINT");
    return { guest };
  }

  async #runAgent(plan: BottlePlan, mode: "start" | "up"): Promise<void> {
    await docker.containerRun({
      name: plan.guest.name,
      image: plan.images.agent,
      labels: {
        ...roleLabels(plan, "agent", "docker"),
        [LABEL_MODE]: mode,
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
      hardened: true,
      limits: AGENT_LIMITS,
      command: ["sleep", "infinity"],
    });
  }

  async homeAccess(instance: string): Promise<HomeAccess> {
    const find = async () =>
      (await docker.containersByLabel(`${LABEL_BOTTLE}=${instance}`).catch(() => []))
        .find((c) => c.labels[LABEL_ROLE] === "agent");
    let agent = await find();
    if (agent && agent.state !== "running") {
      // A stopped agent (the engine restarted) starts again on its own network, so its
      // unpushed work can still be collected.
      await docker.containerStart(agent.name).catch(() => {});
      agent = await find();
    }
    const name = agent?.name;
    return {
      ...(agent?.state === "running" ? { guest: new DockerGuest(agent.name) } : {}),
      bundle: bundleAccess(instance),
      ...(name
        ? { salvage: (guestPath: string, file: string) => docker.saveTar(name, guestPath, file) }
        : {}),
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

  bundleRunning(instance: string): Promise<boolean> {
    return bundleAccess(instance).running();
  }

  async remove(instance: string, options: RemoveOptions = {}): Promise<void> {
    // Containers first, then networks, then volumes.
    const failures: string[] = [];
    await removeDockerResources(instance, failures, options);
    if (failures.length > 0) {
      throw new BackendError(`Removing bottle "${instance}" failed:\n  ${failures.join("\n  ")}`);
    }
  }

  async list(): Promise<BottleSummary[]> {
    const agents = await docker.containersByLabel([
      `${LABEL_ROLE}=agent`,
      `${LABEL_BACKEND}=docker`,
    ]);
    return agents.map(({ labels, state, created }) => ({
      name: labels[LABEL_BOTTLE] ?? "?",
      agent: labels["bot-bottle.agent"] ?? "?",
      backend: "docker" as const,
      status: state ?? "?",
      created: created ?? "",
      mode: labels[LABEL_MODE] ?? "?",
    }));
  }

  async leftovers(env: Record<string, string | undefined>): Promise<string[]> {
    // Bottles of another backend (a smolvm bundle has no agent container) are not ours.
    const ours = (r: docker.Labelled) => (r.labels[LABEL_BACKEND] ?? "docker") === "docker";
    const containers = (await docker.containersByLabel(`${LABEL_TOOL}=1`)).filter(ours);
    const networks = (await docker.networksByLabel(`${LABEL_TOOL}=1`)).filter(ours);
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

  superviseCall(instance: string, args: string[]): Promise<string | undefined> {
    return bundleSuperviseCall(instance, args);
  }

  auditLog(
    instance: string,
    follow: boolean,
    sink: (chunk: Uint8Array) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<void> {
    return bundleAuditLog(instance, follow, sink, signal);
  }
}
