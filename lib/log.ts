// deno-lint-ignore-file no-console
/**
 * @module
 * The one module that owns the console. stdout carries data only (`out`); everything
 * meant for people goes to stderr, and colour and progress draw only on a TTY.
 */

const encoder = new TextEncoder();

/** Whether stderr is a terminal; progress and colour only draw there. */
export function stderrIsTty(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

function colour(code: number, text: string): string {
  if (!stderrIsTty() || Deno.env.get("NO_COLOR") !== undefined) return text;
  return `\x1b[${code}m${text}\x1b[0m`;
}

let quiet = false;
let verbose = Deno.env.get("BOT_BOTTLE_DEBUG") === "1";

/** Sets how chatty stderr is; `--quiet` silences info and step lines. */
export function configureLog(options: { quiet?: boolean; verbose?: boolean }): void {
  if (options.quiet !== undefined) quiet = options.quiet;
  if (options.verbose !== undefined) verbose = options.verbose;
}

let sinkFile: Deno.FsFile | undefined;

/**
 * Sends every message for people to `path` (appended, mode 600) instead of stderr: for a
 * process nobody watches (the reaper), whose report must still be found.
 */
export function logToFile(path: string): void {
  sinkFile = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
}

function emit(text: string): void {
  if (sinkFile) sinkFile.writeSync(encoder.encode(`${new Date().toISOString()} ${text}\n`));
  else console.error(text);
}

/** Messages for people, on stderr. */
export const log = {
  /** A step of long work, so the user sees progress. */
  step(message: string): void {
    if (!quiet) emit(`${colour(36, "==>")} ${message}`);
  },
  info(message: string): void {
    if (!quiet) emit(message);
  },
  warn(message: string): void {
    emit(`${colour(33, "warning:")} ${message}`);
  },
  error(message: string): void {
    emit(`${colour(31, "error:")} ${message}`);
  },
  debug(message: string): void {
    if (verbose) emit(colour(90, `debug: ${message}`));
  },
};

/**
 * JSON with every non-ASCII character escaped (`\u202e`), so that text from an agent
 * (bidi overrides, zero-width characters) cannot act on a terminal it is printed to.
 * JSON.stringify already escapes control characters.
 */
export function asciiJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Data for programs, on stdout. */
export const out = {
  /** Writes text followed by a newline. */
  line(text: string): void {
    console.log(text);
  },
  /** Writes exactly one JSON document, ASCII only (see `asciiJson`). */
  json(value: unknown): void {
    console.log(asciiJson(value, 2));
  },
  /** Writes raw bytes, for streaming logs. */
  async write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    let off = 0;
    while (off < bytes.length) off += await Deno.stdout.write(bytes.subarray(off));
  },
};
