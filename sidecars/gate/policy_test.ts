import assert from "node:assert/strict";
import { addedLines, globMatch } from "./diff.ts";
import { type CommitFacts, decide, type GateRules, ZERO } from "./policy.ts";
import { scanAdded } from "./scan.ts";

const RULES: GateRules = {
  allowForcePush: false,
  allowDelete: false,
  protectedPaths: [".github/workflows/**"],
  secrets: [],
};
const A = "a".repeat(40);
const B = "b".repeat(40);

async function commit(files: Record<string, string[]>): Promise<CommitFacts> {
  const added = Object.entries(files).flatMap(([file, lines]) =>
    lines.map((text, i) => ({ file, line: i + 1, text }))
  );
  return {
    sha: "c0ffee".padEnd(40, "0"),
    files: Object.keys(files),
    findings: await scanAdded(added),
  };
}

Deno.test("decide() accepts a clean fast-forward", async () => {
  assert.deepEqual(
    decide({ old: A, new: B, ref: "refs/heads/main" }, {
      fastForward: true,
      commits: [await commit({ "a.ts": ["x"] })],
    }, RULES),
    [],
  );
});

Deno.test("decide() refuses a force-push and a deletion unless the entry allows them", () => {
  const force = decide({ old: A, new: B, ref: "refs/heads/main" }, {
    fastForward: false,
    commits: [],
  }, RULES);
  assert.deepEqual(force.map((r) => r.rule), ["no-force-push"]);
  assert.deepEqual(
    decide({ old: A, new: B, ref: "refs/heads/main" }, { fastForward: false, commits: [] }, {
      ...RULES,
      allowForcePush: true,
    }),
    [],
  );
  const del = decide({ old: A, new: ZERO, ref: "refs/heads/x" }, {
    fastForward: false,
    commits: [],
  }, RULES);
  assert.deepEqual(del.map((r) => r.rule), ["no-delete"]);
  assert.deepEqual(
    decide({ old: A, new: ZERO, ref: "refs/heads/x" }, { fastForward: false, commits: [] }, {
      ...RULES,
      allowDelete: true,
    }),
    [],
  );
  assert.deepEqual(
    decide(
      { old: ZERO, new: B, ref: "refs/heads/new" },
      { fastForward: false, commits: [] },
      RULES,
    ),
    [],
    "a new branch is no force-push",
  );
});

Deno.test("decide() names commit, file, line and rule of a secret, never the secret", async () => {
  const secret = "AKIA" + "Q3EGQ2VFOW7ZXM4N";
  const [r] = decide({ old: A, new: B, ref: "refs/heads/main" }, {
    fastForward: true,
    commits: [await commit({ "config/prod.env": ["# creds", `AWS_ACCESS_KEY_ID=${secret}`] })],
  }, RULES);
  assert.equal(
    r!.message,
    "commit c0ffee000000 config/prod.env:2: AWS access key ID (rule aws-access-key-id)",
  );
  assert.ok(!JSON.stringify(r).includes(secret));
});

Deno.test("decide() refuses changes to protected paths", async () => {
  const refusals = decide({ old: A, new: B, ref: "refs/heads/main" }, {
    fastForward: true,
    commits: [await commit({ ".github/workflows/ci.yml": ["on: push"] })],
  }, RULES);
  assert.deepEqual(refusals.map((r) => r.rule), ["protected-path"]);
});

Deno.test("addedLines() reads files and new line numbers from a zero-context patch", () => {
  const patch = [
    "diff --git a/src/a.ts b/src/a.ts",
    "index 1..2 100644",
    "--- a/src/a.ts",
    "+++ b/src/a.ts",
    "@@ -3,0 +4,2 @@ fn",
    "+one",
    "+two",
    "@@ -10 +12 @@",
    "-old",
    "+new",
    "diff --git a/gone.txt b/gone.txt",
    "--- a/gone.txt",
    "+++ /dev/null",
    "@@ -1 +0,0 @@",
    "-bye",
    'diff --git "a/sp ace.txt" "b/sp ace.txt"',
    "--- /dev/null",
    '+++ "b/sp ace.txt"',
    "@@ -0,0 +1 @@",
    "+hi",
  ].join("\n");
  assert.deepEqual(addedLines(patch), [
    { file: "src/a.ts", line: 4, text: "one" },
    { file: "src/a.ts", line: 5, text: "two" },
    { file: "src/a.ts", line: 12, text: "new" },
    { file: "sp ace.txt", line: 1, text: "hi" },
  ]);
});

Deno.test("globMatch() treats ** as any depth and * as one segment", () => {
  assert.ok(globMatch(".github/workflows/**", ".github/workflows/ci.yml"));
  assert.ok(globMatch(".github/workflows/**", ".github/workflows/a/b.yml"));
  assert.ok(!globMatch(".github/workflows/**", ".github/other.yml"));
  assert.ok(globMatch("**/*.pem", "keys/deep/server.pem"));
  assert.ok(globMatch("**/*.pem", "server.pem"));
  assert.ok(!globMatch("*.pem", "keys/server.pem"));
  assert.ok(globMatch("Makefile", "Makefile"));
  assert.ok(!globMatch("a.b", "axb"));
});
