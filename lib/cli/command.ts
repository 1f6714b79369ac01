/**
 * @module
 * What a command is: its flags, arguments and help, declared once so that parsing,
 * `--help` and usage errors all come from the same spec.
 */

import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";

/** One flag of a command. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  description: string;
  /** Shown in help after the flag, such as FILE. */
  valueName?: string;
  /** Allowed values of a string flag. */
  choices?: readonly string[];
  multiple?: boolean;
}

/** What a command's `run` receives. */
export interface CommandContext {
  /** Flag values by name (long form, without dashes). */
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Arguments after `--`, passed through untouched. */
  rest: string[];
  /** Aborted on SIGINT or SIGTERM. */
  signal: AbortSignal;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** A subcommand of bot-bottle. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Argument synopsis after the command name, such as `AGENT [--cwd]`. */
  synopsis: string;
  /** Paragraphs shown by `--help` between usage and options. */
  description: string;
  options: Record<string, OptionSpec>;
  /** Bounds on positional arguments. */
  args: { min: number; max: number; names: string };
  /** Whether `-- ARGS...` is accepted. */
  passthrough?: boolean;
  /** Examples shown by `--help`. */
  examples?: string[];
  run(ctx: CommandContext): Promise<number | void>;
}

/** `--format text|json`, for every command that prints data. */
export const FORMAT_OPTION: OptionSpec = {
  type: "string",
  choices: ["text", "json"],
  description: "Output format (default: text)",
};

/** Flags every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  manifest: {
    type: "string",
    short: "m",
    valueName: "FILE",
    description: "Manifest to use (default: $BOT_BOTTLE_MANIFEST, then ./bot-bottle.yaml)",
  },
  quiet: { type: "boolean", short: "q", description: "Print only errors and data" },
  verbose: { type: "boolean", description: "Print debug output, including each command run" },
  help: { type: "boolean", short: "h", description: "Show this help" },
};

/** `bot-bottle NAME SYNOPSIS` */
export function usageLine(command: Command): string {
  return `bot-bottle ${command.name}${command.synopsis ? ` ${command.synopsis}` : ""}`;
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : "    "}--${name}` +
      (spec.type === "string"
        ? ` ${spec.valueName ?? (spec.choices ? spec.choices.join("|") : "VALUE")}`
        : "");
    return [flag, spec.description] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`);
}

/** The full `--help` text of a command. */
export function commandHelp(command: Command): string {
  const lines = [`Usage: ${usageLine(command)}`, "", command.summary];
  if (command.description) lines.push("", command.description.trim());
  if (Object.keys(command.options).length > 0) {
    lines.push("", "Options:", ...optionLines(command.options));
  }
  lines.push("", "Global options:", ...optionLines(GLOBAL_OPTIONS));
  if (command.examples?.length) {
    lines.push(
      "",
      "Examples:",
      ...command.examples.map((e) => `  ${e}`),
    );
  }
  return lines.join("\n");
}

/** Parses a command's arguments, turning every mistake into a UsageError with its usage. */
export function parseCommandArgs(
  command: Command,
  argv: string[],
): Pick<CommandContext, "values" | "positionals" | "rest"> {
  const usage = `Usage: ${usageLine(command)}\nRun "bot-bottle ${command.name} --help" for more.`;
  const dashDash = argv.indexOf("--");
  const own = dashDash === -1 ? argv : argv.slice(0, dashDash);
  const rest = dashDash === -1 ? [] : argv.slice(dashDash + 1);
  if (dashDash !== -1 && !command.passthrough) {
    throw new UsageError(`"${command.name}" takes no arguments after "--"`, { usage });
  }
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      options: Object.fromEntries(
        Object.entries(options).map(([name, spec]) => [
          name,
          {
            type: spec.type,
            ...(spec.short ? { short: spec.short } : {}),
            ...(spec.multiple ? { multiple: true } : {}),
          },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(cleanParseError((error as Error).message), { usage });
  }
  const values = parsed.values as CommandContext["values"];
  if (values.help) return { values, positionals: parsed.positionals, rest };
  for (const [name, spec] of Object.entries(options)) {
    const value = values[name];
    if (spec.choices && typeof value === "string" && !spec.choices.includes(value)) {
      throw new UsageError(
        `--${name}: unknown value "${value}" (choose ${spec.choices.join(", ")})`,
        { usage },
      );
    }
  }
  const { min, max, names } = command.args;
  if (parsed.positionals.length < min) {
    throw new UsageError(`"${command.name}" needs ${names}`, { usage });
  }
  if (parsed.positionals.length > max) {
    const extra = parsed.positionals.slice(max).map((p) => `"${p}"`).join(" ");
    throw new UsageError(`"${command.name}" got unexpected argument(s) ${extra}`, {
      usage,
      hint: command.passthrough ? 'Arguments for the guest go after "--"' : undefined,
    });
  }
  return { values, positionals: parsed.positionals, rest };
}

/** node:util's messages, reworded to the house style. */
function cleanParseError(message: string): string {
  let m = /Unknown option '([^']+)'/.exec(message);
  if (m) return `Unknown flag "${m[1]}"`;
  m = /Option '([^']+)' argument missing/.exec(message);
  if (m) return `Flag "${m[1]!.replace(/^-\w, /, "")}" needs a value`;
  m = /Option '([^']+)' does not take an argument/.exec(message);
  if (m) return `Flag "${m[1]!.replace(/^-\w, /, "")}" takes no value`;
  return message.split(". ")[0]!.replace(/\.$/, "");
}
