/**
 * @module
 * `bot-bottle build`: build the agent and bundle images.
 */

import { requireAvailable } from "../../backend/mod.ts";
import { DockerBackend } from "../../backend/docker.ts";
import { ensureImages } from "../../images/build.ts";
import { AGENT_SOURCE, BUNDLE_SOURCE } from "../../images/sources.ts";
import { imageTag } from "../../images/tags.ts";
import { out } from "../../log.ts";
import type { Command } from "../command.ts";

export const buildCommand: Command = {
  name: "build",
  summary: "Build the agent and bundle images",
  synopsis: "[--force] [--ca-cert FILE]",
  description: `
Builds the images whose content-hashed tags are missing (start and up do this on their
own), and prints the tags on stdout. --ca-cert (or BOT_BOTTLE_BUILD_CA) names a PEM file
trusted while building only, for networks that intercept TLS; it is not left in the
agent image's trust store.`,
  options: {
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
    const tags = { agent: await imageTag(AGENT_SOURCE), bundle: await imageTag(BUNDLE_SOURCE) };
    await ensureImages(tags, {
      force: ctx.values.force === true,
      buildCa: (ctx.values["ca-cert"] as string | undefined) ?? ctx.env.BOT_BOTTLE_BUILD_CA,
      signal: ctx.signal,
    });
    out.line(tags.bundle);
    out.line(tags.agent);
  },
};
