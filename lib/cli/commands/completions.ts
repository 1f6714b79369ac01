/**
 * @module
 * `bot-bottle completions bash|zsh|fish`.
 */

import { UsageError } from "../../errors.ts";
import { out } from "../../log.ts";
import type { Command } from "../command.ts";
import { bashCompletion, fishCompletion, zshCompletion } from "../completions.ts";

/** Built with the command table it completes, to avoid an import cycle. */
export function completionsCommand(commands: () => Command[]): Command {
  return {
    name: "completions",
    summary: "Print a shell completion script (bash, zsh or fish)",
    synopsis: "bash|zsh|fish",
    description: "",
    options: {},
    args: { min: 1, max: 1, names: "a shell: bash, zsh or fish" },
    examples: [
      "source <(bot-bottle completions bash)      # in ~/.bashrc",
      "source <(bot-bottle completions zsh)       # in ~/.zshrc",
      "bot-bottle completions fish > ~/.config/fish/completions/bot-bottle.fish",
    ],
    run(ctx) {
      const shell = ctx.positionals[0];
      const render =
        { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion }[shell as "bash"];
      if (!render) {
        throw new UsageError(`Unknown shell "${shell}" (choose bash, zsh or fish)`, {
          usage: "Usage: bot-bottle completions bash|zsh|fish",
        });
      }
      out.line(render(commands()));
      return Promise.resolve();
    },
  };
}
