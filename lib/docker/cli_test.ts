import assert from "node:assert/strict";
import { isoCreated } from "./cli.ts";

Deno.test("isoCreated() turns docker ps's CreatedAt into ISO 8601, keeping its offset", () => {
  assert.equal(isoCreated("2026-11-30 04:03:37 +0000 UTC"), "2026-11-30T04:03:37Z");
  assert.equal(isoCreated("2026-11-30 06:03:37 +0200 EET"), "2026-11-30T04:03:37Z");
  assert.equal(isoCreated("2026-11-29 23:03:37 -0500 EST"), "2026-11-30T04:03:37Z");
  // Anything else is shown as docker wrote it.
  assert.equal(isoCreated("About an hour ago"), "About an hour ago");
});
