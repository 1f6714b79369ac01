/**
 * @module
 * `bot-bottle start`: the main job. Brings up a bottle, runs claude in it
 * interactively and removes everything when claude exits, on error, or on a signal.
 */

import { bringUp } from "../../bottle/launch.ts";
import { log } from "../../log.ts";
import { startHeartbeat } from "../../state.ts";
import { type Command, FORMAT_OPTION } from "../command.ts";
import { resolvePlan } from "../resolve.ts";
import { PLAN_OPTIONS, runPlan } from "./plan.ts";

function isTerminal(file: { isTerminal(): boolean }): boolean {
  try {
    return file.isTerminal();
  } catch {
    return false;
  }
}

export const startCommand: Command = {
  name: "start",
  summary: "Start a bottle for AGENT, run Claude Code in it, and remove it on exit",
  synopsis: "AGENT [--cwd] [--backend docker|smolvm] [--dry-run] [-- CLAUDE_ARGS...]",
  description: `
Builds missing images, creates the bottle's networks, its sidecar bundle and the agent
guest, provisions the guest, then runs claude with your terminal attached. When claude
exits, on error, on Ctrl-C or on SIGTERM, everything the bottle created is removed.
Arguments after "--" go to claude. The exit code is claude's. --dry-run prints the plan
instead (like \`plan\`).`,
  options: {
    ...PLAN_OPTIONS,
    "dry-run": { type: "boolean", description: "Print the plan and create nothing" },
    format: { ...FORMAT_OPTION, description: "Plan format with --dry-run" },
  },
  args: { min: 1, max: 1, names: "an AGENT name" },
  passthrough: true,
  examples: [
    "bot-bottle start claude",
    "bot-bottle start claude --cwd -- --model sonnet",
    'bot-bottle start claude -- -p "fix the tests"',
  ],
  async run(ctx) {
    if (ctx.values["dry-run"]) return await runPlan(ctx);
    const { plan } = await resolvePlan(ctx);
    await using stack = new AsyncDisposableStack();
    // Tells `cleanup` this bottle's process is alive; a crashed start stops beating.
    stack.use(await startHeartbeat(ctx.env, plan.instance));
    const { backend } = await bringUp(plan, {
      env: ctx.env,
      mode: "start",
      stack,
      signal: ctx.signal,
    });
    const tty = isTerminal(Deno.stdin) && isTerminal(Deno.stdout);
    log.step(
      `Running claude in ${plan.instance}${
        tty ? " (the bottle is removed when claude exits)" : ""
      }`,
    );
    const code = await backend.attach(plan.instance, plan.guest.command, {
      tty,
      interactive: true,
      workdir: plan.guest.workdir,
    }, ctx.signal);
    if (ctx.signal.aborted) throw ctx.signal.reason;
    return code;
  },
};
