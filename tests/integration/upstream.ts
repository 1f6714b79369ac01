/**
 * @module
 * Hermetic fake upstreams: an `--internal` docker network that only the test's
 * containers join, and a fake server answering under network aliases, so nothing a
 * test does can reach an outside address.
 */

import { join } from "node:path";
import { $, capture, captureRaw } from "../../lib/shell.ts";
import { BUNDLE_SOURCE } from "../../lib/images/sources.ts";
import { imageTag } from "../../lib/images/tags.ts";
import { ROOT, runBotBottle } from "../helpers.ts";

/** A running fake upstream and its network. */
export interface Upstream extends AsyncDisposable {
  /** The hermetic network; pass it as BOT_BOTTLE_EGRESS_NETWORK. */
  network: string;
  container: string;
  /** The fake's address on the hermetic network. */
  ip: string;
  /** The hermetic network's subnet: a private range a manifest must allow explicitly. */
  subnet: string;
  /** Host file holding the fake's CA; pass it as BOT_BOTTLE_UPSTREAM_CA. */
  caFile: string;
  /** Every request the fake received so far. */
  received(): Promise<Record<string, string | number | null>[]>;
}

let built: Promise<void> | undefined;

/** Builds the bot-bottle images once per test run (with the build CA, where needed). */
export function ensureImagesBuilt(): Promise<void> {
  built ??= (async () => {
    const r = await runBotBottle(["build"], { env: await buildCaEnv() });
    if (r.code !== 0) throw new Error(`bot-bottle build failed:\n${r.stderr}`);
  })();
  return built;
}

/** The image the fake runs in: the bundle image already holds Deno and openssl. */
export async function fakeImage(): Promise<string> {
  await ensureImagesBuilt();
  return await imageTag(BUNDLE_SOURCE);
}

/** Starts a fake upstream answering as each of `hosts`, replying `reply` to the Messages API. */
export async function startUpstream(hosts: string[], reply: string): Promise<Upstream> {
  const id = crypto.randomUUID().slice(0, 8);
  const network = `bot-bottle-test-egress-${id}`;
  const container = `bot-bottle-test-fake-${id}`;
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-upstream-" });
  const cleanup = async () => {
    await captureRaw($`docker rm --force ${container}`);
    await captureRaw($`docker network rm ${network}`);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await capture(
      "create test network",
      $`docker network create --internal --label bot-bottle.test=1 ${network}`,
    );
    const aliases = hosts.flatMap((h) => ["--network-alias", h]);
    await capture(
      "start fake upstream",
      $`docker run --detach --name ${container} --label bot-bottle.test=1 --network ${network} ${aliases} --user 0:0 --volume ${`${
        join(ROOT, "tests/fixtures/fake_upstream.ts")
      }:/opt/bot-bottle/tests/fixtures/fake_upstream.ts:ro`} --entrypoint /usr/local/bin/deno ${await fakeImage()} run --allow-all /opt/bot-bottle/tests/fixtures/fake_upstream.ts ${reply} ${hosts}`,
    );
    for (let i = 0; i < 100; i++) {
      if ((await captureRaw($`docker exec ${container} test -f /srv/out/ready`)).code === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const caFile = join(dir, "upstream-ca.crt");
    await Deno.writeTextFile(
      caFile,
      await capture("read fake CA", $`docker exec ${container} cat /srv/out/ca/ca.crt`),
    );
    const ip = (await capture(
      "fake address",
      $`docker inspect --format ${`{{(index .NetworkSettings.Networks "${network}").IPAddress}}`} ${container}`,
    )).trim();
    const subnet = (await capture(
      "hermetic subnet",
      $`docker network inspect --format ${"{{range .IPAM.Config}}{{.Subnet}}{{end}}"} ${network}`,
    )).trim();
    return {
      network,
      container,
      ip,
      subnet,
      caFile,
      async received() {
        const r = await captureRaw($`docker exec ${container} cat /srv/out/received.jsonl`);
        return r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
      },
      [Symbol.asyncDispose]: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/**
 * Environment for image builds on machines whose network intercepts TLS: the CAs in
 * /usr/local/share/ca-certificates, trusted during the build only.
 */
export async function buildCaEnv(): Promise<Record<string, string>> {
  if (Deno.env.get("BOT_BOTTLE_BUILD_CA")) {
    return { BOT_BOTTLE_BUILD_CA: Deno.env.get("BOT_BOTTLE_BUILD_CA")! };
  }
  const dir = "/usr/local/share/ca-certificates";
  const pems: string[] = [];
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.name.endsWith(".crt")) pems.push(Deno.readTextFileSync(join(dir, entry.name)));
    }
  } catch {
    return {};
  }
  if (pems.length === 0) return {};
  const file = await Deno.makeTempFile({ prefix: "bot-bottle-build-ca-", suffix: ".pem" });
  await Deno.writeTextFile(file, pems.join("\n"));
  return { BOT_BOTTLE_BUILD_CA: file };
}
