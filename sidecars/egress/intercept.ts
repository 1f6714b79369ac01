/**
 * @module
 * The interception side of the proxy: a TLS server on the bundle's loopback whose leaf
 * names the route hosts. The front pipes each intercepted CONNECT here and records the
 * loopback source port, so every request is tied to the authority the client asked for
 * and a Host header naming anything else (domain fronting) is refused.
 */

import type { AuditLog } from "./audit.ts";
import { describeFindings, scanRequest, scrubStream } from "./dlp.ts";
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
  /** What a DLP finding does. */
  dlp: "block" | "audit" | "off";
  /** Values of host variables marked secret: refused in requests, like injected ones. */
  extraSecrets: string[];
}

/** Bodies larger than this are not scanned; in block mode they are refused. */
export const DLP_MAX_BODY = 32 * 1024 * 1024;

const TEXTUAL = /^(text\/|application\/(json|[\w.+-]+\+json|xml|javascript|x-ndjson)|$)/i;

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
  // Every injected value: DLP refuses it in a request (to any host), the scrubber
  // removes it from responses.
  const values = [
    ...options.routes.flatMap((r) => Object.values(r.headers)),
    ...options.extraSecrets,
  ];
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
    // DLP: scan what the agent sends before anything leaves.
    const length = Number(req.headers.get("content-length") ?? "0");
    if (length > DLP_MAX_BODY && options.dlp === "block") {
      options.audit.write({
        ...base,
        action: "deny",
        host: authority.host,
        reason: "body too large to scan",
      });
      return text(
        413,
        `a request body over ${DLP_MAX_BODY} bytes cannot be scanned, so it is refused`,
      );
    }
    const body = req.body ? new Uint8Array(await req.arrayBuffer()) : undefined;
    const findings = options.dlp === "off" || (body && body.length > DLP_MAX_BODY)
      ? []
      : scanRequest({
        url: `${url.pathname}${url.search}`,
        headers: [...req.headers].filter(([n]) =>
          !Object.keys(secrets).some((s) => s.toLowerCase() === n)
        ),
        body: body ? new TextDecoder().decode(body) : undefined,
      }, values);
    if (findings.length > 0) {
      const reason = describeFindings(findings);
      const block = options.dlp === "block";
      options.audit.write({
        ...base,
        action: block ? "dlp-block" : "dlp-audit",
        host: authority.host,
        rules: findings.map((f) =>
          `${f.rule}@${f.where}${f.encoding === "plain" ? "" : `/${f.encoding}`}`
        ),
      });
      if (block) return text(403, `request blocked: it carries ${reason}`);
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
        body,
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
    // Injected credentials an upstream echoes back never reach the agent.
    let responseBody: ReadableStream<Uint8Array> | null = upstream.body;
    if (
      responseBody && values.length > 0 && TEXTUAL.test(upstream.headers.get("content-type") ?? "")
    ) {
      responseHeaders.delete("content-length");
      responseBody = responseBody.pipeThrough(scrubStream(values, () => {
        options.audit.write({
          ...base,
          action: "scrub",
          host: authority.host,
          reason: "an injected credential came back",
        });
      }));
    }
    return new Response(responseBody, {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: responseHeaders,
    });
  });
  return { server, port: server.addr.port };
}
