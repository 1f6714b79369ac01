/**
 * @module
 * `bot-bottle version`.
 */

import { out } from "../../log.ts";
import { COMMIT, VERSION } from "../../version.ts";
import { type Command, FORMAT_OPTION } from "../command.ts";

export const versionCommand: Command = {
  name: "version",
  summary: "Print the version, the Deno version and the commit",
  synopsis: "[--format text|json]",
  description: "",
  options: {
    format: FORMAT_OPTION,
  },
  args: { min: 0, max: 0, names: "" },
  run(ctx) {
    const info = { version: VERSION, deno: Deno.version.deno, commit: COMMIT };
    if (ctx.values.format === "json") out.json(info);
    else out.line(`bot-bottle ${info.version} (deno ${info.deno}, commit ${info.commit})`);
    return Promise.resolve();
  },
};
