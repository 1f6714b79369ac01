/**
 * @module
 * Data loss prevention for what the agent sends through the proxy: the URL, each
 * header and the body of every request, scanned with the one secret detector
 * (`lib/secrets`) as written and in every decoded form, plus the fields of the request
 * glued together (a secret split across query parameters, headers or JSON values).
 * A finding names the rule and where it was found, never the secret.
 */

import { type Encoding, findSecrets, findSplitSecrets } from "../../lib/secrets/mod.ts";

/** Where in a request a finding was. */
export type DlpWhere = "url" | "header" | "body" | "fields";

/** One DLP finding. */
export interface DlpFinding {
  rule: string;
  description: string;
  where: DlpWhere;
  encoding: Encoding;
}

/** Short string values (and keys) of a JSON document, in order (for secrets split across fields). */
function jsonStrings(body: string): string[] {
  const first = body.trimStart()[0];
  if ((first !== "{" && first !== "[") || body.length > 4 * 1024 * 1024) return [];
  let root: unknown;
  try {
    root = JSON.parse(body);
  } catch {
    return [];
  }
  const out: string[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (v.length <= 256) out.push(v);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else if (v !== null && typeof v === "object") {
      const values = Object.values(v);
      for (let i = values.length - 1; i >= 0; i--) stack.push(values[i]);
    }
  }
  return out;
}

function queryValues(url: string): string[] {
  const q = url.indexOf("?");
  if (q === -1) return [];
  try {
    return [...new URLSearchParams(url.slice(q + 1)).values()];
  } catch {
    return [];
  }
}

/** Scans a request; `headers` exclude the ones the proxy itself sets. */
export function scanRequest(
  request: { url: string; headers: Iterable<[string, string]>; body?: string },
  values: readonly string[],
): DlpFinding[] {
  const out: DlpFinding[] = [];
  const add = (
    where: DlpWhere,
    found: { rule: string; description: string; encoding: Encoding }[],
  ) => {
    for (const f of found) {
      if (!out.some((o) => o.rule === f.rule && o.where === where && o.encoding === f.encoding)) {
        out.push({ rule: f.rule, description: f.description, where, encoding: f.encoding });
      }
    }
  };
  const headers = [...request.headers];
  add("url", findSecrets(request.url, { values }));
  for (const [name, value] of headers) add("header", findSecrets(`${name}: ${value}`, { values }));
  if (request.body) add("body", findSecrets(request.body, { values }));
  // Split across fields: reported only when no single field showed that kind already.
  const split = findSplitSecrets([
    ...queryValues(request.url),
    ...headers.map(([, v]) => v),
    ...(request.body ? jsonStrings(request.body) : []),
  ], values);
  add("fields", split.filter((f) => !out.some((o) => o.rule === f.rule)));
  return out;
}

/** What a refused request is told: the rules and places, never the matched text. */
export function describeFindings(findings: readonly DlpFinding[]): string {
  return findings.map((f) =>
    `${f.description} (rule ${f.rule}) in the ${
      f.where === "fields" ? "request's fields, joined" : f.where
    }${f.encoding === "plain" ? "" : `, ${f.encoding}-encoded`}`
  ).join("; ");
}
