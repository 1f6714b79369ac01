import assert from "node:assert/strict";
import { join } from "node:path";
import { HEARTBEAT_STALE_MS, heartbeatAlive, startHeartbeat, stateDir } from "./state.ts";

Deno.test("stateDir() prefers BOT_BOTTLE_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state", () => {
  assert.equal(stateDir({ BOT_BOTTLE_STATE_DIR: "/s", XDG_STATE_HOME: "/x", HOME: "/h" }), "/s");
  assert.equal(stateDir({ XDG_STATE_HOME: "/x", HOME: "/h" }), "/x/bot-bottle");
  assert.equal(stateDir({ HOME: "/h" }), "/h/.local/state/bot-bottle");
});

Deno.test("a heartbeat is alive while held, stale when old, and gone when disposed", async () => {
  const dir = await Deno.makeTempDir();
  const env = { BOT_BOTTLE_STATE_DIR: dir };
  try {
    assert.equal(await heartbeatAlive(env, "a-1"), false, "no heartbeat, no life");
    const beat = await startHeartbeat(env, "a-1");
    assert.equal(await heartbeatAlive(env, "a-1"), true);
    assert.equal(await heartbeatAlive(env, "a-1", Date.now() + HEARTBEAT_STALE_MS + 1), false);
    await beat[Symbol.asyncDispose]();
    assert.equal(await heartbeatAlive(env, "a-1"), false);
    assert.deepEqual([...Deno.readDirSync(join(dir, "heartbeats"))], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
