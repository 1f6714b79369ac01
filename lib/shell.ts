/**
 * @module
 * The one configured dax `$` every subprocess goes through (`shell()`, loaded on first
 * use), and helpers that turn a failed call into a BackendError naming the call and its
 * stderr.
 */

import { type $Type, type CommandBuilder, type CommandResult, loadDax } from "./deps.ts";
import { BackendError } from "./errors.ts";
import { log } from "./log.ts";

/** dax's `$`, configured as below. */
export type Shell = $Type;

let loading: Promise<Shell> | undefined;

/**
 * The configured `$`: arguments are interpolated (always quoted), never concatenated;
 * stdin is closed unless a call asks for it; output is captured unless a call inherits
 * it. dax is loaded on the first call (commands that only ask the engine's socket, like
 * `up`, never load it).
 */
export function shell(): Promise<Shell> {
  loading ??= loadDax().then(({ build$, CommandBuilder }) => {
    const base$ = build$({
      commandBuilder: new CommandBuilder().stdin("null").stdout("piped").stderr("piped")
        .noThrow(),
    });
    /**
     * One argument, always single-quoted. dax 0.44 leaves a plain word unquoted, and its
     * parser then refuses shell reserved words (`done`, `if`, `then`...) as arguments: a
     * person answering "done" or a branch called "if" would break a call.
     */
    const quoted = (value: unknown): unknown => {
      if (typeof value === "string") {
        return base$.rawArg(`'${value.replaceAll("'", `'"'"'`)}'`);
      }
      if (Array.isArray(value)) return value.map(quoted);
      return value;
    };
    return new Proxy(base$, {
      apply(target, thisArg, args: unknown[]) {
        const [strings, ...exprs] = args;
        return Reflect.apply(target, thisArg, [strings, ...exprs.map(quoted)]);
      },
    });
  });
  return loading;
}

/** Output of a captured call. */
export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a captured call and returns its exit code and output; never throws on exit code. */
export async function captureRaw(command: CommandBuilder, timeout = "2m"): Promise<Captured> {
  const result: CommandResult = await command.timeout(timeout as `${number}m`);
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs a captured call and returns stdout; a non-zero exit becomes a BackendError
 * that names `what` and quotes stderr.
 */
export async function capture(
  what: string,
  command: CommandBuilder,
  timeout = "2m",
): Promise<string> {
  log.debug(`run: ${what}`);
  const result = await captureRaw(command, timeout);
  if (result.code !== 0) {
    const detail = (result.stderr || result.stdout).trim().split("\n").slice(-5).join("\n  ");
    throw new BackendError(`${what} failed (exit ${result.code})${detail ? `:\n  ${detail}` : ""}`);
  }
  return result.stdout;
}

/**
 * Runs a command with this process's stdio attached (stdin only when `interactive`);
 * returns its exit code. `signal` stops it with SIGTERM.
 */
export async function runAttached(
  command: CommandBuilder,
  interactive: boolean,
  signal?: AbortSignal,
): Promise<number> {
  const child = command
    .stdin(interactive ? "inherit" : "null")
    .stdout("inherit")
    .stderr("inherit")
    .noThrow()
    .spawn();
  const onAbort = () => child.kill("SIGTERM");
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return (await child).code;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
