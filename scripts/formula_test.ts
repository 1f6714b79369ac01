import assert from "node:assert/strict";
import { FORMULA_TARGETS, parseSums, renderFormula } from "./formula.ts";

const hex = (c: string) => c.repeat(64);
const SUMS = [
  `${hex("a")}  dist/${FORMULA_TARGETS.macosArm}`,
  `${hex("b")}  ${FORMULA_TARGETS.macosIntel}`,
  `${hex("c")} *${FORMULA_TARGETS.linuxArm}`,
  `${hex("D")}  ${FORMULA_TARGETS.linuxIntel}`,
].join("\n") + "\n";

Deno.test("renderFormula() gives each platform its binary's URL and sum", () => {
  const formula = renderFormula("1.2.3", parseSums(SUMS), "acme/bot-bottle");
  assert.match(formula, /^class BotBottle < Formula$/m);
  assert.match(formula, /^ {2}version "1\.2\.3"$/m);
  const base = "https://github.com/acme/bot-bottle/releases/download/v1.2.3";
  const expect: [string, string, string][] = [
    ["on_macos", FORMULA_TARGETS.macosArm, hex("a")],
    ["on_macos", FORMULA_TARGETS.macosIntel, hex("b")],
    ["on_linux", FORMULA_TARGETS.linuxArm, hex("c")],
    ["on_linux", FORMULA_TARGETS.linuxIntel, hex("d")],
  ];
  for (const [os, file, sum] of expect) {
    const section = formula.slice(formula.indexOf(`  ${os} do`));
    assert.match(
      section,
      new RegExp(
        `url "${base}/${file}"\\n +sha256 "${sum}"\\n\\n +def install\\n +bin\\.install "${file}" => "bot-bottle"`,
      ),
      file,
    );
  }
  // The arm binary sits in on_arm, the intel one in on_intel, on each OS.
  assert.ok(formula.indexOf(FORMULA_TARGETS.macosArm) < formula.indexOf("on_intel"));
  assert.match(formula, /shell_output\("#\{bin\}\/bot-bottle version"\)/);
  // Balanced Ruby blocks: every `class`, `do` and `def` has its `end`.
  const opens = (formula.match(/(^class .*|\bdo|\bdef \w+)$/gm) ?? []).length;
  const ends = (formula.match(/^\s*end$/gm) ?? []).length;
  assert.equal(opens, ends);
});

Deno.test("renderFormula() refuses a missing sum, a bad version or repository", () => {
  const sums = parseSums(SUMS);
  delete sums[FORMULA_TARGETS.linuxArm];
  assert.throws(
    () => renderFormula("1.2.3", sums, "acme/bot-bottle"),
    /no sha256 for .*aarch64-unknown-linux/,
  );
  assert.throws(
    () => renderFormula("v1.2", parseSums(SUMS), "acme/bot-bottle"),
    /not a release version/,
  );
  assert.throws(() => renderFormula("1.2.3", parseSums(SUMS), "acme"), /OWNER\/NAME/);
});

Deno.test("parseSums() reads sha256sum output and rejects anything else", () => {
  assert.equal(parseSums(SUMS)[FORMULA_TARGETS.macosArm], hex("a"));
  assert.throws(() => parseSums("not a sum line\n"), /not a sha256sum line/);
});
