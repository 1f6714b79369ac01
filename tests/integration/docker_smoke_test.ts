/**
 * The engine path, proven: a container from the base image stand-in runs, and `plan`
 * creates no docker resource.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import * as docker from "../../lib/docker/cli.ts";
import { ENGINE_SOCKET, engineSocket } from "../../lib/docker/engine.ts";
import { $, captureRaw } from "../../lib/shell.ts";
import { ROOT, runBotBottle } from "../helpers.ts";
import { dockerTest, READ_ONLY_DOCKER, recordingDocker } from "./docker.ts";

dockerTest("a container from debian:bookworm-slim runs and reports its OS", async () => {
  const name = `bot-bottle-smoke-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const r = await captureRaw(
      $`docker run --name ${name} --label bot-bottle.test=smoke --network none debian:bookworm-slim cat /etc/os-release`,
      "2m",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /VERSION_CODENAME=bookworm/);
  } finally {
    await captureRaw($`docker rm --force ${name}`);
  }
});

dockerTest("plan creates no container, network or volume", async () => {
  await using docker = await recordingDocker();
  for (const format of ["text", "json"]) {
    const r = await runBotBottle(["plan", "claude", "--cwd", "--format", format], {
      env: {
        ...docker.env,
        BOT_BOTTLE_MANIFEST: join(ROOT, "examples/bot-bottle.yaml"),
        ANTHROPIC_API_KEY: "x",
      },
    });
    assert.equal(r.code, 0, r.stderr);
  }
  const calls = await docker.calls();
  assert.deepEqual(calls.filter((c) => !READ_ONLY_DOCKER.test(c)), [], calls.join("\n"));
});

dockerTest(
  "the engine socket and the CLI make the same networks (internal, no host address)",
  async () => {
    // The test task grants the socket, as the tool's own flags do: both paths are compared.
    assert.equal(engineSocket(Deno.env.toObject()), ENGINE_SOCKET, "the socket path is not in use");
    const id = crypto.randomUUID().slice(0, 8);
    const shape = async (name: string) => {
      const [n] = JSON.parse((await captureRaw($`docker network inspect ${name}`)).stdout);
      return {
        internal: n.Internal,
        options: n.Options,
        subnets: n.IPAM.Config.map((c: { Subnet: string }) => c.Subnet),
        labels: n.Labels,
        attachable: n.Attachable,
        driver: n.Driver,
      };
    };
    const made: string[] = [];
    try {
      const shapes = [];
      for (const [via, subnet] of [["api", "10.250.7.0/28"], ["cli", "10.250.7.16/28"]] as const) {
        const name = `bot-bottle-test-${via}-${id}`;
        made.push(name);
        if (via === "cli") Deno.env.set("BOT_BOTTLE_DOCKER_API", "0");
        try {
          await docker.networkCreate(name, {
            internal: true,
            subnet,
            labels: { "bot-bottle.test": "1" },
            driverOptions: { "com.docker.network.bridge.inhibit_ipv4": "true" },
          });
          assert.ok(await docker.networkExists(name));
          assert.ok((await docker.networkSubnets()).includes(subnet));
        } finally {
          Deno.env.delete("BOT_BOTTLE_DOCKER_API");
        }
        const { subnets, ...rest } = await shape(name);
        assert.deepEqual(subnets, [subnet]);
        shapes.push(rest);
      }
      assert.deepEqual(shapes[0], shapes[1]);
      assert.equal(shapes[0]!.internal, true);
      assert.equal(shapes[0]!.options["com.docker.network.bridge.inhibit_ipv4"], "true");
      // A taken subnet is refused by either path with the engine's "overlaps" reason.
      await assert.rejects(
        () =>
          docker.networkCreate(`bot-bottle-test-dup-${id}`, {
            internal: true,
            subnet: "10.250.7.0/28",
            labels: { "bot-bottle.test": "1" },
          }),
        /overlap/i,
      );
      assert.equal(await docker.networkExists(`bot-bottle-test-none-${id}`), false);
    } finally {
      for (const name of made) await captureRaw($`docker network rm ${name}`);
    }
  },
);
