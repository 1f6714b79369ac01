/**
 * @module
 * Reading a stream of bytes by what a parser needs: a line, a length, what is there.
 * Shared by the proxy (HTTP/1.1 on sockets) and the git gate (git's batch output).
 */

import { concat } from "./bytes.ts";

/** Something read chunk by chunk; null at the end. A chunk is valid until the read after next. */
export interface Source {
  read(): Promise<Uint8Array | null>;
}

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
