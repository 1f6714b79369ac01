import assert from "node:assert/strict";
import type { Guest, GuestResult } from "../backend/types.ts";
import { BackendError } from "../errors.ts";
import { parseManifest } from "../manifest/load.ts";
import { planBottle } from "../plan/plan.ts";
import { judgeSelfTest, probeNetwork, selfTest, selfTestScript } from "./selftest.ts";

const plan = planBottle(
  parseManifest(
    "bottles: {dev: {egress: {allow: [docs.example.org]}}}\nagents: {a: {bottle: dev}}",
    "m",
  ),
  { agent: "a", agentArgs: [] },
  {
    runId: "t1",
    env: {},
    home: "/h",
    manifestDir: "/p",
    paths: {},
    usedSubnets: [],
    images: { agent: "a", bundle: "b" },
  },
);

function guest(stdout: string): { guest: Guest } {
  return {
    guest: {
      putFile: () => Promise.resolve(),
      getFile: () => Promise.resolve(),
      exec: (): Promise<GuestResult> => Promise.resolve({ code: 0, stdout, stderr: "" }),
    },
  };
}

const PASS =
  "proxy 400\ndns refused\ngateway 28 curl: (28) Connection timed out after 2001 milliseconds\n";

Deno.test("selfTest() passes a sealed guest", async () => {
  const results = await selfTest(plan, guest(PASS));
  assert.deepEqual(results.map((r) => r.ok), [true, true, true]);
});

Deno.test("selfTest() fails closed and names every failed check", async () => {
  const leaky =
    "proxy 000\ndns resolved\ngateway 7 curl: (7) Failed to connect to 10.0.0.1 port 9: Connection refused\n";
  await assert.rejects(() => selfTest(plan, guest(leaky)), (e: unknown) => {
    assert.ok(e instanceof BackendError);
    assert.match(e.message, /self-test failed, so it was not started/);
    assert.match(e.message, /the proxy answers: the proxy at [\d.]+ gave "000"/);
    assert.match(
      e.message,
      /outside names do not resolve: "docs\.example\.org" resolved inside the guest/,
    );
    assert.match(
      e.message,
      /the host is not reachable through the bottle's network: .*Connection refused/,
    );
    return true;
  });
});

const REFUSED =
  "proxy 400\ndns refused\ngateway 7 curl: (7) Failed to connect to 10.0.0.1 port 9: Connection refused\n";

Deno.test("selfTest() takes a refused gateway as closed only when the guest's policy reports the denial", async () => {
  const asked: string[] = [];
  const withPolicy = (denied: boolean) => ({
    ...guest(REFUSED),
    deniedByPolicy(address: string) {
      asked.push(address);
      return Promise.resolve(denied);
    },
  });
  const results = await selfTest(plan, withPolicy(true));
  assert.deepEqual(results.map((r) => r.ok), [true, true, true]);
  assert.deepEqual(asked, [plan.networks.internal.gateway]);
  // The policy saw nothing: the refusal came from the host, which is reachable.
  await assert.rejects(() => selfTest(plan, withPolicy(false)), /host is not reachable/);
  // A backend without a policy of its own never turns a refusal into a pass.
  await assert.rejects(() => selfTest(plan, guest(REFUSED)), /host is not reachable/);
});

Deno.test("judgeSelfTest() treats missing output as failure", () => {
  assert.deepEqual(judgeSelfTest("", plan).map((r) => r.ok), [false, false, false]);
});

Deno.test("selfTestScript() probes the bundle's proxy, a name the bottle uses, and the gateway", () => {
  const script = selfTestScript(plan);
  assert.match(script, new RegExp(`http://${plan.bundle.address}:3128/`));
  assert.match(script, /getent hosts docs\.example\.org/);
  assert.match(script, new RegExp(`http://${plan.networks.internal.gateway}:9/`));
});

Deno.test("selfTestScript(): each check says its line (they run at once, in any order)", async () => {
  // Stand-ins for curl and getent that answer as a sealed bottle does.
  const bin = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${bin}/curl`,
      `#!/bin/sh\ncase "$*" in *:9/*) sleep 0.2; echo "curl: (28) timed out" >&2; exit 28;; ` +
        `*) printf 400;; esac\n`,
      { mode: 0o755 },
    );
    await Deno.writeTextFile(`${bin}/getent`, "#!/bin/sh\nexit 2\n", { mode: 0o755 });
    const out = await new Deno.Command("sh", {
      args: ["-c", selfTestScript(plan)],
      env: { PATH: `${bin}:/usr/bin:/bin` },
      stdout: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(text.trim().split("\n").length, 3, text);
    assert.deepEqual(judgeSelfTest(text, plan).map((r) => r.ok), [true, true, true], text);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("selfTest() with the network probe run earlier: the rest runs now, all are judged", async () => {
  const scripts: string[] = [];
  const now = (stdout: string) => ({
    guest: {
      ...guest(stdout).guest,
      exec: (argv: string[]): Promise<GuestResult> => {
        scripts.push(argv.at(-1)!);
        return Promise.resolve({ code: 0, stdout, stderr: "" });
      },
    },
  });
  const gatewayLine = "gateway 28 curl: (28) Connection timed out after 300 milliseconds\n";
  const results = await selfTest(
    plan,
    now("dns refused\nproxy 400\n"),
    probeNetwork(plan, now(gatewayLine).guest),
  );
  assert.deepEqual(results.map((r) => r.ok), [true, true, true]);
  const [early, rest] = scripts;
  assert.match(early!, new RegExp(`http://${plan.networks.internal.gateway}:9/`));
  assert.doesNotMatch(early!, /getent|:3128/);
  assert.match(rest!, /getent hosts docs\.example\.org/);
  assert.doesNotMatch(rest!, /:9\//, "the network probe does not run twice");
  // An earlier probe that found the host reachable fails the test like a late one.
  await assert.rejects(
    () =>
      selfTest(
        plan,
        now("dns refused\nproxy 400\n"),
        Promise.resolve("gateway 7 curl: (7) Connection refused\n"),
      ),
    /host is not reachable/,
  );
});
