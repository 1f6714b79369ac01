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

/** Something read chunk by chunk; null at the end. A chunk is valid until the read after next. */
export interface Source {
  read(): Promise<Uint8Array | null>;
}

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

export { concat };

/** Index of `needle` in `hay` from `from`, or -1. */
export function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0];
  outer: for (let i = hay.indexOf(first!, from); i !== -1; i = hay.indexOf(first!, i + 1)) {
    if (i + needle.length > hay.length) return -1;
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The chunks of `source` until its end. */
export async function* chunks(source: Source): AsyncGenerator<Uint8Array> {
  for (;;) {
    const data = await source.read();
    if (data === null) return;
    yield data;
  }
}

/** Batch buffers relays share: a fresh one costs page faults on every response. */
const BATCH = 64 * 1024;
const batches: Uint8Array[] = [];

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
      if (part.length >= BATCH / 2) {
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
    for (const b of [batch, spare]) if (b && batches.length < 64) batches.push(b);
  }
  if (failed) throw failed.error;
}

const HIGH_WATER = 1024 * 1024;

/** A node socket as a Source and Sink, pausing it while unread data piles up. */
export class SocketIO implements Source, Sink {
  readonly socket: Socket;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
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

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Stops reading (so that something else, a TLS layer, can take the socket over) and
   * returns what was read but not consumed, in order.
   */
  detach(): Uint8Array[] {
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

/** A Deno connection as a Source and Sink; its reads take turns in two buffers. */
export class ConnIO implements Source, Sink {
  readonly conn: Deno.Conn;
  #closed = false;

  readonly #readSize: number;
  #buffers: Uint8Array[] = [];
  #turn = 0;

  /**
   * `readSize`: bytes asked for per read. Measured (`deno task bench`): 64 KiB suits a
   * TLS connection read a record at a time; a raw byte relay (a passthrough tunnel)
   * moves more per larger read.
   */
  constructor(conn: Deno.Conn, readSize = 64 * 1024) {
    this.conn = conn;
    this.#readSize = readSize;
  }

  async read(): Promise<Uint8Array | null> {
    // Allocated on the first read: a pooled connection that is never read holds none.
    if (this.#buffers.length === 0) {
      this.#buffers = [new Uint8Array(this.#readSize), new Uint8Array(this.#readSize)];
    }
    const buf = this.#buffers[this.#turn]!;
    this.#turn ^= 1;
    const n = await this.conn.read(buf);
    return n === null ? null : buf.subarray(0, n);
  }

  async write(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) off += await this.conn.write(data.subarray(off));
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

/** Pulls from a Source with a pending buffer, so parsers take exactly what they need. */
export class Buffered {
  readonly source: Source;
  #pending: Uint8Array = new Uint8Array(0);
  #eof = false;

  constructor(source: Source, initial?: Uint8Array) {
    this.source = source;
    if (initial) this.#pending = initial;
  }

  /** Bytes read but not yet taken. */
  get pending(): Uint8Array {
    return this.#pending;
  }

  /** Reads one more chunk into the buffer; false at the end of the source. */
  async fill(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = await this.source.read();
    if (chunk === null) {
      this.#eof = true;
      return false;
    }
    this.#pending = this.#pending.length === 0 ? chunk : concat([this.#pending, chunk]);
    return true;
  }

  /**
   * Takes bytes up to and including `delimiter`; undefined when the source ends first
   * (with nothing pending), throws past `max` bytes or on an end inside.
   */
  async until(delimiter: Uint8Array, max: number): Promise<Uint8Array | undefined> {
    let searched = 0;
    for (;;) {
      const at = indexOf(this.#pending, delimiter, Math.max(0, searched - delimiter.length));
      if (at !== -1) return this.take(at + delimiter.length);
      searched = this.#pending.length;
      if (searched > max) throw new Error("too long");
      if (!(await this.fill())) {
        if (this.#pending.length === 0) return undefined;
        throw new Error("the connection ended in the middle of a message");
      }
    }
  }

  /** Takes `n` bytes from the buffer (which must hold them). */
  take(n: number): Uint8Array {
    const out = this.#pending.subarray(0, n);
    this.#pending = this.#pending.subarray(n);
    return out;
  }

  /** Takes up to `max` bytes, reading once if the buffer is empty; null at the end. */
  async some(max: number): Promise<Uint8Array | null> {
    if (this.#pending.length === 0 && !(await this.fill())) return null;
    return this.take(Math.min(max, this.#pending.length));
  }

  /** Takes what is buffered (for handing the stream to something else). */
  drain(): Uint8Array {
    return this.take(this.#pending.length);
  }
}
