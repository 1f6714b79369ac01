/**
 * @module
 * The command table, top-level help, and dispatch from argv to a command.
 */

import { UsageError } from "../errors.ts";
import { configureLog, out } from "../log.ts";
import {
  type Command,
  type CommandContext,
  commandHelp,
  GLOBAL_OPTIONS,
  parseCommandArgs,
} from "./command.ts";
import {
  cleanupCommand,
  downCommand,
  execCommand,
  logsCommand,
  lsCommand,
  reapCommand,
  upCommand,
} from "./commands/bottles.ts";
import { buildCommand } from "./commands/build.ts";
import { completionsCommand } from "./commands/completions.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { initCommand } from "./commands/init.ts";
import { planCommand } from "./commands/plan.ts";
import { schemaCommand } from "./commands/schema.ts";
import { startCommand } from "./commands/start.ts";
import { superviseCommand } from "./commands/supervise.ts";
import { versionCommand } from "./commands/version.ts";

/** Every command, in the order `--help` lists them. */
export const COMMANDS: Command[] = [
  startCommand,
  planCommand,
  upCommand,
  execCommand,
  downCommand,
  lsCommand,
  logsCommand,
  cleanupCommand,
  superviseCommand,
  buildCommand,
  doctorCommand,
  initCommand,
  schemaCommand,
  versionCommand,
  completionsCommand(() => COMMANDS),
];

/** Top-level help. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "bot-bottle: run an AI coding agent in a sealed bottle",
    "",
    "Usage: bot-bottle [--manifest FILE] COMMAND [ARGS...]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Global options:",
    "  -m, --manifest FILE  Manifest to use (default: $BOT_BOTTLE_MANIFEST, then ./bot-bottle.yaml)",
    "  -q, --quiet          Print only errors and data",
    "      --verbose        Print debug output",
    "  -h, --help           Show help (also: bot-bottle COMMAND --help)",
    "      --version        Print the version",
    "",
    'Run "bot-bottle COMMAND --help" for a command\'s flags.',
  ].join("\n");
}

const MAIN_USAGE =
  'Usage: bot-bottle [--manifest FILE] COMMAND [ARGS...]\nRun "bot-bottle --help" for the commands.';

/** Splits global flags written before the command from the command and its arguments. */
function splitCommand(argv: string[]): { before: string[]; name?: string; after: string[] } {
  const before: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--manifest" || arg === "-m") {
      before.push(arg, ...(argv[i + 1] !== undefined ? [argv[i + 1]!] : []));
      i++;
    } else if (arg.startsWith("-")) {
      before.push(arg);
    } else {
      return { before, name: arg, after: argv.slice(i + 1) };
    }
  }
  return { before, after: [] };
}

/** Runs the command argv names; returns the exit code. Throws typed errors. */
export async function runCli(
  argv: string[],
  runtime: { signal: AbortSignal; env: Record<string, string | undefined>; cwd: string },
): Promise<number> {
  const { before, name, after } = splitCommand(argv);
  if (name === undefined) {
    if (before.includes("--version")) return await runCli(["version"], runtime);
    if (before.includes("--help") || before.includes("-h")) {
      out.line(mainHelp());
      return 0;
    }
    const unknown = before.find((a) =>
      !["-q", "--quiet", "--verbose", "--manifest", "-m"].includes(a)
    );
    throw new UsageError(unknown ? `Unknown flag "${unknown}"` : "No command given", {
      usage: MAIN_USAGE,
    });
  }
  if (name === "help") {
    const target = COMMANDS.find((c) => c.name === after[0]);
    out.line(target ? commandHelp(target) : mainHelp());
    return 0;
  }
  const command = [...COMMANDS, reapCommand].find((c) => c.name === name);
  if (!command) {
    const near = COMMANDS.find((c) => c.name.startsWith(name.slice(0, 2)));
    throw new UsageError(`Unknown command "${name}"`, {
      usage: MAIN_USAGE,
      hint: near ? `Did you mean "bot-bottle ${near.name}"?` : undefined,
    });
  }
  const parsed = parseCommandArgs(command, [...before.filter((a) => a !== "--version"), ...after]);
  if (parsed.values.help) {
    out.line(commandHelp(command));
    return 0;
  }
  configureLog({ quiet: parsed.values.quiet === true, verbose: parsed.values.verbose === true });
  const ctx: CommandContext = {
    ...parsed,
    signal: runtime.signal,
    env: runtime.env,
    cwd: runtime.cwd,
  };
  return (await command.run(ctx)) ?? 0;
}

export { GLOBAL_OPTIONS };
