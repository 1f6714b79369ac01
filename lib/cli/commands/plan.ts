/**
 * @module
 * `bot-bottle plan`: the dry run. Prints the resolved plan and creates nothing.
 */

import { log, out } from "../../log.ts";
import { renderPlanText } from "../../plan/render.ts";
import type { BottlePlan } from "../../plan/types.ts";
import { type Command, type CommandContext, FORMAT_OPTION, type OptionSpec } from "../command.ts";
import { resolvePlan } from "../resolve.ts";
import { secretsGoingIn } from "../../provision/secrets.ts";
import { findSecrets, setPublicValues } from "../../secrets/mod.ts";

/** Flags shared by every command that plans a bottle. */
export const PLAN_OPTIONS: Record<string, OptionSpec> = {
  cwd: {
    type: "boolean",
    description:
      "Work on the current directory's project: a copy goes in, the work comes home as branches",
  },
  include: {
    type: "string",
    multiple: true,
    valueName: "PATH",
    description:
      "With --cwd, also carry PATH although .gitignore excludes it or it holds a secret (repeatable)",
  },
  backend: {
    type: "string",
    choices: ["docker", "smolvm"],
    description: "Backend to use (default: $BOT_BOTTLE_BACKEND, then the bottle's backend)",
  },
};

/** Prints a plan in the chosen format; problems go to stderr as warnings. */
export function printPlan(plan: BottlePlan, format: string): void {
  for (const problem of plan.problems) log.warn(`${problem} (start would fail)`);
  if (format === "json") out.json(plan);
  else out.line(renderPlanText(plan));
}

/** Shared by `plan` and `start --dry-run`. */
export async function runPlan(ctx: CommandContext): Promise<void> {
  const { plan } = await resolvePlan(ctx);
  // What `start` would refuse to put into the agent, said now (public values spared).
  setPublicValues(plan.publicValues);
  const secrets = (await secretsGoingIn(plan)).map((p) => `a secret would go into the agent: ${p}`);
  printPlan(
    { ...withoutSecrets(plan), problems: [...plan.problems, ...secrets] },
    (ctx.values.format as string | undefined) ?? "text",
  );
}

/** What the plan shows in place of a prompt or an argument that holds a secret. */
const NOT_SHOWN = "[holds what looks like a secret: not shown]";

/**
 * `plan` as it is shown: an argument or a prompt holding what looks like a secret (which
 * `start` refuses) is not printed, in the text or the JSON.
 */
function withoutSecrets(plan: BottlePlan): BottlePlan {
  const hides = (text: string) => findSecrets(text).length > 0;
  return {
    ...plan,
    guest: { ...plan.guest, command: plan.guest.command.map((a) => hides(a) ? NOT_SHOWN : a) },
    provisioning: plan.provisioning.map((step) =>
      step.kind === "prompt" && hides(step.text) ? { ...step, text: NOT_SHOWN } : step
    ),
  };
}

export const planCommand: Command = {
  name: "plan",
  summary: "Print what `start AGENT` would create, and create nothing",
  synopsis: "AGENT [--cwd] [--backend docker|smolvm] [--format text|json]",
  description: `
Resolves the manifest for AGENT and prints the plan: backend, instance name, images,
networks and addresses, the egress allowlist, routes (header names and the host
variable each comes from, never a value), git gate entries (no key material),
provisioning steps and the guest's environment. Problems that would make \`start\`
fail, such as a route variable that is not set, are printed as warnings.`,
  options: {
    ...PLAN_OPTIONS,
    format: FORMAT_OPTION,
  },
  args: { min: 1, max: 1, names: "an AGENT name" },
  examples: ["bot-bottle plan claude", "bot-bottle plan claude --cwd --format json | jq .egress"],
  run: runPlan,
};
