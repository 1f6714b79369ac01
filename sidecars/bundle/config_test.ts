import assert from "node:assert/strict";
import { join } from "node:path";
import { lockFile } from "./config.ts";

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
