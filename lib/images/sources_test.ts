import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { BUNDLE_SOURCE } from "./sources.ts";

const ROOT = join(import.meta.dirname!, "../..");

function* walk(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walk(path);
    else yield path;
  }
}

Deno.test("BUNDLE_SOURCE embeds every sidecar module the bundle runs, byte for byte", () => {
  const daemonFiles = [...walk(join(ROOT, "sidecars"))]
    .map((p) => relative(ROOT, p))
    .filter((p) => p.endsWith(".ts") && !p.endsWith("_test.ts"));
  for (const file of daemonFiles) {
    assert.equal(
      BUNDLE_SOURCE.files[file],
      Deno.readTextFileSync(join(ROOT, file)),
      `${file} is not embedded`,
    );
  }
});

Deno.test("every relative import of an embedded module is embedded too", () => {
  for (const [path, text] of Object.entries(BUNDLE_SOURCE.files)) {
    if (!path.endsWith(".ts")) continue;
    for (const m of text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
      const target = join(path, "..", m[1]!);
      assert.ok(target in BUNDLE_SOURCE.files, `${path} imports ${target}, which is not embedded`);
    }
  }
});
