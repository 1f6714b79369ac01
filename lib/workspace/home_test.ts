import assert from "node:assert/strict";
import { join } from "node:path";
import type { BundleAccess, Guest, GuestResult } from "../backend/types.ts";
import { configureLog } from "../log.ts";
import { captureRaw, shell } from "../shell.ts";
import { sh } from "../../tests/shell.ts";
import { BASELINE_SCRIPT, bringHome, COLLECT_SCRIPT, PUSH_SCRIPT } from "./home.ts";
import { bringLfsHome, parsePointer } from "./lfs.ts";
import { WIP_REF } from "./refs.ts";
import { writeRecord } from "./record.ts";

const $ = await shell();

/**
 * The refusal path without containers: the agent's workspace, the gate's repository
 * (with a pre-receive hook that refuses a marker the way the gate refuses a secret,
 * and logs it as the gate does) and the user's repository are local directories, and
 * the guest and bundle run their commands here. The scripts and git calls are the real
 * ones `bringHome` runs in a bottle.
 */

const MARKER = "NOT-FOR-HOME";

function local(
  argv: string[],
  env: Record<string, string> = {},
  stdin?: Uint8Array,
): Promise<GuestResult> {
  const command = $`${argv}`.cwd("/").env({
    GIT_AUTHOR_NAME: "agent",
    GIT_AUTHOR_EMAIL: "a@a.invalid",
    GIT_COMMITTER_NAME: "agent",
    GIT_COMMITTER_EMAIL: "a@a.invalid",
    ...env,
  });
  return captureRaw(stdin ? command.stdin(stdin) : command);
}

/** When the recorded bottles started: a time long past, which commits made at exit carry. */
const CREATED = "2026-01-02T03:04:05.000Z";

/** Records bottle `instance`'s workspace: `host` gets the work home from `<dir>/agent`. */
async function record(
  dir: string,
  instance: string,
  host: string,
  seed: Record<string, string>,
  baseline?: string,
  leftOut?: string[],
): Promise<Record<string, string>> {
  const env = { BOT_BOTTLE_STATE_DIR: join(dir, "state") };
  await writeRecord(env, {
    version: 1,
    instance,
    source: host,
    kind: "git",
    homeRepo: host,
    seed,
    gateName: "_workspace",
    gateUrl: join(dir, "bundle", "git", "_workspace.git"),
    guestPath: join(dir, "agent"),
    created: CREATED,
    ...(baseline ? { baseline } : {}),
    ...(leftOut ? { leftOut } : {}),
  });
  return env;
}

Deno.test("bringHome() brings accepted work home and keeps refused work in the state directory", async () => {
  configureLog({ quiet: true });
  const dir = await Deno.makeTempDir();
  try {
    const host = join(dir, "host");
    const bundleRoot = join(dir, "bundle");
    const gate = join(bundleRoot, "git", "_workspace.git");
    const agent = join(dir, "agent");
    // `earlier` stands for a branch of an earlier session: copied in, left as it was.
    await sh(
      `git init -q -b main ${host} && cd ${host} && echo hi > README.md && git add . && git commit -qm first && git branch earlier && git branch done`,
    );
    const seedSha = (await sh(`git -C ${host} rev-parse HEAD`)).trim();
    await sh(
      `git clone -q --bare ${host} ${gate} && git clone -q ${host} ${agent} && git -C ${agent} branch earlier origin/earlier && ` +
        `git -C ${agent} branch done origin/done`,
    );
    const audit = join(bundleRoot, "audit.jsonl");
    await Deno.writeTextFile(
      join(gate, "hooks", "pre-receive"),
      `#!/bin/sh
while read old new ref; do
  if git log -p "$new" --not --all | grep -q ${MARKER}; then
    echo "bot-bottle gate: $ref: refused, it holds the marker" >&2
    printf '{"ts":"%s","kind":"git","action":"refuse","repo":"_workspace","ref":"%s","rule":"marker","message":"commit in marker.txt:1: the marker (rule marker)"}\\n' "$(date -u +%Y-%m-%dT%H:%M:%S.999Z)" "$ref" >> ${audit}
    exit 1
  fi
  if [ "$ref" = refs/heads/done ] || [ "$ref" = refs/heads/back ]; then
    echo "bot-bottle gate: $ref: not a fast-forward" >&2
    printf '{"ts":"%s","kind":"git","action":"refuse","repo":"_workspace","ref":"%s","rule":"no-force-push","message":"not a fast-forward, and force-push is not allowed (pull, rebase onto it, and push again)"}\n' "$(date -u +%Y-%m-%dT%H:%M:%S.999Z)" "$ref" >> ${audit}
    exit 1
  fi
done
`,
      { mode: 0o755 },
    );
    // The agent's session: a clean commit on main, the marker on its own branch, an
    // untracked file, and a pre-push hook that would block every push.
    await sh(
      `echo work > work.txt && git add work.txt && git commit -qm 'agent: work' && ` +
        `git checkout -qb leak && echo ${MARKER} > marker.txt && git add marker.txt && git commit -qm 'agent: leak' && ` +
        `git checkout -q done && git commit -q --amend -m 'agent: rewritten' && ` +
        `git checkout -q main && git branch back earlier && echo scratch > scratch.txt && ` +
        `printf '#!/bin/sh\\nexit 1\\n' > .git/hooks/pre-push && chmod +x .git/hooks/pre-push`,
      agent,
    );
    const env = await record(dir, "c-1", host, {
      "refs/heads/main": seedSha,
      "refs/heads/earlier": seedSha,
      "refs/heads/done": seedSha,
    });
    const pushed: string[] = [];
    const bundled: string[] = [];
    const access = localAccess(bundleRoot, (argv) => {
      if (argv[2] === PUSH_SCRIPT) pushed.push(argv[7]!);
      if (argv[2]?.includes("bundle create")) bundled.push(argv[5]!);
    });
    const report = await bringHome(env, "c-1", access);
    assert.ok(report);
    assert.deepEqual(report.arrived.map((a) => [a.ref, a.commits, a.wip]), [
      ["bot-bottle/c-1/wip", 2, true],
      ["bot-bottle/c-1/main", 1, false],
    ]);
    // Pushed: what changed, not the branch still where the seed had it.
    assert.deepEqual(pushed.toSorted(), [
      WIP_REF,
      "refs/heads/back",
      "refs/heads/done",
      "refs/heads/leak",
      "refs/heads/main",
    ]);
    assert.deepEqual(report.refused.map((r) => [r.ref, r.reasons]), [
      // A refused branch naming a commit the user has: nothing to keep, nothing lost.
      ["back", [
        "its history was rewritten (a rebase or an amend of commits it had), and this gate takes no force-push (workspace.allow_force_push)",
      ]],
      // A refusal the gate words for the agent is told to the person in their terms.
      ["done", [
        "its history was rewritten (a rebase or an amend of commits it had), and this gate takes no force-push (workspace.allow_force_push)",
      ]],
      ["leak", ["commit in marker.txt:1: the marker (rule marker)"]],
    ]);
    assert.equal(report.refused[0]!.keptIn, undefined);
    assert.deepEqual(report.problems, []);
    const kept = report.refused[1]!.keptIn!;
    assert.ok(kept.startsWith(join(dir, "state", "work", "c-1")));
    assert.equal((await Deno.stat(kept)).mode! & 0o777, 0o600);
    assert.match(await sh(`git -C ${host} bundle list-heads ${kept}`), /refs\/heads\/leak/);
    // Made in the agent's /tmp, and gone from there once copied out (it holds the marker).
    assert.equal(bundled.length, 1);
    await assert.rejects(Deno.stat(bundled[0]!), Deno.errors.NotFound);
    // At home: the accepted work, not the marker, and the user's branch untouched.
    assert.equal((await sh(`git -C ${host} rev-parse main`)).trim(), seedSha);
    assert.equal(
      (await sh(`git -C ${host} show bot-bottle/c-1/wip:scratch.txt`)).trim(),
      "scratch",
    );
    const objects = await sh(`git -C ${host} cat-file --batch-all-objects --batch`);
    assert.ok(!objects.includes(MARKER), "the refused content reached the user's repository");
    const summary = await Deno.readTextFile(join(dir, "state", "work", "c-1", "summary.txt"));
    assert.match(summary, /bot-bottle\/c-1\/main {2}1 commit/);
    assert.match(summary, /leak:\n {4}commit in marker\.txt:1: the marker \(rule marker\)/);
  } finally {
    configureLog({ quiet: false });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bringHome() without a record does nothing", async () => {
  const none = await bringHome({ BOT_BOTTLE_STATE_DIR: "/nonexistent" }, "c-2", {
    bundle: {
      running: () => Promise.reject(new Error("must not be called")),
      exec: () => Promise.reject(new Error("must not be called")),
      execToFile: () => Promise.reject(new Error("must not be called")),
      copyOut: () => Promise.reject(new Error("must not be called")),
    },
  });
  assert.equal(none, undefined);
});

/** The agent and the bundle as local directories: their commands run here (`seen` first). */
function localAccess(
  bundleRoot: string,
  seen: (argv: string[]) => void = () => {},
): { guest: Guest; bundle: BundleAccess } {
  const toBundle = (a: string) => a.replace(/^\/var\/lib\/bot-bottle/, bundleRoot);
  return {
    guest: {
      putFile: () => Promise.reject(new Error("not used")),
      getFile: (from, to) => Deno.copyFile(from, to),
      exec: (argv, options) => {
        seen(argv);
        return local(argv, options?.env, options?.stdin);
      },
    },
    bundle: {
      running: () => Promise.resolve(true),
      exec: (argv) => local(argv.map(toBundle)),
      execToFile: async (argv, to) => {
        const file = await Deno.open(to, { write: true, create: true, mode: 0o600 });
        const r = await $`${argv.map(toBundle)}`.cwd("/").stdout(file.writable).stderr("piped")
          .noThrow();
        return { code: r.code, stdout: "", stderr: r.stderr };
      },
      copyOut: (from, to) => Deno.copyFile(toBundle(from), to),
    },
  };
}

/** A host repository with uncommitted work, copied into an agent as `--cwd` carries it. */
async function dirtyWorld(dir: string) {
  const host = join(dir, "host");
  const gate = join(dir, "bundle", "git", "_workspace.git");
  const agent = join(dir, "agent");
  await sh(
    `git init -q -b main ${host} && cd ${host} && echo hi > README.md && echo keep > kept.txt && ` +
      `git add . && git commit -qm first`,
  );
  const seedSha = (await sh(`git -C ${host} rev-parse HEAD`)).trim();
  await sh(`git clone -q --bare ${host} ${gate} && git clone -q ${host} ${agent}`);
  // The user's own uncommitted work, in the host tree and (as --cwd carries it) the agent's.
  for (const tree of [host, agent]) {
    await sh(`echo "mine" >> README.md && echo notes > notes.txt`, tree);
  }
  // What provisioning reads from the unpacking, before the agent runs.
  const baseline = /^baseline ([0-9a-f]{40})$/m.exec(await sh(BASELINE_SCRIPT, agent))?.[1];
  assert.ok(baseline, "the user's own work is recorded as it went in");
  const env = await record(dir, "c-3", host, { "refs/heads/main": seedSha }, baseline);
  return {
    host,
    agent,
    env,
    home: () => bringHome(env, "c-3", localAccess(join(dir, "bundle"))),
  };
}

Deno.test("bringHome() tells the agent's uncommitted work from the user's own, carried in with the tree", async (t) => {
  configureLog({ quiet: true });
  const branch = "git checkout -qb feature && echo ours > ours.txt && git add ours.txt && " +
    "git commit -qm ours";
  const cases: {
    name: string;
    agentDoes: string;
    arrived: [string, number, boolean][];
    /** For a wip: the files its own diff holds, and the ref the user's work sits on. */
    wip?: { own: string; under: string };
    /** Whether the summary may say the wip sits on the user's work (else: `wip` given). */
    onYourWork?: boolean;
    /** What kept.txt holds in the stash that came home, applied on the user's tree. */
    stashed?: string;
  }[] = [
    {
      name: "an agent that changed nothing brings nothing home (no wip of the user's own work)",
      agentDoes: "true",
      arrived: [],
    },
    {
      name:
        "an agent that committed its work on a branch and left the user's work as it was: the branch only",
      agentDoes: branch,
      arrived: [["bot-bottle/c-3/feature", 1, false]],
    },
    {
      name:
        "an agent's uncommitted work sits on a commit of the user's: its own diff is the agent's alone",
      agentDoes: "echo agent >> kept.txt && echo new > agent.txt",
      arrived: [["bot-bottle/c-3/wip", 2, true]],
      wip: { own: "agent.txt\nkept.txt\n", under: "main" },
    },
    {
      name:
        "an agent that moves the baseline to pass its own change off as the user's is not believed",
      agentDoes: "echo sneaky >> kept.txt && git add -A && t=$(git write-tree) && " +
        "git update-ref refs/bot-bottle/baseline $(echo x | git commit-tree $t -p HEAD) && " +
        "echo visible > agent.txt",
      arrived: [["bot-bottle/c-3/wip", 2, true]],
      onYourWork: false,
    },
    {
      name: "a stash the agent left comes home, to apply with git stash apply",
      agentDoes: "echo agent >> kept.txt && git stash -q",
      // The stash took the user's change to README.md too: what is left differs from it.
      arrived: [["bot-bottle/c-3/wip", 2, true], ["bot-bottle/c-3/stash/0", 2, false]],
      wip: { own: "README.md\n", under: "main" },
      stashed: "keep\nagent\n",
    },
    {
      name: "on a branch of its own, the user's work is put on the agent's HEAD first",
      agentDoes: `${branch} && echo agent >> kept.txt`,
      arrived: [["bot-bottle/c-3/wip", 4, true], ["bot-bottle/c-3/feature", 1, false]],
      wip: { own: "kept.txt\n", under: "bot-bottle/c-3/feature" },
    },
    {
      name:
        "on a branch of its own, a merge of the user's work that git on the host does not make the same is not believed",
      // A merge driver of the agent's own config: the merge at exit, made in the agent,
      // puts its line into what is shown as the user's work.
      agentDoes:
        `git checkout -qb feature && echo theirs >> README.md && git commit -qam ours && ` +
        `git config merge.mine.driver "echo sneaky > %A" && ` +
        `echo "* merge=mine" > .git/info/attributes && echo agent >> kept.txt`,
      arrived: [["bot-bottle/c-3/wip", 4, true], ["bot-bottle/c-3/feature", 1, false]],
      onYourWork: false,
    },
  ];
  try {
    for (const c of cases) {
      await t.step(c.name, async () => {
        const dir = await Deno.makeTempDir();
        try {
          const world = await dirtyWorld(dir);
          await sh(c.agentDoes, world.agent);
          const report = await world.home();
          assert.ok(report);
          assert.deepEqual(report.arrived.map((a) => [a.ref, a.commits, a.wip]), c.arrived);
          assert.equal(
            report.arrived.some((a) => a.onYourWork),
            c.onYourWork ?? c.wip !== undefined,
          );
          if (c.wip) {
            const wip = "bot-bottle/c-3/wip";
            const names = (from: string, to: string) =>
              sh(`git diff --name-only ${from} ${to}`, world.host);
            assert.equal(await names(`${wip}~1`, wip), c.wip.own);
            assert.equal(await names(c.wip.under, `${wip}~1`), "README.md\nnotes.txt\n");
          }
          if (c.stashed) {
            const summary = await Deno.readTextFile(
              join(dir, "state", "work", "c-3", "summary.txt"),
            );
            assert.match(summary, /stash\/0 +a stash the agent left/);
            assert.match(summary, /git stash apply bot-bottle\/c-3\/stash\/0/);
            const copy = join(dir, "copy");
            await sh(
              `git clone -q ${world.host} ${copy} && git -C ${copy} fetch -q origin "refs/heads/bot-bottle/*:refs/heads/bot-bottle/*" && git -C ${copy} stash apply -q bot-bottle/c-3/stash/0`,
            );
            assert.equal(await Deno.readTextFile(join(copy, "kept.txt")), c.stashed);
          }
          // Collected again (a cleanup after a home-coming cut short): the same commits,
          // which the gate holds already (new ones would be a force-push to it).
          const shas = async () => {
            const out: string[] = [];
            for (const a of report.arrived) {
              out.push(await sh(`git rev-parse ${a.ref}`, world.host));
            }
            return out;
          };
          const first = await shas();
          // Dated when the bottle started, not now: the same work makes the same commits.
          for (const a of report.arrived.filter((a) => a.wip)) {
            const when = await sh(`git log -1 --format=%at,%ct ${a.ref}`, world.host);
            const at = Date.parse(CREATED) / 1000;
            assert.equal(when.trim(), `${at},${at}`);
          }
          const again = await world.home();
          assert.deepEqual(again?.arrived.map((a) => a.ref), report.arrived.map((a) => a.ref));
          assert.deepEqual(await shas(), first);
          // The user's own tree is as it was.
          assert.equal(await sh("git status --short", world.host), " M README.md\n?? notes.txt\n");
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      });
    }
  } finally {
    configureLog({ quiet: false });
  }
});

Deno.test("bringHome() brings work inside a submodule home as a commit of its files, to apply there", async () => {
  configureLog({ quiet: true });
  const dir = await Deno.makeTempDir();
  try {
    const lib = join(dir, "lib");
    const host = join(dir, "host");
    const gate = join(dir, "bundle", "git", "_workspace.git");
    const agent = join(dir, "agent");
    await sh(
      `git init -q -b main ${lib} && cd ${lib} && printf '.env\\n' > .gitignore && echo one > lib.ts && ` +
        `git add . && git commit -qm lib && git init -q -b main ${host} && cd ${host} && ` +
        `echo hi > README.md && git add . && git commit -qm first && ` +
        `git -c protocol.file.allow=always submodule add -q ${lib} lib/süb && git commit -qm sub`,
    );
    const seedSha = (await sh(`git -C ${host} rev-parse HEAD`)).trim();
    // As --cwd carries it: the outer repository, and the submodule's files without its git.
    await sh(
      `git clone -q --bare ${host} ${gate} && git clone -q ${host} ${agent} && ` +
        `cp ${lib}/.gitignore ${lib}/lib.ts ${agent}/lib/süb/`,
    );
    await sh(BASELINE_SCRIPT, agent);
    // The agent's work: in the submodule (a change, a new file, an ignored file), and outside.
    await sh(
      "echo two >> lib/süb/lib.ts && echo new > lib/süb/new.ts && echo SECRET=1 > lib/süb/.env && " +
        "echo more >> README.md",
      agent,
    );
    // And a "submodule" of its own making: a gitlink and a base ref for a plain directory,
    // whose work must not come with a command to apply it anywhere.
    await sh(
      "mkdir docs && echo x > docs/x.md && " +
        "git update-index --add --cacheinfo 160000,$(git rev-parse HEAD),docs && " +
        "git update-ref refs/bot-bottle/submodule-base/646f6373 " +
        "$(echo fake | git commit-tree $(git hash-object -t tree /dev/null))",
      agent,
    );
    const env = await record(dir, "c-4", host, { "refs/heads/main": seedSha });
    const report = await bringHome(env, "c-4", localAccess(join(dir, "bundle")));
    assert.ok(report);
    assert.deepEqual(report.arrived.map((a) => [a.ref, a.commits, a.wip, a.submodule]), [
      ["bot-bottle/c-4/wip", 1, true, undefined],
      ["bot-bottle/c-4/submodule/docs", 2, false, undefined],
      // A path past ASCII (git quotes it by default) is found; its ref has a neutral name.
      ["bot-bottle/c-4/submodule/unnamed-1", 2, false, "lib/süb"],
    ]);
    const ref = "bot-bottle/c-4/submodule/unnamed-1";
    assert.equal(await sh(`git diff --name-only ${ref}~1 ${ref}`, host), "lib.ts\nnew.ts\n");
    // The summary's command applies it in the submodule.
    const summary = await Deno.readTextFile(join(dir, "state", "work", "c-4", "summary.txt"));
    const apply = summary.split("\n").find((l) => l.includes("apply"))!.trim();
    assert.equal(apply, `git diff ${ref}~1 ${ref} | git -C '${host}/lib/süb' apply`);
    await sh(apply, host);
    assert.equal(await Deno.readTextFile(join(host, "lib", "süb", "lib.ts")), "one\ntwo\n");
    assert.equal(await Deno.readTextFile(join(host, "lib", "süb", "new.ts")), "new\n");
  } finally {
    configureLog({ quiet: false });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bringHome() brings commits the agent left on a detached HEAD home, and only those", async (t) => {
  configureLog({ quiet: true });
  try {
    for (
      const [name, agentDoes, arrived] of [
        ["commits on the detached HEAD it started on", "echo x >> a.txt && git commit -qam x", [[
          "bot-bottle/c-5/head",
          2,
          true,
        ]]],
        ["a detached HEAD it did not move", "true", []],
        [
          "a detached HEAD moved to a commit on a branch",
          "git checkout -q --detach origin/main",
          [],
        ],
      ] as const
    ) {
      await t.step(name, async () => {
        const dir = await Deno.makeTempDir();
        try {
          const host = join(dir, "host");
          const agent = join(dir, "agent");
          await sh(
            // The user is on a detached HEAD, at a commit of no branch.
            `git init -q -b main ${host} && cd ${host} && echo a > a.txt && git add . && ` +
              `git commit -qm a && git checkout -q --detach && echo b > a.txt && git commit -qam b`,
          );
          const seed = { "refs/heads/main": (await sh(`git -C ${host} rev-parse main`)).trim() };
          await sh(
            `git clone -q --bare ${host} ${join(dir, "bundle", "git", "_workspace.git")} && ` +
              `git clone -q ${host} ${agent} 2>/dev/null`,
          );
          await sh(BASELINE_SCRIPT, agent);
          await sh(agentDoes, agent);
          const env = await record(dir, "c-5", host, seed);
          const report = await bringHome(env, "c-5", localAccess(join(dir, "bundle")));
          assert.deepEqual(
            report?.arrived.map((a) => [a.ref, a.commits, a.detached ?? false]),
            arrived,
          );
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      });
    }
  } finally {
    configureLog({ quiet: false });
  }
});

const hasLfs = (await captureRaw($`git lfs version`)).code === 0;

Deno.test({
  name:
    "bringHome() brings the Git LFS content the agent's commits point to, checked against its sha256 and scanned",
  ignore: !hasLfs,
  async fn() {
    configureLog({ quiet: true });
    const dir = await Deno.makeTempDir();
    try {
      const host = join(dir, "host");
      const gate = join(dir, "bundle", "git", "_workspace.git");
      const agent = join(dir, "agent");
      const lfs = "git lfs install --local --skip-repo >/dev/null";
      await sh(
        `git init -q -b main ${host} && cd ${host} && ${lfs} && git lfs track '*.bin' >/dev/null && ` +
          `head -c 3000 /dev/urandom > model.bin && git add . && git commit -qm first`,
      );
      const seedSha = (await sh(`git -C ${host} rev-parse HEAD`)).trim();
      // The agent's copy, as --cwd carries it: the files as they are, a store of its own.
      await sh(
        `git clone -q --bare ${host} ${gate} && cp -a ${host} ${agent} && rm -rf ${agent}/.git/lfs && ` +
          `git -C ${agent} remote add origin ${gate}`,
      );
      // With Git LFS in the agent (its image has it), LFS files are not modified in its eyes.
      assert.equal(await sh("git status --short", agent), "");
      const token = "gh" + "p_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2";
      await sh(
        `git checkout -qb feature && head -c 5000 /dev/urandom > model.bin && ` +
          `head -c 7000 /dev/urandom > new.bin && printf 'token = "${token}"\\n' > leak.bin && ` +
          `head -c 900 /dev/urandom > gone.bin && head -c 800 /dev/urandom > forged.bin && ` +
          `git add -A && git commit -qm "agent's assets" && git rm -q gone.bin forged.bin && ` +
          `git commit -qm "two of them gone again"`,
        agent,
      );
      const oid = async (path: string) =>
        /oid sha256:([0-9a-f]{64})/.exec(await sh(`git show feature~1:${path}`, agent))![1]!;
      const store = (root: string, o: string) =>
        join(root, ".git", "lfs", "objects", o.slice(0, 2), o.slice(2, 4), o);
      // Of two files in its history only (none in its tree, which git would clean again):
      // content the agent no longer has, and content it swapped for other bytes.
      await Deno.remove(store(agent, await oid("gone.bin")));
      const forged = store(agent, await oid("forged.bin"));
      await Deno.chmod(forged, 0o644);
      await Deno.writeFile(forged, new Uint8Array(800));
      const env = await record(dir, "c-9", host, { "refs/heads/main": seedSha });
      const report = await bringHome(env, "c-9", localAccess(join(dir, "bundle")));
      assert.ok(report);
      assert.deepEqual(report.arrived.map((a) => a.ref), ["bot-bottle/c-9/feature"]);
      assert.equal(report.lfsFiles, 2);
      // What arrived is what the agent made, byte for byte, where Git LFS looks for it.
      for (const path of ["model.bin", "new.bin"]) {
        assert.deepEqual(
          await Deno.readFile(store(host, await oid(path))),
          await Deno.readFile(join(agent, path)),
          path,
        );
        assert.equal(
          await sh(`git show bot-bottle/c-9/feature~1:${path} | git lfs smudge | sha256sum`, host),
          await sh(`sha256sum < ${path}`, agent),
        );
      }
      for (const path of ["leak.bin", "gone.bin", "forged.bin"]) {
        const there = await Deno.stat(store(host, await oid(path))).then(() => true, () => false);
        assert.equal(there, false, path);
      }
      assert.equal(report.problems.length, 2, report.problems.join("\n"));
      assert.match(report.problems[0]!, /content of leak\.bin holds a secret \(rule github-/);
      assert.ok(!report.problems[0]!.includes(token));
      assert.match(
        report.problems[1]!,
        /did not have the Git LFS content of (gone|forged)\.bin, (gone|forged)\.bin/,
      );
      // The user's tree and branch are as they were.
      assert.equal(await sh("git status --short", host), "");
      assert.equal((await sh("git rev-parse main", host)).trim(), seedSha);
      // Content after one the agent lacks still arrives: the stream skips the missing one.
      await sh("head -c 1500 /dev/urandom > extra && git lfs clean < extra > extra.ptr", agent);
      const extra = parsePointer(await Deno.readTextFile(join(agent, "extra.ptr")))!;
      const gone = { oid: await oid("gone.bin"), size: 900, path: "gone.bin" };
      const after = await bringLfsHome(
        host,
        localAccess(join(dir, "bundle")).guest,
        agent,
        [gone, { ...extra, path: "extra" }],
        dir,
      );
      assert.deepEqual(after, { brought: 1, missing: ["gone.bin"], refused: [], tooLarge: [] });
      assert.deepEqual(
        await Deno.readFile(store(host, extra.oid)),
        await Deno.readFile(join(agent, "extra")),
      );
      // Sizes are the agent's word: past the limit, nothing is asked of the agent.
      const asked: string[][] = [];
      const big = [{ oid: "a".repeat(64), size: 5000, path: "huge.bin" }];
      const capped = await bringLfsHome(
        host,
        localAccess(join(dir, "bundle"), (argv) => asked.push(argv)).guest,
        agent,
        big,
        dir,
        4096,
      );
      assert.deepEqual(capped, { brought: 0, missing: [], refused: [], tooLarge: ["huge.bin"] });
      assert.deepEqual(asked, []);
    } finally {
      configureLog({ quiet: false });
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * The user's repository (main, plus a commit on each of `branches`), the gate seeded
 * from it, and the agent's clone, whose origin is the gate as in a bottle.
 */
async function plainWorld(dir: string, branches: string[] = []) {
  const host = join(dir, "host");
  const gate = join(dir, "bundle", "git", "_workspace.git");
  const agent = join(dir, "agent");
  await sh(
    `git init -q -b main ${host} && cd ${host} && echo hi > README.md && git add . && ` +
      `git commit -qm first` +
      branches.map((b) =>
        ` && git checkout -qb ${b} && echo ${b} > ${b}.txt && git add . && git commit -qm ${b}`
      ).join("") + " && git checkout -q main",
  );
  const seed: Record<string, string> = {};
  for (const b of ["main", ...branches]) {
    seed[`refs/heads/${b}`] = (await sh(`git -C ${host} rev-parse ${b}`)).trim();
  }
  await sh(
    `git clone -q --bare ${host} ${gate} && git clone -q ${host} ${agent} && ` +
      `git -C ${agent} remote set-url origin ${gate}`,
  );
  return { host, agent, seed };
}

Deno.test("bringHome() brings branches and tags the agent made at commits you have, beside new work and alone", async (t) => {
  configureLog({ quiet: true });
  const cases: {
    name: string;
    agentDoes: string;
    arrived: [string, number][];
    summary?: RegExp;
  }[] = [
    {
      name: "a branch at a commit you have, beside a new commit on main",
      agentDoes: "git branch backup && echo x >> README.md && git commit -qam agent",
      arrived: [["bot-bottle/c-5/backup", 0], ["bot-bottle/c-5/main", 1]],
    },
    {
      name: "only new names for commits you have: a renamed branch and a new one",
      agentDoes: "git branch -m main trunk && git branch spare",
      arrived: [["bot-bottle/c-5/spare", 0], ["bot-bottle/c-5/trunk", 0]],
    },
    {
      name: "main fast-forwarded to a branch of yours, and a commit elsewhere",
      agentDoes: "git merge -q --ff-only origin/other && git checkout -qb feature && " +
        "echo y > y.txt && git add y.txt && git commit -qm feature",
      arrived: [["bot-bottle/c-5/feature", 1], ["bot-bottle/c-5/main", 0]],
    },
    {
      name: "a tag it pushed, on a commit you have, beside a new commit on main",
      agentDoes:
        "git tag t1 && git push -q origin t1 && echo x >> README.md && git commit -qam agent",
      arrived: [["bot-bottle/c-5/main", 1], ["bot-bottle/c-5/t1", 0]],
      summary: /\/t1 +a tag: no new commits: a new name for a commit you have/,
    },
  ];
  try {
    for (const c of cases) {
      await t.step(c.name, async () => {
        const dir = await Deno.makeTempDir();
        try {
          const { host, agent, seed } = await plainWorld(dir, ["other"]);
          await sh(c.agentDoes, agent);
          const env = await record(dir, "c-5", host, seed);
          const report = await bringHome(env, "c-5", localAccess(join(dir, "bundle")));
          assert.ok(report);
          assert.deepEqual(report.problems, []);
          assert.deepEqual(report.refused, []);
          assert.deepEqual(
            report.arrived.map((a) => [a.ref, a.commits]).toSorted(),
            c.arrived,
          );
          const summary = await Deno.readTextFile(
            join(dir, "state", "work", "c-5", "summary.txt"),
          );
          assert.match(
            summary,
            c.summary ?? /\/(backup|spare|main) +no new commits: a new name for a commit you have/,
          );
          for (const [ref] of c.arrived) {
            assert.equal(
              (await sh(`git -C ${host} rev-parse ${ref}^{commit}`)).trim(),
              (await sh(`git -C ${agent} rev-parse ${ref.split("/").slice(2).join("/")}^{commit}`))
                .trim(),
              ref,
            );
          }
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      });
    }
  } finally {
    configureLog({ quiet: false });
  }
});

Deno.test("bringHome() says when the agent left a merge unfinished, and brings its files home as they were", async () => {
  configureLog({ quiet: true });
  const dir = await Deno.makeTempDir();
  try {
    const { host, agent, seed } = await plainWorld(dir);
    await sh(
      "git checkout -qb side && echo side > README.md && git commit -qam side && " +
        "git checkout -q main && echo main > README.md && git commit -qam main && " +
        "{ git merge -q side >/dev/null 2>&1 || true; } && test -f .git/MERGE_HEAD",
      agent,
    );
    const env = await record(dir, "c-6", host, seed);
    const report = await bringHome(env, "c-6", localAccess(join(dir, "bundle")));
    assert.ok(report);
    assert.deepEqual(report.problems, [
      "the agent left a merge unfinished: its uncommitted work holds the files as they were, conflict markers included",
    ]);
    assert.match(await sh("git show bot-bottle/c-6/wip:README.md", host), /^<<<<<<< /m);
    const summary = await Deno.readTextFile(join(dir, "state", "work", "c-6", "summary.txt"));
    assert.match(summary, /Note: the agent left a merge unfinished/);
  } finally {
    configureLog({ quiet: false });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bringHome()'s summary offers a diff against your branch only when it has commits", async () => {
  configureLog({ quiet: true });
  const dir = await Deno.makeTempDir();
  try {
    const { host, agent, seed } = await plainWorld(dir);
    await sh("echo x >> README.md && git commit -qam agent", agent);
    const env = await record(dir, "c-5", host, seed);
    const summary = () => Deno.readTextFile(join(dir, "state", "work", "c-5", "summary.txt"));
    // On a branch without a commit yet (a repository started empty, an orphan branch),
    // `git diff fresh...` would fail: the log is offered alone.
    await sh("git checkout -q --orphan fresh", host);
    await bringHome(env, "c-5", localAccess(join(dir, "bundle")));
    assert.match(await summary(), /^ {2}git log --oneline bot-bottle\/c-5\/main$/m);
    assert.doesNotMatch(await summary(), /git diff/);
    await sh("git checkout -q -f main", host);
    await bringHome(env, "c-5", localAccess(join(dir, "bundle")));
    assert.match(await summary(), /^ {2}git diff main\.\.\.bot-bottle\/c-5\/main$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
    configureLog({ quiet: false });
  }
});

Deno.test("bringHome() brings a file left out of the bottle that the agent wrote anew, and says so; one it left alone stays as it was", async () => {
  configureLog({ quiet: true });
  const dir = await Deno.makeTempDir();
  try {
    const { host, agent, seed } = await plainWorld(dir);
    await sh(
      "printf 'port: 80\\n' > config.yml && printf 'key: 1\\n' > other.yml && " +
        "printf 'x: 1\\n' > third.yml && git add . && git commit -qm config",
      host,
    );
    seed["refs/heads/main"] = (await sh(`git -C ${host} rev-parse main`)).trim();
    // As the bottle carries them: in the agent's index, marked, and not in its tree.
    await sh(
      `git push -q origin main 2>/dev/null || true; git fetch -q ${host} main && git reset -q --hard FETCH_HEAD && ` +
        "git update-index --skip-worktree config.yml other.yml third.yml && " +
        "rm config.yml other.yml third.yml && printf 'x: 2\\n' > third.yml && " +
        "git update-index --no-skip-worktree third.yml && git add third.yml && git -c user.name=a -c user.email=a@a.invalid commit -qm third && " +
        "printf 'port: 8080\\n' > config.yml",
      agent,
    );
    const env = await record(dir, "c-5", host, seed, undefined, [
      "config.yml",
      "other.yml",
      "third.yml",
    ]);
    const report = await bringHome(env, "c-5", localAccess(join(dir, "bundle")));
    // (main comes home too: the gate was seeded before the user's commit of config.yml.)
    assert.ok(report?.arrived.some((a) => a.ref === "bot-bottle/c-5/wip" && a.wip));
    const wip = "bot-bottle/c-5/wip";
    assert.equal(await sh(`git -C ${host} show ${wip}:config.yml`), "port: 8080\n");
    assert.equal(await sh(`git -C ${host} show ${wip}:other.yml`), "key: 1\n", "not deleted");
    // Also one it unmarked and committed: main and the wip hold it.
    assert.deepEqual(report?.problems.toSorted(), [
      `the agent wrote config.yml, which stayed out of the bottle because it holds a secret: ${wip} has its version in place of yours, made without seeing yours`,
      `the agent wrote third.yml, which stayed out of the bottle because it holds a secret: bot-bottle/c-5/main, ${wip} have its version in place of yours, made without seeing yours`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    configureLog({ quiet: false });
  }
});

Deno.test("the collect script puts uncommitted files too large for the gate in a commit of their own on top of the wip", async (t) => {
  // The script as it runs in the agent, here with a limit of 1000 bytes for the gate's.
  const collect = async (repo: string) => {
    const r = await local(["sh", "-c", COLLECT_SCRIPT, "sh", repo, "1000"]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const files = (repo: string, ref: string) =>
    sh(`git ls-tree -r --name-only ${ref}`, repo).then((s) => s.trim().split("\n"));
  const dir = await Deno.makeTempDir();
  try {
    await t.step(
      "new and changed large files: the wip holds the rest, yours as it was",
      async () => {
        const repo = join(dir, "a");
        await sh(
          `git init -q -b main ${repo} && cd ${repo} && head -c 500 /dev/urandom > data.bin && git add . && git commit -qm first && ` +
            `head -c 5000 /dev/urandom > data.bin && head -c 5000 /dev/urandom > '*.txt' && echo small > notes.txt`,
        );
        const out = await collect(repo);
        assert.match(out, /^wip [0-9a-f]{40} refs\/bot-bottle\/wip$/m);
        assert.match(out, /^wip-large [0-9a-f]{40} refs\/bot-bottle\/wip-large$/m);
        assert.deepEqual(await files(repo, "refs/bot-bottle/wip"), ["data.bin", "notes.txt"]);
        assert.equal(
          (await sh("git cat-file -s refs/bot-bottle/wip:data.bin", repo)).trim(),
          "500",
        );
        assert.equal(
          (await sh("git rev-parse refs/bot-bottle/wip-large^", repo)).trim(),
          (await sh("git rev-parse refs/bot-bottle/wip", repo)).trim(),
        );
        // A name is a name, not a pattern (`*.txt` would take notes.txt along).
        assert.deepEqual(await files(repo, "refs/bot-bottle/wip-large"), [
          "*.txt",
          "data.bin",
          "notes.txt",
        ]);
      },
    );
    await t.step("only large files: no wip, the large commit on HEAD", async () => {
      const repo = join(dir, "b");
      await sh(
        `git init -q -b main ${repo} && cd ${repo} && echo x > a.txt && git add . && git commit -qm first && head -c 5000 /dev/urandom > big.bin`,
      );
      const out = await collect(repo);
      assert.doesNotMatch(out, /^wip /m);
      assert.equal(
        (await sh("git rev-parse refs/bot-bottle/wip-large^", repo)).trim(),
        (await sh("git rev-parse HEAD", repo)).trim(),
      );
    });
    await t.step("nothing large: one wip, as before", async () => {
      const repo = join(dir, "c");
      await sh(`git init -q -b main ${repo} && cd ${repo} && echo small > a.txt`);
      const out = await collect(repo);
      assert.match(out, /^wip /m);
      assert.doesNotMatch(out, /wip-large/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
