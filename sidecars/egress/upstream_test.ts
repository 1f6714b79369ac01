import assert from "node:assert/strict";
import { UpstreamPool } from "./upstream.ts";

/** A keep-alive server answering every request with `body`, head and body in one write. */
function serve(body: Uint8Array): { port: number; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const buf = new Uint8Array(16384);
        let text = "";
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            text += new TextDecoder().decode(buf.subarray(0, n));
            while (text.includes("\r\n\r\n")) {
              text = text.slice(text.indexOf("\r\n\r\n") + 4);
              const head = new TextEncoder().encode(
                `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`,
              );
              const out = new Uint8Array(head.length + body.length);
              out.set(head);
              out.set(body, head.length);
              for (let off = 0; off < out.length;) off += await conn.write(out.subarray(off));
            }
          }
        } catch { /* the client left */ }
        conn.close();
      })();
    }
  })();
  return { port: (listener.addr as Deno.NetAddr).port, close: () => listener.close() };
}

Deno.test("a pooled connection's next request never reads over the last chunk of the answer before", async () => {
  const body = new Uint8Array(3 * 1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 10)) & 0xff;
  const server = serve(body);
  const pool = new UpstreamPool();
  const target = { tls: false, host: "up.test", port: server.port, address: "127.0.0.1" };
  const get = () => pool.request(target, { method: "GET", path: "/", headers: [] }, null);
  try {
    // The first answer read to its end; its last chunk kept as the relay keeps one it is
    // still writing on when the connection goes back to the pool.
    let last: Uint8Array | undefined;
    let copy: Uint8Array | undefined;
    let got = 0;
    for await (const part of (await get()).body) {
      last = part;
      copy = part.slice();
      got += part.length;
    }
    assert.equal(got, body.length);
    // The next request on the same connection, read to its end (several reads).
    let second = 0;
    for await (const part of (await get()).body) second += part.length;
    assert.equal(second, body.length);
    assert.deepEqual(last, copy, "the last chunk of the first answer was read over");
  } finally {
    pool.close();
    server.close();
  }
});
