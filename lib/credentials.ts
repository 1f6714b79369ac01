/**
 * @module
 * Route header values: which host variables each form reads, how it reads in the plan,
 * and its rendering on the host (the only place a value is put together; it goes to the
 * bundle and nowhere else). Also the mistakes people make with them, for `doctor`.
 */

import type { HeaderValue } from "./agents/mod.ts";

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The host variables a header value reads, in order, each once. */
export function headerVars(value: HeaderValue): string[] {
  if ("env" in value) return [value.env];
  if ("template" in value) return [...new Set([...value.template.matchAll(VAR)].map((m) => m[1]!))];
  return [
    ...new Set([value.basic.user_env, value.basic.password_env].filter((v) => v !== undefined)),
  ];
}

/** How the plan shows a header value: its form and variables, never a value. */
export function describeHeader(value: HeaderValue): string {
  if ("env" in value) return `$${value.env}`;
  if ("template" in value) return `"${value.template}"`;
  const user = value.basic.user_env ? `$${value.basic.user_env}` : `"${value.basic.user ?? ""}"`;
  return `Basic auth, user ${user}, password $${value.basic.password_env}`;
}

/**
 * The header value from the host's variables, and the secrets it holds (the raw values,
 * and the encoded Basic credentials) for DLP and echo scrubbing. Throws on an unset
 * variable, naming it.
 */
export function renderHeader(
  value: HeaderValue,
  env: Record<string, string | undefined>,
  unset: (name: string) => Error,
): { value: string; secrets: string[] } {
  const read = (name: string) => {
    const v = env[name];
    if (v === undefined || v === "") throw unset(name);
    return v;
  };
  if ("env" in value) {
    const v = read(value.env);
    return { value: v, secrets: [v] };
  }
  if ("template" in value) {
    const raw: string[] = [];
    const rendered = value.template.replace(VAR, (_, name: string) => {
      const v = read(name);
      raw.push(v);
      return v;
    });
    return { value: rendered, secrets: [rendered, ...raw] };
  }
  const user = value.basic.user_env ? read(value.basic.user_env) : value.basic.user ?? "";
  const password = read(value.basic.password_env);
  const encoded = btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)));
  return { value: `Basic ${encoded}`, secrets: [`Basic ${encoded}`, encoded, password] };
}

/** A credential a profile knows, as `doctor` checks it. */
export interface KnownLogin {
  login: string;
  header: string;
  prefix?: string;
  value: HeaderValue;
}

/**
 * What is wrong with a route header as set up on this host, in words a person can act
 * on (never quoting a value): a subscription token where an API key goes or the reverse,
 * a scheme written twice, an Authorization header without one.
 */
export function headerMistakes(
  host: string,
  header: string,
  value: HeaderValue,
  env: Record<string, string | undefined>,
  logins: readonly KnownLogin[],
): string[] {
  const out: string[] = [];
  let rendered: string;
  try {
    rendered = renderHeader(value, env, () => new Error("unset")).value;
  } catch {
    return out; // an unset variable is reported by the plan
  }
  const name = header.toLowerCase();
  const token = rendered.replace(/^(?:Bearer|Basic|Token)\s+/i, "");
  for (const other of logins) {
    if (!other.prefix || other.header === name || !token.startsWith(other.prefix)) continue;
    const here = logins.find((l) => l.header === name);
    out.push(
      `${host} ${header}: the value looks like a${
        /^[aeiou]/i.test(other.login) ? "n" : ""
      } ${other.login} ` +
        `credential, which goes in ${other.header}${
          here ? ` (this header is for the ${here.login})` : ""
        }; ` +
        `write it as ${other.header}: ${formatValue(other.value)}`,
    );
  }
  if (/^(Bearer|Basic|Token)\s+\1\s/i.test(rendered)) {
    out.push(
      `${host} ${header}: the scheme is written twice ("${rendered.split(/\s+/)[0]} ${
        rendered.split(/\s+/)[0]
      } ..."); keep only the token in the host variable`,
    );
  }
  if (name === "authorization" && !/^\S+\s+\S/.test(rendered)) {
    out.push(
      `${host} authorization: the value has no scheme; write it as authorization: "Bearer \${${
        headerVars(value)[0]
      }}"`,
    );
  }
  return out;
}

/** A header value as the manifest writes it. */
export function formatValue(value: HeaderValue): string {
  if ("env" in value) return `{ env: ${value.env} }`;
  if ("template" in value) return `"${value.template}"`;
  return `{ basic: ${JSON.stringify(value.basic)} }`;
}
