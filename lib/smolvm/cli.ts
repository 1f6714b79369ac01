/**
 * @module
 * One function per smolvm subcommand bot-bottle uses, against the current CLI (1.9+):
 * machine names are `--name` flags, `delete` always gets `-f`, `cp` copies single files
 * with `--mode/--uid/--gid`. The argv builders are pure and exported so that tests pin
 * every call; the runners turn a failure into an error naming the call and quoting
 * smolvm's stderr. Only `ls`, `status` and `egress-events` print JSON; everything else
 * is an exit-code API.
 */

import { BackendError } from "../errors.ts";
import { log } from "../log.ts";
import { captureRaw, runAttached, shell } from "../shell.ts";

/** What `machine create` is given. */
export interface CreateSpec {
  name: string;
  /** An absolute path to a `docker save` archive (never a registry reference). */
  image: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  workdir?: string;
  cpus?: number;
  memMiB?: number;
  /** Egress allow-list; implies networking. */
  allowCidrs: string[];
  /** The guest's only resolver. */
  dns?: string;
  /** The workload command, after `--`. */
  command?: string[];
}

/** Options of `machine exec`. */
export interface ExecSpec {
  env?: Record<string, string>;
  workdir?: string;
  /** A duration smolvm parses: `30s`, `5m`, `1h`. */
  timeout?: string;
  interactive?: boolean;
  tty?: boolean;
}

/** Owner and mode of a file `machine cp` writes in the guest. */
export interface CpOwner {
  mode: number;
  uid: number;
  gid: number;
}

/** A machine as `machine ls --json` and `machine status --json` describe it. */
export interface MachineInfo {
  name: string;
  state: string;
  labels: Record<string, string>;
  created?: string;
}

/** One connection the machine's egress policy refused. */
export interface EgressDenial {
  timestamp: string;
  operation: string;
  dest: string;
}

function pairs(flag: string, values: Record<string, string>): string[] {
  return Object.entries(values).flatMap(([k, v]) => [flag, `${k}=${v}`]);
}

function isLocalImage(value: string): boolean {
  return value.startsWith("/");
}

/** `smolvm machine create ...` */
export function createArgs(spec: CreateSpec): string[] {
  if (!isLocalImage(spec.image)) {
    // A bare name is a registry pull inside the guest, which the allow-list blocks.
    throw new BackendError(`smolvm image must be an absolute archive path, got "${spec.image}"`);
  }
  return [
    "machine",
    "create",
    "--name",
    spec.name,
    "--image",
    spec.image,
    ...pairs("--label", spec.labels),
    ...pairs("-e", spec.env),
    ...(spec.workdir ? ["-w", spec.workdir] : []),
    ...(spec.cpus ? ["--cpus", String(spec.cpus)] : []),
    ...(spec.memMiB ? ["--mem", String(spec.memMiB)] : []),
    ...spec.allowCidrs.flatMap((c) => ["--allow-cidr", c]),
    ...(spec.dns ? ["--dns", spec.dns] : []),
    ...(spec.command && spec.command.length > 0 ? ["--", ...spec.command] : []),
  ];
}

/** `smolvm machine start --name N` */
export function startArgs(name: string): string[] {
  return ["machine", "start", "--name", name];
}

/** `smolvm machine exec --name N ... -- CMD...` */
export function execArgs(name: string, argv: string[], spec: ExecSpec = {}): string[] {
  return [
    "machine",
    "exec",
    "--name",
    name,
    ...pairs("-e", spec.env ?? {}),
    ...(spec.workdir ? ["-w", spec.workdir] : []),
    ...(spec.timeout ? ["--timeout", spec.timeout] : []),
    ...(spec.interactive ? ["-i"] : []),
    ...(spec.tty ? ["-t"] : []),
    "--",
    ...argv,
  ];
}

/** `smolvm machine cp [--mode M --uid U --gid G] SRC N:/path` (files only). */
export function cpArgs(
  source: string,
  machine: string,
  guestPath: string,
  owner?: CpOwner,
): string[] {
  if (!guestPath.startsWith("/")) {
    throw new BackendError(`smolvm cp needs an absolute guest path, got "${guestPath}"`);
  }
  return [
    "machine",
    "cp",
    ...(owner
      ? ["--mode", owner.mode.toString(8), "--uid", String(owner.uid), "--gid", String(owner.gid)]
      : []),
    source,
    `${machine}:${guestPath}`,
  ];
}

/** `smolvm machine stop --name N` */
export function stopArgs(name: string): string[] {
  return ["machine", "stop", "--name", name];
}

/** `smolvm machine delete --name N -f`: without -f it prompts, says "Cancelled", exits 0. */
export function deleteArgs(name: string): string[] {
  return ["machine", "delete", "--name", name, "-f"];
}

/** `smolvm machine status --name N --json` */
export function statusArgs(name: string): string[] {
  return ["machine", "status", "--name", name, "--json"];
}

/** `smolvm machine ls --json` */
export function lsArgs(): string[] {
  return ["machine", "ls", "--json"];
}

/** `smolvm machine egress-events --name N --json` */
export function egressEventsArgs(name: string): string[] {
  return ["machine", "egress-events", "--name", name, "--json"];
}

/** `smolvm --version` */
export function versionArgs(): string[] {
  return ["--version"];
}

/** The error for a failed call: names the call and quotes stderr. */
export function callError(argv: string[], code: number, stderr: string): BackendError {
  const detail = stderr.trim().split("\n").slice(-5).join("\n  ");
  return new BackendError(
    `smolvm ${argv.slice(0, 2).join(" ")} failed (exit ${code})${detail ? `:\n  ${detail}` : ""}`,
    { hint: `The call was: smolvm ${argv.join(" ")}` },
  );
}

async function run(argv: string[], timeout = "2m") {
  log.debug(`run: smolvm ${argv.join(" ")}`);
  try {
    const $ = await shell();
    return await captureRaw($`smolvm ${argv}`, timeout);
  } catch (error) {
    throw new BackendError(`Cannot run smolvm: ${(error as Error).message}`, {
      hint: "Install smolvm (https://smolmachines.com) or use --backend docker",
    });
  }
}

async function must(argv: string[], timeout = "2m"): Promise<string> {
  const r = await run(argv, timeout);
  if (r.code !== 0) throw callError(argv, r.code, r.stderr || r.stdout);
  return r.stdout;
}

function parseJson<T>(argv: string[], text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new BackendError(
      `smolvm ${argv.slice(0, 2).join(" ")} printed no JSON: ${text.slice(0, 200)}`,
    );
  }
}

/** Labels as smolvm prints them: an object, or a list of `k=v`. */
function labelsOf(raw: unknown): Record<string, string> {
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      raw.map(String).filter((p) => p.includes("=")).map((p) => [
        p.slice(0, p.indexOf("=")),
        p.slice(p.indexOf("=") + 1),
      ]),
    );
  }
  if (raw && typeof raw === "object") {
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
  }
  return {};
}

/** Reads one machine object of `ls --json` or `status --json`. */
export function parseMachine(raw: Record<string, unknown>): MachineInfo {
  const created = raw.created_at ?? raw.created;
  return {
    name: String(raw.name ?? ""),
    state: String(raw.state ?? "unknown"),
    labels: labelsOf(raw.labels),
    created: typeof created === "number"
      ? new Date(created * 1000).toISOString()
      : typeof created === "string"
      ? created
      : undefined,
  };
}

/** Whether `command` is an executable file in a directory of PATH (no process started). */
function onPath(command: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const stat = Deno.statSync(`${dir}/${command}`);
      if (stat.isFile && ((stat.mode ?? 0o111) & 0o111) !== 0) return true;
    } catch {
      // Not in this directory.
    }
  }
  return false;
}

/**
 * The version smolvm reports, or undefined when it cannot run. Without a `smolvm` on
 * PATH nothing is started (every `down`, `ls` and `cleanup` asks).
 */
export async function version(): Promise<string | undefined> {
  if (!onPath("smolvm")) return undefined;
  try {
    const $ = await shell();
    const r = await captureRaw($`smolvm ${versionArgs()}`, "20s");
    if (r.code !== 0) return undefined;
    return r.stdout.trim().match(/\d+\.\d+\.\d+\S*/)?.[0] ?? r.stdout.trim();
  } catch {
    return undefined;
  }
}

export async function create(spec: CreateSpec): Promise<void> {
  await must(createArgs(spec), "10m");
}

export async function start(name: string): Promise<void> {
  await must(startArgs(name), "5m");
}

export async function stop(name: string): Promise<void> {
  await must(stopArgs(name), "2m");
}

/** Deletes a machine; a machine that is already gone is not an error. */
export async function remove(name: string): Promise<void> {
  const argv = deleteArgs(name);
  const r = await run(argv, "2m");
  if (r.code !== 0 && !/not found|no such|does not exist/i.test(r.stderr)) {
    throw callError(argv, r.code, r.stderr);
  }
}

/** The machine called `name`, or undefined when there is none. */
export async function status(name: string): Promise<MachineInfo | undefined> {
  const argv = statusArgs(name);
  const r = await run(argv, "30s");
  if (r.code !== 0) return undefined;
  return parseMachine(parseJson<Record<string, unknown>>(argv, r.stdout));
}

/** Every machine smolvm knows. */
export async function list(): Promise<MachineInfo[]> {
  const argv = lsArgs();
  const text = await must(argv, "30s");
  const raw = parseJson<unknown>(argv, text.trim() || "[]");
  const items = Array.isArray(raw)
    ? raw
    : Array.isArray((raw as { machines?: unknown[] }).machines)
    ? (raw as { machines: unknown[] }).machines
    : [];
  return items.map((m) => parseMachine(m as Record<string, unknown>));
}

/** Connections the machine's egress policy refused. */
export async function egressEvents(name: string): Promise<EgressDenial[]> {
  const argv = egressEventsArgs(name);
  const text = await must(argv, "30s");
  const raw = parseJson<unknown>(argv, text.trim() || "[]");
  const items = Array.isArray(raw)
    ? raw
    : Array.isArray((raw as { events?: unknown[] }).events)
    ? (raw as { events: unknown[] }).events
    : [];
  return items.map((e) => {
    const o = e as Record<string, unknown>;
    return {
      timestamp: String(o.timestamp ?? ""),
      operation: String(o.operation ?? ""),
      dest: String(o.dest ?? ""),
    };
  });
}

/** Copies a host file into the guest with owner and mode. */
export async function cp(
  source: string,
  machine: string,
  guestPath: string,
  owner?: CpOwner,
): Promise<void> {
  await must(cpArgs(source, machine, guestPath, owner), "10m");
}

/** `smolvm machine cp N:/path DST`: copies a guest file out to the host. */
export function cpFromArgs(machine: string, guestPath: string, hostPath: string): string[] {
  if (!guestPath.startsWith("/")) {
    throw new BackendError(`smolvm cp needs an absolute guest path, got "${guestPath}"`);
  }
  return ["machine", "cp", `${machine}:${guestPath}`, hostPath];
}

/** Copies a guest file out to `hostPath`. */
export async function cpFrom(machine: string, guestPath: string, hostPath: string): Promise<void> {
  await must(cpFromArgs(machine, guestPath, hostPath), "10m");
}

/** Runs a command in the machine and captures its output; never throws on exit code. */
export async function execCapture(
  name: string,
  argv: string[],
  spec: ExecSpec & { stdin?: Uint8Array } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = execArgs(name, argv, { ...spec, interactive: spec.stdin !== undefined });
  log.debug(`run: smolvm ${args.slice(0, 4).join(" ")} -- ${argv[0]}`);
  const $ = await shell();
  let cmd = $`smolvm ${args}`;
  if (spec.stdin) cmd = cmd.stdin(spec.stdin);
  // smolvm enforces --timeout itself (exit 124); the outer limit only catches a hang.
  return await captureRaw(cmd, spec.timeout ? "60m" : "10m");
}

/**
 * Runs a command in the machine with this process's stdio attached; returns its exit
 * code. `signal` stops the smolvm CLI (the machine is deleted by teardown).
 */
export async function execAttached(
  name: string,
  argv: string[],
  spec: ExecSpec,
  signal?: AbortSignal,
): Promise<number> {
  const $ = await shell();
  return await runAttached(
    $`smolvm ${execArgs(name, argv, spec)}`,
    spec.interactive === true,
    signal,
  );
}
