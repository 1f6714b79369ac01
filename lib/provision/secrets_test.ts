import assert from "node:assert/strict";
import { join } from "node:path";
import { BotBottleError } from "../errors.ts";
import { parseManifest } from "../manifest/load.ts";
import { planBottle } from "../plan/plan.ts";
import { setPublicValues } from "../secrets/mod.ts";
import { hostFacts } from "../../tests/host_facts.ts";
import { refuseSecretsGoingIn } from "./secrets.ts";

// Built at run time so that this file itself holds nothing a scanner would flag.
const TOKEN = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
const OPEN = "AI" + "zaSyDq3vX8kLm2Rt5Wn7Yb0Cz4Hj6Pf9Gs1Ua";

async function planWith(prompt: string, skill: Record<string, string>, agentArgs: string[] = []) {
  const dir = await Deno.makeTempDir();
  const skillDir = join(dir, "skills", "review");
  await Deno.mkdir(join(skillDir, "scripts"), { recursive: true });
  for (const [name, text] of Object.entries(skill)) {
    await Deno.writeTextFile(join(skillDir, name), text);
  }
  const manifest = parseManifest(
    `bottles:\n  dev: {}\nagents:\n  claude:\n    bottle: dev\n    prompt: ${
      JSON.stringify(prompt)
    }\n    skills: [skills/review]\n`,
    "m.yaml",
  );
  const plan = planBottle(
    manifest,
    { agent: "claude", agentArgs },
    hostFacts({ manifestDir: dir, paths: { [skillDir]: "skill" } }),
  );
  return { plan, dir };
}

async function refusal(
  prompt: string,
  skill: Record<string, string>,
  agentArgs: string[] = [],
): Promise<string> {
  const { plan, dir } = await planWith(prompt, skill, agentArgs);
  try {
    const error = await refuseSecretsGoingIn(plan).then(() => undefined, (e) => e);
    if (error === undefined) return "";
    assert.ok(error instanceof BotBottleError, String(error));
    assert.equal(error.exitCode, 2);
    return error.message;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a prompt or a skill file holding a secret is refused, naming where and the rule", async () => {
  const message = await refusal(`Be careful.\nUse ${TOKEN} for the API.`, {
    "SKILL.md": "# review\nReview the diff.\n",
    "scripts/run.sh": `#!/bin/sh\nexport GITHUB_TOKEN=${TOKEN}\n`,
  });
  assert.match(message, /agent "claude" prompt, line 2 \(rule github-token\)/);
  assert.match(message, /skill "review": scripts\/run\.sh:2 \(rule github-token\)/);
  assert.ok(!message.includes(TOKEN), message);
});

Deno.test("an argument for the agent's CLI holding a secret is refused", async () => {
  const message = await refusal("Review.", { "SKILL.md": "# review\n" }, [
    "-p",
    `push with ${TOKEN}`,
  ]);
  assert.match(message, /the agent's command line, argument \d+ \(rule github-token\)/);
  assert.ok(!message.includes(TOKEN), message);
  assert.equal(await refusal("Review.", { "SKILL.md": "# review\n" }, ["-p", "fix the tests"]), "");
});

Deno.test("a clean prompt and skill pass; a public value in them passes once declared", async () => {
  assert.equal(await refusal("Review carefully.", { "SKILL.md": "# review\n" }), "");
  const withKey = { "SKILL.md": `# maps\nThe web key is ${OPEN}.\n` };
  assert.match(
    await refusal("Map it.", withKey),
    /skill "review": SKILL\.md:2 \(rule gcp-api-key\)/,
  );
  setPublicValues([OPEN]);
  try {
    assert.equal(await refusal("Map it.", withKey), "");
  } finally {
    setPublicValues([]);
  }
});
