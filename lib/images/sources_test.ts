import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { BUNDLE_SOURCE, bundleV8Flags } from "./sources.ts";

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

Deno.test("the bundle's code is cached under the V8 flags its daemons run with", () => {
  const flags = bundleV8Flags();
  assert.deepEqual(flags, ["--v8-flags=--no-maglev-inlining"]);
  // V8 rejects code cached under other flags: the warm-up run of the entry point must
  // pass the same ones, or every start compiles the daemons afresh.
  const dockerfile = BUNDLE_SOURCE.files["Dockerfile"]!.replaceAll("\\\n", "");
  const warmUp = /deno run ([^;]*?)\/opt\/bot-bottle\/sidecars\/bundle\/init\.ts/.exec(dockerfile);
  assert.ok(warmUp, "no warm-up run of bundle/init.ts");
  assert.deepEqual(warmUp[1]!.split(/\s+/).filter((a) => a.startsWith("--v8-flags")), flags);
});
