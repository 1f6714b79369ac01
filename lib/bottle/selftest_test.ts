import assert from "node:assert/strict";
import type { Guest, GuestResult } from "../backend/types.ts";
import { BackendError } from "../errors.ts";
import { parseManifest } from "../manifest/load.ts";
import { planBottle } from "../plan/plan.ts";
import { judgeSelfTest, probeGuest, selfTest, selfTestScript } from "./selftest.ts";

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

/** Runs `selfTestScript` with stand-ins for curl (`curl`, a shell body) and getent. */
async function runScript(curl: string, waitSeconds?: number): Promise<string> {
  const bin = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${bin}/curl`, `#!/bin/sh\n${curl}\n`, { mode: 0o755 });
    await Deno.writeTextFile(`${bin}/getent`, "#!/bin/sh\nexit 2\n", { mode: 0o755 });
    const out = await new Deno.Command("sh", {
      args: ["-c", selfTestScript(plan, waitSeconds)],
      env: { PATH: `${bin}:/usr/bin:/bin`, STATE: `${bin}/count` },
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
}

/** The gateway's probe times out, as in a sealed bottle. */
const GATEWAY = `case "$*" in *:9/*) sleep 0.2; echo "curl: (28) timed out" >&2; exit 28;; esac`;

Deno.test("selfTestScript(): each check says its line (they run at once, in any order)", async () => {
  const text = await runScript(`${GATEWAY}\nprintf 400`);
  assert.equal(text.trim().split("\n").length, 3, text);
  assert.deepEqual(judgeSelfTest(text, plan).map((r) => r.ok), [true, true, true], text);
});

Deno.test("selfTestScript() asks the proxy again until it answers (the bundle still starting)", async () => {
  // No answer ("000", connection refused) twice, then the proxy's 400.
  const text = await runScript(
    `${GATEWAY}\nn=$(cat "$STATE" 2>/dev/null || echo 0); echo $((n + 1)) > "$STATE"\n` +
      `if [ "$n" -lt 2 ]; then printf 000; exit 7; fi; printf 400`,
  );
  assert.deepEqual(judgeSelfTest(text, plan).map((r) => r.ok), [true, true, true], text);
});

Deno.test("selfTestScript() gives up on a proxy that never answers, and says so", async () => {
  const text = await runScript(`${GATEWAY}\nprintf 000; exit 7`, 1);
  assert.match(text, /^proxy 000$/m);
  assert.deepEqual(judgeSelfTest(text, plan).map((r) => r.ok), [false, true, true], text);
});

Deno.test("selfTest() judges probes that ran earlier, without running them again", async () => {
  const scripts: string[] = [];
  const recording = (stdout: string) => ({
    guest: {
      ...guest(stdout).guest,
      exec: (argv: string[]): Promise<GuestResult> => {
        scripts.push(argv.at(-1)!);
        return Promise.resolve({ code: 0, stdout, stderr: "" });
      },
    },
  });
  const probed = probeGuest(plan, recording(PASS).guest);
  const results = await selfTest(plan, recording(""), probed);
  assert.deepEqual(results.map((r) => r.ok), [true, true, true]);
  assert.equal(scripts.length, 1, "the probes ran once");
  assert.match(scripts[0]!, /getent hosts docs\.example\.org/);
  // Earlier probes that found the host reachable fail the test like late ones.
  await assert.rejects(
    () => selfTest(plan, recording(PASS), Promise.resolve(REFUSED)),
    /host is not reachable/,
  );
});
