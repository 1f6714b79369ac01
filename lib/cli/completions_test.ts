import assert from "node:assert/strict";
import { COMMANDS } from "./mod.ts";
import { bashCompletion, fishCompletion, zshCompletion } from "./completions.ts";

Deno.test("the bash completion names every command and flag, and bash accepts it", async () => {
  const script = bashCompletion(COMMANDS);
  for (const c of COMMANDS) assert.match(script, new RegExp(`\\b${c.name}\\b`));
  assert.match(script, /--format\) COMPREPLY=\(\$\(compgen -W "text json"/);
  assert.match(script, /--backend\) COMPREPLY=\(\$\(compgen -W "docker smolvm"/);
  const file = await Deno.makeTempFile({ suffix: ".bash" });
  try {
    await Deno.writeTextFile(file, script);
    const check = await new Deno.Command("bash", { args: ["-n", file], stderr: "piped" }).output();
    assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
    // Completing "pl" offers plan; completing flags of plan offers --format.
    const run = await new Deno.Command("bash", {
      args: [
        "-c",
        `source ${file}; COMP_WORDS=(bot-bottle pl); COMP_CWORD=1; _bot_bottle; echo "\${COMPREPLY[@]}"; COMP_WORDS=(bot-bottle plan --fo); COMP_CWORD=2; _bot_bottle; echo "\${COMPREPLY[@]}"`,
      ],
      stdout: "piped",
    }).output();
    assert.deepEqual(new TextDecoder().decode(run.stdout).trim().split("\n"), ["plan", "--format"]);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("the zsh and fish completions cover every command", () => {
  const zsh = zshCompletion(COMMANDS);
  assert.match(zsh, /bashcompinit/);
  const fish = fishCompletion(COMMANDS);
  for (const c of COMMANDS) assert.match(fish, new RegExp(`-a ${c.name} -d`));
  assert.match(fish, /__fish_seen_subcommand_from plan' -l format -xa 'text json'/);
});
