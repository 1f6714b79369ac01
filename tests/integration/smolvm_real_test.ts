/**
 * The smolvm backend against a real smolvm: runs where `smolvm` (1.9 or later, not the
 * test fake) is on PATH and /dev/kvm exists, and is skipped with the reason otherwise.
 * It repeats the seeds' acceptance probes: host loopback and a host service on every
 * interface refused, the bundle's non-agent ports refused, the prompt file landed,
 * and DNS closed.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { $, captureRaw } from "../shell.ts";
import { runBotBottle, tempDir } from "../helpers.ts";
import { dockerUnavailable } from "./docker.ts";
import { assertSealed, bundleAddress, hostService } from "./smolvm_probes.ts";
import { buildCaEnv } from "./upstream.ts";

async function whyNot(): Promise<string | undefined> {
  const docker = await dockerUnavailable();
  if (docker) return docker;
  const version = await captureRaw($`smolvm --version`, "20s").catch(() => undefined);
  if (!version || version.code !== 0) return "smolvm is not on PATH";
  if (Deno.build.os !== "linux") {
    return `smolvm bottles need Linux with KVM (this is ${Deno.build.os})`;
  }
  const kvm = await captureRaw($`sh -c ${"test -c /dev/kvm"}`).catch(() => ({ code: 1 }));
  if (kvm.code !== 0) return "/dev/kvm is missing";
  return undefined;
}

const reason = await whyNot();
if (reason) {
  // deno-lint-ignore no-console
  console.error(`skipping the real-smolvm test: ${reason}`);
}

Deno.test({
  name: "a real smolvm bottle holds: host and bundle ports refused, DNS closed, prompt landed",
  ignore: reason !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(
      join(dir.path, "bot-bottle.yaml"),
      `bottles:\n  vm:\n    backend: smolvm\nagents:\n  demo:\n    bottle: vm\n    prompt: "You are demo. Be brief."\n`,
    );
    const env = { ...(await buildCaEnv()), BOT_BOTTLE_CACHE_DIR: join(dir.path, "cache") };
    await using host = await hostService();
    const up = await runBotBottle(["up", "demo"], { cwd: dir.path, env });
    assert.equal(up.code, 0, up.stderr);
    const name = up.stdout.trim();
    let down;
    try {
      const bundleIp = await bundleAddress(name);
      const gateway = bundleIp.replace(/\d+$/, (last) => String(Number(last) - 1));
      await assertSealed(
        (script) => runBotBottle(["exec", name, "--", "sh", "-c", script], { cwd: dir.path, env }),
        { gateway, bundleIp, hostPort: host.port },
      );
    } finally {
      // Asserted after: a failure here would hide the one that brought it here.
      down = await runBotBottle(["down", name], { env });
    }
    assert.equal(down.code, 0, down.stderr);
    const machines = await captureRaw($`smolvm machine ls --json`);
    assert.ok(!machines.stdout.includes(name), "the VM is deleted");
  },
});
