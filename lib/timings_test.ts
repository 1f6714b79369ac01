import assert from "node:assert/strict";
import { phaseTimings, timed } from "./timings.ts";

Deno.test("timed() records each phase: when it started (from the process's start), how long it took, also when it throws", async () => {
  const before = performance.now();
  assert.equal(await timed("first", () => Promise.resolve(7)), 7);
  await assert.rejects(timed("second", () => Promise.reject(new Error("no"))), /no/);
  const after = performance.now();
  const spans = phaseTimings().filter((s) => s.phase === "first" || s.phase === "second");
  assert.deepEqual(spans.map((s) => s.phase), ["first", "second"]);
  for (const s of spans) {
    assert.ok(Number.isInteger(s.at) && Number.isInteger(s.ms), JSON.stringify(s));
    // Counted from the process's start, as performance.now() is: not from the phase list's.
    assert.ok(s.at >= Math.floor(before) && s.at + s.ms <= Math.ceil(after) + 1, JSON.stringify(s));
  }
  assert.ok(spans[1]!.at >= spans[0]!.at);
});
