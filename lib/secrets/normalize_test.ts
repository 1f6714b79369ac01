import assert from "node:assert/strict";
import { CONFUSABLES, normalize, withoutMarks } from "./normalize.ts";

/**
 * What normalising means, written as plainly as possible: NFKC, invisibles out,
 * look-alikes mapped, eight tag characters or more in a row (up to eight invisible
 * characters between two) read as the ASCII they stand for.
 */
function reference(text: string): string {
  const invisible =
    // deno-lint-ignore no-control-regex
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/g;
  const lookAlike = new RegExp(`[${Object.keys(CONFUSABLES).join("")}]`, "g");
  // Eight tags or more, up to eight invisible characters between two of them.
  const tags = new RegExp(
    `(?:[\\u{e0000}-\\u{e007f}](?:${invisible.source}{0,8}(?=[\\u{e0000}-\\u{e007f}]))?){8,}`,
    "gu",
  );
  return text.normalize("NFKC")
    .replace(tags, (run) =>
      [...run].map((c) => {
        const ascii = c.codePointAt(0)! - 0xe0000;
        return ascii >= 0x20 && ascii < 0x7f ? String.fromCharCode(ascii) : "";
      }).join(""))
    .replace(invisible, "")
    .replace(lookAlike, (c) => CONFUSABLES[c]!);
}

/** `count` texts of up to `most` of `pieces` each, drawn from `seed` on (the same each run). */
function randomTexts(pieces: readonly string[], count: number, most: number, seed: number) {
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: count }, () => {
    let text = "";
    for (let k = next() % most; k > 0; k--) text += pieces[next() % pieces.length];
    return text;
  });
}

Deno.test("normalize() is NFKC with invisible characters removed and look-alikes mapped, for every character", () => {
  for (let code = 0; code < 0x10000; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue;
    const ch = String.fromCharCode(code);
    assert.equal(normalize(ch), reference(ch), `U+${code.toString(16)}`);
  }
});

Deno.test("normalize() matches its plain definition on mixed text (binary, prose, combining marks, tag characters)", () => {
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
    "\u{e0067}",
    "\u{e0001}",
    "\u{e007f}",
    "\u{e0020}",
    "\u{e0041}".repeat(4),
    "\u0000".repeat(9),
    "\u20d2",
    "\n",
    " ",
  ];
  for (const text of randomTexts(pieces, 1000, 60, 7)) {
    assert.equal(normalize(text), reference(text), JSON.stringify(text));
  }
});

Deno.test("withoutMarks() is normalize() of the text with its combining marks taken out first", () => {
  // NFKC composes a mark with the letter before it where a letter of both exists.
  assert.notEqual(normalize("g\u0301h\u0301p\u0301_9\u0301"), "ghp_9");
  assert.equal(withoutMarks("g\u0301h\u0301p\u0301_9\u0301"), "ghp_9");
  assert.equal(withoutMarks("Z\u0336q\u20d28\u1ab0\u1dc0\ufe20"), "Zq8");
  // A letter written with its accent keeps it.
  assert.equal(withoutMarks("caf\u00e9 e\u0301"), "caf\u00e9 e");
});

Deno.test("normalize() takes out a terminal's escape sequences whole: colour, erasing, a title or a link (grep --color, bat, ls)", () => {
  const E = "\x1b";
  const cases: [string, string][] = [
    [`a=${E}[01;31m${E}[Kghp_${E}[m${E}[Kx`, "a=ghp_x"],
    [`${E}[38;5;231mKEY${E}[0m${E}[38;5;203m=${E}[0m`, "KEY="],
    [`${E}]0;title\x07t${E}]8;;https://x.example/${E}\\link${E}]8;;${E}\\`, "tlink"],
    [`${E}(Bx${E}7y${E}8`, "xy"],
    // An ESC before nothing a sequence is made of, or a sequence never ended: the ESC alone.
    [`${E}${E}[1`, "[1"],
    [`${E}]0;no end`, "]0;no end"],
    [`x${E}`, "x"],
  ];
  for (const [text, plain] of cases) assert.equal(normalize(text), plain, JSON.stringify(text));
  // As plainly as possible: each sequence out, then normalising as before (an ESC then
  // `[` or `]` that starts no whole sequence is the ESC alone).
  const sequence =
    // deno-lint-ignore no-control-regex
    /\x1b(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[\x20-\x2f]+[\x30-\x7e]|[\x30-\x5a\x5c\x5e-\x7e])/g;
  const pieces = [
    E,
    `${E}[`,
    `${E}]`,
    "0",
    ";",
    "31",
    "m",
    "K",
    "\x07",
    "\\",
    " ",
    "(",
    "ghp_",
    "\u200b",
    "\u0430",
  ];
  for (const text of randomTexts(pieces, 3000, 40, 3)) {
    assert.equal(normalize(text), reference(text.replace(sequence, "")), JSON.stringify(text));
  }
});

Deno.test("normalize() shows a backspace as a terminal does: what follows it stands over the character before it (`man`'s bold and underline)", () => {
  const cases: [string, string][] = [
    ["g\bgh\bhp\bp", "ghp"],
    ["_\bg_\bh_\bp", "ghp"],
    ["ghp_Zq8LJUNK\b\b\b\bw2Rt", "ghp_Zq8Lw2Rt"],
    ["\b\bx", "x"],
    ["a\u200b\bb", "b"],
    ["x\x1b[1m\by", "y"],
    // The cursor moved back, `ESC [ n D` (`ESC [ D`: one), is written over too.
    ["ghp_Zq8LJUNK\x1b[4Dw2Rt", "ghp_Zq8Lw2Rt"],
    ["ab\x1b[Dc", "ac"],
    ["a\x1b[9Db", "b"],
  ];
  for (const [text, shown] of cases) assert.equal(normalize(text), shown, JSON.stringify(text));
});
