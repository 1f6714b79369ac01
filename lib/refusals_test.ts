import assert from "node:assert/strict";
import { refusalSummary } from "./refusals.ts";

const lines = (...entries: Record<string, unknown>[]) =>
  entries.map((e) => JSON.stringify({ ts: "2026-11-30T00:00:00.000Z", ...e })).join("\n");

Deno.test("the refusals summary counts secrets by rule and host, and hosts refused", () => {
  const text = lines(
    { kind: "bundle", action: "ready" },
    // The self-test's request without a host is not the agent's doing.
    { kind: "egress", action: "deny", method: "GET", reason: "needs an absolute URL" },
    {
      kind: "egress",
      action: "dlp-block",
      host: "api.anthropic.com",
      port: 443,
      rules: ["aws-access-key-id@body", "aws-access-key-id@url/base64", "github-token@body"],
    },
    { kind: "egress", action: "dlp-block", host: "api.anthropic.com", rules: ["jwt@header"] },
    { kind: "egress", action: "dlp-block", host: "pypi.org", rules: ["aws-access-key-id@body"] },
    // A git push over HTTPS to an allowed code host.
    {
      kind: "egress",
      action: "dlp-block",
      host: "github.com",
      method: "POST",
      path: "/someone/else.git/git-receive-pack",
      rules: ["github-token@body:pack"],
    },
    { kind: "egress", action: "deny", host: "example.com", port: 443, reason: "not allowed" },
    { kind: "egress", action: "deny", host: "example.com", port: 443, reason: "not allowed" },
    { kind: "egress", action: "deny", host: "plain.test", port: 8080, reason: "not allowed" },
    // A burst the log counted instead of writing.
    { kind: "egress", action: "suppressed", of: "deny", target: "plain.test", count: 30 },
    { kind: "egress", action: "open", host: "api.anthropic.com", port: 443 },
    // The workspace's refusals are in the home-coming summary; another repository's here.
    { kind: "git", action: "refuse", repo: "_workspace", rule: "secret" },
    { kind: "git", action: "refuse", repo: "upstream", ref: "refs/heads/a", rule: "secret" },
    { kind: "git", action: "refuse", repo: "upstream", ref: "refs/heads/b", rule: "no-force-push" },
    {
      kind: "git",
      action: "suppressed",
      of: "refuse",
      target: "upstream",
      rule: "secret",
      count: 3,
    },
    { kind: "git", action: "suppressed", of: "refuse", target: "_workspace", count: 9 },
    "not json at all" as unknown as Record<string, unknown>,
  ) + "\n{broken";
  const summary = refusalSummary(text, "claude-abc123")!;
  assert.equal(
    summary,
    [
      "While claude-abc123 ran, the bottle refused (`bot-bottle logs claude-abc123` shows each):",
      "  3 requests carrying a secret (aws-access-key-id, github-token, jwt) to api.anthropic.com (2), pypi.org (1); the secret is not shown",
      "  1 git push over HTTPS carrying a secret (github-token) to github.com, around the git gate",
      "  33 connections or requests to plain.test (31), example.com (2)",
      "  (a host the agent needs goes in the bottle's egress.allow; the log says why each was refused)",
      "  5 refs pushed to upstream, at the git gate (secret, no-force-push)",
    ].join("\n"),
  );
});

Deno.test("the refusals summary says nothing when nothing was refused", () => {
  assert.equal(
    refusalSummary(lines({ kind: "egress", action: "open", host: "a.test", port: 443 }), "x"),
    undefined,
  );
  assert.equal(refusalSummary("", "x"), undefined);
});

Deno.test("requests let through by dlp: audit are told apart from refusals", () => {
  const summary = refusalSummary(
    lines({ kind: "egress", action: "dlp-audit", host: "a.test", rules: ["jwt@body"] }),
    "x",
  )!;
  assert.equal(
    summary,
    "Let through, as `dlp: audit` asks: 1 request carrying a secret (jwt) to a.test (`bot-bottle logs x` shows each)",
  );
});

Deno.test("host names from the agent are made inert and long lists cut short", () => {
  const hosts = Array.from({ length: 8 }, (_, i) => `h${i}.test`);
  const summary = refusalSummary(
    lines(
      { kind: "egress", action: "deny", host: "evil\u001b]0;pwned\u0007.test", port: 443 },
      ...hosts.map((host) => ({ kind: "egress", action: "deny", host, port: 443 })),
    ),
    "x",
  )!;
  assert.ok(!summary.includes("\u001b") && !summary.includes("\u0007"), summary);
  assert.match(summary, /evil\\e\]0;pwned\\x07\.test/);
  assert.match(summary, /9 connections or requests to .* and 4 more$/m);
});

Deno.test("secrets cut out of the agent's conversation are told, counted in full, apart from refusals", () => {
  const cut = { kind: "egress", action: "dlp-cut", host: "api.anthropic.com", port: 443 };
  const alone = refusalSummary(
    lines(
      { ...cut, rules: ["aws-access-key-id@body", "github-token@body"] },
      { ...cut, rules: ["aws-access-key-id@body"] },
      {
        kind: "egress",
        action: "suppressed",
        of: "dlp-cut",
        target: "api.anthropic.com",
        count: 7,
      },
    ),
    "claude-abc123",
  );
  assert.equal(
    alone,
    'Cut out before they went: secrets (aws-access-key-id, github-token) in 9 requests to the agent\'s model at api.anthropic.com; the model saw "[secret cut out by bot-bottle]" instead (`bot-bottle logs claude-abc123` shows each)',
  );
  const both = refusalSummary(
    lines({ ...cut, rules: ["jwt@body"] }, {
      kind: "egress",
      action: "deny",
      host: "example.com",
      reason: "not allowed",
    }),
    "claude-abc123",
  )!.split("\n");
  assert.equal(
    both[0],
    "While claude-abc123 ran, the bottle refused (`bot-bottle logs claude-abc123` shows each):",
  );
  assert.match(both.at(-1)!, /^Cut out before they went: secrets \(jwt\) in 1 request to/);
});

Deno.test("requests to allowed hosts that failed are told apart from refusals, with what to check", () => {
  const failed = { kind: "egress", action: "error", host: "api.anthropic.com", port: 443 };
  const summary = refusalSummary(
    lines(
      { ...failed, reason: '"api.anthropic.com" does not resolve: no records found' },
      { ...failed, reason: 'upstream "api.anthropic.com" failed: Connection refused' },
      { kind: "egress", action: "error", host: "pypi.org", reason: "connection reset" },
      { kind: "egress", action: "suppressed", of: "error", target: "pypi.org", count: 4 },
      // A client that does not trust the bottle's CA is not a failed upstream.
      { kind: "egress", action: "tls-error", host: "a.test", reason: "unknown ca" },
    ),
    "x",
  )!;
  assert.equal(
    summary,
    [
      "7 requests to allowed hosts failed on the way out: pypi.org (5), api.anthropic.com (2) (`bot-bottle logs x` says why)",
      "  (a name that does not resolve or a connection that fails: this machine's network or DNS, or the host)",
    ].join("\n"),
  );
  // After refusals, under them; the hint to widen the allowlist is for the refusals only.
  const both = refusalSummary(
    lines({ kind: "egress", action: "deny", host: "b.test", reason: "not allowed" }, failed),
    "x",
  )!.split("\n");
  assert.deepEqual(both.slice(-2), [
    "1 request to allowed hosts failed on the way out: api.anthropic.com (`bot-bottle logs x` says why)",
    "  (a name that does not resolve or a connection that fails: this machine's network or DNS, or the host)",
  ]);
  assert.match(both[0]!, /^While x ran, the bottle refused/);
});
