/**
 * @module
 * Claude Code. Logs in with an API key (`x-api-key`, read from `ANTHROPIC_API_KEY`) or a
 * subscription's long-lived OAuth token from `claude setup-token` (`Authorization:
 * Bearer`, read from `CLAUDE_CODE_OAUTH_TOKEN`; the `sk-ant-oat01-` prefix tells Claude
 * Code it is in subscription mode, so the placeholder carries it). Verified against the
 * pinned release: with that variable set it sends `Authorization: Bearer <value>` and
 * `anthropic-beta: ...oauth-2025-04-20...`, and `claude auth status` says logged in.
 */

import type { AgentProfile, AgentSetup } from "./types.ts";

/** The placeholder in `ANTHROPIC_API_KEY`; its last 20 characters are pre-approved. */
export const API_KEY_PLACEHOLDER = "bot-bottle-placeholder";
export const OAUTH_PLACEHOLDER = "sk-ant-oat01-bot-bottle-placeholder";

/** `~/.claude/settings.json`: unattended runs with no permission prompts (the bottle is the guard). */
export function claudeUserSettings(permissions: "unattended" | "ask"): Record<string, unknown> {
  return permissions === "unattended"
    ? { permissions: { defaultMode: "bypassPermissions" }, skipDangerousModePermissionPrompt: true }
    : { permissions: { defaultMode: "default" } };
}

/**
 * `~/.claude.json`: onboarding done, the workspace trusted, a placeholder API key
 * accepted, the supervise MCP server registered at user scope.
 */
export function claudeState(setup: AgentSetup): Record<string, unknown> {
  const trusted = { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true };
  const key = setup.placeholders.ANTHROPIC_API_KEY;
  return {
    hasCompletedOnboarding: true,
    theme: "dark",
    autoUpdates: false,
    ...(key ? { customApiKeyResponses: { approved: [key.slice(-20)], rejected: [] } } : {}),
    // What `claude mcp add --scope user --transport http` writes, without starting node.
    ...(setup.mcp
      ? { mcpServers: { [setup.mcp.name]: { type: "http", url: setup.mcp.url } } }
      : {}),
    projects: { [setup.workdir]: trusted, [setup.home]: trusted },
  };
}

export const claude: AgentProfile = {
  kind: "claude",
  title: "Claude Code",
  binary: "claude",
  npm: { package: "@anthropic-ai/claude-code", version: "2.1.332" },
  credentials: [
    {
      login: "API key",
      host: "api.anthropic.com",
      header: "x-api-key",
      hostEnv: "ANTHROPIC_API_KEY",
      value: { env: "ANTHROPIC_API_KEY" },
      agentEnv: "ANTHROPIC_API_KEY",
      placeholder: API_KEY_PLACEHOLDER,
      prefix: "sk-ant-api",
    },
    {
      login: "subscription",
      host: "api.anthropic.com",
      header: "authorization",
      hostEnv: "CLAUDE_CODE_OAUTH_TOKEN",
      value: { template: "Bearer ${CLAUDE_CODE_OAUTH_TOKEN}" },
      agentEnv: "CLAUDE_CODE_OAUTH_TOKEN",
      placeholder: OAUTH_PLACEHOLDER,
      prefix: "sk-ant-oat",
    },
  ],
  promptPath: (home) => `${home}/.bot-bottle-prompt.txt`,
  skillsPath: (home) => `${home}/.claude/skills`,
  env: () => ({ DISABLE_AUTOUPDATER: "1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1" }),
  files: (setup) => [
    { path: `${setup.home}/.claude.json`, content: json(claudeState(setup)), mode: 0o600 },
    {
      path: `${setup.home}/.claude/settings.json`,
      content: json(claudeUserSettings(setup.permissions)),
      mode: 0o600,
    },
  ],
  command: (setup) => [
    "claude",
    ...(setup.prompt ? ["--append-system-prompt-file", claude.promptPath(setup.home)] : []),
    ...setup.args,
  ],
  loginCheck: ["claude", "auth", "status"],
};

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}
