/**
 * @module
 * The Docker Engine API over its local socket, for network and container creation, the
 * bundle's attached start, lookups and execs without input (each CLI call costs 60-100 ms
 * of process start and client setup; the socket 1-2 ms).
 * It is used only where the CLI would reach that same engine: `DOCKER_HOST` unset (or
 * naming the socket), the default context, and this process allowed to open the socket
 * (the task and the binary grant `unix:/var/run/docker.sock` alone). Anywhere else, every
 * call goes through the CLI as before, so contexts, remote hosts and rootless engines work
 * unchanged.
 *
 * One request per connection (`Connection: close`): the response is read to its end and
 * its body taken whole or de-chunked; exec and attach take the connection over (`hijack`)
 * and split the engine's stream frames. Only the local engine is ever asked, never a host
 * the agent influences; `fetch` could not be used without also granting a TCP host.
 */

import { join } from "node:path";
import { concat } from "../bytes.ts";

/** The socket the permission flags grant. */
export const ENGINE_SOCKET = "/var/run/docker.sock";

/** An answer of the engine; header names in lower case. */
export interface EngineAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The API version to ask in, as the CLI negotiates it: the engine's own (`Api-Version` of
 * `/_ping`), so that an engine which no longer serves old versions (Docker 29 serves 1.44
 * and later) is asked in one it does; the fields used here are in every version since
 * 1.41 (Docker 20.10). Asked once per socket.
 */
const versions = new Map<string, Promise<string>>();

/** The path prefix (`/v1.41`) a `/_ping` answer names; empty when it names no version. */
export function apiPrefix(answer: EngineAnswer): string {
  const version = answer.headers["api-version"];
  return version && /^\d+\.\d+$/.test(version) ? `/v${version}` : "";
}

async function prefixFor(socket: string): Promise<string> {
  let version = versions.get(socket);
  if (!version) {
    version = send(socket, "GET", "/_ping").then(apiPrefix);
    versions.set(socket, version);
    // A failed ping is asked again next time.
    version.catch(() => versions.delete(socket));
  }
  return await version;
}

/**
 * The socket to use, or undefined for the CLI; `env` is the process environment
 * (`BOT_BOTTLE_DOCKER_API=0` always picks the CLI).
 */
export function engineSocket(env: Record<string, string | undefined>): string | undefined {
  if (env.BOT_BOTTLE_DOCKER_API === "0") return undefined;
  const host = env.DOCKER_HOST;
  if (host && host !== `unix://${ENGINE_SOCKET}`) return undefined;
  if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== "default") return undefined;
  const configDir = env.DOCKER_CONFIG ?? (env.HOME ? join(env.HOME, ".docker") : undefined);
  if (configDir && !host) {
    try {
      const config = JSON.parse(Deno.readTextFileSync(join(configDir, "config.json")));
      if (config.currentContext && config.currentContext !== "default") return undefined;
    } catch {
      // No config (or an unreadable one): the CLI uses the default context too.
    }
  }
  try {
    if (
      Deno.permissions.querySync({ name: "net", host: `unix:${ENGINE_SOCKET}` }).state !== "granted"
    ) {
      return undefined;
    }
    Deno.statSync(ENGINE_SOCKET);
  } catch {
    return undefined;
  }
  return ENGINE_SOCKET;
}

/** Set by tests to take the CLI path in this module's callers only (see `useCliOnly`). */
let cliOnly = false;

/**
 * Makes this process's calls (in this worker) take the CLI, or not: what
 * `BOT_BOTTLE_DOCKER_API=0` does, without changing the environment that test files
 * running side by side share; the socket is then refused outright, so a call that took
 * it anyway fails rather than passing for the CLI.
 */
export function useCliOnly(on: boolean): void {
  cliOnly = on;
}

/** A connection to the engine's socket; refused while the CLI is required (`useCliOnly`). */
function connectEngine(socket: string): Promise<Deno.UnixConn> {
  if (cliOnly) {
    return Promise.reject(new Error("the engine's socket was used while the CLI is required"));
  }
  return Deno.connect({ transport: "unix", path: socket });
}

/** `engineSocket` of this process's environment (a fraction of a millisecond). */
export function processEngineSocket(): string | undefined {
  return cliOnly ? undefined : engineSocket(Deno.env.toObject());
}

/** Splits an HTTP/1.1 response (read to its end) into status and body. */
export function parseAnswer(bytes: Uint8Array): EngineAnswer {
  const decoder = new TextDecoder();
  const end = headEnd(bytes);
  if (end < 0) throw new Error("the engine's answer has no end of headers");
  const [statusLine, ...lines] = decoder.decode(bytes.subarray(0, end)).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1]);
  if (!status) throw new Error(`the engine answered "${statusLine}"`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  const rest = bytes.subarray(end + 4);
  if (!/^chunked$/i.test(headers["transfer-encoding"] ?? "")) {
    return { status, headers, body: decoder.decode(rest) };
  }
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const line = rest.indexOf(10, at);
    if (line < 0) throw new Error("the engine's chunked answer ends early");
    const size = parseInt(decoder.decode(rest.subarray(at, line)).trim(), 16);
    if (!Number.isInteger(size) || size < 0) {
      throw new Error("the engine's chunked answer is malformed");
    }
    if (size === 0) break;
    if (line + 1 + size > rest.length) throw new Error("the engine's chunked answer ends early");
    parts.push(rest.subarray(line + 1, line + 1 + size));
    at = line + 1 + size + 2;
  }
  return {
    status,
    headers,
    body: parts.map((p) => decoder.decode(p, { stream: true })).join("") + decoder.decode(),
  };
}

/** Sends one request to the engine at `socket`, in its API version, and returns its answer. */
export async function engineRequest(
  socket: string,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<EngineAnswer> {
  return await send(
    socket,
    method,
    `${await prefixFor(socket)}${path}`,
    body === undefined ? undefined : jsonContent(body),
  );
}

/** A request's body: its type and length, and how it is written. */
interface Content {
  type: string;
  length: number;
  write(conn: Deno.Conn): Promise<void>;
}

function jsonContent(body: unknown): Content {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  return { type: "application/json", length: bytes.length, write: (conn) => writeAll(conn, bytes) };
}

async function send(
  socket: string,
  method: "GET" | "POST" | "DELETE" | "PUT",
  path: string,
  content?: Content,
): Promise<EngineAnswer> {
  const head = `${method} ${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n` +
    (content
      ? `Content-Type: ${content.type}\r\nContent-Length: ${content.length}\r\n`
      : "Content-Length: 0\r\n") +
    "\r\n";
  const conn = await connectEngine(socket);
  try {
    await writeAll(conn, new TextEncoder().encode(head));
    await content?.write(conn);
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    return parseAnswer(concat(chunks));
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the engine already.
    }
  }
}

/**
 * Extracts the tar archive `file` into `dir` of `container` (created or running), as
 * `docker cp -` does: `PUT /containers/{id}/archive`, the archive streamed from disk.
 */
export async function engineUpload(
  socket: string,
  container: string,
  dir: string,
  file: string,
): Promise<EngineAnswer> {
  const path = `${await prefixFor(socket)}/containers/${encodeURIComponent(container)}/archive` +
    `?path=${encodeURIComponent(dir)}`;
  const size = (await Deno.stat(file)).size;
  return await send(socket, "PUT", path, {
    type: "application/x-tar",
    length: size,
    write: async (conn) => {
      if (await writeFile(conn, file) !== size) {
        throw new Error(`${file} changed while it was sent`);
      }
    },
  });
}

/** The engine's error message in an answer (`{"message": ...}`), else its body. */
export function answerMessage(answer: EngineAnswer): string {
  try {
    const message = JSON.parse(answer.body).message;
    if (typeof message === "string") return message;
  } catch {
    // Not JSON.
  }
  return answer.body.trim() || `HTTP ${answer.status}`;
}

/** What an exec printed and how it ended; `code` 124 when it ran out of time. */
export interface ExecOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The most input an exec takes through the engine. An exec whose process ends without
 * reading all of a larger input leaves the engine holding the stream open (seen with
 * 1 MiB, Docker 20.10: its copy into the process's pipe blocks); what fits in a pipe's
 * buffer is taken whole at once, read or not. Larger input goes through the CLI.
 */
export const ENGINE_STDIN_MAX = 32 * 1024;

/** How to run an exec through the engine. */
export interface EngineExec {
  user?: string;
  workdir?: string;
  env?: Record<string, string>;
  /** Written to the process's stdin, which then closes; at most `ENGINE_STDIN_MAX` bytes. */
  stdin?: Uint8Array;
  /**
   * A file streamed to the process's stdin, of any size: only for a command that reads
   * its input to the end whatever happens (see `ENGINE_STDIN_MAX`).
   */
  stdinFile?: string;
  /** Where stdout goes as it comes, instead of being kept (the outcome's is then empty). */
  stdout?: (bytes: Uint8Array) => void;
  timeoutMs: number;
}

/**
 * Splits the engine's multiplexed exec stream (8-byte frame headers: stream 1 stdout,
 * 2 stderr, then a 4-byte big-endian length) fed to it in pieces.
 */
export class FrameReader {
  #parts: Uint8Array[] = [];
  #size = 0;
  readonly stdout: Uint8Array[] = [];
  readonly stderr: Uint8Array[] = [];

  /** With `onFrame`, each frame goes there (stream 1 or 2) instead of being kept. */
  constructor(readonly onFrame?: (stream: 1 | 2, payload: Uint8Array) => void) {}

  push(bytes: Uint8Array): void {
    this.#parts.push(bytes.slice());
    this.#size += bytes.length;
    while (this.#size >= 8) {
      const head = this.#head();
      const size = ((head[4]! << 24) >>> 0) + (head[5]! << 16) + (head[6]! << 8) + head[7]!;
      // Joined only once a whole frame is here, so a frame in many pieces costs one copy.
      if (this.#size < 8 + size) return;
      const data = concat(this.#parts);
      const payload = data.slice(8, 8 + size);
      const stream = data[0] === 2 ? 2 : 1;
      if (this.onFrame) this.onFrame(stream, payload);
      else (stream === 2 ? this.stderr : this.stdout).push(payload);
      const rest = data.subarray(8 + size);
      this.#parts = rest.length ? [rest] : [];
      this.#size = rest.length;
    }
  }

  /** The first 8 bytes, from however many parts they are in. */
  #head(): Uint8Array {
    const head = new Uint8Array(8);
    let at = 0;
    for (const part of this.#parts) {
      const take = part.subarray(0, 8 - at);
      head.set(take, at);
      at += take.length;
      if (at === 8) break;
    }
    return head;
  }

  /** Bytes of a frame that never completed. */
  get leftover(): number {
    return this.#size;
  }
}

/**
 * Runs `argv` in `container` through the engine: creates the exec, starts it on a
 * hijacked connection, writes its input (if any) and half-closes, reads its output to
 * the end and then asks the engine for its exit code.
 */
export async function engineExec(
  socket: string,
  container: string,
  argv: string[],
  options: EngineExec,
): Promise<ExecOutcome> {
  if (options.stdin && options.stdin.length > ENGINE_STDIN_MAX) {
    throw new Error(`exec input over ${ENGINE_STDIN_MAX} bytes goes through the CLI`);
  }
  const created = await engineRequest(
    socket,
    "POST",
    `/containers/${encodeURIComponent(container)}/exec`,
    {
      AttachStdin: options.stdin !== undefined || options.stdinFile !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      ...(options.user ? { User: options.user } : {}),
      ...(options.workdir ? { WorkingDir: options.workdir } : {}),
      Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
      Cmd: argv,
    },
  );
  if (created.status !== 201) throw new Error(answerMessage(created));
  const id = JSON.parse(created.body).Id as string;
  const { conn, first } = await hijack(socket, `/exec/${id}/start`, { Detach: false, Tty: false });
  const sink = options.stdout;
  const frames = new FrameReader(
    sink
      ? (stream, payload) => stream === 1 ? sink(payload) : frames.stderr.push(payload)
      : undefined,
  );
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }, options.timeoutMs);
  // The input is written while the output is read, so neither side waits on the other.
  const writing = writeInput(conn, options).then(() => undefined, (error: Error) => error);
  try {
    frames.push(first);
    const buffer = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      frames.push(buffer.subarray(0, n));
    }
    const failed = await writing;
    if (failed) throw failed;
  } catch (error) {
    if (!timedOut) throw error;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
  const decode = (parts: Uint8Array[]) => new TextDecoder().decode(concat(parts));
  if (timedOut) {
    return { code: 124, stdout: decode(frames.stdout), stderr: decode(frames.stderr) };
  }
  const inspected = await engineRequest(socket, "GET", `/exec/${id}/json`);
  if (inspected.status !== 200) throw new Error(answerMessage(inspected));
  const state = JSON.parse(inspected.body) as { ExitCode: number | null; Running: boolean };
  return {
    code: state.ExitCode ?? (state.Running ? 124 : 1),
    stdout: decode(frames.stdout),
    stderr: decode(frames.stderr),
  };
}

/** An exec's input (bytes or a file, streamed), then the half-close that ends it. */
async function writeInput(conn: Deno.UnixConn, options: EngineExec): Promise<void> {
  if (options.stdin) await writeAll(conn, options.stdin);
  if (options.stdinFile) await writeFile(conn, options.stdinFile);
  await conn.closeWrite();
}

/** Streams the file at `path` to `conn`; returns how many bytes it sent. */
async function writeFile(conn: Deno.Conn, path: string): Promise<number> {
  const file = await Deno.open(path, { read: true });
  try {
    const buffer = new Uint8Array(256 * 1024);
    let sent = 0;
    for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
      await writeAll(conn, buffer.subarray(0, n));
      sent += n;
    }
    return sent;
  } finally {
    file.close();
  }
}

/**
 * Sends `POST path` asking to take the connection over (`Upgrade: tcp`, as the CLI does
 * for exec and attach) and returns it once the engine agreed, with the bytes of the
 * stream that came with its answer.
 */
async function hijack(
  socket: string,
  path: string,
  body?: unknown,
): Promise<{ conn: Deno.UnixConn; first: Uint8Array }> {
  const payload = new TextEncoder().encode(body === undefined ? "" : JSON.stringify(body));
  const conn = await connectEngine(socket);
  try {
    const head = new TextEncoder().encode(
      `POST ${await prefixFor(socket)}${path} HTTP/1.1\r\nHost: docker\r\n` +
        "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${payload.length}\r\n\r\n`,
    );
    await writeAll(conn, concat([head, payload]));
    const buffer = new Uint8Array(64 * 1024);
    let seen: Uint8Array = new Uint8Array(0);
    let end = -1;
    while (end < 0) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("the engine closed the connection before answering");
      seen = concat([seen, buffer.slice(0, n)]);
      end = headEnd(seen);
    }
    // 101, or 200 from an engine that does not upgrade; the stream follows either way.
    const answer = new TextDecoder().decode(seen.subarray(0, end));
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1]);
    if (status !== 101 && status !== 200) {
      const body = new TextDecoder().decode(seen.subarray(end + 4)).trim();
      throw new Error(body ? answerMessage({ status, headers: {}, body }) : `HTTP ${status}`);
    }
    return { conn, first: seen.slice(end + 4) };
  } catch (error) {
    conn.close();
    throw error;
  }
}

/** How an attached start ended. */
export type AttachEnd = "ready" | "ended" | "timeout" | "aborted";

/**
 * Attaches to `container` (created with its stdin open), starts it, writes `input` to its
 * stdin and half-closes it (the container's stdin closes with it), and hands its output
 * to `onOutput` (stream 1 or 2) until that returns true: then it detaches, and the
 * container runs on. Otherwise it ends with the container's output ("ended"), after
 * `timeoutMs`, or when `signal` aborts.
 */
export async function engineAttachStart(
  socket: string,
  container: string,
  input: Uint8Array,
  onOutput: (stream: 1 | 2, data: Uint8Array) => boolean,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<AttachEnd> {
  const name = encodeURIComponent(container);
  const { conn, first } = await hijack(
    socket,
    `/containers/${name}/attach?stream=1&stdin=1&stdout=1&stderr=1`,
  );
  let end: AttachEnd | undefined;
  const stop = (why: AttachEnd) => {
    end ??= why;
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  };
  const timer = setTimeout(() => stop("timeout"), options.timeoutMs);
  const onAbort = () => stop("aborted");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const frames = new FrameReader((stream, payload) => {
    if (end === undefined && onOutput(stream, payload)) stop("ready");
  });
  try {
    // The input goes in before the start (as `docker start -ai` copies it): the engine
    // holds it for the container's stdin, so the process has it the moment it reads.
    await writeAll(conn, input);
    await conn.closeWrite();
    const started = await engineRequest(socket, "POST", `/containers/${name}/start`);
    if (started.status !== 204 && started.status !== 304) {
      throw new Error(answerMessage(started));
    }
    frames.push(first);
    const buffer = new Uint8Array(64 * 1024);
    while (end === undefined) {
      const n = await conn.read(buffer);
      if (n === null) break;
      frames.push(buffer.subarray(0, n));
    }
  } catch (error) {
    // Reads cut short by stop() end the loop; anything else is the engine's failure.
    if (end === undefined) throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    stop(end ?? "ended");
  }
  return end ?? "ended";
}

/** Index of the blank line ending an HTTP head, or -1. */
function headEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let sent = 0; sent < data.length;) sent += await conn.write(data.subarray(sent));
}
