import assert from "node:assert/strict";
import { MIN_DENO, olderThan } from "./version.ts";

Deno.test("olderThan() compares Deno versions part by part", () => {
  assert.equal(olderThan("2.8.9", "2.9.0"), true);
  assert.equal(olderThan("1.46.3", "2.9.0"), true);
  assert.equal(olderThan("2.9.0", "2.9.0"), false);
  assert.equal(olderThan("2.10.0", "2.9.0"), false);
  assert.equal(olderThan("2.9.6+abc123", "2.9.0"), false);
  assert.equal(olderThan("3.0.0-rc.1", "2.9.0"), false);
  // The Deno running the tests is one bot-bottle supports.
  assert.equal(olderThan(Deno.version.deno, MIN_DENO), false);
});
