import assert from "node:assert/strict";
import { join } from "node:path";
import { CleanContents } from "./verdicts.ts";

const id = (n: number, width = 20) => n.toString(16).padStart(2 * width, "0");

/** Which of `ids` a fresh start finds kept in `dir`. */
async function kept(dir: string, ids: number[], format: "sha1" | "sha256" = "sha1") {
  const clean = await CleanContents.open(dir, format);
  return ids.filter((n) => clean.has(id(n, format === "sha1" ? 20 : 32)));
}

Deno.test("CleanContents keeps what a start found clean; past its bound, only what that start met", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const all = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const first = await CleanContents.open(dir, "sha1");
    for (const n of [3, 1, 2]) first.add(id(n));
    assert.equal(first.has(id(2)), true, "what this start found is held at once");
    await first.save(4);
    const [name, ...others] = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(others, []);
    assert.match(name!, /^[0-9a-f]{24}\.sha1$/);
    assert.equal(Deno.statSync(join(dir, name!)).size, 3 * 20, "sorted ids of 20 bytes");
    assert.deepEqual(await kept(dir, all), [1, 2, 3]);

    // Under the bound, what was kept stays and what is new is added, in order.
    const second = await CleanContents.open(dir, "sha1");
    assert.equal(second.has(id(2)), true);
    assert.equal(second.has(id(9)), false);
    second.add(id(0));
    second.add(id(2)); // kept already: nothing new
    await second.save(4);
    assert.deepEqual(await kept(dir, [0, ...all]), [0, 1, 2, 3]);

    // Past it, the cache starts again from what this start met: held clean, or found so.
    const third = await CleanContents.open(dir, "sha1");
    assert.equal(third.has(id(3)), true);
    third.add(id(5));
    await third.save(4);
    assert.deepEqual(await kept(dir, [0, ...all]), [3, 5]);

    // A start that found nothing new writes nothing; nor does one without a directory.
    const fourth = await CleanContents.open(dir, "sha1");
    fourth.has(id(3));
    await Deno.writeFile(join(dir, name!), Uint8Array.fromHex(id(7)));
    await fourth.save(4);
    assert.deepEqual(await kept(dir, all), [7]);
    const none = await CleanContents.open(undefined, "sha1");
    none.add(id(8));
    await none.save();
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [name]);

    // A sha256 repository's verdicts sit beside, in ids of 32 bytes; a file cut short is
    // not read; a file of another detector goes.
    const wide = await CleanContents.open(dir, "sha256");
    wide.add(id(4, 32));
    wide.add(id(4)); // an id of the other width: not kept in this file
    await wide.save();
    assert.deepEqual(await kept(dir, [4], "sha256"), [4]);
    assert.deepEqual(await kept(dir, all), [7]);
    await Deno.writeFile(join(dir, name!), new Uint8Array(30));
    assert.deepEqual(await kept(dir, all), []);
    await Deno.writeTextFile(join(dir, "0123456789abcdef01234567.sha1"), "");
    const fifth = await CleanContents.open(dir, "sha1");
    fifth.add(id(6));
    await fifth.save();
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).toSorted(),
      [name, name!.replace(".sha1", ".sha256")].toSorted(),
    );
    assert.deepEqual(await kept(dir, all), [6]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CleanContents finds each of many kept ids, and none it did not keep", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ids = Array.from(
      { length: 5000 },
      () => crypto.getRandomValues(new Uint8Array(20)).toHex(),
    );
    const first = await CleanContents.open(dir, "sha1");
    for (const x of ids.slice(0, 2500)) first.add(x);
    await first.save();
    const second = await CleanContents.open(dir, "sha1");
    for (const x of ids.slice(2500, 4000)) second.add(x);
    await second.save();
    const third = await CleanContents.open(dir, "sha1");
    assert.equal(ids.slice(0, 4000).filter((x) => !third.has(x)).length, 0);
    assert.equal(ids.slice(4000).filter((x) => third.has(x)).length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
