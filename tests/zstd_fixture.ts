/**
 * @module
 * zstd data Deno's decoder cannot open, for tests of what is done with it.
 */

import { zstdCompressSync } from "node:zlib";

/**
 * zstd of `data` in a frame that asks for a window of 2 GiB, as `zstd --long=31` writes
 * from a pipe (Deno's decoder refuses windows past 128 MiB): the frame Deno's encoder
 * writes, its header replaced.
 */
export function wideWindowZstd(data: Uint8Array): Uint8Array {
  const z = zstdCompressSync(data);
  const descriptor = z[4]!;
  const single = (descriptor & 0x20) !== 0;
  const sizeFlag = descriptor >> 6;
  const sizeBytes = sizeFlag === 0 ? (single ? 1 : 0) : 1 << sizeFlag;
  const header = 5 + (single ? 0 : 1) + [0, 1, 2, 4][descriptor & 3]! + sizeBytes;
  // Without the checksum the old header's flag announced.
  const blocks = z.subarray(header, descriptor & 4 ? z.length - 4 : z.length);
  return new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8, ...blocks]);
}
