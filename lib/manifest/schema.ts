/**
 * @module
 * The manifest's one schema. `bot-bottle schema` prints it as JSON Schema, the loader
 * validates with it, and the plan reads the typed result.
 */

import { z } from "./deps.ts";
import { type AgentKind, PROFILES } from "../agents/mod.ts";
import { parseHostPattern } from "../net/hosts.ts";
import { findSecrets } from "../secrets/mod.ts";

const NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the proxy owns; a route may not set them. */
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "upgrade",
  "te",
  "trailer",
  "proxy-authorization",
  "proxy-connection",
  "keep-alive",
]);

/** Bottle, agent and git entry names: they end up in container and network names. */
export const Name = z.string().regex(
  NAME,
  "must be 1 to 40 characters of a-z, 0-9, '-' or '_', starting with a letter or digit",
);

const HostPatternString = z.string().superRefine((value, ctx) => {
  const parsed = parseHostPattern(value);
  if (typeof parsed === "string") {
    ctx.addIssue({ code: "custom", message: `bad host pattern "${value}": ${parsed}` });
  }
});

const RouteHost = z.string().superRefine((value, ctx) => {
  const parsed = parseHostPattern(value);
  if (typeof parsed === "string") {
    ctx.addIssue({ code: "custom", message: `bad route host "${value}": ${parsed}` });
  } else if (parsed.kind === "wildcard") {
    ctx.addIssue({
      code: "custom",
      message: `bad route host "${value}": a route names one exact host, not a pattern`,
    });
  }
});

/**
 * A token pasted where a variable's name goes (`password_env: ghp_...`) is a valid name:
 * it would be printed by `plan` and given to the agent as a variable's name.
 */
const SECRET_AS_NAME =
  "looks like a secret, not the name of a host variable: export the secret in a variable and name the variable here";

const EnvName = z.string().regex(ENV_NAME, "must be an environment variable name").refine(
  (name) => findSecrets(name).length === 0,
  { message: SECRET_AS_NAME },
);

const TEMPLATE_VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A header value written around host variables: `"Bearer ${GITHUB_TOKEN}"`. */
const Template = z.string().min(1).superRefine((value, ctx) => {
  if (![...value.matchAll(TEMPLATE_VAR)].length) {
    ctx.addIssue({
      code: "custom",
      message:
        "a header value is written from host variables, as ${NAME}; put the secret in a host variable, not in the manifest",
    });
  }
  for (const [, name] of value.matchAll(TEMPLATE_VAR)) {
    if (findSecrets(name!).length > 0) ctx.addIssue({ code: "custom", message: SECRET_AS_NAME });
  }
  const rest = value.replace(TEMPLATE_VAR, "");
  if (/\$\{/.test(rest)) {
    ctx.addIssue({ code: "custom", message: "a ${...} that is not a variable name" });
  }
  if (/[\r\n]/.test(rest)) ctx.addIssue({ code: "custom", message: "no line breaks in a header" });
  if (findSecrets(rest).length > 0) {
    ctx.addIssue({
      code: "custom",
      message: "the template holds what looks like a secret; put it in a host variable",
    });
  }
});

/**
 * Where a route header's value comes from: always the host's environment. A host
 * variable as is (`{ env: NAME }`), a template around variables (`"Bearer ${NAME}"` or
 * `{ template: ... }`), or Basic auth from a user and a password variable.
 */
export const HeaderSource = z.union([
  z.strictObject({
    env: EnvName.describe("Host environment variable holding the value; never enters the agent"),
  }),
  Template.transform((template) => ({ template })).describe(
    'The value written around host variables, such as "Bearer ${GITHUB_TOKEN}"',
  ),
  z.strictObject({
    template: Template.describe(
      'The value written around host variables, such as "Bearer ${GITHUB_TOKEN}"',
    ),
  }),
  z.strictObject({
    basic: z.strictObject({
      user: z.string().regex(/^[^:\r\n]*$/, "a user name has no ':' or line break").optional()
        .describe("The user name, when it is no secret (x-access-token, oauth2)"),
      user_env: EnvName.optional().describe("Host variable holding the user name"),
      password_env: EnvName.describe("Host variable holding the password or token"),
    }).refine((b) => (b.user === undefined) !== (b.user_env === undefined), {
      message: "give exactly one of user and user_env",
    }),
  }).describe("HTTP Basic auth: Authorization: Basic base64(user:password)"),
]);

const HeaderName = z.string().regex(HEADER_NAME, "must be an HTTP header name").refine(
  (h) => !RESERVED_HEADERS.has(h.toLowerCase()),
  { message: "is owned by the proxy and cannot be set by a route" },
);

/** A host whose TLS the proxy terminates so that it can set headers. */
export const Route = z.strictObject({
  host: RouteHost.describe("Exact host to intercept; it is also allowed"),
  headers: z.record(HeaderName, HeaderSource).default({}).describe(
    "Headers the proxy sets on every request to the host",
  ),
  agent_env: z.union([EnvName.transform((name) => [name]), z.array(EnvName)]).optional()
    .describe(
      "Agent variables that hold a placeholder for this route's credential, where the agent's CLI looks (default: what the CLI reads for this host and header, else the host variables' names)",
    ),
  model: z.boolean().optional().describe(
    "Whether this route is the agent's model API (a gateway it talks to in place of the provider): with dlp: block a secret in its conversation is cut out of a request rather than the request refused (default: true for a host and header the agent's CLI is known to use)",
  ),
});

const GitUpstream = z.string().refine(
  (u) =>
    /^ssh:\/\/[^/\s]+\/\S+$/.test(u) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s/][^\s]*$/.test(u),
  { message: "must be an SSH URL: ssh://user@host[:port]/path or user@host:path" },
).refine((u) => findSecrets(u).length === 0, {
  // It is in the plan and the agent's git config: the gate's key is the only credential.
  message:
    "holds what looks like a secret; the gate pushes with identity_file, so the URL needs none",
});

/** One upstream repository reached through the git gate. */
export const GitEntry = z.strictObject({
  name: Name.describe("Served by the gate as <name>.git"),
  upstream: GitUpstream.describe("The real remote, reached only by the gate"),
  identity_file: z.string().min(1).describe("SSH private key on the host; only the gate gets it"),
  known_hosts: z.string().min(1).optional().describe(
    "known_hosts file for the upstream host (default: ~/.ssh/known_hosts)",
  ),
  allow_force_push: z.boolean().default(false),
  allow_delete: z.boolean().default(false),
  protected_paths: z.array(z.string().min(1)).default([]).describe(
    "Glob patterns a push may not touch, such as .github/workflows/**",
  ),
});

/** A value the person declares public; never a bottle's credential (checked at start). */
const PublicValue = z.string().min(8, "must be 8 characters or more").max(4096).regex(
  /^[\x21-\x7e]+$/,
  "must be printable ASCII without spaces, as a token is written",
);

/** Egress policy of a bottle. */
export const Egress = z.strictObject({
  allow: z.array(HostPatternString).default([]).describe(
    "Hosts the agent may reach: exact names, *.domain, or IPv4, each with an optional :port",
  ),
  routes: z.array(Route).default([]),
  passthrough: z.array(HostPatternString).default([]).describe(
    "Allowed hosts tunnelled end to end, unscanned (clients that pin certificates or use mTLS); every other allowed HTTPS host is intercepted so that DLP sees its requests",
  ),
  secrets: z.array(EnvName).default([]).describe(
    "Host environment variables whose values DLP refuses to let out (the values never enter the agent)",
  ),
  dlp: z.enum(["block", "audit", "off"]).default("block").describe(
    "What a secret found in an outbound request does: block it (default; in a request to the agent's own model, one written as it is is cut out instead), only log it, or off (no scanning)",
  ),
  allow_private: z.array(
    z.string().refine((c) => /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(c), {
      message: "must be an IPv4 CIDR such as 10.0.0.0/8",
    }),
  ).default([]).describe(
    "Private or local IPv4 ranges that allowed names may resolve to (refused by default: DNS rebinding, SSRF)",
  ),
});

/** The git gate's rules for the work a `--cwd` agent brings home. */
export const WorkspaceRules = z.strictObject({
  allow_force_push: z.boolean().default(true).describe(
    "Whether the agent may rewrite its own branches (they come home under refs/heads/bot-bottle/<bottle>/, never onto yours)",
  ),
  protected_paths: z.array(z.string().min(1)).default([]).describe(
    "Glob patterns the agent's work may not touch, such as .github/workflows/**",
  ),
});

/** A sandbox policy. */
export const Bottle = z.strictObject({
  backend: z.enum(["docker", "smolvm"]).default("docker").describe(
    "Where the agent runs; BOT_BOTTLE_BACKEND and --backend override it",
  ),
  egress: Egress.default({
    allow: [],
    routes: [],
    passthrough: [],
    secrets: [],
    dlp: "block",
    allow_private: [],
  }),
  git: z.array(GitEntry).default([]),
  workspace: WorkspaceRules.default({ allow_force_push: true, protected_paths: [] }).describe(
    "How the git gate treats the work of a --cwd agent on its way home",
  ),
  supervise: z.boolean().default(false).describe(
    "Run the supervise MCP server so the agent can ask a person on the host",
  ),
  public_values: z.array(PublicValue).default([]).describe(
    "Values that look like secrets but are public by design (a Firebase web API key, a search-only API key): exact values, as written; DLP, the git gate and the --cwd copy do not count them as secrets",
  ),
});

/** What runs inside a bottle. */
export const Agent = z.strictObject({
  kind: z.enum(Object.keys(PROFILES) as [AgentKind, ...AgentKind[]]).default("claude").describe(
    "Which agent CLI runs in the bottle: claude (Claude Code), codex (OpenAI Codex CLI) or gemini (Gemini CLI)",
  ),
  bottle: Name.describe("Name of a bottle in this manifest"),
  prompt: z.string().optional().describe(
    "Added to the agent's instructions (Claude Code: appended to its system prompt)",
  ),
  skills: z.array(z.string().min(1)).default([]).describe(
    "Skill directories (each holding SKILL.md), relative to the manifest (Claude Code only)",
  ),
  permissions: z.enum(["unattended", "ask"]).default("unattended").describe(
    "unattended (default): the agent runs commands without asking, the bottle is the guard; ask: it asks before each command, as outside a bottle",
  ),
});

/** The whole manifest, before cross-references are checked. */
export const ManifestSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1).default(1),
  bottles: z.record(Name, Bottle),
  agents: z.record(Name, Agent),
});

export type Manifest = z.output<typeof ManifestSchema>;
export type BottleSpec = z.output<typeof Bottle>;
export type AgentSpec = z.output<typeof Agent>;
export type GitEntrySpec = z.output<typeof GitEntry>;
export type RouteSpec = z.output<typeof Route>;
export type WorkspaceRulesSpec = z.output<typeof WorkspaceRules>;

/** The JSON Schema of the manifest as users write it (defaults optional). */
export function manifestJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ManifestSchema, { io: "input", target: "draft-2020-12" });
  return {
    ...schema,
    $id: "https://bot-bottle.dev/schema/manifest-v1.json",
    title: "bot-bottle manifest",
  };
}
