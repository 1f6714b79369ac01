/**
 * The git gate's promises, against a real git server over SSH on a hermetic network:
 * the agent clones and pushes its upstream URL through the gate; a clean push lands;
 * secrets and force-pushes are refused with a readable reason and upstream is left
 * unchanged; the agent holds no private key; an unknown host key fails closed.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { $, captureRaw } from "../shell.ts";
import { runBotBottle, tempDir } from "../helpers.ts";
import { dockerTest, leftOf } from "./docker.ts";
import { startGitServer } from "./git_server.ts";
import { startUpstream, upstreamEnv } from "./upstream.ts";

const UPSTREAM = "git@git.fake.test:project.git";

function manifest(identity: string, knownHosts: string): string {
  return `
bottles:
  dev:
    egress:
      routes:
        - host: api.anthropic.com
          headers:
            x-api-key: { env: ANTHROPIC_API_KEY }
    git:
      - name: project
        upstream: ${UPSTREAM}
        identity_file: ${identity}
        known_hosts: ${knownHosts}
        protected_paths: [".github/workflows/**"]
    supervise: true
agents:
  claude:
    bottle: dev
`;
}

async function inAgent(name: string, script: string, user = "1000:1000") {
  return await captureRaw(
    $`docker exec --user ${user} ${`bot-bottle-${name}-agent`} sh -c ${script}`,
    "2m",
  );
}

dockerTest(
  "the git gate clones, forwards clean pushes, and refuses secrets and force-pushes",
  async (t) => {
    await using upstream = await startUpstream(["api.anthropic.com"], "ok");
    await using dir = await tempDir();
    await using server = await startGitServer(upstream.network, dir.path);
    await Deno.writeTextFile(
      join(dir.path, "bot-bottle.yaml"),
      manifest(server.identityFile, server.knownHostsFile),
    );
    // A working tree whose origin is the upstream, for --cwd.
    const tree = join(dir.path, "tree");
    await Deno.mkdir(tree);
    for (const args of [["init", "-q", "-b", "work"], ["remote", "add", "origin", UPSTREAM]]) {
      await captureRaw($`git -C ${tree} ${args}`);
    }
    const env = {
      ANTHROPIC_API_KEY: "sk-ant-gate-test-credential-value",
      BOT_BOTTLE_MANIFEST: join(dir.path, "bot-bottle.yaml"),
      ...(await upstreamEnv(upstream)),
    };
    const up = await runBotBottle(["up", "claude", "--cwd"], { cwd: tree, env });
    assert.equal(up.code, 0, up.stderr);
    const name = up.stdout.trim();
    try {
      await t.step("git clone of the upstream URL works in the agent", async () => {
        const r = await inAgent(
          name,
          `cd /tmp && git clone -q ${UPSTREAM} c && cat c/README.md && git -C c log --format=%s`,
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "# upstream project\nupstream: first\n");
      });

      await t.step("a clean commit pushed lands upstream", async () => {
        const r = await inAgent(
          name,
          "cd /tmp/c && echo hello > hello.txt && git add hello.txt && git commit -qm 'agent: clean' && git push -q origin main",
        );
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(await server.log("project"), ["agent: clean", "upstream: first"]);
      });

      await t.step("fetch serves upstream's current state", async () => {
        await server.run(
          "set -e; t=$(mktemp -d); git clone -q /home/git/project.git $t/w; cd $t/w; echo u > up.txt; git add up.txt; " +
            "git -c user.name=up -c user.email=up@x.invalid commit -qm 'upstream: later'; git push -q origin main",
        );
        const r = await inAgent(
          name,
          "cd /tmp/c && git pull -q --rebase origin main && git log --format=%s -1",
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), "upstream: later");
      });

      await t.step("a push upstream rejects is a failed push for the agent", async () => {
        await server.run(
          'printf \'#!/bin/sh\\nwhile read o n r; do [ "$r" = refs/heads/frozen ] && echo "frozen is closed" && exit 1; done; exit 0\\n\' ' +
            "> /home/git/project.git/hooks/pre-receive && chmod +x /home/git/project.git/hooks/pre-receive",
        );
        const r = await inAgent(name, "cd /tmp/c && git push origin HEAD:refs/heads/frozen");
        assert.notEqual(r.code, 0, "the agent's push must fail");
        assert.match(r.stderr, /upstream rejected refs\/heads\/frozen/);
        assert.match(r.stderr, /frozen is closed/);
        assert.deepEqual(await server.log("project", "frozen"), []);
      });

      const refused = async (what: string, script: string, rule: RegExp) => {
        const before = await server.log("project");
        const r = await inAgent(name, `cd /tmp/c && ${script} && git push origin main`);
        assert.notEqual(r.code, 0, `${what} was accepted`);
        assert.match(r.stderr, /bot-bottle gate: push refused; nothing was sent upstream/);
        assert.match(r.stderr, rule);
        assert.deepEqual(await server.log("project"), before, `${what} changed upstream`);
        await inAgent(name, "cd /tmp/c && git reset -q --hard origin/main");
        return r.stderr;
      };

      await t.step(
        "a commit adding an AWS access key is refused with file, line and rule, never the key",
        async () => {
          const key = "AK" + "IAQ3EGQ2VFOW7ZXM4N";
          const stderr = await refused(
            "an AWS key",
            `printf '# prod\\nAWS_ACCESS_KEY_ID=${key}\\n' > prod.env && git add prod.env && git commit -qm 'agent: config'`,
            /commit [0-9a-f]{12} prod\.env:2: AWS access key ID \(rule aws-access-key-id\)/,
          );
          assert.ok(!stderr.includes(key), "the refusal does not repeat the secret");
        },
      );

      await t.step(
        "a token hidden in base64 is found by the same decoding layer as the DLP's",
        async () => {
          const encoded = btoa("token: gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5");
          await refused(
            "a base64-encoded GitHub token",
            `echo '${encoded}' > gh.txt && git add gh.txt && git commit -qm 'agent: gh'`,
            /gh\.txt:1: GitHub token, base64-encoded \(rule github-token\)/,
          );
        },
      );

      await t.step("a commit adding a private key is refused", async () => {
        await refused(
          "a private key",
          `node -e "process.stdout.write(require('crypto').generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }))" > id_test && git add id_test && git commit -qm 'agent: key'`,
          /id_test:1: private key \(rule private-key\)/,
        );
      });

      await t.step("a commit carrying the bottle's own credential is refused", async () => {
        await refused(
          "the bottle's credential",
          `echo 'key=${env.ANTHROPIC_API_KEY}' > notes.txt && git add notes.txt && git commit -qm 'agent: notes'`,
          /notes\.txt:1: .*\(rule (bottle-credential|anthropic-api-key)\)/,
        );
      });

      await t.step("a change to a protected path is refused", async () => {
        await refused(
          "a workflow change",
          "mkdir -p .github/workflows && echo 'on: push' > .github/workflows/ci.yml && git add .github && git commit -qm 'agent: ci'",
          /matches the protected path "\.github\/workflows\/\*\*"/,
        );
      });

      await t.step("a force-push is refused", async () => {
        const before = await server.log("project");
        const r = await inAgent(
          name,
          "cd /tmp/c && git reset -q --hard HEAD~1 && echo other > other.txt && git add other.txt && git commit -qm 'agent: rewrite' && git push -f origin main",
        );
        assert.notEqual(r.code, 0);
        assert.match(
          r.stderr,
          /force-push is not allowed \(rule|not a fast-forward, and force-push is not allowed/,
        );
        assert.deepEqual(await server.log("project"), before);
      });

      await t.step(
        "an approved request_push_override lets exactly that commit through to that ref, once",
        async () => {
          const made = await inAgent(
            name,
            "cd /tmp/c && git fetch -q origin && git reset -q --hard origin/main && echo 'fixture: AKIA" +
              "Q3EGQ2VFOW7ZXM4N' > fixture.txt && git add fixture.txt && " +
              "git commit -qm 'agent: test fixture' && git rev-parse HEAD && git push -q origin main",
          );
          assert.notEqual(made.code, 0, "the first push is refused");
          const sha = made.stdout.trim();
          const bundleIp = (await captureRaw(
            $`docker inspect --format ${`{{(index .NetworkSettings.Networks "bot-bottle-${name}-internal").IPAddress}}`} ${`bot-bottle-${name}-bundle`}`,
          )).stdout.trim();
          const override = (args: Record<string, string>) =>
            captureRaw(
              $`docker exec --user 1000:1000 ${`bot-bottle-${name}-agent`} curl -sS -X POST ${`http://${bundleIp}:9100/`} -H ${"content-type: application/json"} -H ${"accept: application/json, text/event-stream"} -d ${
                JSON.stringify({
                  jsonrpc: "2.0",
                  id: 1,
                  method: "tools/call",
                  params: { name: "request_push_override", arguments: args },
                })
              }`,
              "2m",
            );
          const reason = "a test fixture, not a key";
          const short = await override({
            repo: "project",
            ref: "main",
            commit: sha.slice(0, 7),
            reason,
          });
          assert.match(short.stdout, /"isError":true/, "a commit prefix is refused");
          const traversal = await override({
            repo: "../project",
            ref: "main",
            commit: sha,
            reason,
          });
          assert.match(traversal.stdout, /not a repository of this gate/);
          const elsewhere = await override({ repo: "project", ref: "other", commit: sha, reason });
          assert.match(
            elsewhere.stdout,
            /has not refused a push of [0-9a-f]{40} to refs\/heads\/other/,
          );
          const reply = override({ repo: "project", ref: "main", commit: sha, reason });
          let id = "";
          for (let i = 0; i < 100 && !id; i++) {
            const list = JSON.parse(
              (await runBotBottle(["supervise", "--format", "json"], { env })).stdout,
            );
            id = list.find((r: { kind: string }) => r.kind === "push-override")?.id ?? "";
            if (!id) await new Promise((r) => setTimeout(r, 200));
          }
          assert.ok(id, "the override request reached the host");
          const shown = await runBotBottle(["supervise"], { env });
          assert.equal(shown.code, 0, shown.stderr);
          assert.match(
            shown.stdout,
            new RegExp(
              `asks to push commit ${sha} to refs/heads/main of project despite the gate, once`,
            ),
          );
          assert.match(
            shown.stdout,
            /gate found: commit [0-9a-f]{12} fixture\.txt:1: AWS access key ID/,
          );
          assert.equal((await runBotBottle(["supervise", "approve", id], { env })).code, 0);
          assert.match(
            (await reply).stdout,
            /approved\. Push commit [0-9a-f]{40} to refs\/heads\/main in project again \(once\)\./,
          );
          const other = await inAgent(
            name,
            "cd /tmp/c && git push -q origin HEAD:refs/heads/other",
          );
          assert.notEqual(other.code, 0, "the override is for main only");
          const again = await inAgent(name, "cd /tmp/c && git push -q origin main");
          assert.equal(again.code, 0, again.stderr);
          assert.equal((await server.log("project"))[0], "agent: test fixture");
        },
      );

      await t.step("the copied working tree has the entry as a remote by its name", async () => {
        const r = await inAgent(
          name,
          "cd /home/node/workspace && git fetch -q project && git checkout -q -b feature project/main && echo f > f.txt && git add f.txt && git commit -qm 'agent: from cwd' && git push -q project feature",
        );
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(await server.log("project", "feature"), [
          "agent: from cwd",
          "agent: test fixture",
          "upstream: later",
          "agent: clean",
          "upstream: first",
        ]);
      });

      await t.step(
        "the agent holds no private key: not in files, environment or an ssh-agent",
        async () => {
          const pub = (await Deno.readTextFile(`${server.identityFile}.pub`)).split(" ")[1]!;
          const keyBody = (await Deno.readTextFile(server.identityFile)).split("\n")[1]!;
          for (const user of ["0:0", "1000:1000"]) {
            const r = await inAgent(
              name,
              `grep -rlF -e '${keyBody}' -e '${pub}' / --exclude-dir=proc --exclude-dir=sys 2>/dev/null; ` +
                `cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c SSH_AUTH_SOCK; ls /home/node/.ssh 2>&1`,
              user,
            );
            assert.equal(
              r.stdout.trim(),
              "0\nls: cannot access '/home/node/.ssh': No such file or directory",
              `as ${user}: ${r.stdout}`,
            );
          }
        },
      );

      await t.step("every fetch and push, accepted or refused, is in the audit log", async () => {
        const r = await runBotBottle(["logs", name, "--format", "json"], { env });
        const entries = r.stdout.trim().split("\n").map((l) => JSON.parse(l)).filter((e) =>
          e.kind === "git"
        );
        const actions = new Set(entries.map((e) => e.action));
        for (const action of ["mirror", "fetch", "push-attempt", "push", "refuse"]) {
          assert.ok(actions.has(action), action);
        }
        const rules = new Set(
          entries.filter((e) => e.action === "refuse").map((e) => e.rule),
        );
        for (
          const rule of ["aws-access-key-id", "private-key", "protected-path", "no-force-push"]
        ) {
          assert.ok(rules.has(rule), rule);
        }
        assert.ok(!r.stdout.includes(env.ANTHROPIC_API_KEY), "no credential in the log");
      });

      await t.step("down tells the person what the gate refused, by rule", async () => {
        const down = await runBotBottle(["down", name], { env });
        assert.equal(down.code, 0, down.stderr);
        assert.match(
          down.stderr,
          /While \S+ ran, the bottle refused[^\n]*\n(?:.*\n)* {2}\d+ refs pushed to project, at the git gate \([^)]*aws-access-key-id[^)]*\)/,
        );
        assert.ok(!down.stderr.includes(env.ANTHROPIC_API_KEY));
      });
    } finally {
      await runBotBottle(["down", name], { env });
    }
  },
);

dockerTest("an unknown upstream host key fails the start closed", async () => {
  await using upstream = await startUpstream(["api.anthropic.com"], "ok");
  await using dir = await tempDir();
  await using server = await startGitServer(upstream.network, dir.path);
  await Deno.writeTextFile(
    join(dir.path, "bot-bottle.yaml"),
    manifest(server.identityFile, server.wrongKnownHostsFile),
  );
  const env = {
    ANTHROPIC_API_KEY: "sk-ant-gate-test",
    ...(await upstreamEnv(upstream)),
  };
  const r = await runBotBottle(["start", "claude", "--", "-p", "hi"], { cwd: dir.path, env });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /The bundle stopped before it was ready/);
  assert.match(
    r.stderr,
    /git gate "project": fetching git@git\.fake\.test:project\.git: .*Host key verification failed/s,
  );
  const name = /Starting bottle (claude-[a-z0-9]{6})/.exec(r.stderr)![1]!;
  assert.deepEqual(await leftOf(name), [], "nothing of the bottle remains");
});
