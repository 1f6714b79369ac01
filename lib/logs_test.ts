import assert from "node:assert/strict";
import { join } from "node:path";
import { logsToPrune, pruneLogs, savedLog, savedLogs } from "./logs.ts";

const day = 24 * 3600 * 1000;

Deno.test("logsToPrune(): older than the age limit, or beyond the total size, oldest first", () => {
  const now = new Date(100 * day);
  const logs = [
    { name: "new", saved: new Date(99 * day), bytes: 60 },
    { name: "mid", saved: new Date(90 * day), bytes: 50 },
    { name: "old", saved: new Date(50 * day), bytes: 1 },
  ];
  assert.deepEqual(logsToPrune(logs, now, { days: 30, bytes: 1000 }), ["old"]);
  assert.deepEqual(logsToPrune(logs, now, { days: 365, bytes: 100 }), ["mid", "old"]);
});

Deno.test("savedLog() finds a saved log by name and refuses names that are paths", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const logs = join(dir, "logs");
    await Deno.mkdir(logs);
    await Deno.writeTextFile(join(dir, "logs", "claude-abc123.jsonl"), "{}\n");
    await Deno.writeTextFile(join(dir, "logs", "stale-aaaaaa.jsonl"), "{}\n");
    await Deno.utime(join(dir, "logs", "stale-aaaaaa.jsonl"), new Date(0), new Date(0));
    assert.equal(await savedLog(logs, "claude-abc123"), join(logs, "claude-abc123.jsonl"));
    assert.equal(await savedLog(logs, "../etc/passwd"), undefined);
    assert.equal(await savedLog(logs, "claude-zzzzzz"), undefined);
    await pruneLogs(logs);
    assert.deepEqual((await savedLogs(logs)).map((l) => l.name), ["claude-abc123"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
