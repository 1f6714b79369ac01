/**
 * @module
 * `bot-bottle schema`: the manifest's JSON Schema, for editors.
 */

import { out } from "../../log.ts";
import type { Command } from "../command.ts";

export const schemaCommand: Command = {
  name: "schema",
  summary: "Print the manifest's JSON Schema",
  synopsis: "",
  description: `
Point your editor at it for completion and checking, for example with a first line
"# yaml-language-server: $schema=./bot-bottle.schema.json" in bot-bottle.yaml.`,
  options: {},
  args: { min: 0, max: 0, names: "" },
  examples: ["bot-bottle schema > bot-bottle.schema.json"],
  async run() {
    // Loaded here: it loads zod, which no other command needs when the manifest is cached.
    const { manifestJsonSchema } = await import("../../manifest/schema.ts");
    out.json(manifestJsonSchema());
  },
};
