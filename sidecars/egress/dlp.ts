/**
 * @module
 * Data loss prevention for what the agent sends through the proxy: the URL, each
 * header and the body of every request, scanned with the one secret detector
 * (`lib/secrets`) as written and in every decoded form, plus the fields of the request
 * glued together (a secret split across query parameters, headers, JSON values or form
 * fields).
 * A finding names the rule and where it was found, never the secret. A model request's
 * secrets are cut out rather than refused in `cut.ts`.
 */

import {
  type Encoding,
  findSecrets,
  findSplitSecrets,
  getPublicValues,
  howWritten,
  type Located,
} from "../../lib/secrets/mod.ts";
import { closingQuote, RecentScans } from "../../lib/secrets/reuse.ts";

/** Where in a request a finding was. */
export type DlpWhere = "method" | "host" | "url" | "header" | "body" | "fields" | "requests";

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
 * and apart from them its keys, found by scanning the text for string literals rather
 * than parsing it: a body cut short or otherwise malformed still yields its fields, and
 * a large body costs a pass of `indexOf` jumps instead of a parse (a failed `JSON.parse`
 * of a fresh 1 MiB string took 15 ms). Values and keys are joined each on their own, so
 * that `{"a":"ghp_x","b":"y"}` joins to `ghp_xy`, and `{"ghp_x":1,"y":2}` too.
 */
export function jsonFields(body: string): Fields {
  const values: string[] = [];
  const keys: string[] = [];
  const all: string[] = [];
  const out = { values, keys, all };
  const first = body.trimStart()[0];
  if ((first !== "{" && first !== "[") || body.length > 4 * 1024 * 1024) return out;
  let open = body.indexOf('"');
  while (open !== -1) {
    const close = closingQuote(body, open);
    if (close === -1) return out;
    let next = close + 1;
    for (let c = body.charCodeAt(next); c === 32 || c === 9 || c === 10 || c === 13;) {
      c = body.charCodeAt(++next);
    }
    const isKey = body.charCodeAt(next) === 58; // ":"
    const raw = body.slice(open + 1, close);
    if (raw.length <= FIELD_MAX * 6) {
      let value: string | undefined = raw;
      if (raw.includes("\\")) {
        try {
          value = JSON.parse(`"${raw}"`);
        } catch {
          value = undefined;
        }
      }
      if (value !== undefined && value.length <= FIELD_MAX) {
        (isKey ? keys : values).push(value);
        all.push(value);
      }
    }
    open = body.indexOf('"', close + 1);
  }
  return out;
}

/**
 * Fields of a request, for secrets split across them: values, names apart, and both in
 * the order they come (a name, then its value).
 */
interface Fields {
  values: string[];
  keys: string[];
  all: string[];
}

const NO_FIELDS: Fields = { values: [], keys: [], all: [] };

/**
 * Short fields of a form body: `a=1&b=2` (as a query: its values, and its names), or the
 * parts of a multipart body (what follows each part's headers). Empty for any other body.
 */
export function formFields(body: string): Fields {
  if (body.length > 4 * 1024 * 1024) return NO_FIELDS;
  if (body.startsWith("--")) {
    const boundary = body.slice(0, body.search(/\r?\n|$/));
    const values = body.split(boundary).flatMap((part) => {
      const start = part.search(/\r?\n\r?\n/);
      if (start === -1) return [];
      const value = part.slice(start).trim();
      return value.length <= FIELD_MAX ? [value] : [];
    });
    return { values, keys: [], all: values };
  }
  if (!/^[^=&\s{["]+=/.test(body)) return NO_FIELDS;
  const { values, keys, all } = paramFields(body);
  const short = (v: string) => v.length <= FIELD_MAX;
  return { values: values.filter(short), keys: keys.filter(short), all: all.filter(short) };
}

/** The names and values of `a=1&b=2` (a query, a urlencoded form), each in order. */
function paramFields(params: string): Fields {
  const values: string[] = [];
  const keys: string[] = [];
  const all: string[] = [];
  try {
    for (const [key, value] of new URLSearchParams(params)) {
      keys.push(key);
      values.push(value);
      all.push(key, value);
    }
  } catch {
    // Not parameters: no fields.
  }
  return { values, keys, all };
}

/**
 * The fields of a URL: its path's segments (values, each decoded), then its query's
 * parameters. A token cut at the path's slashes (`/ghp_Zq8L/w2Rt...`) is joined so.
 */
function urlFields(url: string): Fields {
  const q = url.indexOf("?");
  const path = (q === -1 ? url : url.slice(0, q)).replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "");
  // A slash written encoded (`%2F`) cuts a segment too.
  const segments = path.split("/").flatMap((segment) => {
    try {
      return decodeURIComponent(segment).split("/");
    } catch {
      return [segment];
    }
  }).filter(Boolean);
  const query = q === -1 ? NO_FIELDS : paramFields(url.slice(q + 1));
  return {
    values: [...segments, ...query.values],
    keys: query.keys,
    all: [...segments, ...query.all],
  };
}

/**
 * The fields of a header: a `Cookie` header's cookies (values, and their names: a
 * token's pieces in cookies of one request are joined as a query's are), any other
 * header's value whole.
 */
function headerFields(name: string, value: string): Fields {
  if (name.toLowerCase() !== "cookie") return { values: [value], keys: [name], all: [name, value] };
  const values: string[] = [];
  const keys: string[] = [name];
  const all: string[] = [name];
  for (const [key, cookie] of cookiesOf(value)) {
    if (key) keys.push(key);
    if (cookie) values.push(cookie);
    all.push(...(key ? [key] : []), ...(cookie ? [cookie] : []));
  }
  return { values, keys, all };
}

/** The cookies of a `Cookie` header's value, as name and value (either may be empty). */
function cookiesOf(value: string): [string, string][] {
  return value.split(";").map((pair) => {
    const eq = pair.indexOf("=");
    return [(eq === -1 ? "" : pair.slice(0, eq)).trim(), pair.slice(eq + 1).trim()];
  });
}

/**
 * The labels of a host name, in order: a secret too long for one label (63 characters),
 * hex or base32 of a token, is cut at its dots (`<half>.<half>.allowed.example`), and a
 * name under an allowed wildcard goes out in the DNS query, the TLS server name and the
 * `Host` header alike.
 */
function hostFields(host: string): Fields {
  const labels = host.split(".").filter(Boolean);
  return { values: labels, keys: [], all: labels };
}

/**
 * Scans a request; `headers` exclude the ones the proxy itself sets. `bodyBytes`: the
 * bytes `body` was decoded from, when at hand (a faster scan). `bodyFound`: what
 * `bodySecrets` found in the body, when the caller has it already (it is not scanned
 * again).
 */
export function scanRequest(
  request: {
    /**
     * The request's method: any run of capital letters goes upstream as one
     * (`curl -X <anything>`), so it is a field the agent writes like the others.
     */
    method?: string;
    /** The name the request goes to (a CONNECT's authority, an absolute URL's host). */
    host?: string;
    url: string;
    headers: Iterable<[string, string]>;
    body?: string;
    bodyBytes?: Uint8Array;
  },
  values: readonly string[],
  bodyFound?: readonly Located[],
): DlpFinding[] {
  const out: DlpFinding[] = [];
  const add = (
    where: DlpWhere,
    found: readonly { rule: string; description: string; encoding: Encoding }[],
  ) => {
    for (const f of found) {
      if (!out.some((o) => o.rule === f.rule && o.where === where && o.encoding === f.encoding)) {
        out.push({ rule: f.rule, description: f.description, where, encoding: f.encoding });
      }
    }
  };
  const headers = [...request.headers];
  const known = headScans.for(values);
  if (request.method) add("method", known.find(request.method));
  if (request.host) add("host", known.find(request.host));
  add("url", known.find(request.url));
  for (const [name, value] of headers) add("header", known.find(`${name}: ${value}`));
  if (request.body) {
    add("body", bodyFound ?? bodySecrets(request.body, values, request.bodyBytes));
  }
  // Split across fields: reported only when no single field showed that kind already.
  // Values (the URL's path segments too) are joined in order, names (query parameters',
  // headers', a JSON body's keys, a form's) apart from them, and both as they come: any
  // of them could carry the pieces.
  const method = request.method ? [request.method] : [];
  const host = request.host ? hostFields(request.host) : NO_FIELDS;
  const url = urlFields(request.url);
  const head = headers.map(([name, value]) => headerFields(name, value));
  const json = request.body ? jsonFields(request.body) : NO_FIELDS;
  const form = request.body ? formFields(request.body) : NO_FIELDS;
  const split = [
    [
      ...method,
      ...host.values,
      ...url.values,
      ...head.flatMap((h) => h.values),
      ...json.values,
      ...form.values,
    ],
    [...url.keys, ...head.flatMap((h) => h.keys), ...json.keys, ...form.keys],
    [...method, ...host.all, ...url.all, ...head.flatMap((h) => h.all), ...json.all, ...form.all],
  ].flatMap((fields, i) =>
    // Encoded pieces: among the values or among the names, not both as they come (the
    // names glued between the values' pieces would spoil what they decode to).
    known.findSplit(fields, i < 2)
  );
  add("fields", split.filter((f) => !out.some((o) => o.rule === f.rule)));
  return out;
}

/** The longest text, or fields joined, whose findings `HeadScans` keeps. */
const KEPT_TEXT = 4096;
/** How many texts' findings `HeadScans` keeps (and as many field lists'). */
const KEPT_SCANS = 512;

/**
 * What the scans of short texts of requests' heads found, by text: a client sends the
 * same headers with every request (Claude Code its 17, the same each turn but for a
 * length), and the same names of fields. Scanned once, they cost a request on a kept
 * connection a look-up each; scanned each time they had been half the time the proxy
 * adds to it. Kept for one list of values and public values (a bottle's: they do not
 * change), a few hundred texts at most, the oldest dropped first.
 */
class HeadScans {
  #values: readonly string[] = [];
  #public: readonly string[] = getPublicValues();
  readonly #texts = new Map<string, readonly Located[]>();
  readonly #fields = new Map<string, readonly Located[]>();

  /** This, for `values` (emptied if they are not the ones its findings were for). */
  for(values: readonly string[]): this {
    const same = values === this.#values ||
      (values.length === this.#values.length && values.every((v, i) => v === this.#values[i]));
    if (!same || this.#public !== getPublicValues()) {
      this.#values = [...values];
      this.#public = getPublicValues();
      this.#texts.clear();
      this.#fields.clear();
    }
    return this;
  }

  /** `findSecrets` of `text` with the values. */
  find(text: string): readonly Located[] {
    return kept(this.#texts, text, () => findSecrets(text, { values: this.#values }));
  }

  /** `findSplitSecrets` of `fields` with the values, decoding or not. */
  findSplit(fields: readonly string[], decode: boolean): readonly Located[] {
    let length = 0;
    for (const field of fields) length += field.length + 1;
    const scan = () => findSplitSecrets(fields, this.#values, { decode });
    return length > KEPT_TEXT ? scan() : kept(this.#fields, fieldsKey(fields, decode), scan);
  }
}

/**
 * The key of a list of fields in `HeadScans`: as JSON, one for each list. Fields joined
 * by any character could be other fields joined so (a URL's path segment, decoded, holds
 * anything), and a clean list's findings taken for a list that holds a secret.
 */
export function fieldsKey(fields: readonly string[], decode: boolean): string {
  return `${+decode}${JSON.stringify(fields)}`;
}

/** `map`'s findings for `key`, or `scan`'s, kept when `key` is short (see `HeadScans`). */
function kept(
  map: Map<string, readonly Located[]>,
  key: string,
  scan: () => readonly Located[],
): readonly Located[] {
  const known = map.get(key);
  if (known !== undefined) return known;
  const found = scan();
  if (key.length > KEPT_TEXT) return found;
  if (map.size >= KEPT_SCANS) map.delete(map.keys().next().value!);
  map.set(key, found);
  return found;
}

const headScans = new HeadScans();

/** Adds a named field to `out` if its value could be a piece: short, without white space. */
function keepField(out: [string, string][], key: string, value: string): void {
  if (value.length > 0 && value.length <= FIELD_MAX && !/\s/.test(value)) out.push([key, value]);
}

/**
 * A request's head as fields named by where they are (`query/q`, `path/2`,
 * `header/x-data`, `method`): short values without white space, as a secret's pieces
 * come.
 */
export function keyedFields(
  request: { method?: string; url: string; headers: Iterable<[string, string]> },
): [string, string][] {
  const out: [string, string][] = [];
  const add = (key: string, value: string) => keepField(out, key, value);
  if (request.method) add("method", request.method);
  const q = request.url.indexOf("?");
  const path = urlFields(q === -1 ? request.url : request.url.slice(0, q)).values;
  path.forEach((segment, i) => add(`path/${i}`, segment));
  if (q !== -1) {
    const { all } = paramFields(request.url.slice(q + 1));
    for (let i = 0; i + 1 < all.length; i += 2) add(`query/${all[i]}`, all[i + 1]!);
  }
  for (const [name, value] of request.headers) {
    if (name.toLowerCase() === "cookie") {
      // Each cookie a field of its own, by its name.
      for (const [key, cookie] of cookiesOf(value)) add(`cookie/${key}`, cookie);
      continue;
    }
    // A credential after its scheme (`Authorization: Bearer <piece>`) is the value.
    const scheme = /^[A-Za-z][\w-]*[ \t]+(\S+)$/.exec(value);
    add(`header/${name.toLowerCase()}`, scheme ? scheme[1]! : value);
  }
  return out;
}

/** The largest body whose fields are remembered over requests (see `bodyKeyedFields`). */
export const RECENT_BODY = 4096;

/**
 * A small body's fields named by where they are, as `keyedFields` names a head's: a JSON
 * document's strings and numbers by their path (`json/q`, `json/items.0.text`), a form's
 * by name (`form/q`), and any other short text whole (`body`: `curl -d <piece>`). A body
 * past `RECENT_BODY`, or JSON that does not parse, has none.
 */
export function bodyKeyedFields(body: string): [string, string][] {
  const out: [string, string][] = [];
  if (body.length > RECENT_BODY) return out;
  const add = (key: string, value: string) => keepField(out, key, value);
  const first = body.trimStart()[0];
  if (first === "{" || first === "[") {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      return out;
    }
    const walk = (value: unknown, path: string) => {
      if (typeof value === "string" || typeof value === "number") {
        add(`json/${path}`, String(value));
      } else if (Array.isArray(value)) {
        value.forEach((v, i) => walk(v, path ? `${path}.${i}` : `${i}`));
      } else if (value !== null && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
      }
    };
    walk(doc, "");
    return out;
  }
  if (/^[^=&\s{["]+=/.test(body)) {
    const { all } = paramFields(body);
    for (let i = 0; i + 1 < all.length; i += 2) add(`form/${all[i]}`, all[i + 1]!);
    return out;
  }
  add("body", body.trim());
  return out;
}

/** Values of one field remembered per host (its last requests'). */
const RECENT_VALUES = 16;
/** Characters remembered per host, at most: past them its oldest fields are forgotten. */
const RECENT_CHARS = 8192;
/** Hosts remembered, at most: past them the one asked least recently is forgotten. */
const RECENT_HOSTS = 64;
/** Characters in a host's row of new values (names too), at most: past them its oldest go. */
const RECENT_ROW_CHARS = 4096;

/** What `RecentFields` keeps of one host. */
interface Remembered {
  /** Each field's last values, the field asked least recently first. */
  fields: Map<string, string[]>;
  /** Characters of `fields`, names and values. */
  chars: number;
  /** The new values of every field, in the order they came, with their fields' names. */
  row: [string, string][];
  rowChars: number;
}

/**
 * `known`'s row without the values `fields` carries again in the same field: a field
 * that holds one value request after request (a header every request carries, the
 * fields beside a piece) stands between no pieces.
 */
function withoutRepeated(
  known: Remembered,
  fields: readonly [string, string][],
): [string, string][] {
  const again = new Set<string>();
  for (const [key, value] of fields) {
    if (known.fields.get(key)?.at(-1) === value) again.add(`${key}\0${value}`);
  }
  return again.size === 0 ? known.row : known.row.filter(([k, v]) => !again.has(`${k}\0${v}`));
}

/** Where a field of `keyedFields` or `bodyKeyedFields` is: `path`, `query`, `header`, `json`, ... */
function placeOf(key: string): string {
  const slash = key.indexOf("/");
  return slash === -1 ? key : key.slice(0, slash);
}

/**
 * The recent values of each field of the requests to each host, for a secret sent in
 * pieces over requests in a row (`?q=ghp_Zq8L`, then `?q=w2Rt...`: one request at a time
 * holds no token). A field's values are joined in the order they came and read as fields
 * split within one request are; so are the host's new values of every field, in the order
 * they came, for pieces sent under another name each time (`?a=ghp_Zq8L`, then
 * `?b=w2Rt...`, then a header). A value like the field's last is not remembered again (a
 * header every request carries), and a refused request's values are not remembered at
 * all. Bounded: 16 values a field, 16 in the host's row of new values, 8 KiB a host, 64
 * hosts.
 */
export class RecentFields {
  readonly #hosts = new Map<string, Remembered>();

  /**
   * What the values of `fields` (this request's) make joined to the same fields' recent
   * values at `host`, or to the host's recent new values of any field, that those values
   * did not make alone.
   */
  scan(host: string, fields: readonly [string, string][], values: readonly string[]): DlpFinding[] {
    const known = this.#hosts.get(host);
    if (!known) return [];
    const out: DlpFinding[] = [];
    const add = (
      joined: readonly string[],
      options: { decode: boolean; whole?: boolean },
      ...alone: (readonly string[])[]
    ) => {
      const found = findSplitSecrets(joined, values, options);
      if (found.length === 0) return;
      // What the earlier values, or this request's, hold alone is not new (let through
      // with `dlp: audit`, or found in this request by `scanRequest`).
      const before = alone.flatMap((v) => findSplitSecrets(v, values, options));
      for (const f of found) {
        if (before.some((b) => b.rule === f.rule && b.encoding === f.encoding)) continue;
        if (!out.some((o) => o.rule === f.rule && o.encoding === f.encoding)) {
          out.push({
            rule: f.rule,
            description: f.description,
            where: "requests",
            encoding: f.encoding,
          });
        }
      }
    };
    const fresh: [string, string][] = [];
    for (const field of fields) {
      const [key, value] = field;
      const past = known.fields.get(key);
      if (past?.at(-1) === value) continue;
      fresh.push(field);
      if (past) add([...past, value], { decode: true }, past);
    }
    if (fresh.length === 0) return out;
    // Under another name each time: the host's new values in a row, then this request's.
    const row = withoutRepeated(known, fields);
    const valuesOf = (pairs: readonly [string, string][]) => pairs.map(([, value]) => value);
    if (row.length > 0) {
      add(
        valuesOf([...row, ...fresh]),
        { decode: true, whole: true },
        valuesOf(row),
        valuesOf(fresh),
      );
    }
    // And in each place (the path, the query, the headers, the body) alone, with the
    // values of names that come again left out: a field that changes on every request (a
    // counter, a request's id, a path one segment deeper each time) would stand between
    // pieces sent under a new name each time. Names sent once are few in ordinary
    // traffic, which sends the same names request after request.
    const times = new Map<string, number>();
    for (const [key] of row) times.set(key, (times.get(key) ?? 0) + 1);
    for (const [key] of fresh) times.set(key, (times.get(key) ?? 0) + 1);
    const places = new Set<string>();
    for (const [key] of fresh) if (times.get(key) === 1) places.add(placeOf(key));
    for (const place of places) {
      const lone = ([key]: [string, string]) => times.get(key) === 1 && placeOf(key) === place;
      const loneRow = row.filter(lone), loneFresh = fresh.filter(lone);
      if (loneRow.length === 0 || loneRow.length + loneFresh.length === row.length + fresh.length) {
        continue;
      }
      add(
        valuesOf([...loneRow, ...loneFresh]),
        { decode: true, whole: true },
        valuesOf(loneRow),
        valuesOf(loneFresh),
      );
    }
    return out;
  }

  /**
   * Remembers the values of a request that went out. A field's name counts toward a
   * host's characters as its values do (the agent names fields at will: a request of
   * thousands of one-letter values under long names had grown the memory unbounded).
   */
  remember(host: string, fields: readonly [string, string][]): void {
    let known = this.#hosts.get(host);
    if (known) this.#hosts.delete(host);
    known ??= { fields: new Map(), chars: 0, row: [], rowChars: 0 };
    this.#hosts.set(host, known);
    if (this.#hosts.size > RECENT_HOSTS) this.#hosts.delete(this.#hosts.keys().next().value!);
    known.row = withoutRepeated(known, fields);
    known.rowChars = known.row.reduce((n, [key, value]) => n + key.length + value.length, 0);
    for (const [key, value] of fields) {
      if (key.length > FIELD_MAX) continue;
      let past = known.fields.get(key);
      if (past?.at(-1) === value) continue;
      if (past) known.fields.delete(key);
      else {
        past = [];
        known.chars += key.length;
      }
      known.fields.set(key, past);
      past.push(value);
      known.chars += value.length;
      if (past.length > RECENT_VALUES) known.chars -= past.shift()!.length;
      known.row.push([key, value]);
      known.rowChars += key.length + value.length;
    }
    while (known.row.length > RECENT_VALUES || known.rowChars > RECENT_ROW_CHARS) {
      const [key, value] = known.row.shift()!;
      known.rowChars -= key.length + value.length;
    }
    // The fields asked least recently go first.
    for (const [key, past] of known.fields) {
      if (known.chars <= RECENT_CHARS) break;
      known.fields.delete(key);
      known.chars -= key.length + past.reduce((n, v) => n + v.length, 0);
    }
  }

  /** Characters remembered for `host` (names and values), counted afresh: for tests. */
  charsOf(host: string): number {
    let n = 0;
    for (const [key, value] of this.#hosts.get(host)?.row ?? []) n += key.length + value.length;
    for (const [key, past] of this.#hosts.get(host)?.fields ?? []) {
      n += key.length + past.reduce((m, v) => m + v.length, 0);
    }
    return n;
  }
}

/** Every secret in a request's body, where it is (`utf8`: the bytes it was decoded from). */
export function bodySecrets(
  body: string,
  values: readonly string[],
  utf8?: Uint8Array,
): Located[] {
  return bodyScans.find(body, { values, utf8, ownFields: true });
}

/**
 * The bodies scanned last, and what was found in them: a model request repeats the one
 * before it but for its last turns, and only what changed is scanned again (see
 * `RecentScans`).
 */
export const bodyScans = new RecentScans();

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
      f.where === "fields"
        ? "request's fields, joined"
        : f.where === "requests"
        ? "fields of requests in a row, joined"
        : f.where === "host"
        ? "host name"
        : f.where
    }${f.within ? ` (${withinWords(f.within)})` : ""}${
      // Pieces joined as written are no encoding: the place says they were joined.
      howWritten(f.encoding) ? `, ${howWritten(f.encoding)}` : ""}`
  ).join("; ");
}
