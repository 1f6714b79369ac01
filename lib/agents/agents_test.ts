import assert from "node:assert/strict";
import { parseManifest } from "../manifest/load.ts";
import { planBottle } from "../plan/plan.ts";
import type { HostFacts } from "../plan/types.ts";
import { hostFacts } from "../../tests/host_facts.ts";
import { AGENT_KINDS, knownCredential, PROFILES } from "./mod.ts";

const facts = (env: Record<string, string> = {}): HostFacts => hostFacts({ env });

const plan = (kind: string, route: string, agentExtra = "", bottleExtra = "") =>
  planBottle(
    parseManifest(
      `bottles:\n  dev:\n${bottleExtra}    egress:\n      routes:\n${route}\nagents:\n  a:\n    kind: ${kind}\n    bottle: dev\n    prompt: Be brief.\n${agentExtra}`,
      "m.yaml",
    ),
    { agent: "a", agentArgs: ["--flag"] },
    facts({ K: "real-secret-value-1234" }),
  );

Deno.test("every kind has a profile whose credentials name a host, header, variable and placeholder", () => {
  for (const kind of AGENT_KINDS) {
    const p = PROFILES[kind];
    assert.equal(p.kind, kind);
    assert.ok(p.npm.version.match(/^\d+\.\d+\.\d+$/), `${kind} pins a release`);
    for (const c of p.credentials) {
      assert.equal(c.header, c.header.toLowerCase());
      assert.ok(c.placeholder.includes("bot-bottle-placeholder"));
      assert.equal(knownCredential(kind, c.host.toUpperCase(), c.header), c);
    }
  }
});

Deno.test("codex: config with the proxy-friendly provider, placeholder where it reads the key, AGENTS.md", () => {
  const p = plan(
    "codex",
    '        - host: api.openai.com\n          headers:\n            authorization: "Bearer ${K}"',
  );
  assert.deepEqual(p.guest.command, ["codex", "--flag"]);
  assert.equal(p.guest.env.OPENAI_API_KEY, "sk-bot-bottle-placeholder");
  assert.equal(p.guest.env.K, undefined, "the host variable's name is not the agent's");
  assert.equal(
    p.guest.env.CODEX_CA_CERTIFICATE,
    "/usr/local/share/ca-certificates/bot-bottle-ca.crt",
  );
  const config = p.provisioning.find((s) => s.kind === "agent-config");
  assert.ok(config?.kind === "agent-config");
  const toml = config.files[0]!.content;
  assert.match(toml, /supports_websockets = false/);
  assert.match(toml, /env_key = "OPENAI_API_KEY"/);
  assert.match(toml, /approval_policy = "never"/);
  assert.doesNotMatch(toml, /mcp_servers/);
  assert.ok(
    p.provisioning.some((s) =>
      s.kind === "prompt" && s.guestPath === "/home/node/.codex/AGENTS.md"
    ),
  );
  assert.ok(!JSON.stringify(p).includes("real-secret-value-1234"));
});

Deno.test("codex: ask keeps its approvals; supervise is registered in its config", () => {
  const p = plan(
    "codex",
    '        - host: api.openai.com\n          headers:\n            authorization: "Bearer ${K}"',
    "    permissions: ask\n",
    "    supervise: true\n",
  );
  const config = p.provisioning.find((s) => s.kind === "agent-config");
  assert.ok(config?.kind === "agent-config");
  assert.match(config.files[0]!.content, /approval_policy = "on-request"/);
  assert.match(
    config.files[0]!.content,
    /\[mcp_servers\.supervise\]\nurl = "http:\/\/10\.[\d.]+:9100\/"/,
  );
  assert.ok(!p.provisioning.some((s) => s.kind === "mcp"), "no command: the config registers it");
});

Deno.test("gemini: API-key login selected, yolo only when unattended, GEMINI.md", () => {
  const route =
    "        - host: generativelanguage.googleapis.com\n          headers:\n            x-goog-api-key: { env: K }";
  const p = plan("gemini", route);
  assert.deepEqual(p.guest.command, ["gemini", "--approval-mode=yolo", "--flag"]);
  assert.equal(p.guest.env.GEMINI_API_KEY, "bot-bottle-placeholder");
  assert.equal(p.guest.env.GEMINI_CLI_TRUST_WORKSPACE, "true");
  const config = p.provisioning.find((s) => s.kind === "agent-config");
  assert.ok(config?.kind === "agent-config");
  assert.equal(JSON.parse(config.files[0]!.content).security.auth.selectedType, "gemini-api-key");
  assert.deepEqual(plan("gemini", route, "    permissions: ask\n").guest.command, [
    "gemini",
    "--flag",
  ]);
});

Deno.test("skills are Claude Code's: another kind with skills is a problem, plainly said", () => {
  const p = plan(
    "codex",
    '        - host: api.openai.com\n          headers:\n            authorization: "Bearer ${K}"',
    "    skills: [s]\n",
  );
  assert.ok(p.problems.some((x) => /Codex CLI has no skills/.test(x)), p.problems.join("; "));
});

Deno.test("claude: the subscription route puts the OAuth placeholder where Claude Code reads it", () => {
  const p = plan(
    "claude",
    '        - host: api.anthropic.com\n          headers:\n            authorization: "Bearer ${K}"',
  );
  assert.equal(p.guest.env.CLAUDE_CODE_OAUTH_TOKEN, "sk-ant-oat01-bot-bottle-placeholder");
  assert.equal(p.guest.env.ANTHROPIC_API_KEY, undefined);
  const explicit = plan(
    "claude",
    "        - host: api.anthropic.com\n          headers:\n            x-api-key: { env: K }\n          agent_env: [MY_VAR]",
  );
  assert.deepEqual(explicit.egress.routes[0]!.agentEnv, ["MY_VAR"]);
  assert.equal(explicit.guest.env.MY_VAR, "bot-bottle-placeholder");
});
