/**
 * @module
 * The files each image is built from, embedded with text imports so that a compiled
 * binary and a `deno run <url>` run carry them exactly as the checkout does.
 */

import { type AgentKind, profile } from "../agents/mod.ts";
import agentDockerfile from "../../sidecars/agent/Dockerfile" with { type: "text" };
import bundleDockerfile from "../../sidecars/bundle/Dockerfile" with { type: "text" };
import bundleConfig from "../../sidecars/bundle/config.ts" with { type: "text" };
import bundleInit from "../../sidecars/bundle/init.ts" with { type: "text" };
import dnsDns from "../../sidecars/dns/dns.ts" with { type: "text" };
import egressAudit from "../../sidecars/egress/audit.ts" with { type: "text" };
import egressCa from "../../sidecars/egress/ca.ts" with { type: "text" };
import egressCut from "../../sidecars/egress/cut.ts" with { type: "text" };
import egressDlp from "../../sidecars/egress/dlp.ts" with { type: "text" };
import egressExchange from "../../sidecars/egress/exchange.ts" with { type: "text" };
import egressGitpush from "../../sidecars/egress/gitpush.ts" with { type: "text" };
import egressHttp1 from "../../sidecars/egress/http1.ts" with { type: "text" };
import egressIo from "../../sidecars/egress/io.ts" with { type: "text" };
import egressLeaves from "../../sidecars/egress/leaves.ts" with { type: "text" };
import egressPolicy from "../../sidecars/egress/policy.ts" with { type: "text" };
import egressProxy from "../../sidecars/egress/proxy.ts" with { type: "text" };
import egressResolve from "../../sidecars/egress/resolve.ts" with { type: "text" };
import egressScanjob from "../../sidecars/egress/scanjob.ts" with { type: "text" };
import egressScanpool from "../../sidecars/egress/scanpool.ts" with { type: "text" };
import egressScanWorker from "../../sidecars/egress/scan_worker.ts" with { type: "text" };
import egressScrub from "../../sidecars/egress/scrub.ts" with { type: "text" };
import egressSni from "../../sidecars/egress/sni.ts" with { type: "text" };
import egressUpstream from "../../sidecars/egress/upstream.ts" with { type: "text" };
import x509 from "../net/x509.ts" with { type: "text" };
import gateDiff from "../../sidecars/gate/diff.ts" with { type: "text" };
import gateGate from "../../sidecars/gate/gate.ts" with { type: "text" };
import gateGit from "../../sidecars/gate/git.ts" with { type: "text" };
import gateHook from "../../sidecars/gate/hook.ts" with { type: "text" };
import gateObjects from "../../sidecars/gate/objects.ts" with { type: "text" };
import gateCatFile from "../../sidecars/gate/catfile.ts" with { type: "text" };
import gatePolicy from "../../sidecars/gate/policy.ts" with { type: "text" };
import gateScan from "../../sidecars/gate/scan.ts" with { type: "text" };
import superviseClient from "../../sidecars/supervise/client.ts" with { type: "text" };
import superviseControl from "../../sidecars/supervise/control.ts" with { type: "text" };
import superviseMcp from "../../sidecars/supervise/mcp.ts" with { type: "text" };
import superviseQueue from "../../sidecars/supervise/queue.ts" with { type: "text" };
import superviseSdk from "../../sidecars/supervise/sdk.ts" with { type: "text" };
import bytes from "../bytes.ts" with { type: "text" };
import buffered from "../buffered.ts" with { type: "text" };
import hosts from "../net/hosts.ts" with { type: "text" };
import subnet from "../net/subnet.ts" with { type: "text" };
import secretsCompressed from "../secrets/compressed.ts" with { type: "text" };
import secretsGitpack from "../secrets/gitpack.ts" with { type: "text" };
import secretsHexdump from "../secrets/hexdump.ts" with { type: "text" };
import secretsDecode from "../secrets/decode.ts" with { type: "text" };
import secretsMarks from "../secrets/marks.ts" with { type: "text" };
import secretsBasen from "../secrets/basen.ts" with { type: "text" };
import secretsDetectors from "../secrets/detectors.ts" with { type: "text" };
import secretsPieces from "../secrets/pieces.ts" with { type: "text" };
import secretsGaps from "../secrets/gaps.ts" with { type: "text" };
import secretsHeads from "../secrets/heads.ts" with { type: "text" };
import secretsPrintable from "../secrets/printable.ts" with { type: "text" };
import secretsTurned from "../secrets/turned.ts" with { type: "text" };
import secretsUnescape from "../secrets/unescape.ts" with { type: "text" };
import secretsEngine from "../secrets/engine.ts" with { type: "text" };
import secretsKeywords from "../secrets/keywords.ts" with { type: "text" };
import secretsProbes from "../secrets/probes.ts" with { type: "text" };
import secretsMarkup from "../secrets/markup.ts" with { type: "text" };
import secretsAssign from "../secrets/assign.ts" with { type: "text" };
import secretsMod from "../secrets/mod.ts" with { type: "text" };
import secretsChars from "../secrets/chars.ts" with { type: "text" };
import secretsColumns from "../secrets/columns.ts" with { type: "text" };
import secretsNormalize from "../secrets/normalize.ts" with { type: "text" };
import secretsReuse from "../secrets/reuse.ts" with { type: "text" };
import secretsRules from "../secrets/rules.ts" with { type: "text" };
import secretsWords from "../secrets/words.ts" with { type: "text" };

/** One image's build context: file path (relative to the context) to contents. */
export interface ImageSource {
  /** Repository part of the tag, such as `bot-bottle-agent`. */
  repository: string;
  files: Record<string, string>;
  /** Build arguments that shape the image (part of its tag). */
  buildArgs?: Record<string, string>;
}

/** The agent image's build context for a kind of agent: the CLI its profile names. */
export function agentSource(kind: AgentKind): ImageSource {
  const p = profile(kind);
  return {
    repository: kind === "claude" ? "bot-bottle-agent" : `bot-bottle-agent-${kind}`,
    files: { Dockerfile: agentDockerfile },
    buildArgs: {
      AGENT_PACKAGE: [...(p.npm.requires ?? []), `${p.npm.package}@${p.npm.version}`].join(" "),
      AGENT_BINARY: p.binary,
    },
  };
}

/** The Claude Code agent image's build context. */
export const AGENT_SOURCE: ImageSource = agentSource("claude");

/**
 * The bundle image's build context: the daemons and the host modules they share (host
 * pattern matching, the subnet helpers, the secret detector), at the same relative
 * paths as in the checkout.
 */
export const BUNDLE_SOURCE: ImageSource = {
  repository: "bot-bottle-bundle",
  files: {
    "Dockerfile": bundleDockerfile,
    "sidecars/bundle/config.ts": bundleConfig,
    "sidecars/bundle/init.ts": bundleInit,
    "sidecars/dns/dns.ts": dnsDns,
    "sidecars/egress/audit.ts": egressAudit,
    "sidecars/egress/ca.ts": egressCa,
    "sidecars/egress/cut.ts": egressCut,
    "sidecars/egress/dlp.ts": egressDlp,
    "sidecars/egress/exchange.ts": egressExchange,
    "sidecars/egress/gitpush.ts": egressGitpush,
    "sidecars/egress/http1.ts": egressHttp1,
    "sidecars/egress/io.ts": egressIo,
    "sidecars/egress/leaves.ts": egressLeaves,
    "sidecars/egress/policy.ts": egressPolicy,
    "sidecars/egress/proxy.ts": egressProxy,
    "sidecars/egress/resolve.ts": egressResolve,
    "sidecars/egress/scanjob.ts": egressScanjob,
    "sidecars/egress/scanpool.ts": egressScanpool,
    "sidecars/egress/scan_worker.ts": egressScanWorker,
    "sidecars/egress/scrub.ts": egressScrub,
    "sidecars/egress/sni.ts": egressSni,
    "sidecars/egress/upstream.ts": egressUpstream,
    "sidecars/gate/diff.ts": gateDiff,
    "sidecars/gate/gate.ts": gateGate,
    "sidecars/gate/git.ts": gateGit,
    "sidecars/gate/hook.ts": gateHook,
    "sidecars/gate/objects.ts": gateObjects,
    "sidecars/gate/catfile.ts": gateCatFile,
    "sidecars/gate/policy.ts": gatePolicy,
    "sidecars/gate/scan.ts": gateScan,
    "sidecars/supervise/client.ts": superviseClient,
    "sidecars/supervise/control.ts": superviseControl,
    "sidecars/supervise/mcp.ts": superviseMcp,
    "sidecars/supervise/queue.ts": superviseQueue,
    "sidecars/supervise/sdk.ts": superviseSdk,
    "lib/bytes.ts": bytes,
    "lib/buffered.ts": buffered,
    "lib/net/hosts.ts": hosts,
    "lib/net/subnet.ts": subnet,
    "lib/net/x509.ts": x509,
    "lib/secrets/chars.ts": secretsChars,
    "lib/secrets/columns.ts": secretsColumns,
    "lib/secrets/compressed.ts": secretsCompressed,
    "lib/secrets/decode.ts": secretsDecode,
    "lib/secrets/marks.ts": secretsMarks,
    "lib/secrets/basen.ts": secretsBasen,
    "lib/secrets/detectors.ts": secretsDetectors,
    "lib/secrets/pieces.ts": secretsPieces,
    "lib/secrets/gaps.ts": secretsGaps,
    "lib/secrets/heads.ts": secretsHeads,
    "lib/secrets/printable.ts": secretsPrintable,
    "lib/secrets/turned.ts": secretsTurned,
    "lib/secrets/unescape.ts": secretsUnescape,
    "lib/secrets/engine.ts": secretsEngine,
    "lib/secrets/gitpack.ts": secretsGitpack,
    "lib/secrets/hexdump.ts": secretsHexdump,
    "lib/secrets/keywords.ts": secretsKeywords,
    "lib/secrets/probes.ts": secretsProbes,
    "lib/secrets/markup.ts": secretsMarkup,
    "lib/secrets/assign.ts": secretsAssign,
    "lib/secrets/mod.ts": secretsMod,
    "lib/secrets/normalize.ts": secretsNormalize,
    "lib/secrets/reuse.ts": secretsReuse,
    "lib/secrets/rules.ts": secretsRules,
    "lib/secrets/words.ts": secretsWords,
  },
};

/**
 * The V8 flags the bundle's daemons run with (its entry point's `--v8-flags=`), for a
 * bench that measures the proxy's scan as it runs there.
 */
export function bundleV8Flags(): string[] {
  const entry = /^ENTRYPOINT \[([^\]]*)\]/m.exec(bundleDockerfile.replaceAll("\\\n", ""));
  if (!entry) throw new Error("the bundle's Dockerfile has no ENTRYPOINT");
  return [...entry[1]!.matchAll(/"(--v8-flags=[^"]*)"/g)].map((m) => m[1]!);
}
