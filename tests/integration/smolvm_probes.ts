/**
 * @module
 * The seeds' acceptance probes for a microVM bottle, shared by the test against the
 * strict fake and the one against a real smolvm: the host (a service on every host
 * interface) is not reachable, the bundle's ports other than the agent-facing ones
 * refuse, an outside name does not resolve, and the prompt file landed.
 */

import assert from "node:assert/strict";
import { $, captureRaw } from "../shell.ts";
import type { CliResult } from "../helpers.ts";
import { fakeImage } from "./upstream.ts";

/** A server in the host's network namespace on every interface (a host-network container). */
export async function hostService(): Promise<AsyncDisposable & { port: number }> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const container = `bot-bottle-test-host-${port}`;
  await captureRaw(
    $`docker run --detach --name ${container} --label bot-bottle.test=1 --network host --entrypoint /usr/local/bin/deno ${await fakeImage()} eval ${`Deno.serve({ port: ${port}, hostname: "0.0.0.0" }, () => new Response("host service"))`}`,
  );
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    up = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()).then(
      (t) => t === "host service",
      () => false,
    );
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(up, "the host service answers on the host");
  return {
    port,
    [Symbol.asyncDispose]: async () => {
      await captureRaw($`docker rm --force ${container}`);
    },
  };
}

/** The bundle's address on the bottle's internal network. */
export async function bundleAddress(instance: string): Promise<string> {
  const r = await captureRaw(
    $`docker inspect --format ${"{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"} ${`bot-bottle-${instance}-bundle`}`,
  );
  const ip = r.stdout.trim().split(" ").find((a) => a.startsWith("10.213."));
  assert.ok(ip, `the bundle has an internal address: ${r.stdout}${r.stderr}`);
  return ip;
}

/** Runs the probes through `run` (a shell script in the guest, as the agent) and judges them. */
export async function assertSealed(
  run: (script: string) => Promise<CliResult>,
  where: { gateway: string; bundleIp: string; hostPort: number },
): Promise<void> {
  const { gateway, bundleIp, hostPort } = where;
  const r = await run([
    `curl -s -o /dev/null --noproxy '*' --max-time 3 http://${gateway}:${hostPort}/; echo "host $?"`,
    `curl -s -o /dev/null --noproxy '*' --max-time 3 http://127.0.0.1:${hostPort}/; echo "loopback $?"`,
    `curl -s -o /dev/null --noproxy '*' --max-time 3 http://${bundleIp}:9101/requests; echo "control $?"`,
    `curl -s -o /dev/null --noproxy '*' --max-time 3 http://${bundleIp}:22/; echo "ssh $?"`,
    `getent hosts example.com; echo "dns $?"`,
    `test -s ~/.bot-bottle-prompt.txt; echo "prompt $?"`,
  ].join("\n"));
  const code = (k: string) => r.stdout.match(new RegExp(`^${k} (\\d+)`, "m"))?.[1];
  assert.ok(code("host") && code("host") !== "0", `the host service answered: ${r.stdout}`);
  assert.ok(code("loopback") && code("loopback") !== "0", "the host's loopback is not the VM's");
  assert.equal(code("control"), "7", "the control API binds the bundle's loopback only");
  assert.equal(code("ssh"), "7", "nothing else listens on the bundle's address");
  assert.equal(code("dns"), "2", "an outside name does not resolve");
  assert.equal(code("prompt"), "0", "the prompt file landed");
}
