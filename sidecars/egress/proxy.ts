/**
 * @module
 * The egress proxy: one listener on the bundle's internal address. A plain HTTP request
 * (absolute URL) is handled in place, as is every further request on a kept
 * connection. A CONNECT to an allowed host is answered, then the TLS inside it is
 * terminated on the same socket with a leaf for that host, and each request in it is
 * handled like a plain one; the ClientHello must name the CONNECT host. A CONNECT to a
 * passthrough host is tunnelled end to end, unscanned, after the same SNI check.
 * Denied destinations get a 403 whose body tells the agent why.
 */

import net from "node:net";
import tls from "node:tls";
import {
  exchange,
  type Origin,
  proxyAnswer,
  type ProxyContext,
  scanAuthority,
} from "./exchange.ts";
import { HttpError, readRequest, type RequestHead } from "./http1.ts";
import { Buffered, chunks, concat, ConnIO, relay, SocketIO } from "./io.ts";
import type { Leaves } from "./leaves.ts";
import { RecentFields } from "./dlp.ts";
import { clientHello, MAX_HELLO, parseSni } from "./sni.ts";

/** Options of the proxy. */
export interface ProxyOptions extends ProxyContext {
  hostname: string;
  port: number;
  leaves: Leaves;
}

const ESTABLISHED = new TextEncoder().encode("HTTP/1.1 200 Connection Established\r\n\r\n");
/** An idle client connection is closed after this long. */
const IDLE_MS = 10 * 60_000;

/** A running proxy. */
export interface RunningProxy {
  port: number;
  stop(): Promise<void>;
}

/** Starts the proxy. */
export function startProxy(given: ProxyOptions): Promise<RunningProxy> {
  // One memory of recent requests' fields for every connection of the bottle.
  const options = { ...given, recent: given.recent ?? new RecentFields() };
  const server = net.createServer({ noDelay: true } as net.ServerOpts, (socket) => {
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    const io = new SocketIO(socket);
    serve(new Buffered(io), io, options).catch(() => io.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as net.AddressInfo).port,
        stop: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

/** Serves requests on one client connection until it ends or must close. */
async function serve(
  reader: Buffered,
  io: SocketIO,
  options: ProxyOptions,
  origin?: Origin,
): Promise<void> {
  try {
    for (;;) {
      let req: RequestHead | undefined;
      try {
        req = await readRequest(reader);
      } catch (error) {
        const status = error instanceof HttpError ? error.status : 400;
        await io.write(proxyAnswer(status, (error as Error).message, true));
        return;
      }
      if (!req) return;
      if (!origin && req.method === "CONNECT") return await connect(req, reader, io, options);
      if (!(await exchange(req, reader, io, options, origin))) return;
    }
  } finally {
    io.finish();
  }
}

function deny(options: ProxyOptions, reason: string): string {
  return options.denyHint ? `${reason}. ${options.denyHint}` : reason;
}

/** Splits `host:port` (IPv6 in brackets) into parts; undefined when malformed. */
export function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]\s]+):(\d{1,5})$/.exec(authority);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1]!.toLowerCase().replace(/\.$/, ""), port };
}

/** Reads the client's first bytes after the 200: its whole ClientHello, if it speaks TLS. */
async function firstFlight(reader: Buffered): Promise<
  { tls: true; sni: string | null | undefined } | { tls: false } | { invalid: string }
> {
  while (reader.pending.length === 0) {
    if (!(await reader.fill())) return { invalid: "the client closed the tunnel" };
  }
  if (reader.pending[0] !== 0x16) return { tls: false };
  for (;;) {
    const hello = clientHello(reader.pending);
    if (hello.state === "complete") return { tls: true, sni: parseSni(hello.message) };
    if (hello.state === "invalid") return { invalid: hello.reason };
    if (reader.pending.length > MAX_HELLO + 1024 || !(await reader.fill())) {
      return { invalid: "the ClientHello never completed" };
    }
  }
}

async function connect(
  req: RequestHead,
  reader: Buffered,
  io: SocketIO,
  options: ProxyOptions,
): Promise<void> {
  const { audit } = options;
  const authority = parseAuthority(req.target);
  if (!authority) {
    audit.write({
      kind: "egress",
      action: "deny",
      method: "CONNECT",
      target: req.target.slice(0, 200),
      reason: "bad authority",
    });
    await io.write(proxyAnswer(400, `"${req.target.slice(0, 200)}" is not host:port`, true));
    return;
  }
  const entry = { kind: "egress" as const, method: "CONNECT", ...authority };
  const decision = options.policy().decide(authority.host, authority.port);
  if (decision.action === "deny") {
    audit.write({ ...entry, action: "deny", reason: decision.reason });
    await io.write(proxyAnswer(403, deny(options, decision.reason), true));
    return;
  }
  const refusal = scanAuthority(options, entry, authority.host);
  if (refusal) {
    await io.write(proxyAnswer(403, refusal, true));
    return;
  }
  if (reader.pending.length > 0) {
    audit.write({
      ...entry,
      action: "deny",
      reason: "data sent before the tunnel was established",
    });
    await io.write(proxyAnswer(400, "send nothing before the tunnel is established", true));
    return;
  }
  await io.write(ESTABLISHED);
  const first = await firstFlight(reader);
  if ("invalid" in first) {
    audit.write({ ...entry, action: "deny", reason: `TLS: ${first.invalid}` });
    return;
  }
  if (first.tls && first.sni !== authority.host) {
    // Fronting: TLS naming another host than the one the policy allowed (or none).
    const named = first.sni === null
      ? "no server name"
      : first.sni === undefined
      ? "a malformed server name"
      : `"${first.sni}"`;
    audit.write({
      ...entry,
      action: "deny",
      reason: `TLS names ${named}, not the CONNECT authority "${authority.host}"`,
    });
    return;
  }
  if (decision.action === "tunnel") {
    if (!first.tls) {
      audit.write({ ...entry, action: "deny", reason: "a passthrough tunnel carries TLS only" });
      return;
    }
    return await tunnel(authority, reader, io, options);
  }
  if (!first.tls) {
    // Plain HTTP inside a tunnel: handled like any request to that origin.
    audit.write({ ...entry, action: "open" });
    return await serve(reader, io, options, { scheme: "http", ...authority });
  }
  // Terminate TLS on this very socket, with a leaf naming the host.
  const context = await options.leaves.context(authority.host);
  const rest = concat([reader.drain(), ...io.detach()]);
  const socket = io.socket;
  if (rest.length > 0) socket.unshift(rest);
  const secure = new tls.TLSSocket(socket, {
    isServer: true,
    secureContext: context,
    ALPNProtocols: ["http/1.1"],
  } as tls.TLSSocketOptions);
  secure.setNoDelay?.(true);
  secure.on("error", (error: Error) => {
    audit.write({
      ...entry,
      action: "tls-error",
      reason:
        `${error.message} (a client that pins certificates needs the host in egress.passthrough)`,
    });
  });
  audit.write({ ...entry, action: "open" });
  const inner = new SocketIO(secure as unknown as net.Socket);
  await serve(new Buffered(inner), inner, options, { scheme: "https", ...authority });
}

/** A passthrough tunnel: the ClientHello (already checked) and then bytes both ways. */
async function tunnel(
  authority: { host: string; port: number },
  reader: Buffered,
  io: SocketIO,
  options: ProxyOptions,
): Promise<void> {
  const entry = { kind: "egress" as const, method: "CONNECT", ...authority };
  const target = await options.resolve(authority.host);
  if ("refused" in target) {
    options.audit.write({ ...entry, action: "deny", reason: target.refused });
    return;
  }
  if ("unreachable" in target) {
    options.audit.write({ ...entry, action: "error", reason: target.unreachable });
    return;
  }
  let upstream: Deno.TcpConn;
  try {
    upstream = await Deno.connect({ hostname: target.address, port: authority.port });
    upstream.setNoDelay(true);
  } catch (error) {
    options.audit.write({ ...entry, action: "error", reason: (error as Error).message });
    return;
  }
  options.audit.write({ ...entry, action: "tunnel", reason: "passthrough: not scanned" });
  const up = new ConnIO(upstream, 256 * 1024);
  const toUpstream = (async () => {
    await up.write(reader.drain());
    await relay(chunks(io), (data) => up.write(data));
    up.end();
  })();
  const toClient = (async () => {
    await relay(chunks(up), (data) => io.write(data));
    io.end();
  })();
  await Promise.allSettled([toUpstream, toClient]);
  up.destroy();
  io.destroy();
}
