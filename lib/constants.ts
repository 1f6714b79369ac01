/**
 * @module
 * Names, ports and paths shared by the host tool, the bundle and the guest. Changing
 * one here changes it everywhere, including the rendered plan.
 */

/** Label carried by every docker resource and VM a bottle creates. */
export const LABEL_BOTTLE = "bot-bottle.bottle";
/** Label naming the manifest agent, for `ls`. */
export const LABEL_AGENT = "bot-bottle.agent";
/** Label naming the manifest bottle (policy) an instance was made from. */
export const LABEL_POLICY = "bot-bottle.policy";
/** Label naming the resource's role: bundle, agent, internal, egress. */
export const LABEL_ROLE = "bot-bottle.role";
/** Label set on everything bot-bottle creates, for `cleanup`. */
export const LABEL_TOOL = "bot-bottle.tool";

/** Ports the bundle serves on the internal network. */
export const PORTS = {
  proxy: 3128,
  git: 9418,
  supervise: 9100,
} as const;

/** The unprivileged user Claude Code runs as, and its home. */
export const GUEST_USER = "node";
export const GUEST_HOME = "/home/node";

/** Where provisioning puts things in the guest. */
export const GUEST_PATHS = {
  ca: "/usr/local/share/ca-certificates/bot-bottle-ca.crt",
  prompt: `${GUEST_HOME}/.bot-bottle-prompt.txt`,
  skills: `${GUEST_HOME}/.claude/skills`,
  workspace: `${GUEST_HOME}/workspace`,
  gitconfig: `${GUEST_HOME}/.gitconfig`,
} as const;

/** Default pool the per-bottle internal /28 networks are carved from. */
export const DEFAULT_SUBNET_POOL = "10.213.0.0/16";

/** Value the guest sees in place of a credential the proxy injects. */
export const PLACEHOLDER = "bot-bottle-placeholder";
