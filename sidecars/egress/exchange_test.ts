/**
 * One request through `exchange()` inside an intercepted connection to the agent's model
 * route, with a stand-in upstream that records what it was sent: secrets in the body cut
 * out where they can be, the request refused where they cannot.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { AuditLog } from "./audit.ts";
import { exchange, type ProxyContext } from "./exchange.ts";
import { readRequest } from "./http1.ts";
import { Buffered } from "../../lib/buffered.ts";
import { LiveAllowlist } from "./policy.ts";
import type { UpstreamPool } from "./upstream.ts";
import { CUT_OUT } from "../bundle/config.ts";
import type { ScanPool } from "./scanpool.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const GH = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
const MODEL = "model.test";

/** The agent's side of one connection: `input` read once, what the proxy writes kept in `out`. */
function agentSide(input: Uint8Array, out: Uint8Array[]) {
  let given = false;
  const reader = new Buffered({
    read: () => Promise.resolve(given ? null : (given = true, input)),
  });
  const sink = {
    write: (data: Uint8Array) => (out.push(data.slice()), Promise.resolve()),
    end() {},
    destroy() {},
  };
  return { reader, sink };
}

/** Runs one POST of `body` to `host` (intercepted, port 443); what the agent and upstream got. */
async function post(
  host: string,
  body: Uint8Array,
  redact = true,
  extra: Partial<ProxyContext> = {},
  contentEncoding = "",
) {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-exchange-test-" });
  const sent: Uint8Array[] = [];
  const upstream = {
    request: async (
      _target: unknown,
      _head: unknown,
      payload: Uint8Array | AsyncIterable<Uint8Array> | null,
    ) => {
      assert.ok(payload instanceof Uint8Array);
      sent.push(payload);
      await Promise.resolve();
      const answer = encoder.encode("ok");
      return {
        status: 200,
        reason: "OK",
        version: "HTTP/1.1",
        headers: [["Content-Length", "2"]],
        framing: { kind: "length", length: 2 },
        keepAlive: true,
        body: (async function* () {
          yield answer;
        })(),
        abort() {},
      };
    },
  } as unknown as UpstreamPool;
  const ctx: ProxyContext = {
    policy: () => new LiveAllowlist([MODEL, "other.test"], [], []).current(),
    audit: new AuditLog(join(dir, "audit.jsonl")),
    dlp: "block",
    dlpValues: [],
    routes: new Map([[MODEL, { "x-api-key": "real" }], ["other.test", { "x-api-key": "real" }]]),
    redactHosts: new Set(redact ? [MODEL] : []),
    scrubValues: [],
    upstream,
    resolve: () => Promise.resolve({ address: "127.0.0.1" }),
    ...extra,
  };
  const head = encoder.encode(
    `POST /v1/messages HTTP/1.1\r\nHost: ${host}\r\n${
      contentEncoding ? `Content-Encoding: ${contentEncoding}\r\n` : ""
    }Content-Length: ${body.length}\r\n\r\n`,
  );
  const input = new Uint8Array(head.length + body.length);
  input.set(head);
  input.set(body, head.length);
  const out: Uint8Array[] = [];
  const { reader, sink } = agentSide(input, out);
  try {
    const req = (await readRequest(reader))!;
    await exchange(req, reader, sink, ctx, { scheme: "https", host, port: 443 });
    await ctx.audit.flush();
    const log = (await Deno.readTextFile(join(dir, "audit.jsonl"))).trim().split("\n")
      .map((l) => JSON.parse(l));
    const answer = decoder.decode(
      out.reduce((a, b) => new Uint8Array([...a, ...b]), new Uint8Array()),
    );
    return { answer, sent, log };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const json = (content: string) =>
  encoder.encode(JSON.stringify({ messages: [{ role: "user", content }] }));

Deno.test("a secret in a request to the model route is cut out, and the request goes", async () => {
  const { answer, sent, log } = await post(
    MODEL,
    json(`the output: token=${GH} and ${btoa(`key=${GH}`)} done`),
  );
  assert.match(answer, /^HTTP\/1\.1 200/);
  assert.equal(sent.length, 1);
  const body = decoder.decode(sent[0]!);
  assert.equal(
    JSON.parse(body).messages[0].content,
    `the output: token=${CUT_OUT} and ${CUT_OUT} done`,
  );
  assert.deepEqual(log.map((e) => [e.action, e.rules]).filter(([a]) => a === "dlp-cut"), [
    ["dlp-cut", ["github-token@body", "github-token@body/base64"]],
  ]);
});

Deno.test("a secret found percent-encoded in a request to the model route is cut out with its run", async () => {
  const percent = [...GH].map((c) => "%" + c.charCodeAt(0).toString(16)).join("");
  const { answer, sent, log } = await post(MODEL, json(`see t=${percent} there`));
  assert.match(answer, /^HTTP\/1\.1 200/);
  assert.equal(JSON.parse(decoder.decode(sent[0]!)).messages[0].content, `see ${CUT_OUT} there`);
  assert.deepEqual(log.filter((e) => e.action === "dlp-cut").map((e) => e.rules), [
    ["github-token@body/url"],
  ]);
});

Deno.test("what cannot be cut out is refused: split across fields, a body not UTF-8, a route not the model's", async () => {
  const cases: [string, string, Uint8Array, boolean][] = [
    [
      "split across fields",
      MODEL,
      encoder.encode(JSON.stringify({ a: GH.slice(0, 20), b: GH.slice(20) })),
      true,
    ],
    ["not UTF-8", MODEL, new Uint8Array([...encoder.encode(`token=${GH} `), 0xff, 0xfe]), true],
    ["another route", "other.test", json(`token=${GH}`), true],
    ["the model route, cutting off", MODEL, json(`token=${GH}`), false],
  ];
  for (const [what, host, body, redact] of cases) {
    const { answer, sent, log } = await post(host, body, redact);
    assert.match(answer, /^HTTP\/1\.1 403/, what);
    assert.equal(sent.length, 0, what);
    assert.ok(log.some((e) => e.action === "dlp-block"), what);
  }
});

Deno.test("a clean upload of a long one-line file in base64 goes through; with a token in it, it is refused", async () => {
  const json = JSON.stringify(
    Array.from({ length: 30_000 }, (_, i) => ({ id: i, name: `item ${i}` })),
  );
  const clean = await post("other.test", encoder.encode(JSON.stringify({ file: btoa(json) })));
  assert.match(clean.answer, /^HTTP\/1\.1 200/);
  assert.equal(clean.sent.length, 1);
  const leaky = json.slice(0, 500_000) + `"token":"${GH}",` + json.slice(500_000);
  const refused = await post("other.test", encoder.encode(JSON.stringify({ file: btoa(leaky) })));
  assert.match(refused.answer, /^HTTP\/1\.1 403/);
  assert.match(refused.answer, /GitHub token \(rule github-token\) in the body, base64-encoded/);
  assert.equal(refused.sent.length, 0);
});

Deno.test("a body whose scan fails is refused with the reason, never sent unscanned", async () => {
  const scanner = {
    scan: () => Promise.reject(new Error("the scan worker failed: out of memory")),
  } as unknown as ScanPool;
  const { answer, sent, log } = await post("other.test", json("hello"), true, { scanner });
  assert.match(answer, /^HTTP\/1\.1 503/);
  assert.match(answer, /its body could not be scanned: the scan worker failed: out of memory/);
  assert.equal(sent.length, 0);
  assert.ok(log.some((e) => e.action === "deny" && /could not be scanned/.test(e.reason)));
  // With the DLP auditing only, it goes, and the log says it went unscanned.
  const audited = await post("other.test", json("hello"), true, { scanner, dlp: "audit" });
  assert.match(audited.answer, /^HTTP\/1\.1 200/);
  assert.equal(audited.sent.length, 1);
  assert.ok(
    audited.log.some((e) => e.action === "dlp-audit" && /could not be scanned/.test(e.reason)),
  );
});

Deno.test("with the DLP auditing only, a body that cannot be opened goes even when its scan as it is fails", async () => {
  const scanner = {
    scan: () => Promise.reject(new Error("the scan worker failed: out of memory")),
  } as unknown as ScanPool;
  // gzip's magic and nothing after: declared gzip, it cannot be opened.
  const body = new Uint8Array([0x1f, 0x8b, 8, 0]);
  const { answer, sent, log } = await post("other.test", body, true, {
    scanner,
    dlp: "audit",
  }, "gzip");
  assert.match(answer, /^HTTP\/1\.1 200/);
  assert.equal(sent.length, 1);
  assert.ok(log.some((e) => e.action === "dlp-audit"));
});

/**
 * One GET to the route host `MODEL` whose upstream answers `parts` (a length-framed body),
 * its first part arriving with the head when `buffered`; each part is pulled only after
 * `before(out)` checks what the agent was sent so far. Returns the agent's writes.
 */
async function answer(
  parts: string[],
  buffered: boolean,
  before: (out: Uint8Array[], part: number) => void = () => {},
) {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-exchange-test-" });
  const out: Uint8Array[] = [];
  const length = parts.reduce((n, p) => n + encoder.encode(p).length, 0);
  const upstream = {
    request: () =>
      Promise.resolve({
        status: 200,
        reason: "OK",
        version: "HTTP/1.1",
        headers: [["Content-Length", String(length)]],
        framing: { kind: "length", length },
        keepAlive: true,
        buffered,
        body: (async function* () {
          for (const [i, part] of parts.entries()) {
            before(out, i);
            yield encoder.encode(part);
          }
        })(),
        abort() {},
      }),
  } as unknown as UpstreamPool;
  const ctx: ProxyContext = {
    policy: () => new LiveAllowlist([MODEL], [], []).current(),
    audit: new AuditLog(join(dir, "audit.jsonl")),
    dlp: "block",
    dlpValues: [],
    routes: new Map([[MODEL, { "x-api-key": "sk-real-key-value-0123" }]]),
    scrubValues: ["sk-real-key-value-0123"],
    upstream,
    resolve: () => Promise.resolve({ address: "127.0.0.1" }),
  };
  const input = encoder.encode(`GET /v1/models HTTP/1.1\r\nHost: ${MODEL}\r\n\r\n`);
  const { reader, sink } = agentSide(input, out);
  try {
    const req = (await readRequest(reader))!;
    assert.equal(
      await exchange(req, reader, sink, ctx, { scheme: "https", host: MODEL, port: 443 }),
      true,
    );
    await ctx.audit.close();
    return out.map((w) => decoder.decode(w));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The body of a chunked answer, and whether its last chunk ends it exactly once. */
function dechunk(text: string): string {
  let body = "";
  let rest = text.slice(text.indexOf("\r\n\r\n") + 4);
  for (;;) {
    const line = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, line), 16);
    if (size === 0) {
      assert.equal(rest, "0\r\n\r\n", "the last chunk ends the answer, once");
      return body;
    }
    body += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
}

Deno.test("an answer whose body came with its head goes to the agent in one write, scrubbed and whole", async () => {
  const writes = await answer(['{"echo":"sk-real-key-value-0123","ok":true}'], true);
  // Head, body and last chunk in one TLS record: each write costs the proxy a record and
  // a system call, most of a kept-alive request's time.
  assert.equal(writes.length, 1, writes.join("|"));
  assert.match(writes[0]!, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(writes[0]!, /\r\nTransfer-Encoding: chunked\r\n/i);
  assert.equal(dechunk(writes[0]!), '{"echo":"[redacted by bot-bottle]","ok":true}');
});

Deno.test("an answer's head goes to the agent before its body has come (a stream's events wait for nothing)", async () => {
  const writes = await answer(["data: first\n\n", "data: second\n\n"], false, (out, part) => {
    if (part === 0) {
      assert.equal(out.length, 1, "the head was sent before the body was read");
      assert.match(decoder.decode(out[0]!), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n$/);
    } else {
      assert.match(decoder.decode(out.at(-1)!), /data: first/, "the first event went on its own");
    }
  });
  assert.equal(dechunk(writes.join("")), "data: first\n\ndata: second\n\n");
});

Deno.test("an answer in parts, its first with the head, keeps every byte and ends once", async () => {
  const parts = ["a".repeat(100), "sk-real-key-", "value-0123", "b".repeat(50)];
  const writes = await answer(parts, true);
  assert.match(
    writes[0]!,
    /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n[0-9a-f]+\r\na/,
    "head and first part",
  );
  assert.equal(
    dechunk(writes.join("")),
    `${"a".repeat(100)}[redacted by bot-bottle]${"b".repeat(50)}`,
  );
});
