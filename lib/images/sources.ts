/**
 * @module
 * The files each image is built from, embedded with text imports so that a compiled
 * binary and a `deno run <url>` run carry them exactly as the checkout does.
 */

import agentDockerfile from "../../sidecars/agent/Dockerfile" with { type: "text" };
import bundleDockerfile from "../../sidecars/bundle/Dockerfile" with { type: "text" };

/** One image's build context: file path (relative to the context) to contents. */
export interface ImageSource {
  /** Repository part of the tag, such as `bot-bottle-agent`. */
  repository: string;
  files: Record<string, string>;
}

/** The agent image's build context. */
export const AGENT_SOURCE: ImageSource = {
  repository: "bot-bottle-agent",
  files: { Dockerfile: agentDockerfile },
};

/** The bundle image's build context; sidecar daemons are added as they land. */
export const BUNDLE_SOURCE: ImageSource = {
  repository: "bot-bottle-bundle",
  files: { Dockerfile: bundleDockerfile },
};
