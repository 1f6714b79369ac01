/**
 * @module
 * The start-up self-test, run from inside the guest before the agent gets it: the
 * proxy answers, an outside name does not resolve, and the host is not reachable
 * through the bottle's network. If any check fails the bottle does not start.
 */

import type { Guest } from "../backend/types.ts";
import { BackendError } from "../errors.ts";
import type { BottlePlan } from "../plan/types.ts";

/** One check's outcome. */
export interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
}

/** A name the bottle uses (so an open resolver would answer it), else a well-known one. */
function probeName(plan: BottlePlan): string {
  const exact = plan.egress.allow.find((h) => !h.includes("*") && !/^\d/.test(h));
  return (exact ?? "example.com").replace(/:\d+$/, "");
}

/**
 * The shell script the guest runs; one `NAME STATUS DETAIL` line per check. The checks
 * run at once (the gateway's is a 0.3 s connect timeout), so their lines come in any
 * order. It may start before the bundle runs: the proxy is asked until it answers (the
 * bundle starts it last, so then the resolver listens too), for at most `waitSeconds`;
 * "000" is no answer. Each ask waits 0.2 s to connect: until the bundle's container runs,
 * its address answers nothing, not even a refusal.
 */
export function selfTestScript(plan: BottlePlan, waitSeconds = 30): string {
  const proxy = `http://${plan.bundle.address}:${plan.bundle.ports.proxy}/`;
  const ask =
    `curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --connect-timeout 0.2 --max-time 5 ${proxy}`;
  return [
    `{ end=$(( $(date +%s) + ${waitSeconds} )); while :; do code=$(${ask}); ` +
    `{ [ "$code" != 000 ] || [ "$(date +%s)" -ge "$end" ]; } && break; sleep 0.05; done; ` +
    `echo "proxy $code"; ` +
    `if getent hosts ${probeName(plan)} >/dev/null 2>&1; then echo "dns resolved"; ` +
    `else echo "dns refused"; fi; } &`,
    `{ out=$(curl -sS -o /dev/null --noproxy '*' --connect-timeout 0.3 --max-time 1 http://${plan.networks.internal.gateway}:9/ 2>&1); ` +
    `echo "gateway $?" "$out"; } &`,
    "wait",
  ].join("\n");
}

/**
 * Reads the script's output into check results. `policyDenied` says that the guest's
 * own egress policy reported refusing the gateway probe (smolvm), which makes a
 * refused connection a closed one rather than an answer from the host.
 */
export function judgeSelfTest(
  output: string,
  plan: BottlePlan,
  policyDenied = false,
): CheckResult[] {
  const line = (name: string) =>
    output.split("\n").find((l) => l.startsWith(`${name} `))?.slice(name.length + 1) ?? "";
  const proxy = line("proxy");
  const dns = line("dns");
  const gateway = line("gateway");
  const gatewayCode = gateway.split(" ")[0];
  return [
    {
      check: "the proxy answers",
      ok: proxy === "400",
      detail: proxy === "400"
        ? ""
        : `the proxy at ${plan.bundle.address} gave "${proxy || "no answer"}"`,
    },
    {
      check: "outside names do not resolve",
      ok: dns === "refused",
      detail: dns === "refused" ? "" : `"${probeName(plan)}" resolved inside the guest`,
    },
    {
      // Timed out (28) or unreachable is closed; a refused or answered connection
      // means the host is reachable from the guest. A host on the bridge answers a SYN
      // in well under a millisecond, so 0.3 s without an answer is a sound "closed".
      check: "the host is not reachable through the bottle's network",
      ok: gatewayCode === "28" || /No route|unreachable/i.test(gateway) ||
        (policyDenied && gatewayCode === "7"),
      detail: `${plan.networks.internal.gateway}: ${gateway || "no result"}`,
    },
  ];
}

/**
 * Runs the self-test's probes in `guest`, which may happen while the bundle's daemons
 * still start (see `selfTestScript`); the output goes to `selfTest`.
 */
export async function probeGuest(plan: BottlePlan, guest: Guest): Promise<string> {
  const r = await guest.exec(["sh", "-c", selfTestScript(plan)], { user: "agent", timeout: "1m" });
  return r.stdout;
}

/**
 * The self-test of the bottle's guest; throws naming every failed check. `probed` is
 * `probeGuest`'s output when the probes started earlier; without it they run now.
 */
export async function selfTest(
  plan: BottlePlan,
  bottle: { guest: Guest; deniedByPolicy?(address: string): Promise<boolean> },
  probed?: Promise<string>,
): Promise<CheckResult[]> {
  const output = await (probed ?? probeGuest(plan, bottle.guest));
  const gateway = plan.networks.internal.gateway;
  const policyDenied = bottle.deniedByPolicy !== undefined &&
    /^gateway 7\b/m.test(output) &&
    await bottle.deniedByPolicy(gateway);
  const results = judgeSelfTest(output, plan, policyDenied);
  const failed = results.filter((c) => !c.ok);
  if (failed.length > 0) {
    throw new BackendError(
      `The bottle's self-test failed, so it was not started:\n  ${
        failed.map((c) => `${c.check}: ${c.detail}`).join("\n  ")
      }`,
    );
  }
  return results;
}
