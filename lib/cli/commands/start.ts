/**
 * @module
 * `bot-bottle start`: the main job. Brings up a bottle, runs claude in it
 * interactively and removes everything when claude exits, on error, or on a signal.
 */

import { profile } from "../../agents/mod.ts";
import { BackendError } from "../../errors.ts";
import { log } from "../../log.ts";
import { spawnReaper } from "../../reaper.ts";
import { startHeartbeat } from "../../state.ts";
import { type Command, FORMAT_OPTION } from "../command.ts";
import { bringUpPlanned, resolvePlan } from "../resolve.ts";
import { PLAN_OPTIONS, runPlan } from "./plan.ts";

/** How often `start` checks that the bundle still runs. */
const BUNDLE_WATCH_MS = 2_000;

function isTerminal(file: { isTerminal(): boolean }): boolean {
  try {
    return file.isTerminal();
  } catch {
    return false;
  }
}

export const startCommand: Command = {
  name: "start",
  summary: "Start a bottle for AGENT, run its agent CLI in it, and remove it on exit",
  synopsis: "AGENT [--cwd] [--backend docker|smolvm] [--dry-run] [-- AGENT_ARGS...]",
  description: `
Builds missing images, creates the bottle's networks, its sidecar bundle and the agent
guest, provisions the guest, then runs the agent's CLI (claude, or codex or gemini as its
\`kind\` says) with your terminal attached. When it exits, on error, on Ctrl-C or on
SIGTERM, everything the bottle created is removed (with --cwd, after its work came home),
and what the bottle refused meanwhile (requests carrying a secret, hosts, pushes) is summed
up, with the requests to allowed hosts that failed (a name that did not resolve). Arguments after "--" go to the agent's CLI. The exit code is the CLI's. --dry-run prints
the plan instead (like \`plan\`).`,
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
    const { plan: first } = await resolvePlan(ctx);
    await using stack = new AsyncDisposableStack();
    // Tells `cleanup` this bottle's process is alive; a crashed start stops beating.
    stack.use(await startHeartbeat(ctx.env, first.instance));
    // Should this process die (SIGKILL, OOM), the reaper brings the work home and
    // removes the bottle within seconds.
    spawnReaper(ctx.env, first.instance);
    const { plan, up: { backend } } = await bringUpPlanned(ctx, first, { mode: "start", stack });
    const tty = isTerminal(Deno.stdin) && isTerminal(Deno.stdout);
    const title = profile(plan.agentKind).title;
    log.step(
      `Running ${title} in ${plan.instance}${
        tty ? ` (the bottle is removed when ${title} exits)` : ""
      }`,
    );
    // The bundle is the agent's only way out; should it die, the agent is cut off
    // (nothing else routes), and this run ends: the work comes home, the bottle goes.
    const bundleGone = new AbortController();
    const watch = setInterval(async () => {
      if (!bundleGone.signal.aborted && !(await backend.bundleRunning(plan.instance))) {
        bundleGone.abort();
      }
    }, BUNDLE_WATCH_MS);
    let code: number;
    try {
      code = await backend.attach(plan.instance, plan.guest.command, {
        tty,
        interactive: true,
        workdir: plan.guest.workdir,
      }, AbortSignal.any([ctx.signal, bundleGone.signal]));
    } finally {
      clearInterval(watch);
    }
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (bundleGone.signal.aborted) {
      throw new BackendError(
        `The bundle of ${plan.instance} stopped while ${title} ran: the agent was cut off from the network, its git gate and supervise`,
        {
          hint:
            "Its work is brought home and the bottle removed; `bot-bottle logs` shows what it did until then",
        },
      );
    }
    return code;
  },
};
