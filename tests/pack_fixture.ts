/**
 * @module
 * Git packs made by hand for the tests: objects zlib-compressed behind their headers,
 * deltas by offset or by object id, and the trailing checksum, as `git index-pack` reads
 * them (the tests check that it does).
 */

import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { concat } from "../lib/bytes.ts";

const encode = (s: string) => new TextEncoder().encode(s);

/** A pack written by hand: objects as `[type, bytes]`, deltas as `[6, [back, delta]]` or `[7, [id, delta]]`. */
export function packOf(
  objects: [number, Uint8Array | [number | string, Uint8Array]][],
): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(12);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x5041434b);
  view.setUint32(4, 2);
  view.setUint32(8, objects.length);
  parts.push(header);
  let offset = 12;
  const offsets: number[] = [];
  for (const [type, body] of objects) {
    offsets.push(offset);
    const data = body instanceof Uint8Array ? body : body[1];
    const head: number[] = [];
    let size = data.length;
    let byte = (type << 4) | (size & 15);
    size = Math.floor(size / 16);
    while (size > 0) {
      head.push(byte | 0x80);
      byte = size & 0x7f;
      size = Math.floor(size / 128);
    }
    head.push(byte);
    if (type === 6) {
      // The offset back to the base, as git writes it.
      let back = offset - offsets[(body as [number, Uint8Array])[0]]!;
      const bytes = [back & 0x7f];
      while ((back = Math.floor(back / 128)) > 0) bytes.unshift(((--back) & 0x7f) | 0x80);
      head.push(...bytes);
    } else if (type === 7) {
      const id = (body as [string, Uint8Array])[0];
      head.push(...id.match(/../g)!.map((h) => parseInt(h, 16)));
    }
    const piece = concat([new Uint8Array(head), deflateSync(data)]);
    parts.push(piece);
    offset += piece.length;
  }
  const pack = concat(parts);
  return concat([pack, createHash("sha1").update(pack).digest()]);
}

/** A delta turning a base of `baseLength` bytes into its first `copy` bytes then `insert`. */
export function delta(baseLength: number, copy: number, insert: string): Uint8Array {
  const size = (n: number) => {
    const out: number[] = [];
    do {
      out.push((n & 0x7f) | (n >= 128 ? 0x80 : 0));
      n >>= 7;
    } while (n > 0);
    return out;
  };
  const added = encode(insert);
  return new Uint8Array([
    ...size(baseLength),
    ...size(copy + added.length),
    0x90, // copy from offset 0, one size byte
    copy,
    added.length,
    ...added,
  ]);
}
