import assert from "node:assert/strict";
import { BASE32_LOWER, BASE32_UPPER, HEX_CHAR, MIN_BASE32, MIN_HEX, subRuns } from "./basen.ts";

/** The runs `subRuns` finds of hex and base32 in one case, by their definition. */
function runsByRegex(run: string): [number, number, number][] {
  const out: [number, number, number][] = [];
  const alphabets: [number, RegExp][] = [
    [HEX_CHAR, new RegExp(`[0-9a-fA-F]{${MIN_HEX},}`, "g")],
    [BASE32_UPPER, new RegExp(`[A-Z2-7]{${MIN_BASE32},}`, "g")],
    [BASE32_LOWER, new RegExp(`[a-z2-7]{${MIN_BASE32},}`, "g")],
  ];
  for (const [alphabet, re] of alphabets) {
    for (const m of run.matchAll(re)) out.push([alphabet, m.index, m.index + m[0].length]);
  }
  return out.sort((a, b) => a[2] - b[2] || a[0] - b[0]);
}

/** A seeded generator of numbers in [0, 1): the same texts on every run. */
function seeded(seed: number): () => number {
  return () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

Deno.test("subRuns() finds each run of hex and base32 in a run, long or short, as their definition does", () => {
  const random = seeded(16);
  const pick = (chars: string) => chars[Math.floor(random() * chars.length)]!;
  const base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const kinds = [
    base64,
    "0123456789abcdef",
    "0123456789ABCDEF",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
  ];
  kinds.push("abcdefghijklmnopqrstuvwxyz234567", "2345678", "fF");
  let runs = 0;
  for (let round = 0; round < 800; round++) {
    // Stretches of one alphabet or another, of every length around each alphabet's least,
    // at every alignment: a run of the base64 alphabets, short (up to 512 characters, read
    // a character at a time) or long (read a block at a time).
    const parts: string[] = [];
    const long = round % 2 === 0;
    for (let size = 0; size < (long ? 600 + round * 4 : 16 + round % 400);) {
      const kind = kinds[Math.floor(random() * kinds.length)]!;
      const length = Math.floor(random() * 40);
      for (let i = 0; i < length; i++) parts.push(pick(kind));
      size += length;
    }
    const run = parts.join("");
    const want = runsByRegex(run);
    runs += want.length;
    const got = subRuns(run).filter(([alphabet]) =>
      alphabet === HEX_CHAR || alphabet === BASE32_UPPER || alphabet === BASE32_LOWER
    );
    assert.deepEqual(got, want, `round ${round}`);
  }
  // Runs were there to find, thousands of them.
  assert.ok(runs > 2000, `${runs} runs`);
});

Deno.test("subRuns() finds a run at either end of a long run, and one as long as its least", () => {
  const noise = "+/".repeat(300);
  for (
    const [piece, alphabet] of [["0123456789abcdef0123", HEX_CHAR], [
      "ABCDEFGHIJKLMNOP",
      BASE32_UPPER,
    ]] as const
  ) {
    for (const run of [piece + noise, noise + piece, noise + "+" + piece + noise]) {
      const from = run.indexOf(piece);
      assert.deepEqual(
        subRuns(run).filter(([a]) => a === alphabet),
        [[alphabet, from, from + piece.length]],
        `${piece} in ${run.length}`,
      );
    }
  }
});
