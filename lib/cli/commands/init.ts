/**
 * @module
 * `bot-bottle init`: writes a commented starter manifest, never over an existing file.
 */

import { resolve } from "node:path";
import starter from "../../../examples/bot-bottle.yaml" with { type: "text" };
import { BotBottleError } from "../../errors.ts";
import { log } from "../../log.ts";
import { manifestPath } from "../../manifest/load.ts";
import type { Command } from "../command.ts";

/** The starter manifest `init` writes (the shipped example). */
export const STARTER_MANIFEST: string = starter;

export const initCommand: Command = {
  name: "init",
  summary: "Write a commented starter bot-bottle.yaml",
  synopsis: "",
  description: `
Writes the starter manifest to --manifest FILE (default ./bot-bottle.yaml). An existing
file is never overwritten.`,
  options: {},
  args: { min: 0, max: 0, names: "" },
  async run(ctx) {
    const file = manifestPath(
      ctx.values.manifest as string | undefined,
      ctx.env.BOT_BOTTLE_MANIFEST,
    );
    const path = resolve(ctx.cwd, file);
    try {
      await Deno.writeTextFile(path, STARTER_MANIFEST, { createNew: true });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new BotBottleError(`"${file}" already exists; not overwriting it`, {
          hint: "Remove it first, or pass --manifest OTHER.yaml",
        });
      }
      throw new BotBottleError(`Cannot write "${file}": ${(error as Error).message}`);
    }
    log.info(
      `Wrote ${file}. Next: export ANTHROPIC_API_KEY=... and run \`bot-bottle start claude\``,
    );
  },
};
