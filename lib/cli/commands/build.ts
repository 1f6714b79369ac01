/**
 * @module
 * `bot-bottle build`: build the agent and bundle images.
 */

import { requireAvailable } from "../../backend/mod.ts";
import { DockerBackend } from "../../backend/docker.ts";
import { buildCaSource, ensureImages } from "../../images/build.ts";
import { type AgentKind, PROFILES } from "../../agents/mod.ts";
import { agentSource, BUNDLE_SOURCE } from "../../images/sources.ts";
import { imageTag } from "../../images/tags.ts";
import { cacheDir } from "../../state.ts";
import { out } from "../../log.ts";
import type { Command } from "../command.ts";

export const buildCommand: Command = {
  name: "build",
  summary: "Build the agent and bundle images",
  synopsis: "[--kind claude|codex|gemini] [--force] [--ca-cert FILE]",
  description: `
Builds the images whose content-hashed tags are missing (start and up do this on their
own), and prints the tags on stdout: the bundle, and the agent image of --kind (default
claude; each kind of agent has its own image holding its CLI).

--ca-cert names a PEM file (one CA or a whole trust store) trusted while building only,
for networks that intercept TLS. Without it, bot-bottle uses BOT_BOTTLE_BUILD_CA, else
the CAs the host already names for its tools (NODE_EXTRA_CA_CERTS, DENO_CERT,
SSL_CERT_FILE), and says which. The file goes into the build context and is read in a
build stage the final image does not keep: no layer of the images holds it. A failed
build says the step it stopped at and leaves no container behind. While another
bot-bottle process builds the same image, this one waits for it (and says so; Ctrl-C
ends the wait) and uses it.`,
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
      buildCa: buildCaSource(ctx.values["ca-cert"] as string | undefined, ctx.env),
      signal: ctx.signal,
      lockDir: cacheDir(ctx.env),
    });
    out.line(tags.bundle);
    out.line(tags.agent);
  },
};
