/**
 * @module
 * Reading an HTTP/1.1 request head off a raw connection, for the proxy's front. Bytes
 * read past the head are returned so that nothing the client sent is lost.
 */

/** A parsed request head. */
export interface RequestHead {
  method: string;
  target: string;
  version: string;
  /** Header lines in order, names as sent. */
  headers: [string, string][];
  /** Bytes that arrived after the head. */
  rest: Uint8Array;
}

const MAX_HEAD = 64 * 1024;
const decoder = new TextDecoder();

function indexOfHeadEnd(buf: Uint8Array, from: number): number {
  for (let i = Math.max(0, from - 3); i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/**
 * Reads one request head. Returns undefined when the client closed before sending one;
 * throws on a head that is too large or malformed (the caller answers 400).
 */
export async function readRequestHead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<RequestHead | undefined> {
  let buf: Uint8Array = new Uint8Array(0);
  let end = -1;
  while (end === -1) {
    const { value, done } = await reader.read();
    if (done) {
      if (buf.length === 0) return undefined;
      throw new Error("connection closed inside the request head");
    }
    const next = new Uint8Array(buf.length + value.length);
    next.set(buf);
    next.set(value, buf.length);
    const searchFrom = buf.length;
    buf = next;
    end = indexOfHeadEnd(buf, searchFrom);
    if (end === -1 && buf.length > MAX_HEAD) throw new Error("request head too large");
  }
  const lines = decoder.decode(buf.subarray(0, end)).split("\r\n");
  const requestLine = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0] ?? "");
  if (!requestLine) throw new Error("malformed request line");
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error("malformed header line");
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return {
    method: requestLine[1]!,
    target: requestLine[2]!,
    version: requestLine[3]!,
    headers,
    rest: buf.slice(end + 4),
  };
}

/** Splits `host:port` (IPv6 in brackets) into parts; undefined when malformed. */
export function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]\s]+):(\d{1,5})$/.exec(authority);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1]!.toLowerCase().replace(/\.$/, ""), port };
}
