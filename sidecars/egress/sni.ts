/**
 * @module
 * Reading the server name (SNI) from a TLS ClientHello, so the proxy can refuse a
 * tunnel whose TLS names another host than its CONNECT authority (domain fronting).
 */

/** Bytes needed before a verdict: the whole first TLS record (capped). */
export function helloLength(data: Uint8Array): number | undefined {
  if (data.length < 5) return undefined;
  if (data[0] !== 0x16) return 0; // not a TLS handshake: nothing to read
  return Math.min(5 + ((data[3]! << 8) | data[4]!), 5 + 16384);
}

/**
 * The SNI host name of a ClientHello record, lower case; `null` when the record is a
 * ClientHello without SNI, `undefined` when it is not a ClientHello at all.
 */
export function parseSni(data: Uint8Array): string | null | undefined {
  if (data.length < 9 || data[0] !== 0x16 || data[5] !== 0x01) return undefined;
  let p = 9 + 2 + 32; // handshake header, client_version, random
  const need = (n: number) => p + n <= data.length;
  if (!need(1)) return undefined;
  p += 1 + data[p]!; // session id
  if (!need(2)) return undefined;
  p += 2 + ((data[p]! << 8) | data[p + 1]!); // cipher suites
  if (!need(1)) return undefined;
  p += 1 + data[p]!; // compression methods
  if (!need(2)) return null; // no extensions
  const end = Math.min(data.length, p + 2 + ((data[p]! << 8) | data[p + 1]!));
  p += 2;
  while (p + 4 <= end) {
    const type = (data[p]! << 8) | data[p + 1]!;
    const len = (data[p + 2]! << 8) | data[p + 3]!;
    p += 4;
    if (type === 0 && p + 5 <= end) {
      const nameLen = (data[p + 3]! << 8) | data[p + 4]!;
      if (data[p + 2] === 0 && p + 5 + nameLen <= end) {
        return new TextDecoder().decode(data.subarray(p + 5, p + 5 + nameLen)).toLowerCase()
          .replace(/\.$/, "");
      }
    }
    p += len;
  }
  return null;
}
