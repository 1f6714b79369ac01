import assert from "node:assert/strict";
import {
  homeRefs,
  safeRefPart,
  shortRef,
  STASH_REFS,
  SUBMODULE_REFS,
  submoduleOf,
  WIP_REF,
} from "./refs.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);

Deno.test("homeRefs() brings changed branches and tags home under the bottle's namespace", () => {
  const seed = { "refs/heads/main": A, "refs/heads/old": B, "refs/tags/v1": A };
  const gate = {
    "refs/heads/main": C, // the agent moved main
    "refs/heads/old": B, // unchanged: stays behind
    "refs/heads/feature/x": C, // new
    "refs/tags/v1": A, // unchanged
    "refs/tags/v2": C, // new tag
    "refs/notes/commits": C, // not a branch or tag: never crosses
    "refs/remotes/origin/main": C,
  };
  assert.deepEqual(homeRefs("claude-ab12cd", gate, seed), [
    { gate: "refs/heads/feature/x", home: "refs/heads/bot-bottle/claude-ab12cd/feature/x", sha: C },
    { gate: "refs/heads/main", home: "refs/heads/bot-bottle/claude-ab12cd/main", sha: C },
    { gate: "refs/tags/v2", home: "refs/tags/bot-bottle/claude-ab12cd/v2", sha: C },
  ]);
});

Deno.test("homeRefs() names the uncommitted work wip, and a branch called wip gives way", () => {
  const out = homeRefs("c-1", { [WIP_REF]: A, "refs/heads/wip": B }, {});
  assert.deepEqual(out.map((r) => r.home), [
    "refs/heads/bot-bottle/c-1/wip",
    "refs/heads/bot-bottle/c-1/wip-2",
  ]);
});

Deno.test("homeRefs() brings work inside a submodule home by its path, and no two names clash as paths", () => {
  const hex = (path: string) =>
    Array.from(new TextEncoder().encode(path), (b) => b.toString(16).padStart(2, "0")).join("");
  const gate = {
    [WIP_REF]: A,
    [`${SUBMODULE_REFS}${hex("lib/sub")}`]: B,
    [`${SUBMODULE_REFS}${hex("vendor/ünï")}`]: C,
    [`${SUBMODULE_REFS}xyz`]: C, // not hex: never crosses
    "refs/heads/wip/more": A, // would sit inside .../wip
    "refs/heads/submodule": B, // would hold .../submodule/lib/sub
    [`${STASH_REFS}0`]: A,
    [`${STASH_REFS}01`]: A, // not a stash number: never crosses
  };
  assert.deepEqual(
    homeRefs("c-1", gate, {}).map((r) => [r.home, r.submodule]),
    [
      ["refs/heads/bot-bottle/c-1/wip", undefined],
      ["refs/heads/bot-bottle/c-1/submodule/lib/sub", "lib/sub"],
      ["refs/heads/bot-bottle/c-1/submodule/unnamed-1", "vendor/ünï"],
      ["refs/heads/bot-bottle/c-1/stash/0", undefined],
      ["refs/heads/bot-bottle/c-1/submodule-2", undefined],
      ["refs/heads/bot-bottle/c-1/wip-2/more", undefined],
    ],
  );
  assert.equal(submoduleOf(`${SUBMODULE_REFS}${hex("a b")}`), "a b");
  assert.equal(submoduleOf("refs/heads/x"), undefined);
});

Deno.test("homeRefs() renames branch names a terminal or git could trip on", () => {
  const gate = {
    "refs/heads/ok-name_1.2": A,
    "refs/heads/evil\u001b[2Jname": B,
    "refs/heads/\u202egnp.exe": C,
    "refs/heads/.hidden": A,
  };
  const homes = homeRefs("c-1", gate, {}).map((r) => r.home).toSorted();
  assert.deepEqual(homes, [
    "refs/heads/bot-bottle/c-1/ok-name_1.2",
    "refs/heads/bot-bottle/c-1/unnamed-1",
    "refs/heads/bot-bottle/c-1/unnamed-2",
    "refs/heads/bot-bottle/c-1/unnamed-3",
  ]);
});

Deno.test("safeRefPart() accepts plain branch names only", () => {
  for (const ok of ["main", "feature/x", "fix-1.2", "a_b/c-d"]) assert.ok(safeRefPart(ok), ok);
  for (const bad of ["", "a..b", ".x", "x/", "x.lock", "a b", "é", "x.", "a//b", "-\u0007"]) {
    assert.ok(!safeRefPart(bad), JSON.stringify(bad));
  }
  assert.equal(shortRef("refs/heads/bot-bottle/x/main"), "bot-bottle/x/main");
});
