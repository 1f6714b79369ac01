/**
 * @module
 * The table of agent profiles: images, provisioning and `start` read an agent's kind
 * here and nowhere else.
 */

import { claude } from "./claude.ts";
import { codex } from "./codex.ts";
import { gemini } from "./gemini.ts";
import type { AgentKind, AgentProfile, Credential } from "./types.ts";

export type {
  AgentFile,
  AgentKind,
  AgentProfile,
  AgentSetup,
  Credential,
  HeaderValue,
} from "./types.ts";
export { AGENT_KINDS } from "./types.ts";

/** Every profile, by kind. */
export const PROFILES: Readonly<Record<AgentKind, AgentProfile>> = { claude, codex, gemini };

/** The profile of `kind`. */
export function profile(kind: AgentKind): AgentProfile {
  return PROFILES[kind];
}

/** The credential a kind of agent sends to `host` in `header`, if it is one it knows. */
export function knownCredential(
  kind: AgentKind,
  host: string,
  header: string,
): Credential | undefined {
  return profile(kind).credentials.find((c) =>
    c.host === host.toLowerCase() && c.header === header.toLowerCase()
  );
}

/** The placeholder for an agent variable: shaped like its credential when the profile knows it. */
export function placeholderFor(kind: AgentKind, agentEnv: string, fallback: string): string {
  return profile(kind).credentials.find((c) => c.agentEnv === agentEnv)?.placeholder ?? fallback;
}
