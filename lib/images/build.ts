/**
 * @module
 * Building the agent and bundle images from their embedded sources, only when the
 * content-hashed tag is missing (or when forced), with progress on stderr.
 */

import { dirname, join } from "node:path";
import { abortableSleep } from "../async.ts";
import { LABEL_TOOL } from "../constants.ts";
import { imageExists } from "../docker/cli.ts";
import { BackendError, BotBottleError } from "../errors.ts";
import { log } from "../log.ts";
import { shell } from "../shell.ts";
import type { AgentKind } from "../agents/mod.ts";
import { agentSource, BUNDLE_SOURCE, type ImageSource } from "./sources.ts";

/** Options of an image build. */
export interface BuildOptions {
  /** Rebuild even when the tag exists. */
  force?: boolean;
  /** A PEM file trusted during the build only (TLS-intercepting networks). */
  buildCa?: BuildCa;
  signal?: AbortSignal;
  /**
   * Where build locks live (the cache directory): processes building the same tag take
   * turns, and the second finds the image built instead of building it again.
   */
  lockDir?: string;
  /**
   * Put before each step line, when two builds run at once and their lines interleave
   * (`[agent] Step 3/17 : ...`).
   */
  label?: string;
}

/** A build-time CA file, and where its name came from (said to the person). */
export interface BuildCa {
  path: string;
  from: string;
}

/**
 * The build-time CA: `--ca-cert`, else BOT_BOTTLE_BUILD_CA, else the extra CAs the host
 * already names for its tools (NODE_EXTRA_CA_CERTS, DENO_CERT, SSL_CERT_FILE), which on a
 * TLS-intercepting network are the ones a build needs.
 */
export function buildCaSource(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): BuildCa | undefined {
  if (flag) return { path: flag, from: "--ca-cert" };
  for (const name of ["BOT_BOTTLE_BUILD_CA", "NODE_EXTRA_CA_CERTS", "DENO_CERT", "SSL_CERT_FILE"]) {
    const path = env[name];
    if (path) return { path, from: name };
  }
  return undefined;
}

/** Reads a build-time CA file, which must hold at least one PEM certificate. */
export async function readBuildCa(ca: BuildCa | undefined): Promise<string | undefined> {
  if (!ca) return undefined;
  try {
    const pem = await Deno.readTextFile(ca.path);
    if (!pem.includes("BEGIN CERTIFICATE")) throw new Error("no PEM certificate in it");
    return pem;
  } catch (error) {
    throw new BotBottleError(
      `Build CA "${ca.path}" (from ${ca.from}) cannot be used: ${(error as Error).message}`,
      { exitCode: 2 },
    );
  }
}

/**
 * `docker build` arguments. The CA travels as a file in the build context (a build
 * argument of a whole trust store is too long for an argument list) and is read in a
 * build stage the final image does not keep.
 */
export function buildArgs(source: ImageSource, tag: string, context: string): string[] {
  return [
    "--tag",
    tag,
    "--label",
    `${LABEL_TOOL}=1`,
    // A failed step leaves no stopped container behind.
    "--force-rm",
    ...Object.entries(source.buildArgs ?? {}).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
    context,
  ];
}

/** The step a failed legacy-builder build stopped at, from its output. */
export function failedStep(lines: readonly string[]): string | undefined {
  const step = lines.findLast((l) => /^Step \d+\/\d+ :/.test(l));
  return step?.replace(/^Step (\d+\/\d+) : /, "step $1: ").slice(0, 160);
}

/** Builds `source` as `tag`, with progress on stderr; a failure names the step it stopped at. */
export async function buildImage(
  source: ImageSource,
  tag: string,
  options: BuildOptions,
): Promise<void> {
  const context = await Deno.makeTempDir({ prefix: "bot-bottle-build-" });
  try {
    for (const [path, text] of Object.entries(source.files)) {
      await Deno.mkdir(dirname(join(context, path)), { recursive: true });
      await Deno.writeTextFile(join(context, path), text);
    }
    const pem = await readBuildCa(options.buildCa);
    if (pem) {
      log.info(
        `Trusting the CAs in ${options.buildCa!.path} (from ${
          options.buildCa!.from
        }) while building only`,
      );
    }
    await Deno.writeTextFile(join(context, "build-ca.crt"), pem ?? "");
    const args = buildArgs(source, tag, context);
    log.step(`Building ${tag} (this takes a few minutes the first time)`);
    const started = Date.now();
    const $ = await shell();
    const child = $`docker build ${args}`.stdout("piped").stderr("piped").spawn();
    const onAbort = () => child.kill("SIGTERM");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const tail: string[] = [];
    const steps: string[] = [];
    const forward = async (stream: ReadableStream<Uint8Array>) => {
      let pending = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          tail.push(line);
          if (tail.length > 30) tail.shift();
          if (/^Step \d+\/\d+ :/.test(line)) {
            steps.push(line);
            log.info(`  ${options.label ? `[${options.label}] ` : ""}${line.slice(0, 140)}`);
          } else log.debug(line);
        }
      }
    };
    try {
      await Promise.all([forward(child.stdout()), forward(child.stderr())]);
      const result = await child;
      if (options.signal?.aborted) throw options.signal.reason;
      if (result.code !== 0) {
        const step = failedStep(steps);
        throw new BackendError(
          `Building ${tag} failed${step ? ` at ${step}` : ""} (exit ${result.code}):\n  ${
            tail.join("\n  ")
          }`,
          {
            hint: options.buildCa
              ? undefined
              : "Behind a TLS-intercepting network? Pass --ca-cert FILE (or set BOT_BOTTLE_BUILD_CA)",
          },
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

/**
 * Builds whichever of the two images is missing (or both, with `force`). Both missing
 * (the first start on a machine) are built at once: their downloads and installs overlap,
 * and the first start waits for the longer build, not for the two in a row. One that
 * fails stops the other, so nothing is left building; the first failure is reported.
 */
export async function ensureImages(
  tags: { agent: string; bundle: string },
  options: BuildOptions & {
    kind?: AgentKind;
    /** Awaited after the lookups and before any build (the engine check, say). */
    ready?: Promise<unknown>;
  } = {},
): Promise<void> {
  const agent = agentSource(options.kind ?? "claude");
  const wanted = [[BUNDLE_SOURCE, tags.bundle], [agent, tags.agent]] as const;
  // Both looked up at once, and at once with whatever the caller waits for in `ready`.
  const present = await Promise.all(
    wanted.map(([, tag]) => !options.force && imageExists(tag).catch(() => false)),
  );
  await options.ready;
  for (const [i, [, tag]] of wanted.entries()) if (present[i]) log.debug(`${tag} present`);
  await buildAtOnce(
    wanted.filter((_, i) => !present[i]).map(([source, tag]) => ({
      source,
      tag,
      label: source === BUNDLE_SOURCE ? "bundle" : "agent",
    })),
    options,
  );
}

/**
 * Builds the images at once, each under its build lock; one failing stops the rest, and
 * the caller's signal stops all. Throws the caller's interruption, else the first failure.
 */
export async function buildAtOnce(
  builds: readonly { source: ImageSource; tag: string; label: string }[],
  options: BuildOptions,
): Promise<void> {
  const many = builds.length > 1;
  // Either build failing stops the other; the caller's signal stops both.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  await Promise.allSettled(
    builds.map(({ source, tag, label }) =>
      withBuildLock(options.lockDir, tag, async (waited) => {
        // Another process built it while this one waited: nothing left to do.
        if (waited && !options.force && await imageExists(tag)) {
          log.info(`${tag} was built by another bot-bottle process`);
          return;
        }
        if (signal.aborted) throw signal.reason;
        await buildImage(source, tag, {
          ...options,
          signal,
          label: many ? label : undefined,
        });
      }, signal).catch((error) => {
        stop.abort(error);
        throw error;
      })
    ),
  );
  // The caller's interruption first, else the failure that stopped the rest.
  if (options.signal?.aborted) throw options.signal.reason;
  if (stop.signal.aborted) throw stop.signal.reason;
}

/** How often a builder waiting for another process's build tries the lock again. */
const LOCK_POLL_MS = 250;

/**
 * Runs `fn` holding an exclusive lock on building `tag`'s image (an flock on a file in
 * `dir`, released by the kernel if the process dies), saying so when another process
 * holds it. One lock file per image, whatever its version: a file per tag had been left
 * behind for every version ever built.
 * `fn` learns whether it had to wait. The wait ends when `signal` aborts (Ctrl-C), with
 * its reason: the lock is tried again and again, not waited on in a blocking call, which
 * would hold the process until the other build ended.
 */
export async function withBuildLock<T>(
  dir: string | undefined,
  tag: string,
  fn: (waited: boolean) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (!dir) return await fn(false);
  signal?.throwIfAborted();
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const image = tag.replace(/:[^:/]*$/, "");
  using file = await Deno.open(join(dir, `build-${image.replace(/[^A-Za-z0-9._-]/g, "_")}.lock`), {
    create: true,
    write: true,
  });
  const waited = !(await file.tryLock(true));
  if (waited) {
    log.step(`Waiting for another bot-bottle process that is building ${image}`);
    while (!(await file.tryLock(true))) {
      await abortableSleep(LOCK_POLL_MS, signal);
    }
  }
  try {
    return await fn(waited);
  } finally {
    await file.unlock();
  }
}
