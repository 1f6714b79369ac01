import assert from "node:assert/strict";
import { AuditLog } from "../egress/audit.ts";
import { SuperviseQueue } from "./queue.ts";

async function withQueue(
  fn: (q: SuperviseQueue, dir: string, log: string, audit: AuditLog) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const log = `${dir}/audit.jsonl`;
  const audit = new AuditLog(log);
  try {
    const q = new SuperviseQueue(`${dir}/q`, "demo-abc123", audit);
    await q.load();
    await fn(q, dir, log, audit);
  } finally {
    // The log writes in the background; let it finish before its directory goes.
    await audit.flush();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SuperviseQueue answers a waiting request and logs both", async () => {
  await withQueue(async (q, _dir, log, audit) => {
    const r = await q.create("egress", "need the docs", { host: "docs.example.com" });
    assert.equal(r.id, "demo-abc123-r1");
    const waiting = q.wait(r.id, 10_000);
    await q.answer(r.id, "approved", "ok for today");
    const done = await waiting;
    assert.equal(done.status, "approved");
    assert.equal(done.answer?.comment, "ok for today");
    // The queue's own log writes in the background: flush it, not another.
    await audit.flush();
    const actions = (await Deno.readTextFile(log)).trim().split("\n").map((l) =>
      JSON.parse(l).action
    );
    assert.deepEqual(actions, ["request", "approved"]);
  });
});

Deno.test("SuperviseQueue expires a request nobody answers, and refuses a second answer", async () => {
  await withQueue(async (q) => {
    const r = await q.create("ask", "which branch?", { question: "main or dev?" });
    assert.equal((await q.wait(r.id, 20)).status, "expired");
    await assert.rejects(() => q.answer(r.id, "answered", "main"), /already expired/);
    await assert.rejects(() => q.answer("nope", "denied", ""), /no request "nope"/);
  });
});

Deno.test("SuperviseQueue is durable: a new queue on the same directory sees every request", async () => {
  await withQueue(async (q, dir) => {
    const a = await q.create("egress", "r1", { host: "a.example.com" });
    await q.create("egress", "r2", { host: "b.example.com" });
    await q.answer(a.id, "denied", "no");
    const otherLog = new AuditLog(`${dir}/other.jsonl`);
    const again = new SuperviseQueue(`${dir}/q`, "demo-abc123", otherLog);
    await again.load();
    assert.deepEqual(again.list().map((r) => [r.id, r.status]), [["demo-abc123-r1", "denied"], [
      "demo-abc123-r2",
      "pending",
    ]]);
    assert.equal((await again.create("ask", "x", {})).id, "demo-abc123-r3", "ids keep counting");
    await otherLog.flush();
  });
});

Deno.test("a secret the agent writes into a request, or the person into an answer, is hidden in the audit log", async () => {
  const token = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
  await withQueue(async (q, _dir, log, audit) => {
    const r = await q.create("ask", `the key is ${token}`, {
      question: `use ${btoa(token)} or not?`,
      choices: ["yes", `no, ${token}`],
    });
    await q.answer(r.id, "answered", `fine, keep ${token} there`);
    assert.equal(q.get(r.id)?.reason, `the key is ${token}`, "the request keeps it for the person");
    // The queue's own log writes in the background: flush it, not another.
    await audit.flush();
    const text = await Deno.readTextFile(log);
    assert.ok(!text.includes(token) && !text.includes(btoa(token)), text);
    const [request, answer] = text.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(request.reason, "the key is [GitHub token hidden]");
    assert.equal(request.question, "use [GitHub token hidden]");
    assert.deepEqual(request.choices, ["yes", "no, [GitHub token hidden]"]);
    assert.equal(answer.comment, "fine, keep [GitHub token hidden]");
  });
});
