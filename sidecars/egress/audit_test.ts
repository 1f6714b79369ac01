import assert from "node:assert/strict";
import { AuditLog, BURST, MAX_WINDOWS, WINDOW_MS } from "./audit.ts";
import { tempDir } from "../../tests/helpers.ts";
import { hexOf } from "../../tests/encodings.ts";

/** The entries of the log at `path`, one object per line. */
// deno-lint-ignore no-explicit-any
async function entries(path: string): Promise<any[]> {
  return (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test("AuditLog rate-limits a burst of alike refusals and counts the rest", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  let now = 1_000_000;
  const log = new AuditLog(`${dir}/a.jsonl`, () => now);
  for (let i = 0; i < BURST + 30; i++) {
    log.write({ kind: "egress", action: "deny", host: "evil.example", reason: "not allowed" });
  }
  log.write({ kind: "egress", action: "deny", host: "other.example", reason: "not allowed" });
  log.write({ kind: "egress", action: "intercept", host: "api.example", status: 200 });
  now += WINDOW_MS;
  log.write({ kind: "egress", action: "deny", host: "evil.example", reason: "not allowed" });
  await log.flush();
  const lines = await entries(`${dir}/a.jsonl`);
  const evil = lines.filter((l) => l.host === "evil.example");
  assert.equal(evil.length, BURST + 1, "a burst, then one more in the next window");
  const summary = lines.find((l) => l.action === "suppressed");
  assert.equal(summary.count, 30);
  assert.equal(summary.target, "evil.example");
  assert.equal(lines.filter((l) => l.host === "other.example").length, 1, "keys are separate");
  assert.equal(
    lines.filter((l) => l.action === "intercept").length,
    1,
    "decisions are not limited",
  );
});

Deno.test("AuditLog: counts of bursts are written, not lost, when too many keys are tracked", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const log = new AuditLog(`${dir}/a.jsonl`, () => 1_000_000);
  for (let i = 0; i < BURST + 7; i++) {
    log.write({ kind: "egress", action: "deny", host: "evil.example", reason: "not allowed" });
  }
  // Ever new host names, one refusal each, until the keys tracked are dropped.
  for (let i = 0; i < MAX_WINDOWS; i++) {
    log.write({ kind: "egress", action: "deny", host: `h${i}.example`, reason: "not allowed" });
  }
  await log.flush();
  const lines = await entries(`${dir}/a.jsonl`);
  const summary = lines.find((l) => l.action === "suppressed" && l.target === "evil.example");
  assert.equal(summary?.count, 7);
});

Deno.test("AuditLog: entries written in a burst are all on disk after flush, in order, beside another writer's", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  // Two daemons append to one file (the bundle's proxy and the gate's hook).
  const one = new AuditLog(`${dir}/a.jsonl`);
  const two = new AuditLog(`${dir}/a.jsonl`);
  for (let i = 0; i < 500; i++) {
    one.write({ kind: "egress", action: "intercept", host: "one.example", n: i });
    two.write({ kind: "git", action: "fetch", repo: "two", n: i });
    // A write is out between some of them: what comes meanwhile goes in the next.
    if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await Promise.all([one.flush(), two.flush()]);
  const lines = await entries(`${dir}/a.jsonl`);
  assert.equal(lines.length, 1000, "every entry of both, each line whole");
  for (const [kind, n] of [["egress", 500], ["git", 500]] as const) {
    const mine = lines.filter((l) => l.kind === kind).map((l) => l.n);
    assert.deepEqual(mine, Array.from({ length: n }, (_, i) => i), `${kind}: all, in order`);
  }
  // Written after a flush, an entry is written too (the loop starts again).
  one.write({ kind: "egress", action: "intercept", host: "one.example", n: 500 });
  await one.close();
  await two.close();
  const after = (await Deno.readTextFile(`${dir}/a.jsonl`)).trim().split("\n");
  assert.equal(after.length, 1001);
});

Deno.test("AuditLog: an entry nobody flushes reaches the file by itself", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const log = new AuditLog(`${dir}/a.jsonl`);
  log.write({ kind: "egress", action: "intercept", host: "api.example", status: 200 });
  // Written shortly, with whatever came meanwhile; waited for here, up to ten seconds.
  let text = "";
  for (let i = 0; i < 200 && !text.includes("api.example"); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    text = await Deno.readTextFile(`${dir}/a.jsonl`).catch(() => "");
  }
  assert.match(text, /"host":"api\.example"/);
  await log.close();
});

Deno.test("AuditLog: a secret in what an entry holds (a path, a host name, a question) is hidden", async () => {
  await using tmp = await tempDir();
  const token = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
  const log = new AuditLog(`${tmp.path}/a.jsonl`);
  log.write({ kind: "egress", action: "dlp-block", host: "pkg.example", path: `/v1/p/${token}` });
  log.write({ kind: "dns", action: "query", name: `${btoa(token).slice(0, 60)}.x.example` });
  // Cut as the DLP reads it joined: at a path's slashes, and hex at a host name's dots.
  const hex = hexOf(token);
  log.write({
    kind: "egress",
    action: "dlp-block",
    host: "x.example",
    // After a segment that decodes to white space (`%20`), which the join leaves out.
    path: `/a%20b/${token.slice(0, 12)}/${token.slice(12)}`,
  });
  log.write({
    kind: "egress",
    action: "dlp-block",
    host: `${hex.slice(0, 40)}.${hex.slice(40)}.wild.example`,
  });
  log.write({
    kind: "supervise",
    action: "request",
    reason: "needs docs",
    choices: ["yes", `no, ${token}`],
    details: { note: `key ${token}` },
  });
  await log.close();
  const text = await Deno.readTextFile(`${tmp.path}/a.jsonl`);
  assert.ok(!text.includes(token) && !text.includes(btoa(token).slice(0, 40)), text);
  assert.ok(!text.includes(token.slice(12)) && !text.includes(hex.slice(0, 40)), text);
  const [block, query, slashed, dotted, request] = await entries(`${tmp.path}/a.jsonl`);
  // Found cut at the path's slashes as written, the path goes whole, as with one whole.
  assert.equal(slashed.path, "[GitHub token hidden]");
  assert.equal(dotted.host, "[GitHub token hidden]");
  assert.equal(block.path, "[GitHub token hidden]");
  assert.equal(block.host, "pkg.example");
  assert.equal(query.name, "[GitHub token hidden]");
  assert.equal(request.reason, "needs docs");
  assert.deepEqual(request.choices, ["yes", "no, [GitHub token hidden]"]);
  assert.deepEqual(request.details, { note: "key [GitHub token hidden]" });
  assert.deepEqual([block.kind, block.action], ["egress", "dlp-block"]);
});

Deno.test("AuditLog: an entry whose text cannot be checked is written without it, and the log goes on", async () => {
  await using tmp = await tempDir();
  const log = new AuditLog(`${tmp.path}/a.jsonl`);
  // A value that throws when read (JSON has no BigInt): the text it came with is left out.
  log.write({ kind: "egress", action: "deny", host: "x.example", path: "/a", size: 1n });
  log.write({ kind: "egress", action: "deny", host: "y.example" });
  await log.close();
  const [first, second] = await entries(`${tmp.path}/a.jsonl`);
  assert.deepEqual([first.kind, first.action, first.host, first.unchecked], [
    "egress",
    "deny",
    undefined,
    "TypeError",
  ]);
  assert.equal(second.host, "y.example");
});
