import assert from "node:assert/strict";
import { join } from "node:path";

/** `detection.ts --tree` over `dirs`, run as a user runs it. */
function tree(...dirs: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-env",
      join(import.meta.dirname!, "detection.ts"),
      "--tree",
      ...dirs,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("detection --tree names each flagged text file by rule and line, never the value", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-tree-" });
  try {
    const value = "Zq8Lr2Xv9Kt4Wm7Pn3Bc6Hd1Fj5Gs0Ya8U";
    await Deno.mkdir(join(dir, "src", ".git"), { recursive: true });
    await Deno.writeTextFile(join(dir, "src", "conf.py"), `x = 1\napi_key = "${value}"\n`);
    await Deno.writeTextFile(join(dir, "src", "plain.txt"), "nothing to see\n");
    // Left out: what git keeps, and binary files.
    await Deno.writeTextFile(join(dir, "src", ".git", "config"), `api_key = "${value}"\n`);
    await Deno.writeFile(
      join(dir, "src", "blob.bin"),
      new TextEncoder().encode(`\0api_key = "${value}"`),
    );
    const out = await tree(dir);
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const text = new TextDecoder().decode(out.stdout);
    assert.match(text, /^1 of 2 text files flagged/);
    assert.match(text, /generic-secret: 1 file\(s\)\n +\S+conf\.py:2\n/);
    assert.ok(!text.includes(value));
    // A folder named wrong is a usage error, not a tree with nothing flagged.
    const wrong = await tree(join(dir, "missing"));
    assert.equal(wrong.code, 2);
    assert.match(new TextDecoder().decode(wrong.stderr), /not a folder: .*missing/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
