/**
 * @module
 * The proxy's HTTP/1.1 client for upstreams. It connects to the address the proxy
 * checked (no second lookup, so no rebinding between check and use), verifies TLS for
 * the host name, sets TCP_NODELAY (small writes after a handshake otherwise wait for a
 * delayed ACK, about 40 ms), and keeps connections alive per host and address so a
 * request on a warm connection costs a write and a read.
 */

import { Buffered, ConnIO, Joiner } from "./io.ts";
import {
  chunk,
  LAST_CHUNK,
  readBody,
  readResponse,
  type ResponseHead,
  serializeHead,
} from "./http1.ts";

/** Where a request goes: the name (Host, SNI, certificate) and the checked address. */
export interface UpstreamTarget {
  tls: boolean;
  host: string;
  port: number;
  address: string;
}

/** An upstream answer; `body` must be read to the end (or `abort` called). */
export interface UpstreamResponse extends ResponseHead {
  body: AsyncIterable<Uint8Array>;
  /** Drops the connection without reading the rest. */
  abort(): void;
  /** Whether bytes of the body had arrived with the head (reading it starts without a wait). */
  buffered: boolean;
}

interface Connection {
  io: ConnIO;
  reader: Buffered;
  idleSince: number;
}

const IDLE_MS = 30_000;
const MAX_IDLE_PER_KEY = 8;

/** Keep-alive connections to upstreams, and requests over them. */
export class UpstreamPool {
  readonly #idle = new Map<string, Connection[]>();
  readonly #caCerts: string[] | undefined;
  #swept = 0;

  constructor(options: { caCerts?: string[] } = {}) {
    this.#caCerts = options.caCerts;
  }

  /** Closes connections idle too long (run as requests come; no timer keeps the process up). */
  #sweep(): void {
    const now = Date.now();
    if (now - this.#swept < IDLE_MS / 2) return;
    this.#swept = now;
    for (const [key, list] of this.#idle) {
      const keep = list.filter((c) => now - c.idleSince < IDLE_MS);
      for (const c of list.filter((c) => !keep.includes(c))) c.io.destroy();
      if (keep.length) this.#idle.set(key, keep);
      else this.#idle.delete(key);
    }
  }

  /** Closes every idle connection. */
  close(): void {
    for (const list of this.#idle.values()) for (const c of list) c.io.destroy();
    this.#idle.clear();
  }

  async #connect(target: UpstreamTarget): Promise<Connection> {
    const tcp = await Deno.connect({ hostname: target.address, port: target.port });
    tcp.setNoDelay(true);
    let conn: Deno.Conn = tcp;
    if (target.tls) {
      const tls = await Deno.startTls(tcp, {
        hostname: target.host,
        alpnProtocols: ["http/1.1"],
        ...(this.#caCerts ? { caCerts: this.#caCerts } : {}),
      });
      try {
        await tls.handshake();
      } catch (error) {
        tls.close();
        throw error;
      }
      conn = tls;
    }
    // A plain connection returns what the kernel holds, so larger reads move more per
    // call (measured: +14% on a plain download); TLS returns a record at a time.
    const io = new ConnIO(conn, target.tls ? 64 * 1024 : 1024 * 1024);
    return { io, reader: new Buffered(io), idleSince: 0 };
  }

  #key(t: UpstreamTarget): string {
    return `${t.tls ? "https" : "http"}|${t.address}|${t.port}|${t.host}`;
  }

  #checkout(key: string): Connection | undefined {
    this.#sweep();
    const list = this.#idle.get(key);
    while (list && list.length > 0) {
      const c = list.pop()!;
      if (Date.now() - c.idleSince < IDLE_MS && c.reader.pending.length === 0) return c;
      c.io.destroy();
    }
    return undefined;
  }

  #release(key: string, c: Connection): void {
    const list = this.#idle.get(key) ?? [];
    if (list.length >= MAX_IDLE_PER_KEY) {
      c.io.destroy();
      return;
    }
    c.idleSince = Date.now();
    c.io.park();
    list.push(c);
    this.#idle.set(key, list);
  }

  /**
   * Sends one request. `headers` must not carry framing headers: this sets Host,
   * Content-Length or chunked encoding, and keep-alive. A body given as bytes is sent
   * with its length and may be sent twice (a kept connection the upstream had closed);
   * a streamed body is sent chunked, once.
   */
  async request(
    target: UpstreamTarget,
    head: { method: string; path: string; headers: [string, string][] },
    body: Uint8Array | AsyncIterable<Uint8Array> | null,
  ): Promise<UpstreamResponse> {
    const key = this.#key(target);
    const authority = (target.tls && target.port === 443) || (!target.tls && target.port === 80)
      ? target.host
      : `${target.host}:${target.port}`;
    const framing: [string, string][] = body === null
      ? (["POST", "PUT", "PATCH"].includes(head.method) ? [["Content-Length", "0"]] : [])
      : body instanceof Uint8Array
      ? [["Content-Length", String(body.length)]]
      : [["Transfer-Encoding", "chunked"]];
    const bytes = serializeHead(`${head.method} ${head.path} HTTP/1.1`, [
      ["Host", authority],
      ...head.headers,
      ...framing,
      ["Connection", "keep-alive"],
    ]);
    const replayable = body === null || body instanceof Uint8Array;
    for (let attempt = 0;; attempt++) {
      const reused = this.#checkout(key);
      const c = reused ?? await this.#connect(target);
      try {
        if (body instanceof Uint8Array && body.length <= 64 * 1024) {
          await c.io.write(concatTwo(bytes, body));
        } else {
          await c.io.write(bytes);
          if (body instanceof Uint8Array) await c.io.write(body);
          else if (body !== null) {
            const joiner = new Joiner();
            for await (const part of body) {
              if (part.length > 0) await c.io.write(joiner.join(chunk(part)));
            }
            await c.io.write(LAST_CHUNK);
          }
        }
        let response = await readResponse(c.reader, head.method);
        // Informational answers (100 Continue, 103) precede the real one.
        while (response.status < 200) response = await readResponse(c.reader, head.method);
        return this.#respond(key, c, response);
      } catch (error) {
        c.io.destroy();
        // A kept connection the upstream closed meanwhile fails before any answer:
        // once, on a fresh connection, when the body can be sent again.
        if (reused && replayable && attempt === 0) continue;
        throw error;
      }
    }
  }

  #respond(key: string, c: Connection, head: ResponseHead): UpstreamResponse {
    let done = false;
    const finish = (clean: boolean) => {
      if (done) return;
      done = true;
      if (clean && head.keepAlive && c.reader.pending.length === 0) this.#release(key, c);
      else c.io.destroy();
    };
    const frames = readBody(c.reader, head.framing);
    const body = (async function* () {
      let clean = false;
      try {
        for await (const part of frames) yield part;
        clean = true;
      } finally {
        finish(clean);
      }
    })();
    if (head.framing.kind === "none") finish(true);
    const buffered = c.reader.pending.length > 0;
    return { ...head, body, abort: () => finish(false), buffered };
  }
}

function concatTwo(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
