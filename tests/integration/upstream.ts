/**
 * @module
 * Hermetic fake upstreams: an `--internal` docker network that only the test's
 * containers join, and a fake server answering under network aliases, so nothing a
 * test does can reach an outside address.
 */

import { join } from "node:path";
import { $, capture, captureRaw } from "../shell.ts";
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
  /**
   * With a script: what each scripted command returned to the model, in order, read
   * from the tool results the fake received (the longest conversation wins).
   */
  toolResults(): Promise<ToolResult[]>;
}

/** A scripted Bash command and what Claude Code sent back for it. */
export interface ToolResult {
  command: string;
  output: string;
  isError: boolean;
}

/** A scripted model: Bash commands one per turn, then a final text. */
export interface ModelScript {
  steps: string[];
  final?: string;
}

type Block = {
  type?: string;
  id?: string;
  tool_use_id?: string;
  input?: { command?: string };
  content?: unknown;
  is_error?: boolean;
};

/** The tool results in one Messages API request body, paired with their commands. */
export function toolResultsOf(body: string): ToolResult[] {
  let request: { messages?: { content?: unknown }[] };
  try {
    request = JSON.parse(body);
  } catch {
    return [];
  }
  const commands = new Map<string, string>();
  const results: ToolResult[] = [];
  for (const m of request.messages ?? []) {
    if (!Array.isArray(m.content)) continue;
    for (const b of m.content as Block[]) {
      if (b.type === "tool_use" && b.id) commands.set(b.id, b.input?.command ?? "");
      if (b.type === "tool_result" && b.tool_use_id?.startsWith("toolu_bb")) {
        const output = typeof b.content === "string"
          ? b.content
          : Array.isArray(b.content)
          ? (b.content as Block[]).map((c) => (c as { text?: string }).text ?? "").join("")
          : "";
        results.push({
          command: commands.get(b.tool_use_id) ?? "",
          output,
          isError: b.is_error === true,
        });
      }
    }
  }
  return results;
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

/**
 * Starts a fake upstream answering as each of `hosts`, replying `reply` to the Messages
 * API, or playing a model that runs `script` through Claude Code's Bash tool.
 */
export async function startUpstream(
  hosts: string[],
  reply: string,
  options: {
    script?: ModelScript;
    /**
     * Per host, headers a request must carry (lower-case names, exact values); any
     * other request to that host gets 401, as a real API would answer a bad key.
     */
    expect?: Record<string, Record<string, string>>;
  } = {},
): Promise<Upstream> {
  const id = crypto.randomUUID().slice(0, 8);
  const network = `bot-bottle-test-egress-${id}`;
  const container = `bot-bottle-test-fake-${id}`;
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-upstream-" });
  // The fake writes what it saw here (a bind mount), so tests read it without an exec.
  const out = join(dir, "out");
  await Deno.mkdir(out, { mode: 0o777 });
  await Deno.chmod(out, 0o777);
  const cleanup = async () => {
    // Files the fake (root) wrote become removable by a test run as any user.
    await captureRaw($`docker exec ${container} chmod -R a+rwX /srv/out`);
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
    const scriptMount: string[] = [];
    if (options.script) {
      const file = join(dir, "script.json");
      await Deno.writeTextFile(file, JSON.stringify(options.script));
      await Deno.chmod(dir, 0o755);
      scriptMount.push("--volume", `${file}:/srv/script.json:ro`);
    }
    if (options.expect) {
      const file = join(dir, "expect.json");
      await Deno.writeTextFile(file, JSON.stringify(options.expect));
      await Deno.chmod(dir, 0o755);
      scriptMount.push("--volume", `${file}:/srv/expect.json:ro`);
    }
    await capture(
      "start fake upstream",
      $`docker run --detach --name ${container} --label bot-bottle.test=1 --network ${network} ${aliases} ${scriptMount} --user 0:0 --volume ${`${out}:/srv/out`} --volume ${`${
        join(ROOT, "tests/fixtures/fake_upstream.ts")
      }:/opt/bot-bottle/tests/fixtures/fake_upstream.ts:ro`} --entrypoint /usr/local/bin/deno ${await fakeImage()} run --allow-all /opt/bot-bottle/tests/fixtures/fake_upstream.ts ${reply} ${hosts}`,
    );
    const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
    for (let i = 0; i < 300 && !(await exists(join(out, "ready"))); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const caFile = join(dir, "upstream-ca.crt");
    await Deno.copyFile(join(out, "ca", "ca.crt"), caFile);
    const ip = (await capture(
      "fake address",
      $`docker inspect --format ${`{{(index .NetworkSettings.Networks "${network}").IPAddress}}`} ${container}`,
    )).trim();
    const subnet = (await capture(
      "hermetic subnet",
      $`docker network inspect --format ${"{{range .IPAM.Config}}{{.Subnet}}{{end}}"} ${network}`,
    )).trim();
    const received = async () => {
      const text = await Deno.readTextFile(join(out, "received.jsonl")).catch(() => "");
      // A line still being written is left for the next read.
      return text.split("\n").slice(0, -1).filter(Boolean).map((l) => JSON.parse(l));
    };
    return {
      network,
      container,
      ip,
      subnet,
      caFile,
      received,
      async toolResults() {
        let best: ToolResult[] = [];
        for (const entry of await received()) {
          if (!String(entry.path).startsWith("/v1/messages")) continue;
          const results = toolResultsOf(String(entry.body ?? ""));
          if (results.length > best.length) best = results;
        }
        return best;
      },
      [Symbol.asyncDispose]: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/**
 * The manifest most tests use: bottle `dev` reaching the fake's subnet, with the Anthropic
 * route injecting `x-api-key` from the host variable `keyEnv`, and agent `claude` in it.
 * `egress` and `agent` add lines to those two blocks.
 */
export function claudeManifest(
  subnet: string,
  options: { keyEnv?: string; egress?: string[]; agent?: string[]; bottle?: string[] } = {},
): string {
  const lines = (extra: string[] | undefined, indent: string) =>
    (extra ?? []).map((l) => `${indent}${l}\n`).join("");
  return `bottles:
  dev:
    egress:
${lines(options.egress, "      ")}      allow_private: ["${subnet}"]
      routes:
        - host: api.anthropic.com
          headers:
            x-api-key: { env: ${options.keyEnv ?? "ANTHROPIC_API_KEY"} }
${lines(options.bottle, "    ")}agents:
  claude:
    bottle: dev
${lines(options.agent, "    ")}`;
}

/**
 * What a bot-bottle run needs to reach `upstream`: its network as the bundle's egress,
 * its CA trusted by the proxy, and the build CA (see buildCaEnv).
 */
export async function upstreamEnv(upstream: Upstream): Promise<Record<string, string>> {
  return {
    BOT_BOTTLE_EGRESS_NETWORK: upstream.network,
    BOT_BOTTLE_UPSTREAM_CA: upstream.caFile,
    ...(await buildCaEnv()),
  };
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
  // One file per set of CAs, named by its hash and shared by every test and run: a
  // fresh temporary file per call was left behind by each (hundreds in /tmp).
  const text = pems.join("\n");
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  const hash = Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  const file = join(Deno.env.get("TMPDIR") ?? "/tmp", `bot-bottle-build-ca-${hash}.pem`);
  const held = await Deno.readTextFile(file).catch(() => undefined);
  if (held !== text) {
    // Written whole under another name, then renamed: a reader never sees half of it.
    const partial = await Deno.makeTempFile({ prefix: "bot-bottle-build-ca-", suffix: ".partial" });
    await Deno.writeTextFile(partial, text);
    await Deno.rename(partial, file);
  }
  return { BOT_BOTTLE_BUILD_CA: file };
}
