import assert from "node:assert/strict";
import { join } from "node:path";
import { auditFlushScript, lockFile } from "./config.ts";

Deno.test("lockFile() makes a second holder wait until the first lets go", async () => {
  const dir = await Deno.makeTempDir();
  // Whether another process can take the lock now (flock -n: 7 when it is held).
  const free = async (path: string) =>
    (await new Deno.Command("flock", { args: ["-n", "-E", "7", path, "true"] }).output()).code ===
      0;
  try {
    const lock = join(dir, "overrides.lock");
    const first = await lockFile(lock);
    assert.equal(await free(lock), false, "held by the first");
    let got = false;
    const second = lockFile(lock).then((held) => {
      got = true;
      return held;
    });
    // The other process's try took a whole exec: the second is still waiting.
    assert.equal(got, false);
    first.close();
    const held = await second;
    assert.equal(await free(lock), false, "held by the second");
    held.close();
    assert.equal(await free(lock), true);
    assert.equal((await Deno.stat(lock)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the audit flush asks only a bundle that listens, and waits for its answer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-flush-test-" });
  const ask = `${dir}/ask`;
  const done = `${dir}/done`;
  const ready = `${dir}/ready`;
  // A stand-in bundle: answers SIGWINCH by writing the token it was given, and says when it
  // listens (a signal sent before its trap is set is ignored, as the real bundle's would be
  // before it writes its answer file: under load, the shell had not set it yet).
  const bundle = new Deno.Command("sh", {
    args: [
      "-c",
      `trap 'cat ${ask} > ${done}.tmp && mv ${done}.tmp ${done}' WINCH; : > ${ready}; while :; do sleep 0.02; done`,
    ],
  }).spawn();
  const run = async () => {
    const out = await new Deno.Command("sh", {
      args: ["-c", auditFlushScript(ask, done, String(bundle.pid))],
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  };
  const read = (path: string) => Deno.readTextFile(path).catch(() => undefined);
  try {
    // One from an older bot-bottle, which never says it listens: not asked at all.
    await run();
    assert.equal(await read(ask), undefined);
    // One that listens: asked, and the script returns once the answer is there.
    while (await read(ready) === undefined) await new Promise((r) => setTimeout(r, 10));
    await Deno.writeTextFile(done, "listening");
    await run();
    const token = await read(ask);
    assert.ok(token && token !== "listening");
    assert.equal(await read(done), token);
  } finally {
    bundle.kill();
    await bundle.status;
    await Deno.remove(dir, { recursive: true });
  }
});
