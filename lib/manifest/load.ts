/**
 * @module
 * Parsing and validating a manifest (`read.ts` finds and reads it, and caches what this
 * makes of it): YAML (or JSON, parsed by the same YAML
 * parser so that both get line numbers and duplicate-key errors) to unknown to zod.
 * Every problem is collected and reported at once, each with its line:column and key
 * path.
 */

import { basename } from "node:path";
import { YAML, z } from "./deps.ts";
import { ManifestError, type ManifestProblem } from "../errors.ts";
import { findSecrets } from "../secrets/mod.ts";
import { type Manifest, ManifestSchema } from "./schema.ts";

type Path = (string | number)[];

/** The largest manifest read: a manifest is a small file, and parsing is not free. */
export const MAX_MANIFEST_BYTES = 256 * 1024;

/** Parses and validates manifest text; `file` is used only in messages. */
export function parseManifest(text: string, file: string): Manifest {
  if (text.length > MAX_MANIFEST_BYTES) {
    throw new ManifestError(file, [{
      path: "",
      line: 1,
      column: 1,
      message: `the manifest is ${text.length} characters; a manifest is at most ${
        MAX_MANIFEST_BYTES >> 10
      } KiB (put long prompts in skills)`,
    }]);
  }
  const lineCounter = new YAML.LineCounter();
  // Duplicate keys are found below with a set: the parser's own check is quadratic.
  const doc = YAML.parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
    strict: true,
  });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  const problems: ManifestProblem[] = [];
  let onlyDuplicateKeys = true;
  YAML.visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = pair.key;
        if (!YAML.isScalar(key)) continue;
        const name = String(key.value);
        if (!seen.has(name)) {
          seen.add(name);
          continue;
        }
        const offset = key.range?.[0];
        problems.push({
          path: offset === undefined ? "" : pathOfOffset(doc, offset),
          ...at(offset),
          message: `duplicate key ${
            offset === undefined ? `"${name}"` : describeKeyAt(text, offset)
          }`,
        });
      }
    },
  });
  for (const error of doc.errors) {
    if (error.code !== "DUPLICATE_KEY") onlyDuplicateKeys = false;
    const message = error.code === "DUPLICATE_KEY"
      ? `duplicate key ${describeKeyAt(text, error.pos[0])}`
      : `YAML syntax: ${firstLine(error.message)}`;
    problems.push({ path: pathOfOffset(doc, error.pos[0]), ...at(error.pos[0]), message });
  }
  if (problems.length > 0 && !onlyDuplicateKeys) {
    throw new ManifestError(file, sortProblems(problems));
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (error) {
    // Alias expansion is what fails here: point at the first alias.
    const alias = /(?:^|[\s[,{:])\*[^\s,\]}]/m.exec(text);
    throw new ManifestError(file, [{
      path: "",
      ...at(alias ? alias.index + alias[0].indexOf("*") : 0),
      message: `YAML: ${(error as Error).message}`,
    }]);
  }
  if (data === null || data === undefined) {
    throw new ManifestError(file, [{
      path: "",
      line: 1,
      column: 1,
      message: "the manifest is empty",
    }], {
      hint: "Run `bot-bottle init` for a commented starter manifest",
    });
  }

  const parsed = ManifestSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...describeIssue(doc, data, issue, at));
  }
  // Cross-references are checked on the raw data too, so that a type error elsewhere
  // does not hide an unknown bottle or a duplicate name.
  for (const p of crossCheck(data)) {
    const located = {
      path: formatPath(p.path),
      ...at(offsetOfPath(doc, p.path)),
      message: p.message,
    };
    if (!problems.some((q) => q.path === located.path && q.message === located.message)) {
      problems.push(located);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ManifestError(file, sortProblems(problems));
  return parsed.data;
}

interface RawProblem {
  path: Path;
  message: string;
}

function entries(value: unknown): [string, Record<string, unknown>][] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>).filter(
    (e): e is [string, Record<string, unknown>] => e[1] !== null && typeof e[1] === "object",
  );
}

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.map((v) => (typeof v === "string" ? v : JSON.stringify(v)))
    : [];
}

/**
 * Checks that need the whole manifest: references and names that must be unique. Runs
 * on unvalidated data, so every access is defensive.
 */
function crossCheck(data: unknown): RawProblem[] {
  const problems: RawProblem[] = [];
  const root = (data ?? {}) as Record<string, unknown>;
  const bottles = (root.bottles ?? {}) as Record<string, unknown>;
  const bottleNames = entries(bottles).map(([name]) => name);
  for (const [agentName, agentRaw] of entries(root.agents)) {
    const agent = { bottle: agentRaw.bottle, skills: strings(agentRaw.skills) };
    if (typeof agent.bottle === "string" && !bottleNames.includes(agent.bottle)) {
      const known = bottleNames.length > 0 ? bottleNames.map((b) => `"${b}"`).join(", ") : "none";
      problems.push({
        path: ["agents", agentName, "bottle"],
        message: `unknown bottle "${agent.bottle}" (known: ${known})`,
      });
    }
    duplicates(agent.skills.map((s) => basename(s.replace(/\/+$/, "")))).forEach((i) => {
      problems.push({
        path: ["agents", agentName, "skills", i],
        message: `duplicate skill name "${basename(agent.skills[i]!.replace(/\/+$/, ""))}"`,
      });
    });
  }
  for (const [bottleName, bottleRaw] of entries(bottles)) {
    const egress = (bottleRaw.egress ?? {}) as Record<string, unknown>;
    const routes = Array.isArray(egress.routes)
      ? egress.routes.map((r) => ({
        host: String((r as Record<string, unknown> | null)?.host ?? ""),
        headers: entries({ h: (r as Record<string, unknown> | null)?.headers ?? {} })[0]?.[1] ?? {},
      }))
      : [];
    const bottle = {
      egress: { allow: strings(egress.allow), routes },
      git: Array.isArray(bottleRaw.git)
        ? bottleRaw.git.map((g) => ({
          name: String((g as Record<string, unknown> | null)?.name ?? ""),
        }))
        : [],
    };
    duplicates(bottle.egress.allow).forEach((i) => {
      problems.push({
        path: ["bottles", bottleName, "egress", "allow", i],
        message: `duplicate host pattern "${bottle.egress.allow[i]}"`,
      });
    });
    duplicates(bottle.egress.routes.map((r) => r.host)).forEach((i) => {
      problems.push({
        path: ["bottles", bottleName, "egress", "routes", i, "host"],
        message: `duplicate route host "${bottle.egress.routes[i]!.host}"`,
      });
    });
    duplicates(bottle.git.map((g) => g.name)).forEach((i) => {
      problems.push({
        path: ["bottles", bottleName, "git", i, "name"],
        message: `duplicate git entry name "${bottle.git[i]!.name}"`,
      });
    });
    bottle.egress.routes.forEach((route, r) => {
      duplicates(Object.keys(route.headers).map((h) => h.toLowerCase())).forEach((i) => {
        const name = Object.keys(route.headers)[i]!;
        problems.push({
          path: ["bottles", bottleName, "egress", "routes", r, "headers", name],
          message: `duplicate header "${name}" (header names are case-insensitive)`,
        });
      });
    });
  }
  return problems;
}

/** Indexes of entries equal to an earlier entry. */
function duplicates(values: string[]): number[] {
  const seen = new Set<string>();
  const dups: number[] = [];
  values.forEach((v, i) => {
    if (v === "") return;
    if (seen.has(v)) dups.push(i);
    seen.add(v);
  });
  return dups;
}

function describeIssue(
  doc: YAML.Document,
  data: unknown,
  issue: z.core.$ZodIssue,
  at: (offset: number | undefined) => { line?: number; column?: number },
): ManifestProblem[] {
  const path = issue.path as Path;
  if (issue.code === "unrecognized_keys") {
    const known = knownKeys(path);
    return issue.keys.map((key) => {
      const suggestion = closest(key, known);
      const message = `unknown key "${key}"` +
        (suggestion
          ? ` (did you mean "${suggestion}"?)`
          : known.length
          ? ` (known: ${known.join(", ")})`
          : "");
      return { path: formatPath([...path, key]), ...at(offsetOfKey(doc, path, key)), message };
    });
  }
  if (issue.code === "invalid_union") {
    // The branch whose shape the value has (its keys, or a string for a string branch)
    // says what is wrong; when none has, list the forms.
    const input = valueIn(data, path);
    const shaped = issue.errors.filter((branch) =>
      branch.length > 0 && !branch.some((i) =>
        i.path.length === 0 &&
        (i.code === "unrecognized_keys" || i.code === "invalid_type")
      ) && !branch.some((i) =>
        i.code === "invalid_type" && i.path.length === 1 &&
        valueIn(input, i.path as Path) === undefined
      )
    );
    if (shaped.length === 1) {
      return shaped[0]!.flatMap((inner) =>
        describeIssue(
          doc,
          data,
          { ...inner, path: [...path, ...inner.path] } as z.core.$ZodIssue,
          at,
        )
      );
    }
    const forms = path.includes("headers")
      ? '{ env: NAME }, "Bearer ${NAME}" (a template), { template: "..." } or { basic: { user, password_env } }'
      : "one of the accepted forms";
    return [{
      path: formatPath(path),
      ...at(offsetOfPath(doc, path)),
      message: `expected ${forms}, got ${describeValue(input)}`,
    }];
  }
  let message = issue.message;
  if (issue.code === "invalid_key") {
    const inner = issue.issues[0]?.message ?? "invalid";
    message = `name "${String(path[path.length - 1])}" ${inner}`;
    return [{
      path: formatPath(path),
      ...at(offsetOfKey(doc, path.slice(0, -1), String(path.at(-1)))),
      message,
    }];
  }
  if (issue.code === "invalid_type") {
    const input = valueIn(data, path);
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    message = input === undefined
      ? `missing required key (expected ${expected})`
      : `expected ${expected}, got ${describeValue(input)}`;
  } else if (issue.code === "invalid_value") {
    message = issue.values.length === 1
      ? `must be ${JSON.stringify(issue.values[0])}`
      : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  } else if (issue.code === "invalid_format" && issue.format === "regex") {
    message = `${quoted(valueAt(doc, path))} ${issue.message}`;
  } else if (issue.code === "too_small" && issue.origin === "string") {
    message = Number(issue.minimum) <= 1 ? "must not be empty" : issue.message;
  }
  return [{ path: formatPath(path), ...at(offsetOfPath(doc, path)), message }];
}

/** Zod's type names, as a YAML author would say them. */
const EXPECTED: Record<string, string> = {
  object: "a mapping",
  record: "a mapping",
  array: "a list",
  string: "a string",
  boolean: "true or false",
  number: "a number",
};

function valueIn(data: unknown, path: Path): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

/**
 * A value as an error shows it, unless the secret detector flags it: a token pasted where
 * a variable's name goes (`password_env: ghp_...`) would land in a terminal or a CI log.
 */
function quoted(value: unknown): string {
  if (typeof value === "string" && findSecrets(value).length > 0) {
    return "the value (it looks like a secret, so it is not shown)";
  }
  return JSON.stringify(value);
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `the ${typeof value} ${JSON.stringify(value)}`;
}

/** The keys the schema allows at `path`, for "did you mean". */
function knownKeys(path: Path): string[] {
  let schema: unknown = ManifestSchema;
  for (const segment of path) {
    schema = unwrap(schema);
    const def = (schema as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) return [];
    if (def.type === "object") {
      schema = (def.shape as Record<string, unknown>)[String(segment)];
    } else if (def.type === "record") {
      schema = def.valueType;
    } else if (def.type === "array") {
      schema = def.element;
    } else {
      return [];
    }
  }
  const def = (unwrap(schema) as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  return def?.type === "object"
    ? Object.keys(def.shape as object).filter((k) => k !== "$schema")
    : [];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { _zod?: { def?: { type?: string; innerType?: unknown } } };
  while (
    s?._zod?.def && ["default", "optional", "nullable", "prefault"].includes(s._zod.def.type ?? "")
  ) {
    s = s._zod.def.innerType as typeof s;
  }
  return s;
}

/** The known key nearest to `key` by edit distance, if it is close enough to be a typo. */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** `bottles.dev.git[0].name` */
export function formatPath(path: Path): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z0-9_$-]+$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function valueAt(doc: YAML.Document, path: Path): unknown {
  const node = doc.getIn(path, true);
  return YAML.isScalar(node) ? node.value : node;
}

/** Offset of the deepest node along `path` that exists. */
function offsetOfPath(doc: YAML.Document, path: Path): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const prefix = path.slice(0, n);
    const node = prefix.length === 0 ? doc.contents : doc.getIn(prefix, true);
    if (YAML.isNode(node) && node.range) {
      // A missing key points at the mapping that should hold it.
      return node.range[0];
    }
  }
  return undefined;
}

function offsetOfKey(doc: YAML.Document, mapPath: Path, key: string): number | undefined {
  const map = mapPath.length === 0 ? doc.contents : doc.getIn(mapPath, true);
  if (YAML.isMap(map)) {
    for (const pair of map.items) {
      if (YAML.isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) {
        return pair.key.range[0];
      }
    }
  }
  return offsetOfPath(doc, mapPath);
}

/** Key path of the innermost mapping entry containing `offset`, for YAML errors. */
function pathOfOffset(doc: YAML.Document, offset: number): string {
  const path: Path = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (YAML.isMap(node)) {
      const pair = node.items.find((p) => {
        const start = YAML.isNode(p.key) ? p.key.range?.[0] : undefined;
        const end = YAML.isNode(p.value)
          ? p.value.range?.[2]
          : YAML.isNode(p.key)
          ? p.key.range?.[2]
          : undefined;
        return start !== undefined && end !== undefined && offset >= start && offset <= end;
      });
      if (!pair || !YAML.isScalar(pair.key)) break;
      path.push(String(pair.key.value));
      if (YAML.isNode(pair.key) && pair.key.range && offset <= pair.key.range[1]) break;
      node = pair.value;
    } else if (YAML.isSeq(node)) {
      const index = node.items.findIndex((item) =>
        YAML.isNode(item) && item.range && offset >= item.range[0] && offset <= item.range[2]
      );
      if (index === -1) break;
      path.push(index);
      node = node.items[index];
    } else {
      break;
    }
  }
  return formatPath(path);
}

function describeKeyAt(text: string, offset: number): string {
  const match = /^["']?([^"':\s]+)/.exec(text.slice(offset));
  return match ? `"${match[1]}"` : "";
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}

function sortProblems(problems: ManifestProblem[]): ManifestProblem[] {
  return problems.toSorted((a, b) =>
    (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)
  );
}
