/**
 * Hostile manifests: a seeded fuzz of the shipped example and the test manifests
 * (flipped, cut and inserted bytes; odd Unicode; wrong types; huge and deep documents;
 * alias bombs). Every one either loads or fails with a ManifestError whose every problem
 * is located (a line, or a key path), never another exception.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ManifestError } from "../errors.ts";
import { parseManifest } from "./load.ts";
import { rng } from "../../tests/random.ts";

const ROOT = join(import.meta.dirname!, "../..");
const SEEDS = [
  Deno.readTextFileSync(join(ROOT, "examples/bot-bottle.yaml")),
  ...[...Deno.readDirSync(join(ROOT, "tests/testdata/plans"))].filter((e) => e.isDirectory).map((
    e,
  ) => Deno.readTextFileSync(join(ROOT, "tests/testdata/plans", e.name, "manifest.yaml"))),
];

const ODD = [
  "\u202e",
  "\u200b",
  "\ufeff",
  "\u0000",
  "\u0007",
  "\t",
  "\r",
  "\ud83d\ude00",
  "\ud800",
  "é",
  "\u2028",
  "{",
  "}",
  "[",
  "]",
  ":",
  "- ",
  "&a ",
  "*a",
  "!!binary ",
  "? ",
  "|",
  ">",
  "%",
  "@",
  "`",
  "'",
  '"',
  "#",
  "\n",
  "\n  ",
  "~",
  "null",
  "true",
  "0x1F",
  "1e999",
  "-.inf",
  ".nan",
];
const VALUES = [
  "[]",
  "{}",
  "42",
  "-1",
  "true",
  "null",
  '"x"',
  "[1, [2, [3]]]",
  "{a: {b: {c: 1}}}",
  "~",
];

/** One mutation of `text`. */
function mutate(text: string, next: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const at = Math.floor(next() * (text.length + 1));
  switch (Math.floor(next() * 8)) {
    case 0: // flip a character
      return text.slice(0, at) + String.fromCharCode(Math.floor(next() * 0x3000)) +
        text.slice(at + 1);
    case 1: // cut a span
      return text.slice(0, at) + text.slice(at + Math.floor(next() * 40));
    case 2: // insert something odd
      return text.slice(0, at) + pick(ODD) + text.slice(at);
    case 3: { // replace a value with another type
      const lines = text.split("\n");
      const i = Math.floor(next() * lines.length);
      lines[i] = lines[i]!.replace(/:\s.*$/, `: ${pick(VALUES)}`);
      return lines.join("\n");
    }
    case 4: // duplicate a line (duplicate keys, odd indentation)
    {
      const lines = text.split("\n");
      const i = Math.floor(next() * lines.length);
      lines.splice(i, 0, lines[i]!);
      return lines.join("\n");
    }
    case 5: // re-indent a line
    {
      const lines = text.split("\n");
      const i = Math.floor(next() * lines.length);
      lines[i] = " ".repeat(Math.floor(next() * 9)) + lines[i]!.trimStart();
      return lines.join("\n");
    }
    case 6: // swap two lines
    {
      const lines = text.split("\n");
      const i = Math.floor(next() * lines.length);
      const j = Math.floor(next() * lines.length);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join("\n");
    }
    default: // truncate
      return text.slice(0, at);
  }
}

function check(text: string, label: string): void {
  try {
    parseManifest(text, "fuzz.yaml");
  } catch (error) {
    if (!(error instanceof ManifestError)) {
      throw new Error(
        `${label}: ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`,
      );
    }
    assert.ok(error.problems.length > 0, label);
    assert.ok(error.message.startsWith('Manifest "fuzz.yaml"'), `${label}: ${error.message}`);
    for (const p of error.problems) {
      assert.ok(
        p.line !== undefined || p.path !== "",
        `${label}: unlocated problem "${p.message}"`,
      );
      assert.ok(!/\n\s+at /.test(p.message), `${label}: a stack trace in "${p.message}"`);
    }
  }
}

Deno.test("1,500 mutated manifests each load or fail with located problems, never a crash", () => {
  const next = rng(20261129);
  for (let i = 0; i < 1500; i++) {
    let text = SEEDS[i % SEEDS.length]!;
    const rounds = 1 + Math.floor(next() * 4);
    for (let r = 0; r < rounds; r++) text = mutate(text, next);
    check(text, `case ${i}`);
  }
});

Deno.test("huge, deep and explosive documents fail plainly", () => {
  const cases: [string, string][] = [
    ["deep flow nesting", "bottles: " + "[".repeat(5000) + "]".repeat(5000)],
    ["deep block nesting", Array.from({ length: 400 }, (_, i) => " ".repeat(i) + "a:").join("\n")],
    [
      "alias bomb",
      "a: &a [x, x, x, x, x, x, x, x, x, x]\n" +
      Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${
            Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(", ")
          }]`,
      ).join("\n") + "\nbottles: *j\nagents: {}",
    ],
    ["too large", "bottles:\n" + Array.from({ length: 60000 }, (_, i) => `  b${i}: {}`).join("\n")],
    [
      "many keys, under the size limit",
      "bottles:\n" + Array.from({ length: 20000 }, (_, i) => `  b${i}: {}`).join("\n"),
    ],
    [
      "many duplicate keys",
      "bottles:\n" + Array.from({ length: 20000 }, () => "  b: {}").join("\n"),
    ],
    [
      "a long line",
      `bottles: {dev: {}}\nagents: {a: {bottle: dev, prompt: "${"x".repeat(2_000_000)}"}}\nx: 1`,
    ],
    ["binary", String.fromCharCode(...crypto.getRandomValues(new Uint8Array(4096)))],
    ["bidi and zero-width keys", "bott\u202eles: {}\n\u200bagents: {}"],
    ["not a mapping", "- a\n- b"],
    ["only a comment", "# nothing\n"],
  ];
  for (const [label, text] of cases) check(text, label);
});
