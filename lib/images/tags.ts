/**
 * @module
 * Image tags that carry a hash of everything the image is built from, so that a change
 * to any embedded file (or build argument) gives a new tag and nothing else rebuilds.
 */

import type { ImageSource } from "./sources.ts";

/** Hex sha256 of `text`. */
export async function sha256Hex(text: string | Uint8Array): Promise<string> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * `<repository>:<12 hex>`, hashing every file (sorted by path, length-prefixed so no
 * two layouts collide) and the build arguments that change the result.
 */
export async function imageTag(
  source: ImageSource,
  buildArgs: Record<string, string> = {},
): Promise<string> {
  const parts: string[] = [];
  for (const path of Object.keys(source.files).toSorted()) {
    const body = source.files[path]!;
    parts.push(`file ${path.length}:${path} ${body.length}:${body}`);
  }
  const args = { ...source.buildArgs, ...buildArgs };
  for (const key of Object.keys(args).toSorted()) {
    parts.push(`arg ${key}=${args[key]}`);
  }
  return `${source.repository}:${(await sha256Hex(parts.join("\n"))).slice(0, 12)}`;
}
