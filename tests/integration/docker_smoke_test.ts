/**
 * The engine path, proven: a container from the base image stand-in runs, and `plan`
 * creates no docker resource.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
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
