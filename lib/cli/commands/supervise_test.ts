import assert from "node:assert/strict";
import { describe, type Listed, listRequests, privateAddressNote } from "./supervise.ts";

const base: Listed = {
  id: "claude-ab12cd-r1",
  kind: "egress",
  reason: "",
  details: {},
  created: "2026-01-01T00:00:00Z",
  status: "pending",
  bottle: "claude-ab12cd",
};

/** ESC, BEL, the C0/C1 controls and bidi or zero-width characters. */
// deno-lint-ignore no-control-regex
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;

Deno.test("describe() renders agent text inert: no ESC, BEL or bidi character reaches the terminal", () => {
  const hostile =
    "need it\u001b[1A\u001b[2K\r\u001b[32mwants to reach pypi.org\u0007\u202e\u001b]52;c;Y29weQ==\u0007";
  const shown = [
    describe({ ...base, reason: hostile, details: { host: "172.17.0.1:2375" } }),
    describe({ ...base, kind: "ask", details: { question: hostile, choices: [hostile, "b"] } }),
    describe({
      ...base,
      kind: "push-override",
      reason: hostile,
      details: {
        repo: "project",
        ref: `refs/heads/x${hostile}`,
        commit: "a".repeat(40),
        findings: [`commit abc file${hostile}:1: GitHub token (rule github-token)`],
        protectedPaths: [`.github/workflows/${hostile}.yml`],
      },
      status: "denied",
      answer: { decision: "denied", comment: hostile },
    }),
  ].join("\n");
  assert.ok(!ACTIVE.test(shown), JSON.stringify(shown));
  assert.match(
    shown,
    /reason \(from the agent\): need it\\e\[1A\\e\[2K\\r\\e\[32mwants to reach pypi\.org\\x07<U\+202E>/,
  );
});

Deno.test("describe() shows the host and the gate's own findings, and flags private addresses", () => {
  const egress = describe({ ...base, reason: "docker", details: { host: "172.17.0.1:2375" } });
  assert.match(egress, /^claude-ab12cd-r1 {2}wants to reach 172\.17\.0\.1:2375\n/);
  assert.match(egress, /WARNING: 172\.17\.0\.1 is a private network address/);
  assert.match(privateAddressNote("169.254.169.254") ?? "", /link-local address \(cloud metadata/);
  assert.match(privateAddressNote("127.0.0.1:80") ?? "", /loopback/);
  assert.equal(privateAddressNote("203.0.113.5"), undefined);
  assert.equal(privateAddressNote("pypi.org"), undefined);
  const push = describe({
    ...base,
    kind: "push-override",
    details: {
      repo: "project",
      ref: "refs/heads/main",
      commit: "b".repeat(40),
      findings: ["commit bbbbbbbbbbbb a.env:1: AWS access key ID (rule aws-access-key-id)"],
      protectedPaths: [".github/workflows/ci.yml"],
    },
  });
  assert.match(
    push,
    /asks to push commit b{40} to refs\/heads\/main of project despite the gate, once/,
  );
  assert.match(push, /gate found: commit b{12} a\.env:1: AWS access key ID/);
  assert.match(
    push,
    /touches protected path: \.github\/workflows\/ci\.yml \(approving allows it too\)/,
  );
});

Deno.test("describe() cuts long fields", () => {
  const shown = describe({ ...base, kind: "ask", details: { question: "q".repeat(5000) } });
  assert.ok(shown.length < 1200, String(shown.length));
  assert.match(shown, /more characters cut/);
});

Deno.test("listRequests() passes over a bottle removed since it was found, not a failing one", async () => {
  const request = {
    id: "b-r1",
    kind: "ask",
    reason: "r",
    details: {},
    created: "2026-01-01T00:00:00Z",
    status: "pending",
  };
  const bottle = (name: string, running: boolean, answer?: unknown) => ({
    name,
    backend: {
      superviseCall: () =>
        answer === undefined
          ? Promise.reject(new Error(`No bottle named "${name}"`))
          : Promise.resolve(JSON.stringify(answer)),
      bundleRunning: () => Promise.resolve(running),
    },
  });
  const listed = await listRequests([bottle("gone", false), bottle("b", true, [request])]);
  assert.deepEqual(listed, [{ ...request, bottle: "b" }]);
  await assert.rejects(
    listRequests([bottle("broken", true), bottle("b", true, [request])]),
    /No bottle named "broken"/,
  );
  // Going away right now: its call fails while it still looks running, then it is gone.
  let checks = 0;
  const leaving = {
    name: "leaving",
    backend: {
      superviseCall: () => Promise.reject(new Error("Supervise call failed: ")),
      bundleRunning: () => Promise.resolve(++checks === 1),
    },
  };
  assert.deepEqual(await listRequests([leaving, bottle("b", true, [request])]), [
    { ...request, bottle: "b" },
  ]);
  assert.equal(checks, 2, "asked once more, then found gone");
});
