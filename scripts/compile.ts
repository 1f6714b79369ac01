/**
 * Compiles release binaries of bot-bottle for every supported target into dist/.
 *
 * `deno compile` downloads a `denort` runtime per target from the internet, so this
 * runs on a release machine (see .github/workflows), not in the offline CI here.
 * Usage: deno task compile [TARGET...]
 */

import { join } from "node:path";

const ROOT = join(import.meta.dirname!, "..");
const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
];

/** The run flags of the `bot-bottle` task: the binary gets exactly these permissions. */
function runFlags(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  return (config.tasks["bot-bottle"] as string).split(/\s+/).filter((a) => a.startsWith("--"));
}

const targets = Deno.args.length > 0 ? Deno.args : TARGETS;
for (const target of targets) {
  if (!TARGETS.includes(target)) {
    throw new Error(`Unknown target "${target}" (known: ${TARGETS.join(", ")})`);
  }
  const output = join(ROOT, "dist", `bot-bottle-${target}`);
  const args = [
    "compile",
    "--target",
    target,
    "--output",
    output,
    ...runFlags(),
    join(ROOT, "main.ts"),
  ];
  const { code } = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error(`deno compile for ${target} failed (exit ${code})`);
}
