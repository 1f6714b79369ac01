/**
 * @module
 * The egress proxy's front: a raw TCP listener on the bundle's internal address that
 * speaks just enough HTTP/1.1 to handle CONNECT and absolute-form plain HTTP requests.
 * Denied destinations get a 403 whose body tells the agent why.
 */

import type { AuditLog } from "./audit.ts";
import { readRequestHead, type RequestHead } from "./http_head.ts";
import { parseAuthority } from "./http_head.ts";
import type { AuthorityMap } from "./intercept.ts";
import { pipeBoth, writeAll } from "./pipe.ts";
import type { Policy } from "./policy.ts";
import { describeFindings, scanRequest } from "./dlp.ts";
import { resolveTarget } from "./resolve.ts";
import { parseSni } from "./sni.ts";

const encoder = new TextEncoder();

/** Options of the proxy front. */
export interface ProxyOptions {
  hostname: string;
  port: number;
  policy: () => Policy;
  audit: AuditLog;
  authorities: AuthorityMap;
  /** Port of the loopback interception server. */
  interceptPort: () => number;
  /** Hint appended to denial reasons (for example, how to ask for access). */
  denyHint?: string;
  /** Private ranges allowed names may resolve to. */
  allowPrivate: string[];
  /** What a DLP finding does, and the injected values it looks for. */
  dlp: "block" | "audit" | "off";
  secrets: string[];
}

function response(status: number, statusText: string, body: string): Uint8Array {
  const payload = `bot-bottle: ${body}\n`;
  return encoder.encode(
    `HTTP/1.1 ${status} ${statusText}\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\n` +
      `X-Bot-Bottle-Reason: ${body.replace(/[\r\n]/g, " ")}\r\n` +
      `Content-Length: ${encoder.encode(payload).length}\r\n` +
      `Connection: close\r\n\r\n${payload}`,
  );
}

async function refuse(
  conn: Deno.Conn,
  status: number,
  statusText: string,
  body: string,
): Promise<void> {
  try {
    await writeAll(conn, response(status, statusText, body));
  } catch { /* client gone */ }
  try {
    conn.close();
  } catch { /* closed */ }
}

/** Starts the front listener; returns it so the caller can close it. */
export function startProxy(options: ProxyOptions): Deno.Listener {
  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
    transport: "tcp",
  });
  (async () => {
    for await (const conn of listener) {
      // Small writes (TLS records, request heads) must not wait for delayed ACKs.
      conn.setNoDelay(true);
      handle(conn, options).catch(() => {
        try {
          conn.close();
        } catch { /* closed */ }
      });
    }
  })();
  return listener;
}

async function handle(conn: Deno.Conn, options: ProxyOptions): Promise<void> {
  const reader = conn.readable.getReader();
  let head: RequestHead | undefined;
  try {
    head = await readRequestHead(reader);
  } catch (error) {
    reader.releaseLock();
    return refuse(conn, 400, "Bad Request", (error as Error).message);
  }
  reader.releaseLock();
  if (!head) {
    conn.close();
    return;
  }
  if (head.method === "CONNECT") return connect(conn, head, options);
  return plainHttp(conn, head, options);
}

function deny(options: ProxyOptions, reason: string): string {
  return options.denyHint ? `${reason}. ${options.denyHint}` : reason;
}

async function connect(conn: Deno.Conn, head: RequestHead, options: ProxyOptions): Promise<void> {
  const authority = parseAuthority(head.target);
  if (!authority) {
    options.audit.write({
      kind: "egress",
      action: "deny",
      method: "CONNECT",
      target: head.target,
      reason: "bad authority",
    });
    return refuse(conn, 400, "Bad Request", `"${head.target}" is not host:port`);
  }
  const decision = options.policy().decide(authority.host, authority.port);
  const entry = {
    kind: "egress" as const,
    method: "CONNECT",
    host: authority.host,
    port: authority.port,
  };
  if (decision.action === "deny") {
    options.audit.write({ ...entry, action: "deny", reason: decision.reason });
    return refuse(conn, 403, "Forbidden", deny(options, decision.reason));
  }
  let upstream: Deno.TcpConn;
  if (decision.action === "intercept") {
    upstream = await Deno.connect({ hostname: "127.0.0.1", port: options.interceptPort() });
    upstream.setNoDelay(true);
    options.authorities.set((upstream.localAddr as Deno.NetAddr).port, authority);
  } else {
    const target = await resolveTarget(authority.host, options.allowPrivate);
    if ("refused" in target) {
      options.audit.write({ ...entry, action: "deny", reason: target.refused });
      return refuse(conn, 403, "Forbidden", target.refused);
    }
    try {
      upstream = await Deno.connect({ hostname: target.address, port: authority.port });
      upstream.setNoDelay(true);
    } catch (error) {
      const reason = `cannot reach "${authority.host}:${authority.port}": ${
        (error as Error).message
      }`;
      options.audit.write({ ...entry, action: "error", reason });
      return refuse(conn, 502, "Bad Gateway", reason);
    }
    options.audit.write({ ...entry, action: "tunnel" });
  }
  const localPort = (upstream.localAddr as Deno.NetAddr).port;
  try {
    await writeAll(conn, encoder.encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
    // TLS must name the host the CONNECT named: no fronting through an allowed host.
    await pipeBoth(conn, upstream, head.rest, (first) => {
      const sni = parseSni(first);
      if (typeof sni !== "string" || sni === authority.host) return true;
      options.audit.write({
        ...entry,
        action: "deny",
        reason: `TLS names "${sni}", not the CONNECT authority "${authority.host}"`,
      });
      return false;
    });
  } finally {
    if (decision.action === "intercept") options.authorities.delete(localPort);
  }
}

async function plainHttp(conn: Deno.Conn, head: RequestHead, options: ProxyOptions): Promise<void> {
  let url: URL;
  try {
    url = new URL(head.target);
  } catch {
    return refuse(conn, 400, "Bad Request", "a proxy request needs an absolute http:// URL");
  }
  if (url.protocol !== "http:") {
    return refuse(conn, 400, "Bad Request", `"${url.protocol}" requests go through CONNECT`);
  }
  const host = url.hostname.toLowerCase();
  const port = url.port ? Number(url.port) : 80;
  const entry = { kind: "egress" as const, method: head.method, host, port, path: url.pathname };
  const policy = options.policy();
  if (policy.isRoute(host)) {
    const reason = `"${host}" is a credential route and is reached over HTTPS only`;
    options.audit.write({ ...entry, action: "deny", reason });
    return refuse(conn, 403, "Forbidden", reason);
  }
  const decision = policy.decide(host, port);
  if (decision.action === "deny") {
    options.audit.write({ ...entry, action: "deny", reason: decision.reason });
    return refuse(conn, 403, "Forbidden", deny(options, decision.reason));
  }
  // Plain HTTP bodies pass as a byte stream; the request line and headers are scanned.
  const findings = options.dlp === "off"
    ? []
    : scanRequest({ url: head.target, headers: head.headers }, options.secrets);
  if (findings.length > 0) {
    const block = options.dlp === "block";
    options.audit.write({
      ...entry,
      action: block ? "dlp-block" : "dlp-audit",
      rules: findings.map((f) => f.rule),
    });
    if (block) {
      return refuse(
        conn,
        403,
        "Forbidden",
        `request blocked: it carries ${describeFindings(findings)}`,
      );
    }
  }
  const target = await resolveTarget(host, options.allowPrivate);
  if ("refused" in target) {
    options.audit.write({ ...entry, action: "deny", reason: target.refused });
    return refuse(conn, 403, "Forbidden", target.refused);
  }
  let upstream: Deno.TcpConn;
  try {
    upstream = await Deno.connect({ hostname: target.address, port });
    upstream.setNoDelay(true);
  } catch (error) {
    const reason = `cannot reach "${host}:${port}": ${(error as Error).message}`;
    options.audit.write({ ...entry, action: "error", reason });
    return refuse(conn, 502, "Bad Gateway", reason);
  }
  options.audit.write({ ...entry, action: "forward" });
  // The Host sent upstream is the one the policy checked, whatever the client wrote.
  const headers = head.headers.filter(([name]) =>
    !/^(proxy-|connection$|keep-alive$|host$)/i.test(name)
  );
  const rewritten = `${head.method} ${url.pathname}${url.search} ${head.version}\r\n` +
    `Host: ${url.host}\r\n` + headers.map(([n, v]) => `${n}: ${v}\r\n`).join("") +
    "Connection: close\r\n\r\n";
  const prefix = new Uint8Array([...encoder.encode(rewritten), ...head.rest]);
  await pipeBoth(conn, upstream, prefix);
}
