import assert from "node:assert/strict";
import { plural } from "./plural.ts";

Deno.test("plural() says one in the singular, any other count in the plural", () => {
  assert.equal(plural(1, "file"), "1 file");
  assert.equal(plural(0, "file"), "0 files");
  assert.equal(plural(2, "git push", "git pushes"), "2 git pushes");
  assert.equal(plural(1, "version", "versions"), "1 version");
});
