import assert from "node:assert/strict";
import { BODY_COMMIT, sourceFiles } from "./conversation.ts";

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
