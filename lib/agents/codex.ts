/**
 * @module
 * The OpenAI Codex CLI (`@openai/codex`, a native binary). Verified against the pinned
 * release: it honours `HTTPS_PROXY`, trusts `CODEX_CA_CERTIFICATE` (and the system
 * store), and a model provider in `~/.codex/config.toml` with `env_key` sends that
 * variable as `Authorization: Bearer` to `base_url` + `/responses`. The provider turns
 * WebSockets off (the proxy speaks HTTP; otherwise Codex retries a WebSocket five times
 * before falling back). Its own sandbox (bubblewrap, landlock) cannot run in a container
 * without privileges, so it runs with that sandbox off: the bottle is the sandbox.
 * Instructions go in `~/.codex/AGENTS.md`; `codex exec PROMPT` runs headless.
 */

import type { AgentProfile, AgentSetup } from "./types.ts";

export const OPENAI_PLACEHOLDER = "sk-bot-bottle-placeholder";

/** A TOML basic string. */
function str(value: string): string {
  return JSON.stringify(value);
}

/** `~/.codex/config.toml`. */
export function codexConfig(setup: AgentSetup): string {
  const lines = [
    "# Written by bot-bottle. The bottle is the sandbox; the proxy holds the real key.",
    'model_provider = "bot-bottle-openai"',
    `approval_policy = ${str(setup.permissions === "unattended" ? "never" : "on-request")}`,
    'sandbox_mode = "danger-full-access"',
    "",
    "[model_providers.bot-bottle-openai]",
    'name = "OpenAI (through the bottle\'s proxy)"',
    'base_url = "https://api.openai.com/v1"',
    'env_key = "OPENAI_API_KEY"',
    'wire_api = "responses"',
    "supports_websockets = false",
    "",
    ...[...new Set([setup.workdir, setup.home])].flatMap((dir) => [
      `[projects.${str(dir)}]`,
      'trust_level = "trusted"',
      "",
    ]),
  ];
  if (setup.mcp) {
    lines.push(
      `[mcp_servers.${setup.mcp.name}]`,
      `url = ${str(setup.mcp.url)}`,
      // supervise waits up to ten minutes for a person.
      "tool_timeout_sec = 660",
      "",
    );
  }
  return lines.join("\n");
}

export const codex: AgentProfile = {
  kind: "codex",
  title: "Codex CLI",
  binary: "codex",
  npm: { package: "@openai/codex", version: "0.171.0" },
  credentials: [
    {
      login: "API key",
      host: "api.openai.com",
      header: "authorization",
      hostEnv: "OPENAI_API_KEY",
      value: { template: "Bearer ${OPENAI_API_KEY}" },
      agentEnv: "OPENAI_API_KEY",
      placeholder: OPENAI_PLACEHOLDER,
      prefix: "sk-",
    },
  ],
  promptPath: (home) => `${home}/.codex/AGENTS.md`,
  env: (setup) => ({ CODEX_CA_CERTIFICATE: setup.caPath }),
  files: (
    setup,
  ) => [{ path: `${setup.home}/.codex/config.toml`, content: codexConfig(setup), mode: 0o600 }],
  command: (setup) => ["codex", ...setup.args],
};
