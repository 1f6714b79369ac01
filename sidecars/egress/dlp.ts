/**
 * @module
 * Data loss prevention for what the agent sends through the proxy: the URL, header
 * values and body of each visible request are scanned with the gate's rule set and
 * the bottle's own credential values, as written and in their base64 and URL-encoded
 * forms. A finding names the rule and where it was found, never the secret.
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
