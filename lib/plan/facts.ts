/**
 * @module
 * Gathers the host facts a plan needs (paths, subnets in use, image tags, a run id),
 * so that `planBottle` itself stays pure. Reads only; creates nothing.
 */

import { dirname, join, resolve } from "node:path";
import { agentSource, BUNDLE_SOURCE } from "../images/sources.ts";
import { imageTag } from "../images/tags.ts";
import { log } from "../log.ts";
import type { Manifest } from "../manifest/schema.ts";
import * as docker from "../docker/cli.ts";
import { locateWorkspace } from "../workspace/select.ts";
import { referencedPaths } from "./plan.ts";
import type { HostFacts, PathKind } from "./types.ts";

/** A short random id: 6 characters of [a-z0-9]. */
export function newRunId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => alphabet[b % alphabet.length])
    .join("");
}

async function pathKind(path: string, isSkill: boolean): Promise<PathKind> {
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) {
      if (!isSkill) return "dir";
      try {
        return (await Deno.stat(join(path, "SKILL.md"))).isFile ? "skill" : "dir";
      } catch {
        return "dir";
      }
    }
    return "file";
  } catch {
    return "missing";
  }
}

/** IPv4 subnets of docker networks and host interfaces; empty when docker is absent. */
export async function usedSubnets(): Promise<string[]> {
  const subnets: string[] = [];
  try {
    for (const iface of Deno.networkInterfaces()) {
      if (iface.family === "IPv4" && !iface.address.startsWith("127.")) subnets.push(iface.cidr);
    }
  } catch (error) {
    log.debug(`network interfaces unavailable: ${(error as Error).message}`);
  }
  try {
    subnets.push(...(await docker.networkSubnets()).filter((s) => s.includes(".")));
  } catch (error) {
    log.debug(
      `docker is not reachable (${(error as Error).message}); planning without its networks`,
    );
  }
  return subnets;
}

/**
 * Where a `--cwd` directory sits: in a git repository, its top level; else itself. A
 * repository whose top level is the home directory or `/` (a dotfiles repository) is
 * not the project: the directory is then taken on its own.
 */
export async function workspaceFacts(
  dir: string,
  home: string,
): Promise<NonNullable<HostFacts["workspace"]>> {
  const at = await locateWorkspace(dir);
  if (!at.git || at.root === "/" || at.root === resolve(home)) {
    return { root: at.source, subdir: "", git: false };
  }
  return { root: at.root, subdir: at.subdir, git: true };
}

/** Everything `planBottle` needs to know about the host. */
export async function gatherHostFacts(
  manifest: Manifest,
  manifestPath: string,
  agent: string,
  options: {
    env?: Record<string, string | undefined>;
    querySubnets?: boolean;
    /** The `--cwd` directory, when there is one. */
    cwd?: string;
    /** Keep this run id (a bottle planned again keeps its name). */
    runId?: string;
    /** Subnets to treat as used besides those docker reports (taken since it reported). */
    avoid?: string[];
  } = {},
): Promise<HostFacts> {
  const env = options.env ?? Deno.env.toObject();
  const home = env.HOME ?? Deno.env.get("HOME") ?? "/";
  const base = { home, manifestDir: dirname(manifestPath) };
  const refs = referencedPaths(manifest, agent, base);
  const paths: Record<string, PathKind> = {};
  for (const p of refs.skills) paths[p] = await pathKind(p, true);
  for (const p of refs.files) paths[p] = await pathKind(p, false);
  return {
    runId: options.runId ?? newRunId(),
    env,
    ...base,
    paths,
    usedSubnets: [
      ...(options.querySubnets === false ? [] : await usedSubnets()),
      ...(options.avoid ?? []),
    ],
    images: {
      agent: await imageTag(agentSource(manifest.agents[agent]?.kind ?? "claude")),
      bundle: await imageTag(BUNDLE_SOURCE),
    },
    ...(options.cwd !== undefined ? { workspace: await workspaceFacts(options.cwd, home) } : {}),
  };
}
