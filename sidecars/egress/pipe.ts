/**
 * @module
 * Byte pipes between two connections, closing both when either side is done.
 */

/** Copies bytes both ways until both directions end; errors end both. */
export async function pipeBoth(a: Deno.Conn, b: Deno.Conn, aPrefix?: Uint8Array): Promise<void> {
  const closeBoth = () => {
    for (const c of [a, b]) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
  };
  try {
    if (aPrefix && aPrefix.length > 0) await writeAll(b, aPrefix);
    await Promise.all([
      copy(a, b),
      copy(b, a),
    ]);
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
