/**
 * The smolvm backend end to end, against the strict fake `smolvm` on PATH
 * (tests/fixtures/fake_smolvm.ts): plan, launch, provision, exec, logs and teardown are
 * real (a real bundle, a real guest container standing in for the VM with the
 * allow-list enforced in its network namespace, the real claude against the fake API);
 * only the hypervisor is not. Every argv the product sends must parse under the
 * current CLI, or the fake fails the call.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { SmolvmGuest } from "../../lib/backend/smolvm.ts";
import { archivePath } from "../../lib/images/archive.ts";
import { $, captureRaw } from "../shell.ts";
import { runBotBottle, tempDir } from "../helpers.ts";
import { dockerTest, exclusively } from "./docker.ts";
import { fakeSmolvm, SMOLVM_IMAGE_CACHE } from "./smolvm_fake.ts";
import { assertSealed, bundleAddress, hostService } from "./smolvm_probes.ts";
import { buildCaEnv, startUpstream } from "./upstream.ts";

const KEY = `sk-ant-api03-${crypto.randomUUID()}-smolvm-test`;
const REPLY = "PONG through the microVM bottle";
const PROMPT = "You are inside a bot-bottle smolvm test.";

const manifest = (subnet: string) => `
bottles:
  vm:
    backend: smolvm
    egress:
      allow: [plain.fake.test]
      allow_private: ["${subnet}"]
      routes:
        - host: api.anthropic.com
          headers:
            x-api-key: { env: ANTHROPIC_API_KEY }
agents:
  claude:
    bottle: vm
    prompt: "${PROMPT}"
`;

/** Runs `fn` with the fake first on this process's PATH (for calling the wrapper directly). */
async function withFakeOnPath<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

/** A fake API, the fake smolvm, a project with a smolvm manifest and the env to use them. */
async function setup() {
  const upstream = await startUpstream(["api.anthropic.com", "plain.fake.test"], REPLY);
  const fake = await fakeSmolvm();
  const dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "bot-bottle.yaml"), manifest(upstream.subnet));
  const env = {
    ...fake.env,
    ...(await buildCaEnv()),
    ANTHROPIC_API_KEY: KEY,
    BOT_BOTTLE_EGRESS_NETWORK: upstream.network,
    BOT_BOTTLE_UPSTREAM_CA: upstream.caFile,
    BOT_BOTTLE_CACHE_DIR: SMOLVM_IMAGE_CACHE,
  };
  return {
    upstream,
    fake,
    dir,
    env,
    async [Symbol.asyncDispose]() {
      await dir[Symbol.asyncDispose]();
      await fake[Symbol.asyncDispose]();
      await upstream[Symbol.asyncDispose]();
    },
  };
}

dockerTest("the smolvm backend runs a whole bottle through the strict fake", async (t) => {
  await using project = await setup();
  const { upstream, fake, dir, env } = project;

  // A host service listening on every interface: the VM must not reach it.
  await using host = await hostService();

  const plan = JSON.parse(
    (await runBotBottle(["plan", "claude", "--format", "json"], { cwd: dir.path, env })).stdout,
  );
  assert.equal(plan.backend, "smolvm");
  assert.equal(plan.guest.kind, "microvm");
  assert.deepEqual(plan.guest.vm, {
    allowCidrs: [`${plan.bundle.address}/32`],
    dns: plan.bundle.address,
  });
  assert.equal(plan.networks.internal.hostReachable, true);
  assert.equal(await fake.calls().then((c) => c.filter((a) => a[0] === "machine").length), 0);

  // Saved for smolvm unless another test (or run) already did, for this very image.
  const id = await captureRaw($`docker image inspect --format ${"{{.Id}}"} ${plan.images.agent}`);
  const cached = id.code === 0 &&
    await Deno.stat(archivePath(SMOLVM_IMAGE_CACHE, id.stdout.trim())).then(
      () => true,
      () => false,
    );
  const up = await runBotBottle(["up", "claude"], { cwd: dir.path, env });
  assert.equal(up.code, 0, up.stderr);
  const name = up.stdout.trim();
  assert.match(name, /^claude-[a-z0-9]{6}$/);
  assert.equal(/Saving the agent image for smolvm/.test(up.stderr), !cached, up.stderr);
  assert.match(up.stderr, /Self-test passed/);
  const machine = `bot-bottle-${name}-agent`;
  const bundleIp = await bundleAddress(name);
  const gateway = bundleIp.replace(/\d+$/, (last) => String(Number(last) - 1));
  const run = (script: string) =>
    runBotBottle(["exec", name, "--", "sh", "-c", script], { cwd: dir.path, env });

  let down;
  try {
    await t.step(
      "create gets the archive, the /32 allow-list, the bundle resolver, labels and env",
      async () => {
        const create = (await fake.calls()).find((a) => a[1] === "create")!;
        assert.ok(create, "machine create was called");
        const flag = (f: string) => create.flatMap((a, i) => (a === f ? [create[i + 1]!] : []));
        assert.deepEqual(flag("--name"), [machine]);
        assert.match(flag("--image")[0]!, /^\/.*\/images\/agent-[0-9a-f]{16}\.tar$/);
        assert.ok(
          flag("--image")[0]!.startsWith(`${SMOLVM_IMAGE_CACHE}/`),
          "the archive is in the cache",
        );
        assert.deepEqual(flag("--allow-cidr"), [`${bundleIp}/32`]);
        assert.deepEqual(flag("--dns"), [bundleIp]);
        assert.ok(flag("--label").includes(`bot-bottle.bottle=${name}`));
        assert.ok(flag("-e").includes(`HTTPS_PROXY=http://${bundleIp}:3128`));
        assert.ok(!create.some((a) => a.includes(KEY)), "the key is not in the VM's config");
        // The agent's files go in as one archive on an exec's stdin; any copy sets owners.
        const calls = await fake.calls();
        assert.ok(
          calls.some((a) => a[1] === "exec" && a.includes("-i") && a.includes("tar")),
          "provisioning streamed the agent's files in",
        );
        for (const cp of calls.filter((a) => a[1] === "cp")) {
          assert.deepEqual([cp[2], cp[4], cp[6]], ["--mode", "--uid", "--gid"]);
        }
      },
    );

    await t.step(
      "provisioning lands with the Docker backend's owners, modes and paths",
      async () => {
        const r = await run(
          "id -u; stat -c '%U %a' ~/.bot-bottle-prompt.txt ~/.claude.json; cat ~/.bot-bottle-prompt.txt; echo; " +
            "ls /etc/ssl/certs | grep -c bot-bottle",
        );
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.trim().split("\n");
        assert.equal(lines[0], "1000", "commands run as node, not the image's root");
        assert.equal(lines[1], "node 600");
        assert.equal(lines[2], "node 600");
        assert.equal(lines[3], PROMPT);
        assert.equal(lines[4], "1", "the bottle's CA is trusted");
      },
    );

    await t.step("claude -p in the VM reaches the fake API with the real key", async () => {
      const r = await runBotBottle(["exec", name, "--", "claude", "-p", "Say hello"], {
        cwd: dir.path,
        env,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(REPLY));
      const messages = (await upstream.received()).filter((e) =>
        String(e.path).startsWith("/v1/messages")
      );
      assert.ok(messages.length > 0);
      for (const m of messages) assert.equal(m.xApiKey, KEY);
      const environ = await captureRaw(
        $`docker exec ${`fake-smolvm-${machine}`} sh -c ${"cat /proc/[0-9]*/environ | tr '\\0' '\\n'"}`,
      );
      assert.match(environ.stdout, /ANTHROPIC_API_KEY=bot-bottle-placeholder/);
      assert.ok(!environ.stdout.includes(KEY), "the key is in no process environment in the VM");
    });

    await t.step("probes: host refused, bundle's other ports refused, DNS closed", async () => {
      await assertSealed(run, { gateway, bundleIp, hostPort: host.port });
      const proxied = await run(
        "curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://plain.fake.test/",
      );
      assert.equal(proxied.stdout, "200", "the allowed host answers through the proxy");
    });

    await t.step("logs shows the VM policy's denials next to the bundle's audit", async () => {
      const r = await runBotBottle(["logs", name, "--format", "json"], { cwd: dir.path, env });
      assert.equal(r.code, 0, r.stderr);
      const entries = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assert.ok(
        entries.some((e) => e.kind === "vm" && e.action === "deny" && e.dest.startsWith(gateway)),
        r.stdout,
      );
      assert.ok(entries.some((e) => e.kind === "dns"), "the bundle's own entries are there too");
      assert.ok(!r.stdout.includes(KEY));
    });

    await t.step("exec passes exit codes through, and a guest timeout is 124", async () => {
      assert.equal((await run("exit 7")).code, 7);
      const timedOut = await withFakeOnPath(
        fake.env,
        () => new SmolvmGuest(machine).exec(["sleep", "30"], { timeout: "1s" }),
      );
      assert.equal(timedOut.code, 124);
    });

    await t.step("ls lists the bottle as a smolvm one", async () => {
      const r = await runBotBottle(["ls", "--format", "json"], { env });
      const row = JSON.parse(r.stdout).find((b: { name: string }) => b.name === name);
      assert.equal(row?.backend, "smolvm");
      assert.equal(row?.status, "running");
    });
  } finally {
    // Asserted after: a failure here would hide the one that brought it here.
    down = await runBotBottle(["down", name], { env });
  }
  assert.equal(down.code, 0, down.stderr);

  await t.step("down deletes the VM with -f before the bundle and networks", async () => {
    const calls = await fake.calls();
    assert.ok(calls.some((a) => a.join(" ") === `machine delete --name ${machine} -f`));
    assert.deepEqual(await fake.containers(), [], "no machine is left");
    const left = await captureRaw(
      $`docker ps --all --quiet --filter ${`label=bot-bottle.bottle=${name}`}`,
    );
    const nets = await captureRaw(
      $`docker network ls --quiet --filter ${`label=bot-bottle.bottle=${name}`}`,
    );
    assert.equal(left.stdout.trim() + nets.stdout.trim(), "", "nothing of the bottle remains");
  });

  await t.step("start reuses the cached archive, runs claude, and removes everything", async () => {
    const r = await runBotBottle(["start", "claude", "--", "-p", "Say hello"], {
      cwd: dir.path,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(REPLY));
    assert.doesNotMatch(r.stderr, /Saving the agent image/, "the archive is cached by image ID");
    assert.deepEqual(await fake.containers(), []);
    assert.deepEqual(
      JSON.parse(await Deno.readTextFile(join(fake.state, "machines.json"))),
      {},
      "the fake holds no machine",
    );
  });
});

dockerTest("cleanup finds a broken smolvm bottle by label and removes VM and all", async () => {
  await using project = await setup();
  const { fake, dir, env } = project;
  const up = await runBotBottle(["up", "claude"], { cwd: dir.path, env });
  assert.equal(up.code, 0, up.stderr);
  const broken = up.stdout.trim();
  // A whole `up` bottle is left alone by any cleanup; breaking it and sweeping the
  // engine runs with no other test in flight.
  await exclusively(async () => {
    await captureRaw($`docker rm --force ${`bot-bottle-${broken}-bundle`}`);
    const r = await runBotBottle(["cleanup"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Removed ${broken}`));
  });
  assert.deepEqual(await fake.containers(), [], "the VM is deleted");
  const nets = await captureRaw(
    $`docker network ls --quiet --filter ${`label=bot-bottle.bottle=${broken}`}`,
  );
  assert.equal(nets.stdout.trim(), "");
});

Deno.test("the fake smolvm rejects the argv forms the current CLI rejects", async () => {
  await using fake = await fakeSmolvm();
  const call = (args: string[]) =>
    withFakeOnPath(fake.env, () => captureRaw($`smolvm ${args}`, "1m"));
  const positional = await call(["machine", "create", "vm1", "--image", "/x.tar"]);
  assert.equal(positional.code, 2);
  assert.match(positional.stderr, /unexpected argument 'vm1'/);
  const noForce = await call(["machine", "delete", "--name", "vm1"]);
  assert.equal(noForce.code, 2);
  assert.match(noForce.stderr, /without -f/);
  const pack = await call(["pack", "create", "--image", "x", "-o", "out.smolmachine"]);
  assert.equal(pack.code, 2);
  assert.match(pack.stderr, /must not end in \.smolmachine/);
  const missing = await call(["machine", "start", "--name", "nope"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not found/);
  const dirCopy = await call(["machine", "cp", "/tmp", "nope:/tmp/x"]);
  assert.equal(dirCopy.code, 1);
  assert.match(dirCopy.stderr, /only files/);
});
