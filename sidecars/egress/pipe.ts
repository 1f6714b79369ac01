/**
 * @module
 * Byte pipes between two connections, closing both when either side is done.
 */

import { helloLength } from "./sni.ts";

/**
 * Copies bytes both ways until both directions end; errors end both. `inspect`, when
 * given, sees the client's first bytes (its whole first TLS record, if it sends one)
 * before they are forwarded and may end the pipe; the other direction flows at once,
 * so protocols where the server speaks first are not held up.
 */
export async function pipeBoth(
  a: Deno.Conn,
  b: Deno.Conn,
  aPrefix?: Uint8Array,
  inspect?: (first: Uint8Array) => boolean,
): Promise<void> {
  const closeBoth = () => {
    for (const c of [a, b]) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
  };
  try {
    const first = async () => {
      let held = aPrefix ?? new Uint8Array(0);
      if (inspect) {
        held = await readFirstRecord(a, held);
        if (!inspect(held)) {
          closeBoth();
          return;
        }
      }
      if (held.length > 0) await writeAll(b, held);
      await copy(a, b);
    };
    await Promise.all([first(), copy(b, a)]);
  } catch {
    // A reset on either side ends the pipe; nothing to report to the peer.
  } finally {
    closeBoth();
  }
}

async function copy(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    let n: number | null;
    try {
      n = await from.read(buf);
    } catch {
      n = null;
    }
    if (n === null) {
      try {
        await to.closeWrite();
      } catch { /* peer gone */ }
      return;
    }
    await writeAll(to, buf.subarray(0, n));
  }
}

/** Writes every byte. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Reads from `conn` until `held` holds the client's whole first TLS record (or it is not TLS). */
async function readFirstRecord(conn: Deno.Conn, held: Uint8Array): Promise<Uint8Array> {
  const buf = new Uint8Array(16 * 1024);
  for (;;) {
    const need = helloLength(held);
    if (need !== undefined && held.length >= need) return held;
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return held;
    const next = new Uint8Array(held.length + n);
    next.set(held);
    next.set(buf.subarray(0, n), held.length);
    held = next;
  }
}
