/**
 * @module
 * The bundle's entry point: read the config the host writes to stdin, install the bottle's
 * CA, start the daemons (the proxy last: once it answers, the rest listen too), and say
 * "ready". Runs as the bundle's unprivileged user.
 */

import { AuditLog } from "../egress/audit.ts";
import { setPublicValues } from "../../lib/secrets/mod.ts";
import { importAuthority } from "../../lib/net/x509.ts";
import { Leaves } from "../egress/leaves.ts";
import { LiveAllowlist } from "../egress/policy.ts";
import { startProxy } from "../egress/proxy.ts";
import { ScanPool } from "../egress/scanpool.ts";
import { cachedResolver, resolveTarget } from "../egress/resolve.ts";
import { UpstreamPool } from "../egress/upstream.ts";
import { startDns } from "../dns/dns.ts";
import { startGitGate } from "../gate/gate.ts";
import { startControl } from "../supervise/control.ts";
import {
  type GateRefusal,
  loadSdk,
  startMcpServer,
  type SuperviseEffects,
} from "../supervise/mcp.ts";
import { SuperviseQueue } from "../supervise/queue.ts";
import {
  AUDIT_FLUSH_ASK,
  AUDIT_FLUSH_DONE,
  AUDIT_PATH,
  type BundleConfig,
  gateOverrides,
  gateRefusals,
  lockOverrides,
  STATE_DIR,
  WORKSPACE_ENTRY,
} from "./config.ts";

// deno-lint-ignore no-console
const say = (message: string) => console.log(`bundle: ${message}`);

async function main(daemons: AsyncDisposableStack): Promise<void> {
  // The host writes the config to stdin and closes it; it holds credential values and
  // the CA's key, kept in memory only.
  const config: BundleConfig = JSON.parse(await new Response(Deno.stdin.readable).text());
  // Every scan in this process (DLP on the event loop, the gate's) spares them.
  setPublicValues(config.publicValues ?? []);
  const audit = new AuditLog(AUDIT_PATH);
  // Disposed last: what the log holds back goes to disk when the bundle stops.
  daemons.defer(() => audit.flush());
  // Summaries of rate-limited refusals are written at least once a minute, and when the
  // host asks before it reads the log (`AUDIT_FLUSH_SCRIPT`).
  const flusher = setInterval(() => void audit.flush(), 60_000);
  daemons.defer(() => clearInterval(flusher));
  const onFlush = async () => {
    const token = await Deno.readTextFile(AUDIT_FLUSH_ASK).catch(() => "");
    await audit.flush();
    await Deno.writeTextFile(AUDIT_FLUSH_DONE, token.slice(0, 100), { mode: 0o600 })
      .catch(() => {});
  };
  Deno.addSignalListener("SIGWINCH", onFlush);
  daemons.defer(() => Deno.removeSignalListener("SIGWINCH", onFlush));
  // Says it listens: the host asks only a bundle that does.
  await Deno.writeTextFile(AUDIT_FLUSH_DONE, "listening", { mode: 0o600 }).catch(() => {});

  const ca = await importAuthority(config.ca.certPem, config.ca.keyPem);
  const routeHosts = config.egress.routes.map((r) => r.host);
  const allowlist = new LiveAllowlist(config.egress.allow, routeHosts, config.egress.passthrough);
  // The agent's only resolver: every outside name is refused here, nothing forwarded.
  daemons.defer(await startDns(config.listenAddress, audit));

  if (config.supervise.enabled) {
    const queue = new SuperviseQueue(`${STATE_DIR}/supervise`, config.instance, audit);
    await queue.load();
    const repos = [
      ...config.git.map((g) => g.name),
      ...(config.workspace ? [WORKSPACE_ENTRY] : []),
    ];
    const effects: SuperviseEffects = {
      allowHost(host) {
        if (allowlist.add(host)) audit.write({ kind: "egress", action: "allowlist-add", host });
      },
      repos,
      async refusal(repo, commit, ref) {
        if (!repos.includes(repo)) return undefined;
        const text = await Deno.readTextFile(gateRefusals(repo)).catch(() => "");
        let found: GateRefusal | undefined;
        for (const line of text.split("\n").filter(Boolean)) {
          const r = JSON.parse(line);
          if (r.commit === commit && r.ref === ref) {
            found = { findings: r.findings ?? [], protectedPaths: r.protectedPaths ?? [] };
          }
        }
        return found;
      },
      async allowPush(repo, ref, commit, protectedPaths) {
        if (!repos.includes(repo)) return;
        using _lock = await lockOverrides(repo);
        await Deno.writeTextFile(
          gateOverrides(repo),
          JSON.stringify({ commit, ref, protectedPaths }) + "\n",
          { append: true, mode: 0o600 },
        );
      },
    };
    const control = startControl(queue);
    daemons.defer(() => control.shutdown());
    const mcp = startMcpServer({
      hostname: config.listenAddress,
      port: config.ports.supervise,
      queue,
      effects,
      timeoutMs: config.supervise.timeoutMs,
    });
    daemons.defer(() => mcp.shutdown());
    say(`supervise MCP server on ${config.listenAddress}:${config.ports.supervise}`);
  }

  const stopGate = await startGitGate(config, audit);
  daemons.defer(stopGate);
  if (config.git.length > 0) say(`git gate on ${config.listenAddress}:${config.ports.git}`);

  // Last: the self-test polls the proxy, so when it answers everything else listens.
  const injected = [
    ...new Set(
      config.egress.routes.flatMap((r) => [...Object.values(r.headers), ...(r.secrets ?? [])]),
    ),
  ];
  const upstream = new UpstreamPool(
    config.egress.upstreamCa ? { caCerts: [config.egress.upstreamCa] } : {},
  );
  const resolver = cachedResolver();
  // Two bodies scanned at once, off the event loop (a bundle has two cores' worth).
  const scanner = new ScanPool(2, {
    onFallBack: (why) => say(`request bodies are scanned on the event loop: ${why}`),
  });
  const proxy = await startProxy({
    hostname: config.listenAddress,
    port: config.ports.proxy,
    policy: () => allowlist.current(),
    denyHint: config.supervise.enabled
      ? "If the work needs this host, ask for it with the supervise MCP tool request_egress"
      : undefined,
    audit,
    dlp: config.egress.dlp,
    dlpValues: [...injected, ...config.egress.secretValues],
    routes: new Map(config.egress.routes.map((r) => [r.host, r.headers])),
    redactHosts: new Set(config.egress.routes.filter((r) => r.redact).map((r) => r.host)),
    scrubValues: [...injected, ...config.egress.secretValues],
    upstream,
    resolve: (host) => resolveTarget(host, config.egress.allowPrivate, resolver),
    leaves: new Leaves(ca),
    scanner,
  });
  daemons.defer(async () => {
    await proxy.stop();
    upstream.close();
    scanner.close();
  });
  say(`egress proxy on ${config.listenAddress}:${config.ports.proxy}`);

  audit.write({ kind: "bundle", action: "ready", instance: config.instance });
  await audit.flush();
  // The host's start waits for exactly this line (lib/backend/bundle.ts).
  say("ready");
  // Loaded after the ready mark, while the host provisions the agent.
  scanner.warm();
  if (config.supervise.enabled) await loadSdk();
}

// Daemons are closed on SIGTERM or a failed start; with nothing left listening the
// process ends by itself; nothing here ends it by force.
const daemons = new AsyncDisposableStack();
const stop = async () => {
  say("stopping");
  for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.removeSignalListener(signal, stop);
  await daemons.disposeAsync();
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
main(daemons).catch(async (error) => {
  // deno-lint-ignore no-console
  console.error(`bundle: failed to start: ${error instanceof Error ? error.message : error}`);
  Deno.exitCode = 1;
  await stop();
});
