/**
 * @module
 * Data loss prevention for what the agent sends through the proxy: the URL, header
 * values and body of each visible request are scanned with the gate's rule set and
 * the bottle's own credential values, as written and in their base64 and URL-encoded
 * forms. A finding names the rule and where it was found, never the secret. Also the
 * scrubber that removes injected credentials an upstream echoes back.
 */

import { type Finding, scanLine } from "../gate/scan.ts";

/** Where in a request a finding was. */
export type DlpWhere = "url" | "header" | "body";

/** One DLP finding. */
export interface DlpFinding extends Finding {
  where: DlpWhere;
  encoding: "plain" | "base64" | "url";
}

const BASE64 = /[A-Za-z0-9+/_-]{24,}={0,2}/g;
const decoder = new TextDecoder("utf-8", { fatal: false });

function decodeBase64(token: string): string | undefined {
  try {
    const normal = token.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(normal + "=".repeat((4 - (normal.length % 4)) % 4));
    const text = decoder.decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    // Only text can carry a secret the rules recognise.
    const printable = [...text].filter((c) => c >= " " && c <= "~").length;
    return printable >= text.length * 0.9 ? text : undefined;
  } catch {
    return undefined;
  }
}

function scanText(
  text: string,
  values: readonly string[],
  where: DlpWhere,
  out: DlpFinding[],
): void {
  const add = (encoding: DlpFinding["encoding"], found: Finding[]) => {
    for (const f of found) {
      if (!out.some((o) => o.rule === f.rule && o.where === where && o.encoding === encoding)) {
        out.push({ ...f, where, encoding });
      }
    }
  };
  for (const line of text.split("\n")) add("plain", scanLine(line, values));
  if (/%[0-9A-Fa-f]{2}/.test(text)) {
    try {
      const decoded = decodeURIComponent(text.replace(/\+/g, " "));
      for (const line of decoded.split("\n")) add("url", scanLine(line, values));
    } catch { /* not valid percent-encoding */ }
  }
  for (const token of text.match(BASE64) ?? []) {
    const decoded = decodeBase64(token);
    if (decoded) { for (const line of decoded.split("\n")) add("base64", scanLine(line, values)); }
  }
}

/** Scans a request; `headers` exclude the ones the proxy itself sets. */
export function scanRequest(
  request: { url: string; headers: Iterable<[string, string]>; body?: string },
  values: readonly string[],
): DlpFinding[] {
  const out: DlpFinding[] = [];
  scanText(request.url, values, "url", out);
  for (const [name, value] of request.headers) scanText(`${name}: ${value}`, values, "header", out);
  if (request.body) scanText(request.body, values, "body", out);
  return out;
}

/** What a refused request is told: the rules and places, never the matched text. */
export function describeFindings(findings: readonly DlpFinding[]): string {
  return findings.map((f) =>
    `${f.description} (rule ${f.rule}) in the ${f.where}${
      f.encoding === "plain" ? "" : `, ${f.encoding}-encoded`
    }`
  )
    .join("; ");
}

/** Replaces every occurrence of `values` in a text stream, across chunk boundaries. */
export function scrubStream(
  values: readonly string[],
  onScrub: () => void = () => {},
  replacement = "[redacted by bot-bottle]",
): TransformStream<Uint8Array, Uint8Array> {
  const secrets = values.filter((v) => v.length >= 8);
  const keep = Math.max(0, ...secrets.map((v) => v.length)) - 1;
  const textDecoder = new TextDecoder();
  const encoder = new TextEncoder();
  let carry = "";
  /** Length of the longest tail of `text` that is a proper prefix of a secret. */
  const heldTail = (text: string) => {
    for (let k = Math.min(keep, text.length); k > 0; k--) {
      const tail = text.slice(text.length - k);
      if (secrets.some((v) => v.startsWith(tail))) return k;
    }
    return 0;
  };
  let reported = false;
  const scrub = (text: string) =>
    secrets.reduce((t, v) => {
      if (!t.includes(v)) return t;
      if (!reported) {
        reported = true;
        onScrub();
      }
      return t.replaceAll(v, replacement);
    }, text);
  return new TransformStream({
    transform(chunk, controller) {
      const text = scrub(carry + textDecoder.decode(chunk, { stream: true }));
      // Hold back only a tail that could be the start of a secret split across
      // chunks, so streams (server-sent events) are not delayed.
      const hold = heldTail(text);
      carry = text.slice(text.length - hold);
      if (text.length > hold) controller.enqueue(encoder.encode(text.slice(0, text.length - hold)));
    },
    flush(controller) {
      const rest = scrub(carry + textDecoder.decode());
      if (rest) controller.enqueue(encoder.encode(rest));
    },
  });
}
