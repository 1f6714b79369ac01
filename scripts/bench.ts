/**
 * Benchmarks of a real Docker bottle, each printed as a ratio against a baseline
 * measured in the same run:
 *
 * - detection quality on the gitleaks and secretlint samples, and DLP scan throughput;
 * - start-to-ready: `bot-bottle up` (bundle, agent, provisioning) against a bare
 *   `docker run` of the agent image and against what Docker alone takes to start a
 *   bottle's network and two containers, with the median of each phase;
 * - latency (new connection, and kept alive) and download throughput through the
 *   bundle's proxy (plain HTTP forward, a passthrough tunnel, TLS interception with
 *   credential injection) against a client container that reaches the same fake
 *   upstream directly, and against mitmproxy (Debian's package, with an addon adding the
 *   same header) on the same network, measured the same way; plain HTTP throughput also
 *   against socat relaying the same bytes (what a proxy copying in user space can move),
 *   once from the client and once from the agent with socat in the bundle's place (joined
 *   to the agent's network: the same two networks the bundle's proxy bridges); and
 *   intercepted throughput against socat in the bundle's place ending TLS on both sides
 *   (decrypting and encrypting each byte again, as interception must, in C).
 *
 * Each side's requests and downloads are made in rounds, a share from every side per
 * round, so that the machine's speed drifting over the run weighs on all alike.
 * Traffic goes only to the fake upstream container on a hermetic --internal network.
 * Numbers inside containers are curl's own timings, so docker exec overhead is not
 * counted. Usage: deno task bench [--quick]
 */

import { join } from "node:path";
import { capture, captureRaw, shell } from "../lib/shell.ts";
import { runBotBottle, tempDir } from "../tests/helpers.ts";
import { dockerUnavailable } from "../tests/integration/docker.ts";
import { buildCaEnv, ensureImagesBuilt, startUpstream } from "../tests/integration/upstream.ts";
import { AGENT_SOURCE, bundleV8Flags } from "../lib/images/sources.ts";
import { imageTag, sha256Hex } from "../lib/images/tags.ts";
import { detectionReport } from "./detection.ts";
import { conversationRequests, dependencyFiles, sourceFiles } from "./conversation.ts";
import * as docker from "../lib/docker/cli.ts";
import { AGENT_LIMITS, BUNDLE_LIMITS } from "../lib/backend/bundle.ts";
import type { Span } from "../lib/timings.ts";

const $ = await shell();

const quick = Deno.args.includes("--quick");
const STARTS = quick ? 2 : 4;
const REQUESTS = quick ? 15 : 40;
/** Rounds of downloads (one from each side per round). */
const DOWNLOADS = quick ? 3 : 9;
/** Rounds the requests of a latency row are made in (a share from each side per round). */
const LATENCY_ROUNDS = quick ? 3 : 8;
const DOWNLOAD_BYTES = 64 * 1024 * 1024;

// deno-lint-ignore no-console
const say = (line: string) => console.log(line);

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * The machine's CPU time spent (every process and the kernel: not idle, not waiting on
 * disk) in jiffies, from /proc/stat (which Deno reads only with every permission, so
 * `head` does); undefined where there is none (macOS).
 */
async function busyJiffies(): Promise<number | undefined> {
  const stat = await captureRaw($`head -n 1 /proc/stat`);
  const line = stat.code === 0 ? stat.stdout.split("\n")[0] ?? "" : "";
  if (!line.startsWith("cpu ")) return undefined;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1)
    .map(Number);
  return user! + nice! + system! + irq! + softirq! + (steal ?? 0);
}

/**
 * Runs `fn`, timed; with the share of the machine's CPUs kept busy meanwhile (by anything:
 * `up` starts processes in Docker, the kernel and containers), where /proc/stat tells it.
 */
async function timedBusy(fn: () => Promise<void>): Promise<{ ms: number; busy?: number }> {
  const before = await busyJiffies();
  const ms = await timed(fn);
  const after = await busyJiffies();
  if (before === undefined || after === undefined) return { ms };
  // Jiffies are hundredths of a second on Linux (USER_HZ).
  return { ms, busy: (after - before) * 10 / (ms * navigator.hardwareConcurrency) };
}

/** Runs curl `count` times in `container`; returns [seconds, bytes/s] per request. */
async function curlLoop(
  container: string,
  count: number,
  args: string[],
): Promise<[number, number][]> {
  const quoted = args.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const script =
    `i=0; while [ $i -lt ${count} ]; do curl -sS -o /dev/null -w '%{time_total} %{speed_download}\\n' ${quoted} || exit 1; i=$((i+1)); done`;
  const out = await capture(
    `curl loop in ${container}`,
    $`docker exec ${container} sh -c ${script}`,
    "10m",
  );
  return out.trim().split("\n").map((l) => l.split(" ").map(Number) as [number, number]);
}

/**
 * `REQUESTS` measurements of each side, taken in `LATENCY_ROUNDS` rounds: in each, a share
 * of them from every side in turn, so that the machine's speed drifting over the run weighs
 * on every side alike; after a round that is not counted (a proxy's code not yet compiled
 * for the path, on its first requests). `measure` makes `n` requests from one side and
 * returns their times.
 */
async function inRounds(
  sides: readonly [string, string[]][],
  measure: (container: string, args: string[], n: number) => Promise<number[]>,
): Promise<number[][]> {
  const times: number[][] = sides.map(() => []);
  for (const [container, args] of sides) await measure(container, args, 5);
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    // The rounds' shares add up to REQUESTS (40 in 8 rounds of 5; 15 in 3 of 5).
    const n = Math.floor((REQUESTS * (round + 1)) / LATENCY_ROUNDS) -
      Math.floor((REQUESTS * round) / LATENCY_ROUNDS);
    for (const [i, [container, args]] of sides.entries()) {
      times[i]!.push(...await measure(container, args, n));
    }
  }
  return times;
}

/**
 * One curl fetching `url` `count` times over one connection (curl keeps it alive between
 * the URLs of one run); returns each transfer's time in ms (the first opens the connection).
 */
async function curlSeries(
  container: string,
  count: number,
  args: string[],
  url: string,
): Promise<number[]> {
  const quoted = [...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const urls = Array.from({ length: count }, () => `-o /dev/null '${url}'`).join(" ");
  const script = `curl -sS -w '%{time_total}\\n' ${quoted} ${urls}`;
  const out = await capture(
    `curl series in ${container}`,
    $`docker exec ${container} sh -c ${script}`,
    "10m",
  );
  return out.trim().split("\n").map((l) => Number(l) * 1000);
}

/** mitmproxy (Debian's package) on the test network, adding the route's header. */
async function startMitmproxy(
  network: string,
  upstreamCa: string,
): Promise<{ name: string; ca: Uint8Array }> {
  const dir = join(import.meta.dirname!, "bench");
  const tag = `bot-bottle-bench-mitmproxy:${
    (await sha256Hex(
      (await Deno.readTextFile(join(dir, "mitmproxy.Dockerfile"))) +
        (await Deno.readTextFile(join(dir, "addon.py"))),
    )).slice(0, 12)
  }`;
  if ((await captureRaw($`docker image inspect ${tag}`)).code !== 0) {
    say(`building ${tag} (Debian's mitmproxy)...`);
    await capture(
      "build mitmproxy",
      $`docker build --force-rm --label bot-bottle.test=1 -t ${tag} -f ${
        join(dir, "mitmproxy.Dockerfile")
      } ${dir}`,
      "20m",
    );
  }
  const name = `bot-bottle-bench-mitm-${crypto.randomUUID().slice(0, 8)}`;
  await capture(
    "start mitmproxy",
    $`docker run --detach --name ${name} --label bot-bottle.test=1 --network ${network} --volume ${`${upstreamCa}:/fake-ca.crt:ro`} ${tag} mitmdump -q --listen-host 0.0.0.0 --listen-port 8080 -s /addon.py --set ssl_verify_upstream_trusted_ca=/fake-ca.crt --set stream_large_bodies=1m`,
  );
  for (let i = 0; i < 100; i++) {
    const r = await captureRaw($`docker exec ${name} cat /root/.mitmproxy/mitmproxy-ca-cert.pem`);
    if (r.code === 0 && r.stdout.includes("BEGIN CERTIFICATE")) {
      return { name, ca: new TextEncoder().encode(r.stdout) };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`mitmproxy did not start: ${(await captureRaw($`docker logs ${name}`)).stderr}`);
}

/**
 * What Docker alone takes to start a bottle's containers, through the engine calls `up`
 * makes: an internal network, then two containers started together (one also joined to
 * the egress network before it starts, as the bundle is), hardened and limited as the
 * agent and the bundle are. Both only sleep: no bundle's daemons, no provisioning, no
 * self-test. On a user-defined network each container's start also sets up Docker's
 * embedded DNS (two re-executions of dockerd and a dozen iptables calls): part of it.
 */
async function dockerFloor(
  image: string,
  egress: string,
): Promise<{ ms: number; busy?: number }> {
  const network = `bot-bottle-bench-floor-${crypto.randomUUID().slice(0, 8)}`;
  const labels = { "bot-bottle.test": "1" };
  const command = ["sleep", "infinity"];
  const [agent, bundle] = [`${network}-agent`, `${network}-bundle`];
  try {
    return await timedBusy(async () => {
      await docker.networkCreate(network, { internal: true, labels });
      await Promise.all([
        docker.containerRun({
          name: agent,
          image,
          labels,
          network,
          hardened: true,
          limits: AGENT_LIMITS,
          command,
        }),
        (async () => {
          await docker.containerCreate({
            name: bundle,
            image,
            labels,
            network,
            hardened: true,
            limits: BUNDLE_LIMITS,
            command,
          });
          await docker.networkConnect(egress, bundle);
          await docker.containerStart(bundle);
        })(),
      ]);
    });
  } finally {
    await captureRaw($`docker rm --force ${agent} ${bundle}`);
    await captureRaw($`docker network rm ${network}`);
  }
}

const rows: string[][] = [];
function row(
  metric: string,
  baseline: number,
  measured: number,
  unit: string,
  lowerIsBetter: boolean,
): void {
  const ratio = measured / baseline;
  rows.push([
    metric,
    `${baseline.toFixed(unit === "ms" ? 1 : 0)} ${unit}`,
    `${measured.toFixed(unit === "ms" ? 1 : 0)} ${unit}`,
    `${ratio.toFixed(2)}x ${
      lowerIsBetter ? (ratio >= 1 ? "slower" : "faster") : (ratio >= 1 ? "faster" : "slower")
    }`,
  ]);
}

function printTable(): void {
  const header = ["metric", "baseline", "bottle", "ratio"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) say(r.map((c, i) => c.padEnd(widths[i]!)).join("  "));
}

/** Fresh processes the DLP throughput is measured in (their speed varies on some VMs). */
const DLP_PROCESSES = 3;

/**
 * DLP scan throughput against decoding the same 1 MiB body, each measured in a fresh
 * process (`dlp_rate.ts`) under the V8 flags the bundle's daemons run with: on a VM,
 * whole processes land on faster or slower cores, so the row is the median of several
 * and their figures are printed too.
 */
async function dlpThroughput(): Promise<void> {
  const dependencies = (await dependencyFiles()).length;
  say(
    `DLP bodies: source files of ${(await sourceFiles()).from}; other projects' code: ${
      dependencies > 0
        ? `${dependencies} files of the npm dependencies in node_modules`
        : "none (node_modules is not at hand: run `deno install`)"
    }`,
  );
  const runs: {
    what: string;
    baseline?: string;
    measured?: string;
    decode: number;
    scan: number;
    best: number;
    early?: number;
  }[][] = [];
  for (let i = 0; i < DLP_PROCESSES; i++) {
    const out = await capture(
      "DLP throughput",
      $`${Deno.execPath()} run --quiet ${bundleV8Flags()} --allow-read --allow-run=git ${
        join(import.meta.dirname!, "dlp_rate.ts")
      } ${quick ? ["--quick"] : []}`,
      "5m",
    );
    runs.push(JSON.parse(out));
  }
  for (const [i, { what, baseline, measured }] of runs[0]!.entries()) {
    const decode = median(runs.map((r) => r[i]!.decode));
    const scans = runs.map((r) => r[i]!.scan);
    row(
      `DLP scan of a 1 MiB ${what} (${baseline ?? "decode only"} vs ${
        measured ?? "decode + scan"
      })`,
      decode,
      median(scans),
      "MiB/s",
      false,
    );
    const best = runs.map((r) => r[i]!.best.toFixed(0)).join(", ");
    const early = runs.every((r) => r[i]!.early !== undefined)
      ? `; runs 11-40 of each process, still warming up: ${
        runs.map((r) => r[i]!.early!.toFixed(0)).join(", ")
      }`
      : "";
    say(
      `  ${what}: ${
        scans.map((x) => x.toFixed(0)).join(", ")
      } MiB/s in ${DLP_PROCESSES} processes (median run after warm-up; fastest ${best}${early})`,
    );
  }
}

await detectionReport();
say("");
await dlpThroughput();
const reason = await dockerUnavailable();
if (reason) {
  say(`bench: Docker benchmarks skipped, ${reason}`);
  printTable();
} else {
  await ensureImagesBuilt();
  const agentImage = await imageTag(AGENT_SOURCE);
  await using upstream = await startUpstream([
    "api.anthropic.com",
    "plain.fake.test",
    "tunnel.fake.test",
  ], "bench");
  await using dir = await tempDir();
  await Deno.writeTextFile(
    join(dir.path, "bot-bottle.yaml"),
    `bottles:
  bench:
    egress:
      allow: [plain.fake.test]
      passthrough: [tunnel.fake.test]
      allow_private: ["${upstream.subnet}"]
      routes:
        - host: api.anthropic.com
          headers:
            x-api-key: { env: ANTHROPIC_API_KEY }
agents:
  bench:
    bottle: bench
`,
  );
  const env = {
    ANTHROPIC_API_KEY: "sk-bench-not-a-real-key",
    BOT_BOTTLE_EGRESS_NETWORK: upstream.network,
    BOT_BOTTLE_UPSTREAM_CA: upstream.caFile,
    ...(await buildCaEnv()),
  };

  say(`start-to-ready, median of ${STARTS}...`);
  const bare: number[] = [];
  const floor: number[] = [];
  const bottle: number[] = [];
  const floorBusy: number[] = [];
  const bottleBusy: number[] = [];
  const phases = new Map<string, { at: number[]; ms: number[] }>();
  for (let i = 0; i < STARTS; i++) {
    bare.push(
      await timed(async () => {
        await capture("bare docker run", $`docker run --rm --network none ${agentImage} true`);
      }),
    );
    const alone = await dockerFloor(agentImage, upstream.network);
    floor.push(alone.ms);
    if (alone.busy !== undefined) floorBusy.push(alone.busy);
    let name = "";
    const up = await timedBusy(async () => {
      const r = await runBotBottle(["up", "bench"], {
        cwd: dir.path,
        env: { ...env, BOT_BOTTLE_TIMINGS: "1" },
      });
      if (r.code !== 0) throw new Error(r.stderr);
      name = r.stdout.trim();
      const spans = JSON.parse(/timings: (.*)/.exec(r.stderr)?.[1] ?? "[]") as Span[];
      for (const { phase, at, ms } of spans) {
        const seen = phases.get(phase) ?? { at: [], ms: [] };
        seen.at.push(at);
        seen.ms.push(ms);
        phases.set(phase, seen);
      }
    });
    bottle.push(up.ms);
    if (up.busy !== undefined) bottleBusy.push(up.busy);
    await runBotBottle(["down", name], { env });
  }
  row(
    "start to ready (bare docker run vs bot-bottle up)",
    median(bare),
    median(bottle),
    "ms",
    true,
  );
  row(
    "start to ready (Docker alone: a network, two containers started together, vs bot-bottle up)",
    median(floor),
    median(bottle),
    "ms",
    true,
  );
  say(
    "  phases of up (median ms from the start of its process + median ms it took; the bundle and the agent start together, as do provisioning and the self-test): " +
      [...phases].map(([phase, { at, ms }]) =>
        `${phase} @${Math.round(median(at))}+${Math.round(median(ms))}`
      ).join(", "),
  );
  if (bottleBusy.length > 0 && floorBusy.length > 0) {
    const share = (x: number[]) => `${Math.round(median(x) * 100)}%`;
    say(
      `  the machine's ${navigator.hardwareConcurrency} CPUs were ${
        share(bottleBusy)
      } busy while up ran, ${share(floorBusy)} while Docker alone started a bottle's containers ` +
        "(every process and the kernel; median)",
    );
  }

  const up = await runBotBottle(["up", "bench"], { cwd: dir.path, env });
  if (up.code !== 0) throw new Error(up.stderr);
  const name = up.stdout.trim();
  const agent = `bot-bottle-${name}-agent`;
  const client = `bot-bottle-bench-client-${crypto.randomUUID().slice(0, 8)}`;
  const mitm = await startMitmproxy(upstream.network, upstream.caFile);
  // A byte relay in C (1 MiB buffers) to the plain upstream, beside mitmproxy.
  const RELAY_PORT = 8081;
  await capture(
    "start socat",
    $`docker exec --detach ${mitm.name} socat -b 1048576 TCP-LISTEN:${RELAY_PORT},fork,reuseaddr TCP:plain.fake.test:80`,
  );
  // The same relay ending TLS on both sides (OpenSSL, in C): each byte decrypted and
  // encrypted again, as interception must, and nothing else. Its certificate is
  // mitmproxy's CA (the client does not check it: what is measured is the bytes after the
  // handshake); the upstream's is checked.
  const TLS_RELAY_PORT = 8443;
  await capture(
    "start TLS socat",
    $`docker exec --detach ${mitm.name} socat -b 1048576 OPENSSL-LISTEN:${TLS_RELAY_PORT},cert=/root/.mitmproxy/mitmproxy-ca.pem,verify=0,fork,reuseaddr OPENSSL:api.anthropic.com:443,cafile=/fake-ca.crt`,
  );
  try {
    await capture(
      "client",
      $`docker run --detach --name ${client} --label bot-bottle.test=1 --network ${upstream.network} ${agentImage} sleep infinity`,
    );
    // The same relay in the bundle's place: joined to the agent's network too, so that
    // the agent reaches the upstream through it as through the bundle (two networks, the
    // agent's internal one and the upstream's).
    const agentNetwork = (await capture(
      "agent network",
      $`docker inspect -f ${"{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}"} ${agent}`,
    )).trim().split(/\s+/)[0]!;
    await capture("join relay", $`docker network connect ${agentNetwork} ${mitm.name}`);
    const relayAddress = (await capture(
      "relay address",
      $`docker inspect -f ${`{{(index .NetworkSettings.Networks "${agentNetwork}").IPAddress}}`} ${mitm.name}`,
    )).trim();
    const ca = await Deno.readFile(upstream.caFile);
    for (const [container, user] of [[client, "0"], [agent, "1000"]] as const) {
      await capture(
        "copy fake CA",
        $`docker exec -i --user ${user} ${container} sh -c ${"cat > /tmp/fake-ca.crt"}`.stdin(ca),
      );
    }
    await capture(
      "copy mitmproxy CA",
      $`docker exec -i ${client} sh -c ${"cat > /tmp/mitm-ca.crt"}`.stdin(mitm.ca),
    );
    // Direct: the client trusts the fake's CA for every host it serves. The peer:
    // the same client through mitmproxy, trusting mitmproxy's CA.
    const direct = ["--cacert", "/tmp/fake-ca.crt"];
    const peer = ["--proxy", `http://${mitm.name}:8080`, "--cacert", "/tmp/mitm-ca.crt"];
    const paths: [string, string, string[], string[] | undefined][] = [
      ["plain HTTP forward", "http://plain.fake.test/bytes", [], undefined],
      ["CONNECT tunnel (passthrough, TLS end to end)", "https://tunnel.fake.test/bytes", [
        "--cacert",
        "/tmp/fake-ca.crt",
      ], undefined],
      // Every side names its one CA with --cacert: a new curl process that loads the
      // system store (some 140 certificates) spends ~20 ms on that alone, which would be
      // counted against the bottle and not the direct request. A long-lived client (node,
      // claude) loads its store once.
      [
        "TLS interception + key injection",
        "https://api.anthropic.com/bytes",
        ["--cacert", "/etc/ssl/certs/bot-bottle-ca.pem"],
        peer,
      ],
    ];
    for (const [label, url, extra, peerArgs] of paths) {
      say(
        `${label}: ${REQUESTS} new connections, ${REQUESTS} kept-alive requests, ${DOWNLOADS} downloads of ${
          DOWNLOAD_BYTES >> 20
        } MiB...`,
      );
      const directArgs = url.startsWith("https") ? direct : [];
      const small = `${url}?n=16`;
      const big = `${url}?n=${DOWNLOAD_BYTES}`;
      // Latency in rounds too, a share of the requests from each side per round (direct,
      // bot-bottle, mitmproxy). Measured one side after the other, a slow spell of the VM
      // weighed on one side alone: the new-connection ratio read 1.08x to 1.68x in runs of
      // one code.
      const latencySides: [string, string[]][] = [[client, directArgs], [agent, extra]];
      if (peerArgs) latencySides.push([client, peerArgs]);
      const [dLat, pLat, mLat] = (await inRounds(latencySides, async (container, args, n) =>
        (await curlLoop(container, n, [...args, small])).map(([t]) =>
          t * 1000
        ))).map(median);
      // One connection a round, whose first request (it opens the connection) is not counted.
      const [dKept, pKept, mKept] = (await inRounds(latencySides, async (container, args, n) =>
        (await curlSeries(container, n + 1, args, small)).slice(1))).map(median);
      // Downloads in rounds, one from each side per round, so that the machine's speed
      // drifting over the run (a shared VM's does) weighs on every side alike.
      const sides: [string, string[]][] = [[client, [...directArgs, big]], [agent, [
        ...extra,
        big,
      ]]];
      if (!url.startsWith("https")) {
        // A relay that parses nothing, copying the same bytes: the cost of the copy.
        sides.push([client, [`http://${mitm.name}:${RELAY_PORT}/bytes?n=${DOWNLOAD_BYTES}`]]);
        sides.push([agent, [
          "--noproxy",
          "*",
          `http://${relayAddress}:${RELAY_PORT}/bytes?n=${DOWNLOAD_BYTES}`,
        ]]);
      }
      // A relay that only decrypts and encrypts again, in the bundle's place.
      const tlsRelay = peerArgs !== undefined;
      if (tlsRelay) {
        sides.push([agent, [
          "--noproxy",
          "*",
          "--insecure",
          `https://${relayAddress}:${TLS_RELAY_PORT}/bytes?n=${DOWNLOAD_BYTES}`,
        ]]);
      }
      if (peerArgs) {
        sides.push([client, [...peerArgs, big]]);
      }
      const speeds: number[][] = sides.map(() => []);
      for (let round = 0; round < DOWNLOADS; round++) {
        for (const [i, [container, args]] of sides.entries()) {
          speeds[i]!.push((await curlLoop(container, 1, args))[0]![1] / 2 ** 20);
        }
      }
      const [dTp, pTp, ...others] = speeds.map(median) as [number, number, ...number[]];
      row(`${label}: latency, new connection`, dLat!, pLat!, "ms", true);
      row(`${label}: latency, kept-alive connection`, dKept!, pKept!, "ms", true);
      say(`  kept-alive: ${(pKept! - dKept!).toFixed(2)} ms added at p50`);
      row(`${label}: throughput`, dTp, pTp, "MiB/s", false);
      if (!url.startsWith("https")) {
        row(`${label}: throughput (socat relay vs bot-bottle)`, others[0]!, pTp, "MiB/s", false);
        row(
          `${label}: throughput (socat relay in the bundle's place vs bot-bottle)`,
          others[1]!,
          pTp,
          "MiB/s",
          false,
        );
      }
      if (tlsRelay) {
        row(
          `${label}: throughput (socat ending TLS in the bundle's place vs bot-bottle)`,
          others[0]!,
          pTp,
          "MiB/s",
          false,
        );
        say(
          `  socat ending TLS both sides moves ${
            (others[0]! / dTp).toFixed(2)
          }x of direct: what decrypting and encrypting each byte again leaves on this machine`,
        );
      }
      if (peerArgs) {
        // The peer in the same run: ratios of bot-bottle against mitmproxy.
        row(
          `${label}: latency, new connection (mitmproxy vs bot-bottle)`,
          mLat!,
          pLat!,
          "ms",
          true,
        );
        row(`${label}: latency, kept-alive (mitmproxy vs bot-bottle)`, mKept!, pKept!, "ms", true);
        row(`${label}: throughput (mitmproxy vs bot-bottle)`, others.at(-1)!, pTp, "MiB/s", false);
      }
    }
    // DLP: the same 256 KiB API request through a bottle that scans and one that does not.
    say(`DLP: ${REQUESTS} requests with a 256 KiB body, scanned and not scanned...`);
    const offDir = await Deno.makeTempDir();
    await Deno.writeTextFile(
      join(offDir, "bot-bottle.yaml"),
      (await Deno.readTextFile(join(dir.path, "bot-bottle.yaml"))).replace(
        "allow_private:",
        "dlp: off\n      allow_private:",
      ),
    );
    const off = await runBotBottle(["up", "bench"], { cwd: offDir, env });
    if (off.code !== 0) throw new Error(off.stderr);
    const offAgent = `bot-bottle-${off.stdout.trim()}-agent`;
    try {
      const body = JSON.stringify({
        model: "m",
        max_tokens: 1,
        messages: [{ role: "user", content: "x".repeat(256 * 1024) }],
      });
      for (const container of [agent, offAgent]) {
        await capture(
          "body",
          $`docker exec -i --user 1000 ${container} sh -c ${"cat > /tmp/body.json"}`.stdin(
            new TextEncoder().encode(body),
          ),
        );
      }
      const args = [
        "-H",
        "content-type: application/json",
        "--data-binary",
        "@/tmp/body.json",
        "https://api.anthropic.com/v1/messages",
      ];
      // Warm both bundles (connection pools, JIT), then interleave the two so that
      // neither gets the quieter moments.
      for (const container of [agent, offAgent]) await curlLoop(container, 15, args);
      const plainTimes: number[] = [];
      const scannedTimes: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        plainTimes.push((await curlLoop(offAgent, 1, args))[0]![0] * 1000);
        scannedTimes.push((await curlLoop(agent, 1, args))[0]![0] * 1000);
      }
      const plain = median(plainTimes);
      const scanned = median(scannedTimes);
      row("DLP: 256 KiB request, not scanned vs scanned", plain, scanned, "ms", true);
      // A conversation's next request of 1 MiB and more, each the one before and a turn
      // (as Claude Code sends them): the bundle's scan worker scans it again from where
      // it changed. In order, through both bottles by turns; the first (scanned whole)
      // apart; and after each, the same request made unlike the one before, which the
      // bottle that scans scans whole.
      const turns = conversationRequests((await sourceFiles()).files).filter((b) =>
        b.length >= 1 << 20
      )
        .slice(0, quick ? 6 : 16);
      say(`DLP: ${turns.length} requests of a conversation, 1 MiB and more, scanned and not...`);
      for (const container of [agent, offAgent]) {
        for (const [i, turn] of turns.entries()) {
          await capture(
            "body",
            $`docker exec -i --user 1000 ${container} sh -c ${`cat > /tmp/turn${i}.json`}`
              .stdin(turn),
          );
        }
      }
      // And each unlike the one before (its first characters changed): scanned whole.
      const decoder = new TextDecoder();
      for (const [i, turn] of turns.entries()) {
        const unlike = decoder.decode(turn).replace('"model":"claude"', `"model":"claude-${i}"`);
        await capture(
          "body",
          $`docker exec -i --user 1000 ${agent} sh -c ${`cat > /tmp/unlike${i}.json`}`
            .stdin(new TextEncoder().encode(unlike)),
        );
      }
      const turnArgs = (i: number, name = "turn") => [
        ...args.slice(0, 3),
        `@/tmp/${name}${i}.json`,
        args[4]!,
      ];
      const offTurns: number[] = [];
      const onTurns: number[] = [];
      const wholeTurns: number[] = [];
      for (let i = 0; i < turns.length; i++) {
        offTurns.push((await curlLoop(offAgent, 1, turnArgs(i)))[0]![0] * 1000);
        onTurns.push((await curlLoop(agent, 1, turnArgs(i)))[0]![0] * 1000);
        wholeTurns.push((await curlLoop(agent, 1, turnArgs(i, "unlike")))[0]![0] * 1000);
      }
      say(
        `  the first, scanned whole: ${onTurns[0]!.toFixed(1)} ms (${
          offTurns[0]!.toFixed(1)
        } not scanned)`,
      );
      row(
        "DLP: a conversation's next request of 1 MiB+, not scanned vs scanned",
        median(offTurns.slice(1)),
        median(onTurns.slice(1)),
        "ms",
        true,
      );
      row(
        "DLP: a request of 1 MiB+, scanned whole vs as a conversation's next",
        median(wholeTurns.slice(1)),
        median(onTurns.slice(1)),
        "ms",
        true,
      );
    } finally {
      await runBotBottle(["down", off.stdout.trim()], { env });
      await Deno.remove(offDir, { recursive: true });
    }
  } finally {
    await captureRaw($`docker rm --force ${client} ${mitm.name}`);
    await runBotBottle(["down", name], { env });
  }
  say("");
  printTable();
}
