import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { parseManifest } from "./load.ts";
import { cachedManifestPath, loadManifest, pruneCache, VALIDATOR_SOURCES } from "./read.ts";

const MANIFEST = `bottles:
  dev:
    egress:
      allow: [registry.npmjs.org]
agents:
  claude:
    bottle: dev
    prompt: from the file
`;

Deno.test("loadManifest() caches what passed, reads it back, and parses anew what it cannot read", async () => {
  const dir = await Deno.makeTempDir();
  const env = { BOT_BOTTLE_CACHE_DIR: join(dir, "cache") };
  try {
    await Deno.writeTextFile(join(dir, "m.yaml"), MANIFEST);
    const first = await loadManifest("m.yaml", dir, env);
    assert.deepEqual(first.manifest, parseManifest(MANIFEST, "m.yaml"));
    const cached = await cachedManifestPath(MANIFEST, env);
    assert.ok(cached.startsWith(join(dir, "cache", "manifests")));
    assert.equal((await Deno.stat(cached)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(join(dir, "cache", "manifests"))).mode! & 0o777, 0o700);

    // A second read takes the cached form (marked here, to tell it from a parse).
    const marked = JSON.parse(await Deno.readTextFile(cached));
    marked.agents.claude.prompt = "from the cache";
    await Deno.writeTextFile(cached, JSON.stringify(marked));
    assert.equal(
      (await loadManifest("m.yaml", dir, env)).manifest.agents.claude!.prompt,
      "from the cache",
    );

    // An unreadable entry is parsed anew, and replaced.
    await Deno.writeTextFile(cached, "{not json");
    assert.equal(
      (await loadManifest("m.yaml", dir, env)).manifest.agents.claude!.prompt,
      "from the file",
    );
    assert.deepEqual(JSON.parse(await Deno.readTextFile(cached)), first.manifest);

    // Other text, other entry; a manifest with problems is reported, never cached.
    const bad = MANIFEST.replace("bottle: dev", "bottle: nope");
    assert.notEqual(await cachedManifestPath(bad, env), cached);
    await Deno.writeTextFile(join(dir, "m.yaml"), bad);
    await assert.rejects(() => loadManifest("m.yaml", dir, env), /unknown bottle "nope"/);
    const badEntry = await cachedManifestPath(bad, env);
    await assert.rejects(() => Deno.stat(badEntry), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadManifest() still works where the cache cannot be written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "m.yaml"), MANIFEST);
    await Deno.writeTextFile(join(dir, "cache"), "a file where the cache folder would be");
    const loaded = await loadManifest("m.yaml", dir, { BOT_BOTTLE_CACHE_DIR: join(dir, "cache") });
    assert.equal(loaded.manifest.agents.claude!.prompt, "from the file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the manifest cache is keyed by every module validation runs, byte for byte", () => {
  const root = join(import.meta.dirname!, "../..");
  const seen = new Set<string>();
  const queue = ["lib/manifest/load.ts"];
  while (queue.length > 0) {
    const path = queue.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const text = Deno.readTextFileSync(join(root, path));
    assert.equal(VALIDATOR_SOURCES[path], text, `${path} is not in the cache key`);
    // Runtime imports only: `import type` changes no behaviour, text imports are data.
    const imports = /^(?:import|export)(?!\s+type\b)[^;]*?from\s+"(\.{1,2}\/[^"]+)"(?!\s+with)/gm;
    for (const m of text.matchAll(imports)) {
      queue.push(relative(root, join(root, path, "..", m[1]!)));
    }
  }
  assert.ok(seen.has("lib/secrets/normalize.ts"), "the walk reaches the secret detector");
});

Deno.test("pruneCache() keeps the most recently written entries", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (let i = 0; i < 6; i++) {
      const path = join(dir, `${i}.json`);
      await Deno.writeTextFile(path, "{}");
      await Deno.utime(path, 1000 + i, 1000 + i);
    }
    await Deno.writeTextFile(join(dir, "x.json.partial"), "");
    await pruneCache(dir, 4);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(left, ["2.json", "3.json", "4.json", "5.json", "x.json.partial"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
