/**
 * @module
 * A loopback HTTP/1.1 server for the egress proxy's unit tests (not a test file itself).
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes all of `data`. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** `body` as a chunked answer, in chunks of 1 KiB to 300 KiB by turns. */
async function writeChunked(conn: Deno.Conn, body: Uint8Array): Promise<void> {
  await writeAll(conn, encoder.encode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const sizes = [1024, 300 * 1024, 17, 64 * 1024, 5000, 256 * 1024];
  for (let off = 0, i = 0; off < body.length; i++) {
    const part = body.subarray(off, off + sizes[i % sizes.length]!);
    await writeAll(conn, encoder.encode(`${part.length.toString(16)}\r\n`));
    await writeAll(conn, part);
    await writeAll(conn, encoder.encode("\r\n"));
    off += part.length;
  }
  await writeAll(conn, encoder.encode("0\r\n\r\n"));
}

/**
 * An HTTP/1.1 server answering every request with `body` (chunked to a path that holds
 * `/chunked`) (kept alive); `closed` counts
 * connections that ended, and `failed` writes that the peer cut short.
 */
export function serveBody(
  listener: Deno.Listener,
  body: Uint8Array,
): { closed: number; failed: number } {
  const stats = { closed: 0, failed: 0 };
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const buf = new Uint8Array(16384);
        let text = "";
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            text += decoder.decode(buf.subarray(0, n));
            while (text.includes("\r\n\r\n")) {
              const head = text.slice(0, text.indexOf("\r\n\r\n"));
              text = text.slice(head.length + 4);
              if (/^\S+ \S*\/chunked/.test(head)) await writeChunked(conn, body);
              else {
                await writeAll(
                  conn,
                  encoder.encode(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`),
                );
                await writeAll(conn, body);
              }
            }
          }
        } catch {
          stats.failed++;
        }
        stats.closed++;
        try {
          conn.close();
        } catch { /* closed */ }
      })();
    }
  })();
  return stats;
}
