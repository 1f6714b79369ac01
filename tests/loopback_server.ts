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

/**
 * An HTTP/1.1 server answering every request with `body` (kept alive); `closed` counts
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
              text = text.slice(text.indexOf("\r\n\r\n") + 4);
              await writeAll(
                conn,
                encoder.encode(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`),
              );
              await writeAll(conn, body);
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
