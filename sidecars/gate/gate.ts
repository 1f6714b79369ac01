/**
 * @module
 * The git gate: for each entry a bare mirror of the upstream, fetched with the gate's
 * own key (host keys checked strictly, so an unknown host key fails the bottle), and
 * one `git daemon` on the internal address serving `<name>.git`. Fetches refresh the
 * mirror first; pushes go through the pre-receive hook, which scans and forwards.
 */

import { type AuditLog } from "../egress/audit.ts";
import {
  AUDIT_PATH,
  type BundleConfig,
  gateDir,
  gateRepo,
  STATE_DIR,
  WORKSPACE_ENTRY,
} from "../bundle/config.ts";
import { followUpstreamHead, gitOk } from "./git.ts";
import type { GateRules } from "./policy.ts";

/** The deno command a git hook runs, with the hook's narrow permissions. */
export const HOOK_COMMAND =
  "exec /usr/local/bin/deno run --quiet --no-prompt --allow-env --allow-run=git,ssh " +
  `--allow-read --allow-write=${STATE_DIR} /opt/bot-bottle/sidecars/gate/hook.ts`;

/**
 * git daemon's access hook (`SERVICE PATH HOST...`). A fetch of a mirror refreshes it
 * from upstream first, in Deno with the gate's key (`hook.ts access`); any other call
 * (a push, a fetch of the workspace) is only logged, by the shell: a Deno start costs
 * about 0.15 s, which every push would wait for. The repository's name comes from the
 * path git daemon resolved (an exported repository), and is logged only if it is one.
 */
export function accessHookScript(mirrors: readonly string[], audit: string, hook: string): string {
  const names = mirrors.filter((n) => /^[A-Za-z0-9_-]+$/.test(n));
  return `#!/bin/sh
name=\${2%/}; name=\${name##*/}; name=\${name%.git}
case "$name" in ''|*[!A-Za-z0-9_-]*) name=unknown ;; esac
${
    names.length
      ? `if [ "$1" = upload-pack ]; then case "$name" in ${
        names.join("|")
      }) ${hook} access "$@" ;; esac; fi
`
      : ""
  }if [ "$1" = upload-pack ]; then action=fetch extra=',"refreshed":false'; else action=push-attempt extra=; fi
printf '{"ts":"%s","kind":"git","action":"%s","repo":"%s"%s}\\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$action" "$name" "$extra" >> '${audit}'
`;
}

function sshCommand(name: string): string {
  const dir = gateDir(name);
  return [
    "ssh",
    `-i ${dir}/id`,
    "-o IdentitiesOnly=yes",
    "-o StrictHostKeyChecking=yes",
    `-o UserKnownHostsFile=${dir}/known_hosts`,
    "-o GlobalKnownHostsFile=/dev/null",
    "-o BatchMode=yes",
    "-o ConnectTimeout=20",
    "-F /dev/null",
  ].join(" ");
}

/** Lets the daemon receive pushes into `repo`, each decided by the pre-receive hook. */
async function acceptPushes(repo: string, name: string): Promise<void> {
  const set = (key: string, value: string) =>
    gitOk(`git config ${key}`, ["config", key, value], { cwd: repo });
  await set("daemon.receivepack", "true");
  // The hook decides force-pushes and deletions, with reasons the agent can read.
  await set("receive.denyNonFastForwards", "false");
  await set("receive.denyDeletes", "false");
  // Malformed objects from the agent are refused before any hook runs.
  await set("receive.fsckObjects", "true");
  await set("gc.auto", "0");
  await Deno.writeTextFile(
    `${repo}/hooks/pre-receive`,
    `#!/bin/sh\n${HOOK_COMMAND} pre-receive ${name}\n`,
    { mode: 0o755 },
  );
}

/**
 * The repository a `--cwd` agent's work comes home through. The host copied the seed
 * (its objects and refs) in before the bundle started; it has no upstream, so an
 * accepted push stays here until the host fetches it.
 */
async function setUpWorkspace(
  rules: NonNullable<BundleConfig["workspace"]>,
  secrets: string[],
  publicValues: string[],
  audit: AuditLog,
): Promise<void> {
  const dir = gateDir(WORKSPACE_ENTRY);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(
    `${dir}/rules.json`,
    JSON.stringify(
      {
        upstream: null,
        allowForcePush: rules.allowForcePush,
        allowDelete: true,
        protectedPaths: rules.protectedPaths,
        secrets,
        publicValues,
      } satisfies GateRules & { upstream: null },
    ),
    { mode: 0o600 },
  );
  const repo = gateRepo(WORKSPACE_ENTRY);
  await gitOk("git gate workspace: init", ["init", "--quiet", "--bare", repo]);
  await acceptPushes(repo, WORKSPACE_ENTRY);
  audit.write({ kind: "git", action: "mirror", repo: WORKSPACE_ENTRY, upstream: "host" });
}

/** Sets up every entry's mirror and starts the daemon; the returned function stops it. */
export async function startGitGate(
  config: BundleConfig,
  audit: AuditLog,
): Promise<() => Promise<void>> {
  if (config.git.length === 0 && !config.workspace) return () => Promise.resolve();
  // Every value DLP refuses, the gate refuses too: injected credentials and the
  // bottle's own secrets.
  const secrets = [
    ...config.egress.routes.flatMap((r) => Object.values(r.headers)),
    ...config.egress.secretValues,
  ];
  await Deno.mkdir(`${STATE_DIR}/git`, { recursive: true, mode: 0o700 });
  if (config.workspace) {
    await setUpWorkspace(config.workspace, secrets, config.publicValues ?? [], audit);
  }
  for (const entry of config.git) {
    const dir = gateDir(entry.name);
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(
      `${dir}/id`,
      entry.identity.endsWith("\n") ? entry.identity : `${entry.identity}\n`,
      { mode: 0o600 },
    );
    await Deno.writeTextFile(`${dir}/known_hosts`, entry.knownHosts, { mode: 0o600 });
    await Deno.writeTextFile(
      `${dir}/rules.json`,
      JSON.stringify(
        {
          upstream: entry.upstream,
          allowForcePush: entry.allowForcePush,
          allowDelete: entry.allowDelete,
          protectedPaths: entry.protectedPaths,
          secrets,
          publicValues: config.publicValues ?? [],
        } satisfies GateRules & { upstream: string },
      ),
      { mode: 0o600 },
    );
    const repo = gateRepo(entry.name);
    await gitOk(`git gate "${entry.name}": init`, ["init", "--quiet", "--bare", repo]);
    const set = (key: string, value: string) =>
      gitOk(`git config ${key}`, ["config", key, value], { cwd: repo });
    await set("core.sshCommand", sshCommand(entry.name));
    await set("remote.upstream.url", entry.upstream);
    await set("remote.upstream.fetch", "+refs/heads/*:refs/heads/*");
    await gitOk("git config", [
      "config",
      "--add",
      "remote.upstream.fetch",
      "+refs/tags/*:refs/tags/*",
    ], { cwd: repo });
    await acceptPushes(repo, entry.name);
    try {
      await gitOk(`fetching ${entry.upstream}`, ["fetch", "--quiet", "--prune", "upstream"], {
        cwd: repo,
      });
      await followUpstreamHead(repo);
    } catch (error) {
      audit.write({
        kind: "git",
        action: "error",
        repo: entry.name,
        reason: (error as Error).message,
      });
      throw new Error(`git gate "${entry.name}": ${(error as Error).message}`);
    }
    audit.write({ kind: "git", action: "mirror", repo: entry.name, upstream: entry.upstream });
  }
  const accessHook = `${STATE_DIR}/gate/access-hook`;
  await Deno.writeTextFile(
    accessHook,
    accessHookScript(config.git.map((g) => g.name), AUDIT_PATH, HOOK_COMMAND),
    { mode: 0o755 },
  );
  const daemon = new Deno.Command("git", {
    args: [
      "daemon",
      "--reuseaddr",
      `--listen=${config.listenAddress}`,
      `--port=${config.ports.git}`,
      `--base-path=${STATE_DIR}/git`,
      "--export-all",
      "--informative-errors",
      `--access-hook=${accessHook}`,
      `${STATE_DIR}/git`,
    ],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Wait until the daemon answers on its port, so "ready" means ready.
  for (let i = 0; i < 100; i++) {
    try {
      const conn = await Deno.connect({ hostname: config.listenAddress, port: config.ports.git });
      conn.close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return async () => {
    try {
      daemon.kill("SIGTERM");
    } catch { /* already gone */ }
    await daemon.status;
  };
}
