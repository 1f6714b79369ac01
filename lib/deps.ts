/**
 * @module
 * Third-party dependencies, named with full `npm:` specifiers so that `deno run
 * <url>/main.ts` (which ignores deno.json's import map) resolves them exactly as the
 * checkout and the compiled binary do. The manifest's parser and validator (YAML, zod)
 * are in `manifest/deps.ts`, loaded only when a manifest is parsed.
 */

export type { $Type, CommandBuilder, CommandResult } from "npm:dax-sh@0.44.1";
/**
 * dax, loaded when a subprocess is first needed (lib/shell.ts): about a tenth of a second
 * of every start, which commands that ask the engine's socket never need.
 */
export function loadDax(): Promise<typeof import("npm:dax-sh@0.44.1")> {
  return import("npm:dax-sh@0.44.1");
}
