import assert from "node:assert/strict";
import { hasActive, inert } from "./inert.ts";

Deno.test("inert() shows escape sequences, bidi overrides and zero-width characters as text", () => {
  const hostile =
    "wants to reach \u001b[2K\u001b[1Gpypi.org\u0007 \u202egnp.exe\u200b \u001b]52;c;aGk=\u0007";
  const shown = inert(hostile);
  assert.equal(
    shown,
    "wants to reach \\e[2K\\e[1Gpypi.org\\x07 <U+202E>gnp.exe<U+200B> \\e]52;c;aGk=\\x07",
  );
  assert.ok(![...shown].some((c) => c < " " || (c >= "\u007f" && c <= "\u009f")));
  assert.ok(hasActive(hostile));
  assert.ok(!hasActive(shown));
});

Deno.test("inert() keeps plain text, folds line breaks unless multiline, and caps length", () => {
  assert.equal(inert("plain text, é and 日本"), "plain text, é and 日本");
  assert.equal(inert("a\nb\r\tc"), "a\\nb\\r\\tc");
  assert.equal(inert("a\nb", 100, true), "a\nb");
  assert.equal(inert("x".repeat(12), 10), "xxxxxxxxxx… (2 more characters cut)");
});
