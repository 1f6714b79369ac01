/**
 * Load: bottles started in parallel, each used (the real claude answers through its own
 * proxy) and removed, leave nothing; no two share a subnet; each bundle stays under 80
 * MB. CI runs three at once; `deno task test:load` runs twenty
 * (BOT_BOTTLE_PARALLEL=20).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { $, captureRaw } from "../shell.ts";
import { runBotBottle, tempDir } from "../helpers.ts";
import { dockerTest } from "./docker.ts";
import { claudeManifest, startUpstream, upstreamEnv } from "./upstream.ts";

const COUNT = Number(Deno.env.get("BOT_BOTTLE_PARALLEL") ?? "3");
const KEY = `sk-ant-api03-${crypto.randomUUID()}-parallel`;
const REPLY = "PONG to every bottle";

/** Resident memory of a container, in MB, from `docker stats`. */
async function memoryMb(container: string): Promise<number> {
  const r = await captureRaw($`docker stats --no-stream --format ${"{{.MemUsage}}"} ${container}`);
  const m = /^([\d.]+)\s*([KMG]i?B)/.exec(r.stdout.trim());
  if (!m) throw new Error(`docker stats for ${container}: ${r.stdout} ${r.stderr}`);
  const scale: Record<string, number> = {
    KiB: 1 / 1024,
    MiB: 1,
    GiB: 1024,
    KB: 1 / 1000,
    MB: 1,
    GB: 1000,
  };
  return Number(m[1]) * (scale[m[2]!] ?? 1);
}

dockerTest(
  `${COUNT} bottles in parallel: each works, none shares a subnet, nothing is left`,
  async () => {
    await using upstream = await startUpstream(["api.anthropic.com"], REPLY, {
      expect: { "api.anthropic.com": { "x-api-key": KEY } },
    });
    await using dir = await tempDir();
    await Deno.writeTextFile(
      join(dir.path, "bot-bottle.yaml"),
      claudeManifest(upstream.subnet),
    );
    const env = {
      ANTHROPIC_API_KEY: KEY,
      ...(await upstreamEnv(upstream)),
    };
    // Images first, so that the parallel part measures bottles, not one build.
    assert.equal((await runBotBottle(["build"], { env })).code, 0);

    const ups = await Promise.all(
      Array.from({ length: COUNT }, () => runBotBottle(["up", "claude"], { cwd: dir.path, env })),
    );
    const names = ups.map((u) => u.stdout.trim());
    let downs;
    try {
      ups.forEach((u, i) => assert.equal(u.code, 0, `up ${i}: ${u.stderr}`));
      const subnets = await Promise.all(names.map(async (n) =>
        (await captureRaw(
          $`docker network inspect --format ${"{{range .IPAM.Config}}{{.Subnet}}{{end}}"} ${`bot-bottle-${n}-internal`}`,
        )).stdout.trim()
      ));
      assert.equal(new Set(subnets).size, COUNT, `subnets shared: ${subnets.join(", ")}`);

      const answers = await Promise.all(
        names.map((n) => runBotBottle(["exec", n, "--", "claude", "-p", "Say hello"], { env })),
      );
      answers.forEach((a, i) => {
        assert.equal(a.code, 0, `${names[i]}: ${a.stderr}`);
        assert.match(a.stdout, new RegExp(REPLY));
      });
      for (const n of names) {
        const mb = await memoryMb(`bot-bottle-${n}-bundle`);
        assert.ok(mb < 80, `the bundle of ${n} uses ${mb.toFixed(1)} MB`);
      }
    } finally {
      // Asserted after: a failure here would hide the one that brought it here.
      downs = await Promise.all(
        names.filter(Boolean).map((n) => runBotBottle(["down", n], { env })),
      );
    }
    downs.forEach((d) => assert.equal(d.code, 0, d.stderr));
    for (const n of names) {
      const left = await captureRaw(
        $`sh -c ${`docker ps -aq --filter label=bot-bottle.bottle=${n}; docker network ls -q --filter label=bot-bottle.bottle=${n}`}`,
      );
      assert.equal(left.stdout.trim(), "", `${n} left something`);
    }
  },
);
