/**
 * Ways past the git gate a review found, each pushed from inside a real agent through
 * the real gate to a real sshd upstream: a token in a file git calls binary, in a
 * commit message (in a signature block too), in the author field, in an annotated tag,
 * in a lightweight tag pointing straight at a blob; a protected path with a non-ASCII
 * name, reached by a rename or a mode change; a value the bottle marks secret; a token
 * in a file's or a branch's name. Each is refused with the file, message or tag named
 * and the token not repeated (nor logged), and afterwards the token is in none of the
 * upstream's objects or refs.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { $, captureRaw } from "../shell.ts";
import { runBotBottle, tempDir } from "../helpers.ts";
import { dockerTest } from "../integration/docker.ts";
import { startGitServer } from "../integration/git_server.ts";
import { startUpstream, upstreamEnv } from "../integration/upstream.ts";

const UPSTREAM = "git@git.fake.test:project.git";

function token(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return "ghp_" + Array.from(
    crypto.getRandomValues(new Uint8Array(36)),
    (b) => alphabet[b % alphabet.length],
  ).join("");
}

dockerTest(
  "pushes that hide a secret or touch a protected path are refused by the gate",
  async (t) => {
    await using upstream = await startUpstream(["api.anthropic.com"], "ok");
    await using dir = await tempDir();
    await using server = await startGitServer(upstream.network, dir.path);
    await Deno.writeTextFile(
      join(dir.path, "bot-bottle.yaml"),
      `
bottles:
  dev:
    egress:
      secrets: [BB_GATE_DB_PASSWORD]
      routes:
        - host: api.anthropic.com
          headers:
            x-api-key: { env: ANTHROPIC_API_KEY }
    git:
      - name: project
        upstream: ${UPSTREAM}
        identity_file: ${server.identityFile}
        known_hosts: ${server.knownHostsFile}
        protected_paths: [".github/workflows/**"]
agents:
  claude:
    bottle: dev
`,
    );
    const dbPassword = `pw-${crypto.randomUUID()}`;
    const env = {
      ANTHROPIC_API_KEY: "sk-ant-gate-bypass-test",
      BB_GATE_DB_PASSWORD: dbPassword,
      ...(await upstreamEnv(upstream)),
    };
    const up = await runBotBottle(["up", "claude"], { cwd: dir.path, env });
    assert.equal(up.code, 0, up.stderr);
    const name = up.stdout.trim();
    const tokens: string[] = [dbPassword];
    const sh = (script: string) =>
      captureRaw(
        $`docker exec --user 1000:1000 ${`bot-bottle-${name}-agent`} sh -c ${script}`,
        "2m",
      );
    /** Runs `script` in a fresh clone; expects its final push to be refused. */
    const refused = async (what: string, script: string, says: RegExp) => {
      const secret = token();
      tokens.push(secret);
      const r = await sh(
        `set -e; rm -rf /tmp/w; git clone -q ${UPSTREAM} /tmp/w; cd /tmp/w; S='${secret}'; ${script}`,
      );
      assert.notEqual(r.code, 0, `${what}: the push went through\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, says, `${what}: ${r.stderr}`);
      // What the gate says comes as `remote:` lines (git itself repeats a ref it was given).
      const gate = (r.stdout + r.stderr).split("\n").filter((l) => l.startsWith("remote:"));
      assert.ok(gate.length > 0 && !gate.join("\n").includes(secret), `${what}: repeated`);
    };
    try {
      await t.step("a token in a file git treats as binary", () =>
        refused(
          "binary",
          `printf 'x\\000y %s' "$S" > data.bin && git add data.bin && git commit -qm bin && git push -q origin main`,
          /data\.bin:1: GitHub token/,
        ));
      await t.step("a token in a commit message", () =>
        refused(
          "message",
          `echo a > a.txt && git add a.txt && git commit -qm "deploy with $S" && git push -q origin main`,
          /\(commit message\):1: GitHub token/,
        ));
      await t.step(
        "a token in what looks like a signature block of a commit message",
        () =>
          refused(
            "signature block",
            `echo c > c.txt && git add c.txt && git commit -qm "$(printf 'sign\n\n-----BEGIN PGP SIGNATURE-----\n%s\n-----END PGP SIGNATURE-----' "$S")" && git push -q origin main`,
            /\(commit message\):4: GitHub token/,
          ),
      );
      await t.step("a token in the author field", () =>
        refused(
          "author",
          `echo b > b.txt && git add b.txt && git -c user.name="$S" commit -qm plain && git push -q origin main`,
          /\(commit header\):\d: GitHub token/,
        ));
      await t.step("a token in an annotated tag's message", () =>
        refused(
          "annotated tag",
          `git tag -a v9 -m "release $S" && git push -q origin v9`,
          /\(tag v9 message\):1: GitHub token/,
        ));
      await t.step("a lightweight tag pointing straight at a blob holding a token", () =>
        refused(
          "blob tag",
          `b=$(printf '%s\\n' "$S" | git hash-object -w --stdin) && git tag blobtag $b && git push -q origin blobtag`,
          /refs\/tags\/blobtag cannot be pushed: it points at a blob[\s\S]*GitHub token/,
        ));
      await t.step("a protected path with a non-ASCII name", () =>
        refused(
          "é",
          `mkdir -p .github/workflows && echo on > .github/workflows/é.yml && git add -A && git commit -qm ci && git push -q origin main`,
          /changes "\.github\/workflows\/é\.yml", which matches the protected path/,
        ));
      await t.step("a rename into a protected path", () =>
        refused(
          "rename",
          `echo job > job.yml && git add job.yml && git commit -qm job && mkdir -p .github/workflows && git mv job.yml .github/workflows/job.yml && git commit -qm mv && git push -q origin main`,
          /\.github\/workflows\/job\.yml", which matches the protected path/,
        ));
      await t.step("a mode change of a protected file", async () => {
        await server.run(
          "set -e; t=$(mktemp -d); git clone -q /home/git/project.git $t/w; cd $t/w; mkdir -p .github/workflows; " +
            "echo on > .github/workflows/ci.yml; git add -A; git -c user.name=up -c user.email=up@x.invalid commit -qm 'upstream: ci'; git push -q origin main",
        );
        await refused(
          "mode",
          "chmod +x .github/workflows/ci.yml && git commit -qam mode && git push -q origin main",
          /\.github\/workflows\/ci\.yml", which matches the protected path/,
        );
      });
      await t.step("a value the bottle marks secret (egress.secrets)", () =>
        refused(
          "egress.secrets",
          `echo "db=${dbPassword}" > db.conf && git add db.conf && git commit -qm db && git push -q origin main`,
          /db\.conf:1: a secret of this bottle \(rule bottle-credential\)/,
        ));
      await t.step(
        "a value the bottle marks secret, split by a space or cut into lines",
        () =>
          refused(
            "egress.secrets in pieces",
            `echo "db=${dbPassword.slice(0, 20)} ${dbPassword.slice(20)}" > split.conf && ` +
              `printf '%s\\n' '${dbPassword}' | fold -w 12 > folded.conf && ` +
              "git add split.conf folded.conf && git commit -qm db && git push -q origin main",
            /^(?=[^]*folded\.conf:1: a secret of this bottle[^\n]*cut into lines)(?=[^]*split\.conf:1: a secret of this bottle[^\n]*split into pieces)/,
          ),
      );
      await t.step("a token in the name of a file", () =>
        refused(
          "file name",
          `mkdir -p notes && echo x > "notes/from-$S.md" && git add -A && git commit -qm notes && git push -q origin main`,
          /notes\/\[name holding a secret\]: GitHub token in its path \(rule github-token\)/,
        ));
      await t.step("a token in the name of a branch", () =>
        refused(
          "branch name",
          `git push -q origin "main:refs/heads/leak-$S"`,
          /refs\/heads\/\[name holding a secret\]: the ref's name holds a secret: GitHub token/,
        ));
      await t.step("a clean push still goes through", async () => {
        const r = await sh(
          `set -e; rm -rf /tmp/w; git clone -q ${UPSTREAM} /tmp/w; cd /tmp/w; echo ok > ok.txt; git add ok.txt; git commit -qm 'agent: clean'; git push -q origin main`,
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal((await server.log("project"))[0], "agent: clean");
      });
      await t.step("no token reached any object upstream", async () => {
        const objects = await server.run(
          "git -C /home/git/project.git cat-file --batch-all-objects --batch",
        );
        assert.ok(objects.includes("agent: clean"), "the objects were read");
        const refs = await server.run("git -C /home/git/project.git for-each-ref");
        for (const secret of tokens) {
          assert.ok(!objects.includes(secret), "a token reached upstream");
          assert.ok(!refs.includes(secret), "a ref named for a token reached upstream");
        }
        // Nor did the gate write one to its log, refusing them.
        const logs = await runBotBottle(["logs", name, "--format", "json"], { env });
        assert.match(logs.stdout, /name holding a secret/);
        for (const secret of tokens) assert.ok(!logs.stdout.includes(secret), "a token was logged");
      });
    } finally {
      await runBotBottle(["down", name], { env });
    }
  },
);
