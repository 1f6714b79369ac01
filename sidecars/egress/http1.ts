/**
 * @module
 * HTTP/1.1 as the proxy speaks it, both ways: heads parsed strictly (a request that
 * two parsers could read two ways, the stuff of request smuggling, is refused), bodies
 * framed by Content-Length or chunked encoding and counted as they stream, heads
 * written back in one piece.
 */

import { type Buffered, concat } from "./io.ts";

const CRLF = new TextEncoder().encode("\r\n");
const CRLFCRLF = new TextEncoder().encode("\r\n\r\n");
const encoder = new TextEncoder();
const decoder = new TextDecoder("latin1");

/** The longest request or response head accepted. */
export const MAX_HEAD = 64 * 1024;

/** A message the proxy refuses to read, with the status it answers. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** How a message's body is delimited. */
export type Framing =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

/** A parsed request head. */
export interface RequestHead {
  method: string;
  target: string;
  version: "HTTP/1.1" | "HTTP/1.0";
  /** Header lines in order, names as sent. */
  headers: [string, string][];
  framing: Framing;
  /** Whether the client wants the connection kept for another request. */
  keepAlive: boolean;
  expectContinue: boolean;
}

/** A parsed response head. */
export interface ResponseHead {
  status: number;
  reason: string;
  version: string;
  headers: [string, string][];
  framing: Framing;
  keepAlive: boolean;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// deno-lint-ignore no-control-regex
const BAD_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function parseHeaders(lines: string[]): [string, string][] {
  const headers: [string, string][] = [];
  for (const line of lines) {
    if (line.startsWith(" ") || line.startsWith("\t")) {
      throw new HttpError(400, "folded header lines are not accepted");
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!TOKEN.test(name)) throw new HttpError(400, "malformed header line");
    const value = line.slice(colon + 1).trim();
    if (BAD_VALUE.test(value)) {
      throw new HttpError(400, `header "${name}" holds a control character`);
    }
    headers.push([name, value]);
  }
  return headers;
}

/** Every value of header `name` (case-insensitive). */
export function headerValues(headers: readonly [string, string][], name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

function connectionTokens(headers: readonly [string, string][]): string[] {
  return headerValues(headers, "connection").flatMap((v) => v.toLowerCase().split(","))
    .map((t) => t.trim()).filter(Boolean);
}

/** Body framing from Transfer-Encoding and Content-Length, refusing ambiguity. */
function framing(headers: readonly [string, string][], isRequest: boolean): Framing {
  const te = headerValues(headers, "transfer-encoding");
  const cl = headerValues(headers, "content-length");
  if (te.length > 0) {
    if (cl.length > 0) {
      throw new HttpError(400, "a message with both Transfer-Encoding and Content-Length");
    }
    const codings = te.flatMap((v) => v.toLowerCase().split(",")).map((t) => t.trim());
    if (codings.length !== 1 || codings[0] !== "chunked") {
      throw new HttpError(501, `Transfer-Encoding "${te.join(", ")}" is not supported`);
    }
    return { kind: "chunked" };
  }
  if (cl.length > 0) {
    const values = new Set(cl.flatMap((v) => v.split(",")).map((v) => v.trim()));
    const [only] = values;
    if (values.size !== 1 || !/^\d{1,15}$/.test(only!)) {
      throw new HttpError(400, `bad Content-Length "${cl.join(", ")}"`);
    }
    const length = Number(only);
    return length === 0 ? { kind: "none" } : { kind: "length", length };
  }
  return isRequest ? { kind: "none" } : { kind: "close" };
}

/** Reads one request head; undefined when the client closed between requests. */
export async function readRequest(reader: Buffered): Promise<RequestHead | undefined> {
  let raw: Uint8Array | undefined;
  try {
    raw = await reader.until(CRLFCRLF, MAX_HEAD);
  } catch (error) {
    throw new HttpError(
      400,
      (error as Error).message === "too long"
        ? "request head too large"
        : "connection closed inside the request head",
    );
  }
  if (raw === undefined) return undefined;
  // Tolerate empty lines before a request (RFC 9112 2.2).
  const lines = decoder.decode(raw.subarray(0, raw.length - 4)).replace(/^(\r\n)+/, "").split(
    "\r\n",
  );
  const m = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0] ?? "");
  if (!m) throw new HttpError(400, "malformed request line");
  const headers = parseHeaders(lines.slice(1));
  const version = m[3] as RequestHead["version"];
  const tokens = connectionTokens(headers);
  return {
    method: m[1]!,
    target: m[2]!,
    version,
    headers,
    framing: framing(headers, true),
    keepAlive: version === "HTTP/1.1" ? !tokens.includes("close") : tokens.includes("keep-alive"),
    expectContinue: headerValues(headers, "expect").some((v) => v.toLowerCase() === "100-continue"),
  };
}

/** Reads one response head for a request of `method`. */
export async function readResponse(reader: Buffered, method: string): Promise<ResponseHead> {
  const raw = await reader.until(CRLFCRLF, MAX_HEAD);
  if (raw === undefined) throw new Error("the upstream closed the connection without answering");
  const lines = decoder.decode(raw.subarray(0, raw.length - 4)).split("\r\n");
  const m = /^(HTTP\/1\.[01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
  if (!m) throw new Error("the upstream sent a malformed status line");
  const headers = parseHeaders(lines.slice(1));
  const status = Number(m[2]);
  const tokens = connectionTokens(headers);
  const bodiless = method === "HEAD" || status < 200 || status === 204 || status === 304;
  const frame = bodiless ? { kind: "none" as const } : framing(headers, false);
  return {
    status,
    reason: m[3] ?? "",
    version: m[1]!,
    headers,
    framing: frame,
    keepAlive: frame.kind !== "close" &&
      (m[1] === "HTTP/1.1" ? !tokens.includes("close") : tokens.includes("keep-alive")),
  };
}

/**
 * A message body as chunks, as it arrives. `limit` bounds the total (the DLP cap):
 * past it, the iterator throws an HttpError 413 whatever the framing.
 */
export async function* readBody(
  reader: Buffered,
  frame: Framing,
  limit = Infinity,
): AsyncGenerator<Uint8Array> {
  let total = 0;
  const count = (n: number) => {
    total += n;
    if (total > limit) {
      throw new HttpError(413, `a body over ${limit} bytes cannot be scanned, so it is refused`);
    }
  };
  if (frame.kind === "length") {
    if (frame.length > limit) count(frame.length);
    let left = frame.length;
    while (left > 0) {
      const chunk = await reader.some(Math.min(left, 256 * 1024));
      if (chunk === null) throw new HttpError(400, "the body ended early");
      left -= chunk.length;
      count(chunk.length);
      yield chunk;
    }
  } else if (frame.kind === "chunked") {
    for (;;) {
      const line = await reader.until(CRLF, 4096).catch(() => undefined);
      if (line === undefined) throw new HttpError(400, "a malformed chunk");
      const size = /^([0-9a-fA-F]{1,15})(?:;[^\r\n]*)?\r\n$/.exec(decoder.decode(line));
      if (!size) throw new HttpError(400, "a malformed chunk size");
      let left = parseInt(size[1]!, 16);
      if (left === 0) break;
      count(left);
      while (left > 0) {
        const chunk = await reader.some(Math.min(left, 256 * 1024));
        if (chunk === null) throw new HttpError(400, "the body ended early");
        left -= chunk.length;
        yield chunk;
      }
      const end = await reader.until(CRLF, 2).catch(() => undefined);
      if (end === undefined || end.length !== 2) throw new HttpError(400, "a malformed chunk end");
    }
    // Trailers are read and dropped.
    for (;;) {
      const line = await reader.until(CRLF, 8192).catch(() => undefined);
      if (line === undefined) throw new HttpError(400, "malformed trailers");
      if (line.length === 2) break;
    }
  } else if (frame.kind === "close") {
    for (;;) {
      const chunk = await reader.some(256 * 1024);
      if (chunk === null) return;
      count(chunk.length);
      yield chunk;
    }
  }
}

/**
 * Bytes of request bodies held in memory at once, across every connection of one proxy:
 * many large uploads side by side must not take the bundle (and the git gate with it)
 * past its memory limit.
 */
export class BodyBudget {
  #held = 0;
  constructor(readonly limit: number) {}

  /** Takes `n` bytes of the budget; false (nothing taken) when they are not left. */
  take(n: number): boolean {
    if (this.#held + n > this.limit) return false;
    this.#held += n;
    return true;
  }

  /** Gives back `n` bytes taken. */
  give(n: number): void {
    this.#held = Math.max(0, this.#held - n);
  }

  /** Bytes held now. */
  get held(): number {
    return this.#held;
  }
}

/**
 * Collects a body of at most `limit` bytes, counted against `budget` as it arrives (a
 * body of known length all at once, into one buffer, before `ready` runs and a byte is
 * read). The caller gives the body's length back; a body refused half-way gives back
 * what it took.
 */
export async function collectBody(
  reader: Buffered,
  frame: Framing,
  limit: number,
  budget: BodyBudget = new BodyBudget(Infinity),
  ready: () => Promise<void> = () => Promise.resolve(),
): Promise<Uint8Array> {
  let taken = 0;
  const take = (n: number) => {
    if (!budget.take(n)) {
      throw new HttpError(
        503,
        `the proxy already holds ${
          Math.round(budget.held / 2 ** 20)
        } MiB of request bodies to scan (at most ${
          Math.round(budget.limit / 2 ** 20)
        } MiB at once); send this one again when one of them is through`,
      );
    }
    taken += n;
  };
  try {
    if (frame.kind === "length" && frame.length <= limit) {
      take(frame.length);
      await ready();
      const body = new Uint8Array(frame.length);
      let at = 0;
      for await (const chunk of readBody(reader, frame, limit)) {
        body.set(chunk, at);
        at += chunk.length;
      }
      return body;
    }
    await ready();
    const parts: Uint8Array[] = [];
    for await (const chunk of readBody(reader, frame, limit)) {
      take(chunk.length);
      parts.push(chunk);
    }
    const body = concat(parts);
    return body;
  } catch (error) {
    budget.give(taken);
    throw error;
  }
}

/** Serialises a head: a start line and header lines, in one buffer. */
export function serializeHead(start: string, headers: readonly [string, string][]): Uint8Array {
  return encoder.encode(`${start}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`);
}

/** One chunk of chunked encoding, as its parts (`data` itself, not a copy, in the middle). */
export function chunk(data: Uint8Array): Uint8Array[] {
  return [encoder.encode(data.length.toString(16) + "\r\n"), data, CRLF];
}

/** The last chunk of chunked encoding. */
export const LAST_CHUNK: Uint8Array = encoder.encode("0\r\n\r\n");

/** Headers that describe one connection, never forwarded. */
export const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "host",
  "expect",
]);

/** Headers without hop-by-hop ones, and without those the Connection header names. */
export function endToEnd(headers: readonly [string, string][]): [string, string][] {
  const named = new Set(connectionTokens(headers));
  return headers.filter(([n]) => {
    const lower = n.toLowerCase();
    return !HOP_BY_HOP.has(lower) && !named.has(lower);
  });
}
