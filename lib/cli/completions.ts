/**
 * @module
 * Shell completion scripts, generated from the command table so they always match the
 * CLI: command names, each command's flags, and the values of flags with choices.
 */

import { type Command, GLOBAL_OPTIONS } from "./command.ts";

function flags(command: Command): string[] {
  return Object.entries({ ...command.options, ...GLOBAL_OPTIONS }).flatMap(([name, spec]) => [
    `--${name}`,
    ...(spec.short ? [`-${spec.short}`] : []),
  ]);
}

/** bash (also used by zsh through bashcompinit). */
export function bashCompletion(commands: Command[]): string {
  const cases = commands.map((c) => {
    const choices = Object.entries(c.options).filter(([, s]) => s.choices)
      .map(([n, s]) =>
        `      --${n}) COMPREPLY=($(compgen -W "${s.choices!.join(" ")}" -- "$cur")); return;;`
      );
    return [
      `    ${c.name})`,
      ...(choices.length
        ? ['      case "$prev" in', ...choices.map((l) => `  ${l}`), "      esac"]
        : []),
      `      COMPREPLY=($(compgen -W "${flags(c).join(" ")}" -- "$cur"));;`,
    ].join("\n");
  });
  return `# bot-bottle completion for bash: source <(bot-bottle completions bash)
_bot_bottle() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(" ")} help" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join("\n")}
  esac
}
complete -o default -F _bot_bottle bot-bottle
`;
}

/** zsh: the bash function through zsh's bash compatibility. */
export function zshCompletion(commands: Command[]): string {
  return `# bot-bottle completion for zsh: source <(bot-bottle completions zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(commands).split("\n").slice(1).join("\n")}`;
}

/** fish. */
export function fishCompletion(commands: Command[]): string {
  const quote = (s: string) => `'${s.replaceAll("'", "\\'")}'`;
  const lines = [
    "# bot-bottle completion for fish: bot-bottle completions fish | source",
    "complete -c bot-bottle -f",
  ];
  for (const c of commands) {
    lines.push(
      `complete -c bot-bottle -n __fish_use_subcommand -a ${c.name} -d ${quote(c.summary)}`,
    );
    for (const [name, spec] of Object.entries({ ...c.options, ...GLOBAL_OPTIONS })) {
      const parts = [
        `complete -c bot-bottle -n ${quote(`__fish_seen_subcommand_from ${c.name}`)} -l ${name}`,
      ];
      if (spec.short) parts.push(`-s ${spec.short}`);
      if (spec.choices) parts.push(`-xa ${quote(spec.choices.join(" "))}`);
      else if (spec.type === "string") parts.push("-r");
      parts.push(`-d ${quote(spec.description)}`);
      lines.push(parts.join(" "));
    }
  }
  return lines.join("\n") + "\n";
}
