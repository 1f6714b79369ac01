/**
 * `doctor` on both sides: with the engine answering it says the Docker backend can start
 * a bottle and exits 0; with the engine unreachable it says why, how to fix it, and exits 1.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, runBotBottle, tempDir } from "../helpers.ts";
import { dockerTest } from "./docker.ts";
import { fakeSmolvm } from "./smolvm_fake.ts";

const EXAMPLE = join(ROOT, "examples/bot-bottle.yaml");

dockerTest("doctor passes where Docker can start a bottle, and reports each check", async () => {
  const r = await runBotBottle(["doctor", "-m", EXAMPLE, "--format", "json"], {
    env: { ANTHROPIC_API_KEY: "x", BOT_BOTTLE_OFFLINE: "1" },
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.ok, true);
  assert.equal(report.backend, "docker");
  const names = report.checks.map((c: { name: string }) => c.name);
  for (
    const name of [
      "docker engine",
      "docker can run a container",
      "free disk",
      "smolvm",
      "manifest",
      "agent claude",
    ]
  ) {
    assert.ok(names.includes(name), name);
  }
  const text = await runBotBottle(["doctor", "-m", EXAMPLE], {
    env: { ANTHROPIC_API_KEY: "x", BOT_BOTTLE_OFFLINE: "1" },
  });
  assert.match(
    text.stdout,
    /^ok {4}docker engine +version \S+, asked over \/var\/run\/docker\.sock /m,
  );
  // Where the CLI would reach another engine (or with the shortcut off), so does bot-bottle.
  const cli = await runBotBottle(["doctor", "-m", EXAMPLE], {
    env: { ANTHROPIC_API_KEY: "x", BOT_BOTTLE_OFFLINE: "1", BOT_BOTTLE_DOCKER_API: "0" },
  });
  assert.match(cli.stdout, /^ok {4}docker engine +version \S+, asked through the docker CLI/m);
  assert.match(text.stdout, /The docker backend can start a bottle\./);
});

Deno.test("doctor fails with a fix when the Docker engine does not answer", async () => {
  await using dir = await tempDir();
  const r = await runBotBottle(["doctor", "-m", EXAMPLE], {
    env: {
      DOCKER_HOST: `unix://${dir.path}/no-docker.sock`,
      ANTHROPIC_API_KEY: "x",
      BOT_BOTTLE_OFFLINE: "1",
    },
  });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^FAIL {2}docker engine/m);
  assert.match(r.stdout, /fix: Install Docker and start it/);
  assert.match(r.stdout, /The docker backend cannot start a bottle yet\./);
});

Deno.test("doctor warns about an unset route variable without failing the engine checks", async () => {
  await using dir = await tempDir();
  const r = await runBotBottle(["doctor", "-m", EXAMPLE, "--format", "json"], {
    env: { DOCKER_HOST: `unix://${dir.path}/no-docker.sock`, BOT_BOTTLE_OFFLINE: "1" },
    clearEnv: true,
  });
  const agent = JSON.parse(r.stdout).checks.find((c: { name: string }) =>
    c.name === "agent claude"
  );
  assert.equal(agent.ok, false);
  assert.match(agent.detail, /ANTHROPIC_API_KEY is not set/);
});

dockerTest("doctor says which smolvm is usable, and why one is not", async (t) => {
  await using fake = await fakeSmolvm();
  await using dir = await tempDir();
  const base = { ANTHROPIC_API_KEY: "x", BOT_BOTTLE_BACKEND: "smolvm" };

  await t.step("a current smolvm (the fake, 1.9.2) makes the smolvm backend ready", async () => {
    const r = await runBotBottle(["doctor", "-m", EXAMPLE, "--format", "json"], {
      env: { ...base, ...fake.env },
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.backend, "smolvm");
    const smolvm = report.checks.find((c: { name: string }) => c.name === "smolvm");
    assert.equal(smolvm.ok, true);
    assert.match(smolvm.detail, /^1\.9\.2 /);
  });

  await t.step("an old smolvm fails the smolvm backend with an upgrade fix", async () => {
    const bin = join(dir.path, "old");
    await Deno.mkdir(bin);
    await Deno.writeTextFile(join(bin, "smolvm"), "#!/bin/sh\necho 'smolvm 0.8.0'\n", {
      mode: 0o755,
    });
    await Deno.chmod(join(bin, "smolvm"), 0o755);
    const r = await runBotBottle(["doctor", "-m", EXAMPLE], {
      env: { ...base, PATH: `${bin}:${Deno.env.get("PATH")}` },
    });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^FAIL {2}smolvm +0\.8\.0: smolvm 0\.8\.0 is older than 1\.9\.0/m);
    assert.match(r.stdout, /fix: Upgrade smolvm to 1\.9\.0 or later/);
    assert.match(r.stdout, /The smolvm backend cannot start a bottle yet\./);
    // The same smolvm is only a warning while Docker is the default backend.
    const docker = await runBotBottle(["doctor", "-m", EXAMPLE], {
      env: { ANTHROPIC_API_KEY: "x", PATH: `${bin}:${Deno.env.get("PATH")}` },
    });
    assert.equal(docker.code, 0, docker.stdout);
    assert.match(docker.stdout, /^warn {2}smolvm/m);
  });

  await t.step("no smolvm on PATH fails the smolvm backend with an install fix", async () => {
    const r = await runBotBottle(["doctor", "-m", EXAMPLE], { env: base });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^FAIL {2}smolvm +smolvm is not on PATH/m);
    assert.match(r.stdout, /fix: Install smolvm 1\.9\.0 or later/);
  });
});
