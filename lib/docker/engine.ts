/**
 * @module
 * The Docker Engine API over its local socket, for the few calls on `up`'s critical path
 * (each CLI call costs 60-100 ms of process start and client setup; the socket 1-2 ms).
 * It is used only where the CLI would reach that same engine: `DOCKER_HOST` unset (or
 * naming the socket), the default context, and this process allowed to open the socket
 * (the task and the binary grant `unix:/var/run/docker.sock` alone). Anywhere else, every
 * call goes through the CLI as before, so contexts, remote hosts and rootless engines work
 * unchanged.
 *
 * One request per connection (`Connection: close`): the response is read to its end and
 * its body taken whole or de-chunked. Only the local engine is ever asked, never a host
 * the agent influences; `fetch` could not be used without also granting a TCP host.
 */

import { join } from "node:path";
import { concat } from "../bytes.ts";

/** The socket the permission flags grant. */
export const ENGINE_SOCKET = "/var/run/docker.sock";

/** API version of Docker 20.10, which every later engine still serves. */
const API_VERSION = "v1.41";

/** An answer of the engine. */
export interface EngineAnswer {
  status: number;
  body: string;
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

/** `engineSocket` of this process's environment (a fraction of a millisecond). */
export function processEngineSocket(): string | undefined {
  return engineSocket(Deno.env.toObject());
}

/** Splits an HTTP/1.1 response (read to its end) into status and body. */
export function parseAnswer(bytes: Uint8Array): EngineAnswer {
  const decoder = new TextDecoder();
  let end = -1;
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error("the engine's answer has no end of headers");
  const [statusLine, ...headers] = decoder.decode(bytes.subarray(0, end)).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1]);
  if (!status) throw new Error(`the engine answered "${statusLine}"`);
  const rest = bytes.subarray(end + 4);
  if (!headers.some((h) => /^transfer-encoding:\s*chunked\s*$/i.test(h))) {
    return { status, body: decoder.decode(rest) };
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
    body: parts.map((p) => decoder.decode(p, { stream: true })).join("") + decoder.decode(),
  };
}

/** Sends one request to the engine at `socket` and returns its answer. */
export async function engineRequest(
  socket: string,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<EngineAnswer> {
  const payload = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
  const head =
    `${method} /${API_VERSION}${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n` +
    (payload
      ? `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n`
      : "Content-Length: 0\r\n") +
    "\r\n";
  const conn = await Deno.connect({ transport: "unix", path: socket });
  try {
    const headBytes = new TextEncoder().encode(head);
    const request = new Uint8Array(headBytes.length + (payload?.length ?? 0));
    request.set(headBytes);
    if (payload) request.set(payload, headBytes.length);
    for (let sent = 0; sent < request.length;) sent += await conn.write(request.subarray(sent));
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
