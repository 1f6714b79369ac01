import assert from "node:assert/strict";
import { join } from "node:path";
import { configureLog } from "../log.ts";
import { $, captureRaw, sh } from "../../tests/shell.ts";
import { gateRepo } from "../../sidecars/bundle/config.ts";
import { packWorkspace, repositorySource } from "./pack.ts";
import { type Pack, packHistory, packParts } from "./history.ts";
import { CleanContents } from "./verdicts.ts";
import { locateWorkspace, selectWorkspace } from "./select.ts";

/** Packs `repo` as `--cwd` would and unpacks the agent's archive into `into`. */
async function carry(repo: string, into: string, staging: string): Promise<void> {
  const location = await locateWorkspace(repo);
  const selection = await selectWorkspace(location, []);
  const source = await repositorySource(location, selection, staging);
  const packed = await packWorkspace(location, selection, source, {
    staging,
    gateUrl: "git://gate/_workspace.git",
    gateName: "_workspace",
  });
  await Deno.mkdir(into);
  await sh(`tar -xf ${packed.agentTar} && git update-index -q --refresh || true`, into);
}

/**
 * The objects `packs` hold (sorted ids) and how many are deltas: `verify-pack -v` names
 * a delta's base as a seventh field.
 */
async function packEntries(packs: { idx: string }[]): Promise<{ ids: string[]; deltas: number }> {
  const ids: string[] = [];
  let deltas = 0;
  for (const p of packs) {
    for (const line of (await sh(`git verify-pack -v ${p.idx}`)).split("\n")) {
      if (!/^[0-9a-f]{40,64} +\w+ +\d+/.test(line)) continue;
      ids.push(line.split(" ")[0]!);
      if (/ [0-9a-f]{40,64}$/.test(line)) deltas++;
    }
  }
  return { ids: ids.toSorted(), deltas };
}

/** Runs `body` on a repository `setup` made, in a directory removed afterwards. */
async function withRepo(
  setup: string,
  body: (repo: string, dir: string) => Promise<void>,
): Promise<void> {
  configureLog({ quiet: true });
  const dir = await Deno.makeTempDir();
  try {
    const repo = join(dir, "repo");
    await Deno.mkdir(repo);
    await sh(setup, repo);
    await body(repo, dir);
  } finally {
    configureLog({ quiet: false });
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("packWorkspace() carries a merge in progress, so the agent's resolution is a merge", () =>
  withRepo(
    "git init -q -b main && echo base > a.txt && git add . && git commit -qm base && " +
      "git checkout -qb other && echo other > a.txt && git commit -qam other && " +
      "git checkout -q main && echo main > a.txt && git commit -qam main && " +
      "{ git merge other >/dev/null 2>&1 || true; }",
    async (repo, dir) => {
      await carry(repo, join(dir, "agent"), await Deno.makeTempDir({ dir }));
      const agent = join(dir, "agent");
      assert.match(await sh("git status", agent), /You have unmerged paths/);
      await sh("echo resolved > a.txt && git add a.txt && git commit -q --no-edit", agent);
      const parents = (await sh("git rev-list --parents -n 1 HEAD", agent)).trim().split(" ");
      assert.equal(parents.length, 3, "the resolution is a merge of main and other");
      assert.equal(parents[2], (await sh("git rev-parse other", repo)).trim());
      assert.match(await sh("git log -1 --format=%s", agent), /^Merge branch 'other'/);

      // A message draft holding a secret stays out; the merge itself still goes in.
      await Deno.writeTextFile(
        join(repo, ".git", "MERGE_MSG"),
        `Merge branch 'other'\n\nghp_${"R8bK2mQ7vX4nL9pT3wZ6yC1dF5hJ0sA8eG2u"}\n`,
      );
      await carry(repo, join(dir, "agent2"), await Deno.makeTempDir({ dir }));
      const ls = await sh("ls .git", join(dir, "agent2"));
      assert.match(ls, /^MERGE_HEAD$/m);
      assert.doesNotMatch(ls, /^MERGE_MSG$/m);
    },
  ));

Deno.test("packWorkspace() carries a rebase stopped on a conflict, so the agent can finish it", () =>
  withRepo(
    "git init -q -b main && echo base > a.txt && git add . && git commit -qm base && " +
      "git checkout -qb feature && echo feature > a.txt && git commit -qam one && " +
      "echo more > b.txt && git add b.txt && git commit -qm two && " +
      "git checkout -q main && echo main > a.txt && git commit -qam main && " +
      "git checkout -q feature && { git rebase main >/dev/null 2>&1 || true; }",
    async (repo, dir) => {
      assert.match(await sh("git status", repo), /rebase in progress/);
      await carry(repo, join(dir, "agent"), await Deno.makeTempDir({ dir }));
      const agent = join(dir, "agent");
      assert.match(await sh("git status", agent), /rebase in progress/);
      await sh(
        "echo resolved > a.txt && git add a.txt && GIT_EDITOR=true git rebase --continue >/dev/null 2>&1",
        agent,
      );
      assert.equal((await sh("git log --format=%s main..feature", agent)).trim(), "two\none");
      assert.equal(
        (await sh("git rev-parse feature~2", agent)).trim(),
        (await sh("git rev-parse main", repo)).trim(),
      );
    },
  ));

Deno.test("packWorkspace() carries the history the refs and the index reach, less every blob holding a secret", () =>
  withRepo(
    "git init -q -b main && git config user.name u && git config user.email u@u.invalid && " +
      "echo hi > README.md && git add . && git commit -qm first && " +
      // A secret committed, and one committed and deleted again: both in the history.
      `printf 'token: ghp_${"N7dQz8Lk3mXw1Yb6Rc5Tv2Hs9Jp4Ga0Fe7Ui"}\\n' > config.yml && ` +
      `printf 'AWS_ACCESS_KEY_ID=AKIA${"QYLPMN5HFIQR7XZB"}\\n' > old.env && ` +
      `printf 'token: ghp_${"K2dQz8Lk3mXw1Yb6Rc5Tv2Hs9Jp4Ga0Fe7Vi"}\\n' > carried.yml && ` +
      "git add . && git commit -qm secrets && git rm -q old.env && git commit -qm gone && " +
      // A .env staged once and unstaged again: a blob no ref reaches.
      `printf 'TOKEN=ghp_${"Z3dQz8Lk3mXw1Yb6Rc5Tv2Hs9Jp4Ga0Fe7Wi"}\\n' > .env && ` +
      "git add .env && git rm -q --cached .env",
    async (repo, top) => {
      // In one pack, and in two made at once (as a large history is).
      for (const parts of [1, 2]) {
        const dir = join(top, `parts-${parts}`);
        await Deno.mkdir(dir);
        const staging = await Deno.makeTempDir({ dir });
        const location = await locateWorkspace(repo);
        // carried.yml holds a secret too, but --include carries it, its history with it.
        const selection = await selectWorkspace(location, ["carried.yml"]);
        const source = await repositorySource(location, selection, staging);
        const packed = await packWorkspace(location, selection, source, {
          staging,
          gateUrl: "git://gate/_workspace.git",
          gateName: "_workspace",
          historyParts: parts,
        });
        assert.deepEqual(
          packed.historyLeftOut.map((l) => [l.path, l.rule]),
          [["config.yml", "github-token"], ["old.env", "aws-access-key-id"]],
        );
        const agent = join(dir, "agent");
        await Deno.mkdir(agent);
        await sh(`tar -xf ${packed.agentTar}`, agent);
        // Every pack the agent has is a promisor's: what stayed out is not an error there.
        const packFiles = await sh("ls .git/objects/pack", agent);
        assert.equal(packFiles.match(/\.pack$/gm)?.length, parts, packFiles);
        assert.equal(packFiles.match(/\.promisor$/gm)?.length, parts, packFiles);
        // Every object the agent has, printed: no secret but the one carried on purpose.
        const all = await sh(
          "git cat-file --batch-all-objects --batch-check='%(objectname)' | " +
            "while read o; do git cat-file -p $o; done",
          agent,
        );
        assert.deepEqual(all.match(/ghp_\w+|AKIA\w+/g), [
          `ghp_K2dQz8Lk3mXw1Yb6Rc5Tv2Hs9Jp4Ga0Fe7Vi`,
        ]);
        // The rest of the history is whole: its log, the files, a commit and a gc work.
        assert.equal((await sh("git log --format=%s", agent)).trim(), "gone\nsecrets\nfirst");
        assert.equal(await sh("git show HEAD:README.md", agent), "hi\n");
        assert.equal(await sh("git status --porcelain --untracked-files=no", agent), "");
        await sh(
          "echo more >> README.md && git -c user.name=a -c user.email=a@a.invalid commit -qam agent && " +
            "git gc -q",
          agent,
        );
        // What stayed out is missing for git there, which says so (and fetches nothing).
        const shown = await captureRaw($`git -C ${agent} show HEAD~1:config.yml`);
        assert.notEqual(shown.code, 0);
        assert.match(shown.stderr, /this file version holds a secret and stayed out of the bottle/);
        assert.match(shown.stderr, /could not fetch [0-9a-f]+ from promisor remote/);

        // The gate has all of the history, so that it can check the links of what the agent
        // pushes, and serves no fetch; a push naming a left-out blob is accepted.
        const gate = join(dir, "seed");
        await Deno.mkdir(gate);
        await sh(`tar --no-same-owner -xf ${packed.seedTar}`, gate);
        const bare = join(gate, gateRepo("_workspace").replace(/^\/var\/lib\/bot-bottle\//, ""));
        assert.equal((await sh("git config daemon.uploadpack", bare)).trim(), "false");
        assert.match(await sh("git show HEAD~1:config.yml", bare), /ghp_N7dQ/);
        await sh("git config receive.fsckObjects true", bare);
        await sh(`git push -q ${bare} HEAD:refs/heads/main`, agent);
        assert.equal((await sh("git log -1 --format=%s main", bare)).trim(), "agent");
        // A new version of a file whose old one stayed out goes too (no delta against it).
        await sh(
          "git update-index --no-skip-worktree config.yml && printf 'port: 1\\n' > config.yml && " +
            "git add config.yml && git -c user.name=a -c user.email=a@a.invalid commit -qm config && " +
            `git push -q ${bare} HEAD:refs/heads/main`,
          agent,
        );
        assert.equal(await sh("git show main:config.yml", bare), "port: 1\n");
      }
    },
  ));

Deno.test("packWorkspace() of a repository holding no secret makes a whole clone that serves fetches", () =>
  withRepo(
    "git init -q -b main && echo hi > README.md && git add . && " +
      "git -c user.name=u -c user.email=u@u.invalid commit -qm first",
    async (repo, dir) => {
      const agent = join(dir, "agent");
      await carry(repo, agent, await Deno.makeTempDir({ dir }));
      assert.equal(await sh("git config --get extensions.partialClone || true", agent), "");
      assert.equal(await sh("ls .git/objects/pack | grep -c promisor || true", agent), "0\n");
      await sh("git fsck --strict --no-progress", agent);
    },
  ));

Deno.test("packHistory() remembers the blobs it found clean, for this detector, and reads them no more", () =>
  withRepo(
    "git init -q -b main && echo hi > README.md && " +
      `printf 'token: ghp_${"N7dQz8Lk3mXw1Yb6Rc5Tv2Hs9Jp4Ga0Fe7Ui"}\\n' > config.yml && ` +
      "git add . && git -c user.name=u -c user.email=u@u.invalid commit -qm first",
    async (repo, dir) => {
      const cache = join(dir, "cache");
      const tips = [(await sh("git rev-parse HEAD", repo)).trim()];
      const readme = (await sh("git rev-parse HEAD:README.md", repo)).trim();
      const secret = (await sh("git rev-parse HEAD:config.yml", repo)).trim();
      const pack = async (n: number) => {
        const clean = await CleanContents.open(cache, "sha1");
        const history = await packHistory(repo, tips, { dir: join(dir, `${n}`), clean });
        await clean.save();
        return history;
      };
      const first = await pack(1);
      assert.deepEqual(first.leftOut.map((l) => l.blob), [secret]);
      const [file, ...others] = [...Deno.readDirSync(cache)].map((e) => join(cache, e.name));
      assert.deepEqual(others, []);
      const held = await CleanContents.open(cache, "sha1");
      assert.deepEqual([held.has(readme), held.has(secret)], [true, false], "the clean blob only");
      // What the cache says is believed: marked clean there, the secret goes in.
      held.add(secret);
      await held.save();
      const second = await pack(2);
      assert.deepEqual(second.leftOut, []);
      // A cache of another detector is not read, and goes.
      await Deno.rename(file!, join(cache, "0123456789abcdef01234567.sha1"));
      const third = await pack(3);
      assert.deepEqual(third.leftOut.map((l) => l.blob), [secret]);
      assert.deepEqual([...Deno.readDirSync(cache)].map((e) => join(cache, e.name)), [file]);
    },
  ));

Deno.test("packHistory() of a partial clone carries what it holds and fetches nothing", () =>
  withRepo(
    "git init -q -b main && git config uploadpack.allowFilter true && " +
      "for i in 1 2 3; do echo $i > f.txt && git add f.txt && " +
      "git -c user.name=u -c user.email=u@u.invalid commit -qm c$i; done",
    async (repo, dir) => {
      const clone = join(dir, "clone");
      await sh(`git clone -q --filter=blob:none file://${repo} ${clone}`);
      const count = async () => (await sh("git count-objects -v", clone)).match(/in-pack: \d+/)![0];
      const before = await count();
      const tips = [(await sh("git rev-parse HEAD", clone)).trim()];
      const history = await packHistory(clone, tips, { dir: join(dir, "out") });
      assert.equal(await count(), before, "an object the clone lacked was fetched");
      // Its three commits and trees, and the one version of f.txt it holds.
      const packed = await sh(
        `git verify-pack -v ${history.packs[0]!.idx} | grep -c -E ' (commit|tree|blob) '`,
      );
      assert.equal(packed.trim(), "7");
    },
  ));

Deno.test("packHistory() searches for no new deltas, and keeps those the repository's packs hold", () =>
  withRepo(
    // Three versions of a file of 400 lines, each a line apart: loose objects, stored whole.
    'git init -q -b main && for i in 1 2 3; do seq 1 400 | sed "s/^$i\\$/changed/" > f.txt && ' +
      "git add f.txt && git -c user.name=u -c user.email=u@u.invalid commit -qm c$i; done",
    async (repo, dir) => {
      const tips = [(await sh("git rev-parse HEAD", repo)).trim()];
      const deltas = async (idx: string) => (await packEntries([{ idx }])).deltas;
      const loose = await packHistory(repo, tips, { dir: join(dir, "1") });
      assert.equal(await deltas(loose.packs[0]!.idx), 0, "a delta was searched for");
      // Loose objects are compressed at zlib's fastest level: each entry's zlib header
      // (after its size, of 7 bits a byte while the top one is set) says which.
      const pack = await Deno.readFile(loose.packs[0]!.pack);
      const levels = (await sh(`git verify-pack -v ${loose.packs[0]!.idx}`)).split("\n")
        .filter((l) => / (?:commit|tree|blob) /.test(l)).map((l) => {
          let at = Number(l.trim().split(/ +/)[4]);
          while (pack[at++]! & 0x80) { /* the size's next byte */ }
          return pack[at + 1]! >> 6; // FLEVEL: 0 fastest, 2 git's default
        });
      assert.equal(levels.length, 9);
      assert.deepEqual(new Set(levels), new Set([0]));
      await sh("git repack -q -a -d", repo);
      const own = join(repo, ".git", "objects", "pack");
      const idx = [...Deno.readDirSync(own)].find((e) => e.name.endsWith(".idx"))!.name;
      const held = await deltas(join(own, idx));
      assert.ok(held >= 2, `the repository's own pack holds ${held} deltas`);
      const packed = await packHistory(repo, tips, { dir: join(dir, "2") });
      assert.equal(
        await deltas(packed.packs[0]!.idx),
        held,
        "the repository's deltas were not kept",
      );
    },
  ));

Deno.test("packHistory() says that it packs when packing takes a while, once, and not for a quick one", () =>
  withRepo(
    "git init -q -b main && seq 1 1000 > f.txt && git add f.txt && " +
      "git -c user.name=u -c user.email=u@u.invalid commit -qm c",
    async (repo, dir) => {
      const tips = [(await sh("git rev-parse HEAD", repo)).trim()];
      const said: string[] = [];
      // deno-lint-ignore no-console
      const error = console.error;
      // deno-lint-ignore no-console
      console.error = (line: string) => said.push(line);
      configureLog({ quiet: false });
      try {
        await packHistory(repo, tips, { dir: join(dir, "1"), noticeAfter: 0 });
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(said, ["  packing the history: 3 objects, 0.0 MB"]);
        said.length = 0;
        await packHistory(repo, tips, { dir: join(dir, "2") });
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(said, []);
      } finally {
        // deno-lint-ignore no-console
        console.error = error;
        configureLog({ quiet: true });
      }
    },
  ));

Deno.test("packParts() keeps every version of a path in one part, the parts about equal in size", () => {
  const sizes = new Map<string, number>();
  const list: string[] = ["c1", "c2"]; // commits: no path
  for (
    const [path, versions, size] of [["big", 2, 50], ["a", 3, 10], ["b", 3, 10], [
      "c",
      1,
      20,
    ]] as const
  ) {
    for (let v = 0; v < versions; v++) {
      const id = `${path}${v}`;
      sizes.set(id, size);
      list.push(`${id} ${path}`);
    }
  }
  assert.deepEqual(packParts(list, sizes, 1), [list]);
  const parts = packParts(list, sizes, 2);
  assert.equal(parts.length, 2);
  assert.deepEqual(parts.flat().toSorted(), list.toSorted());
  const partOf = (path: string) => parts.findIndex((p) => p.some((l) => l.endsWith(` ${path}`)));
  for (const path of ["big", "a", "b", "c"]) {
    assert.ok(parts.every((p, i) => i === partOf(path) || !p.some((l) => l.endsWith(` ${path}`))));
  }
  const bytes = parts.map((p) => p.reduce((sum, l) => sum + (sizes.get(l.split(" ")[0]!) ?? 0), 0));
  assert.deepEqual(bytes.toSorted((a, b) => a - b), [80, 100]); // big alone; a, b and c together
  // More parts than paths: no empty pack.
  assert.equal(packParts(["x1 x"], new Map([["x1", 1]]), 4).length, 1);
});

Deno.test("packHistory() in parts carries the same objects, each version of a file and its deltas in one pack", () =>
  withRepo(
    'git init -q -b main && for i in 1 2 3; do seq 1 400 | sed "s/^$i\\$/changed/" > f.txt && ' +
      'seq -f "entry %g of the other file, which is nothing like the first" 1 300 | ' +
      'sed "s/^entry $i /changed /" > g.txt && git add . && ' +
      "git -c user.name=u -c user.email=u@u.invalid commit -qm c$i; done && git repack -q -a -d",
    async (repo, dir) => {
      const tips = [(await sh("git rev-parse HEAD", repo)).trim()];
      const objects = async (packs: Pack[]) => (await packEntries(packs)).ids;
      const deltas = async (packs: Pack[]) => (await packEntries(packs)).deltas;
      const one = await packHistory(repo, tips, { dir: join(dir, "1"), parts: 1 });
      const two = await packHistory(repo, tips, { dir: join(dir, "2"), parts: 2 });
      assert.equal(one.packs.length, 1);
      assert.equal(two.packs.length, 2);
      assert.deepEqual(await objects(two.packs), await objects(one.packs));
      assert.ok(await deltas(one.packs) >= 4, "the repository's own deltas");
      assert.equal(await deltas(two.packs), await deltas(one.packs), "a delta was lost");
      // A repository of both packs is whole.
      const copy = join(dir, "copy");
      await sh(`git init -q --bare ${copy}`);
      for (const p of two.packs) await sh(`cp ${p.pack} ${p.idx} ${copy}/objects/pack/`);
      await sh(`git --git-dir=${copy} update-ref refs/heads/main ${tips[0]}`);
      await sh(`git --git-dir=${copy} fsck --strict --no-progress`);
    },
  ));

Deno.test("packHistory() packs the objects as stored, not as refs/replace shows them", () =>
  withRepo(
    "git init -q -b main && echo a > a && git add a && " +
      "git -c user.name=u -c user.email=u@u.invalid commit -qm a && echo b > b && git add b && " +
      "git -c user.name=u -c user.email=u@u.invalid commit -qm b && " +
      "git replace HEAD~1 $(git -c user.name=u -c user.email=u@u.invalid commit-tree -m fake " +
      "$(git mktree </dev/null))",
    async (repo, dir) => {
      const tips = [(await sh("git rev-parse main", repo)).trim()];
      const history = await packHistory(repo, tips, { dir: join(dir, "out") });
      const packed = await sh(`git verify-pack -v ${history.packs[0]!.idx} | cut -d' ' -f1`);
      // The first commit's own tree is in it, whatever replaces the commit.
      const tree = (await sh("git --no-replace-objects rev-parse main~1^{tree}", repo)).trim();
      assert.ok(packed.split("\n").includes(tree), packed);
    },
  ));

Deno.test("packWorkspace() of a repository with a split index gives the agent a whole one, and writes nothing in yours", () =>
  withRepo(
    "git init -q -b main && git config core.splitIndex true && echo a > a && echo b > b && " +
      "git add . && git -c user.name=u -c user.email=u@u.invalid commit -qm first && " +
      "echo c > c && git add c",
    async (repo, dir) => {
      const shared = () => sh("ls .git | grep -c sharedindex || true", repo);
      const before = await shared();
      const agent = join(dir, "agent");
      await carry(repo, agent, await Deno.makeTempDir({ dir }));
      assert.equal(await sh("git ls-files", agent), "a\nb\nc\n");
      assert.equal(await shared(), before);
    },
  ));
