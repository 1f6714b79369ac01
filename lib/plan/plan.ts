/**
 * @module
 * `planBottle`: a pure function of manifest, options and host facts. Same inputs, same
 * plan; it reads no file, runs nothing and creates nothing.
 */

import { basename, isAbsolute, join, resolve } from "node:path";
import { type AgentSetup, knownCredential, placeholderFor, profile } from "../agents/mod.ts";
import { headerVars } from "../credentials.ts";
import {
  DEFAULT_SUBNET_POOL,
  GUEST_HOME,
  GUEST_PATHS,
  GUEST_USER,
  LABEL_AGENT,
  LABEL_BOTTLE,
  LABEL_POLICY,
  LABEL_TOOL,
  PLACEHOLDER,
  PORTS,
} from "../constants.ts";
import { BotBottleError, UsageError } from "../errors.ts";
import { gateUrl, parseUpstream, renderGitconfig } from "../git/upstream.ts";
import type { Manifest } from "../manifest/schema.ts";
import { stateDir } from "../state.ts";
import { branchPrefix, WORKSPACE_ENTRY } from "../workspace/refs.ts";
import { formatCidr, hostAt, pickSubnet } from "../net/subnet.ts";
import type {
  BackendName,
  BottlePlan,
  HostFacts,
  PlannedGitEntry,
  PlannedRoute,
  PlannedWorkspace,
  PlanOptions,
  ProvisionStep,
} from "./types.ts";

/** Resolves a manifest path (`~/`, relative to the manifest, or absolute). */
export function resolveManifestPath(
  path: string,
  facts: Pick<HostFacts, "home" | "manifestDir">,
): string {
  if (path === "~") return facts.home;
  if (path.startsWith("~/")) return resolve(facts.home, path.slice(2));
  return isAbsolute(path) ? resolve(path) : resolve(facts.manifestDir, path);
}

/** Every host path a manifest's agent refers to, so facts can say what each is. */
export function referencedPaths(
  manifest: Manifest,
  agentName: string,
  facts: Pick<HostFacts, "home" | "manifestDir">,
): {
  skills: string[];
  files: string[];
} {
  const agent = manifest.agents[agentName];
  const bottle = agent ? manifest.bottles[agent.bottle] : undefined;
  const skills = (agent?.skills ?? []).map((s) => resolveManifestPath(s, facts));
  const files = (bottle?.git ?? []).flatMap((g) => [
    resolveManifestPath(g.identity_file, facts),
    resolveManifestPath(g.known_hosts ?? "~/.ssh/known_hosts", facts),
  ]);
  return { skills, files };
}

/** Which backend runs: `--backend`, then `BOT_BOTTLE_BACKEND`, then the manifest. */
export function chooseBackend(
  flag: BackendName | undefined,
  env: string | undefined,
  manifest: BackendName,
): BackendName {
  if (flag) return flag;
  if (env !== undefined && env !== "") {
    if (env !== "docker" && env !== "smolvm") {
      throw new UsageError(`BOT_BOTTLE_BACKEND: unknown backend "${env}" (known: docker, smolvm)`);
    }
    return env;
  }
  return manifest;
}

/** Turns manifest + options + host facts into the plan for one bottle. */
export function planBottle(manifest: Manifest, options: PlanOptions, facts: HostFacts): BottlePlan {
  const agent = manifest.agents[options.agent];
  if (!agent) {
    const known = Object.keys(manifest.agents);
    throw new UsageError(
      `Unknown agent "${options.agent}" (known: ${
        known.length ? known.map((a) => `"${a}"`).join(", ") : "none"
      })`,
    );
  }
  const bottle = manifest.bottles[agent.bottle]!;
  const backend = chooseBackend(options.backend, facts.env.BOT_BOTTLE_BACKEND, bottle.backend);
  const instance = `${options.agent}-${facts.runId}`;
  const prefix = `bot-bottle-${instance}`;
  const problems: string[] = [];

  const pool = facts.env.BOT_BOTTLE_SUBNET_POOL || DEFAULT_SUBNET_POOL;
  let subnet;
  try {
    subnet = pickSubnet(pool, 28, instance, facts.usedSubnets);
  } catch (error) {
    throw new UsageError(`BOT_BOTTLE_SUBNET_POOL: ${(error as Error).message}`);
  }
  if (!subnet) {
    throw new BotBottleError(`No free /28 left in the subnet pool ${pool}`, {
      hint: "Run `bot-bottle cleanup`, or set BOT_BOTTLE_SUBNET_POOL to a larger range",
    });
  }
  const gateway = hostAt(subnet, 1);
  const bundleAddress = hostAt(subnet, 2);
  const guestAddress = hostAt(subnet, 3);
  const proxyUrl = `http://${bundleAddress}:${PORTS.proxy}`;

  const kind = agent.kind;
  const agentProfile = profile(kind);
  const routes: PlannedRoute[] = bottle.egress.routes.map((route) => {
    const headers = Object.entries(route.headers).map(([name, value]) => {
      const vars = headerVars(value);
      const unset = vars.filter((v) => (facts.env[v] ?? "") === "");
      for (const v of unset) {
        problems.push(`Route "${route.host}" header "${name}": host variable ${v} is not set`);
      }
      return { name, env: vars[0]!, value, vars, set: unset.length === 0 };
    });
    // Where the agent's CLI looks for this credential: said by the route, known to the
    // agent's profile for this host and header, or else the host variables' own names.
    const agentEnv = route.agent_env ?? [
      ...new Set(headers.flatMap((h) => {
        const known = knownCredential(kind, route.host, h.name);
        return known ? [known.agentEnv] : h.vars;
      })),
    ];
    const model = route.model ??
      headers.some((h) => knownCredential(kind, route.host, h.name) !== undefined);
    return { host: route.host, headers, agentEnv, model };
  });
  const passthrough = [...new Set(bottle.egress.passthrough)];
  const allow = [
    ...new Set([...bottle.egress.allow, ...passthrough, ...routes.map((r) => r.host)]),
  ];
  for (const host of passthrough) {
    if (routes.some((r) => r.host === host.replace(/:\d+$/, ""))) {
      problems.push(`egress.passthrough: "${host}" is a route; a route's TLS must be intercepted`);
    }
  }
  for (const name of bottle.egress.secrets) {
    if ((facts.env[name] ?? "") === "") {
      problems.push(`DLP secret: host variable ${name} is not set`);
    }
  }

  const git: PlannedGitEntry[] = bottle.git.map((entry) => {
    const upstream = parseUpstream(entry.upstream)!;
    const identityFile = resolveManifestPath(entry.identity_file, facts);
    const knownHosts = resolveManifestPath(entry.known_hosts ?? "~/.ssh/known_hosts", facts);
    if (facts.paths[identityFile] !== "file") {
      problems.push(`Git entry "${entry.name}": identity file "${identityFile}" not found`);
    }
    if (facts.paths[knownHosts] !== "file") {
      problems.push(`Git entry "${entry.name}": known_hosts file "${knownHosts}" not found`);
    }
    return {
      name: entry.name,
      upstream: entry.upstream,
      host: upstream.host,
      port: upstream.port,
      identityFile,
      knownHosts,
      gateUrl: gateUrl(bundleAddress, PORTS.git, entry.name),
      allowForcePush: entry.allow_force_push,
      allowDelete: entry.allow_delete,
      protectedPaths: entry.protected_paths,
    };
  });

  const superviseUrl = bottle.supervise ? `http://${bundleAddress}:${PORTS.supervise}/` : undefined;

  const provisioning: ProvisionStep[] = [{ kind: "ca", guestPath: GUEST_PATHS.ca }];
  const prompt = agent.prompt?.trim() ? agent.prompt : undefined;
  if (prompt !== undefined) {
    provisioning.push({
      kind: "prompt",
      guestPath: agentProfile.promptPath(GUEST_HOME),
      text: prompt,
    });
  }
  const skillsPath = agentProfile.skillsPath?.(GUEST_HOME);
  if (agent.skills.length > 0 && !skillsPath) {
    problems.push(
      `Skills: ${agentProfile.title} has no skills; remove "skills" from agent "${options.agent}"`,
    );
  }
  for (const skill of agent.skills) {
    const source = resolveManifestPath(skill, facts);
    const name = basename(source);
    const kind = facts.paths[source];
    if (kind === "missing" || kind === undefined) {
      problems.push(`Skill "${name}": "${source}" not found`);
    } else if (kind !== "skill") {
      problems.push(`Skill "${name}": "${source}" is not a directory holding SKILL.md`);
    }
    provisioning.push({ kind: "skill", name, source, guestPath: `${skillsPath}/${name}` });
  }
  let workspace: PlannedWorkspace | undefined;
  if (options.cwd !== undefined) {
    const at = facts.workspace ?? { root: options.cwd, subdir: "", git: false };
    workspace = {
      source: options.cwd,
      root: at.root,
      kind: at.git ? "git" : "dir",
      guestPath: GUEST_PATHS.workspace,
      include: options.include ?? [],
      gate: {
        name: WORKSPACE_ENTRY,
        url: gateUrl(bundleAddress, PORTS.git, WORKSPACE_ENTRY),
        allowForcePush: bottle.workspace.allow_force_push,
        protectedPaths: bottle.workspace.protected_paths,
      },
      home: {
        repo: at.git ? at.root : join(stateDir(facts.env), "work", instance, "home.git"),
        refPrefix: branchPrefix(instance),
      },
    };
    provisioning.push({ kind: "workspace", source: at.root, guestPath: GUEST_PATHS.workspace });
  }
  if (git.length > 0 || workspace) {
    provisioning.push({
      kind: "gitconfig",
      guestPath: GUEST_PATHS.gitconfig,
      content: renderGitconfig(git.map((g) => ({ upstream: g.upstream, gateUrl: g.gateUrl }))),
    });
  }
  // Clients that refuse to start without a credential get a placeholder, shaped like
  // the real one where the profile knows it; the proxy replaces the header on the way
  // out, so the real value never enters the guest.
  const placeholders: Record<string, string> = {};
  for (const name of [...new Set(routes.flatMap((r) => r.agentEnv))].toSorted()) {
    placeholders[name] = placeholderFor(kind, name, PLACEHOLDER);
  }
  const workdir = workspace
    ? [GUEST_PATHS.workspace, facts.workspace?.subdir].filter(Boolean).join("/")
    : GUEST_HOME;
  const setup: AgentSetup = {
    home: GUEST_HOME,
    workdir,
    permissions: agent.permissions,
    placeholders,
    ...(superviseUrl ? { mcp: { name: "supervise", url: superviseUrl } } : {}),
    caPath: GUEST_PATHS.ca,
    prompt: prompt !== undefined,
    args: options.agentArgs,
  };
  provisioning.push({
    kind: "agent-config",
    agent: kind,
    permissions: agent.permissions,
    placeholders: Object.keys(placeholders),
    files: agentProfile.files(setup),
  });
  const mcpArgv = agentProfile.mcpCommand?.(setup);
  if (superviseUrl && mcpArgv) {
    provisioning.push({ kind: "mcp", name: "supervise", url: superviseUrl, argv: mcpArgv });
  }

  const env: Record<string, string> = {
    HTTPS_PROXY: proxyUrl,
    HTTP_PROXY: proxyUrl,
    https_proxy: proxyUrl,
    http_proxy: proxyUrl,
    NO_PROXY: `${bundleAddress},localhost,127.0.0.1`,
    no_proxy: `${bundleAddress},localhost,127.0.0.1`,
    NODE_EXTRA_CA_CERTS: GUEST_PATHS.ca,
    BOT_BOTTLE_BOTTLE: instance,
    ...agentProfile.env(setup),
    ...placeholders,
  };
  const command = agentProfile.command(setup);

  const egressExternal = facts.env.BOT_BOTTLE_EGRESS_NETWORK;
  const microvm = backend === "smolvm";
  return {
    planVersion: 1,
    agent: options.agent,
    agentKind: kind,
    bottle: agent.bottle,
    instance,
    backend,
    labels: {
      [LABEL_TOOL]: "1",
      [LABEL_BOTTLE]: instance,
      [LABEL_AGENT]: options.agent,
      [LABEL_POLICY]: agent.bottle,
    },
    images: { ...facts.images },
    networks: {
      internal: {
        name: `${prefix}-internal`,
        subnet: formatCidr(subnet),
        gateway,
        hostReachable: microvm,
      },
      egress: egressExternal
        ? { name: egressExternal, external: true }
        : { name: `${prefix}-egress`, external: false },
    },
    bundle: { name: `${prefix}-bundle`, address: bundleAddress, ports: { ...PORTS } },
    guest: {
      name: `${prefix}-agent`,
      kind: microvm ? "microvm" : "container",
      ...(microvm
        ? { vm: { allowCidrs: [`${bundleAddress}/32`], dns: bundleAddress } }
        : { address: guestAddress }),
      user: GUEST_USER,
      home: GUEST_HOME,
      workdir,
      env,
      command,
    },
    egress: {
      allow,
      passthrough,
      routes,
      allowPrivate: bottle.egress.allow_private,
      dlp: bottle.egress.dlp,
      secrets: bottle.egress.secrets,
    },
    git,
    publicValues: bottle.public_values,
    supervise: superviseUrl ? { enabled: true, url: superviseUrl } : { enabled: false },
    ...(workspace ? { workspace } : {}),
    permissions: agent.permissions,
    provisioning,
    problems,
  };
}
