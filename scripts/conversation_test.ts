import assert from "node:assert/strict";
import { join } from "node:path";
import { BODY_COMMIT, dependencyFiles, sourceFiles } from "./conversation.ts";

Deno.test("sourceFiles() reads the bench's body at its commit, or says it read the checkout", async () => {
  const here = await new Deno.Command("git", {
    args: ["-C", import.meta.dirname!, "cat-file", "-e", `${BODY_COMMIT}^{commit}`],
    stdout: "null",
    stderr: "null",
  }).output();
  const { files, from } = await sourceFiles();
  assert(files.length > 100, `only ${files.length} files`);
  assert(
    files.every((f) => /^(lib|sidecars)\/.+\.ts$/.test(f.path)),
    "paths outside lib/ and sidecars/",
  );
  assert.deepEqual(files.map((f) => f.path), files.map((f) => f.path).toSorted());
  if (here.success) {
    assert.equal(from, `commit ${BODY_COMMIT.slice(0, 12)}`);
    // Each file whole, as git shows it (the parse of `cat-file --batch` keeps sizes).
    for (const path of ["lib/secrets/probes.ts", "sidecars/egress/proxy.ts"]) {
      const shown = await new Deno.Command("git", {
        args: ["-C", import.meta.dirname!, "show", `${BODY_COMMIT}:${path}`],
        stdout: "piped",
      }).output();
      assert.equal(
        files.find((f) => f.path === path)?.text,
        new TextDecoder().decode(shown.stdout),
      );
    }
  } else {
    assert.match(from, /^this checkout/);
  }
  // A commit that is not at hand: the checkout's files, and said so.
  const fallback = await sourceFiles("0".repeat(40));
  assert.match(fallback.from, /^this checkout \(commit 000000000000 is not at hand\)$/);
  const checkout = await Deno.readTextFile(
    new URL("../lib/secrets/probes.ts", import.meta.url),
  );
  assert.equal(fallback.files.find((f) => f.path === "lib/secrets/probes.ts")?.text, checkout);
});

Deno.test("dependencyFiles() reads the npm packages' JavaScript and TypeScript by path, not minified files nor links", async () => {
  const root = await Deno.makeTempDir({ prefix: "bot-bottle-deps-test-" });
  try {
    const write = async (path: string, text = path) => {
      await Deno.mkdir(join(root, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    };
    const pkg = "node_modules/.deno/b@1.0.0/node_modules/b";
    await write(`${pkg}/index.js`);
    await write(`${pkg}/lib/types.d.ts`);
    await write(`${pkg}/lib/x.cjs`);
    await write(`${pkg}/dist/b.min.js`);
    await write(`${pkg}/README.md`);
    await write("node_modules/.deno/a@2.0.0/node_modules/a/a.mjs");
    // A package's own dependency, linked to its folder: read there only.
    await Deno.symlink(
      join(root, "node_modules/.deno/a@2.0.0/node_modules/a"),
      join(root, "node_modules/.deno/b@1.0.0/node_modules/a"),
    );
    const files = await dependencyFiles(root);
    assert.deepEqual(files.map((f) => f.path), [
      "node_modules/.deno/a@2.0.0/node_modules/a/a.mjs",
      `${pkg}/index.js`,
      `${pkg}/lib/types.d.ts`,
      `${pkg}/lib/x.cjs`,
    ]);
    assert.equal(files[1]!.text, `${pkg}/index.js`);
    // No node_modules: nothing, and the bench says so.
    assert.deepEqual(await dependencyFiles(join(root, "elsewhere")), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
