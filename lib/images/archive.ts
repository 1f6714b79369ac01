/**
 * @module
 * The agent image as a `docker save` archive, for smolvm's `--image /abs/agent.tar`
 * (no registry, no pack). Archives are cached by image ID, so a rebuilt image gets a
 * new one and an unchanged image is saved once; older archives are removed when a new
 * one is written.
 */

import { join, resolve } from "node:path";
import * as docker from "../docker/cli.ts";
import { log } from "../log.ts";

const PREFIX = "agent-";

/** Path of the archive for image ID `id` under `cacheDir`. */
export function archivePath(cacheDir: string, id: string): string {
  return join(
    resolve(cacheDir),
    "images",
    `${PREFIX}${id.replace(/^sha256:/, "").slice(0, 16)}.tar`,
  );
}

/** The absolute path of an archive of image `tag`, saving it when it is not cached. */
export async function agentImageArchive(tag: string, cacheDir: string): Promise<string> {
  const path = archivePath(cacheDir, await docker.imageId(tag));
  try {
    if ((await Deno.stat(path)).size > 0) return path;
  } catch {
    // Not cached yet.
  }
  const dir = join(resolve(cacheDir), "images");
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  log.step(`Saving the agent image for smolvm (once per image) to ${path}`);
  // Written beside its final name and renamed, so an interrupted save leaves no
  // archive that looks whole.
  const partial = `${path}.partial-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await docker.imageSave(tag, partial);
    await Deno.rename(partial, path);
  } finally {
    await Deno.remove(partial).catch(() => {});
  }
  for await (const entry of Deno.readDir(dir)) {
    const stale = entry.name.startsWith(PREFIX) && entry.name.endsWith(".tar") &&
      join(dir, entry.name) !== path;
    if (stale) await Deno.remove(join(dir, entry.name)).catch(() => {});
  }
  return path;
}
