/**
 * dax's configured `$` (`lib/shell.ts`, which loads it on first use), loaded up front
 * for the tests, which run commands everywhere, with the helpers beside it.
 */

import { shell } from "../lib/shell.ts";

import { captureRaw } from "../lib/shell.ts";

export { capture, captureRaw, runAttached } from "../lib/shell.ts";

/** The product's `$`: every argument quoted, stdin closed, output captured. */
export const $ = await shell();

/**
 * Runs `script` with `sh -c` in `cwd` under a fixed git identity; its stdout. Throws
 * with its stderr when it fails.
 */
export async function sh(script: string, cwd: string = Deno.cwd()): Promise<string> {
  const r = await captureRaw(
    $`sh -c ${script}`.cwd(cwd).env({
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@t.invalid",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@t.invalid",
    }),
  );
  if (r.code !== 0) throw new Error(`${script}: ${r.stderr}`);
  return r.stdout;
}
