/**
 * @module
 * Google's Gemini CLI (`@google/gemini-cli`, node 20+, so its image also gets node 22 from
 * the npm registry's `node` package). Verified against the pinned release:
 * it honours `HTTPS_PROXY` and `NODE_EXTRA_CA_CERTS`, sends `GEMINI_API_KEY` as
 * `x-goog-api-key` to generativelanguage.googleapis.com once settings select the API-key
 * login, trusts the workspace with `GEMINI_CLI_TRUST_WORKSPACE=true`, and runs every tool
 * without asking only when started with `--approval-mode=yolo` (settings cannot say so).
 * Instructions go in `~/.gemini/GEMINI.md`; `gemini -p PROMPT` runs headless.
 */

import type { AgentProfile, AgentSetup } from "./types.ts";

/** `~/.gemini/settings.json`. */
export function geminiSettings(setup: AgentSetup): Record<string, unknown> {
  return {
    security: { auth: { selectedType: "gemini-api-key" } },
    general: { disableAutoUpdate: true, disableUpdateNag: true },
    privacy: { usageStatisticsEnabled: false },
    ...(setup.mcp
      ? { mcpServers: { [setup.mcp.name]: { httpUrl: setup.mcp.url, timeout: 660_000 } } }
      : {}),
  };
}

export const gemini: AgentProfile = {
  kind: "gemini",
  title: "Gemini CLI",
  binary: "gemini",
  // It needs node 20 or later; Debian bookworm's is 18.
  npm: { package: "@google/gemini-cli", version: "0.61.0", requires: ["node@22.23.3"] },
  credentials: [
    {
      login: "API key",
      host: "generativelanguage.googleapis.com",
      header: "x-goog-api-key",
      hostEnv: "GEMINI_API_KEY",
      value: { env: "GEMINI_API_KEY" },
      agentEnv: "GEMINI_API_KEY",
      placeholder: "bot-bottle-placeholder",
      prefix: "AIza",
    },
  ],
  promptPath: (home) => `${home}/.gemini/GEMINI.md`,
  env: () => ({ GEMINI_CLI_TRUST_WORKSPACE: "true" }),
  files: (setup) => [{
    path: `${setup.home}/.gemini/settings.json`,
    content: JSON.stringify(geminiSettings(setup), null, 2) + "\n",
    mode: 0o600,
  }],
  command: (setup) => [
    "gemini",
    ...(setup.permissions === "unattended" ? ["--approval-mode=yolo"] : []),
    ...setup.args,
  ],
};
