/**
 * @module
 * Building the agent and bundle images from their embedded sources, only when the
 * content-hashed tag is missing (or when forced), with progress on stderr.
 */

import { dirname, join } from "node:path";
import { LABEL_TOOL } from "../constants.ts";
import { imageExists } from "../docker/cli.ts";
import { BackendError, BotBottleError } from "../errors.ts";
import { log } from "../log.ts";
import { $ } from "../shell.ts";
import type { AgentKind } from "../agents/mod.ts";
import { agentSource, BUNDLE_SOURCE, type ImageSource } from "./sources.ts";

/** Options of an image build. */
export interface BuildOptions {
  /** Rebuild even when the tag exists. */
  force?: boolean;
  /** Path of a PEM file trusted during the build only (TLS-intercepting networks). */
  buildCa?: string;
  signal?: AbortSignal;
}

/** Reads the build-time CA file named by `--ca-cert` or BOT_BOTTLE_BUILD_CA. */
export async function readBuildCa(path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  try {
    const pem = await Deno.readTextFile(path);
    if (!pem.includes("BEGIN CERTIFICATE")) throw new Error("no PEM certificate in it");
    return pem;
  } catch (error) {
    throw new BotBottleError(`Build CA "${path}" cannot be used: ${(error as Error).message}`, {
      exitCode: 2,
    });
  }
}

async function buildOne(source: ImageSource, tag: string, options: BuildOptions): Promise<void> {
  const context = await Deno.makeTempDir({ prefix: "bot-bottle-build-" });
  try {
    for (const [path, text] of Object.entries(source.files)) {
      await Deno.mkdir(dirname(join(context, path)), { recursive: true });
      await Deno.writeTextFile(join(context, path), text);
    }
    const pem = await readBuildCa(options.buildCa);
    const args = [
      "--tag",
      tag,
      "--label",
      `${LABEL_TOOL}=1`,
      ...Object.entries(source.buildArgs ?? {}).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
      ...(pem ? ["--build-arg", `BOT_BOTTLE_BUILD_CA=${pem}`] : []),
      context,
    ];
    log.step(`Building ${tag} (this takes a few minutes the first time)`);
    const started = Date.now();
    const child = $`docker build ${args}`.stdout("piped").stderr("piped").spawn();
    const onAbort = () => child.kill("SIGTERM");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const tail: string[] = [];
    const forward = async (stream: ReadableStream<Uint8Array>) => {
      let pending = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          tail.push(line);
          if (tail.length > 30) tail.shift();
          if (/^Step \d+\/\d+ :/.test(line)) log.info(`  ${line.slice(0, 140)}`);
          else log.debug(line);
        }
      }
    };
    try {
      await Promise.all([forward(child.stdout()), forward(child.stderr())]);
      const result = await child;
      if (options.signal?.aborted) throw options.signal.reason;
      if (result.code !== 0) {
        throw new BackendError(
          `Building ${tag} failed (exit ${result.code}):\n  ${tail.join("\n  ")}`,
        );
      }
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    log.info(`Built ${tag} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await Deno.remove(context, { recursive: true }).catch(() => {});
  }
}

/** Builds whichever of the two images is missing (or both, with `force`). */
export async function ensureImages(
  tags: { agent: string; bundle: string },
  options: BuildOptions & { kind?: AgentKind } = {},
): Promise<void> {
  const agent = agentSource(options.kind ?? "claude");
  for (const [source, tag] of [[BUNDLE_SOURCE, tags.bundle], [agent, tags.agent]] as const) {
    if (!options.force && await imageExists(tag)) {
      log.debug(`${tag} present`);
      continue;
    }
    await buildOne(source, tag, options);
  }
}
