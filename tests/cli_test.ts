/**
 * CLI contract tests: spawn main.ts and check exit codes, stdout and stderr.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { COMMANDS } from "../lib/cli/mod.ts";
import { ROOT, runBotBottle, tempDir } from "./helpers.ts";

const EXAMPLE = join(ROOT, "examples/bot-bottle.yaml");

Deno.test("plan --format json prints exactly one plan document and no secret", async () => {
  const secret = "sk-ant-contract-test-secret-0123456789";
  const r = await runBotBottle(["plan", "claude", "--manifest", EXAMPLE, "--format", "json"], {
    env: { ANTHROPIC_API_KEY: secret },
  });
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout);
  assert.equal(plan.agent, "claude");
  assert.match(plan.instance, /^claude-[a-z0-9]{6}$/);
  assert.equal(plan.labels["bot-bottle.bottle"], plan.instance);
  assert.deepEqual(plan.egress.allow, ["api.anthropic.com"]);
  assert.deepEqual(plan.egress.routes[0].headers, [{
    name: "x-api-key",
    env: "ANTHROPIC_API_KEY",
    value: { env: "ANTHROPIC_API_KEY" },
    vars: ["ANTHROPIC_API_KEY"],
    set: true,
  }]);
  assert.deepEqual(plan.egress.routes[0].agentEnv, ["ANTHROPIC_API_KEY"]);
  assert.deepEqual(plan.problems, []);
  assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret));
  assert.equal(r.stderr, "");
});

Deno.test("plan warns on stderr when a route variable is unset, and still exits 0", async () => {
  const r = await runBotBottle(["plan", "claude", "--format", "json"], {
    env: { BOT_BOTTLE_MANIFEST: EXAMPLE },
    clearEnv: true,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /warning: Route "api\.anthropic\.com" header "x-api-key": host variable ANTHROPIC_API_KEY is not set/,
  );
  assert.equal(JSON.parse(r.stdout).problems.length, 1);
});

Deno.test("plan text names the bottle, the allowlist and the provisioning steps", async () => {
  const r = await runBotBottle(["--manifest", EXAMPLE, "plan", "claude", "--backend", "smolvm"], {
    env: { ANTHROPIC_API_KEY: "x" },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Bottle "claude-[a-z0-9]{6}" for agent "claude"/);
  assert.match(r.stdout, /Backend: smolvm/);
  assert.match(r.stdout, /Egress allowlist:\n {2}api\.anthropic\.com/);
  assert.match(r.stdout, /x-api-key: from \$ANTHROPIC_API_KEY/);
});

Deno.test("start --dry-run prints the same plan as plan", async () => {
  const r = await runBotBottle([
    "start",
    "claude",
    "--dry-run",
    "--format",
    "json",
    "-m",
    EXAMPLE,
    "--",
    "-p",
    "hi",
  ], {
    env: { ANTHROPIC_API_KEY: "x" },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).guest.command.slice(-2), ["-p", "hi"]);
});

Deno.test("plan finds ./bot-bottle.yaml in the working directory", async () => {
  await using dir = await tempDir();
  await Deno.copyFile(EXAMPLE, join(dir.path, "bot-bottle.yaml"));
  const r = await runBotBottle(["plan", "claude", "--format", "json"], {
    cwd: dir.path,
    clearEnv: true,
  });
  assert.equal(r.code, 0, r.stderr);
});

Deno.test("plan --cwd refuses to copy the home directory", async () => {
  await using dir = await tempDir();
  await Deno.copyFile(EXAMPLE, join(dir.path, "bot-bottle.yaml"));
  const r = await runBotBottle(["plan", "claude", "--cwd"], {
    cwd: dir.path,
    env: { HOME: dir.path },
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--cwd refuses to copy/);
});

Deno.test("a bad manifest reports every problem with line:column and exits 2", async () => {
  const r = await runBotBottle([
    "plan",
    "demo",
    "--manifest",
    join(ROOT, "tests/testdata/manifests/bad_everything.yaml"),
  ]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /Manifest ".*bad_everything\.yaml" has 22 problems:/);
  assert.match(r.stderr, /line 21:13: agents\.demo\.bottle: unknown bottle "prod"/);
  assert.match(
    r.stderr,
    /line 4:5: bottles\.dev\.egres: unknown key "egres" \(did you mean "egress"\?\)/,
  );
});

Deno.test("a missing manifest says how to make one and exits 2", async () => {
  await using dir = await tempDir();
  const r = await runBotBottle(["plan", "claude"], { cwd: dir.path, clearEnv: true });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Manifest "bot-bottle\.yaml": file not found/);
  assert.match(r.stderr, /bot-bottle init/);
});

Deno.test("plan of an unknown agent lists the known ones and exits 2", async () => {
  const r = await runBotBottle(["plan", "nobody", "-m", EXAMPLE]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Unknown agent "nobody" \(known: "claude"\)/);
});

Deno.test("schema prints a JSON Schema that describes bottles and agents", async () => {
  const r = await runBotBottle(["schema"]);
  assert.equal(r.code, 0, r.stderr);
  const schema = JSON.parse(r.stdout);
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.deepEqual(schema.required.toSorted(), ["agents", "bottles"]);
  assert.ok(schema.properties.bottles.additionalProperties.properties.egress);
  assert.equal(schema.additionalProperties, false);
});

Deno.test("init writes a starter manifest that plans, and never overwrites one", async () => {
  await using dir = await tempDir();
  const first = await runBotBottle(["init"], { cwd: dir.path, clearEnv: true });
  assert.equal(first.code, 0, first.stderr);
  const written = await Deno.readTextFile(join(dir.path, "bot-bottle.yaml"));
  assert.equal(written, await Deno.readTextFile(EXAMPLE));
  assert.match(first.stderr, /Wrote bot-bottle\.yaml/);

  await Deno.writeTextFile(join(dir.path, "bot-bottle.yaml"), "# mine\n");
  const second = await runBotBottle(["init"], { cwd: dir.path, clearEnv: true });
  assert.equal(second.code, 1);
  assert.match(second.stderr, /"bot-bottle\.yaml" already exists; not overwriting it/);
  assert.equal(await Deno.readTextFile(join(dir.path, "bot-bottle.yaml")), "# mine\n");

  const other = await runBotBottle(["init", "--manifest", "other.yaml"], {
    cwd: dir.path,
    clearEnv: true,
  });
  assert.equal(other.code, 0, other.stderr);
  const plan = await runBotBottle(["plan", "claude", "-m", "other.yaml"], {
    cwd: dir.path,
    clearEnv: true,
  });
  assert.equal(plan.code, 0, plan.stderr);
});

Deno.test("init --login subscription writes the token route, and the plan holds the token nowhere", async () => {
  await using dir = await tempDir();
  const r = await runBotBottle(["init", "--login", "subscription"], {
    cwd: dir.path,
    clearEnv: true,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /claude setup-token/);
  const written = await Deno.readTextFile(join(dir.path, "bot-bottle.yaml"));
  assert.match(written, /authorization: "Bearer \$\{CLAUDE_CODE_OAUTH_TOKEN\}"/);
  assert.doesNotMatch(written, /x-api-key/);
  const token = "sk-ant-oat01-" + crypto.randomUUID() + crypto.randomUUID();
  const plan = await runBotBottle(["plan", "claude", "--format", "json"], {
    cwd: dir.path,
    clearEnv: true,
    env: { CLAUDE_CODE_OAUTH_TOKEN: token },
  });
  assert.equal(plan.code, 0, plan.stderr);
  const parsed = JSON.parse(plan.stdout);
  assert.deepEqual(parsed.egress.routes[0].agentEnv, ["CLAUDE_CODE_OAUTH_TOKEN"]);
  assert.equal(parsed.guest.env.CLAUDE_CODE_OAUTH_TOKEN, "sk-ant-oat01-bot-bottle-placeholder");
  assert.equal(parsed.guest.env.ANTHROPIC_API_KEY, undefined);
  assert.ok(!plan.stdout.includes(token) && !plan.stderr.includes(token));
  const bad = await runBotBottle(["init", "--login", "password", "-m", "x.yaml"], {
    cwd: dir.path,
  });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--login: unknown value "password"/);
});

Deno.test("version prints the version, the Deno version and the commit", async () => {
  const r = await runBotBottle(["version"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^bot-bottle \d+\.\d+\.\d+ \(deno \d+\.\d+\.\d+, commit \S+\)\n$/);
  const json = await runBotBottle(["--version"]);
  assert.equal(json.stdout, r.stdout);
});

Deno.test("every command has --help on stdout with exit 0", async () => {
  for (const command of COMMANDS) {
    const r = await runBotBottle([command.name, "--help"]);
    assert.equal(r.code, 0, `${command.name}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Usage: bot-bottle ${command.name}`), command.name);
    assert.match(r.stdout, /--manifest FILE/);
  }
  const top = await runBotBottle(["--help"]);
  assert.equal(top.code, 0);
  for (const command of COMMANDS) assert.match(top.stdout, new RegExp(`\\n  ${command.name} `));
});

Deno.test("usage mistakes exit 2 with the usage on stderr", async () => {
  const cases: [string[], RegExp][] = [
    [[], /No command given/],
    [["frobnicate"], /Unknown command "frobnicate"/],
    [["plan", "claude", "--frob"], /Unknown flag "--frob"[\s\S]*Usage: bot-bottle plan AGENT/],
    [["plan", "claude", "--format", "xml"], /--format: unknown value "xml"/],
    [["schema", "extra"], /unexpected argument/],
    [["--bogus"], /Unknown flag "--bogus"/],
  ];
  for (const [args, message] of cases) {
    const r = await runBotBottle(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, message);
    assert.equal(r.stdout, "");
  }
});

Deno.test("BOT_BOTTLE_BACKEND with an unknown value is a usage error", async () => {
  const r = await runBotBottle(["plan", "claude", "-m", EXAMPLE], {
    env: { BOT_BOTTLE_BACKEND: "vmware" },
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /BOT_BOTTLE_BACKEND: unknown backend "vmware"/);
});

Deno.test("start with an unset route variable fails with exit 2 before creating anything", async () => {
  const r = await runBotBottle(["start", "claude", "-m", EXAMPLE], { clearEnv: true });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /cannot start:\n {2}Route "api\.anthropic\.com" header "x-api-key": host variable ANTHROPIC_API_KEY is not set/,
  );
  assert.doesNotMatch(r.stderr, /Creating networks|Building/);
});

Deno.test("plan warns of a secret that would go into the agent, and start refuses it, neither showing it", async () => {
  await using dir = await tempDir();
  // Built at run time so that this file itself holds nothing a scanner would flag.
  const token = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
  const manifest = join(dir.path, "bot-bottle.yaml");
  await Deno.writeTextFile(
    manifest,
    `bottles:\n  dev: {}\nagents:\n  claude:\n    bottle: dev\n    prompt: |\n      Be brief.\n      Push with ${token}.\n`,
  );
  const r = await runBotBottle(["plan", "claude", "-m", manifest, "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /warning: a secret would go into the agent: agent "claude" prompt, line 2 \(rule github-token\) \(start would fail\)/,
  );
  assert.equal(JSON.parse(r.stdout).problems.length, 1);
  assert.ok(!r.stderr.includes(token) && !r.stdout.includes(token), r.stdout);
  const dry = await runBotBottle([
    "start",
    "claude",
    "-m",
    manifest,
    "--dry-run",
    "--",
    "-p",
    `use ${token}`,
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /command: claude .*\[holds what looks like a secret: not shown\]/);
  assert.ok(!dry.stderr.includes(token) && !dry.stdout.includes(token), dry.stdout);
  const start = await runBotBottle(["start", "claude", "-m", manifest, "--", "-p", `use ${token}`]);
  assert.equal(start.code, 2, start.stderr);
  assert.match(start.stderr, /argument \d+ \(rule github-token\)/);
  assert.match(start.stderr, /prompt, line 2 \(rule github-token\)/);
  assert.ok(!start.stderr.includes(token) && !start.stdout.includes(token), start.stderr);
});
