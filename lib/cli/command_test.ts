import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { type Command, commandHelp, parseCommandArgs } from "./command.ts";

const cmd: Command = {
  name: "demo",
  summary: "A demo",
  synopsis: "AGENT [--format text|json]",
  description: "",
  options: { format: { type: "string", choices: ["text", "json"], description: "Format" } },
  args: { min: 1, max: 1, names: "an AGENT name" },
  passthrough: true,
  run: () => Promise.resolve(),
};

function usageError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, message);
    assert.match(e.usage ?? "", /Usage: bot-bottle demo AGENT/);
    return true;
  });
}

Deno.test("parseCommandArgs() rejects unknown flags with the usage", () => {
  usageError(() => parseCommandArgs(cmd, ["a", "--nope"]), /Unknown flag "--nope"/);
});

Deno.test("parseCommandArgs() rejects a value outside the choices", () => {
  usageError(
    () => parseCommandArgs(cmd, ["a", "--format", "xml"]),
    /--format: unknown value "xml" \(choose text, json\)/,
  );
});

Deno.test("parseCommandArgs() counts positionals", () => {
  usageError(() => parseCommandArgs(cmd, []), /needs an AGENT name/);
  usageError(() => parseCommandArgs(cmd, ["a", "b"]), /unexpected argument\(s\) "b"/);
});

Deno.test("parseCommandArgs() passes everything after -- through untouched", () => {
  const parsed = parseCommandArgs(cmd, ["a", "--", "--format", "x", "--nope"]);
  assert.deepEqual(parsed.positionals, ["a"]);
  assert.deepEqual(parsed.rest, ["--format", "x", "--nope"]);
  usageError(
    () => parseCommandArgs({ ...cmd, passthrough: false }, ["a", "--", "x"]),
    /takes no arguments after "--"/,
  );
});

Deno.test("parseCommandArgs() accepts global flags and skips checks for --help", () => {
  const parsed = parseCommandArgs(cmd, ["--help"]);
  assert.equal(parsed.values.help, true);
  assert.equal(parseCommandArgs(cmd, ["a", "-m", "x.yaml"]).values.manifest, "x.yaml");
});

Deno.test("commandHelp() lists the command's and the global flags", () => {
  const help = commandHelp(cmd);
  assert.match(help, /--format text\|json/);
  assert.match(help, /--manifest FILE/);
});
