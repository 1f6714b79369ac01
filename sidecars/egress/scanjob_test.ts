/**
 * A large body's scan in shares (stretches scanned at once, then the rest) finds what
 * the scan of it whole finds, wherever a secret lies against the cuts.
 */

import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { randomBytes } from "../../lib/bytes.ts";
import {
  mergeShares,
  runScanJob,
  type ScanJob,
  SHARE_FROM,
  SHARE_OVERLAP,
  SHARE_UP_TO,
  shares,
  stretches,
} from "./scanjob.ts";

const GH = "ghp_" + "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A model request of about `size` bytes: turns of prose and code, as JSON. */
function request(size: number, script = "The tests fail; look at lib/ and fix them. "): string {
  const messages = [];
  for (let i = 0, n = 0; n < size; i++) {
    const content = `${script.repeat(40)}\nconst x${i} = f(${i}, "y");\n`;
    messages.push({ role: i % 2 ? "assistant" : "user", content });
    n += content.length + 40;
  }
  return JSON.stringify({ model: "claude", max_tokens: 1024, messages });
}

function job(text: string, extra: Partial<ScanJob> = {}): ScanJob {
  return {
    parts: [{ bytes: encoder.encode(text), within: "" }],
    values: [],
    mayCut: false,
    ...extra,
  };
}

/** The scan in shares, each share run here, as the pool runs them in its workers. */
function shared(j: ScanJob, count = 2) {
  const jobs = shares(j, count);
  assert.ok(jobs, "the body is shared");
  return mergeShares(j, jobs.map(runScanJob));
}

/** What matters of findings: which kinds, where and how encoded, in any order. */
function kinds(findings: readonly { rule: string; where: string; encoding: string }[]) {
  return findings.map((f) => `${f.rule}@${f.where}/${f.encoding}`).toSorted();
}

Deno.test("stretches: a large body in overlapping stretches cut between runs, each whole characters", () => {
  const text = request(SHARE_FROM * 2, "テストが失敗しています。修正してください。");
  const bytes = encoder.encode(text);
  const parts = stretches(bytes, 2)!;
  assert.equal(parts.length, 2);
  const [a, b] = parts.map((p) => ({
    from: p.bytes.byteOffset,
    to: p.bytes.byteOffset + p.bytes.length,
    own: p.own.map((o) => o + p.bytes.byteOffset),
  }));
  assert.equal(a!.from, 0);
  assert.equal(b!.to, bytes.length);
  // Their own bytes, end to end, are the body; each reaches SHARE_OVERLAP or more past them.
  assert.deepEqual([a!.own[0], a!.own[1], b!.own[1]], [0, b!.own[0], bytes.length]);
  const cut = a!.own[1]!;
  assert.ok(
    cut - b!.from >= SHARE_OVERLAP && a!.to - cut >= SHARE_OVERLAP,
    `${a!.to - b!.from} bytes shared`,
  );
  assert.ok(' ",:{}[]()<>'.includes(String.fromCharCode(bytes[cut]!)), "cut between runs");
  for (const p of parts) {
    assert.ok(!decoder.decode(p.bytes).includes("\uFFFD"), "whole characters");
  }
  // (Asserted so, not with `equal`: a failure would print megabytes of stretches.)
  assert.ok(stretches(bytes, 1) === undefined, "one worker: whole");
  assert.ok(stretches(bytes.subarray(0, SHARE_FROM - 1), 2) === undefined, "small: whole");
  assert.ok(stretches(new Uint8Array(SHARE_UP_TO + 1).fill(32), 2) === undefined, "large: whole");
  // One run of base64 across the middle: nowhere to cut, scanned whole.
  const run = "QUJD".repeat(SHARE_FROM / 2);
  assert.ok(stretches(encoder.encode(`{"a":"${run}"}`), 2) === undefined, "one run: whole");
});

Deno.test("a body scanned in shares finds a secret wherever it lies against the cut, as its scan whole does", () => {
  const base = request(SHARE_FROM + 64 * 1024);
  const cut = (() => {
    const parts = stretches(encoder.encode(base), 2)!;
    return parts[1]!.bytes.byteOffset + parts[1]!.own[0];
  })();
  const secrets = [
    GH,
    `"api_key": "Wq7Zr2Lk9Xv4Mn8Pt3Hy6Bd1"`,
    encoder.encode(`password=${GH}`).toBase64(),
    `-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\\nQyNTUxOQAAACDhZJ6EXxJk3uA0jJ2Q1d7rUkr9lWqYQ0bSQzM0dO0VgAAAAJgAAAAAAAAAA\\n-----END OPENSSH PRIVATE KEY-----`,
  ];
  let checked = 0;
  for (const secret of secrets) {
    for (const at of [cut - secret.length - 3, cut - (secret.length >> 1), cut, cut + 2]) {
      for (const edge of [at, at - SHARE_OVERLAP, at + SHARE_OVERLAP]) {
        const text = `${base.slice(0, edge)} ${secret} ${base.slice(edge)}`;
        const whole = kinds(runScanJob(job(text)).findings);
        assert.ok(whole.length > 0, `the whole scan finds ${secret.slice(0, 12)}`);
        assert.deepEqual(kinds(shared(job(text))), whole, `${secret.slice(0, 12)} at ${edge}`);
        checked++;
      }
    }
  }
  assert.equal(checked, 48);
  assert.deepEqual(shared(job(base)), runScanJob(job(base)).findings);
});

Deno.test("a body in shares: compressed data across the middle is opened whole; fields are joined across the cut; other parts are scanned", () => {
  // base64 of gzip reaching over the middle: it cannot be cut, so it is in one stretch.
  const noise = randomBytes(300 * 1024).toBase64();
  const zipped = gzipSync(encoder.encode(`${noise} token ${GH}`)).toBase64();
  const text = `{"a":"${"x ".repeat(150_000)}","b":"${zipped}","c":"${"y ".repeat(150_000)}"}`;
  assert.ok(encoder.encode(text).length > SHARE_FROM);
  const parts = stretches(encoder.encode(text), 2);
  assert.ok(
    parts && parts.some((p) => decoder.decode(p.bytes).includes(zipped)),
    "the run is whole",
  );
  assert.deepEqual(kinds(shared(job(text))), ["github-token@body/gzip"]);
  // A token in two JSON fields, across the cut: joined from the whole body, by the rest.
  const body = request(SHARE_FROM * 2);
  const middle = body.indexOf('{"role"', body.length >> 1) + 1;
  const split = `${body.slice(0, middle)}"p1":"${GH.slice(0, 20)}","p2":"${GH.slice(20)}",${
    body.slice(middle)
  }`;
  const [, second] = stretches(encoder.encode(split), 2)!;
  const cut = second!.bytes.byteOffset + second!.own[0];
  assert.ok(Math.abs(cut - middle) < 1024, `${cut} near ${middle}`);
  assert.deepEqual(kinds(shared(job(split))), ["github-token@fields/joined"]);
  // And one a single place shows too is reported there only, as the whole scan does.
  const both = `${split.slice(0, -1)},"t":"${GH}"}`;
  assert.deepEqual(kinds(shared(job(both))), kinds(runScanJob(job(both)).findings));
  assert.deepEqual(kinds(shared(job(both))), ["github-token@body/plain"]);
  const inner = job(request(SHARE_FROM * 2));
  inner.parts.push({ bytes: encoder.encode(`key ${GH}`), within: "gzip" });
  assert.deepEqual(shared(inner), runScanJob(inner).findings);
  assert.equal(shared(inner)[0]!.within, "gzip");
});
