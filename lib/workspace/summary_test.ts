import assert from "node:assert/strict";
import { type HomeReport, renderSummary } from "./summary.ts";

const base: HomeReport = {
  instance: "claude-ab12cd",
  kind: "git",
  homeRepo: "/home/u/project",
  source: "/home/u/project",
  arrived: [],
  refused: [],
  problems: [],
};

Deno.test("renderSummary() lists what arrived with commit counts and how to look at it", () => {
  const text = renderSummary({
    ...base,
    baseBranch: "main",
    arrived: [
      { ref: "bot-bottle/claude-ab12cd/wip", commits: 2, wip: true },
      { ref: "bot-bottle/claude-ab12cd/main", commits: 1, wip: false },
      { ref: "bot-bottle/claude-ab12cd/v1", commits: 2, wip: false, tag: true },
    ],
    lfsFiles: 2,
  });
  assert.equal(
    text,
    [
      "Work from claude-ab12cd came home to /home/u/project:",
      "  bot-bottle/claude-ab12cd/wip   uncommitted and untracked work, as one commit",
      "  bot-bottle/claude-ab12cd/main  1 commit",
      "  bot-bottle/claude-ab12cd/v1    a tag: 2 commits",
      "  and the Git LFS content of 2 files they point to",
      "Look at it:",
      "  git log --oneline bot-bottle/claude-ab12cd/main",
      "  git diff main...bot-bottle/claude-ab12cd/main",
    ].join("\n"),
  );
});

Deno.test("renderSummary() shows a wip on the user's own uncommitted work by its own diff", () => {
  const text = renderSummary({
    ...base,
    baseBranch: "main",
    arrived: [{ ref: "bot-bottle/claude-ab12cd/wip", commits: 2, wip: true, onYourWork: true }],
  });
  assert.equal(
    text,
    [
      "Work from claude-ab12cd came home to /home/u/project:",
      "  bot-bottle/claude-ab12cd/wip  uncommitted and untracked work, as one commit (on one holding your own uncommitted work as it went in)",
      "Look at it:",
      "  git log --oneline bot-bottle/claude-ab12cd/wip",
      "  git diff bot-bottle/claude-ab12cd/wip~1 bot-bottle/claude-ab12cd/wip    # the agent's uncommitted changes alone",
    ].join("\n"),
  );
});

Deno.test("renderSummary() says where refused work is kept, and why, with agent text made inert", () => {
  const text = renderSummary({
    ...base,
    refused: [{
      ref: "creds\u001b]52;c;cHduZWQ=\u0007",
      reasons: ["commit abc creds.env:1: AWS access key ID (rule aws-access-key-id)"],
      keptIn: "/s/work/claude-ab12cd/kept.bundle",
    }],
    keptAt: "/s/work/claude-ab12cd",
  });
  assert.match(text, /^Nothing new came home from claude-ab12cd\./);
  assert.match(text, /Refused by the git gate \(no secret is shown\)/);
  assert.match(text, /creds\\e\]52;c;cHduZWQ=\\x07:/);
  assert.ok(![...text].some((c) => c < " " && c !== "\n"), "no control character is printed");
  assert.match(text, /kept in \/s\/work\/claude-ab12cd\/kept\.bundle \(mode 600\)/);
  assert.match(text, /git bundle list-heads \/s\/work\/claude-ab12cd\/kept\.bundle/);
  assert.match(
    text,
    /git fetch \/s\/work\/claude-ab12cd\/kept\.bundle 'refs\/\*:refs\/heads\/bot-bottle-kept\/claude-ab12cd\/\*'/,
  );
});

Deno.test("renderSummary() outside git points at the baseline repository and the patch", () => {
  const text = renderSummary({
    ...base,
    kind: "dir",
    source: "/home/u/notes",
    homeRepo: "/s/work/c/home.git",
    arrived: [{ ref: "bot-bottle/c/main", commits: 1, wip: false, patch: "/s/work/c/main.patch" }],
  });
  assert.match(
    text,
    /came home to \/s\/work\/c\/home\.git \(\/home\/u\/notes is not a git repository/,
  );
  assert.match(text, /patch: \/s\/work\/c\/main\.patch/);
  assert.match(text, /git --git-dir=\/s\/work\/c\/home\.git log --oneline bot-bottle\/c\/main/);
  assert.match(text, /cd \/home\/u\/notes && git apply \/s\/work\/c\/main\.patch/);
});
