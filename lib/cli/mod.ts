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
import { initCommand } from "./commands/init.ts";
import { pending } from "./commands/pending.ts";
import { planCommand } from "./commands/plan.ts";
import { schemaCommand } from "./commands/schema.ts";
import { startCommand } from "./commands/start.ts";
import { versionCommand } from "./commands/version.ts";

const FORMAT = {
  type: "string",
  choices: ["text", "json"],
  description: "Output format (default: text)",
} as const;
const NONE = { min: 0, max: 0, names: "" };

/** Every command, in the order `--help` lists them. */
export const COMMANDS: Command[] = [
  startCommand,
  planCommand,
  pending({
    name: "up",
    summary: "Start a bottle for AGENT in the background and print its name",
    synopsis: "AGENT [--cwd] [--backend docker|smolvm]",
    description:
      "Like start, but detached: prints the bottle name on stdout. Remove it with `down`.",
    options: planCommand.options,
    args: { min: 1, max: 1, names: "an AGENT name" },
  }),
  pending({
    name: "exec",
    summary: "Run a command in a bottle's agent; its exit code passes through",
    synopsis: "NAME [-i] [-t] -- CMD...",
    description: "Runs CMD as the agent user in the bottle NAME.",
    options: {
      interactive: { type: "boolean", short: "i", description: "Keep stdin open" },
      tty: { type: "boolean", short: "t", description: "Allocate a terminal" },
    },
    args: { min: 1, max: 1, names: "a bottle NAME" },
    passthrough: true,
  }),
  pending({
    name: "down",
    summary: "Remove a bottle and everything it created",
    synopsis: "NAME | --all",
    description: "Finds the bottle's containers, networks and volumes by label and removes them.",
    options: { all: { type: "boolean", description: "Remove every bottle" } },
    args: { min: 0, max: 1, names: "a bottle NAME or --all" },
  }),
  pending({
    name: "ls",
    summary: "List running bottles",
    synopsis: "[--format text|json]",
    description: "",
    options: { format: FORMAT },
    args: NONE,
  }),
  pending({
    name: "logs",
    summary: "Show a bottle's audit log (egress, git, supervise decisions)",
    synopsis: "NAME [--follow] [--format text|json]",
    description: "",
    options: {
      follow: { type: "boolean", short: "f", description: "Keep printing new entries" },
      format: FORMAT,
    },
    args: { min: 1, max: 1, names: "a bottle NAME" },
  }),
  pending({
    name: "cleanup",
    summary: "Remove everything crashed runs left behind",
    synopsis: "",
    description:
      "Finds resources by the bot-bottle labels and removes those of bottles no longer running.",
    options: {},
    args: NONE,
  }),
  pending({
    name: "supervise",
    summary: "List and answer the agents' approval requests",
    synopsis: "[approve ID | deny ID | answer ID TEXT] [--format text|json]",
    description: "",
    options: { format: FORMAT },
    args: { min: 0, max: 3, names: "an action" },
  }),
  pending({
    name: "build",
    summary: "Build the agent and bundle images",
    synopsis: "",
    description: "",
    options: {},
    args: NONE,
  }),
  pending({
    name: "doctor",
    summary: "Check that this machine can run bottles, and say how to fix what cannot",
    synopsis: "",
    description: "",
    options: {},
    args: NONE,
  }),
  initCommand,
  schemaCommand,
  versionCommand,
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
  const command = COMMANDS.find((c) => c.name === name);
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
