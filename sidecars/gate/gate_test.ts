import assert from "node:assert/strict";
import { join } from "node:path";
import { accessHookScript } from "./gate.ts";

/** Runs the access hook as git daemon would, with `hook` standing in for Deno's. */
async function runHook(dir: string, args: string[]) {
  const script = join(dir, "access-hook");
  await Deno.writeTextFile(
    script,
    accessHookScript(["project", "other"], join(dir, "audit.jsonl"), "exec echo DENO"),
    { mode: 0o755 },
  );
  const out = await new Deno.Command(script, { args, stdout: "piped", stderr: "piped" }).output();
  const lines = (await Deno.readTextFile(join(dir, "audit.jsonl")).catch(() => "")).split("\n")
    .filter(Boolean);
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    last: lines.length ? JSON.parse(lines.at(-1)!) : undefined,
    count: lines.length,
  };
}

Deno.test("the access hook logs pushes and workspace fetches itself and hands mirror fetches to Deno", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const push = await runHook(dir, ["receive-pack", "/var/lib/bot-bottle/git/project.git", "h"]);
    assert.equal(push.code, 0);
    assert.equal(push.stdout, "");
    const { ts, ...entry } = push.last;
    assert.deepEqual(entry, { kind: "git", action: "push-attempt", repo: "project" });
    assert.ok(Math.abs(Date.parse(ts) - Date.now()) < 60_000, ts);
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const fetch = await runHook(dir, ["upload-pack", "/var/lib/bot-bottle/git/_workspace.git/"]);
    assert.equal(fetch.stdout, "");
    assert.deepEqual({ ...fetch.last, ts: "" }, {
      ts: "",
      kind: "git",
      action: "fetch",
      repo: "_workspace",
      refreshed: false,
    });

    // A mirror's fetch goes to Deno (which refreshes and logs), with git daemon's arguments.
    const mirror = await runHook(dir, ["upload-pack", "/var/lib/bot-bottle/git/other.git", "h"]);
    assert.equal(mirror.stdout, "DENO access upload-pack /var/lib/bot-bottle/git/other.git h\n");
    assert.equal(mirror.count, 2, "Deno logs it, not the shell");

    // A name that is not a plain repository name is not written into the log as given.
    const odd = await runHook(dir, ["receive-pack", '/x/a"b\\c.git']);
    assert.equal(odd.last.repo, "unknown");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the access hook refuses access when it cannot log it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "audit.jsonl"));
    const r = await runHook(dir, ["receive-pack", "/var/lib/bot-bottle/git/project.git"]);
    assert.notEqual(r.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
