/**
 * @module
 * One HTTP request through the proxy, the same whether it came as plain HTTP or inside
 * an intercepted TLS connection: where it goes (the CONNECT authority, or the URL, and
 * the allowlist), what it carries (DLP over URL, headers and the whole body, counted
 * as it streams and refused over the limit whatever its framing), the credentials a
 * route adds, the upstream exchange on a kept connection, and the answer with echoed
 * credentials scrubbed from headers and body.
 */

import type { AuditEntry, AuditLog } from "./audit.ts";
import {
  CompressedError,
  embeddedGzip,
  embeddedZstd,
  openBody,
  UNCHECKED_RULE,
  zipEntries,
} from "../../lib/secrets/compressed.ts";
import { packObjects } from "../../lib/secrets/gitpack.ts";
import { getPublicValues } from "../../lib/secrets/mod.ts";
import {
  bodyKeyedFields,
  describeFindings,
  type DlpFinding,
  keyedFields,
  RECENT_BODY,
  type RecentFields,
  scanRequest,
} from "./dlp.ts";
import { runScanJob, type ScanJob, type ScanResult } from "./scanjob.ts";
import type { ScanPool } from "./scanpool.ts";
import {
  BodyBudget,
  chunk,
  collectBody,
  endToEnd,
  headerValues,
  HttpError,
  LAST_CHUNK,
  readBody,
  type RequestHead,
  serializeHead,
} from "./http1.ts";
import { type Buffered, Joiner, relay, type Sink } from "./io.ts";
import type { Policy } from "./policy.ts";
import { gitPushRefusal } from "./gitpush.ts";
import { Scrubber } from "./scrub.ts";
import type { Target } from "./resolve.ts";
import type { UpstreamPool, UpstreamResponse } from "./upstream.ts";

/** Request bodies larger than this cannot be scanned, so they are refused. */
export const DLP_MAX_BODY = 32 * 1024 * 1024;
/**
 * Request bodies held for scanning at once, across connections: one body of the largest
 * size, or several smaller, at a time (a 32 MiB body of compressed data takes the bundle
 * to ~300 MB while it is scanned: bytes, text, decoded forms of each piece).
 */
export const DLP_MAX_HELD = DLP_MAX_BODY;

/** What every exchange of one bottle shares. */
export interface ProxyContext {
  policy: () => Policy;
  audit: AuditLog;
  /** Appended to denial reasons (how to ask for access). */
  denyHint?: string;
  dlp: "block" | "audit" | "off";
  /** Values DLP refuses in any request: injected credentials and the bottle's secrets. */
  dlpValues: string[];
  /** Route hosts and the headers the proxy sets on them. */
  routes: Map<string, Record<string, string>>;
  /**
   * Route hosts that are the agent's model API: secrets in a request body are cut out
   * rather than the request refused (see `cutOutSecrets`).
   */
  redactHosts?: ReadonlySet<string>;
  /** Values scrubbed from what route hosts send back. */
  scrubValues: string[];
  upstream: UpstreamPool;
  /** The checked address of an allowed name, or why there is none. */
  resolve(host: string): Promise<Target>;
  /** Request bodies held for scanning, across connections (`DLP_MAX_HELD` when not given). */
  bodies?: BodyBudget;
  /** Workers that scan request bodies off the event loop (in place when not given). */
  scanner?: ScanPool;
  /** The recent fields of requests to each host (see `RecentFields`); none read when not given. */
  recent?: RecentFields;
}

/** Where requests on a connection go when the connection itself says (a CONNECT). */
export interface Origin {
  scheme: "https" | "http";
  host: string;
  port: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A short answer from the proxy itself; its reason is also in a header. */
export function proxyAnswer(status: number, reason: string, close: boolean): Uint8Array {
  const payload = encoder.encode(`bot-bottle: ${reason}\n`);
  const text = STATUS_TEXT[status] ?? "Error";
  const head = serializeHead(`HTTP/1.1 ${status} ${text}`, [
    ["Content-Type", "text/plain; charset=utf-8"],
    ["X-Bot-Bottle-Reason", reason.replace(/[\r\n]/g, " ")],
    ["Content-Length", String(payload.length)],
    ...(close ? [["Connection", "close"] as [string, string]] : []),
  ]);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  413: "Content Too Large",
  421: "Misdirected Request",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

const defaultBudgets = new WeakMap<ProxyContext, BodyBudget>();
/** The budget request bodies of `ctx` share. */
function bodies(ctx: ProxyContext): BodyBudget {
  if (ctx.bodies) return ctx.bodies;
  let budget = defaultBudgets.get(ctx);
  if (!budget) defaultBudgets.set(ctx, budget = new BodyBudget(DLP_MAX_HELD));
  return budget;
}

function defaultPort(scheme: string): number {
  return scheme === "https" ? 443 : 80;
}

/** What the scan of a request body came to. */
type BodyVerdict =
  /** What it carries; with `cut`, the body to send instead, its secrets cut out. */
  | { findings: DlpFinding[]; cut?: string }
  /** Compressed data that cannot be opened whole: what it holds is unknown. */
  | { unchecked: CompressedError }
  /** No room left to hold its opened form. */
  | { busy: string }
  /** The scan itself failed (a worker gone, a fault): nothing is known of the body. */
  | { failed: string };

/**
 * Scans a request body: as it is, opened under its content codings or as the gzip file
 * it is, and each gzip stream and zip entry inside it (a file in a multipart upload) and
 * the objects of a git pack in it (`git push` over HTTPS). With `mayCut`,
 * secrets written as they are in a text body are cut out when they all can be.
 */
function scanBody(
  body: Uint8Array,
  contentEncoding: string,
  ctx: ProxyContext,
  mayCut: boolean,
  own: number,
): Promise<BodyVerdict> {
  // What is opened is held beside the other bodies being scanned: no more than they leave
  // room for (several bodies opening at once could otherwise hold 32 MiB each). `own`:
  // what this body holds of the budget itself.
  const budget = bodies(ctx);
  const room = Math.min(DLP_MAX_BODY, budget.limit - (budget.held - own));
  return scanOpened(body, contentEncoding, ctx, mayCut, room, own).catch((error): BodyVerdict => {
    if (!(error instanceof CompressedError)) {
      return { failed: `its body could not be scanned: ${(error as Error).message}` };
    }
    // Too large for the room others left: it may fit when they are through.
    if (error.kind === "large" && room < DLP_MAX_BODY && budget.held > own) return { busy: BUSY };
    return { unchecked: error };
  });
}

const BUSY = "the proxy holds too many request bodies to scan; send this one again";

async function scanOpened(
  body: Uint8Array,
  contentEncoding: string,
  ctx: ProxyContext,
  mayCut: boolean,
  limit: number,
  own: number,
): Promise<BodyVerdict> {
  const opened = await openBody(body, contentEncoding, limit);
  const text = new TextDecoder().decode(opened.bytes);
  // Files inside it: gzip and zstd streams and zip archives (a multipart upload, a .zip
  // posted), and the objects of a git pack (`git push` over HTTPS). Each is looked for
  // only where the text holds its signature as decoding leaves it (ASCII as it is, a
  // byte that is no UTF-8 as U+FFFD): a search of the text is native, one of the bytes
  // took a millisecond per MiB for each.
  let room = limit - (opened.codings.length > 0 ? opened.bytes.length : 0);
  const inner: { coding: "gzip" | "zstd" | "zip" | "pack"; bytes: Uint8Array }[] = [];
  // The paths a pack's trees make (see `treePaths`), read whole by the scan.
  const paths: string[] = [];
  const openers = {
    gzip: [embeddedGzip, "\x1f"],
    zstd: [embeddedZstd, "(\uFFFD/\uFFFD"],
    zip: [zipEntries, "PK\x03\x04"],
    pack: [(b: Uint8Array, room: number) => packObjects(b, room, paths), "PACK\0\0\0"],
  } as const;
  for (const coding of ["gzip", "zstd", "zip", "pack"] as const) {
    const [open, signature] = openers[coding];
    if (!text.includes(signature)) continue;
    for (const bytes of open(opened.bytes, room)) {
      inner.push({ coding, bytes });
      room -= bytes.length;
    }
  }
  // Opened forms are held beside the body while they are scanned: counted while others
  // wait for room (they were opened within it), beyond the budget only for a body alone.
  const opening = (opened.codings.length > 0 ? opened.bytes.length : 0) +
    inner.reduce((n, i) => n + i.bytes.length, 0);
  const budget = bodies(ctx);
  const extra = budget.take(opening) ? opening : 0;
  if (extra === 0 && opening > 0 && budget.held > own) return { busy: BUSY };
  try {
    const job: ScanJob = {
      parts: [
        { bytes: opened.bytes, within: opened.codings.join("+") },
        ...inner.map((i) => ({ bytes: i.bytes, within: [...opened.codings, i.coding].join("+") })),
      ],
      values: ctx.dlpValues,
      publicValues: [...getPublicValues()],
      mayCut: mayCut && opened.codings.length === 0 && inner.length === 0,
      ...(paths.length > 0 ? { paths: [...new Set(paths)] } : {}),
    };
    const result = await scan(ctx, job);
    return result.cut === undefined
      ? { findings: result.findings }
      : { findings: result.findings, cut: result.cut };
  } finally {
    budget.give(extra);
  }
}

/** Runs a scan job in the context's workers, or here when it has none. */
function scan(ctx: ProxyContext, job: ScanJob): Promise<ScanResult> {
  return ctx.scanner ? ctx.scanner.scan(job) : Promise.resolve().then(() => runScanJob(job));
}

/** How the audit log names findings: rule, place, what the body was opened from, encoding. */
function ruleList(found: readonly DlpFinding[]): string[] {
  return found.map((f) =>
    `${f.rule}@${f.where}${f.within ? `:${f.within}` : ""}${
      f.encoding === "plain" ? "" : `/${f.encoding}`
    }`
  );
}

/**
 * Scans the name a CONNECT asks for, before it is resolved, tunnelled or named in a leaf:
 * a secret cut into labels under an allowed wildcard (`<hex>.<hex>.example.com`) would go
 * out in the DNS query and the TLS server name, through a passthrough tunnel too, which
 * nothing else scans. Audits what it finds; returns the refusal when the DLP blocks.
 */
export function scanAuthority(
  ctx: ProxyContext,
  entry: { kind: AuditEntry["kind"]; [key: string]: unknown },
  host: string,
): string | undefined {
  if (ctx.dlp === "off") return undefined;
  // Its labels are its only fields: what they hold joined is in the host name.
  const findings = scanRequest({ host, url: "", headers: [] }, ctx.dlpValues)
    .map((f) => f.where === "fields" ? { ...f, where: "host" as const } : f)
    .filter((f, i, all) =>
      all.findIndex((o) => o.rule === f.rule && o.encoding === f.encoding) === i
    );
  if (findings.length === 0) return undefined;
  const block = ctx.dlp === "block";
  ctx.audit.write({
    ...entry,
    action: block ? "dlp-block" : "dlp-audit",
    rules: ruleList(findings),
  });
  return block ? `CONNECT blocked: it carries ${describeFindings(findings)}` : undefined;
}

/** Copies of `body`'s chunks, for a consumer that may hold one past the next read. */
async function* copied(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const part of body) yield part.slice();
}

/** Decoding of upstream content encodings the scrubber must see through. */
function decoded(
  body: AsyncIterable<Uint8Array>,
  encoding: "gzip" | "deflate",
): AsyncIterable<Uint8Array> {
  // A stream queues what it pulls: it gets copies, not the connection's read buffers.
  return ReadableStream.from(copied(body)).pipeThrough(
    new DecompressionStream(encoding) as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
}

/**
 * Handles one request whose head was read from `reader`; answers on `sink`. Returns
 * whether the connection can carry another request.
 */
export async function exchange(
  req: RequestHead,
  reader: Buffered,
  sink: Sink,
  ctx: ProxyContext,
  origin?: Origin,
): Promise<boolean> {
  // Where the request goes.
  let scheme: "http" | "https";
  let host: string;
  let port: number;
  let path: string;
  const refuse = async (status: number, reason: string, entry: Record<string, unknown>) => {
    ctx.audit.write({ kind: "egress", action: "deny", ...entry, reason });
    // A body not read yet would be taken for the next request: close instead.
    const close = !req.keepAlive || req.framing.kind !== "none";
    await sink.write(proxyAnswer(status, reason, close));
    return !close;
  };
  // The request could not be carried out (not the agent's doing): 502, and the connection ends.
  const fail = async (reason: string, entry: Record<string, unknown>) => {
    ctx.audit.write({ kind: "egress", ...entry, action: "error", reason });
    await sink.write(proxyAnswer(502, reason, true));
    return false;
  };
  if (origin) {
    scheme = origin.scheme;
    host = origin.host;
    port = origin.port;
    const hosts = headerValues(req.headers, "host");
    const expected = port === defaultPort(scheme) ? [host, `${host}:${port}`] : [`${host}:${port}`];
    const given = (hosts[0] ?? "").toLowerCase().replace(/\.(?=:|$)/, "");
    const base = { method: req.method, host, port, path: req.target.slice(0, 200) };
    if (req.method === "CONNECT") {
      return await refuse(400, "a CONNECT inside a tunnel is not allowed", base);
    }
    if (!req.target.startsWith("/")) {
      return await refuse(400, "requests in a tunnel must name a path", base);
    }
    if (hosts.length !== 1 || !expected.includes(given)) {
      return await refuse(
        421,
        `Host "${hosts.join(", ")}" does not match the CONNECT authority "${host}"`,
        base,
      );
    }
    path = req.target;
  } else {
    let url: URL;
    try {
      url = new URL(req.target);
    } catch {
      // The bottle's self-test asks this way (it only wants an answer): the log says so,
      // as nothing else tells the person what this first refusal of every bottle is.
      return await refuse(
        400,
        "a request to the proxy itself: a proxy request needs an absolute http:// URL (the bottle's self-test sends one at start, to see the proxy answer)",
        { method: req.method, path: req.target.slice(0, 200) },
      );
    }
    if (url.protocol !== "http:") {
      return await refuse(400, `"${url.protocol}" requests go through CONNECT`, {
        method: req.method,
      });
    }
    scheme = "http";
    host = url.hostname.toLowerCase().replace(/\.$/, "");
    port = url.port ? Number(url.port) : 80;
    path = `${url.pathname}${url.search}`;
    const base = { method: req.method, host, port, path: url.pathname.slice(0, 200) };
    const policy = ctx.policy();
    if (policy.isRoute(host)) {
      return await refuse(
        403,
        `"${host}" is a credential route and is reached over HTTPS only`,
        base,
      );
    }
    const decision = policy.decide(host, port);
    if (decision.action === "deny") {
      const reason = ctx.denyHint ? `${decision.reason}. ${ctx.denyHint}` : decision.reason;
      return await refuse(403, reason, base);
    }
  }
  const entry = {
    kind: "egress" as const,
    method: req.method,
    host,
    port,
    path: path.split("?")[0]!.slice(0, 200),
  };
  if (headerValues(req.headers, "upgrade").length > 0) {
    return await refuse(
      501,
      "protocol upgrades (WebSocket) are not supported through the proxy",
      entry,
    );
  }

  // What it carries.
  const route = scheme === "https" && port === 443 ? ctx.routes.get(host) : undefined;
  const set = new Set(Object.keys(route ?? {}).map((h) => h.toLowerCase()));
  const sent = endToEnd(req.headers).filter(([n]) => !set.has(n.toLowerCase()));
  const head = { method: req.method, host, url: path, headers: sent };
  const findings: DlpFinding[] = ctx.dlp === "off" ? [] : scanRequest(head, ctx.dlpValues);
  // A secret sent in pieces, one a request, in the fields of requests in a row.
  const fields = ctx.dlp === "off" || !ctx.recent ? [] : keyedFields(head);
  const where = `${host}:${port}`;
  if (findings.length === 0 && fields.length > 0) {
    findings.push(...ctx.recent!.scan(where, fields, ctx.dlpValues));
  }
  const logFindings = (found: DlpFinding[]) => {
    ctx.audit.write({
      ...entry,
      action: ctx.dlp === "block" ? "dlp-block" : "dlp-audit",
      rules: ruleList(found),
    });
  };
  if (findings.length > 0 && ctx.dlp === "block") {
    // Refused on its URL or headers, before a byte of its body is read.
    logFindings(findings);
    const close = !req.keepAlive || req.framing.kind !== "none";
    await sink.write(
      proxyAnswer(403, `request blocked: it carries ${describeFindings(findings)}`, close),
    );
    return !close;
  }
  if (fields.length > 0) ctx.recent!.remember(where, fields);
  let body: Uint8Array | AsyncIterable<Uint8Array> | null = null;
  // Bytes of the budget this request's body holds: given back once it is sent or refused,
  // not held while the answer streams.
  let held = 0;
  let response: UpstreamResponse;
  try {
    if (req.framing.kind !== "none") {
      const proceed = async () => {
        if (req.expectContinue) await sink.write(encoder.encode("HTTP/1.1 100 Continue\r\n\r\n"));
      };
      if (ctx.dlp === "off") {
        await proceed();
        body = readBody(reader, req.framing);
      } else {
        try {
          // A client that waits for "100 Continue" hears first whether its body fits.
          body = await collectBody(reader, req.framing, DLP_MAX_BODY, bodies(ctx), proceed);
          held = body.length;
        } catch (error) {
          const status = error instanceof HttpError ? error.status : 400;
          ctx.audit.write({ ...entry, action: "deny", reason: (error as Error).message });
          await sink.write(proxyAnswer(status, (error as Error).message, true));
          return false;
        }
        const verdict = await scanBody(
          body,
          headerValues(req.headers, "content-encoding").join(","),
          ctx,
          // The agent's conversation with its model: secrets cut out where they can be.
          ctx.dlp === "block" && route !== undefined && ctx.redactHosts?.has(host) === true &&
            findings.length === 0,
          held,
        );
        if ("unchecked" in verdict) {
          // What it holds is unknown: refused as a finding would be, saying why.
          const error = verdict.unchecked;
          const rules = [`${UNCHECKED_RULE}@body`];
          if (ctx.dlp === "block") {
            const reason = `request blocked: ${error.message}`;
            ctx.audit.write({ ...entry, action: "dlp-block", rules, reason });
            await sink.write(
              gitPushRefusal({ ...req, path }, body, error.message, true) ??
                proxyAnswer(error.kind === "large" ? 413 : 415, reason, true),
            );
            return false;
          }
          ctx.audit.write({ ...entry, action: "dlp-audit", rules, reason: error.message });
          // Audited as it is: a scan that fails here leaves the entry above to say so.
          const asIs = await scan(ctx, {
            parts: [{ bytes: body, within: "" }],
            values: ctx.dlpValues,
            publicValues: [...getPublicValues()],
            mayCut: false,
          }).catch(() => ({ findings: [] }));
          for (const f of asIs.findings) findings.push(f);
        } else if ("busy" in verdict) {
          ctx.audit.write({ ...entry, action: "deny", reason: verdict.busy });
          await sink.write(proxyAnswer(503, verdict.busy, true));
          return false;
        } else if ("failed" in verdict) {
          if (ctx.dlp === "block") {
            // Sent unscanned, it could carry anything: refused, saying why.
            ctx.audit.write({ ...entry, action: "deny", reason: verdict.failed });
            await sink.write(proxyAnswer(503, verdict.failed, true));
            return false;
          }
          ctx.audit.write({ ...entry, action: "dlp-audit", rules: [], reason: verdict.failed });
        } else if (verdict.cut) {
          ctx.audit.write({ ...entry, action: "dlp-cut", rules: ruleList(verdict.findings) });
          bodies(ctx).give(held);
          body = encoder.encode(verdict.cut);
          held = bodies(ctx).take(body.length) ? body.length : 0;
        } else {
          // One by one: a pack's objects can bring more findings than a call takes.
          for (const f of verdict.findings) findings.push(f);
        }
        // A small body's fields, over requests in a row (`curl -d '{"q":"<piece>"}'`).
        if (
          ctx.recent && findings.length === 0 && body instanceof Uint8Array &&
          body.length <= RECENT_BODY &&
          headerValues(req.headers, "content-encoding").length === 0
        ) {
          const fields = bodyKeyedFields(decoder.decode(body));
          for (const f of ctx.recent.scan(where, fields, ctx.dlpValues)) findings.push(f);
          if (findings.length === 0) ctx.recent.remember(where, fields);
        }
      }
    }
    if (findings.length > 0) {
      logFindings(findings);
      if (ctx.dlp === "block") {
        const carries = `it carries ${describeFindings(findings)}`;
        await sink.write(
          gitPushRefusal(
            { ...req, path },
            body instanceof Uint8Array ? body : undefined,
            carries,
            !req.keepAlive,
          ) ??
            proxyAnswer(403, `request blocked: ${carries}`, !req.keepAlive),
        );
        return req.keepAlive;
      }
    }

    // The upstream exchange.
    const target = await ctx.resolve(host);
    if ("refused" in target) return await refuse(403, target.refused, entry);
    // A name that leads nowhere is told apart from a refusal, as a failed upstream is.
    if ("unreachable" in target) return await fail(target.unreachable, entry);
    const headers: [string, string][] = [...sent];
    for (const [name, value] of Object.entries(route ?? {})) headers.push([name, value]);
    if (route) {
      // Identity encoding keeps what comes back readable for scrubbing.
      for (let i = headers.length - 1; i >= 0; i--) {
        if (headers[i]![0].toLowerCase() === "accept-encoding") headers.splice(i, 1);
      }
      headers.push(["Accept-Encoding", "identity"]);
    }
    try {
      response = await ctx.upstream.request(
        { tls: scheme === "https", host, port, address: target.address },
        { method: req.method, path, headers },
        body,
      );
    } catch (error) {
      return await fail(`upstream "${host}" failed: ${(error as Error).message}`, entry);
    }
  } finally {
    bodies(ctx).give(held);
    held = 0;
    body = null;
  }

  // The answer, with echoed credentials scrubbed.
  const scrubber = route
    ? new Scrubber(
      ctx.scrubValues,
      () =>
        ctx.audit.write({ ...entry, action: "scrub", reason: "an injected credential came back" }),
    )
    : undefined;
  let out: AsyncIterable<Uint8Array> = response.body;
  const outHeaders = endToEnd(response.headers).map(([n, v]) =>
    [n, scrubber ? scrubber.text(v) : v] as [string, string]
  );
  let rewritten = scrubber?.active === true;
  if (scrubber?.active) {
    const encoding = headerValues(response.headers, "content-encoding").join(",").toLowerCase()
      .trim();
    if (encoding === "gzip" || encoding === "deflate") {
      out = decoded(out, encoding);
      for (let i = outHeaders.length - 1; i >= 0; i--) {
        if (outHeaders[i]![0].toLowerCase() === "content-encoding") outHeaders.splice(i, 1);
      }
    } else if (encoding !== "" && encoding !== "identity") {
      response.abort();
      return await fail(
        `"${host}" answered in "${encoding}" encoding, which the proxy cannot check`,
        entry,
      );
    }
    rewritten = true;
  }
  const hasBody = response.framing.kind !== "none";
  const http11 = req.version === "HTTP/1.1";
  let keepAlive = req.keepAlive;
  let chunked = false;
  if (!hasBody) {
    if (req.method === "HEAD") {
      const length = headerValues(response.headers, "content-length")[0];
      if (length !== undefined) outHeaders.push(["Content-Length", length]);
    } else if (response.status !== 204 && response.status !== 304) {
      outHeaders.push(["Content-Length", "0"]);
    }
  } else if (response.framing.kind === "length" && !rewritten) {
    outHeaders.push(["Content-Length", String(response.framing.length)]);
  } else if (http11) {
    chunked = true;
    outHeaders.push(["Transfer-Encoding", "chunked"]);
  } else {
    keepAlive = false;
  }
  if (!keepAlive) outHeaders.push(["Connection", "close"]);
  ctx.audit.write({
    ...entry,
    action: origin?.scheme === "https" ? "intercept" : "forward",
    status: response.status,
  });
  try {
    // Each write to the agent costs the proxy a TLS record and a system call, most of a
    // kept-alive request's time: an answer of known length whose body came with its head
    // goes out with its first part, and its last part with the end of the answer. Any
    // other head goes at once (a stream's first event may be a while coming).
    const head = serializeHead(`HTTP/1.1 ${response.status} ${response.reason}`, outHeaders);
    const length = out === response.body && response.framing.kind === "length"
      ? response.framing.length
      : -1;
    let prefix: Uint8Array | undefined = length > 0 && response.buffered ? head : undefined;
    if (!prefix) await sink.write(head);
    let seen = 0;
    let ended = false;
    const joiner = new Joiner();
    const ending = (parts: Uint8Array[]) => {
      const rest = scrubber?.flush();
      if (rest && rest.length > 0) parts.push(...(chunked ? chunk(rest) : [rest]));
      if (chunked) parts.push(LAST_CHUNK);
      ended = true;
    };
    await relay(out, async (part) => {
      const parts: Uint8Array[] = [];
      if (prefix) parts.push(prefix);
      prefix = undefined;
      seen += part.length;
      const data = scrubber ? scrubber.push(part) : part;
      if (data.length > 0) parts.push(...(chunked ? chunk(data) : [data]));
      if (seen === length) ending(parts);
      if (parts.length > 0) await sink.write(joiner.join(parts));
    });
    const parts: Uint8Array[] = prefix ? [prefix] : [];
    if (!ended) ending(parts);
    if (parts.length > 0) await sink.write(joiner.join(parts));
  } catch {
    response.abort();
    return false;
  }
  return keepAlive;
}
