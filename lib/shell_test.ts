import assert from "node:assert/strict";
import { shell } from "./shell.ts";

const $ = await shell();

Deno.test("$ passes every argument through as written, shell reserved words included", async () => {
  const words = ["done", "if", "then", "fi", "{", "!", "a b", "it's", "$HOME", "`x`", "*", ""];
  const r = await $`printf ${"%s\\n"} ${words}`;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.split("\n").slice(0, -1), words);
  const one = await $`printf ${"[%s]"} ${"done"}`;
  assert.equal(one.stdout, "[done]");
});
