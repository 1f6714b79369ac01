/**
 * @module
 * The manifest's parser and validator, named with full `npm:` specifiers (see
 * `lib/deps.ts`). Loading them is ~130 ms, so only the modules that parse a manifest
 * import this one (a manifest read before comes from `read.ts`'s cache without them).
 */

export { z } from "npm:zod@4.6.7";
export * as YAML from "npm:yaml@2.9.1";
