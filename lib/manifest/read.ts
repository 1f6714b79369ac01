/**
 * @module
 * Finding and reading the manifest, its validated form cached. Parsing and checking it
 * takes the YAML parser and zod, whose loading was ~130 ms of every command's start
 * (more than half); a manifest read before (the same text, checked by the same code)
 * is read back as JSON and neither is loaded. The cache is keyed by the text and by the
 * sources of every module validation runs, so an edit of either is parsed anew; only a
 * manifest that passed is cached, and an unreadable entry is parsed anew.
 */

import { isAbsolute, join, resolve } from "node:path";
import { ManifestError } from "../errors.ts";
import { cacheDir } from "../state.ts";
import type { Manifest } from "./schema.ts";
import loadSource from "./load.ts" with { type: "text" };
import schemaSource from "./schema.ts" with { type: "text" };
import depsSource from "./deps.ts" with { type: "text" };
import agentsSource from "../agents/mod.ts" with { type: "text" };
import claudeSource from "../agents/claude.ts" with { type: "text" };
import codexSource from "../agents/codex.ts" with { type: "text" };
import geminiSource from "../agents/gemini.ts" with { type: "text" };
import agentTypesSource from "../agents/types.ts" with { type: "text" };
import hostsSource from "../net/hosts.ts" with { type: "text" };
import secretsSource from "../secrets/mod.ts" with { type: "text" };
import rulesSource from "../secrets/rules.ts" with { type: "text" };
import engineSource from "../secrets/engine.ts" with { type: "text" };
import compressedSource from "../secrets/compressed.ts" with { type: "text" };
import decodeSource from "../secrets/decode.ts" with { type: "text" };
import marksSource from "../secrets/marks.ts" with { type: "text" };
import basenSource from "../secrets/basen.ts" with { type: "text" };
import detectorsSource from "../secrets/detectors.ts" with { type: "text" };
import piecesSource from "../secrets/pieces.ts" with { type: "text" };
import gapsSource from "../secrets/gaps.ts" with { type: "text" };
import headsSource from "../secrets/heads.ts" with { type: "text" };
import printableSource from "../secrets/printable.ts" with { type: "text" };
import turnedSource from "../secrets/turned.ts" with { type: "text" };
import unescapeSource from "../secrets/unescape.ts" with { type: "text" };
import hexdumpSource from "../secrets/hexdump.ts" with { type: "text" };
import charsSource from "../secrets/chars.ts" with { type: "text" };
import columnsSource from "../secrets/columns.ts" with { type: "text" };
import keywordsSource from "../secrets/keywords.ts" with { type: "text" };
import probesSource from "../secrets/probes.ts" with { type: "text" };
import markupSource from "../secrets/markup.ts" with { type: "text" };
import assignSource from "../secrets/assign.ts" with { type: "text" };
import wordsSource from "../secrets/words.ts" with { type: "text" };
import normalizeSource from "../secrets/normalize.ts" with { type: "text" };
import errorsSource from "../errors.ts" with { type: "text" };
import bytesSource from "../bytes.ts" with { type: "text" };

/** The manifest file name looked for in the working directory. */
export const DEFAULT_MANIFEST = "bot-bottle.yaml";

/** A validated manifest and where it came from. */
export interface LoadedManifest {
  /** Absolute path of the file. */
  path: string;
  /** The path as the user gave it, for messages. */
  displayPath: string;
  manifest: Manifest;
}

/**
 * Which manifest file to use: `--manifest`, then `BOT_BOTTLE_MANIFEST`, then
 * `./bot-bottle.yaml`. Returns the path as given (resolved against `cwd` when read).
 */
export function manifestPath(flag: string | undefined, env: string | undefined): string {
  if (flag !== undefined && flag !== "") return flag;
  if (env !== undefined && env !== "") return env;
  return DEFAULT_MANIFEST;
}

/** Reads and validates the manifest at `file`; throws ManifestError with every problem. */
export async function loadManifest(
  file: string,
  cwd: string = Deno.cwd(),
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<LoadedManifest> {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ManifestError(file, [{ path: "", message: "file not found" }], {
        hint: file === DEFAULT_MANIFEST
          ? "Run `bot-bottle init` to write a starter manifest, or pass --manifest FILE"
          : undefined,
      });
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw new ManifestError(file, [{ path: "", message: "is a directory, not a file" }]);
    }
    throw new ManifestError(file, [{
      path: "",
      message: `cannot be read: ${(error as Error).message}`,
    }]);
  }
  return { path, displayPath: file, manifest: await validated(text, file, env) };
}

/**
 * The sources validation runs, by repository path: a cached manifest is good only for
 * the same ones (a test follows the imports of load.ts and finds each here).
 */
export const VALIDATOR_SOURCES: Readonly<Record<string, string>> = {
  "lib/manifest/load.ts": loadSource,
  "lib/manifest/schema.ts": schemaSource,
  "lib/manifest/deps.ts": depsSource,
  "lib/errors.ts": errorsSource,
  "lib/bytes.ts": bytesSource,
  "lib/agents/mod.ts": agentsSource,
  "lib/agents/claude.ts": claudeSource,
  "lib/agents/codex.ts": codexSource,
  "lib/agents/gemini.ts": geminiSource,
  "lib/agents/types.ts": agentTypesSource,
  "lib/net/hosts.ts": hostsSource,
  "lib/secrets/mod.ts": secretsSource,
  "lib/secrets/rules.ts": rulesSource,
  "lib/secrets/engine.ts": engineSource,
  "lib/secrets/compressed.ts": compressedSource,
  "lib/secrets/decode.ts": decodeSource,
  "lib/secrets/marks.ts": marksSource,
  "lib/secrets/basen.ts": basenSource,
  "lib/secrets/detectors.ts": detectorsSource,
  "lib/secrets/pieces.ts": piecesSource,
  "lib/secrets/gaps.ts": gapsSource,
  "lib/secrets/heads.ts": headsSource,
  "lib/secrets/printable.ts": printableSource,
  "lib/secrets/turned.ts": turnedSource,
  "lib/secrets/unescape.ts": unescapeSource,
  "lib/secrets/hexdump.ts": hexdumpSource,
  "lib/secrets/chars.ts": charsSource,
  "lib/secrets/columns.ts": columnsSource,
  "lib/secrets/keywords.ts": keywordsSource,
  "lib/secrets/probes.ts": probesSource,
  "lib/secrets/markup.ts": markupSource,
  "lib/secrets/assign.ts": assignSource,
  "lib/secrets/normalize.ts": normalizeSource,
  "lib/secrets/words.ts": wordsSource,
};
const VALIDATOR = Object.values(VALIDATOR_SOURCES).join("\0");

/** Where the validated form of manifest `text` is cached. */
export async function cachedManifestPath(
  text: string,
  env: Record<string, string | undefined>,
): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${VALIDATOR}\0${text}`)),
  );
  const key = Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  return join(cacheDir(env), "manifests", `${key}.json`);
}

async function validated(
  text: string,
  file: string,
  env: Record<string, string | undefined>,
): Promise<Manifest> {
  const cached = await cachedManifestPath(text, env);
  try {
    return JSON.parse(await Deno.readTextFile(cached)) as Manifest;
  } catch {
    // Not cached yet, or unreadable: parsed anew below.
  }
  const { parseManifest } = await import("./load.ts");
  const manifest = parseManifest(text, file);
  try {
    await Deno.mkdir(join(cached, ".."), { recursive: true, mode: 0o700 });
    const partial = `${cached}.${crypto.randomUUID()}.partial`;
    await Deno.writeTextFile(partial, JSON.stringify(manifest), { mode: 0o600 });
    await Deno.rename(partial, cached);
    await pruneCache(join(cached, ".."));
  } catch {
    // A cache that cannot be written only costs the next command the parse.
  }
  return manifest;
}

/** Cached manifests kept: each edit of a manifest, and each upgrade, writes a new one. */
export const CACHE_KEEP = 64;

/** Removes all but the `keep` most recently written entries of the cache in `dir`. */
export async function pruneCache(dir: string, keep = CACHE_KEEP): Promise<void> {
  const entries: { path: string; mtime: number }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".json")) continue;
    const path = join(dir, entry.name);
    const info = await Deno.stat(path).catch(() => undefined);
    if (info) entries.push({ path, mtime: info.mtime?.getTime() ?? 0 });
  }
  if (entries.length <= keep) return;
  entries.sort((a, b) => b.mtime - a.mtime);
  for (const { path } of entries.slice(keep)) await Deno.remove(path).catch(() => {});
}
