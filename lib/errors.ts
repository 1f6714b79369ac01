/**
 * @module
 * The error hierarchy. Inner code throws these; `main.ts` alone maps them to exit
 * codes, so `finally` blocks and disposers always run before the process ends.
 */

/** Exit codes, as documented in the README. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;

/** Base of every error bot-bottle raises on purpose; carries the exit code. */
export class BotBottleError extends Error {
  readonly exitCode: number;
  /** A line telling the user what to do, printed after the message when set. */
  readonly hint: string | undefined;

  constructor(
    message: string,
    options: { exitCode?: number; hint?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.failure;
    this.hint = options.hint;
  }
}

/** Bad command line: unknown command or flag, missing argument. Exit code 2. */
export class UsageError extends BotBottleError {
  /** The usage text of the command that was misused, shown with the error. */
  readonly usage: string | undefined;

  constructor(message: string, options: { usage?: string; hint?: string } = {}) {
    super(message, { exitCode: ExitCode.usage, hint: options.hint });
    this.usage = options.usage;
  }
}

/** One problem found in a manifest, located as precisely as the source allows. */
export interface ManifestProblem {
  /** Dotted key path, such as `bottles.dev.egress.allow[2]`; empty for the document. */
  path: string;
  /** 1-based line and column, when known. */
  line?: number;
  column?: number;
  message: string;
}

/** A manifest that cannot be found, parsed or validated. Exit code 2. */
export class ManifestError extends BotBottleError {
  readonly file: string;
  readonly problems: ManifestProblem[];

  constructor(file: string, problems: ManifestProblem[], options: { hint?: string } = {}) {
    super(ManifestError.format(file, problems), { exitCode: ExitCode.usage, hint: options.hint });
    this.file = file;
    this.problems = problems;
  }

  /** Renders every problem, one per line, in source order. */
  static format(file: string, problems: ManifestProblem[]): string {
    const lines = problems.map((p) => {
      const where = p.line !== undefined ? `line ${p.line}:${p.column ?? 1}: ` : "";
      // A deeply nested document has a path too long to read: keep its ends.
      const shown = p.path.length > 120 ? `${p.path.slice(0, 70)}...${p.path.slice(-40)}` : p.path;
      const path = shown ? `${shown}: ` : "";
      return `${where}${path}${p.message}`;
    });
    if (lines.length === 1) {
      return `Manifest "${file}"${problems[0]!.line !== undefined ? " " : ": "}${lines[0]}`;
    }
    return `Manifest "${file}" has ${problems.length} problems:\n` +
      lines.map((l) => `  ${l}`).join("\n");
  }
}

/** A docker or smolvm call that failed; names the call and its stderr. Exit code 1. */
export class BackendError extends BotBottleError {}

/** The plan's subnet was taken between planning and creating the network; plan again. */
export class SubnetTakenError extends BackendError {
  readonly subnet: string;
  constructor(subnet: string) {
    super(`The subnet ${subnet} was taken by another network before this bottle could use it`);
    this.subnet = subnet;
  }
}

/** The run was cancelled by SIGINT or SIGTERM. Exit code 130. */
export class InterruptedError extends BotBottleError {
  constructor(signal: string) {
    super(`Interrupted by ${signal}`, { exitCode: ExitCode.interrupted });
  }
}

/** Runs every cleanup and throws one error naming each failure, so none is hidden. */
export class TeardownError extends BotBottleError {
  readonly failures: unknown[];
  constructor(failures: unknown[]) {
    super(
      `Teardown failed in ${failures.length} step(s):\n` +
        failures.map((f) => `  ${f instanceof Error ? f.message : String(f)}`).join("\n"),
    );
    this.failures = failures;
  }
}
