import assert from "node:assert/strict";
import { join } from "node:path";
import { lockFile } from "./config.ts";

Deno.test("lockFile() makes a second holder wait until the first lets go", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lock = join(dir, "overrides.lock");
    const log: string[] = [];
    const first = await lockFile(lock);
    const second = lockFile(lock).then((held) => {
      log.push("second");
      return held;
    });
    // Time for the second to get the lock, were it free.
    await new Promise((r) => setTimeout(r, 200));
    log.push("first");
    first.close();
    (await second).close();
    assert.deepEqual(log, ["first", "second"]);
    assert.equal((await Deno.stat(lock)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
