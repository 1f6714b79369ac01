import assert from "node:assert/strict";
import { globMatch } from "./diff.ts";
import type { CommitScan, PushScan } from "./objects.ts";
import {
  decide,
  type GateRules,
  homeRefAllowed,
  type Override,
  refNameRefusal,
  ZERO,
} from "./policy.ts";
import { scanAdded } from "./scan.ts";

const RULES: GateRules = {
  allowForcePush: false,
  allowDelete: false,
  protectedPaths: [".github/workflows/**"],
  secrets: [],
};
const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c0ffee".padEnd(40, "0");
const MAIN = { old: A, new: B, ref: "refs/heads/main" };

async function commit(files: Record<string, string[]>, sha = C): Promise<CommitScan> {
  const added = Object.entries(files).flatMap(([file, lines]) =>
    lines.map((text, i) => ({ file, line: i + 1, text }))
  );
  return { sha, touched: Object.keys(files), findings: await scanAdded(added) };
}

function scan(commits: CommitScan[], extra: Partial<PushScan> = {}): PushScan {
  return { commits, findings: [], oversized: [], ...extra };
}

Deno.test("decide() accepts a clean fast-forward", async () => {
  const d = decide(
    MAIN,
    { fastForward: true, scan: scan([await commit({ "a.ts": ["x"] })]) },
    RULES,
  );
  assert.deepEqual(d, { refusals: [], used: [] });
});

Deno.test("decide() refuses a force-push and a deletion unless the entry allows them", () => {
  const rules = (d: ReturnType<typeof decide>) => d.refusals.map((r) => r.rule);
  assert.deepEqual(rules(decide(MAIN, { fastForward: false, scan: scan([]) }, RULES)), [
    "no-force-push",
  ]);
  assert.deepEqual(
    rules(decide(MAIN, { fastForward: false, scan: scan([]) }, { ...RULES, allowForcePush: true })),
    [],
  );
  const del = { old: A, new: ZERO, ref: "refs/heads/x" };
  assert.deepEqual(rules(decide(del, { fastForward: false, scan: scan([]) }, RULES)), [
    "no-delete",
  ]);
  assert.deepEqual(
    rules(decide(del, { fastForward: false, scan: scan([]) }, { ...RULES, allowDelete: true })),
    [],
  );
  assert.deepEqual(
    rules(
      decide(
        { old: ZERO, new: B, ref: "refs/heads/new" },
        { fastForward: false, scan: scan([]) },
        RULES,
      ),
    ),
    [],
    "a new branch is no force-push",
  );
});

Deno.test("decide() names commit, file, line and rule of a secret, never the secret", async () => {
  const secret = "AK" + "IAQ3EGQ2VFOW7ZXM4N";
  const { refusals: [r] } = decide(MAIN, {
    fastForward: true,
    scan: scan([await commit({ "config/prod.env": ["# creds", `AWS_ACCESS_KEY_ID=${secret}`] })]),
  }, RULES);
  assert.equal(
    r!.message,
    "commit c0ffee000000 config/prod.env:2: AWS access key ID (rule aws-access-key-id)",
  );
  assert.ok(!JSON.stringify(r).includes(secret));
});

Deno.test("decide() refuses protected paths by their raw names, whatever the characters", async () => {
  const refusals = decide(MAIN, {
    fastForward: true,
    scan: scan([await commit({ ".github/workflows/é.yml": ["on: push"] })]),
  }, RULES).refusals;
  assert.deepEqual(refusals.map((r) => [r.rule, r.file]), [[
    "protected-path",
    ".github/workflows/é.yml",
  ]]);
});

Deno.test("decide() refuses a ref that names no commit, an oversized blob, and secrets in tags", () => {
  const d = decide(MAIN, {
    fastForward: true,
    scan: scan([], {
      badTarget: "it points at a blob, not a commit or a tag of one",
      oversized: [{ path: "big.bin", bytes: 40 * 2 ** 20 }],
      findings: [{
        file: "(tag v1 message)",
        line: 1,
        rule: "github-token",
        description: "GitHub token",
      }],
    }),
  }, RULES);
  assert.deepEqual(d.refusals.map((r) => r.rule), ["not-a-commit", "too-large", "github-token"]);
  assert.match(
    d.refusals[1]!.message,
    /big\.bin is 40\.0 MiB, over the gate's scan limit of 32\.0 MiB/,
  );
});

Deno.test("decide() lets an override excuse exactly its commit on its ref, protected paths only if approved", async () => {
  const secret = "AK" + "IAQ3EGQ2VFOW7ZXM4N";
  const c = await commit({
    "a.env": [`AWS_ACCESS_KEY_ID=${secret}`],
    ".github/workflows/ci.yml": ["x"],
  });
  const facts = { fastForward: true, scan: scan([c]) };
  const exact: Override = { commit: C, ref: "refs/heads/main", protectedPaths: false };
  assert.deepEqual(decide(MAIN, facts, RULES, [exact]).refusals.map((r) => r.rule), [
    "protected-path",
  ]);
  const withPaths: Override = { ...exact, protectedPaths: true };
  assert.deepEqual(decide(MAIN, facts, RULES, [withPaths]), { refusals: [], used: [withPaths] });
  for (
    const other of [
      { ...withPaths, ref: "refs/heads/other" },
      { ...withPaths, commit: C.slice(0, 7) },
      { ...withPaths, used: true },
    ]
  ) {
    assert.deepEqual(
      decide(MAIN, facts, RULES, [other]).refusals.map((r) => r.rule).toSorted(),
      ["aws-access-key-id", "protected-path"],
      JSON.stringify(other),
    );
  }
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

Deno.test("homeRefAllowed() takes branches, tags and bot-bottle's exit-time refs only", () => {
  for (
    const ok of [
      "refs/heads/main",
      "refs/heads/feature/x",
      "refs/tags/v1",
      "refs/bot-bottle/wip",
      "refs/bot-bottle/submodule/6c69622f737562",
      "refs/bot-bottle/stash/0",
      "refs/bot-bottle/stash/12",
      "refs/bot-bottle/head",
    ]
  ) assert.ok(homeRefAllowed(ok), ok);
  for (
    const bad of [
      "refs/heads/",
      "refs/notes/commits",
      "refs/remotes/origin/main",
      "refs/bot-bottle/baseline",
      "refs/bot-bottle/submodule/",
      "refs/bot-bottle/submodule/xyz",
      "refs/bot-bottle/submodule/6c6",
      "refs/bot-bottle/submodule/6c/69",
      "refs/bot-bottle/stash/",
      "refs/bot-bottle/stash/01",
      "refs/bot-bottle/stash/x",
      "refs/bot-bottle/stash/1/2",
      "refs/bot-bottle/start",
      "refs/bot-bottle/head/x",
      "HEAD",
    ]
  ) assert.ok(!homeRefAllowed(bad), bad);
});

Deno.test("decide() names ten secrets a file, and counts the rest of that file's in one refusal a rule", () => {
  const many = (file: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      file,
      line: i + 1,
      rule: i % 2 ? "github-token" : "aws-access-key-id",
      description: i % 2 ? "GitHub token" : "AWS access key ID",
    }));
  const findings = [...many("dump.txt", 150_000), ...many("two.txt", 2)];
  const d = decide(MAIN, {
    fastForward: true,
    scan: scan([{ sha: C, touched: ["dump.txt", "two.txt"], findings }]),
  }, RULES);
  assert.equal(d.refusals.length, 10 + 2 + 2);
  assert.deepEqual(d.refusals.slice(-2), [
    {
      ref: MAIN.ref,
      commit: C,
      file: "dump.txt",
      rule: "aws-access-key-id",
      message:
        "commit c0ffee000000 dump.txt: 74995 more: AWS access key ID (rule aws-access-key-id)",
    },
    {
      ref: MAIN.ref,
      commit: C,
      file: "dump.txt",
      rule: "github-token",
      message: "commit c0ffee000000 dump.txt: 74995 more: GitHub token (rule github-token)",
    },
  ]);
  assert.ok(d.refusals.slice(0, 12).every((r) => r.line !== undefined));
});

Deno.test("refNameRefusal() refuses a ref named for a secret and names it without it; decide() names such a path so", async () => {
  const token = "gh" + "p_Zq8Lr2Xv9Kt4Wm7Pn3Bc6Hd1Fj5Gs0Ya8Ue2";
  for (
    const ref of [
      `refs/heads/leak/${token}`,
      `refs/tags/v1-${token}`,
      `refs/heads/${btoa(token)}`,
      // Cut at a slash, or at a dot.
      `refs/heads/${token.slice(0, 14)}/${token.slice(14)}`,
      `refs/tags/${token.slice(0, 20)}.${token.slice(20)}`,
    ]
  ) {
    const r = refNameRefusal(ref, RULES);
    assert.ok(r, ref);
    assert.equal(r.rule, "github-token");
    assert.ok(!JSON.stringify(r).includes(token) && !JSON.stringify(r).includes(btoa(token)), ref);
    // Base64 holds slashes: its run may start the name, which is then hidden whole.
    assert.match(r.ref, /\[name holding a secret\]$/);
  }
  // A bottle's own value in a name, and ordinary names.
  assert.ok(
    refNameRefusal("refs/heads/x-bottle-value-k9X2mQ7pL4", {
      ...RULES,
      secrets: ["bottle-value-k9X2mQ7pL4"],
    }),
  );
  for (const ref of ["refs/heads/main", "refs/heads/feature/ghp-support", "refs/tags/v1.2.3"]) {
    assert.equal(refNameRefusal(ref, RULES), undefined, ref);
  }
  // A protected path whose name holds a secret is named by its label.
  const path = `.github/workflows/${token}.yml`;
  const refusals = decide(MAIN, {
    fastForward: true,
    scan: scan([await commit({ [path]: ["on: push"] })], {
      pathLabels: new Map([[path, ".github/workflows/[name holding a secret]"]]),
    }),
  }, RULES).refusals;
  assert.deepEqual(refusals.map((r) => [r.rule, r.file]), [[
    "protected-path",
    ".github/workflows/[name holding a secret]",
  ]]);
  assert.ok(!JSON.stringify(refusals).includes(token));
});
