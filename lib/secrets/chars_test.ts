import assert from "node:assert/strict";
import { codeAt } from "./chars.ts";

Deno.test("codeAt reads a character's code, and 0 past either end of the text (never NaN)", () => {
  assert.equal(codeAt("ab", 0), 97);
  assert.equal(codeAt("ab", 1), 98);
  assert.equal(codeAt("日本", 1), 0x672c);
  for (const i of [-1, 2, 1e9]) assert.equal(codeAt("ab", i), 0, `at ${i}`);
  // As a table's index: a number that is an index, whatever the place.
  const table = Uint8Array.of(0, 1);
  assert.equal(table[codeAt("ab", -1)], 0);
});
