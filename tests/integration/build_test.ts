/**
 * Image builds: a failed build names the step it stopped at, leaves no stopped container
 * behind, and stops a build running beside it; a build trusting a whole system trust
 * store as its CA (too large to pass as a build argument) goes through.
 */

import assert from "node:assert/strict";
import { buildAtOnce, buildImage } from "../../lib/images/build.ts";
import { $, captureRaw } from "../shell.ts";
import { dockerTest } from "./docker.ts";

dockerTest("a failed build says which step failed and leaves no container", async () => {
  // The failing step's command carries a mark of this test, so that a container left by
  // it is found among those of other tests using the engine at the same time.
  const mark = crypto.randomUUID().slice(0, 8);
  const tag = `bot-bottle-test-failing:${mark}`;
  for (let i = 0; i < 2; i++) {
    await assert.rejects(
      buildImage(
        {
          repository: "bot-bottle-test-failing",
          files: {
            Dockerfile:
              `FROM debian:bookworm-slim\nRUN echo one > /one\nRUN exit 3 # ${mark}\nRUN echo never\n`,
          },
        },
        tag,
        {},
      ),
      new RegExp(`failed at step \\d+/\\d+: RUN exit 3 # ${mark} \\(exit \\d+\\)`),
    );
  }
  const left = await captureRaw($`docker ps --all --no-trunc --format ${"{{.ID}} {{.Command}}"}`);
  assert.equal(left.code, 0, left.stderr);
  assert.deepEqual(
    left.stdout.split("\n").filter((line) => line.includes(mark)),
    [],
    "a failed build left a container",
  );
});

dockerTest(
  "builds at once: one failing stops the other, names its step, and leaves no container",
  async () => {
    const mark = crypto.randomUUID().slice(0, 8);
    const slow = `bot-bottle-test-slow:${mark}`;
    await assert.rejects(
      buildAtOnce([
        {
          source: {
            repository: "bot-bottle-test-slow",
            // Would take a minute and succeed, unless it is stopped.
            files: { Dockerfile: `FROM debian:bookworm-slim\nRUN sleep 60 # ${mark}\n` },
          },
          tag: slow,
          label: "slow",
        },
        {
          source: {
            repository: "bot-bottle-test-failing",
            files: { Dockerfile: `FROM debian:bookworm-slim\nRUN sleep 2; exit 3 # ${mark}\n` },
          },
          tag: `bot-bottle-test-failing:${mark}`,
          label: "failing",
        },
      ], {}),
      new RegExp(`failed at step \\d+/\\d+: RUN sleep 2; exit 3 # ${mark} \\(exit \\d+\\)`),
    );
    const image = await captureRaw($`docker image inspect ${slow}`);
    assert.notEqual(image.code, 0, "the slow build was not stopped: its image exists");
    // The engine removes a cancelled build's container as it winds the build down.
    let left: string[] = [];
    for (let i = 0; i < 40; i++) {
      const ps = await captureRaw($`docker ps --all --no-trunc --format ${"{{.ID}} {{.Command}}"}`);
      assert.equal(ps.code, 0, ps.stderr);
      left = ps.stdout.split("\n").filter((line) => line.includes(mark));
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(left, [], "a build left a container");
  },
);

dockerTest("a build with a whole system trust store as its CA goes through", async () => {
  const store = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]
    .find((p) => {
      try {
        return Deno.statSync(p).isFile;
      } catch {
        return false;
      }
    });
  const system = store ? Deno.readTextFileSync(store) : "";
  assert.ok(system.length > 100_000, "a system trust store of some hundred KB");
  // The whole store, plus one certificate block found nowhere else, to look for in layers.
  const marker = btoa(crypto.randomUUID() + crypto.randomUUID()).replace(/=+$/, "");
  const file = await Deno.makeTempFile({ suffix: ".pem" });
  await Deno.writeTextFile(
    file,
    `${system}\n-----BEGIN CERTIFICATE-----\n${marker}\n-----END CERTIFICATE-----\n`,
  );
  const tag = `bot-bottle-test-ca:${crypto.randomUUID().slice(0, 8)}`;
  try {
    await buildImage(
      {
        repository: "bot-bottle-test-ca",
        files: {
          Dockerfile: "FROM debian:bookworm-slim AS use\nCOPY build-ca.crt /tmp/ca.crt\n" +
            "RUN test \"$(grep -c 'BEGIN CERTIFICATE' /tmp/ca.crt)\" -gt 100\n" +
            "FROM debian:bookworm-slim\nCOPY --from=use /etc/hostname /copied\n",
        },
      },
      tag,
      { buildCa: { path: file, from: "--ca-cert" } },
    );
    const layers = await captureRaw(
      $`sh -c ${`docker save "$1" | tar -xO --wildcards '*' 2>/dev/null | grep -c -F "$2" || true`} sh ${tag} ${marker}`,
      "5m",
    );
    assert.equal(layers.stdout.trim(), "0", "the CA is in a layer of the final image");
  } finally {
    await captureRaw($`docker rmi --force ${tag}`);
    await Deno.remove(file);
  }
});
