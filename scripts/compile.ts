/**
 * Compiles release binaries of bot-bottle for every supported target into dist/, with
 * every sidecar file embedded (text imports) and exactly the permissions of the
 * `bot-bottle` task (named binaries in --allow-run, no -A). The commit (`git rev-parse`)
 * is stamped into lib/version.ts for the compile and the file is put back afterwards.
 *
 * `deno compile` downloads a `denort` runtime per target from the internet, so this
 * runs on a release machine (.github/workflows/release.yml), not in the offline CI here.
 * Usage: deno task compile [TARGET...]
 */

import { join } from "node:path";
import { stampCommit } from "./stamp.ts";

const ROOT = join(import.meta.dirname!, "..");
const VERSION_FILE = join(ROOT, "lib/version.ts");
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

async function git(args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args: ["-C", ROOT, ...args], stderr: "inherit" })
    .output();
  if (out.code !== 0) throw new Error(`git ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout).trim();
}

async function main(requested: string[]): Promise<void> {
  const targets = requested.length > 0 ? requested : TARGETS;
  for (const target of targets) {
    if (!TARGETS.includes(target)) {
      throw new Error(`Unknown target "${target}" (known: ${TARGETS.join(", ")})`);
    }
  }
  const dirty = (await git(["status", "--porcelain", "--untracked-files=no"])) !== "";
  const commit = `${await git(["rev-parse", "--short=12", "HEAD"])}${dirty ? "-dirty" : ""}`;
  const original = await Deno.readTextFile(VERSION_FILE);
  await Deno.writeTextFile(VERSION_FILE, stampCommit(original, commit));
  try {
    for (const target of targets) {
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
      // By name: --allow-run=deno names the deno on PATH (Deno.execPath() may be the
      // symlink's target, which that permission does not cover).
      const { code } = await new Deno.Command("deno", {
        args,
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (code !== 0) throw new Error(`deno compile for ${target} failed (exit ${code})`);
    }
  } finally {
    await Deno.writeTextFile(VERSION_FILE, original);
  }
}

if (import.meta.main) await main(Deno.args);
