/**
 * @module
 * What bot-bottle needs to know about an agent CLI to bottle it: how its image gets the
 * CLI, where its configuration and prompt go, how it runs unattended, which credentials
 * it sends to which host (and where it reads them), and how it registers an MCP server.
 * Adding a kind of agent is adding one profile; nothing else branches on the kind.
 */

/** The kinds of agent bot-bottle can bottle. */
export const AGENT_KINDS = ["claude", "codex", "gemini"] as const;
export type AgentKind = typeof AGENT_KINDS[number];

/** How a route header's value is written from host variables (the manifest's forms). */
export type HeaderValue =
  | { env: string }
  | { template: string }
  | { basic: { user?: string; user_env?: string; password_env: string } };

/** One way the CLI logs in: a credential it sends to a host, and where it reads it. */
export interface Credential {
  /** What people call this login: "API key", "subscription". */
  login: string;
  host: string;
  /** The header the CLI sends it in, lower case. */
  header: string;
  /** The host variable people keep it in (what `init` writes). */
  hostEnv: string;
  /** How the route writes the header from `hostEnv`. */
  value: HeaderValue;
  /** The variable the CLI reads it from in the guest; it holds `placeholder` there. */
  agentEnv: string;
  /** A stand-in shaped like the real value (some CLIs read the prefix). */
  placeholder: string;
  /** What a real value of this credential starts with, for `doctor`. */
  prefix?: string;
}

/** A file provisioning writes in the guest, as the agent's user. */
export interface AgentFile {
  path: string;
  content: string;
  mode: number;
}

/** What a profile's files and command depend on. */
export interface AgentSetup {
  home: string;
  workdir: string;
  permissions: "unattended" | "ask";
  /** Agent variables that hold a placeholder, with their values. */
  placeholders: Record<string, string>;
  /** The supervise MCP server, when the bottle runs it. */
  mcp?: { name: string; url: string };
  /** The bottle's CA certificate path in the guest. */
  caPath: string;
  /** Whether the agent has a prompt (at the profile's `promptPath`). */
  prompt: boolean;
  /** Arguments the person passed after `--`. */
  args: string[];
}

/** One kind of agent. */
export interface AgentProfile {
  kind: AgentKind;
  /** The CLI's name, as people know it. */
  title: string;
  /** The executable. */
  binary: string;
  /**
   * The npm package the image installs, pinned to the release bot-bottle is tested with,
   * and packages it needs first (a newer node than Debian's, from the npm registry).
   */
  npm: { package: string; version: string; requires?: string[] };
  credentials: readonly Credential[];
  /** Where the manifest's prompt goes in the guest. */
  promptPath(home: string): string;
  /** Where skill directories go, when the CLI has skills. */
  skillsPath?(home: string): string;
  /** Environment the CLI needs in the guest (beyond the proxy and the CA). */
  env(setup: AgentSetup): Record<string, string>;
  /** Configuration files: onboarding done, unattended mode, MCP servers. */
  files(setup: AgentSetup): AgentFile[];
  /** A command that registers the MCP server, for CLIs configured that way. */
  mcpCommand?(setup: AgentSetup): string[] | undefined;
  /** What `start` runs. */
  command(setup: AgentSetup): string[];
  /** A command that says whether the CLI counts itself logged in (exit 0), for tests and `doctor`. */
  loginCheck?: string[];
}
