import assert from "node:assert/strict";
import { serveBody } from "../../tests/loopback_server.ts";
import { UpstreamPool } from "./upstream.ts";

Deno.test("a pooled connection's next request never reads over the last chunk of the answer before", async () => {
  const body = new Uint8Array(3 * 1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 10)) & 0xff;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  serveBody(listener, body);
  const port = (listener.addr as Deno.NetAddr).port;
  const pool = new UpstreamPool();
  const target = { tls: false, host: "up.test", port, address: "127.0.0.1" };
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
    listener.close();
  }
});
