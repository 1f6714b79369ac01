/**
 * The Docker bottle's promises, proven against real containers: the real `claude` CLI
 * talks to a fake Anthropic API through the bundle's proxy, the real key reaches the
 * fake and appears nowhere in the agent, the allowlist holds, provisioning lands with
 * the right owners, and nothing is left behind after `down`, Ctrl-C or a crash.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { $, captureRaw } from "../shell.ts";
import { runBotBottle, tempDir } from "../helpers.ts";
import {
  bottleOf,
  dockerTest,
  exclusively,
  leftOf,
  READ_ONLY_DOCKER,
  recordingDocker,
} from "./docker.ts";
import { HEARTBEAT_STALE_MS } from "../../lib/state.ts";
import { agentExec } from "./guest.ts";
import { buildCaEnv, startUpstream, type Upstream, upstreamEnv } from "./upstream.ts";

const KEY = `sk-ant-api03-${crypto.randomUUID()}-bottle-test`;
const REPLY = "PONG from the fake Anthropic API";
const HOSTS = ["api.anthropic.com", "plain.fake.test", "denied.fake.test"];

const manifest = (subnet: string) => `
bottles:
  dev:
    egress:
      allow: [plain.fake.test]
      allow_private: ["${subnet}"]
      secrets: [BB_TEST_DB_PASSWORD]
      routes:
        - host: api.anthropic.com
          headers:
            x-api-key: { env: ANTHROPIC_API_KEY }
agents:
  claude:
    bottle: dev
    prompt: "You are inside a bot-bottle test. Be brief."
    skills: [skills/review]
`;

/** A project directory with a manifest, a skill and a git working tree. */
async function project(dir: string, subnet: string): Promise<string> {
  await Deno.writeTextFile(join(dir, "bot-bottle.yaml"), manifest(subnet));
  await Deno.mkdir(join(dir, "skills/review/scripts"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "skills/review/SKILL.md"),
    "---\nname: review\n---\nReview code.\n",
  );
  await Deno.writeTextFile(join(dir, "skills/review/scripts/run.sh"), "#!/bin/sh\necho review\n", {
    mode: 0o755,
  });
  await Deno.chmod(join(dir, "skills/review/scripts/run.sh"), 0o755);
  const tree = join(dir, "tree");
  await Deno.mkdir(tree);
  await Deno.writeTextFile(join(tree, "README.md"), "# test tree\n");
  const git = (args: string[]) => captureRaw($`git -C ${tree} ${args}`);
  await git(["init", "-q", "-b", "main"]);
  await git(["-c", "user.name=t", "-c", "user.email=t@t.invalid", "add", "."]);
  await git(["-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qm", "first"]);
  return tree;
}

const DB_PASSWORD = `db-${crypto.randomUUID()}`;

/** Refusals of burst.fake.test in a JSON Lines audit log: written, and counted in summaries. */
function burstCount(log: string): number {
  return log.trim().split("\n").map((l) => JSON.parse(l)).reduce(
    (n, x) =>
      n +
      (x.action === "deny" && x.host === "burst.fake.test"
        ? 1
        : x.action === "suppressed" && x.of === "deny" && x.target === "burst.fake.test"
        ? x.count
        : 0),
    0,
  );
}

async function env(upstream: Upstream): Promise<Record<string, string>> {
  return {
    ANTHROPIC_API_KEY: KEY,
    BB_TEST_DB_PASSWORD: DB_PASSWORD,
    ...(await upstreamEnv(upstream)),
  };
}

/** Everything docker holds that carries `label`. */
/**
 * How many layers' files of image `tag` hold `needle`. Each layer is read where the
 * engine keeps it (overlay2's diff directories, when this process may read them: a
 * file a later layer deletes is still there), else from a `docker save` of the image
 * (the same bytes, some ten seconds slower for the agent image).
 */
async function layersHolding(tag: string, needle: string): Promise<number> {
  const driver = JSON.parse(
    (await captureRaw($`docker image inspect --format ${"{{json .GraphDriver}}"} ${tag}`)).stdout,
  ) as { Name: string; Data: Record<string, string> };
  const dirs = driver.Name === "overlay2"
    ? [...(driver.Data.LowerDir ?? "").split(":"), driver.Data.UpperDir ?? ""].filter(Boolean)
    : [];
  const readable = dirs.length > 0 &&
    await Promise.all(dirs.map((d) => Deno.readDir(d)[Symbol.asyncIterator]().next()))
      .then(() => true, () => false);
  const r = readable
    ? await captureRaw($`grep -rlF -D skip ${needle} ${dirs}`, "5m")
    : await captureRaw(
      $`sh -c ${`docker save "$1" | tar -xO --wildcards '*' 2>/dev/null | grep -F "$2" || true`} sh ${tag} ${needle}`,
      "5m",
    );
  return r.stdout.split("\n").filter(Boolean).length;
}

dockerTest(
  "start runs the real claude against the fake API with the injected key, then removes the bottle",
  async () => {
    await using upstream = await startUpstream(HOSTS, REPLY);
    await using dir = await tempDir();
    await project(dir.path, upstream.subnet);
    const r = await runBotBottle(["start", "claude", "--", "-p", "Say hello"], {
      cwd: dir.path,
      env: await env(upstream),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(REPLY));
    const name = /Starting bottle (claude-[a-z0-9]{6})/.exec(r.stderr)?.[1];
    assert.ok(name, r.stderr);
    assert.match(r.stderr, /Bottle CA sha256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    assert.match(
      r.stderr,
      /Self-test passed: the proxy answers, outside names do not resolve, the host is not reachable/,
    );
    assert.ok(!r.stdout.includes(KEY) && !r.stderr.includes(KEY), "the key is not printed");

    const messages = (await upstream.received()).filter((e) =>
      String(e.path).startsWith("/v1/messages")
    );
    assert.ok(messages.length > 0, "the fake API received the request");
    for (const m of messages) {
      assert.equal(m.xApiKey, KEY, "the fake received the real key from the host env");
    }
    assert.ok(
      messages.some((m) => String(m.body).includes("You are inside a bot-bottle test")),
      "the prompt was appended",
    );
    assert.deepEqual(
      await leftOf(name),
      [],
      "nothing of the bottle remains",
    );
  },
);

dockerTest("a bottle started with up is sealed, provisioned, and removed by down", async (t) => {
  await using upstream = await startUpstream(HOSTS, REPLY);
  await using dir = await tempDir();
  const tree = await project(dir.path, upstream.subnet);
  const e = { ...(await env(upstream)), BOT_BOTTLE_MANIFEST: join(dir.path, "bot-bottle.yaml") };
  const up = await runBotBottle(["up", "claude", "--cwd"], { cwd: tree, env: e });
  assert.equal(up.code, 0, up.stderr);
  const name = up.stdout.trim();
  assert.match(name, /^claude-[a-z0-9]{6}$/, "up prints only the bottle name on stdout");
  const agent = `bot-bottle-${name}-agent`;

  let down: Awaited<ReturnType<typeof runBotBottle>>;
  try {
    await t.step("claude -p through exec reaches the fake with the real key", async () => {
      const r = await runBotBottle(["exec", name, "--", "claude", "-p", "Say hello"], { env: e });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(REPLY));
    });

    await t.step("the key is in no process environment, no file, no inspect output", async () => {
      for (const user of ["0:0", "1000:1000"]) {
        const env = await agentExec(
          name,
          user,
          "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'",
        );
        assert.match(env.stdout, /HTTPS_PROXY=http:\/\//, `environments were readable as ${user}`);
        assert.match(env.stdout, /ANTHROPIC_API_KEY=bot-bottle-placeholder/);
        assert.ok(!env.stdout.includes(KEY), `key in a process environment (as ${user})`);
      }
      const files = await agentExec(
        name,
        "0:0",
        `grep -rlF -e ${
          JSON.stringify(KEY)
        } /etc /tmp /var /opt /usr/local /root 2>/dev/null; echo scanned`,
      );
      assert.equal(files.stdout.trim(), "scanned", `key found in: ${files.stdout}`);
      const home = await agentExec(
        name,
        "1000:1000",
        `grep -rlF -e ${
          JSON.stringify(KEY)
        } /home/node /tmp 2>/dev/null; grep -rlF 'bot-bottle test' /home/node/.bot-bottle-prompt.txt`,
      );
      assert.equal(
        home.stdout.trim(),
        "/home/node/.bot-bottle-prompt.txt",
        "only the sanity match, never the key",
      );
      const inspect = await captureRaw($`docker inspect ${agent}`);
      assert.equal(inspect.code, 0);
      assert.ok(!inspect.stdout.includes(KEY), "key in docker inspect of the agent");
      const bundleInspect = await captureRaw($`docker inspect ${`bot-bottle-${name}-bundle`}`);
      assert.ok(!bundleInspect.stdout.includes(KEY), "key in docker inspect of the bundle");
      // The config (the key, the CA's key) came on the bundle's stdin: not in its output,
      // and the CA's key (PKCS#8) is in no file there either; it lives in memory only.
      const bundleLogs = await captureRaw($`docker logs ${`bot-bottle-${name}-bundle`}`);
      const bundleOutput = bundleLogs.stdout + bundleLogs.stderr;
      assert.match(bundleOutput, /^bundle: ready$/m);
      assert.ok(!bundleOutput.includes(KEY), "the key in the bundle's output");
      assert.ok(!bundleOutput.includes("PRIVATE KEY"), "a private key in the bundle's output");
      const caKey = await captureRaw(
        $`docker exec ${`bot-bottle-${name}-bundle`} sh -c ${"grep -rlF 'BEGIN PRIVATE KEY' /var/lib/bot-bottle /tmp /home 2>/dev/null; echo scanned"}`,
      );
      assert.equal(caKey.stdout.trim(), "scanned", `the CA's key in bundle files: ${caKey.stdout}`);
      const plan = await runBotBottle(["plan", "claude", "--format", "json"], {
        cwd: tree,
        env: e,
      });
      assert.equal(plan.code, 0, plan.stderr);
      assert.ok(!plan.stdout.includes(KEY) && !plan.stderr.includes(KEY), "key in plan output");
      const logs = await runBotBottle(["logs", name, "--format", "json"], { env: e });
      assert.ok(!logs.stdout.includes(KEY), "key in the audit log");
    });

    await t.step(
      "a host outside the allowlist gets the proxy's reason, and it is logged",
      async () => {
        const plain = await runBotBottle([
          "exec",
          name,
          "--",
          "curl",
          "-sS",
          "-i",
          "http://denied.fake.test/",
        ], { env: e });
        assert.match(plain.stdout, /HTTP\/1\.1 403 Forbidden/);
        assert.match(
          plain.stdout,
          /bot-bottle: "denied\.fake\.test:80" is not in this bottle's egress allowlist/,
        );
        const tls = await runBotBottle([
          "exec",
          name,
          "--",
          "curl",
          "-sS",
          "https://denied.fake.test/",
        ], { env: e });
        assert.notEqual(tls.code, 0);
        assert.match(tls.stderr, /403/);
        const logs = await runBotBottle(["logs", name, "--format", "json"], { env: e });
        const entries = logs.stdout.trim().split("\n").map((l) => JSON.parse(l));
        assert.ok(
          entries.some((x) =>
            x.action === "deny" && x.host === "denied.fake.test" && x.port === 443
          ),
        );
        assert.ok(
          entries.some((x) =>
            x.action === "deny" && x.host === "denied.fake.test" && x.port === 80
          ),
        );
        assert.ok(entries.some((x) => x.action === "intercept" && x.host === "api.anthropic.com"));
        const text = await runBotBottle(["logs", name], { env: e });
        assert.match(text.stdout, /egress {2}DENY {2}denied\.fake\.test:443/);
      },
    );

    await t.step(
      "a burst of refusals is counted in full: the log writes 20 and a count of the rest",
      async () => {
        const r = await runBotBottle([
          "exec",
          name,
          "--",
          "sh",
          "-c",
          "for i in $(seq 25); do curl -s -m 3 -o /dev/null https://burst.fake.test/; done; echo sent",
        ], { env: e });
        assert.match(r.stdout, /sent/, r.stderr);
        // Read within the minute: the count of the rest is asked for before the log is read.
        const logs = await runBotBottle(["logs", name, "--format", "json"], { env: e });
        assert.equal(burstCount(logs.stdout), 25, logs.stdout);
      },
    );

    await t.step("server-sent events stream through the interception unbuffered", async () => {
      const r = await agentExec(
        name,
        "1000:1000",
        'curl -sSN https://api.anthropic.com/drip | while read -r line; do if [ -n "$line" ]; then echo "$(date +%s%N) $line"; fi; done',
      );
      assert.equal(r.code, 0, r.stderr);
      const [first, second] = r.stdout.trim().split("\n").map((l) => l.split(" "));
      assert.equal(first![2], "first");
      assert.equal(second![2], "second");
      const gapMs = (Number(second![0]) - Number(first![0])) / 1e6;
      assert.ok(gapMs > 1000, `the first event arrived ${gapMs} ms before the second, not with it`);
    });

    await t.step(
      "a Host header naming another host than the CONNECT authority is refused",
      async () => {
        const r = await agentExec(
          name,
          "1000:1000",
          "curl -sS --http1.1 -o /dev/stderr -w '%{http_code}' -H 'Host: plain.fake.test' https://api.anthropic.com/v1/models",
        );
        assert.equal(r.stdout, "421");
        assert.match(
          r.stderr,
          /Host "plain\.fake\.test" does not match the CONNECT authority "api\.anthropic\.com"/,
        );
        const fronted = (await upstream.received()).filter((x) => x.path === "/v1/models");
        assert.deepEqual(fronted, [], "nothing reached the upstream");
      },
    );

    await t.step("the agent image does not trust the build-time CA", async () => {
      const buildCa = (await buildCaEnv()).BOT_BOTTLE_BUILD_CA;
      if (!buildCa) return; // no build CA on this machine: nothing to leave behind
      const pem = await Deno.readTextFile(buildCa);
      const first = pem.split("-----END CERTIFICATE-----")[0]!.replace(
        /-----BEGIN CERTIFICATE-----|\s+/g,
        "",
      );
      const image =
        JSON.parse((await captureRaw($`docker inspect ${agent}`)).stdout)[0].Config.Image;
      const bundle = await captureRaw(
        $`docker run --rm --network none --entrypoint cat ${image} /etc/ssl/certs/ca-certificates.crt`,
      );
      assert.equal(bundle.code, 0, bundle.stderr);
      assert.ok(bundle.stdout.includes("BEGIN CERTIFICATE"));
      assert.ok(
        !bundle.stdout.replace(/\s+/g, "").includes(first),
        "the build CA is in the agent image's trust store",
      );
      // Nor in any layer: it was read in a build stage the images do not keep.
      const needle = first.slice(0, 60);
      for (const img of [image, `bot-bottle-${name}-bundle`]) {
        const tag = img.startsWith("bot-bottle-")
          ? JSON.parse((await captureRaw($`docker inspect ${img}`)).stdout)[0].Config.Image
          : img;
        assert.equal(await layersHolding(tag, needle), 0, `the build CA is in a layer of ${tag}`);
      }
    });

    await t.step(
      "DLP blocks a secret in a request's body, URL or headers, encoded or not, and logs the rule; the model route has one in its body cut out",
      async () => {
        const aws = "AK" + "IAQ3EGQ2VFOW7ZXM4N";
        const probes: [string, string[], RegExp][] = [
          ["body", ["-d", `{"notes":"${aws}"}`, "https://plain.fake.test/echo"], /in the body/],
          ["url", [`https://api.anthropic.com/echo?k=${aws}`], /in the url/],
          ["base64 header", [
            "-H",
            `x-data: ${btoa(`key=${aws}`)}`,
            "https://api.anthropic.com/echo",
          ], /in the header, base64-encoded/],
          ["plain HTTP URL", [`http://plain.fake.test/?k=${aws}`], /in the url/],
        ];
        for (const [what, args, where] of probes) {
          const r = await runBotBottle(["exec", name, "--", "curl", "-sS", "-i", ...args], {
            env: e,
          });
          assert.match(r.stdout, /^HTTP\/\S+ 403/m, what);
          assert.match(
            r.stdout,
            /request blocked: it carries AWS access key ID \(rule aws-access-key-id\)/,
            what,
          );
          assert.match(r.stdout, where, what);
          assert.ok(
            !r.stdout.includes(aws) || what === "none",
            `${what}: the refusal repeats the secret`,
          );
        }
        // A host variable the manifest marks secret, as if the agent had found it in a file.
        const db = await runBotBottle(
          [
            "exec",
            name,
            "--",
            "curl",
            "-sS",
            "-i",
            "-d",
            `{"found":"${DB_PASSWORD}"}`,
            "https://plain.fake.test/echo",
          ],
          { env: e },
        );
        assert.match(db.stdout, /^HTTP\/\S+ 403/m);
        assert.match(
          db.stdout,
          /a secret of this bottle \(rule bottle-credential\) in the body/,
        );
        // The agent's model route: what is written as it is gets cut out, and the request
        // goes; one percent-encoded, with the run it is written in.
        const cut = await runBotBottle(
          [
            "exec",
            name,
            "--",
            "curl",
            "-sS",
            "-d",
            `{"notes":"found ${aws} and ${DB_PASSWORD} in a file, ${btoa(`id=${aws}`)}, k=${
              [...aws].map((c) => "%" + c.charCodeAt(0).toString(16)).join("")
            }"}`,
            "https://api.anthropic.com/echo",
          ],
          { env: e },
        );
        assert.equal(cut.code, 0, cut.stderr);
        assert.equal(
          JSON.parse(JSON.parse(cut.stdout).body).notes,
          "found [secret cut out by bot-bottle] and [secret cut out by bot-bottle] in a file, [secret cut out by bot-bottle], [secret cut out by bot-bottle]",
        );
        const plan = await runBotBottle(["plan", "claude", "--format", "json"], {
          cwd: tree,
          env: e,
        });
        assert.deepEqual(JSON.parse(plan.stdout).egress.secrets, ["BB_TEST_DB_PASSWORD"]);
        assert.ok(
          !plan.stdout.includes(DB_PASSWORD),
          "the plan names the variable, never its value",
        );
        const reached = (await upstream.received()).filter((x) =>
          JSON.stringify(x).includes(aws) || JSON.stringify(x).includes(DB_PASSWORD)
        );
        assert.deepEqual(reached, [], "no secret reached the upstream");
        const logs = await runBotBottle(["logs", name, "--format", "json"], { env: e });
        const entries = logs.stdout.trim().split("\n").map((l) => JSON.parse(l));
        assert.equal(entries.filter((x) => x.action === "dlp-block").length, 5);
        assert.deepEqual(
          entries.filter((x) => x.action === "dlp-cut").map((x) => [x.host, x.rules]),
          [[
            "api.anthropic.com",
            [
              "aws-access-key-id@body",
              "bottle-credential@body",
              "aws-access-key-id@body/base64",
              "aws-access-key-id@body/url",
            ],
          ]],
        );
        assert.ok(!logs.stdout.includes(aws), "the log names rules, never the secret");
      },
    );

    await t.step(
      "an injected credential echoed back by the upstream is scrubbed before the agent sees it",
      async () => {
        const r = await runBotBottle([
          "exec",
          name,
          "--",
          "curl",
          "-sS",
          "https://api.anthropic.com/echo",
        ], { env: e });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout).xApiKey, "[redacted by bot-bottle]");
        assert.ok(!r.stdout.includes(KEY));
        const echoed = (await upstream.received()).filter((x) => x.path === "/echo");
        assert.equal(echoed.at(-1)!.xApiKey, KEY, "the upstream did get the real key");
      },
    );

    await t.step("logs --follow prints new decisions as they happen", async () => {
      const { toolRunFlags, ROOT } = await import("../helpers.ts");
      const follower = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          ...toolRunFlags(),
          join(ROOT, "main.ts"),
          "logs",
          name,
          "--follow",
        ],
        env: { ...e, NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = follower.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      const marker = `follow-${crypto.randomUUID().slice(0, 6)}.fake.test`;
      const deadline = Date.now() + 30_000;
      let requested = false;
      // One read in flight at a time: a read left behind by the timeout keeps its chunk.
      let reading = reader.read();
      while (!seen.includes(marker) && Date.now() < deadline) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const next = await Promise.race([
          reading,
          new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 1000))),
        ]);
        clearTimeout(timer);
        if (next?.done) break;
        if (next) {
          seen += next.value;
          reading = reader.read();
        }
        if (!requested && seen.includes("READY")) {
          requested = true;
          await agentExec(name, "1000:1000", `curl -s -o /dev/null http://${marker}/`);
        }
      }
      follower.kill("SIGINT");
      await reader.cancel();
      const status = await follower.status;
      await follower.stderr.cancel();
      assert.match(seen, new RegExp(`egress {2}DENY {2}${marker.replaceAll(".", "\\.")}:80`));
      assert.equal(status.code, 130);
    });

    await t.step("an allowed host is reached through the proxy", async () => {
      const r = await runBotBottle(["exec", name, "--", "curl", "-sS", "http://plain.fake.test/"], {
        env: e,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "plain hello from plain.fake.test\n");
    });

    await t.step("the host holds no address on the bottle's internal network", async () => {
      const subnet = JSON.parse(
        (await captureRaw($`docker network inspect ${`bot-bottle-${name}-internal`}`)).stdout,
      )[0]
        .IPAM.Config[0].Subnet as string;
      const prefix = subnet.split(".").slice(0, 3).join(".");
      const onHost = Deno.networkInterfaces().filter((i) =>
        i.family === "IPv4" && i.address.startsWith(`${prefix}.`)
      );
      const { parseCidr, overlaps } = await import("../../lib/net/subnet.ts");
      const inside = onHost.filter((i) =>
        overlaps(parseCidr(`${i.address}/32`), parseCidr(subnet))
      );
      assert.deepEqual(
        inside,
        [],
        "a host interface in the bottle's subnet is reachable from the agent",
      );
    });

    await t.step("a direct connection that skips the proxy fails", async () => {
      const direct = await runBotBottle([
        "exec",
        name,
        "--",
        "curl",
        "-sS",
        "--noproxy",
        "*",
        "--max-time",
        "5",
        `http://${upstream.ip}/`,
      ], { env: e });
      assert.notEqual(direct.code, 0, "the fake's address must be unreachable from the agent");
      const byName = await runBotBottle(
        [
          "exec",
          name,
          "--",
          "curl",
          "-sS",
          "--noproxy",
          "*",
          "--max-time",
          "5",
          "http://plain.fake.test/",
        ],
        { env: e },
      );
      assert.notEqual(byName.code, 0);
      assert.match(byName.stderr, /resolv/i, "outside names do not resolve in the agent");
    });

    await t.step(
      "prompt, skills and the working tree arrive with the right owner and mode",
      async () => {
        const r = await agentExec(
          name,
          "1000:1000",
          "stat -c '%U %a %n' /home/node/.bot-bottle-prompt.txt /home/node/.claude/skills/review/SKILL.md " +
            "/home/node/.claude/skills/review/scripts/run.sh /home/node/workspace/README.md /home/node/workspace/.git/HEAD && " +
            "cat /home/node/.bot-bottle-prompt.txt && echo && git -C /home/node/workspace log --format=%s",
        );
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.trim().split("\n");
        assert.equal(lines[0], "node 600 /home/node/.bot-bottle-prompt.txt");
        assert.match(lines[1]!, /^node 6\d\d \/home\/node\/\.claude\/skills\/review\/SKILL\.md$/);
        assert.match(lines[2]!, /^node 7\d\d .*run\.sh$/, "the skill's executable bit is kept");
        assert.match(lines[3]!, /^node \d+ \/home\/node\/workspace\/README\.md$/);
        assert.match(lines[4]!, /^node \d+ \/home\/node\/workspace\/\.git\/HEAD$/);
        assert.equal(lines[5], "You are inside a bot-bottle test. Be brief.");
        assert.equal(lines[6], "first");
      },
    );

    await t.step("the agent has no capabilities and cannot gain privileges", async () => {
      const r = await agentExec(
        name,
        "1000:1000",
        "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status",
      );
      assert.match(r.stdout, /CapEff:\s+0+\n/);
      assert.match(r.stdout, /CapBnd:\s+0+\n/);
      assert.match(r.stdout, /NoNewPrivs:\s+1/);
    });

    await t.step("the agent and the bundle have memory and process limits", async () => {
      const limits = async (role: string) =>
        (await captureRaw(
          $`docker inspect --format ${"{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}"} ${`bot-bottle-${name}-${role}`}`,
        )).stdout.trim();
      assert.equal(await limits("agent"), `${8 * 2 ** 30} 4096`);
      assert.equal(await limits("bundle"), `${2 ** 30} 512`);
    });

    await t.step("exec passes the guest's exit code through", async () => {
      const r = await runBotBottle(["exec", name, "--", "sh", "-c", "exit 7"], { env: e });
      assert.equal(r.code, 7);
    });

    await t.step("ls lists the bottle", async () => {
      const r = await runBotBottle(["ls", "--format", "json"], { env: e });
      assert.equal(r.code, 0, r.stderr);
      const row = JSON.parse(r.stdout).find((b: { name: string }) => b.name === name);
      assert.deepEqual({ ...row, created: undefined }, {
        name,
        agent: "claude",
        backend: "docker",
        status: "running",
        mode: "up",
        created: undefined,
      });
    });
  } finally {
    down = await runBotBottle(["down", name], { env: e });
  }
  // Asserted once the bottle is down: a failed step above is not hidden by these.
  assert.equal(down.code, 0, down.stderr);
  // The person is told what the proxy refused: rules and hosts, never a secret.
  assert.match(down.stderr, new RegExp(`While ${name} ran, the bottle refused`));
  assert.match(
    down.stderr,
    /\d+ requests carrying a secret \(aws-access-key-id, bottle-credential[^)]*\) to [^\n]*api\.anthropic\.com/,
  );
  assert.ok(!down.stderr.includes(DB_PASSWORD) && !down.stderr.includes(KEY), down.stderr);
  assert.match(down.stderr, /burst\.fake\.test \(25\)/);
  assert.deepEqual(await leftOf(name), [], "nothing remains after down");
  // The audit log outlives the bottle: saved before its bundle went.
  const saved = await runBotBottle(["logs", name, "--format", "json"], { env: e });
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal(burstCount(saved.stdout), 25, "the kept log counts the burst once, in full");
  const entries = saved.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(
    entries.some((x) => x.action === "ready") && entries.some((x) => x.kind === "egress"),
    saved.stdout.slice(0, 500),
  );
  const again = await runBotBottle(["down", name], { env: e });
  assert.equal(again.code, 0, "down is idempotent");
  // And says so: a mistyped name is not "Removed".
  assert.match(again.stderr, new RegExp(`No bottle ${name} here: nothing to remove`));
  assert.doesNotMatch(again.stderr, /Removed/);
});

dockerTest("a missing skill stops start before anything is created", async () => {
  await using upstream = await startUpstream(HOSTS, REPLY);
  await using dir = await tempDir();
  await project(dir.path, upstream.subnet);
  await Deno.remove(join(dir.path, "skills/review"), { recursive: true });
  await using docker = await recordingDocker();
  const r = await runBotBottle(["start", "claude", "--", "-p", "hi"], {
    cwd: dir.path,
    env: { ...(await env(upstream)), ...docker.env },
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Skill "review": ".*skills\/review" not found/);
  const calls = await docker.calls();
  assert.deepEqual(calls.filter((c) => !READ_ONLY_DOCKER.test(c)), [], calls.join("\n"));
});

dockerTest(
  "a skill file holding a secret stops start, naming the file, and nothing is left",
  async () => {
    await using upstream = await startUpstream(HOSTS, REPLY);
    await using dir = await tempDir();
    await project(dir.path, upstream.subnet);
    // Built at run time so that this file itself holds nothing a scanner would flag.
    const token = "ghp_" + crypto.randomUUID().replaceAll("-", "").slice(0, 30) + "Zq8Lw2";
    await Deno.writeTextFile(join(dir.path, "skills/review/notes.md"), `push with ${token}\n`);
    const r = await runBotBottle(["start", "claude", "--", "-p", "hi"], {
      cwd: dir.path,
      env: await env(upstream),
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /skill "review": notes\.md:1 \(rule github-token\)/);
    assert.ok(!r.stderr.includes(token) && !r.stdout.includes(token), "the secret was printed");
    const name = /Starting bottle (claude-[a-z0-9]{6})/.exec(r.stderr)?.[1];
    assert.ok(name, r.stderr);
    const left = await captureRaw(
      $`docker ps --all --quiet --filter ${`label=bot-bottle.bottle=${name}`}`,
    );
    const nets = await captureRaw(
      $`docker network ls --quiet --filter ${`label=bot-bottle.bottle=${name}`}`,
    );
    assert.equal((left.stdout + nets.stdout).trim(), "", "nothing of the bottle is left");
  },
);

/** The state directory of the bottles started in the project directory `cwd`. */
const stateOf = (cwd: string) => join(cwd, "state");

/** Starts `start` with a prompt the fake never answers; resolves once claude is waiting. */
async function hangingStart(
  upstream: Upstream,
  cwd: string,
  extraEnv: Record<string, string> = {},
): Promise<{ child: Deno.ChildProcess; name: string }> {
  const { toolRunFlags, ROOT } = await import("../helpers.ts");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...toolRunFlags(),
      join(ROOT, "main.ts"),
      "start",
      "claude",
      "--",
      "-p",
      "SLOW: wait for me",
    ],
    cwd,
    env: {
      ...(await env(upstream)),
      NO_COLOR: "1",
      BOT_BOTTLE_STATE_DIR: stateOf(cwd),
      ...extraEnv,
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  for (let i = 0; i < 600; i++) {
    const waiting = (await upstream.received()).some((x) =>
      String(x.body).includes("SLOW: wait for me")
    );
    const name = waiting ? await bottleOf(stateOf(cwd)) : undefined;
    if (name) return { child, name };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill("SIGKILL");
  throw new Error("start never reached the fake API");
}

// The three signals, each to its own bottle, side by side.
dockerTest(
  "SIGTERM and SIGHUP to a running start each remove the bottle and exit 130",
  async () => {
    // SIGINT, mid-session with work to bring home: workspace_test.ts.
    await Promise.all((["SIGTERM", "SIGHUP"] as const).map(async (signal) => {
      await using upstream = await startUpstream(HOSTS, REPLY);
      await using dir = await tempDir();
      await project(dir.path, upstream.subnet);
      const { child, name } = await hangingStart(upstream, dir.path);
      child.kill(signal);
      const output = await child.output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 130, `${signal}: ${stderr}`);
      assert.match(stderr, new RegExp(`Interrupted by ${signal}`));
      assert.deepEqual(
        await leftOf(name),
        [],
        `${signal} left the bottle`,
      );
    }));
  },
);

dockerTest(
  "the bundle killed mid-session: the agent is cut off, start says so and removes the bottle",
  async () => {
    await using upstream = await startUpstream(HOSTS, REPLY);
    await using dir = await tempDir();
    await project(dir.path, upstream.subnet);
    const { child, name } = await hangingStart(upstream, dir.path);
    const kill = await captureRaw($`docker kill ${`bot-bottle-${name}-bundle`}`);
    assert.equal(kill.code, 0, kill.stderr);
    const stderr = new TextDecoder().decode(
      await new Response(child.stderr).arrayBuffer().then((b) => new Uint8Array(b)),
    );
    const status = await child.status;
    assert.equal(status.code, 1, stderr);
    assert.match(
      stderr,
      new RegExp(`The bundle of ${name} stopped while Claude Code ran: the agent was cut off`),
    );
    assert.deepEqual(await leftOf(name), [], "the bottle was removed");
  },
);

dockerTest(
  "cleanup removes what a killed start left (no reaper), and says what it leaves alone",
  async () => {
    await using upstream = await startUpstream(HOSTS, REPLY);
    await using dir = await tempDir();
    await project(dir.path, upstream.subnet);
    const { child, name } = await hangingStart(upstream, dir.path, { BOT_BOTTLE_NO_REAPER: "1" });
    child.kill("SIGKILL");
    await child.status;
    await child.stderr.cancel();
    // cleanup sweeps the engine, so it runs alone; until the sweep may begin, the test
    // keeps the dead start's heartbeat fresh, as a live owner would.
    const heartbeat = join(stateOf(dir.path), "heartbeats", name);
    const touch = () => Deno.utime(heartbeat, new Date(), new Date()).catch(() => {});
    await touch();
    const beat = setInterval(touch, 1000);
    const state = { env: { BOT_BOTTLE_STATE_DIR: stateOf(dir.path) } };
    using _ = { [Symbol.dispose]: () => clearInterval(beat) };
    await exclusively(async () => {
      clearInterval(beat);
      // With its heartbeat still fresh, cleanup must leave the bottle be, and say why;
      // once the heartbeat is stale, cleanup removes it.
      const early = await runBotBottle(["cleanup"], state);
      assert.equal(early.code, 0, early.stderr);
      assert.match(
        early.stderr,
        new RegExp(`Left alone: .*${name} \\(still owned by a live process\\)`),
      );
      assert.notDeepEqual(
        await leftOf(name),
        [],
        "a fresh heartbeat protects the bottle",
      );
      // Stale as the dead owner leaves it, without the wait (the whole engine is held):
      // its last beat is set back past HEARTBEAT_STALE_MS.
      const past = new Date(Date.now() - HEARTBEAT_STALE_MS - 5_000);
      await Deno.utime(heartbeat, past, past);
      const r = await runBotBottle(["cleanup"], state);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`Removed ${name}`),
        "cleanup removed the crashed bottle once its heartbeat went stale",
      );
    });
    assert.deepEqual(await leftOf(name), []);
  },
);

dockerTest("a launch that fails half-way removes what it created and exits 1", async () => {
  await using upstream = await startUpstream(HOSTS, REPLY);
  await using dir = await tempDir();
  await project(dir.path, upstream.subnet);
  await using docker = await recordingDocker();
  const e = {
    ...(await env(upstream)),
    ...docker.env,
    BOT_BOTTLE_EGRESS_NETWORK: "bot-bottle-test-no-such-network",
  };
  const r = await runBotBottle(["start", "claude", "--", "-p", "hi"], { cwd: dir.path, env: e });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /BOT_BOTTLE_EGRESS_NETWORK: network "bot-bottle-test-no-such-network" does not exist/,
  );
  // What it created (by its own calls: other tests share the engine) is gone again.
  const calls = await docker.calls();
  const created = calls.flatMap((c) => /^network create .* (\S+)$/.exec(c)?.[1] ?? []);
  assert.ok(created.length > 0, `the internal network was created first:\n${calls.join("\n")}`);
  for (const network of created) {
    const r = await captureRaw($`docker network inspect ${network}`);
    assert.notEqual(r.code, 0, `network ${network} was left behind`);
  }
  const name = /Starting bottle (\S+)/.exec(r.stderr)?.[1];
  assert.ok(name, r.stderr);
  assert.deepEqual(await leftOf(name), [], "nothing of it remains");
});

dockerTest(
  "cleanup removes a bottle an engine restart stopped, and down --all every bottle",
  async () => {
    await using upstream = await startUpstream(HOSTS, REPLY);
    await using dir = await tempDir();
    await project(dir.path, upstream.subnet);
    const e = { ...(await env(upstream)), BOT_BOTTLE_MANIFEST: join(dir.path, "bot-bottle.yaml") };
    const names: string[] = [];
    for (let i = 0; i < 2; i++) {
      const up = await runBotBottle(["up", "claude"], { cwd: dir.path, env: e });
      assert.equal(up.code, 0, up.stderr);
      names.push(up.stdout.trim());
    }
    // Whole `up` bottles are left alone by any cleanup; from here the test sweeps the
    // engine, so it runs alone.
    await exclusively(async () => {
      // An engine restart stops every container without a restart policy; networks stay.
      const [stopped, ...whole] = names as [string, ...string[]];
      const stop = await captureRaw(
        $`docker stop --time 0 ${`bot-bottle-${stopped}-agent`} ${`bot-bottle-${stopped}-bundle`}`,
      );
      assert.equal(stop.code, 0, stop.stderr);
      const clean = await runBotBottle(["cleanup"], { env: e });
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stderr, new RegExp(`Removed ${stopped}`));
      assert.deepEqual(await leftOf(stopped), []);
      for (const name of whole) {
        assert.match(clean.stderr, new RegExp(`${name} \\(started with up and whole`));
        assert.notDeepEqual(
          await leftOf(name),
          [],
          "a whole bottle stays",
        );
      }
      const r = await runBotBottle(["down", "--all"], { env: e });
      assert.equal(r.code, 0, r.stderr);
      for (const name of names) assert.deepEqual(await leftOf(name), []);
      const usage = await runBotBottle(["down"], { env: e });
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /needs a bottle NAME or --all/);
    });
  },
);

dockerTest(
  "an allowed name that resolves to a private address is refused unless its range is allowed",
  async () => {
    await using upstream = await startUpstream(HOSTS, REPLY);
    await using dir = await tempDir();
    await project(dir.path, upstream.subnet);
    const text = await Deno.readTextFile(join(dir.path, "bot-bottle.yaml"));
    await Deno.writeTextFile(
      join(dir.path, "bot-bottle.yaml"),
      text.replace(/ +allow_private: .*\n/, ""),
    );
    const e = { ...(await env(upstream)), BOT_BOTTLE_MANIFEST: join(dir.path, "bot-bottle.yaml") };
    const up = await runBotBottle(["up", "claude"], { cwd: dir.path, env: e });
    assert.equal(up.code, 0, up.stderr);
    const name = up.stdout.trim();
    try {
      const plain = await runBotBottle([
        "exec",
        name,
        "--",
        "curl",
        "-sS",
        "-i",
        "http://plain.fake.test/",
      ], { env: e });
      assert.match(plain.stdout, /403 Forbidden/);
      assert.match(
        plain.stdout,
        new RegExp(
          `"plain\\.fake\\.test" resolves to ${
            upstream.ip.replaceAll(".", "\\.")
          }, a private or local address`,
        ),
      );
      const route = await runBotBottle([
        "exec",
        name,
        "--",
        "curl",
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "https://api.anthropic.com/v1/models",
      ], { env: e });
      assert.equal(route.stdout, "403", "an intercepted route is checked too");
      assert.deepEqual(
        (await upstream.received()).filter((x) => x.path === "/v1/models"),
        [],
        "nothing reached the upstream",
      );
      const logs = await runBotBottle(["logs", name, "--format", "json"], { env: e });
      assert.match(logs.stdout, /a private or local address this bottle does not allow/);
    } finally {
      await runBotBottle(["down", name], { env: e });
    }
  },
);
