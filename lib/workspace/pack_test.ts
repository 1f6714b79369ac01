import assert from "node:assert/strict";
import { join } from "node:path";
import { configureLog } from "../log.ts";
import { sh } from "../../tests/shell.ts";
import { packWorkspace, repositorySource } from "./pack.ts";
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
