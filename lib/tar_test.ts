import assert from "node:assert/strict";
import { join } from "node:path";
import { writeTreeTar } from "./tar.ts";
import { randomBytes } from "./bytes.ts";

Deno.test("writeTreeTar() writes an archive that tar lists and unpacks identically", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const src = join(dir, "src");
    const deep = join(src, "a".repeat(60), "b".repeat(60));
    await Deno.mkdir(deep, { recursive: true });
    await Deno.writeTextFile(join(src, "top.txt"), "top\n");
    await Deno.writeTextFile(join(deep, "long-name-file.txt"), "deep\n");
    await Deno.writeFile(join(src, "bin.dat"), new Uint8Array(1000).map((_, i) => i % 256));
    await Deno.chmod(join(src, "top.txt"), 0o600);
    await Deno.symlink("top.txt", join(src, "link"));
    await Deno.mkdir(join(src, ".git"));
    await Deno.writeTextFile(join(src, ".git", "HEAD"), "ref: refs/heads/main\n");
    // Larger than the writer's buffer (streamed), and many small files (gathered).
    const big = randomBytes((5 << 19) + 7);
    await Deno.writeFile(join(src, "big.dat"), big);
    await Deno.mkdir(join(src, "many"));
    for (let i = 0; i < 300; i++) {
      await Deno.writeFile(join(src, "many", `${i}`), big.subarray(i * 5000, i * 5000 + 4999));
    }

    const stats = await writeTreeTar(src, join(dir, "out.tar"));
    assert.equal(stats.files, 305);

    const out = join(dir, "out");
    await Deno.mkdir(out);
    const { code, stderr } = await new Deno.Command("tar", {
      args: ["-xf", join(dir, "out.tar"), "-C", out],
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.equal(
      await Deno.readTextFile(join(out, "a".repeat(60), "b".repeat(60), "long-name-file.txt")),
      "deep\n",
    );
    assert.deepEqual(
      await Deno.readFile(join(out, "bin.dat")),
      await Deno.readFile(join(src, "bin.dat")),
    );
    assert.equal(await Deno.readLink(join(out, "link")), "top.txt");
    assert.equal((await Deno.stat(join(out, "top.txt"))).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(join(out, ".git", "HEAD")), "ref: refs/heads/main\n");
    assert.deepEqual(await Deno.readFile(join(out, "big.dat")), big);
    for (const i of [0, 1, 150, 299]) {
      assert.deepEqual(
        await Deno.readFile(join(out, "many", `${i}`)),
        big.subarray(i * 5000, i * 5000 + 4999),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
