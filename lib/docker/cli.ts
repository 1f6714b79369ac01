/**
 * @module
 * One function per docker subcommand bot-bottle uses. Arguments are interpolated by
 * dax (escaped, never concatenated); failures become BackendErrors naming the call
 * and quoting docker's stderr.
 */

import { BackendError } from "../errors.ts";
import { log } from "../log.ts";
import { capture, captureRaw, runAttached, shell } from "../shell.ts";
import {
  answerMessage,
  ENGINE_STDIN_MAX,
  type EngineAnswer,
  engineAttachStart,
  type EngineExec,
  engineExec,
  engineRequest,
  engineUpload,
  processEngineSocket,
} from "./engine.ts";

/**
 * Asks the engine over its socket when this process may (`engine.ts`); undefined means
 * "use the CLI". A failed request or an answer outside `ok` throws, naming `what`.
 */
function viaEngine(
  what: string,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
  ok: number[] = [200, 201, 204],
): Promise<EngineAnswer | undefined> {
  return askEngine(what, (socket) => engineRequest(socket, method, path, body), ok);
}

/** `viaEngine` for any call of `engine.ts`. */
async function askEngine(
  what: string,
  call: (socket: string) => Promise<EngineAnswer>,
  ok: number[],
): Promise<EngineAnswer | undefined> {
  const socket = processEngineSocket();
  if (!socket) return undefined;
  log.debug(`engine: ${what}`);
  let answer: EngineAnswer;
  try {
    answer = await call(socket);
  } catch (error) {
    throw new BackendError(`${what} failed: ${(error as Error).message}`);
  }
  if (!ok.includes(answer.status)) {
    throw new BackendError(
      `${what} failed:\n  Error response from daemon: ${answerMessage(answer)}`,
    );
  }
  return answer;
}

/** `--label k=v` pairs. */
function labelArgs(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
}

/** IPv4 and IPv6 subnets of every docker network. */
export async function networkSubnets(): Promise<string[]> {
  const answer = await viaEngine("docker network ls", "GET", "/networks");
  if (answer) {
    const networks = JSON.parse(answer.body) as { IPAM?: { Config?: { Subnet?: string }[] } }[];
    return networks.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? ""))
      .filter(Boolean);
  }
  const $ = await shell();
  const ids = await capture("docker network ls", $`docker network ls --quiet --no-trunc`, "20s");
  const list = ids.split("\n").filter(Boolean);
  if (list.length === 0) return [];
  const inspect = await captureRaw(
    $`docker network inspect --format ${"{{range .IPAM.Config}}{{.Subnet}} {{end}}"} ${list}`,
    "20s",
  );
  return inspect.stdout.split(/\s+/).filter(Boolean);
}

/** Whether the engine answers; undefined when it does, else why not. */
export async function engineProblem(): Promise<string | undefined> {
  try {
    if (await viaEngine("docker engine ping", "GET", "/_ping")) return undefined;
  } catch (error) {
    return (error as Error).message;
  }
  try {
    const $ = await shell();
    const r = await captureRaw($`docker info --format ${"{{.ServerVersion}}"}`, "20s");
    if (r.code === 0) return undefined;
    return r.stderr.trim().split("\n").at(-1) || `docker info exited ${r.code}`;
  } catch (error) {
    return `cannot run docker: ${(error as Error).message}`;
  }
}

export async function imageExists(tag: string): Promise<boolean> {
  const answer = await viaEngine(
    `docker image inspect ${tag}`,
    "GET",
    `/images/${encodeURIComponent(tag)}/json`,
    undefined,
    [200, 404],
  );
  if (answer) return answer.status === 200;
  const $ = await shell();
  return (await captureRaw($`docker image inspect --format ${"{{.Id}}"} ${tag}`, "30s")).code === 0;
}

/** The content ID (`sha256:...`) of a local image. */
export async function imageId(tag: string): Promise<string> {
  const $ = await shell();
  return (await capture(
    `docker image inspect ${tag}`,
    $`docker image inspect --format ${"{{.Id}}"} ${tag}`,
    "30s",
  )).trim();
}

/** Writes `tag` as a `docker save` archive to `path`. */
export async function imageSave(tag: string, path: string): Promise<void> {
  const $ = await shell();
  await capture(`docker save ${tag}`, $`docker save --output ${path} ${tag}`, "30m");
}

export async function networkCreate(
  name: string,
  options: {
    internal: boolean;
    subnet?: string;
    labels: Record<string, string>;
    driverOptions?: Record<string, string>;
  },
): Promise<void> {
  const answer = await viaEngine(`docker network create ${name}`, "POST", "/networks/create", {
    Name: name,
    CheckDuplicate: true,
    Internal: options.internal,
    Labels: options.labels,
    IPAM: { Driver: "default", Config: options.subnet ? [{ Subnet: options.subnet }] : [] },
    Options: options.driverOptions ?? {},
  });
  if (answer) return;
  const args = [
    ...(options.internal ? ["--internal"] : []),
    ...Object.entries(options.driverOptions ?? {}).flatMap(([k, v]) => ["--opt", `${k}=${v}`]),
    ...(options.subnet ? ["--subnet", options.subnet] : []),
    ...labelArgs(options.labels),
    name,
  ];
  const $ = await shell();
  await capture(`docker network create ${name}`, $`docker network create ${args}`, "1m");
}

export async function networkConnect(network: string, container: string): Promise<void> {
  const what = `docker network connect ${network} ${container}`;
  const path = `/networks/${encodeURIComponent(network)}/connect`;
  if (await viaEngine(what, "POST", path, { Container: container })) return;
  const $ = await shell();
  await capture(
    `docker network connect ${network} ${container}`,
    $`docker network connect ${network} ${container}`,
  );
}

export async function networkExists(name: string): Promise<boolean> {
  const path = `/networks/${encodeURIComponent(name)}`;
  const answer = await viaEngine(`docker network inspect ${name}`, "GET", path, undefined, [
    200,
    404,
  ]);
  if (answer) return answer.status === 200;
  const $ = await shell();
  return (await captureRaw($`docker network inspect --format ${"{{.Id}}"} ${name}`, "30s")).code ===
    0;
}

/** Options of `docker create` / `docker run -d`. */
export interface ContainerSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  network: string;
  ip?: string;
  user?: string;
  hostname?: string;
  workdir?: string;
  env?: Record<string, string>;
  dns?: string[];
  /** No capabilities, no new privileges, an init as PID 1. */
  hardened?: boolean;
  /** Most processes and bytes of memory it may use. */
  limits?: { pids: number; memoryBytes: number };
  sysctls?: Record<string, string>;
  /** Keep stdin open (`--interactive`), for `startAttached`. */
  interactive?: boolean;
  command?: string[];
}

/** `spec` as `docker create` arguments. */
export function createArgs(spec: ContainerSpec): string[] {
  return [
    "--name",
    spec.name,
    ...labelArgs(spec.labels),
    "--network",
    spec.network,
    ...(spec.ip ? ["--ip", spec.ip] : []),
    ...(spec.user ? ["--user", spec.user] : []),
    ...(spec.hostname ? ["--hostname", spec.hostname] : []),
    ...(spec.workdir ? ["--workdir", spec.workdir] : []),
    ...Object.entries(spec.env ?? {}).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
    ...(spec.dns ?? []).flatMap((d) => ["--dns", d]),
    ...(spec.interactive ? ["--interactive"] : []),
    ...(spec.hardened
      ? ["--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--init"]
      : []),
    ...(spec.limits
      ? [
        "--pids-limit",
        String(spec.limits.pids),
        "--memory",
        `${spec.limits.memoryBytes}b`,
      ]
      : []),
    ...Object.entries(spec.sysctls ?? {}).flatMap(([k, v]) => ["--sysctl", `${k}=${v}`]),
    spec.image,
    ...(spec.command ?? []),
  ];
}

/**
 * `spec` as the Engine API's create body: the same container `createArgs` makes through
 * the CLI (an integration test compares the two).
 */
export function createBody(spec: ContainerSpec): Record<string, unknown> {
  return {
    Image: spec.image,
    Labels: spec.labels,
    ...(spec.user ? { User: spec.user } : {}),
    ...(spec.hostname ? { Hostname: spec.hostname } : {}),
    ...(spec.workdir ? { WorkingDir: spec.workdir } : {}),
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(spec.command ? { Cmd: spec.command } : {}),
    ...(spec.interactive ? { OpenStdin: true, StdinOnce: true, AttachStdin: true } : {}),
    HostConfig: {
      NetworkMode: spec.network,
      ...(spec.dns ? { Dns: spec.dns } : {}),
      ...(spec.hardened
        ? { CapDrop: ["ALL"], SecurityOpt: ["no-new-privileges"], Init: true }
        : {}),
      ...(spec.limits ? { PidsLimit: spec.limits.pids, Memory: spec.limits.memoryBytes } : {}),
      ...(spec.sysctls ? { Sysctls: spec.sysctls } : {}),
    },
    NetworkingConfig: {
      EndpointsConfig: {
        [spec.network]: spec.ip ? { IPAMConfig: { IPv4Address: spec.ip } } : {},
      },
    },
  };
}

export async function containerCreate(spec: ContainerSpec): Promise<void> {
  const path = `/containers/create?name=${encodeURIComponent(spec.name)}`;
  if (await viaEngine(`docker create ${spec.name}`, "POST", path, createBody(spec))) return;
  const $ = await shell();
  await capture(`docker create ${spec.name}`, $`docker create ${createArgs(spec)}`, "2m");
}

export async function containerRun(spec: ContainerSpec): Promise<void> {
  const path = `/containers/create?name=${encodeURIComponent(spec.name)}`;
  if (await viaEngine(`docker run ${spec.name}`, "POST", path, createBody(spec))) {
    await viaEngine(
      `docker run ${spec.name}`,
      "POST",
      `/containers/${encodeURIComponent(spec.name)}/start`,
    );
    return;
  }
  const $ = await shell();
  await capture(`docker run ${spec.name}`, $`docker run --detach ${createArgs(spec)}`, "2m");
}

export async function containerStart(name: string): Promise<void> {
  const path = `/containers/${encodeURIComponent(name)}/start`;
  // 304: it was running already, as `docker start` takes it.
  if (await viaEngine(`docker start ${name}`, "POST", path, undefined, [204, 304])) return;
  const $ = await shell();
  await capture(`docker start ${name}`, $`docker start ${name}`, "1m");
}

/** How `startAttached` ended: ready, or not, with the container's last output lines. */
export type AttachedStart = { ready: true } | {
  ready: false;
  why: "ended" | "timeout";
  output: string;
};

/**
 * Starts a container created with `interactive` attached to it: `input` goes to its
 * stdin, which then closes (docker closes it for the container too), and its output is
 * read line by line until `ready` accepts one. The attach then ends by SIGKILL, which
 * docker cannot pass on, so the container keeps running. Not ready: the container ended
 * first or `timeoutMs` passed. `signal` aborts the wait (and throws its reason).
 */
export async function startAttached(
  name: string,
  input: Uint8Array,
  ready: (line: string) => boolean,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<AttachedStart> {
  const socket = processEngineSocket();
  if (socket) return await startAttachedViaEngine(socket, name, input, ready, options);
  const $ = await shell();
  const child = $`docker start --attach --interactive ${name}`.stdin(input).stdout("piped")
    .stderr("piped").noThrow().spawn();
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already ended.
    }
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs);
  options.signal?.addEventListener("abort", kill, { once: true });
  const seen: string[] = [];
  const keep = (line: string) => {
    seen.push(line);
    if (seen.length > 20) seen.shift();
  };
  const errors = (async () => {
    let rest = "";
    for await (const chunk of child.stderr().pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      lines.forEach(keep);
    }
    if (rest) keep(rest);
  })();
  let found = false;
  try {
    let rest = "";
    for await (const chunk of child.stdout().pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        if (found) continue;
        keep(line);
        // Read on until the killed client's output ends (dax owns the stream).
        if (ready(line)) {
          found = true;
          kill();
        }
      }
    }
    if (rest && !found) keep(rest);
  } finally {
    kill();
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", kill);
  }
  await child;
  await errors.catch(() => {});
  if (found) return { ready: true };
  if (options.signal?.aborted) throw options.signal.reason;
  return {
    ready: false,
    why: timedOut ? "timeout" : "ended",
    output: seen.filter((l) => l.trim()).join("\n"),
  };
}

/** `startAttached` over the engine socket: the same lines, no CLI process. */
async function startAttachedViaEngine(
  socket: string,
  name: string,
  input: Uint8Array,
  ready: (line: string) => boolean,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<AttachedStart> {
  const seen: string[] = [];
  const decoders = { 1: new TextDecoder(), 2: new TextDecoder() };
  const rest = { 1: "", 2: "" };
  const keep = (line: string) => {
    seen.push(line);
    if (seen.length > 20) seen.shift();
  };
  let end: Awaited<ReturnType<typeof engineAttachStart>>;
  try {
    end = await engineAttachStart(socket, name, input, (stream, data) => {
      const lines = (rest[stream] + decoders[stream].decode(data, { stream: true })).split("\n");
      rest[stream] = lines.pop()!;
      for (const line of lines) {
        keep(line);
        if (stream === 1 && ready(line)) return true;
      }
      return false;
    }, options);
  } catch (error) {
    throw new BackendError(`docker start ${name} failed: ${(error as Error).message}`);
  }
  if (end === "ready") return { ready: true };
  if (end === "aborted") throw options.signal?.reason;
  for (const r of [rest[1], rest[2]]) if (r) keep(r);
  return {
    ready: false,
    why: end === "timeout" ? "timeout" : "ended",
    output: seen.filter((l) => l.trim()).join("\n"),
  };
}

/** Streams a tar archive into `dir` of a container (created or running). */
export async function copyTarInto(container: string, dir: string, tar: Uint8Array): Promise<void> {
  const $ = await shell();
  await capture(
    `docker cp into ${container}:${dir}`,
    $`docker cp - ${`${container}:${dir}`}`.stdin(tar),
    "2m",
  );
}

/** Streams a tar archive file into `dir` of a container (created or running). */
export async function copyTarFileInto(container: string, dir: string, tar: string): Promise<void> {
  const what = `docker cp into ${container}:${dir}`;
  if (await askEngine(what, (socket) => engineUpload(socket, container, dir, tar), [200])) return;
  const file = await Deno.open(tar, { read: true });
  const $ = await shell();
  await capture(
    what,
    $`docker cp - ${`${container}:${dir}`}`.stdin(file.readable),
    "30m",
  );
}

/** Copies a file or directory out of a container, running or stopped. */
export async function copyOut(container: string, path: string, hostPath: string): Promise<void> {
  const $ = await shell();
  await capture(
    `docker cp ${container}:${path}`,
    $`docker cp ${`${container}:${path}`} ${hostPath}`,
    "30m",
  );
}

/** Saves `path` of a container (running or stopped) as a tar archive at `file`, mode 600. */
export async function saveTar(container: string, path: string, file: string): Promise<void> {
  const out = await Deno.open(file, { write: true, create: true, truncate: true, mode: 0o600 });
  const $ = await shell();
  const r = await $`docker cp ${`${container}:${path}`} -`.stdout(out.writable).stderr("piped")
    .noThrow().timeout("30m");
  if (r.code !== 0) {
    throw new BackendError(`docker cp ${container}:${path} failed: ${r.stderr.trim()}`);
  }
}

/** `docker inspect` state of a container, or undefined when it does not exist. */
export async function containerState(
  name: string,
): Promise<{ status: string; exitCode: number } | undefined> {
  const $ = await shell();
  const r = await captureRaw(
    $`docker inspect --format ${"{{.State.Status}} {{.State.ExitCode}}"} ${name}`,
    "30s",
  );
  if (r.code !== 0) return undefined;
  const [status, code] = r.stdout.trim().split(" ");
  return { status: status!, exitCode: Number(code) };
}

/** The last lines a container printed, for error messages. */
export async function containerLogsTail(name: string, lines = 20): Promise<string> {
  const $ = await shell();
  const r = await captureRaw($`docker logs --tail ${String(lines)} ${name}`, "30s");
  return (r.stdout + r.stderr).trim();
}

/** Options of `docker exec` with captured output. */
export interface ExecSpec {
  user?: string;
  workdir?: string;
  env?: Record<string, string>;
  stdin?: Uint8Array | ReadableStream<Uint8Array>;
  /**
   * A file streamed to stdin (never whole in memory), for a command that reads its input
   * to the end whatever happens, as the engine needs of a large input (`ENGINE_STDIN_MAX`).
   */
  stdinFile?: string;
  timeout?: string;
}

function execArgs(
  container: string,
  argv: string[],
  spec: ExecSpec,
  extra: string[] = [],
): string[] {
  return [
    ...extra,
    ...(spec.user ? ["--user", spec.user] : []),
    ...(spec.workdir ? ["--workdir", spec.workdir] : []),
    ...Object.entries(spec.env ?? {}).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
    container,
    ...argv,
  ];
}

/** Milliseconds of a duration written as dax takes it (`500ms`, `30s`, `5m`, `1h`). */
export function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`not a duration: "${text}"`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms"];
}

/**
 * Runs a command in a container and captures its output; never throws on exit code.
 * Without input or with a little given whole, through the engine socket when this process
 * may (`engine.ts`); else the CLI. Either way 124 means it ran out of time.
 */
export async function execCapture(
  container: string,
  argv: string[],
  spec: ExecSpec = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  // Small input given whole goes through the engine too, and a file the command drains
  // (see ENGINE_STDIN_MAX).
  const small = spec.stdin === undefined ||
    (spec.stdin instanceof Uint8Array && spec.stdin.length <= ENGINE_STDIN_MAX);
  const socket = small ? processEngineSocket() : undefined;
  if (socket) {
    return await execLikeCli(socket, container, argv, spec, {
      stdin: spec.stdin as Uint8Array | undefined,
      stdinFile: spec.stdinFile,
    });
  }
  const $ = await shell();
  const input = spec.stdinFile
    ? (await Deno.open(spec.stdinFile, { read: true })).readable
    : spec.stdin;
  let cmd = $`docker exec ${execArgs(container, argv, spec, input ? ["--interactive"] : [])}`;
  if (input) cmd = cmd.stdin(input);
  return await captureRaw(cmd, spec.timeout ?? "5m");
}

/** An exec through the engine; a failed call is reported as the CLI reports it (exit 1). */
async function execLikeCli(
  socket: string,
  container: string,
  argv: string[],
  spec: ExecSpec,
  io: Pick<EngineExec, "stdin" | "stdinFile" | "stdout">,
): Promise<{ code: number; stdout: string; stderr: string }> {
  log.debug(`engine: docker exec ${container} ${argv[0]}`);
  try {
    return await engineExec(socket, container, argv, {
      user: spec.user,
      workdir: spec.workdir,
      env: spec.env,
      ...io,
      timeoutMs: durationMs(spec.timeout ?? "5m"),
    });
  } catch (error) {
    // The container is gone or stopped, say.
    return {
      code: 1,
      stdout: "",
      stderr: `Error response from daemon: ${(error as Error).message}`,
    };
  }
}

/**
 * Runs a command in a container with its stdout written to `hostFile` (created, mode
 * 600) as it comes, so a large output is never held in memory; never throws on exit
 * code. The result's stdout is empty. Through the engine socket when this process has it.
 */
export async function execToFile(
  container: string,
  argv: string[],
  hostFile: string,
  spec: Omit<ExecSpec, "stdin"> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = await Deno.open(hostFile, {
    write: true,
    create: true,
    truncate: true,
    mode: 0o600,
  });
  const socket = processEngineSocket();
  if (socket) {
    try {
      return await execLikeCli(socket, container, argv, spec, {
        stdout: (bytes) => {
          for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
        },
      });
    } finally {
      file.close();
    }
  }
  const $ = await shell();
  // dax closes the file when the command ends.
  const r = await $`docker exec ${execArgs(container, argv, spec)}`.stdout(file.writable)
    .stderr("piped").noThrow().timeout((spec.timeout ?? "5m") as `${number}m`);
  return { code: r.code, stdout: "", stderr: r.stderr };
}

/**
 * Runs a command in a container with this process's stdio attached; returns the exit
 * code. `signal` stops the docker CLI (the container is removed by teardown).
 */
export async function execAttached(
  container: string,
  argv: string[],
  spec: ExecSpec & { tty: boolean; interactive: boolean },
  signal?: AbortSignal,
): Promise<number> {
  const flags = [...(spec.interactive ? ["--interactive"] : []), ...(spec.tty ? ["--tty"] : [])];
  const $ = await shell();
  return await runAttached(
    $`docker exec ${execArgs(container, argv, spec, flags)}`,
    spec.interactive === true,
    signal,
  );
}

/** A docker object found by label. */
export interface Labelled {
  id: string;
  name: string;
  labels: Record<string, string>;
  state?: string;
  /** When it was created (containers), ISO 8601 to the second. */
  created?: string;
}

/** `docker ps`'s `CreatedAt` (`2026-11-30 04:03:37 +0000 UTC`) as ISO 8601. */
export function isoCreated(text: string): string {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-]\d\d)(\d\d)/.exec(text);
  const date = m ? new Date(`${m[1]}T${m[2]}${m[3]}:${m[4]}`) : new Date(NaN);
  return Number.isNaN(date.getTime()) ? text : date.toISOString().replace(".000Z", "Z");
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const eq = pair.indexOf("=");
    if (eq > 0) labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

/** The engine's `filters` query for labels (all of them). */
function labelFilter(label: string | string[]): string {
  const labels = typeof label === "string" ? [label] : label;
  return `filters=${encodeURIComponent(JSON.stringify({ label: labels }))}`;
}

/** Containers carrying `label` (`key` or `key=value`; several: all of them), running or not. */
export async function containersByLabel(label: string | string[]): Promise<Labelled[]> {
  const answer = await viaEngine(
    "docker ps",
    "GET",
    `/containers/json?all=1&${labelFilter(label)}`,
  );
  if (answer) {
    const found = JSON.parse(answer.body) as {
      Id: string;
      Names?: string[];
      State?: string;
      Labels?: Record<string, string> | null;
      Created?: number;
    }[];
    return found.map((c) => ({
      id: c.Id,
      name: (c.Names?.[0] ?? "").replace(/^\//, ""),
      state: c.State ?? "",
      labels: c.Labels ?? {},
      created: new Date((c.Created ?? 0) * 1000).toISOString().replace(".000Z", "Z"),
    }));
  }
  const $ = await shell();
  const filters = (typeof label === "string" ? [label] : label).flatMap((l) => [
    "--filter",
    `label=${l}`,
  ]);
  const out = await capture(
    "docker ps",
    $`docker ps --all --no-trunc ${filters} --format ${"{{.ID}}\t{{.Names}}\t{{.State}}\t{{.CreatedAt}}\t{{.Labels}}"}`,
    "1m",
  );
  return out.split("\n").filter(Boolean).map((line) => {
    const [id, name, state, created, labels] = line.split("\t");
    return {
      id: id!,
      name: name!,
      state: state!,
      created: isoCreated(created ?? ""),
      labels: parseLabels(labels ?? ""),
    };
  });
}

/** Networks carrying `label`. */
export async function networksByLabel(label: string): Promise<Labelled[]> {
  const answer = await viaEngine("docker network ls", "GET", `/networks?${labelFilter(label)}`);
  if (answer) {
    const found = JSON.parse(answer.body) as {
      Id: string;
      Name: string;
      Labels?: Record<string, string> | null;
    }[];
    return found.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
  }
  const $ = await shell();
  const out = await capture(
    "docker network ls",
    $`docker network ls --no-trunc --filter ${`label=${label}`} --format ${"{{.ID}}\t{{.Name}}\t{{.Labels}}"}`,
    "1m",
  );
  return out.split("\n").filter(Boolean).map((line) => {
    const [id, name, labels] = line.split("\t");
    return { id: id!, name: name!, labels: parseLabels(labels ?? "") };
  });
}

/** Volumes carrying `label`. */
export async function volumesByLabel(label: string): Promise<string[]> {
  const answer = await viaEngine("docker volume ls", "GET", `/volumes?${labelFilter(label)}`);
  if (answer) {
    const found = JSON.parse(answer.body) as { Volumes?: { Name: string }[] | null };
    return (found.Volumes ?? []).map((v) => v.Name);
  }
  const $ = await shell();
  const out = await capture(
    "docker volume ls",
    $`docker volume ls --quiet --filter ${`label=${label}`}`,
    "1m",
  );
  return out.split("\n").filter(Boolean);
}

/** Removes containers (force), in order, treating "no such container" as done. */
export async function containersRemove(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  if (processEngineSocket()) {
    // All at once, as `docker rm` does: each waits for its container's process to die.
    await settleAll(ids.map((id) =>
      viaEngine(
        "docker rm",
        "DELETE",
        `/containers/${encodeURIComponent(id)}?force=1&v=1`,
        undefined,
        [204, 404],
      )
    ));
    return;
  }
  const $ = await shell();
  const r = await captureRaw($`docker rm --force --volumes ${ids}`, "2m");
  if (r.code !== 0 && !/No such container/i.test(r.stderr)) {
    throw new BackendError(`docker rm failed: ${r.stderr.trim()}`);
  }
}

/** Removes networks (all at once), treating "not found" as done. */
export async function networksRemove(ids: string[]): Promise<void> {
  await settleAll(ids.map(async (id) => {
    const path = `/networks/${encodeURIComponent(id)}`;
    if (await viaEngine(`docker network rm ${id}`, "DELETE", path, undefined, [204, 404])) {
      return;
    }
    const $ = await shell();
    const r = await captureRaw($`docker network rm ${id}`, "1m");
    if (r.code !== 0 && !/not found|No such network/i.test(r.stderr)) {
      throw new BackendError(`docker network rm ${id} failed: ${r.stderr.trim()}`);
    }
  }));
}

/** Waits for every promise to settle (nothing is still running), then throws the first failure. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Removes volumes, treating "no such volume" as done. */
export async function volumesRemove(names: string[]): Promise<void> {
  if (names.length === 0) return;
  if (processEngineSocket()) {
    for (const name of names) {
      const path = `/volumes/${encodeURIComponent(name)}?force=1`;
      await viaEngine("docker volume rm", "DELETE", path, undefined, [204, 404]);
    }
    return;
  }
  const $ = await shell();
  const r = await captureRaw($`docker volume rm --force ${names}`, "1m");
  if (r.code !== 0 && !/no such volume/i.test(r.stderr)) {
    throw new BackendError(`docker volume rm failed: ${r.stderr.trim()}`);
  }
}
