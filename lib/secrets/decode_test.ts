import assert from "node:assert/strict";
import { jsonUnescape } from "./decode.ts";

/** JSON string escapes resolved by their plain definition: one regex, each escape replaced. */
function byDefinition(text: string): string {
  return text.replace(/\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))/g, (_, hex, ch) => {
    if (hex) return String.fromCharCode(parseInt(hex, 16));
    return ({ b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" } as Record<string, string>)[ch] ?? ch;
  });
}

Deno.test("jsonUnescape() resolves what its plain definition does, and leaves the rest as written", () => {
  const cases = [
    String.raw`line\nnext\ttab \"quoted\" \/path \\ back`,
    String.raw`\u0067hp_ and \u00E9 and \uD83D\uDE00`,
    // An escaped backslash before u is a backslash, then the letter u.
    String.raw`\\u0041`,
    // Not escapes: a bad hex digit, one cut short, an unknown letter, a backslash at the end.
    String.raw`\u12G4 \u004 \q` + "\\",
    "no escapes at all",
    "",
  ];
  for (const text of cases) assert.equal(jsonUnescape(text), byDefinition(text), text);
  assert.equal(jsonUnescape(String.raw`\u0067hp_\n`), "ghp_\n");
  // Random strings over the characters escapes are made of.
  const alphabet = String.raw`\\\\u"nbf/0aF9Gq`;
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % alphabet.length;
  for (let i = 0; i < 20_000; i++) {
    let text = "";
    for (let j = 0; j < 14; j++) text += alphabet[next()];
    assert.equal(jsonUnescape(text), byDefinition(text), JSON.stringify(text));
  }
});
