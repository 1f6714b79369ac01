/**
 * @module
 * What the person puts into the agent (the prompt, the skills' files, the arguments given
 * to the agent's CLI after `--`) holds no secret:
 * checked with the one detector as the bottle starts, before the agent runs (as the `--cwd`
 * copy is); what was created by then is removed.
 */

import { relative } from "node:path";
import { BotBottleError } from "../errors.ts";
import { inert } from "../inert.ts";
import type { BottlePlan } from "../plan/types.ts";
import { findSecrets } from "../secrets/mod.ts";
import { filesUnder } from "../workspace/pack.ts";
import { firstSecretInFile } from "../workspace/select.ts";

/**
 * Where a prompt, a skill file or an argument holds what the detector takes for a secret
 * (it would be in the agent's files or process list, and its model's every request): the
 * place and the rule, never the value.
 */
export async function secretsGoingIn(plan: BottlePlan): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, arg] of plan.guest.command.entries()) {
    const found = findSecrets(arg)[0];
    if (found) problems.push(`the agent's command line, argument ${i} (rule ${found.rule})`);
  }
  for (const step of plan.provisioning) {
    if (step.kind === "prompt") {
      const found = findSecrets(step.text)[0];
      if (found) {
        const line = step.text.slice(0, found.index).split("\n").length;
        problems.push(`agent "${plan.agent}" prompt, line ${line} (rule ${found.rule})`);
      }
    } else if (step.kind === "skill") {
      for (const file of (await filesUnder(step.source)).toSorted()) {
        const found = await firstSecretInFile(file);
        if (found) {
          problems.push(
            `skill "${step.name}": ${
              inert(relative(step.source, file), 200)
            }:${found.line} (rule ${found.rule})`,
          );
        }
      }
    }
  }
  return problems;
}

/** Refuses (exit 2) a plan whose prompt, skills or arguments hold a secret (see `secretsGoingIn`). */
export async function refuseSecretsGoingIn(plan: BottlePlan): Promise<void> {
  const problems = await secretsGoingIn(plan);
  if (problems.length > 0) {
    throw new BotBottleError(
      `What would go into the agent holds what looks like a secret:\n  ${problems.join("\n  ")}`,
      {
        exitCode: 2,
        hint:
          "a credential goes in a route (a host variable the proxy adds to requests), never into the agent; a key public by design can be listed in the bottle's public_values",
      },
    );
  }
}
