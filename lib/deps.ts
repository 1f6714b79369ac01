/**
 * @module
 * Third-party dependencies, named with full `npm:` specifiers in this one module so
 * that `deno run <url>/main.ts` (which ignores deno.json's import map) resolves them
 * exactly as the checkout and the compiled binary do.
 */

export { $, build$, CommandBuilder } from "npm:dax-sh@0.44.1";
export type { $Type, CommandResult } from "npm:dax-sh@0.44.1";
export { z } from "npm:zod@4.6.7";
export * as YAML from "npm:yaml@2.9.1";
