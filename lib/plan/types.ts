/**
 * @module
 * The plan: plain data that says everything a bottle will be, computed before anything
 * is created. `plan` prints it; `start` and `up` hand it to a backend, which makes no
 * decisions of its own. It never holds a secret value, only where one comes from.
 */

import type { AgentFile, AgentKind, HeaderValue } from "../agents/mod.ts";

/** Which transport runs the agent guest. */
export type BackendName = "docker" | "smolvm";

/** What the command line asked for. */
export interface PlanOptions {
  agent: string;
  /** `--backend`, overriding the environment and the manifest. */
  backend?: BackendName;
  /** `--cwd`: the absolute directory the user started from. */
  cwd?: string;
  /** `--include PATH`: paths under the working tree carried although ignored or flagged. */
  include?: string[];
  /** Arguments after `--`, passed to the agent's CLI. */
  agentArgs: string[];
}

/** What the host looks like, gathered (impurely) before planning. */
export interface HostFacts {
  /** Short random id making the instance name unique. */
  runId: string;
  /** The environment, as far as planning reads it (BOT_BOTTLE_* and route variables). */
  env: Record<string, string | undefined>;
  home: string;
  /** Directory holding the manifest; relative manifest paths start here. */
  manifestDir: string;
  /** What each absolute path the manifest names is on the host. */
  paths: Record<string, PathKind>;
  /** IPv4 subnets docker networks already use. */
  usedSubnets: string[];
  /** Content-hashed image tags. */
  images: { agent: string; bundle: string };
  /**
   * Where `--cwd` sits: `root` is the git repository's top level (`git: true`), or the
   * directory itself outside git; `subdir` is the directory relative to `root`.
   */
  workspace?: { root: string; subdir: string; git: boolean };
}

/** What a path is on the host, for checks that need no I/O while planning. */
export type PathKind = "file" | "dir" | "missing" | "skill";

/** A header the proxy sets on a route, by name and source; never by value. */
export interface PlannedHeader {
  name: string;
  /** The first host variable it reads (the only one, for `{ env }`). */
  env: string;
  /** How the value is written from host variables (see `lib/credentials.ts`). */
  value: HeaderValue;
  /** Every host variable it reads. */
  vars: string[];
  /** Whether every host variable is set now (a `start` with an unset one fails). */
  set: boolean;
}

/** A host whose TLS the proxy terminates to set headers. */
export interface PlannedRoute {
  host: string;
  headers: PlannedHeader[];
  /** Agent variables holding this route's placeholder. */
  agentEnv: string[];
  /**
   * The agent's own model API (the profile knows this host and header): a secret in the
   * conversation is cut out of the request rather than the request refused, which would
   * refuse every later turn of the conversation too.
   */
  model: boolean;
}

/** One repository served by the git gate. */
export interface PlannedGitEntry {
  name: string;
  upstream: string;
  /** Host and port the gate connects to. */
  host: string;
  port: number;
  /** Path of the private key on the host; its content is never read into the plan. */
  identityFile: string;
  knownHosts: string;
  gateUrl: string;
  allowForcePush: boolean;
  allowDelete: boolean;
  protectedPaths: string[];
}

/** One provisioning step, applied in order through the backend's guest interface. */
export type ProvisionStep =
  | { kind: "ca"; guestPath: string }
  | { kind: "prompt"; guestPath: string; text: string }
  | { kind: "skill"; name: string; source: string; guestPath: string }
  | { kind: "workspace"; source: string; guestPath: string }
  | { kind: "gitconfig"; guestPath: string; content: string }
  | { kind: "mcp"; name: string; url: string; argv: string[] }
  | {
    /** The agent CLI's configuration files (onboarding, unattended mode, MCP servers). */
    kind: "agent-config";
    agent: AgentKind;
    /** `unattended`: no permission prompts; `ask`: the CLI's default. */
    permissions: "unattended" | "ask";
    /** Agent variables holding a placeholder. */
    placeholders: string[];
    files: AgentFile[];
  };

/** The working tree an agent works on, and where its work comes home. */
export interface PlannedWorkspace {
  /** The directory the user started from. */
  source: string;
  /** What is copied: the repository's top level, or `source` outside git. */
  root: string;
  /** `git`: work comes home to the repository; `dir`: to a baseline repository and patches. */
  kind: "git" | "dir";
  /** Where `root` lands in the guest. */
  guestPath: string;
  /** Paths carried although ignored or holding a secret (`--include`), relative to `source`. */
  include: string[];
  /** The gate entry the agent's origin points at, and its rules. */
  gate: { name: string; url: string; allowForcePush: boolean; protectedPaths: string[] };
  /** The host repository the work comes home to, and the prefix of its branches there. */
  home: { repo: string; refPrefix: string };
}

/** Everything one bottle will be. */
export interface BottlePlan {
  planVersion: 1;
  agent: string;
  /** Which agent CLI runs (its profile in `lib/agents`). */
  agentKind: AgentKind;
  /** The manifest's bottle (policy) name. */
  bottle: string;
  /** Unique name of this running instance; the value of the bottle label. */
  instance: string;
  backend: BackendName;
  labels: Record<string, string>;
  images: { agent: string; bundle: string };
  networks: {
    /**
     * `hostReachable`: the host keeps its address on the bridge, so that a microVM
     * (whose traffic leaves through the host) reaches the bundle; for containers the
     * host's address is removed, since it would be an escape.
     */
    internal: { name: string; subnet: string; gateway: string; hostReachable: boolean };
    egress: { name: string; external: boolean };
  };
  bundle: {
    name: string;
    address: string;
    ports: { proxy: number; git: number; supervise: number };
  };
  guest: {
    name: string;
    /** A Docker container on the internal network, or a smolvm microVM. */
    kind: "container" | "microvm";
    /** The container's pinned address (containers only; a VM has none on the bridge). */
    address?: string;
    /** The microVM's own egress policy (microVMs only): IPs it may reach, its resolver. */
    vm?: { allowCidrs: string[]; dns: string };
    user: string;
    home: string;
    workdir: string;
    env: Record<string, string>;
    command: string[];
  };
  egress: {
    allow: string[];
    /** Allowed hosts tunnelled unscanned; every other allowed HTTPS host is intercepted. */
    passthrough: string[];
    routes: PlannedRoute[];
    allowPrivate: string[];
    dlp: "block" | "audit" | "off";
    /** Host variables whose values DLP looks for (names only, never values). */
    secrets: string[];
  };
  git: PlannedGitEntry[];
  /** Values the person declared public: no scan counts them as secrets. */
  publicValues: string[];
  supervise: { enabled: boolean; url?: string };
  /** The `--cwd` working tree, when there is one. */
  workspace?: PlannedWorkspace;
  /** Whether the agent asks before running commands (`ask`) or not (`unattended`). */
  permissions: "unattended" | "ask";
  provisioning: ProvisionStep[];
  /** Things that are fine for a dry run but make `start` fail. */
  problems: string[];
}
