/**
 * @module
 * What the host hands the bundle at start, as one JSON text written to its stdin (never
 * through its environment or a file, so `docker inspect` and the bundle's disk show no
 * secret).
 */

/** Where the bundle keeps its state. */
export const STATE_DIR = "/var/lib/bot-bottle";
/** The JSONL audit log. */
export const AUDIT_PATH = `${STATE_DIR}/audit.jsonl`;
/**
 * Asking the bundle to write what its audit log holds back (the counts of rate-limited
 * bursts) before the log is read: a token is written to `AUDIT_FLUSH_ASK` and SIGWINCH
 * sent (a signal whose default is to be ignored: asked before the bundle listens, or of
 * one that never does, it cannot end the bundle); the token appears in
 * `AUDIT_FLUSH_DONE` once every entry so far is on disk.
 */
export const AUDIT_FLUSH_ASK = `${STATE_DIR}/audit-flush-ask`;
export const AUDIT_FLUSH_DONE = `${STATE_DIR}/audit-flush-done`;
/**
 * A shell script (run in the bundle, `$1` the audit log) that asks the bundle process
 * (`pid`) for the flush, waits for it up to two seconds (a bundle that does not answer is
 * read as it is), and exits. Only a bundle that listens is asked: it writes `done` when
 * it starts to (one from an older bot-bottle never does, and is read at once).
 */
export function auditFlushScript(ask: string, done: string, pid: string): string {
  return `if [ -e ${done} ]; then t="$$-$(date +%s%N)"; printf %s "$t" > ${ask} && ` +
    `kill -WINCH ${pid} && i=0; while [ "$(cat ${done} 2>/dev/null)" != "$t" ] && ` +
    `[ $i -lt 100 ]; do sleep 0.02; i=$((i+1)); done; fi`;
}
export const AUDIT_FLUSH_SCRIPT = auditFlushScript(AUDIT_FLUSH_ASK, AUDIT_FLUSH_DONE, "1");
/** uid and gid of the bundle's unprivileged user. */
export const BUNDLE_UID = 999;

/** The bundle's configuration. */
export interface BundleConfig {
  instance: string;
  /** The bundle's address on the internal network; public daemons bind here. */
  listenAddress: string;
  ports: { proxy: number; git: number; supervise: number };
  /**
   * The bottle's CA, made by the host for this bottle (P-256, PEM): the guest trusts the
   * certificate; the key signs the proxy's leaves and is written only in the bundle.
   */
  ca: { certPem: string; keyPem: string };
  egress: {
    allow: string[];
    /** Hosts tunnelled end to end, unscanned (clients that pin certificates or use mTLS). */
    passthrough: string[];
    /**
     * Route hosts with the real header values, and the secrets in them (rendered values,
     * raw tokens) that DLP refuses and scrubbing removes.
     */
    routes: {
      host: string;
      headers: Record<string, string>;
      secrets?: string[];
      /** The agent's model API: secrets in a request body are cut out, not refused. */
      redact?: boolean;
    }[];
    /** Extra PEM CA trusted for upstream TLS. */
    upstreamCa?: string;
    /** Private ranges allowed names may resolve to. */
    allowPrivate: string[];
    /** What a DLP finding does. */
    dlp: "block" | "audit" | "off";
    /** Values of host variables the manifest marks secret; DLP refuses them. */
    secretValues: string[];
  };
  /** Repositories the git gate serves; the key material stays in the bundle. */
  git: GateEntry[];
  /**
   * The repository a `--cwd` agent's work comes home through: served by the gate like
   * an entry, seeded with the host's objects and refs (copied in before start), with no
   * upstream: what it accepts stays in the bundle until the host fetches it.
   */
  workspace?: { allowForcePush: boolean; protectedPaths: string[] };
  /** The supervise MCP server; `timeoutMs` bounds how long a tool call waits. */
  supervise: { enabled: boolean; timeoutMs: number };
  /** Values the person declared public: neither DLP nor the gate counts them as secrets. */
  publicValues: string[];
}

/** One git gate entry, with the key and known_hosts contents read on the host. */
export interface GateEntry {
  name: string;
  upstream: string;
  identity: string;
  knownHosts: string;
  allowForcePush: boolean;
  allowDelete: boolean;
  protectedPaths: string[];
}

/** The gate entry name of a `--cwd` agent's work (outside the manifest's name space). */
export const WORKSPACE_ENTRY = "_workspace";

/** Blobs larger than this the git gate cannot scan: a push carrying one is refused. */
export const MAX_BLOB_BYTES = 32 * 1024 * 1024;

/** The gate ref bot-bottle pushes the agent's uncommitted work to at exit. */
export const WIP_REF = "refs/bot-bottle/wip";

/**
 * The gate ref of the agent's uncommitted files too large for the gate to check, as a
 * commit on top of the wip: refused, so the rest of the wip can come home.
 */
export const WIP_LARGE_REF = "refs/bot-bottle/wip-large";

/**
 * The gate refs bot-bottle pushes the agent's work inside a submodule to at exit, one
 * per submodule: this prefix and the hex of the submodule's path (any path is a ref).
 */
export const SUBMODULE_REFS = "refs/bot-bottle/submodule/";

/** The gate ref bot-bottle pushes commits the agent left on a detached HEAD to at exit. */
export const HEAD_REF = "refs/bot-bottle/head";

/** The gate refs bot-bottle pushes the stashes the agent left to at exit: `<prefix>N`. */
export const STASH_REFS = "refs/bot-bottle/stash/";

/** Where the gate keeps an entry's key, known_hosts and rules. */
export function gateDir(name: string): string {
  return `${STATE_DIR}/gate/${name}`;
}

/** Commits a person allowed through the gate despite its findings, one per line. */
export function gateOverrides(name: string): string {
  return `${gateDir(name)}/overrides`;
}

/**
 * Holds the lock on `name`'s overrides file until the returned file is disposed: the
 * gate's hook rewrites the file when it spends an override (pushes to other refs may
 * run at once) and supervise appends to it, and neither may lose the other's write.
 */
export function lockOverrides(name: string): Promise<Deno.FsFile> {
  return lockFile(`${gateOverrides(name)}.lock`);
}

/** Waits for the exclusive lock on the file at `path` (made if missing); disposing frees it. */
export async function lockFile(path: string): Promise<Deno.FsFile> {
  const lock = await Deno.open(path, { write: true, create: true, mode: 0o600 });
  try {
    await lock.lock(true);
  } catch (error) {
    lock.close();
    throw error;
  }
  return lock;
}

/** The gate's own record of refused pushes (JSON lines), which supervise shows a person. */
export function gateRefusals(name: string): string {
  return `${gateDir(name)}/refusals.jsonl`;
}

/** The gate's bare mirror of an entry, served as `<name>.git`. */
export function gateRepo(name: string): string {
  return `${STATE_DIR}/git/${name}.git`;
}

/**
 * What a secret cut out of a request to the agent's model becomes: nothing JSON, a URL
 * or a shell reads specially.
 */
export const CUT_OUT = "[secret cut out by bot-bottle]";
