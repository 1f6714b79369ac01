import assert from "node:assert/strict";
import { join } from "node:path";
import { CleanContents } from "./verdicts.ts";

const id = (n: number) => n.toString(16).padStart(40, "0");

Deno.test("CleanContents keeps what a start found clean; past its bound, only what that start met", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await CleanContents.open(dir, "sha1");
    for (const n of [1, 2, 3]) first.add(id(n));
    await first.save(4);
    const [name, ...others] = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(others, []);
    const file = join(dir, name!);
    const kept = async () => (await Deno.readTextFile(file)).trim().split("\n").toSorted();
    assert.deepEqual(await kept(), [id(1), id(2), id(3)]);

    // Under the bound, what was kept stays and what is new is added.
    const second = await CleanContents.open(dir, "sha1");
    assert.equal(second.has(id(2)), true);
    assert.equal(second.has(id(9)), false);
    second.add(id(4));
    await second.save(4);
    assert.deepEqual(await kept(), [id(1), id(2), id(3), id(4)]);

    // Past it, the cache starts again from what this start met: held clean, or found so.
    const third = await CleanContents.open(dir, "sha1");
    assert.equal(third.has(id(3)), true);
    third.add(id(5));
    await third.save(4);
    assert.deepEqual(await kept(), [id(3), id(5)]);

    // A start that found nothing new writes nothing.
    const fourth = await CleanContents.open(dir, "sha1");
    fourth.has(id(3));
    await Deno.writeTextFile(file, `${id(7)}\n`);
    await fourth.save(4);
    assert.deepEqual(await kept(), [id(7)]);
    // Nor does one without a directory.
    const none = await CleanContents.open(undefined, "sha1");
    none.add(id(8));
    await none.save();
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [name]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
