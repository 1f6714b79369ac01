/**
 * @module
 * A `git push` over HTTPS that the proxy refuses, answered as a git server answers a push
 * it rejects: each ref `ng` with the reason, so that git prints it (`! [remote rejected]
 * main -> main (bot-bottle refused ...)`) where a 403 showed only "RPC failed; HTTP 403".
 * The agent (and the person reading its output) learns why, as from the git gate.
 */

import { headerValues, serializeHead } from "./http1.ts";
import { concat } from "../../lib/bytes.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A pkt-line: four hex digits of length (themselves included), then the payload. */
function pkt(payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
  return concat([encoder.encode((bytes.length + 4).toString(16).padStart(4, "0")), bytes]);
}

const FLUSH = encoder.encode("0000");

/**
 * The refs and capabilities of a push request's commands (`<old> <new> <ref>` lines,
 * capabilities after a NUL on the first, up to a flush); undefined when they do not read.
 */
export function pushCommands(
  body: Uint8Array,
): { refs: string[]; capabilities: string[] } | undefined {
  const refs: string[] = [];
  let capabilities: string[] = [];
  for (let p = 0; p + 4 <= body.length;) {
    const head = decoder.decode(body.subarray(p, p + 4));
    if (!/^[0-9a-f]{4}$/.test(head)) return undefined;
    const length = parseInt(head, 16);
    if (length === 0) return refs.length > 0 ? { refs, capabilities } : undefined;
    if (length < 4 || p + length > body.length) return undefined;
    let line = decoder.decode(body.subarray(p + 4, p + length));
    p += length;
    if (line.startsWith("shallow ")) continue;
    const nul = line.indexOf("\0");
    if (nul !== -1) {
      capabilities = line.slice(nul + 1).trim().split(" ");
      line = line.slice(0, nul);
    }
    const m = /^[0-9a-f]{40,64} [0-9a-f]{40,64} (\S+)\n?$/.exec(line);
    if (!m) return undefined;
    refs.push(m[1]!);
  }
  return undefined;
}

/**
 * The answer to a refused request when it is a `git push` over HTTP(S) whose client reads
 * a report (`report-status`): 200 with every ref rejected for `reason` (git exits 1 and
 * prints it), the reason also as a message of the remote when the client takes them
 * (`side-band-64k`). Undefined for any other request: it gets the proxy's own refusal.
 */
export function gitPushRefusal(
  request: { method: string; path: string; headers: [string, string][] },
  body: Uint8Array | undefined,
  reason: string,
  close: boolean,
): Uint8Array | undefined {
  if (request.method !== "POST" || !/\/git-receive-pack$/.test(request.path.split("?")[0]!)) {
    return undefined;
  }
  const type = headerValues(request.headers, "content-type")[0] ?? "";
  if (type !== "application/x-git-receive-pack-request" || body === undefined) return undefined;
  if (headerValues(request.headers, "content-encoding").some((e) => e !== "identity")) {
    return undefined;
  }
  const push = pushCommands(body);
  if (!push) return undefined;
  const has = (c: string) => push.capabilities.includes(c);
  if (!has("report-status") && !has("report-status-v2")) return undefined;
  // One line of printable text: git shows it in parentheses after each ref.
  const why = [...`bot-bottle refused this push: ${reason}`]
    .map((c) => (c < " " || c === "\x7f" ? " " : c)).join("").slice(0, 900);
  const report = concat([
    pkt("unpack ok\n"),
    ...push.refs.map((ref) => pkt(`ng ${ref} ${why}\n`)),
    FLUSH,
  ]);
  let payload = report;
  const band = has("side-band-64k") ? 65515 : has("side-band") ? 999 : 0;
  if (band > 0) {
    const parts = [
      pkt(concat([new Uint8Array([2]), encoder.encode(`${why.slice(0, band - 2)}\n`)])),
    ];
    for (let at = 0; at < report.length; at += band - 1) {
      parts.push(pkt(concat([new Uint8Array([1]), report.subarray(at, at + band - 1)])));
    }
    payload = concat([...parts, FLUSH]);
  }
  return concat([
    serializeHead("HTTP/1.1 200 OK", [
      ["Content-Type", "application/x-git-receive-pack-result"],
      ["Cache-Control", "no-cache"],
      ["Content-Length", String(payload.length)],
      ...(close ? [["Connection", "close"] as [string, string]] : []),
    ]),
    payload,
  ]);
}
