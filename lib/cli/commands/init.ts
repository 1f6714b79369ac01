/**
 * @module
 * `bot-bottle init`: writes a commented starter manifest, never over an existing file,
 * with the route for the way you log in to Claude Code: an API key, or a subscription's
 * long-lived token from `claude setup-token`.
 */

import { resolve } from "node:path";
import starter from "../../../examples/bot-bottle.yaml" with { type: "text" };
import { BotBottleError, UsageError } from "../../errors.ts";
import { log } from "../../log.ts";
import { manifestPath } from "../../manifest/read.ts";
import type { Command } from "../command.ts";

/** The starter manifest `init` writes (the shipped example). */
export const STARTER_MANIFEST: string = starter;

/** How Claude Code logs in. */
export type Login = "api-key" | "subscription";
const LOGINS: readonly Login[] = ["api-key", "subscription"];

const API_KEY_ROUTE = "            x-api-key: { env: ANTHROPIC_API_KEY }\n";
const SUBSCRIPTION_ROUTE =
  "            # the token from `claude setup-token`; Claude Code in the bottle holds a placeholder\n" +
  '            authorization: "Bearer ${CLAUDE_CODE_OAUTH_TOKEN}"\n';

/** The starter manifest for a way of logging in. */
export function starterManifest(login: Login): string {
  if (!STARTER_MANIFEST.includes(API_KEY_ROUTE)) {
    throw new Error("the shipped example no longer holds the API-key route init rewrites");
  }
  return login === "api-key"
    ? STARTER_MANIFEST
    : STARTER_MANIFEST.replace(API_KEY_ROUTE, SUBSCRIPTION_ROUTE);
}

/** What to export next, per login. */
const NEXT: Record<Login, string> = {
  "api-key": "export ANTHROPIC_API_KEY=...",
  subscription: "run `claude setup-token` and export CLAUDE_CODE_OAUTH_TOKEN=<the token it prints>",
};

function askLogin(): Login {
  const answer = prompt(
    "Log Claude Code in with an API key (1) or a Pro/Max subscription token from `claude setup-token` (2)? [1]",
  )?.trim();
  return answer === "2" || answer === "subscription" ? "subscription" : "api-key";
}

export const initCommand: Command = {
  name: "init",
  summary: "Write a commented starter bot-bottle.yaml",
  synopsis: "[--login api-key|subscription]",
  description: `
Writes the starter manifest to --manifest FILE (default ./bot-bottle.yaml). An existing
file is never overwritten. --login says how Claude Code logs in: with an API key
(ANTHROPIC_API_KEY, sent as x-api-key), or with a Pro/Max subscription token from
\`claude setup-token\` (CLAUDE_CODE_OAUTH_TOKEN, sent as Authorization: Bearer). Either
way the real value stays on the host; init asks when --login is not given and it runs
in a terminal, and uses api-key otherwise.`,
  options: {
    login: {
      type: "string",
      choices: LOGINS,
      description: "How Claude Code logs in: api-key or subscription",
    },
  },
  args: { min: 0, max: 0, names: "" },
  examples: ["bot-bottle init", "bot-bottle init --login subscription"],
  async run(ctx) {
    const file = manifestPath(
      ctx.values.manifest as string | undefined,
      ctx.env.BOT_BOTTLE_MANIFEST,
    );
    const given = ctx.values.login as string | undefined;
    if (given !== undefined && !LOGINS.includes(given as Login)) {
      throw new UsageError(`--login: choose ${LOGINS.join(" or ")}`);
    }
    const login = (given as Login | undefined) ??
      (Deno.stdin.isTerminal() && Deno.stdout.isTerminal() ? askLogin() : "api-key");
    const path = resolve(ctx.cwd, file);
    try {
      await Deno.writeTextFile(path, starterManifest(login), { createNew: true });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new BotBottleError(`"${file}" already exists; not overwriting it`, {
          hint: "Remove it first, or pass --manifest OTHER.yaml",
        });
      }
      throw new BotBottleError(`Cannot write "${file}": ${(error as Error).message}`);
    }
    log.info(`Wrote ${file}. Next: ${NEXT[login]}, then run \`bot-bottle start claude\``);
  },
};
