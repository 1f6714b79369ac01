/**
 * @module
 * bot-bottle's entry point: parse argv, run one command, and map typed errors to exit
 * codes here and only here (0 ok, 1 failure, 2 usage or manifest, 130 interrupted).
 */

import { runCli } from "./lib/cli/mod.ts";
import {
  BotBottleError,
  ExitCode,
  InterruptedError,
  ManifestError,
  UsageError,
} from "./lib/errors.ts";
import { log } from "./lib/log.ts";
import { MIN_DENO, olderThan } from "./lib/version.ts";

/** Runs the CLI and returns the process exit code; never exits by itself. */
export async function main(argv: string[]): Promise<number> {
  if (olderThan(Deno.version.deno, MIN_DENO)) {
    // Run from a URL with an older Deno: say so, not fail later on a missing API.
    log.error(`bot-bottle needs Deno ${MIN_DENO} or later; this is Deno ${Deno.version.deno}`);
    log.info("Upgrade it with: deno upgrade");
    return ExitCode.failure;
  }
  const controller = new AbortController();
  // SIGHUP: the terminal went away, which must tear the bottle down like Ctrl-C.
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM", "SIGHUP"];
  const handlers = signals.map((signal) => {
    const handler = () => {
      if (controller.signal.aborted) return;
      log.info(`\nReceived ${signal}; cleaning up (press again to wait, it will finish)`);
      controller.abort(new InterruptedError(signal));
    };
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  try {
    return await runCli(argv, {
      signal: controller.signal,
      env: Deno.env.toObject(),
      cwd: invocationDir(),
    });
  } catch (error) {
    return report(error);
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  }
}

/**
 * The directory the user ran the command from. `deno task` runs tasks in the config
 * file's directory and keeps the caller's in INIT_CWD, so `--cwd` and the default
 * manifest mean the user's directory there too.
 */
function invocationDir(): string {
  const init = Deno.env.get("INIT_CWD");
  // Only under this checkout's own `deno task` (which runs here), never inherited.
  const checkout = import.meta.url.startsWith("file:")
    ? new URL(".", import.meta.url).pathname.replace(/\/$/, "")
    : undefined;
  if (init && checkout && Deno.cwd() === checkout) {
    try {
      if (Deno.statSync(init).isDirectory) return init;
    } catch { /* gone: use the process's own */ }
  }
  return Deno.cwd();
}

/** Prints an error for people and returns its exit code. */
function report(error: unknown): number {
  if (error instanceof SuppressedError) {
    // `await using` teardown failed after the body failed: show both, and exit with
    // the body's code (an interrupted run stays 130).
    const code = report(error.suppressed);
    report(error.error);
    return code;
  }
  if (error instanceof ManifestError) {
    log.error(error.message);
  } else if (error instanceof UsageError) {
    log.error(error.message);
    if (error.usage) log.info(error.usage);
  } else if (error instanceof BotBottleError) {
    log.error(error.message);
  } else if (
    error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
  ) {
    log.error(`Permission denied: ${(error as Error).message}`);
    return ExitCode.failure;
  } else {
    log.error(
      `Unexpected: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return ExitCode.failure;
  }
  if (error.hint) log.info(error.hint);
  return error.exitCode;
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
