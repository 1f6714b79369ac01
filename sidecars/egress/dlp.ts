/**
 * @module
 * Data loss prevention for what the agent sends through the proxy: the URL, each
 * header and the body of every request, scanned with the one secret detector
 * (`lib/secrets`) as written and in every decoded form, plus the fields of the request
 * glued together (a secret split across query parameters, headers, JSON values or form
 * fields).
 * A finding names the rule and where it was found, never the secret.
 */

import { type Encoding, findSecrets, findSplitSecrets } from "../../lib/secrets/mod.ts";
import { CUT_OUT } from "../bundle/config.ts";

/** Where in a request a finding was. */
export type DlpWhere = "url" | "header" | "body" | "fields";

/** One DLP finding. */
export interface DlpFinding {
  rule: string;
  description: string;
  where: DlpWhere;
  encoding: Encoding;
  /** The content codings the body was opened from (`gzip`, `br+gzip`), when it was. */
  within?: string;
}

/** The longest string value kept for joining: field-split secrets come in short pieces. */
const FIELD_MAX = 256;

/**
 * Short string values of a JSON document, in order (for secrets split across fields),
 * found by scanning the text for string literals rather than parsing it: a body cut short
 * or otherwise malformed still yields its fields, and a large body costs a pass of
 * `indexOf` jumps instead of a parse (a failed `JSON.parse` of a fresh 1 MiB string took
 * 15 ms). Keys are left out, so that `{"a":"ghp_x","b":"y"}` joins to `ghp_xy`.
 */
export function jsonStrings(body: string): string[] {
  const first = body.trimStart()[0];
  if ((first !== "{" && first !== "[") || body.length > 4 * 1024 * 1024) return [];
  const out: string[] = [];
  let open = body.indexOf('"');
  while (open !== -1) {
    // The closing quote: the next one not escaped by an odd run of backslashes.
    let close = body.indexOf('"', open + 1);
    for (;;) {
      if (close === -1) return out;
      let slashes = 0;
      while (body.charCodeAt(close - 1 - slashes) === 92) slashes++;
      if (slashes % 2 === 0) break;
      close = body.indexOf('"', close + 1);
    }
    let next = close + 1;
    for (let c = body.charCodeAt(next); c === 32 || c === 9 || c === 10 || c === 13;) {
      c = body.charCodeAt(++next);
    }
    const isKey = body.charCodeAt(next) === 58; // ":"
    const raw = body.slice(open + 1, close);
    if (!isKey && raw.length <= FIELD_MAX * 6) {
      let value: string | undefined = raw;
      if (raw.includes("\\")) {
        try {
          value = JSON.parse(`"${raw}"`);
        } catch {
          value = undefined;
        }
      }
      if (value !== undefined && value.length <= FIELD_MAX) out.push(value);
    }
    open = body.indexOf('"', close + 1);
  }
  return out;
}

/**
 * Short values of a form body: `a=1&b=2` (as a query), or the parts of a multipart body
 * (what follows each part's headers). Empty for any other body.
 */
export function formValues(body: string): string[] {
  if (body.length > 4 * 1024 * 1024) return [];
  if (body.startsWith("--")) {
    const boundary = body.slice(0, body.search(/\r?\n|$/));
    return body.split(boundary).flatMap((part) => {
      const start = part.search(/\r?\n\r?\n/);
      if (start === -1) return [];
      const value = part.slice(start).trim();
      return value.length <= FIELD_MAX ? [value] : [];
    });
  }
  if (!/^[^=&\s{["]+=/.test(body)) return [];
  try {
    return [...new URLSearchParams(body).values()].filter((v) => v.length <= FIELD_MAX);
  } catch {
    return [];
  }
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

/**
 * Scans a request; `headers` exclude the ones the proxy itself sets. `bodyBytes`: the
 * bytes `body` was decoded from, when at hand (a faster scan).
 */
export function scanRequest(
  request: {
    url: string;
    headers: Iterable<[string, string]>;
    body?: string;
    bodyBytes?: Uint8Array;
  },
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
  if (request.body) {
    add("body", findSecrets(request.body, { values, utf8: request.bodyBytes }));
  }
  // Split across fields: reported only when no single field showed that kind already.
  const split = findSplitSecrets([
    ...queryValues(request.url),
    ...headers.map(([, v]) => v),
    ...(request.body ? jsonStrings(request.body) : []),
    ...(request.body ? formValues(request.body) : []),
  ], values);
  add("fields", split.filter((f) => !out.some((o) => o.rule === f.rule)));
  return out;
}

/** What a body was opened from, in words: `gzip+pack` is "gzip-compressed, in git pack data". */
function withinWords(within: string): string {
  const parts = within.split("+");
  const pack = parts.at(-1) === "pack";
  const codings = pack ? parts.slice(0, -1) : parts;
  return [
    codings.length > 0 ? `${codings.join("+")}-compressed` : "",
    pack ? "in git pack data" : "",
  ].filter(Boolean).join(", ");
}

/** What a refused request is told: the rules and places, never the matched text. */
export function describeFindings(findings: readonly DlpFinding[]): string {
  return findings.map((f) =>
    `${f.description} (rule ${f.rule}) in the ${
      f.where === "fields" ? "request's fields, joined" : f.where
    }${f.within ? ` (${withinWords(f.within)})` : ""}${
      f.encoding === "plain" ? "" : `, ${f.encoding}-encoded`
    }`
  ).join("; ");
}

/** Encodings whose findings point at the start of the encoded run they were decoded from. */
const RUNS = new Set<Encoding>(["base64", "hex", "base32", "lines", "gzip", "zlib"]);

/**
 * Where the encoded run starting at `from` ends: base64, hex and base32 characters, and
 * the line breaks of a wrapped block (also escaped in a JSON string).
 */
function runEnd(text: string, from: number): number {
  const run =
    /(?:[A-Za-z0-9+/_-]|=(?=[=\s"\\]|$)|\r?\n(?=[A-Za-z0-9+/])|(?:\\r)?\\n(?=[A-Za-z0-9+/]))+/y;
  run.lastIndex = from;
  return run.exec(text) ? run.lastIndex : from;
}

/**
 * Request body `text` with every secret in it cut out, for a request that can go without
 * them (the agent's conversation with its model: refusing it would refuse every later
 * turn, which carries the same text): one written as it is where it is, one found
 * decoded from a run of base64, hex or base32 with its whole run. Undefined when a
 * secret cannot be cut out so (found in a decoded window, or split across fields), when
 * what is left still holds one, or when a JSON body would no longer parse: then the
 * request is refused as before.
 */
export function cutOutSecrets(
  text: string,
  values: readonly string[],
): { text: string; rules: string[] } | undefined {
  const found = findSecrets(text, { values });
  if (found.length === 0 || found.some((f) => f.encoding !== "plain" && !RUNS.has(f.encoding))) {
    return undefined;
  }
  const spans = found.map((f) => {
    if (f.encoding === "plain") return [f.index, f.index + f.length];
    // A run found right after an escaped line break starts with the escape's letter.
    const from = f.index + +(text.charCodeAt(f.index - 1) === 92 && /[nrt]/.test(text[f.index]!));
    return [from, runEnd(text, from)];
  }).toSorted((a, b) => a[0]! - b[0]!);
  let out = "";
  let at = 0;
  for (const [from, to] of spans) {
    if (to! <= at) continue;
    out += text.slice(at, Math.max(at, from!)) + CUT_OUT;
    at = Math.max(at, to!);
  }
  out += text.slice(at);
  // The bottle's own values, everywhere (a value is reported where it first occurs).
  for (const v of values) if (v.length >= 8) out = out.replaceAll(v, CUT_OUT);
  if (scanRequest({ url: "", headers: [], body: out }, values).length > 0) return undefined;
  if (parsesAsJson(text) && !parsesAsJson(out)) return undefined;
  return { text: out, rules: [...new Set(found.map((f) => f.rule))] };
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
