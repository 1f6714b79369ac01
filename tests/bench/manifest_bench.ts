/**
 * Manifest loading and planning cost, as ratios against plain YAML parsing of the same
 * text measured in the same run (`deno task bench`).
 */

import { join } from "node:path";
import { YAML } from "../../lib/manifest/deps.ts";
import { parseManifest } from "../../lib/manifest/load.ts";
import { planBottle } from "../../lib/plan/plan.ts";

const text = Deno.readTextFileSync(
  join(import.meta.dirname!, "../testdata/manifests/valid_full.yaml"),
);
const example = Deno.readTextFileSync(join(import.meta.dirname!, "../../examples/bot-bottle.yaml"));
const facts = {
  runId: "bench1",
  env: { ANTHROPIC_API_KEY: "x" },
  home: "/home/u",
  manifestDir: "/proj",
  paths: {},
  usedSubnets: Array.from({ length: 200 }, (_, i) => `10.213.${i}.0/24`),
  images: { agent: "a:1", bundle: "b:1" },
};

Deno.bench({
  name: "YAML.parse (baseline)",
  group: "manifest",
  baseline: true,
  fn: () => void YAML.parse(text),
});
Deno.bench({
  name: "parseManifest (YAML + zod + cross-checks)",
  group: "manifest",
  fn: () => void parseManifest(text, "m"),
});

const manifest = parseManifest(example, "m");
Deno.bench({
  name: "structuredClone of the manifest (baseline)",
  group: "plan",
  baseline: true,
  fn: () => void structuredClone(manifest),
});
Deno.bench({
  name: "planBottle with 200 subnets in use",
  group: "plan",
  fn: () => void planBottle(manifest, { agent: "claude", agentArgs: [] }, facts),
});
