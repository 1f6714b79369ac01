/**
 * @module
 * Commands whose contract is fixed but whose implementation has not landed yet. They
 * parse and document their flags like the others and fail plainly when run, so that
 * nobody mistakes them for working ones.
 */

import { BotBottleError } from "../../errors.ts";
import type { Command } from "../command.ts";

/** A command that exists in the CLI's contract but does nothing yet. */
export function pending(spec: Omit<Command, "run">): Command {
  return {
    ...spec,
    run() {
      throw new BotBottleError(`"bot-bottle ${spec.name}" is not implemented in this version yet`);
    },
  };
}
