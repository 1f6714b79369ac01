/**
 * The scan pool: workers give the answers a scan in place gives, leave the event loop
 * free while they work, and when none can start the scans run in place.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { runScanJob, type ScanJob } from "./scanjob.ts";
import { IN_PLACE_BELOW, ScanPool } from "./scanpool.ts";
import { CUT_OUT } from "../bundle/config.ts";
import { bodyScans } from "./dlp.ts";
import { gzipSync } from "node:zlib";
import { findSecrets } from "../../lib/secrets/mod.ts";
import { hexOf, reversedOf } from "../../tests/encodings.ts";
import { editConversation, withTools } from "../../tests/conversation_edits.ts";

const GH = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
const encoder = new TextEncoder();

/** A worker that cannot load (Deno prints its error; this one says it is meant). */
const FAILING = new URL(
  `data:application/javascript,${
    encodeURIComponent('throw new Error("a worker that cannot load, on purpose (scanpool_test)")')
  }`,
);

function job(text: string, mayCut = false, within = ""): ScanJob {
  return { parts: [{ bytes: encoder.encode(text), within }], values: [], mayCut };
}

/** Lines of base64 of random bytes, each decoded and scanned again: a slow scan. */
function slowBody(mib: number): string {
  const lines: string[] = [];
  const bytes = new Uint8Array(57);
  for (let n = 0; n < (mib << 20); n += 77) {
    crypto.getRandomValues(bytes);
    lines.push(bytes.toBase64());
  }
  return lines.join("\n");
}

Deno.test("ScanPool answers as a scan in place does: findings, and a model request with its secret cut out", async () => {
  const pool = new ScanPool(2, { inPlaceBelow: 0 });
  try {
    const jobs = [
      job(`token=${GH}`),
      job(JSON.stringify({ content: `see ${GH} there` }), true),
      job("nothing here at all"),
      { ...job(`key ${GH}`, false, "gzip"), values: ["sk-bottle-own-value-123"] },
    ];
    const answers = await Promise.all(jobs.map((j) => pool.scan(j)));
    assert.deepEqual(answers, jobs.map(runScanJob));
    assert.equal(JSON.parse(answers[1]!.cut!).content, `see ${CUT_OUT} there`);
    assert.equal(answers[3]!.findings[0]!.within, "gzip");
  } finally {
    pool.close();
  }
});

Deno.test("ScanPool: a conversation's requests in a row, each a turn longer, are answered as scans of each alone: its tokens cut out of every one", async () => {
  // Past 128 KiB, a worker scans each again only from where it changed (`RecentScans`):
  // the token of an early turn is cut out of every request after it from what the scan
  // before found, the one of a late turn from the scan again.
  const turn = (i: number) =>
    Array.from({ length: 800 }, (_, k) => `def handler_${i}_${k}(request):\n    return ${k}\n`)
      .join("") + (i === 2 ? ` GITHUB_TOKEN=${GH} ` : i === 9 ? ` again ${GH}` : "");
  const requests = Array.from({ length: 11 }, (_, n) =>
    JSON.stringify({
      model: "claude",
      messages: Array.from({ length: n + 1 }, (_, i) => ({ role: "user", content: turn(i) })),
      stream: true,
    }));
  assert.ok(requests[4]!.length > 128 * 1024);
  const pool = new ScanPool(1, { inPlaceBelow: 0 });
  try {
    for (const request of requests) {
      const answer = await pool.scan(job(request, true));
      bodyScans.clear();
      assert.deepEqual(answer, runScanJob(job(request, true)));
      if (request.includes(GH)) assert.ok(answer.cut && !answer.cut.includes(GH));
    }
  } finally {
    pool.close();
  }
});

Deno.test("a scan job, as a worker runs each (given the public values every time), scans a conversation's next request from where it changed", () => {
  const turn = (i: number) =>
    Array.from({ length: 800 }, (_, k) => `def handler_${i}_${k}(request):\n    return ${k}\n`)
      .join("");
  const request = (n: number) =>
    JSON.stringify({
      messages: Array.from({ length: n }, (_, i) => ({ role: "user", content: turn(i) })),
    });
  for (const publicValues of [[], ["AIza" + "SyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs"]]) {
    bodyScans.clear();
    runScanJob({ ...job(request(8), true), publicValues });
    runScanJob({ ...job(request(9), true), publicValues });
    assert.ok(bodyScans.scanned < request(9).length / 2, `${bodyScans.scanned}`);
  }
});

Deno.test("a conversation edited turn after turn, tokens in many forms, text past ASCII: every body the scan job cuts holds nothing a whole scan finds", () => {
  // What goes upstream instead of a model request is the request cut, scanned again as a
  // conversation's next request is (from where it parts from those kept): a scan that
  // reused too much would send a secret on. Each cut body is scanned here whole, anew.
  let seed = 5;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(a: readonly T[]) => a[Math.floor(random() * a.length)]!;
  const notes = ["é", "→ ok", "😀", "日本語", "", ""];
  const code = (lines: number) =>
    Array.from(
      { length: lines },
      (_, k) => `    def handler_${k}(self):\n        return ${k * 7 % 1000} # ${pick(notes)}\n`,
    ).join("");
  const percent = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("");
  const gzipped = (s: string) => gzipSync(encoder.encode(code(40) + s)).toBase64();
  // Forms the job cuts out (a token in percent-encoded padding, say, is refused instead).
  const forms = [
    () => `token = "${GH}"`,
    () => btoa(`key=${GH}`),
    () => hexOf(GH),
    () => percent(GH),
    () => [...GH].map((c) => `\\u00${c.charCodeAt(0).toString(16)}`).join(""),
    () => reversedOf(GH),
    () => gzipped(GH),
    () => `"gh" + "${GH.slice(2)}"`,
    () => [...GH].join(" "),
    () => `[${[...GH].map((c) => `'${c}'`).join(", ")}]`,
    () => "このテスト" + GH,
  ];
  const turn = () =>
    random() < 0.3 ? code(100) + pick(forms)() + code(50) : code(60 + random() * 300);
  const turns = Array.from({ length: 10 }, turn);
  const tools = Array.from({ length: 12 }, (_, i) => `Tool ${i} does things. `.repeat(200));
  bodyScans.clear();
  // How much of each body its first scan read (the job's last scan is of the cut body).
  const find = bodyScans.find;
  let first: number | undefined;
  bodyScans.find = function (...args) {
    const found = find.apply(this, args);
    first ??= this.scanned;
    return found;
  };
  let cut = 0;
  let reused = 0;
  try {
    for (let step = 0; step < 20; step++) {
      editConversation(random, turns, tools, turn, () => pick(forms)());
      const body = withTools(turns, tools);
      first = undefined;
      const answer = runScanJob(job(body, true));
      if (first! < body.length / 2) reused++;
      if (answer.findings.length === 0) continue;
      assert.ok(answer.cut !== undefined, `step ${step}: refused, not cut`);
      cut++;
      const left = findSecrets(answer.cut, { ownFields: true });
      assert.deepEqual(left.map((f) => `${f.rule}:${f.encoding}`), [], `step ${step}`);
      assert.doesNotThrow(() => JSON.parse(answer.cut!), `step ${step}`);
    }
  } finally {
    bodyScans.find = find;
  }
  assert.ok(cut >= 16 && reused >= 14, `${cut} cut, ${reused} reused`);
});

Deno.test("ScanPool leaves the event loop free while a large body is scanned", async () => {
  const pool = new ScanPool(1, { inPlaceBelow: 0 });
  try {
    await pool.scan(job("warm the worker up"));
    // Counted on the event loop while the scan runs: in place, no timer fires before
    // the scan is over and the loop counts nothing.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await pool.scan(job(slowBody(4)));
    const during = ticks;
    clearInterval(timer);
    // (What random bytes hold is left unasked: by chance, now and then, a token's shape.)
    assert.ok(during > 0, "the event loop ran while the body was scanned");
  } finally {
    pool.close();
  }
});

/** A pool whose workers cannot load; `told`: what it said of falling back. */
function failingPool(inPlaceBelow?: number) {
  const told: string[] = [];
  const pool = new ScanPool(2, {
    workerUrl: FAILING,
    inPlaceBelow,
    onFallBack: (w) => told.push(w),
  });
  return { pool, told };
}

Deno.test("ScanPool scans in place, and says why, when no worker can start", async () => {
  const { pool, told } = failingPool(0);
  try {
    const answers = await Promise.all([pool.scan(job(`token=${GH}`)), pool.scan(job("clean"))]);
    assert.deepEqual(answers.map((a) => a.findings.map((f) => f.rule)), [["github-token"], []]);
    assert.equal(told.length, 1, "told once");
    assert.deepEqual((await pool.scan(job(GH))).findings.map((f) => f.rule), ["github-token"]);
  } finally {
    pool.close();
  }
});

Deno.test("ScanPool scans a small body in place, starting no worker for it", async () => {
  const { pool, told } = failingPool();
  try {
    const answer = await pool.scan(job(`token=${GH} ${"x".repeat(IN_PLACE_BELOW - 100)}`));
    assert.deepEqual(answer.findings.map((f) => f.rule), ["github-token"]);
    assert.deepEqual(told, []);
  } finally {
    pool.close();
  }
});

Deno.test("ScanPool fails the jobs it has not answered when closed", async () => {
  const pool = new ScanPool(1);
  const pending = pool.scan(job(slowBody(2)));
  pool.close();
  await assert.rejects(pending, /closed/);
  await assert.rejects(pool.scan(job("x")), /closed/);
});

Deno.test("ScanPool scans parts that are views of one buffer (opened data comes in node Buffers) and leaves them whole", async () => {
  const pool = new ScanPool(1, { inPlaceBelow: 0 });
  const shared = Buffer.from(`${"a".repeat(40_000)} ${GH} ${"b".repeat(40_000)}`);
  const parts = [
    { bytes: shared.subarray(0, 40_050), within: "" },
    { bytes: shared.subarray(40_000), within: "gzip" },
  ];
  try {
    const result = await pool.scan({ parts, values: [], mayCut: false });
    assert.deepEqual(result, runScanJob({ parts, values: [], mayCut: false }));
    assert.ok(result.findings.some((f) => f.rule === "github-token"), JSON.stringify(result));
    assert.equal(shared.length, 80_042);
  } finally {
    pool.close();
  }
});

Deno.test("ScanPool: a job's public values reach the worker; a value not public is found there", async () => {
  const open = "AI" + "zaSyDq3vX8kLm2Rt5Wn7Yb0Cz4Hj6Pf9Gs1Ua";
  const pool = new ScanPool(1, { inPlaceBelow: 0 });
  try {
    const body = `{"apiKey": "${open}"}`;
    const spared = await pool.scan({ ...job(body), publicValues: [open] });
    assert.deepEqual(spared.findings, []);
    const found = await pool.scan({ ...job(body), publicValues: [] });
    assert.deepEqual(found.findings.map((f) => f.rule), ["gcp-api-key"]);
  } finally {
    pool.close();
  }
});

/**
 * A worker that answers every job with no findings, except one whose text holds "HANG":
 * that one it is still on seconds after the deadline (a rule that would take minutes).
 * Not forever: Deno cannot stop a worker busy in a loop (its `terminate()` takes effect
 * once the worker's code returns to its event loop; denoland/deno#35657), and a worker
 * that never finished kept most of a core busy for the rest of the test run.
 */
const HANGING = new URL(
  `data:application/javascript,${
    encodeURIComponent(`
self.postMessage({ ready: true });
self.onmessage = (event) => {
  const { id, job } = event.data;
  if (new TextDecoder().decode(job.parts[0].bytes).includes("HANG")) {
    const end = Date.now() + 3000;
    while (Date.now() < end) {}
  }
  self.postMessage({ id, result: { findings: [] } });
};`)
  }`,
);

/** `promise`, or a failure if it has not settled within 20 s (a pool with no deadline). */
function settles<T>(promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("not settled within 20 s")), 20_000);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

Deno.test("ScanPool gives up a worker still scanning at the deadline: that job fails, the others are answered", async () => {
  const pool = new ScanPool(1, { inPlaceBelow: 0, deadlineMs: 300, workerUrl: HANGING });
  try {
    assert.deepEqual(await pool.scan(job("first")), { findings: [] });
    // The one worker hangs; the job queued behind it waits for the worker that replaces it.
    const hung = pool.scan(job("HANG"));
    const queued = pool.scan(job("after"));
    // Read below; should an assertion fail first, the pool's closing fails it unread.
    queued.catch(() => {});
    await assert.rejects(settles(hung), /its scan took longer than 0.3 s, so it was given up/);
    assert.deepEqual(await settles(queued), { findings: [] });
    assert.deepEqual(await pool.scan(job("and later")), { findings: [] });
  } finally {
    pool.close();
  }
});
