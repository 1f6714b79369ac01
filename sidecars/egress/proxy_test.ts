/**
 * The proxy in process, between a client on loopback and upstreams on loopback: what it
 * relays arrives byte for byte (its connections read into buffers they reuse), also
 * while the client reads slowly, and a client that leaves mid-download frees the
 * upstream connection.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, zstdCompressSync } from "node:zlib";
import { AuditLog } from "./audit.ts";
import { createCa } from "./ca.ts";
import { Leaves } from "./leaves.ts";
import { LiveAllowlist } from "./policy.ts";
import { type ProxyOptions, startProxy } from "./proxy.ts";
import { resolveTarget } from "./resolve.ts";
import { UpstreamPool } from "./upstream.ts";
import { ScanPool } from "./scanpool.ts";
import type { ScanJob } from "./scanjob.ts";
import { BodyBudget } from "./http1.ts";
import { issueLeafCert, makeAuthority } from "../../lib/net/x509.ts";
import { serveBody, writeAll } from "../../tests/loopback_server.ts";
import { packOf } from "../../tests/pack_fixture.ts";
import { zipOf } from "../../tests/zip_fixture.ts";
import { wideWindowZstd } from "../../tests/zstd_fixture.ts";
import { hexOf } from "../../tests/encodings.ts";

const SIZE = 6 * 1024 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Random bytes: a chunk written from a reused buffer too early shows as a wrong hash. */
function randomBody(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let off = 0; off < size; off += 65536) {
    crypto.getRandomValues(out.subarray(off, Math.min(size, off + 65536)));
  }
  return out;
}

async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads one response (Content-Length framed or chunked); `slow` pauses now and then. */
async function readResponse(
  conn: Deno.Conn,
  slow: boolean,
): Promise<{ status: number; body: Uint8Array }> {
  const { status, head, rest } = await readHead(conn);
  // The proxy's writes wait on this reader (its socket buffers full) while it reads on
  // upstream: a buffer reused too early goes out with other bytes.
  let reads = 0;
  const pace = async () => {
    if (slow && ++reads % 16 === 1) await new Promise((r) => setTimeout(r, reads === 1 ? 200 : 5));
  };
  if (!/transfer-encoding: chunked/i.test(head)) {
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    return { status, body: await readExactly(conn, rest, length, pace) };
  }
  // Chunked: each size line, then that many bytes and CRLF, until the size 0.
  const parts: Uint8Array[] = [];
  let pending = rest;
  for (;;) {
    let line = decoder.decode(pending).indexOf("\r\n");
    while (line === -1) {
      pending = await readExactly(conn, pending, pending.length + 1, pace);
      line = decoder.decode(pending).indexOf("\r\n");
    }
    const size = parseInt(decoder.decode(pending.subarray(0, line)), 16);
    const chunk = await readExactly(conn, pending.subarray(line + 2), size + 2, pace);
    assert.equal(decoder.decode(chunk.subarray(size, size + 2)), "\r\n", "a chunk's end");
    if (size === 0) break;
    parts.push(chunk.subarray(0, size));
    pending = chunk.subarray(size + 2);
  }
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    body.set(p, off);
    off += p.length;
  }
  return { status, body };
}

/** Reads an answer's head; what came after it is `rest`. */
async function readHead(
  conn: Deno.Conn,
): Promise<{ status: number; head: string; rest: Uint8Array }> {
  const buf = new Uint8Array(7000);
  let head = new Uint8Array(0);
  let at = -1;
  while (at === -1) {
    const n = await conn.read(buf);
    assert.notEqual(n, null, "the connection ended before the head");
    const more = new Uint8Array(head.length + n!);
    more.set(head);
    more.set(buf.subarray(0, n!), head.length);
    head = more;
    at = decoder.decode(head).indexOf("\r\n\r\n");
  }
  const text = decoder.decode(head.subarray(0, at));
  return { status: Number(text.split(" ")[1]), head: text, rest: head.subarray(at + 4) };
}

/**
 * `length` bytes: what was read already (`first`, of which any past `length` are kept
 * after them), then from `conn`, calling `pace` after each read.
 */
async function readExactly(
  conn: Deno.Conn,
  first: Uint8Array,
  length: number,
  pace: () => Promise<void>,
): Promise<Uint8Array> {
  const buf = new Uint8Array(7000);
  const body = new Uint8Array(Math.max(length, first.length));
  body.set(first);
  let got = first.length;
  while (got < length) {
    const n = await conn.read(buf.subarray(0, Math.min(buf.length, length - got)));
    assert.notEqual(n, null, `the body ended at ${got} of ${length} bytes`);
    body.set(buf.subarray(0, n!), got);
    got += n!;
    await pace();
  }
  return body;
}

/**
 * One POST (or `method`) of `body` to `http://HOST/up` through the proxy on loopback, on
 * a new connection (the tests may reach 127.0.0.1 only, not a name); `headers`: extra
 * header lines. Its status and answer.
 */
async function postVia(
  proxyPort: number,
  host: string,
  body: Uint8Array,
  headers = "",
  method = "POST",
): Promise<{ status: number; text: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxyPort });
  try {
    await writeAll(
      conn,
      encoder.encode(
        `${method} http://${host}/up HTTP/1.1\r\nHost: ${host}\r\n${headers}` +
          `Content-Length: ${body.length}\r\n\r\n`,
      ),
    );
    await writeAll(conn, body).catch(() => {});
    const answer = await readResponse(conn, false);
    return { status: answer.status, text: decoder.decode(answer.body) };
  } finally {
    conn.close();
  }
}

/**
 * The proxy on loopback (its CA in `dir/ca`, its audit log in `dir`): DLP blocking, every
 * name resolving to 127.0.0.1.
 */
async function loopbackProxy(
  dir: string,
  allow: LiveAllowlist,
  upstream: UpstreamPool,
  extra: Partial<ProxyOptions> = {},
) {
  // Bodies are scanned in workers, as in the bundle (all of them, small ones too).
  const scanner = new ScanPool(2, { inPlaceBelow: 0 });
  const audit = new AuditLog(join(dir, "audit.jsonl"));
  const proxy = await startProxy({
    hostname: "127.0.0.1",
    port: 0,
    policy: () => allow.current(),
    audit,
    dlp: "block",
    dlpValues: [],
    routes: new Map(),
    scrubValues: [],
    upstream,
    resolve: () => Promise.resolve({ address: "127.0.0.1" }),
    leaves: new Leaves(await createCa(join(dir, "ca"), "test")),
    scanner,
    ...extra,
  });
  return {
    port: proxy.port,
    /**
     * The audit log's entries, once what was written to it is on disk (writes are queued:
     * read at once, under load, the file was still empty).
     */
    // deno-lint-ignore no-explicit-any
    entries: async (): Promise<any[]> => {
      await audit.flush();
      return (await Deno.readTextFile(join(dir, "audit.jsonl"))).trim().split("\n")
        .map((l) => JSON.parse(l));
    },
    /**
     * Stops the proxy and waits for its audit log's queued writes: one still running once
     * made removing the test's folder fail ("Directory not empty") under load.
     */
    stop: async () => {
      await proxy.stop();
      scanner.close();
      await audit.flush();
    },
  };
}

Deno.test("the proxy relays downloads byte for byte on every path, also to a slow reader", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-proxy-test-" });
  const body = randomBody(SIZE);
  const expected = await sha256(body);

  const plainListener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const plainPort = (plainListener.addr as Deno.NetAddr).port;
  const plain = serveBody(plainListener, body);
  const upstreamCa = await makeAuthority("upstream test CA");
  const leaf = await issueLeafCert(upstreamCa, ["tls.test", "tunnel.test"]);
  const tlsListener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: leaf.certPem,
    key: leaf.keyPem,
    alpnProtocols: ["http/1.1"],
  });
  const tlsPort = (tlsListener.addr as Deno.NetAddr).port;
  serveBody(tlsListener, body);

  const allow = new LiveAllowlist(
    [`plain.test:${plainPort}`, `tls.test:${tlsPort}`, `tunnel.test:${tlsPort}`],
    [],
    [`tunnel.test:${tlsPort}`],
  );
  const upstream = new UpstreamPool({ caCerts: [upstreamCa.certPem] });
  const proxy = await loopbackProxy(dir, allow, upstream);
  const proxyCa = await Deno.readTextFile(join(dir, "ca", "ca.crt"));
  const toProxy = () => Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  const tunnelTo = async (host: string) => {
    const conn = await toProxy();
    await writeAll(conn, encoder.encode(`CONNECT ${host}:${tlsPort} HTTP/1.1\r\n\r\n`));
    const answer = new Uint8Array(1024);
    const n = await conn.read(answer);
    assert.match(decoder.decode(answer.subarray(0, n ?? 0)), /^HTTP\/1\.1 200 /);
    return await Deno.startTls(conn, {
      hostname: host,
      caCerts: [host === "tunnel.test" ? upstreamCa.certPem : proxyCa],
    });
  };

  try {
    await t.step("plain HTTP, twice on one kept connection, the second read slowly", async () => {
      const conn = await toProxy();
      for (const slow of [false, true]) {
        await writeAll(
          conn,
          encoder.encode(
            `GET http://plain.test:${plainPort}/data HTTP/1.1\r\nHost: plain.test:${plainPort}\r\n\r\n`,
          ),
        );
        const r = await readResponse(conn, slow);
        assert.equal(r.status, 200);
        assert.equal(await sha256(r.body), expected, `slow=${slow}`);
      }
      conn.close();
    });

    for (const host of ["tls.test", "tunnel.test"]) {
      const how = host === "tls.test" ? "intercepted" : "passthrough";
      await t.step(`${how} HTTPS, twice on one connection, the second read slowly`, async () => {
        const conn = await tunnelTo(host);
        for (const slow of [false, true]) {
          await writeAll(
            conn,
            encoder.encode(`GET /data HTTP/1.1\r\nHost: ${host}:${tlsPort}\r\n\r\n`),
          );
          const r = await readResponse(conn, slow);
          assert.equal(r.status, 200);
          assert.equal(await sha256(r.body), expected, `slow=${slow}`);
        }
        conn.close();
      });
    }

    await t.step(
      "intercepted HTTPS answered chunked, twice on one connection, the second read slowly",
      async () => {
        // Chunks of many sizes, re-chunked by the proxy: each goes out as its size line, its
        // bytes and its end joined in a buffer the next write reuses.
        const conn = await tunnelTo("tls.test");
        for (const slow of [false, true]) {
          await writeAll(
            conn,
            encoder.encode(`GET /chunked HTTP/1.1\r\nHost: tls.test:${tlsPort}\r\n\r\n`),
          );
          const r = await readResponse(conn, slow);
          assert.equal(r.status, 200);
          assert.equal(await sha256(r.body), expected, `slow=${slow}`);
        }
        conn.close();
      },
    );

    await t.step("a client that leaves mid-download frees the upstream connection", async () => {
      const before = plain.closed;
      const conn = await toProxy();
      await writeAll(
        conn,
        encoder.encode(
          `GET http://plain.test:${plainPort}/data HTTP/1.1\r\nHost: plain.test:${plainPort}\r\n\r\n`,
        ),
      );
      const buf = new Uint8Array(65536);
      assert.ok((await conn.read(buf)) !== null);
      conn.close();
      const deadline = Date.now() + 10_000;
      while (plain.closed === before && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(plain.closed, before + 1, "the upstream connection was closed");
    });
  } finally {
    upstream.close();
    await proxy.stop();
    plainListener.close();
    tlsListener.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("request bodies held for scanning share one budget: over it 503, given back when sent, refused or failed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-proxy-test-" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  serveBody(listener, encoder.encode("ok"));
  // An upstream that hangs up on every connection: the exchange fails. (A port closed
  // after listening could be taken meanwhile by another test's server, which answers.)
  const dead = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (dead.addr as Deno.NetAddr).port;
  (async () => {
    for await (const conn of dead) conn.close();
  })().catch(() => {});
  const allow = new LiveAllowlist([`up.test:${port}`, `dead.test:${deadPort}`], [], []);
  const upstream = new UpstreamPool({});
  const KiB = 1024;
  const proxy = await loopbackProxy(dir, allow, upstream, { bodies: new BodyBudget(300 * KiB) });
  const head = (host: string, length: number) =>
    encoder.encode(
      `POST http://${host}/up HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${length}\r\n\r\n`,
    );
  /** One POST of `size` bytes of `fill` on a new connection; its status. */
  const post = async (host: string, size: number, fill = "a") => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    try {
      const body = encoder.encode(fill.repeat(Math.ceil(size / fill.length)).slice(0, size));
      await writeAll(conn, head(host, size));
      await writeAll(conn, body).catch(() => {});
      return (await readResponse(conn, false)).status;
    } finally {
      conn.close();
    }
  };
  // Closed before the proxy stops, whatever failed: it waits for what they still owe.
  const open: Deno.Conn[] = [];
  const connect = async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    open.push(conn);
    return conn;
  };
  try {
    // A body of 200 KiB, half sent: its whole length is held while the rest comes.
    const slow = await connect();
    await writeAll(slow, head(`up.test:${port}`, 200 * KiB));
    await writeAll(slow, encoder.encode("a".repeat(100 * KiB)));
    let answer = 0;
    for (let tries = 0; tries < 25 && answer !== 503; tries++) {
      // Until the proxy has read the first head, a second body still fits.
      answer = await post(`up.test:${port}`, 200 * KiB);
      if (answer !== 503) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(answer, 503, "a second 200 KiB body does not fit beside the first");
    // A client waiting for "100 Continue" hears it does not fit before sending its body.
    const asking = await connect();
    await writeAll(
      asking,
      encoder.encode(
        `POST http://up.test:${port}/up HTTP/1.1\r\nHost: up.test:${port}\r\n` +
          `Content-Length: ${200 * KiB}\r\nExpect: 100-continue\r\n\r\n`,
      ),
    );
    // Were "100 Continue" sent first, the proxy would wait for the body and the answer
    // never come: the connection is closed after a while, which fails the read.
    const hung = setTimeout(() => asking.close(), 10_000);
    try {
      assert.equal((await readResponse(asking, false)).status, 503);
    } finally {
      clearTimeout(hung);
    }
    // A compressed body opens only within the room the held ones leave: 503 while they are
    // held, scanned once they are through.
    const packed = gzipSync(encoder.encode("a".repeat(200 * KiB)));
    const postPacked = async () =>
      (await postVia(proxy.port, `up.test:${port}`, packed, "Content-Encoding: gzip\r\n")).status;
    assert.equal(await postPacked(), 503);
    await writeAll(slow, encoder.encode("a".repeat(100 * KiB)));
    assert.equal((await readResponse(slow, false)).status, 200);
    assert.equal(await postPacked(), 200);
    // Given back once sent: 250 KiB fits again, and again.
    assert.equal(await post(`up.test:${port}`, 250 * KiB), 200);
    assert.equal(await post(`up.test:${port}`, 250 * KiB), 200);
    // Given back when DLP refuses the body, and when the upstream fails.
    const token = "gh" + "p_Zq8Lr2Xv9Kt4Wm7Pn3Bc6Hd1Fj5Gs0Ya8Ue2";
    assert.equal(await post(`up.test:${port}`, 250 * KiB, `token=${token}\n`), 403);
    assert.equal(await post(`dead.test:${deadPort}`, 250 * KiB), 502);
    assert.equal(await post(`up.test:${port}`, 250 * KiB), 200);
  } finally {
    for (const conn of open) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    upstream.close();
    await proxy.stop();
    listener.close();
    dead.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a compressed request body is opened and scanned, refused when it cannot be, and sent as it came", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-proxy-test-" });
  const got: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      got.push(await sha256(new Uint8Array(await req.arrayBuffer())));
      return new Response("ok");
    },
  );
  const port = server.addr.port;
  const allow = new LiveAllowlist([`up.test:${port}`], [], []);
  const upstream = new UpstreamPool({});
  const proxy = await loopbackProxy(dir, allow, upstream);
  const post = (body: Uint8Array, encoding?: string) =>
    postVia(
      proxy.port,
      `up.test:${port}`,
      body,
      encoding ? `Content-Encoding: ${encoding}\r\n` : "",
    );
  const token = "gh" + "p_Zq8Lr2Xv9Kt4Wm7Pn3Bc6Hd1Fj5Gs0Ya8Ue2";
  const secret = encoder.encode(`ci token ${token}\n`);
  try {
    const declared = await post(gzipSync(secret), "gzip");
    assert.equal(declared.status, 403);
    assert.match(declared.text, /rule github-token\) in the body \(gzip-compressed\)/);
    // A gzip file posted as it is, and brotli over gzip.
    assert.equal((await post(gzipSync(secret))).status, 403);
    const layered = await post(brotliCompressSync(gzipSync(secret)), "br");
    assert.match(layered.text, /in the body \(br\+gzip-compressed\)/);
    // A file in a multipart upload.
    const upload = (name: string, data: Uint8Array) =>
      post(
        new Uint8Array([
          ...encoder.encode(
            `--b\r\nContent-Disposition: form-data; name="f"; filename="${name}"\r\n\r\n`,
          ),
          ...data,
          ...encoder.encode("\r\n--b--\r\n"),
        ]),
      );
    const multipart = await upload("t.gz", gzipSync(secret));
    assert.equal(multipart.status, 403);
    assert.match(multipart.text, /in the body \(gzip-compressed\)/);
    // A zip archive posted as it is.
    const zipped = await post(zipOf([["notes.txt", secret]]));
    assert.equal(zipped.status, 403);
    assert.match(zipped.text, /in the body \(zip-compressed\)/);
    // zstd: declared, and a .zst file in a multipart upload.
    const zstd = await post(zstdCompressSync(secret), "zstd");
    assert.equal(zstd.status, 403);
    assert.match(zstd.text, /in the body \(zstd-compressed\)/);
    const zstdPart = await upload("t.zst", zstdCompressSync(secret));
    assert.equal(zstdPart.status, 403);
    assert.match(zstdPart.text, /in the body \(zstd-compressed\)/);
    // A git push over HTTPS: its commands, then a pack of the commit's objects; and git's
    // own gzip of a large push around it.
    const push = new Uint8Array([
      ...encoder.encode(
        `0077${"0".repeat(40)} ${"1".repeat(40)} refs/heads/main\0report-status\n0000`,
      ),
      ...packOf([[3, secret], [1, encoder.encode("tree 0\n\nadd the ci token\n")]]),
    ]);
    const pushed = await post(push);
    assert.equal(pushed.status, 403);
    assert.match(pushed.text, /rule github-token\) in the body \(in git pack data\)/);
    assert.match(
      (await post(gzipSync(push), "gzip")).text,
      /\(gzip-compressed, in git pack data\)/,
    );
    // What cannot be opened: refused, saying why.
    const unknown = await post(encoder.encode("hello"), "compress");
    assert.equal(unknown.status, 415);
    assert.match(unknown.text, /"compress" encoding, which the proxy cannot open/);
    const zstdCut = zstdCompressSync(encoder.encode("a note, cut short ".repeat(50)));
    const cutZstd = await post(zstdCut.subarray(0, zstdCut.length - 4), "zstd");
    assert.equal(cutZstd.status, 415);
    assert.match(cutZstd.text, /zstd data is cut short or malformed/);
    const wideZstd = await upload("t.zst", wideWindowZstd(encoder.encode("notes\n".repeat(50))));
    assert.equal(wideZstd.status, 415);
    assert.match(wideZstd.text, /zstd data cannot be opened here/);
    const bomb = await post(gzipSync(new Uint8Array(40 * 1024 * 1024)), "gzip");
    assert.equal(bomb.status, 413);
    assert.match(bomb.text, /opens to more than the 32 MiB/);
    const cut = gzipSync(encoder.encode("a note, cut short ".repeat(50)));
    assert.equal((await post(cut.subarray(0, cut.length - 9), "gzip")).status, 415);
    assert.deepEqual(got, [], "nothing reached the upstream");
    // A clean one goes, as it came.
    const clean = gzipSync(encoder.encode("just a note about the build\n".repeat(100)));
    const sent = await post(clean, "gzip");
    assert.equal(sent.status, 200, sent.text);
    const cleanPush = packOf([[3, encoder.encode("a note about the build\n")]]);
    assert.equal((await post(cleanPush)).status, 200);
    const cleanZstd = zstdCompressSync(encoder.encode("just a note about the build\n".repeat(100)));
    assert.equal((await post(cleanZstd, "zstd")).status, 200);
    assert.deepEqual(got, [await sha256(clean), await sha256(cleanPush), await sha256(cleanZstd)]);
    const entries = await proxy.entries();
    const blocked = entries.filter((e) => e.action === "dlp-block");
    // What was found inside each (zstd keeps a small file's bytes as they are, so the
    // secret in the .zst upload is found in the raw body too).
    const inside = (rules: string[]) =>
      rules.filter((r) => r.startsWith("unchecked") || !/@body(?:\/|$)/.test(r));
    assert.deepEqual(blocked.map((e) => inside(e.rules)), [
      ["github-token@body:gzip"],
      ["github-token@body:gzip"],
      ["github-token@body:br+gzip"],
      ["github-token@body:gzip"],
      ["github-token@body:zip"],
      ["github-token@body:zstd"],
      ["github-token@body:zstd"],
      ["github-token@body:pack"],
      ["github-token@body:gzip+pack"],
      ["unchecked-compressed@body"],
      ["unchecked-compressed@body"],
      ["unchecked-compressed@body"],
      ["unchecked-compressed@body"],
      ["unchecked-compressed@body"],
    ]);
    assert.ok(!JSON.stringify(entries).includes(token), "the log does not hold the secret");
  } finally {
    upstream.close();
    await proxy.stop();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a request to the proxy itself is answered 400, and the log says what sends one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-proxy-test-" });
  const upstream = new UpstreamPool({});
  const proxy = await loopbackProxy(dir, new LiveAllowlist([], [], []), upstream);
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    try {
      // What the self-test's curl sends (`curl --noproxy '*' http://PROXY/`).
      await writeAll(conn, encoder.encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      assert.equal((await readResponse(conn, false)).status, 400);
    } finally {
      conn.close();
    }
    const entries = await proxy.entries();
    assert.equal(entries.length, 1);
    assert.equal(entries[0].action, "deny");
    assert.match(
      entries[0].reason,
      /^a request to the proxy itself: .*the bottle's self-test sends one at start/,
    );
  } finally {
    upstream.close();
    await proxy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("request bodies are scanned in the proxy's workers, secrets found there refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-proxy-test-" });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => new Response(`got ${(await req.arrayBuffer()).byteLength}`),
  );
  const port = server.addr.port;
  const allow = new LiveAllowlist([`up.test:${port}`], [], []);
  const upstream = new UpstreamPool({});
  const pool = new ScanPool(2, { inPlaceBelow: 0 });
  const jobs: number[] = [];
  const scanner = {
    scan: (job: ScanJob) => (jobs.push(job.parts[0]!.bytes.length), pool.scan(job)),
  } as unknown as ScanPool;
  const proxy = await loopbackProxy(dir, allow, upstream, { scanner });
  const token = "gh" + "p_Zq8Lr2Xv9Kt4Wm7Pn3Bc6Hd1Fj5Gs0Ya8Ue2";
  try {
    const clean = await postVia(proxy.port, `up.test:${port}`, encoder.encode("clean text"));
    // Each answer in full when it is not the one expected (this test once failed, unseen).
    assert.equal(clean.text, "got 10", `clean: ${clean.status} ${clean.text}`);
    const leak = await postVia(proxy.port, `up.test:${port}`, encoder.encode(`t=${token}`));
    assert.equal(leak.status, 403, `leak: ${leak.status} ${leak.text}`);
    assert.match(leak.text, /rule github-token\) in the body/);
    assert.deepEqual(jobs, [10, `t=${token}`.length]);
  } finally {
    upstream.close();
    await proxy.stop();
    pool.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a secret sent as the request's method is refused before it goes upstream", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-proxy-test-" });
  const methods: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => (methods.push(req.method), new Response("ok")),
  );
  const host = `up.test:${server.addr.port}`;
  const upstream = new UpstreamPool({});
  const proxy = await loopbackProxy(dir, new LiveAllowlist([host], [], []), upstream);
  // Any run of capitals is a method to the proxy and to a server (`curl -X`): an AWS
  // key id whose characters are all letters fits.
  const key = "AK" + "IAQWERTYUIOPASDFGZ";
  try {
    const ordinary = await postVia(proxy.port, host, encoder.encode("x"), "", "PROPFIND");
    assert.equal(ordinary.status, 200, ordinary.text);
    const leak = await postVia(proxy.port, host, encoder.encode("x"), "", key);
    assert.equal(leak.status, 403, leak.text);
    assert.match(leak.text, /\(rule aws-access-key-id\) in the method/);
    assert.ok(!leak.text.includes(key), "the refusal does not repeat it");
    assert.deepEqual(methods, ["PROPFIND"], "only the ordinary method went upstream");
    const blocked = (await proxy.entries()).filter((e) => e.action === "dlp-block");
    assert.equal(blocked.length, 1);
    assert.deepEqual(blocked[0].rules, ["aws-access-key-id@method"]);
    assert.ok(!JSON.stringify(blocked[0]).includes(key.slice(4)), JSON.stringify(blocked[0]));
  } finally {
    upstream.close();
    await proxy.stop();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a secret cut into the host name a CONNECT asks for is refused before the name is resolved, passthrough too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-proxy-test-" });
  const token = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
  const hex = hexOf(token);
  // Names under wildcards: intercepted, and tunnelled unscanned.
  const allow = new LiveAllowlist(["*.wild.test"], [], ["*.pass.test"]);
  const upstream = new UpstreamPool({ caCerts: [] });
  const resolved: string[] = [];
  const proxy = await loopbackProxy(dir, allow, upstream, {
    resolve: (host: string) => {
      resolved.push(host);
      return Promise.resolve({ address: "127.0.0.1" });
    },
  });
  const connect = async (host: string) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    try {
      await writeAll(conn, encoder.encode(`CONNECT ${host}:443 HTTP/1.1\r\n\r\n`));
      return await readHead(conn);
    } finally {
      conn.close();
    }
  };
  try {
    for (const domain of ["wild.test", "pass.test"]) {
      // Too long for one label (63 characters): cut in two, as a name must carry it.
      const answer = await connect(`${hex.slice(0, 40)}.${hex.slice(40)}.${domain}`);
      assert.equal(answer.status, 403, domain);
      assert.match(
        answer.head,
        /CONNECT blocked: it carries GitHub token \(rule github-token\) in the host name, hex-encoded/,
      );
      assert.ok(!answer.head.includes(hex.slice(0, 40)), "the refusal does not repeat it");
      // Whole in one label, in the clear.
      assert.equal((await connect(`${token.toLowerCase()}.${domain}`)).status, 403, domain);
      // An ordinary name under the same wildcard is let through.
      assert.equal((await connect(`cdn.${domain}`)).status, 200, domain);
    }
    assert.deepEqual(resolved, [], "no name was resolved: none went upstream");
    const blocked = (await proxy.entries()).filter((e) => e.action === "dlp-block");
    assert.equal(blocked.length, 4);
    assert.deepEqual(blocked[0].rules, ["github-token@host/hex"]);
    assert.ok(
      blocked.every((e) => e.method === "CONNECT" && e.host === "[GitHub token hidden]"),
      JSON.stringify(blocked),
    );
  } finally {
    upstream.close();
    await proxy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an allowed name that does not resolve is a failed upstream (502, logged as an error), not a refusal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-proxy-test-" });
  const allow = new LiveAllowlist(["gone.test"], [], ["pass.test"]);
  const upstream = new UpstreamPool({ caCerts: [] });
  const proxy = await loopbackProxy(dir, allow, upstream, {
    resolve: (host: string) => resolveTarget(host, [], () => Promise.reject(new Error("NXDOMAIN"))),
  });
  const ask = async (head: string) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    try {
      await writeAll(conn, encoder.encode(head));
      return await readHead(conn);
    } finally {
      conn.close();
    }
  };
  try {
    const plain = await ask("GET http://gone.test/x HTTP/1.1\r\nHost: gone.test\r\n\r\n");
    assert.equal(plain.status, 502);
    assert.match(plain.head, /"gone\.test" does not resolve: NXDOMAIN/);
    // A passthrough tunnel resolves the name after its ClientHello: the answer is 200,
    // then the connection ends; the log says why.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    await writeAll(conn, encoder.encode("CONNECT pass.test:443 HTTP/1.1\r\n\r\n"));
    assert.equal((await readHead(conn)).status, 200);
    const tls = await Deno.startTls(conn, { hostname: "pass.test" });
    await assert.rejects(tls.handshake(), "the tunnel ends: nowhere to go");
    tls.close();
    // An unlisted name is still refused by policy, before any lookup.
    assert.equal(
      (await ask("GET http://other.test/ HTTP/1.1\r\nHost: other.test\r\n\r\n")).status,
      403,
    );
    const entries = await proxy.entries();
    const errors = entries.filter((e) => e.action === "error");
    assert.deepEqual(errors.map((e) => [e.host, e.reason]), [
      ["gone.test", '"gone.test" does not resolve: NXDOMAIN'],
      ["pass.test", '"pass.test" does not resolve: NXDOMAIN'],
    ]);
    assert.deepEqual(entries.filter((e) => e.action === "deny").map((e) => e.host), ["other.test"]);
  } finally {
    upstream.close();
    await proxy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
