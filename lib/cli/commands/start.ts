/**
 * @module
 * `bot-bottle start`: the main job. Brings up a bottle, runs claude in it
 * interactively and tears everything down when claude exits.
 */

import { BotBottleError } from "../../errors.ts";
import type { Command } from "../command.ts";
import { PLAN_OPTIONS, runPlan } from "./plan.ts";

export const startCommand: Command = {
  name: "start",
  summary: "Start a bottle for AGENT, run Claude Code in it, and remove it on exit",
  synopsis: "AGENT [--cwd] [--backend docker|smolvm] [--dry-run] [-- CLAUDE_ARGS...]",
  description: `
Builds missing images, creates the bottle's networks, its sidecar bundle and the agent
guest, provisions the guest, then runs claude with your terminal attached. When claude
exits, on error, on Ctrl-C or on SIGTERM, everything the bottle created is removed.
Arguments after "--" go to claude. --dry-run prints the plan instead (like \`plan\`).`,
  options: {
    ...PLAN_OPTIONS,
    "dry-run": { type: "boolean", description: "Print the plan and create nothing" },
    format: {
      type: "string",
      choices: ["text", "json"],
      description: "Plan format with --dry-run",
    },
  },
  args: { min: 1, max: 1, names: "an AGENT name" },
  passthrough: true,
  examples: ["bot-bottle start claude", "bot-bottle start claude --cwd -- --model sonnet"],
  run(ctx) {
    if (ctx.values["dry-run"]) return runPlan(ctx);
    throw new BotBottleError(`"bot-bottle start" is not implemented in this version yet`, {
      hint: "Use --dry-run to see the plan",
    });
  },
};
