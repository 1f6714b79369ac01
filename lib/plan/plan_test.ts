import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { parseManifest } from "../manifest/load.ts";
import { chooseBackend, planBottle } from "./plan.ts";
import type { HostFacts, PlanOptions } from "./types.ts";
import { hostFacts } from "../../tests/host_facts.ts";

const DATA = join(import.meta.dirname!, "../../tests/testdata/plans");
const UPDATE = Deno.env.get("BOT_BOTTLE_UPDATE_GOLDEN") === "1";

const facts = hostFacts;

interface Case {
  description: string;
  options: PlanOptions;
  env?: Record<string, string>;
  paths?: HostFacts["paths"];
  usedSubnets?: string[];
  workspace?: HostFacts["workspace"];
}

for (
  const entry of [...Deno.readDirSync(DATA)].filter((e) => e.isDirectory).map((e) => e.name)
    .toSorted()
) {
  const c: Case = JSON.parse(Deno.readTextFileSync(join(DATA, entry, "case.json")));
  Deno.test(`planBottle() ${entry}: ${c.description}`, () => {
    const manifest = parseManifest(
      Deno.readTextFileSync(join(DATA, entry, "manifest.yaml")),
      "manifest.yaml",
    );
    const plan = planBottle(
      manifest,
      c.options,
      facts({
        env: c.env ?? {},
        paths: c.paths ?? {},
        usedSubnets: c.usedSubnets ?? [],
        ...(c.workspace ? { workspace: c.workspace } : {}),
      }),
    );
    const actual = JSON.stringify(plan, null, 2) + "\n";
    const golden = join(DATA, entry, "plan.json");
    if (UPDATE) Deno.writeTextFileSync(golden, actual);
    assert.equal(actual, Deno.readTextFileSync(golden));
    for (const [name, value] of Object.entries(c.env ?? {})) {
      if (!name.startsWith("BOT_BOTTLE_")) {
        assert.ok(!actual.includes(value), `plan must not contain the value "${value}"`);
      }
    }
  });
}

const EXAMPLE = parseManifest(
  Deno.readTextFileSync(join(import.meta.dirname!, "../../examples/bot-bottle.yaml")),
  "bot-bottle.yaml",
);

Deno.test("planBottle() is a pure function of its inputs", () => {
  const f = facts({ env: { ANTHROPIC_API_KEY: "k" } });
  const options = { agent: "claude", agentArgs: [] };
  assert.deepEqual(
    planBottle(EXAMPLE, options, f),
    planBottle(EXAMPLE, options, structuredClone(f)),
  );
});

Deno.test("planBottle() refuses an agent the manifest does not define", () => {
  assert.throws(
    () => planBottle(EXAMPLE, { agent: "nobody", agentArgs: [] }, facts()),
    (e: unknown) =>
      e instanceof UsageError && /Unknown agent "nobody" \(known: "claude"\)/.test(e.message),
  );
});

Deno.test("planBottle() gives the agent a placeholder, never the route's value", () => {
  const plan = planBottle(
    EXAMPLE,
    { agent: "claude", agentArgs: [] },
    facts({ env: { ANTHROPIC_API_KEY: "sk-real" } }),
  );
  assert.equal(plan.guest.env.ANTHROPIC_API_KEY, "bot-bottle-placeholder");
  assert.ok(!JSON.stringify(plan).includes("sk-real"));
  assert.deepEqual(plan.problems, []);
});

Deno.test("planBottle() passes the prompt flag only when the agent has a prompt", () => {
  const noPrompt = parseManifest(
    "bottles: {dev: {}}\nagents: {a: {bottle: dev, prompt: '  '}}",
    "m.yaml",
  );
  const plan = planBottle(noPrompt, { agent: "a", agentArgs: ["-p", "hi"] }, facts());
  assert.deepEqual(plan.guest.command, ["claude", "-p", "hi"]);
  assert.ok(!plan.provisioning.some((s) => s.kind === "prompt"));
});

Deno.test("planBottle() keeps the internal network, bundle and guest in one /28", () => {
  const plan = planBottle(EXAMPLE, { agent: "claude", agentArgs: [] }, facts());
  const [base] = plan.networks.internal.subnet.split("/");
  const prefix = base!.split(".").slice(0, 3).join(".");
  assert.ok(plan.bundle.address.startsWith(prefix) && plan.guest.address!.startsWith(prefix));
  assert.notEqual(plan.bundle.address, plan.guest.address);
  assert.ok(plan.guest.env.HTTPS_PROXY!.includes(plan.bundle.address));
});

Deno.test("planBottle() fails plainly when the subnet pool is full", () => {
  assert.throws(
    () =>
      planBottle(
        EXAMPLE,
        { agent: "claude", agentArgs: [] },
        facts({ usedSubnets: ["10.213.0.0/16"] }),
      ),
    /No free \/28 left in the subnet pool 10.213.0.0\/16/,
  );
});

Deno.test("chooseBackend() takes the flag, then BOT_BOTTLE_BACKEND, then the manifest", () => {
  assert.equal(chooseBackend("smolvm", "docker", "docker"), "smolvm");
  assert.equal(chooseBackend(undefined, "smolvm", "docker"), "smolvm");
  assert.equal(chooseBackend(undefined, "", "smolvm"), "smolvm");
  assert.equal(chooseBackend(undefined, undefined, "docker"), "docker");
  assert.throws(() => chooseBackend(undefined, "vmware", "docker"), UsageError);
});

Deno.test("planBottle() takes a route's `model` over what the agent's profile knows", () => {
  const manifest = (extra: string) =>
    parseManifest(
      `bottles:
  b:
    egress:
      routes:
        - host: llm.gateway.example
          headers:
            authorization: "Bearer \${GATEWAY_TOKEN}"
${extra}        - host: api.anthropic.com
          headers:
            x-api-key: { env: ANTHROPIC_API_KEY }
          model: false
agents:
  claude:
    bottle: b
`,
      "manifest.yaml",
    );
  const models = (extra: string) =>
    planBottle(manifest(extra), { agent: "claude", agentArgs: [] }, facts()).egress.routes.map((
      r,
    ) => [r.host, r.model]);
  // A gateway the agent talks to in place of the provider is its model route when it says so.
  assert.deepEqual(models("          model: true\n"), [
    ["llm.gateway.example", true],
    ["api.anthropic.com", false],
  ]);
  assert.deepEqual(models(""), [["llm.gateway.example", false], ["api.anthropic.com", false]]);
});
