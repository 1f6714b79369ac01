/**
 * @module
 * The smolvm backend: the same bundle container as the Docker backend, on a per-bottle
 * bridge with a pinned address, and the agent in a libkrun microVM booted from the
 * agent image's `docker save` archive. The VM's egress policy allows exactly
 * `<bundle-ip>/32`, its only resolver is the bundle (which answers no outside name),
 * and every address it is given is an IP. Daemons the agent must not reach directly
 * bind the bundle's loopback, because smolvm's policy has no ports.
 */

import { LABEL_BOTTLE, LABEL_ROLE, LABEL_TOOL } from "../constants.ts";
import * as docker from "../docker/cli.ts";
import { BackendError, InterruptedError } from "../errors.ts";
import { agentImageArchive } from "../images/archive.ts";
import { log } from "../log.ts";
import { logsDir } from "../logs.ts";
import type { BottlePlan } from "../plan/types.ts";
import * as smolvm from "../smolvm/cli.ts";
import { cacheDir, heartbeatAlive } from "../state.ts";
import {
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

/** The oldest smolvm whose CLI this backend speaks (`cp --mode/--uid/--gid`). */
export const MIN_SMOLVM = [1, 9, 0] as const;

const AGENT_ID = 1000;

/**
 * `machine exec` runs as the image's USER (root in the agent image) and has no
 * `--user`: agent commands drop to node with no way back.
 */
export function asGuestUser(user: GuestUser, argv: string[]): string[] {
  if (user === "root") return argv;
  return [
    "setpriv",
    `--reuid=${AGENT_ID}`,
    `--regid=${AGENT_ID}`,
    "--clear-groups",
    "--no-new-privs",
    "--",
    ...argv,
  ];
}

/** Environment agent commands get besides the machine's own. */
const AGENT_ENV = { HOME: "/home/node", USER: "node", LOGNAME: "node" };

/** Whether `found` (`1.9.2`, `v1.10.0-rc1`) is at least MIN_SMOLVM. */
export function versionSupported(found: string): boolean {
  const parts = found.replace(/^v/, "").split(/[.-]/).slice(0, 3).map((p) => parseInt(p, 10));
  for (let i = 0; i < 3; i++) {
    const have = Number.isNaN(parts[i]) ? 0 : parts[i] ?? 0;
    if (have !== MIN_SMOLVM[i]) return have > MIN_SMOLVM[i]!;
  }
  return true;
}

/** What smolvm is on this machine, and why it cannot run bottles (undefined: it can). */
export async function smolvmHost(): Promise<{ version?: string; problem?: string }> {
  const version = await smolvm.version();
  if (!version) {
    return { problem: "smolvm is not on PATH" };
  }
  if (!versionSupported(version)) {
    return { version, problem: `smolvm ${version} is older than ${MIN_SMOLVM.join(".")}` };
  }
  if (Deno.build.os === "darwin") {
    // Docker Desktop's container addresses are not routable from the host, so the
    // guest would have to reach the bundle through host loopback, opening every
    // loopback port to it. Refuse rather than weaken the bottle.
    return {
      version,
      problem: "on macOS the bundle is not routable from the VM without opening host loopback; " +
        "this version supports smolvm on Linux with KVM",
    };
  }
  if (Deno.build.os !== "linux") {
    return { version, problem: `smolvm does not run on ${Deno.build.os}` };
  }
  // On Linux, whether /dev/kvm is usable is smolvm's to report (it names it when a VM
  // cannot start): Deno's scoped permissions keep /dev, /proc and /sys from this tool.
  return { version };
}

/** A microVM as a provisioning target, through `machine cp` and `machine exec`. */
export class SmolvmGuest implements Guest {
  constructor(readonly machine: string) {}

  async putFile(
    hostPath: string,
    guestPath: string,
    owner: { user: GuestUser; mode: number },
  ): Promise<void> {
    const id = owner.user === "root" ? 0 : AGENT_ID;
    await smolvm.cp(hostPath, this.machine, guestPath, { mode: owner.mode, uid: id, gid: id });
  }

  async getFile(guestPath: string, hostPath: string): Promise<void> {
    await smolvm.cpFrom(this.machine, guestPath, hostPath);
  }

  exec(argv: string[], options: GuestExecOptions = {}): Promise<GuestResult> {
    const user = options.user ?? "agent";
    return smolvm.execCapture(this.machine, asGuestUser(user, argv), {
      env: { ...(user === "agent" ? AGENT_ENV : {}), ...options.env },
      workdir: options.workdir,
      timeout: options.timeout,
      stdin: options.stdin,
    });
  }
}

function agentMachines(machines: smolvm.MachineInfo[]): smolvm.MachineInfo[] {
  return machines.filter((m) =>
    m.labels[LABEL_ROLE] === "agent" && m.labels[LABEL_BACKEND] === "smolvm"
  );
}

/** One audit entry for a connection the VM's own policy refused. */
export function denialEntry(d: smolvm.EgressDenial): string {
  return JSON.stringify({
    ts: d.timestamp,
    kind: "vm",
    action: "deny",
    dest: d.dest,
    operation: d.operation,
    source: "smolvm egress policy",
  });
}

/** The smolvm backend. */
export class SmolvmBackend implements Backend {
  readonly name = "smolvm" as const;

  async unavailable(): Promise<string | undefined> {
    const host = await smolvmHost();
    if (host.problem) return host.problem;
    const engine = await docker.engineProblem();
    return engine ? `the bundle needs Docker: ${engine}` : undefined;
  }

  async launch(
    plan: BottlePlan,
    setup: Promise<LaunchSetup>,
    options: LaunchOptions,
  ): Promise<LaunchedBottle> {
    const { stack, signal } = options;
    const vm = plan.guest.vm;
    if (!vm) throw new BackendError("The plan has no microVM policy for the smolvm backend");
    const check = () => {
      if (signal.aborted) throw signal.reason ?? new InterruptedError("SIGINT");
    };
    // Registered before anything exists, so a half-made bottle is removed too.
    stack.defer(async () => {
      log.step(`Removing bottle ${plan.instance}`);
      await this.remove(plan.instance, { archiveDir: logsDir(options.env) });
    });
    const { config, bundleSeed } = await networksBeside(plan, "smolvm", signal, setup);
    const image = await agentImageArchive(plan.images.agent, cacheDir(options.env));
    check();
    await startBundle(plan, config, "smolvm", signal, { seed: bundleSeed });

    log.step("Starting the agent microVM");
    await smolvm.create({
      name: plan.guest.name,
      image,
      labels: {
        ...roleLabels(plan, "agent", "smolvm"),
        [LABEL_MODE]: options.mode,
        [LABEL_OWNER_HOST]: hostName(),
        [LABEL_WORKDIR]: plan.guest.workdir,
      },
      env: { ...plan.guest.env, HOME: plan.guest.home },
      allowCidrs: vm.allowCidrs,
      dns: vm.dns,
      command: ["sleep", "infinity"],
    });
    check();
    await smolvm.start(plan.guest.name);
    check();

    const machine = plan.guest.name;
    const guest = new SmolvmGuest(machine);
    await options.onGuest?.(guest);
    check();
    return {
      guest,
      async deniedByPolicy(address: string) {
        const events = await smolvm.egressEvents(machine);
        return events.some((e) => e.dest === address || e.dest.startsWith(`${address}:`));
      },
    };
  }

  async homeAccess(instance: string): Promise<HomeAccess> {
    // `machine exec` starts a stopped machine by itself.
    const machine = agentMachines(await smolvm.list().catch(() => [])).find((m) =>
      m.labels[LABEL_BOTTLE] === instance && (m.state === "running" || m.state === "stopped")
    );
    return {
      ...(machine ? { guest: new SmolvmGuest(machine.name) } : {}),
      bundle: bundleAccess(instance),
    };
  }

  async #agentMachine(instance: string): Promise<smolvm.MachineInfo> {
    const found = agentMachines(await smolvm.list()).find((m) =>
      m.labels[LABEL_BOTTLE] === instance
    );
    if (!found) {
      throw new BackendError(`No bottle named "${instance}"`, {
        hint: "Run `bot-bottle ls` to see the bottles",
      });
    }
    if (found.state !== "running") {
      throw new BackendError(`Bottle "${instance}" is not running (${found.state})`, {
        hint: `Remove it with \`bot-bottle down ${instance}\``,
      });
    }
    return found;
  }

  async attach(
    instance: string,
    argv: string[],
    options: AttachOptions,
    signal?: AbortSignal,
  ): Promise<number> {
    const machine = await this.#agentMachine(instance);
    return await smolvm.execAttached(machine.name, asGuestUser("agent", argv), {
      env: { ...AGENT_ENV, ...options.env },
      workdir: options.workdir ?? machine.labels[LABEL_WORKDIR],
      interactive: options.interactive,
      tty: options.tty,
    }, signal);
  }

  bundleRunning(instance: string): Promise<boolean> {
    return bundleAccess(instance).running();
  }

  async remove(instance: string, options: RemoveOptions = {}): Promise<void> {
    const failures: string[] = [];
    // Reverse order of creation: the VM, then the bundle, then the networks.
    try {
      const machines = (await smolvm.list()).filter((m) => m.labels[LABEL_BOTTLE] === instance);
      for (const m of machines) {
        try {
          await smolvm.remove(m.name);
        } catch (error) {
          failures.push(`machine ${m.name}: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      failures.push(`machines: ${(error as Error).message}`);
    }
    await removeDockerResources(instance, failures, options);
    if (failures.length > 0) {
      throw new BackendError(`Removing bottle "${instance}" failed:\n  ${failures.join("\n  ")}`);
    }
  }

  async list(): Promise<BottleSummary[]> {
    return agentMachines(await smolvm.list()).map((m) => ({
      name: m.labels[LABEL_BOTTLE] ?? "?",
      agent: m.labels["bot-bottle.agent"] ?? "?",
      backend: "smolvm" as const,
      status: m.state,
      created: m.created ?? "",
      mode: m.labels[LABEL_MODE] ?? "?",
    }));
  }

  async leftovers(env: Record<string, string | undefined>): Promise<string[]> {
    const ours = (labels: Record<string, string>) =>
      labels[LABEL_TOOL] === "1" && labels[LABEL_BACKEND] === "smolvm";
    const machines = (await smolvm.list()).filter((m) => ours(m.labels));
    const containers = (await docker.containersByLabel(`${LABEL_TOOL}=1`)).filter((c) =>
      ours(c.labels)
    );
    const networks = (await docker.networksByLabel(`${LABEL_TOOL}=1`)).filter((n) =>
      ours(n.labels)
    );
    const names = new Set(
      [...machines, ...containers, ...networks].map((r) => r.labels[LABEL_BOTTLE]).filter((n) =>
        n !== undefined
      ),
    );
    const stale: string[] = [];
    for (const name of names) {
      // A live start or up (still starting, or running claude) beats; leave it alone.
      if (await heartbeatAlive(env, name)) continue;
      const agent = machines.find((m) => m.labels[LABEL_BOTTLE] === name);
      const bundle = containers.find((c) => c.labels[LABEL_BOTTLE] === name);
      const whole = agent?.state === "running" && bundle?.state === "running";
      const orphanedStart = agent?.labels[LABEL_MODE] === "start" &&
        agent.labels[LABEL_OWNER_HOST] === hostName();
      if (!whole || orphanedStart) stale.push(name);
    }
    return stale.toSorted();
  }

  superviseCall(instance: string, args: string[]): Promise<string | undefined> {
    return bundleSuperviseCall(instance, args);
  }

  /** The bundle's audit log, with the VM's own egress denials as `vm` entries. */
  async auditLog(
    instance: string,
    follow: boolean,
    sink: (chunk: Uint8Array) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<void> {
    const machine = (await smolvm.list()).find((m) =>
      m.labels[LABEL_BOTTLE] === instance && m.labels[LABEL_ROLE] === "agent"
    );
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    // Both sources write whole lines, so their entries never interleave mid-line.
    let pending = "";
    const audit = bundleAuditLog(instance, follow, async (chunk) => {
      pending += decoder.decode(chunk, { stream: true });
      const cut = pending.lastIndexOf("\n") + 1;
      if (cut === 0) return;
      const lines = pending.slice(0, cut);
      pending = pending.slice(cut);
      await sink(encoder.encode(lines));
    }, signal);
    const seen = new Set<string>();
    const denials = async () => {
      if (!machine) return;
      for (const d of await smolvm.egressEvents(machine.name)) {
        const line = denialEntry(d);
        if (seen.has(line)) continue;
        seen.add(line);
        await sink(encoder.encode(`${line}\n`));
      }
    };
    if (!follow) {
      await audit;
      if (pending) await sink(encoder.encode(`${pending}\n`));
      await denials();
      return;
    }
    let done = false;
    const poll = (async () => {
      while (!done && !signal?.aborted) {
        await denials().catch((error) => log.debug(`egress-events: ${error.message}`));
        await new Promise((r) => setTimeout(r, 2_000));
      }
    })();
    try {
      await audit;
    } finally {
      done = true;
      await poll;
    }
  }
}
