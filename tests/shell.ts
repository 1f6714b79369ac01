/**
 * dax's configured `$` (`lib/shell.ts`, which loads it on first use), loaded up front
 * for the tests, which run commands everywhere, with the helpers beside it.
 */

import { shell } from "../lib/shell.ts";

export { capture, captureRaw, runAttached } from "../lib/shell.ts";

/** The product's `$`: every argument quoted, stdin closed, output captured. */
export const $ = await shell();
