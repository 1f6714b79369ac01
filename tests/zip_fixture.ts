/**
 * @module
 * Zip archives made by hand for the tests (no zip library needed): each file behind a
 * local header, deflated or stored, then an empty end record.
 */

import { deflateRawSync } from "node:zlib";
import { concat } from "../lib/bytes.ts";

const encoder = new TextEncoder();

/** A zip archive of `files`, each with a local header (no central directory needed here). */
export function zipOf(
  files: [string, Uint8Array][],
  options: { method?: number; flags?: number; sizes?: boolean } = {},
): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, data] of files) {
    const method = options.method ?? 8;
    const body = method === 8 ? deflateRawSync(data) : data;
    const head = new DataView(new ArrayBuffer(30));
    head.setUint32(0, 0x04034b50, true);
    head.setUint16(4, 20, true);
    head.setUint16(6, options.flags ?? 0, true);
    head.setUint16(8, method, true);
    // Streaming writers leave sizes out (flag bit 3) and put them after the data.
    if (options.sizes !== false) {
      head.setUint32(18, body.length, true);
      head.setUint32(22, data.length, true);
    }
    head.setUint16(26, name.length, true);
    parts.push(new Uint8Array(head.buffer), encoder.encode(name), body);
  }
  parts.push(encoder.encode("PK\x05\x06"), new Uint8Array(18));
  return concat(parts);
}
