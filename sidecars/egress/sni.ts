/**
 * @module
 * Reading the server name (SNI) from a TLS ClientHello, so the proxy can refuse a
 * tunnel whose TLS names another host than its CONNECT authority (domain fronting).
 * The ClientHello is reassembled from as many TLS records as it was split into; a
 * tunnel whose hello is missing, malformed or has no server name is refused.
 */

import { concat } from "../../lib/bytes.ts";

/** The longest ClientHello reassembled (post-quantum key shares run to a few KiB). */
export const MAX_HELLO = 64 * 1024;

/** What the bytes so far say about the client's first handshake message. */
export type Hello =
  | { state: "more" }
  | { state: "invalid"; reason: string }
  | { state: "complete"; message: Uint8Array };

/** Reassembles the ClientHello handshake message from the records in `data`. */
export function clientHello(data: Uint8Array): Hello {
  if (data.length > 0 && data[0] !== 0x16) return { state: "invalid", reason: "not TLS" };
  const fragments: Uint8Array[] = [];
  let have = 0;
  for (let p = 0; p + 5 <= data.length;) {
    if (data[p] !== 0x16) {
      return { state: "invalid", reason: "a non-handshake record inside the ClientHello" };
    }
    const len = (data[p + 3]! << 8) | data[p + 4]!;
    if (len === 0 || len > 16384 + 256) return { state: "invalid", reason: "a bad record length" };
    if (p + 5 + len > data.length) break;
    fragments.push(data.subarray(p + 5, p + 5 + len));
    have += len;
    p += 5 + len;
    if (have >= 4) {
      const joined = concat(fragments);
      if (joined[0] !== 0x01) {
        return { state: "invalid", reason: "the first message is not a ClientHello" };
      }
      const need = 4 + ((joined[1]! << 16) | (joined[2]! << 8) | joined[3]!);
      if (need > MAX_HELLO) return { state: "invalid", reason: "the ClientHello is too large" };
      if (have >= need) return { state: "complete", message: joined.subarray(0, need) };
    }
  }
  if (data.length > MAX_HELLO + 5 * 64) {
    return { state: "invalid", reason: "the ClientHello is too large" };
  }
  return { state: "more" };
}

/**
 * The server name of a complete ClientHello message (lower case, no trailing dot),
 * `null` when it names none, `undefined` when the message is malformed.
 */
export function parseSni(message: Uint8Array): string | null | undefined {
  const end = message.length;
  let p = 4 + 2 + 32; // handshake header, client_version, random
  const need = (n: number) => p + n <= end;
  if (!need(1)) return undefined;
  p += 1 + message[p]!; // session id
  if (!need(2)) return undefined;
  p += 2 + ((message[p]! << 8) | message[p + 1]!); // cipher suites
  if (!need(1)) return undefined;
  p += 1 + message[p]!; // compression methods
  if (p === end) return null; // no extensions
  if (!need(2)) return undefined;
  const extEnd = p + 2 + ((message[p]! << 8) | message[p + 1]!);
  if (extEnd > end) return undefined;
  p += 2;
  while (p + 4 <= extEnd) {
    const type = (message[p]! << 8) | message[p + 1]!;
    const len = (message[p + 2]! << 8) | message[p + 3]!;
    p += 4;
    if (p + len > extEnd) return undefined;
    if (type === 0) {
      // server_name_list: a list of (type, name); the host name has type 0.
      let q = p + 2;
      const listEnd = p + Math.min(len, 2 + ((message[p]! << 8) | message[p + 1]!));
      while (q + 3 <= listEnd) {
        const nameType = message[q]!;
        const nameLen = (message[q + 1]! << 8) | message[q + 2]!;
        if (q + 3 + nameLen > listEnd) return undefined;
        if (nameType === 0) {
          return new TextDecoder().decode(message.subarray(q + 3, q + 3 + nameLen)).toLowerCase()
            .replace(/\.$/, "");
        }
        q += 3 + nameLen;
      }
      return undefined;
    }
    p += len;
  }
  return null;
}
