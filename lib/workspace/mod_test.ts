import assert from "node:assert/strict";
import { join } from "node:path";
import { configureLog } from "../log.ts";
import type { BottlePlan } from "../plan/types.ts";
import { sh } from "../../tests/shell.ts";
import { prepareWorkspace } from "./mod.ts";
import { CleanContents } from "./verdicts.ts";

Deno.test("prepareWorkspace() keeps one set of verdicts for the tree and the history, read again at the next start", async () => {
  configureLog({ quiet: true });
  const dir = await Deno.makeTempDir();
  try {
    const repo = join(dir, "repo");
    await Deno.mkdir(repo);
    await sh(
      "git init -q -b main && echo hi > README.md && echo old > old.txt && git add . && " +
        "git -c user.name=u -c user.email=u@u.invalid commit -qm first && git rm -q old.txt && " +
        `printf 'id = "AKIA${"QYLPMN5HFIQR7XZB"}"\\n' > keys.ts && git add . && ` +
        "git -c user.name=u -c user.email=u@u.invalid commit -qm second",
      repo,
    );
    const env = {
      BOT_BOTTLE_STATE_DIR: join(dir, "state"),
      BOT_BOTTLE_CACHE_DIR: join(dir, "cache"),
    };
    const plan = {
      instance: "claude-test01",
      git: [],
      publicValues: [],
      workspace: {
        source: repo,
        root: repo,
        kind: "git",
        guestPath: "/home/node/workspace",
        include: [],
        gate: {
          name: "_workspace",
          url: "git://gate/_workspace.git",
          allowForcePush: false,
          protectedPaths: [],
        },
        home: { repo, refPrefix: "bot-bottle/claude-test01" },
      },
    } as unknown as BottlePlan;
    const blob = async (spec: string) => (await sh(`git rev-parse ${spec}`, repo)).trim();
    for (const start of [1, 2]) {
      const staging = join(dir, `staging-${start}`);
      await Deno.mkdir(staging);
      const prepared = await prepareWorkspace(plan, env, staging);
      assert.deepEqual(prepared.selection.paths, ["README.md"], `start ${start}`);
      assert.deepEqual(prepared.selection.flagged.map((f) => f.path), ["keys.ts"]);
      const clean = await CleanContents.open(
        join(env.BOT_BOTTLE_CACHE_DIR, "history-scan"),
        "sha1",
      );
      // The tree's clean file, and a version only the history holds; never the key.
      assert.equal(clean.has(await blob("HEAD:README.md")), true, `start ${start}`);
      assert.equal(clean.has(await blob("HEAD~1:old.txt")), true, `start ${start}`);
      assert.equal(clean.has(await blob("HEAD:keys.ts")), false, `start ${start}`);
    }
  } finally {
    configureLog({ quiet: false });
    await Deno.remove(dir, { recursive: true });
  }
});
