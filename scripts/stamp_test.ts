import assert from "node:assert/strict";
import { join } from "node:path";
import { stampCommit } from "./stamp.ts";

const source = Deno.readTextFileSync(join(import.meta.dirname!, "../lib/version.ts"));

Deno.test("stampCommit() sets COMMIT in lib/version.ts and nothing else", () => {
  const stamped = stampCommit(source, "0123456789ab");
  assert.match(stamped, /^export const COMMIT: string = "0123456789ab";$/m);
  assert.equal(stamped.replace('"0123456789ab"', '"dev"'), source);
  assert.match(stampCommit(source, "0123456789ab-dirty"), /"0123456789ab-dirty"/);
});

Deno.test("stampCommit() refuses what is not a commit id, and a file without the line", () => {
  assert.throws(() => stampCommit(source, 'x"; evil()'), /not a commit id/);
  assert.throws(() => stampCommit("export const X = 1;\n", "0123456789ab"), /no COMMIT line/);
});
