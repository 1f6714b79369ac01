/**
 * @module
 * The interception side of the proxy: a TLS server on the bundle's loopback whose leaf
 * names the route hosts. The front pipes each intercepted CONNECT here and records the
 * loopback source port, so every request is tied to the authority the client asked for
 * and a Host header naming anything else (domain fronting) is refused.
 */

import type { AuditLog } from "./audit.ts";
import { resolveTarget } from "./resolve.ts";

/** A route with the real header values the host passed in. */
export interface RouteSecrets {
  host: string;
  headers: Record<string, string>;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
]);

/** Maps loopback source ports of piped CONNECTs to the authority they asked for. */
export class AuthorityMap {
  readonly #byPort = new Map<number, { host: string; port: number }>();
  set(localPort: number, authority: { host: string; port: number }): void {
    this.#byPort.set(localPort, authority);
  }
  get(remotePort: number): { host: string; port: number } | undefined {
    return this.#byPort.get(remotePort);
  }
  delete(localPort: number): void {
    this.#byPort.delete(localPort);
  }
}

/** Options of the interception server. */
export interface InterceptOptions {
  cert: string;
  key: string;
  routes: RouteSecrets[];
  authorities: AuthorityMap;
  audit: AuditLog;
  /** Extra CA (PEM) trusted for upstream TLS, from BOT_BOTTLE_UPSTREAM_CA. */
  upstreamCa?: string;
  /** Private ranges allowed names may resolve to. */
  allowPrivate: string[];
}

function text(status: number, body: string, extra: Record<string, string> = {}): Response {
  return new Response(`bot-bottle: ${body}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-bot-bottle-reason": body, ...extra },
  });
}

/** Starts the loopback TLS server; returns it with its port. */
export function startInterceptServer(
  options: InterceptOptions,
): { server: Deno.HttpServer; port: number } {
  const routes = new Map(options.routes.map((r) => [r.host, r.headers]));
  const client = options.upstreamCa
    ? Deno.createHttpClient({ caCerts: [options.upstreamCa] })
    : undefined;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: options.cert,
    key: options.key,
    onListen: () => {},
    onError: (error) => text(502, `proxy error: ${(error as Error).message}`),
  }, async (req, info) => {
    const authority = options.authorities.get(info.remoteAddr.port);
    const url = new URL(req.url);
    const base = { kind: "egress" as const, method: req.method, path: url.pathname };
    if (!authority) {
      options.audit.write({ ...base, action: "deny", reason: "no CONNECT for this connection" });
      return text(421, "request did not come through a CONNECT");
    }
    // req.url carries the Host header (HTTP/1.1) or :authority (HTTP/2).
    const requested = url.hostname.toLowerCase().replace(/\.$/, "");
    const requestedPort = url.port ? Number(url.port) : 443;
    if (requested !== authority.host || requestedPort !== authority.port) {
      const reason = `Host "${url.host}" does not match the CONNECT authority "${authority.host}"`;
      options.audit.write({
        ...base,
        action: "deny",
        host: authority.host,
        port: authority.port,
        reason,
      });
      return text(421, reason);
    }
    const secrets = routes.get(authority.host);
    if (!secrets) {
      options.audit.write({ ...base, action: "deny", host: authority.host, reason: "not a route" });
      return text(403, `"${authority.host}" is not a route`);
    }
    const headers = new Headers();
    for (const [name, value] of req.headers) {
      if (!HOP_BY_HOP.has(name.toLowerCase())) headers.set(name, value);
    }
    for (const [name, value] of Object.entries(secrets)) headers.set(name, value);
    // Identity encoding keeps bodies readable for scanning and streaming untouched.
    headers.set("accept-encoding", "identity");
    const upstreamUrl = `https://${authority.host}${
      authority.port === 443 ? "" : `:${authority.port}`
    }${url.pathname}${url.search}`;
    // fetch resolves the name again; this check closes rebinding to a private address
    // except in the moment between the two lookups.
    const target = await resolveTarget(authority.host, options.allowPrivate);
    if ("refused" in target) {
      options.audit.write({
        ...base,
        action: "deny",
        host: authority.host,
        reason: target.refused,
      });
      return text(403, target.refused);
    }
    let upstream: Response;
    try {
      upstream = await fetch(upstreamUrl, {
        method: req.method,
        headers,
        body: req.body,
        redirect: "manual",
        ...(client ? { client } : {}),
      });
    } catch (error) {
      const reason = `upstream "${authority.host}" failed: ${(error as Error).message}`;
      options.audit.write({ ...base, action: "error", host: authority.host, reason });
      return text(502, reason);
    }
    options.audit.write({
      ...base,
      action: "intercept",
      host: authority.host,
      status: upstream.status,
    });
    const responseHeaders = new Headers();
    for (const [name, value] of upstream.headers) {
      if (!HOP_BY_HOP.has(name.toLowerCase())) responseHeaders.set(name, value);
    }
    return new Response(upstream.body, {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: responseHeaders,
    });
  });
  return { server, port: server.addr.port };
}
