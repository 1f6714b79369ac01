/**
 * @module
 * Test helpers: spawning the CLI exactly as users run it (with the permission flags of
 * deno.json's `bot-bottle` task), and temporary directories that clean themselves up.
 */

import { join } from "node:path";

/** The checkout's root. */
export const ROOT: string = join(import.meta.dirname!, "..");

/** The `deno run` flags of the `bot-bottle` task, so tests run with the tool's permissions. */
export function toolRunFlags(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const task: string = config.tasks["bot-bottle"];
  return task.split(/\s+/).filter((a) => a.startsWith("--"));
}

/** What a CLI run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bot-bottle ARGS` from the checkout as a subprocess. */
export async function runBotBottle(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean; stdin?: string } = {},
): Promise<CliResult> {
  const baseEnv: Record<string, string> = options.clearEnv
    ? { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/root", NO_COLOR: "1" }
    : { NO_COLOR: "1" };
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...toolRunFlags(), join(ROOT, "main.ts"), ...args],
    cwd: options.cwd ?? ROOT,
    env: { ...baseEnv, ...options.env },
    clearEnv: options.clearEnv ?? false,
    stdin: options.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A temporary directory removed when disposed. */
export async function tempDir(
  prefix = "bot-bottle-test-",
): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
