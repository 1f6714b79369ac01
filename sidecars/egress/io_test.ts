import assert from "node:assert/strict";
import net from "node:net";
import { concat, ConnIO, relay, SocketIO } from "./io.ts";

/** Chunks as a connection yields them: read into two buffers by turns. */
async function* byTurns(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  const buffers = [new Uint8Array(1 << 18), new Uint8Array(1 << 18)];
  let turn = 0;
  for (const chunk of chunks) {
    const buffer = buffers[turn]!;
    turn ^= 1;
    buffer.set(chunk);
    yield buffer.subarray(0, chunk.length);
  }
}

/** A small deterministic generator (tests repeat exactly). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

Deno.test("relay() sends every byte in order, though each write takes its bytes only when it ends", async () => {
  for (
    const [name, sizes] of [
      ["a big chunk first (sent from its own buffer), then records", [65536, 16384, 16384, 16384]],
      ["records, as a TLS connection reads", Array(40).fill(16384)],
      ["mixed", [100, 70000, 5, 65536, 65536, 16384, 200000, 1, 40000, 16384]],
    ] as [string, number[]][]
  ) {
    const next = random(sizes.length);
    const chunks = sizes.map((n) => {
      const c = new Uint8Array(n);
      for (let i = 0; i < n; i++) c[i] = Math.floor(next() * 256);
      return c;
    });
    const out: Uint8Array[] = [];
    let inFlight = 0;
    await relay(byTurns(chunks), (data) => {
      inFlight++;
      assert.equal(inFlight, 1, "one write at a time");
      // Like a socket with full buffers: the bytes are taken when the write completes.
      return new Promise((resolve) =>
        setTimeout(() => {
          out.push(data.slice());
          inFlight--;
          resolve();
        }, Math.floor(next() * 3))
      );
    });
    const [got, want] = [concat(out), concat(chunks)];
    assert.equal(got.length, want.length, name);
    const differs = got.findIndex((b, i) => b !== want[i]);
    assert.equal(differs, -1, `${name}: byte ${differs} differs`);
  }
});

Deno.test("relay() sends a lone chunk at once and passes a write's failure on", async () => {
  let sent: Uint8Array | undefined;
  let release!: () => void;
  const more = Promise.withResolvers<void>();
  const source = (async function* () {
    yield new TextEncoder().encode("data: first\n\n");
    await more.promise;
  })();
  const done = relay(source, (data) => {
    sent = data.slice();
    return new Promise<void>((resolve) => (release = resolve));
  });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(new TextDecoder().decode(sent), "data: first\n\n", "sent before the source ends");
  release();
  more.resolve();
  await done;

  await assert.rejects(
    () =>
      relay(
        byTurns([new Uint8Array(10), new Uint8Array(10)]),
        () => Promise.reject(new Error("peer went away")),
      ),
    /peer went away/,
  );
});

Deno.test("ConnIO: a chunk read before park() is not read over by the reads after it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await accepted;
  listener.close();
  const io = new ConnIO(client, 1024);
  const send = async (text: string) => {
    await server.write(new TextEncoder().encode(text));
    // One read takes what one write sent (loopback, small writes, one at a time).
    return await io.read();
  };
  try {
    const first = await send("first response");
    // Its consumer may still be writing it on when the connection goes idle.
    io.park();
    await send("second, and longer, response");
    await send("third one");
    assert.equal(new TextDecoder().decode(first!), "first response");
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("ConnIO: reads start small and grow to full size once one fills its buffer", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await accepted;
  listener.close();
  const io = new ConnIO(client, 256 * 1024);
  try {
    const writing = server.write(new Uint8Array(100 * 1024));
    await writing;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sizes: number[] = [];
    for (let got = 0; got < 100 * 1024;) {
      const chunk = await io.read();
      sizes.push(chunk!.length);
      got += chunk!.length;
    }
    assert.equal(sizes[0], 16 * 1024, "a first read is small");
    assert.ok(sizes.length <= 3, `then one large read takes the rest: ${sizes}`);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("SocketIO: finish() leaves a socket detached for a TLS layer to that layer, and ends one it still holds", async () => {
  const server = net.createServer();
  const accepted: net.Socket[] = [];
  server.on("connection", (socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const clients: net.Socket[] = [];
  try {
    for (const detached of [true, false]) {
      const client = net.connect(port, "127.0.0.1");
      clients.push(client);
      await new Promise((resolve) => client.once("connect", resolve));
      while (accepted.length < clients.length) await new Promise((r) => setTimeout(r, 5));
      const socket = accepted.at(-1)!;
      const io = new SocketIO(socket);
      if (detached) io.detach();
      io.finish();
      assert.equal(socket.writableEnded, !detached, detached ? "detached" : "held");
    }
  } finally {
    for (const s of [...clients, ...accepted]) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
