import assert from "node:assert/strict";
import { buildArgs, buildCaSource, failedStep, readBuildCa, withBuildLock } from "./build.ts";
import { agentSource, BUNDLE_SOURCE } from "./sources.ts";

Deno.test("buildCaSource(): the flag, then BOT_BOTTLE_BUILD_CA, then the CAs the host names for its tools", () => {
  const env = { NODE_EXTRA_CA_CERTS: "/n.pem", DENO_CERT: "/d.pem", SSL_CERT_FILE: "/s.pem" };
  assert.deepEqual(buildCaSource("/flag.pem", { ...env, BOT_BOTTLE_BUILD_CA: "/b.pem" }), {
    path: "/flag.pem",
    from: "--ca-cert",
  });
  assert.deepEqual(
    buildCaSource(undefined, { ...env, BOT_BOTTLE_BUILD_CA: "/b.pem" })?.from,
    "BOT_BOTTLE_BUILD_CA",
  );
  assert.deepEqual(buildCaSource(undefined, env), { path: "/n.pem", from: "NODE_EXTRA_CA_CERTS" });
  assert.deepEqual(buildCaSource(undefined, { SSL_CERT_FILE: "/s.pem" })?.from, "SSL_CERT_FILE");
  assert.equal(buildCaSource(undefined, {}), undefined);
});

Deno.test("build arguments never carry the CA, however large: it travels as a file", async () => {
  // A whole trust store (some hundred KB) used to overflow the argument list.
  const store = "-----BEGIN CERTIFICATE-----\n" + "A".repeat(64 * 3000) +
    "\n-----END CERTIFICATE-----\n";
  const file = await Deno.makeTempFile({ suffix: ".pem" });
  try {
    await Deno.writeTextFile(file, store);
    assert.equal(await readBuildCa({ path: file, from: "--ca-cert" }), store);
    for (const source of [BUNDLE_SOURCE, agentSource("claude"), agentSource("codex")]) {
      const args = buildArgs(source, "t:1", "/ctx");
      assert.ok(args.includes("--force-rm"), "a failed step leaves no container");
      assert.ok(!args.some((a) => a.includes("BEGIN CERTIFICATE") || a.includes("BUILD_CA")));
      assert.ok(args.join(" ").length < 1000);
    }
    assert.deepEqual(
      buildArgs(agentSource("codex"), "t:1", "/ctx").filter((a) => a.startsWith("AGENT_")),
      ["AGENT_PACKAGE=@openai/codex@0.171.0", "AGENT_BINARY=codex"],
    );
  } finally {
    await Deno.remove(file);
  }
  await assert.rejects(
    readBuildCa({ path: "/nonexistent.pem", from: "SSL_CERT_FILE" }),
    /from SSL_CERT_FILE/,
  );
});

Deno.test("failedStep() names the step a build stopped at", () => {
  assert.equal(
    failedStep([
      "Step 1/9 : FROM debian",
      "x",
      "Step 7/9 : RUN npm install -g x",
      "npm ERR! network",
    ]),
    "step 7/9: RUN npm install -g x",
  );
  assert.equal(failedStep(["no steps"]), undefined);
});

Deno.test("withBuildLock(): Ctrl-C ends a wait for another process's build at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let release!: () => void;
    const held = new Promise<void>((r) => release = r);
    const first = withBuildLock(dir, "bot-bottle-agent:abc", () => held);
    await new Promise((r) => setTimeout(r, 50));
    const controller = new AbortController();
    let ran = false;
    const second = withBuildLock(dir, "bot-bottle-agent:abc", () => {
      ran = true;
      return Promise.resolve();
    }, controller.signal);
    await new Promise((r) => setTimeout(r, 100));
    const interrupted = new Error("interrupted");
    controller.abort(interrupted);
    // Settled while the first build still holds the lock: the wait does not outlast it.
    const outcome = await Promise.race([
      second.then(() => "ran", (error) => error),
      new Promise((r) => setTimeout(() => r("still waiting"), 2_000)),
    ]);
    assert.equal(outcome, interrupted);
    assert.equal(ran, false, "the interrupted builder never builds");
    release();
    await first;
    // The lock is free again for the next builder.
    await withBuildLock(dir, "bot-bottle-agent:abc", (waited) => {
      assert.equal(waited, false);
      return Promise.resolve();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("withBuildLock(): a second builder of one tag waits its turn, then learns it waited", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => release = r);
    const first = withBuildLock(dir, "bot-bottle-agent:abc", async (waited) => {
      order.push(`first ${waited}`);
      await held;
      order.push("first done");
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = withBuildLock(dir, "bot-bottle-agent:abc", (waited) => {
      order.push(`second ${waited}`);
      return Promise.resolve();
    });
    // Another version of the image waits too; another image does not.
    const version = withBuildLock(dir, "bot-bottle-agent:def", (waited) => {
      order.push(`version ${waited}`);
      return Promise.resolve();
    });
    await withBuildLock(dir, "bot-bottle-bundle:abc", (waited) => {
      order.push(`other ${waited}`);
      return Promise.resolve();
    });
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(order, ["first false", "other false"], "the second builder waits");
    release();
    await Promise.all([first, second, version]);
    assert.deepEqual(order.slice(0, 3), ["first false", "other false", "first done"]);
    assert.deepEqual(order.slice(3).toSorted(), ["second true", "version true"]);
    // One lock file per image, whatever its versions.
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).toSorted(),
      ["build-bot-bottle-agent.lock", "build-bot-bottle-bundle.lock"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
