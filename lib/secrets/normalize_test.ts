import assert from "node:assert/strict";
import { CONFUSABLES, normalize } from "./normalize.ts";

/** What normalising means, written as plainly as possible: NFKC, invisibles out, look-alikes mapped. */
function reference(text: string): string {
  const invisible =
    // deno-lint-ignore no-control-regex
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/g;
  const lookAlike = new RegExp(`[${Object.keys(CONFUSABLES).join("")}]`, "g");
  return text.normalize("NFKC").replace(invisible, "").replace(lookAlike, (c) => CONFUSABLES[c]!);
}

Deno.test("normalize() is NFKC with invisible characters removed and look-alikes mapped, for every character", () => {
  for (let code = 0; code < 0x10000; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue;
    const ch = String.fromCharCode(code);
    assert.equal(normalize(ch), reference(ch), `U+${code.toString(16)}`);
  }
});

Deno.test("normalize() matches its plain definition on mixed text (binary, prose, combining marks)", () => {
  const pieces = [
    "ghp_",
    "a",
    "Z",
    "9",
    "\u0000",
    "\u0007",
    "\u200b",
    "\ufeff",
    "\u0430",
    "\u039a",
    "\uff21",
    "e\u0301",
    "\u0301",
    "<",
    "\u0338",
    "\u1100",
    "\u1161",
    "\u11a8",
    "\u0308\u0323",
    "\u00bd",
    "\ufb01",
    "\ufffd",
    "\u65e5",
    "\u{1d400}",
    "\u{1f600}",
    "\n",
    " ",
  ];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let round = 0; round < 1000; round++) {
    let text = "";
    for (let k = next() % 60; k > 0; k--) text += pieces[next() % pieces.length];
    assert.equal(normalize(text), reference(text), JSON.stringify(text));
  }
});
