/**
 * @module
 * `bot-bottle build`: build the agent and bundle images.
 */

import { requireAvailable } from "../../backend/mod.ts";
import { DockerBackend } from "../../backend/docker.ts";
import { ensureImages } from "../../images/build.ts";
import { type AgentKind, PROFILES } from "../../agents/mod.ts";
import { agentSource, BUNDLE_SOURCE } from "../../images/sources.ts";
import { imageTag } from "../../images/tags.ts";
import { out } from "../../log.ts";
import type { Command } from "../command.ts";

export const buildCommand: Command = {
  name: "build",
  summary: "Build the agent and bundle images",
  synopsis: "[--kind claude|codex|gemini] [--force] [--ca-cert FILE]",
  description: `
Builds the images whose content-hashed tags are missing (start and up do this on their
own), and prints the tags on stdout: the bundle, and the agent image of --kind (default
claude; each kind of agent has its own image holding its CLI). --ca-cert (or BOT_BOTTLE_BUILD_CA) names a PEM file
trusted while building only, for networks that intercept TLS; it is not left in the
agent image's trust store.`,
  options: {
    kind: {
      type: "string",
      choices: Object.keys(PROFILES),
      description: "Which agent CLI's image to build (default claude)",
    },
    force: { type: "boolean", description: "Rebuild even when the images exist" },
    "ca-cert": {
      type: "string",
      valueName: "FILE",
      description: "Extra CA (PEM) trusted during the build only",
    },
  },
  args: { min: 0, max: 0, names: "" },
  async run(ctx) {
    await requireAvailable(new DockerBackend());
    const kind = (ctx.values.kind as AgentKind | undefined) ?? "claude";
    const tags = {
      agent: await imageTag(agentSource(kind)),
      bundle: await imageTag(BUNDLE_SOURCE),
    };
    await ensureImages(tags, {
      kind,
      force: ctx.values.force === true,
      buildCa: (ctx.values["ca-cert"] as string | undefined) ?? ctx.env.BOT_BOTTLE_BUILD_CA,
      signal: ctx.signal,
    });
    out.line(tags.bundle);
    out.line(tags.agent);
  },
};
