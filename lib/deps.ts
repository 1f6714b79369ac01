/**
 * @module
 * Third-party dependencies, named with full `npm:` specifiers in this one module so
 * that `deno run <url>/main.ts` (which ignores deno.json's import map) resolves them
 * exactly as the checkout and the compiled binary do.
 */

export type { $Type, CommandBuilder, CommandResult } from "npm:dax-sh@0.44.1";
/**
 * dax, loaded when a subprocess is first needed (lib/shell.ts): about a tenth of a second
 * of every start, which commands that ask the engine's socket never need.
 */
export function loadDax(): Promise<typeof import("npm:dax-sh@0.44.1")> {
  return import("npm:dax-sh@0.44.1");
}
export { z } from "npm:zod@4.6.7";
export * as YAML from "npm:yaml@2.9.1";
