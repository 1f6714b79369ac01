/**
 * @module
 * Byte plumbing for the proxy: one small interface over node sockets (the agent's
 * side, where TLS is terminated in place) and Deno connections (the upstream side),
 * and a buffered reader that parsers pull from without losing a byte.
 *
 * Ownership: a Deno connection reads into two buffers by turns (a fresh buffer per read
 * is zeroed and faulted in by the allocator, which measured half of the relay's CPU), so
 * a chunk it returns stays valid only until the read after next; a sink's `write`
 * resolves once the bytes are handed on, after which the caller may reuse them. Every
 * consumer either copies what it keeps (parsers decode, the scrubber slices its held
 * tail, chunked framing concatenates) or writes a chunk and awaits it before reading on.
 */

import type { Socket } from "node:net";
import { concat } from "../../lib/bytes.ts";
import { Buffered, indexOf, type Source } from "../../lib/buffered.ts";

/**
 * Something written to; `write` resolves once the bytes are handed on (back-pressure),
 * after which the caller may reuse `data`.
 */
export interface Sink {
  write(data: Uint8Array): Promise<void>;
  /** Ends the write side (the peer reads end-of-stream). */
  end(): void;
  /** Closes both ways at once. */
  destroy(): void;
}

export { Buffered, concat, indexOf, type Source };

/** The chunks of `source` until its end. */
export async function* chunks(source: Source): AsyncGenerator<Uint8Array> {
  for (;;) {
    const data = await source.read();
    if (data === null) return;
    yield data;
  }
}

/** Batch buffers relays share: a fresh one costs page faults on every response. */
const BATCH = 256 * 1024;
const batches: Uint8Array[] = [];
/** Batch buffers kept for reuse at most (4 MiB). */
const POOLED = 16;
/** A part this big goes out from its own buffer, not copied into a batch. */
const DIRECT = 32 * 1024;

/**
 * Writes what `parts` yields with `write`, one write at a time, reading on while a write
 * is in flight. What arrives meanwhile is copied into a batch that goes out as one write
 * when the last one ends (a TLS connection yields one 16 KiB record per read, and each
 * write costs more than copying it), so a read buffer is free as soon as its chunk is
 * copied and a lone chunk (a server-sent event) goes out at once. A big chunk (a plain
 * connection's read) goes out from its own buffer after what came before it, and the
 * read after next waits for it.
 */
export async function relay(
  parts: AsyncIterable<Uint8Array>,
  write: (data: Uint8Array) => Promise<void>,
): Promise<void> {
  let batch: Uint8Array | undefined;
  let spare: Uint8Array | undefined;
  let used = 0;
  let flight: Promise<void> | undefined;
  let failed: { error: unknown } | undefined;
  // Writes `data`, then (chained) whatever gathered in the batch while it was in flight.
  const launch = (data: Uint8Array) => {
    flight = write(data).then(
      () => {
        flight = undefined;
        if (used > 0 && !failed) send();
      },
      (error) => {
        failed = { error };
        flight = undefined;
      },
    );
  };
  const send = () => {
    const data = batch!.subarray(0, used);
    [batch, spare] = [spare ?? batches.pop() ?? new Uint8Array(BATCH), batch];
    used = 0;
    launch(data);
  };
  // A write straight from a part's own buffer, which the read after next reuses.
  let direct: Promise<void> | undefined;
  try {
    for await (const part of parts) {
      if (part.length >= DIRECT) {
        // A big part goes out as it is, after what came before it: no copy.
        while ((flight || used > 0) && !failed) {
          if (!flight) send();
          await flight;
        }
        if (failed) throw failed.error;
        launch(part);
        direct = flight;
        continue;
      }
      batch ??= batches.pop() ?? new Uint8Array(BATCH);
      for (let off = 0; off < part.length;) {
        if (failed) throw failed.error;
        // A full batch waits for the write in flight (back-pressure), which sends it.
        while (used === BATCH && flight) await flight;
        if (used === BATCH) send();
        const n = Math.min(part.length - off, BATCH - used);
        batch.set(part.subarray(off, off + n), used);
        used += n;
        off += n;
      }
      if (!flight && used > 0) send();
      // This part is copied; the next read reuses the buffer of a direct write before it.
      if (direct) await direct;
      direct = undefined;
    }
    while (flight || (used > 0 && !failed)) {
      if (!flight) send();
      await flight;
    }
  } finally {
    // Also when reading failed: nothing is left writing from a buffer when it goes back.
    while (flight) await flight;
    for (const b of [batch, spare]) if (b && batches.length < POOLED) batches.push(b);
  }
  if (failed) throw failed.error;
}

/**
 * Joins parts (a chunk's size line, its data and its end; an answer's head and first
 * part) into one buffer it keeps for the next join, so that they go out in one write
 * without a fresh buffer each time: 256 KiB of a scrubbed answer's chunk, allocated per
 * write, was zeroed, faulted in and collected, and cost an intercepted download a fifth.
 * What `join` returns is valid until the next join: the caller awaits each write first.
 */
export class Joiner {
  #buffer = new Uint8Array(0);

  join(parts: readonly Uint8Array[]): Uint8Array {
    if (parts.length === 1) return parts[0]!;
    let size = 0;
    for (const p of parts) size += p.length;
    if (this.#buffer.length < size) this.#buffer = new Uint8Array(size);
    let off = 0;
    for (const p of parts) {
      this.#buffer.set(p, off);
      off += p.length;
    }
    return this.#buffer.subarray(0, size);
  }
}

const HIGH_WATER = 1024 * 1024;
/** How long a finished connection may go on sending what nobody reads. */
const LINGER_MS = 5000;

/** A node socket as a Source and Sink, pausing it while unread data piles up. */
export class SocketIO implements Source, Sink {
  readonly socket: Socket;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #detached = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #onData = (chunk: Uint8Array) => {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    if (this.#queued > HIGH_WATER) this.socket.pause();
    this.#signal();
  };
  readonly #onEnd = () => {
    this.#ended = true;
    this.#signal();
  };
  readonly #onError = (error: Error) => {
    this.#error = error;
    this.#ended = true;
    this.#signal();
  };

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("close", this.#onEnd);
    socket.on("error", this.#onError);
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async read(): Promise<Uint8Array | null> {
    while (this.#queue.length === 0) {
      if (this.#ended) {
        if (this.#error) throw this.#error;
        return null;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    const chunk = this.#queue.shift()!;
    this.#queued -= chunk.length;
    if (this.#queued <= HIGH_WATER / 2 && this.socket.isPaused()) this.socket.resume();
    return chunk;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.socket.destroyed) return Promise.reject(new Error("the connection is closed"));
    // Resolved by the write's own callback, not by "drain" or by the socket taking the
    // bytes into its queue: only then are they out of `data`.
    return new Promise((resolve, reject) => {
      this.socket.write(data, (error) => error ? reject(error) : resolve());
    });
  }

  end(): void {
    this.socket.end();
  }

  /**
   * Ends the connection for good: the last answer goes out, and whatever the client still
   * sends (the rest of a body the proxy refused unread) is thrown away until it closes,
   * for `LINGER_MS` at most. Left paused with that body queued, the socket would hold it
   * until the idle timeout, ten minutes on. A socket detached for a TLS layer is that
   * layer's to finish: ended here under it, the layer's last writes (a refusal's record, its
   * close_notify) came after the end, and the client, still sending a refused body, was
   * reset before it read the refusal.
   */
  finish(): void {
    if (this.#detached) return;
    this.socket.off("data", this.#onData);
    this.#queue = [];
    this.#queued = 0;
    this.socket.on("data", () => {});
    this.socket.end();
    this.socket.resume();
    if (this.socket.destroyed) return;
    const timer = setTimeout(() => this.socket.destroy(), LINGER_MS);
    this.socket.once("close", () => clearTimeout(timer));
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Stops reading (so that something else, a TLS layer, can take the socket over) and
   * returns what was read but not consumed, in order.
   */
  detach(): Uint8Array[] {
    this.#detached = true;
    this.socket.off("data", this.#onData);
    this.socket.off("end", this.#onEnd);
    this.socket.off("close", this.#onEnd);
    this.socket.off("error", this.#onError);
    this.socket.pause();
    const rest = this.#queue;
    this.#queue = [];
    this.#queued = 0;
    return rest;
  }
}

/** The first read of a response: a small answer (most are) costs no large buffer. */
const FIRST_READ = 16 * 1024;

/** A Deno connection as a Source and Sink; its reads take turns in two buffers. */
export class ConnIO implements Source, Sink {
  readonly conn: Deno.Conn;
  #closed = false;

  readonly #readSize: number;
  #buffers: (Uint8Array | undefined)[] = [];
  #turn = 0;
  /** For each buffer, whether its last read filled it: more comes than a small one holds. */
  #filled = [false, false];

  /**
   * `readSize`: bytes asked for per read once a response proves large. Measured (`deno
   * task bench`): 64 KiB suits a TLS connection read a record at a time; a raw byte relay
   * (a plain connection, a passthrough tunnel) moves more per larger read.
   */
  constructor(conn: Deno.Conn, readSize = 64 * 1024) {
    this.conn = conn;
    this.#readSize = readSize;
  }

  async read(): Promise<Uint8Array | null> {
    // Allocated as they are first needed: small, then full-size once a read fills one (a
    // buffer is replaced only on its own turn, when what was read into it is done with).
    const turn = this.#turn;
    let buf = this.#buffers[turn];
    const grow = this.#filled[turn] || this.#filled[turn ^ 1];
    if (buf === undefined || (grow && buf.length < this.#readSize)) {
      buf = new Uint8Array(grow ? this.#readSize : Math.min(this.#readSize, FIRST_READ));
      this.#buffers[turn] = buf;
    }
    this.#turn ^= 1;
    const n = await this.conn.read(buf);
    if (n === null) return null;
    this.#filled[turn] = n === buf.length;
    return buf.subarray(0, n);
  }

  async write(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) off += await this.conn.write(data.subarray(off));
  }

  /**
   * Lets go of the buffer of the last read (a connection going idle in a pool): the chunk
   * read into it, which its consumer may still be writing on, is never read over by the
   * next request's reads, which allocate another (small, until a read fills one).
   */
  park(): void {
    // The buffer of the last read may still be written from; the other is free.
    this.#buffers[this.#turn ^ 1] = undefined;
    this.#filled = [false, false];
  }

  end(): void {
    this.conn.closeWrite().catch(() => this.destroy());
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}
