import assert from "node:assert/strict";
import { join } from "node:path";
import { createCa } from "./ca.ts";
import { Leaves } from "./leaves.ts";

Deno.test("leaves: one per host while used, the least recently used dropped past the bound", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const leaves = new Leaves(await createCa(join(dir, "ca"), "test"), 3);
    const a = await leaves.context("a.test");
    assert.equal(await leaves.context("a.test"), a, "kept: the same context again");
    await leaves.context("b.test");
    await leaves.context("c.test");
    // a.test used last of the three: d.test pushes b.test out, not a.test.
    assert.equal(await leaves.context("a.test"), a);
    await leaves.context("d.test");
    assert.equal(leaves.size, 3);
    assert.equal(await leaves.context("a.test"), a, "the most recently used stays");
    const hosts = Array.from({ length: 20 }, (_, i) => `h${i}.test`);
    for (const h of hosts) await leaves.context(h);
    assert.equal(leaves.size, 3, "never more than the bound");
    assert.notEqual(await leaves.context("a.test"), a, "a dropped host gets a new leaf");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
