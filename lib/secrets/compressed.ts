/**
 * @module
 * Compressed data, opened for scanning: a request body sent with a `Content-Encoding`
 * (or one that is simply a gzip file), gzip streams and zip archives inside a body or a
 * file (a multipart upload, a `.zip` pushed), and base64 of gzip or zlib inside a text.
 * Compression is the easiest re-encoding there is (`gzip | base64`, `curl -H
 * 'Content-Encoding: gzip'`, `curl -F f=@x.zip`), so what cannot be opened whole is not
 * let through: a coding the decoders here do not read strictly (zstd: Deno's decoder
 * stops after the first frame and says nothing of the rest), a stream cut short or
 * followed by other bytes, or more than the limit once opened (a small body can open to
 * gigabytes). No dependencies beyond `node:zlib`, so the bundle carries it as it is.
 * Base64 of a zlib stream (`base64.b64encode(zlib.compress(...))`) is opened as well.
 */

import { constants, gunzipSync, inflateRawSync, inflateSync } from "node:zlib";

/** The content codings opened here. */
export type Coding = "gzip" | "deflate" | "br";

/** Why compressed data could not be opened for scanning. */
export class CompressedError extends Error {
  constructor(
    message: string,
    readonly kind: "unsupported" | "malformed" | "large",
  ) {
    super(message);
    this.name = "CompressedError";
  }
}

/** The rule compressed data that cannot be opened to check is reported under. */
export const UNCHECKED_RULE = "unchecked-compressed";

/** Codings inside codings, at most: deeper nesting is refused. */
export const MAX_LAYERS = 4;

const GZIP_MAGIC = [0x1f, 0x8b, 0x08];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/**
 * The codings a `Content-Encoding` header lists, in the order they were applied;
 * `identity` dropped. Throws for one this module cannot open.
 */
export function parseCodings(header: string): Coding[] {
  const out: Coding[] = [];
  for (const raw of header.split(",")) {
    const name = raw.trim().toLowerCase();
    if (name === "" || name === "identity") continue;
    if (name === "gzip" || name === "x-gzip") out.push("gzip");
    else if (name === "deflate") out.push("deflate");
    else if (name === "br") out.push("br");
    else {
      throw new CompressedError(
        `its body is in "${name.slice(0, 40)}" encoding, which the proxy cannot open to check`,
        "unsupported",
      );
    }
  }
  return out;
}

/** gzip, strictly: every member (a second one may hold anything), nothing after them. */
function gunzip(bytes: Uint8Array, limit: number): Uint8Array {
  try {
    return gunzipSync(bytes, { maxOutputLength: limit });
  } catch (error) {
    if (error instanceof RangeError) throw tooLarge("gzip", limit);
    throw new CompressedError(
      "its gzip data is cut short or malformed, so the proxy cannot check it",
      "malformed",
    );
  }
}

function tooLarge(coding: string, limit: number): CompressedError {
  return new CompressedError(
    `its ${coding} data opens to more than the ${
      Math.round(limit / 2 ** 20)
    } MiB the proxy can check`,
    "large",
  );
}

/**
 * A stream format opened by the web decoder, which fails on data cut short and on bytes
 * after the end (checked for each: a decoder that stopped at the end of the first stream
 * would let a second one through unseen).
 */
async function streamed(
  bytes: Uint8Array,
  format: "deflate" | "deflate-raw" | "brotli",
  limit: number,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = ReadableStream.from([bytes]).pipeThrough(
    new DecompressionStream(format as CompressionFormat) as unknown as TransformStream<
      Uint8Array,
      Uint8Array
    >,
  ).getReader();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(format === "brotli" ? "br" : "deflate", limit);
      }
      parts.push(value);
    }
  } catch (error) {
    if (error instanceof CompressedError) throw error;
    throw new CompressedError(
      `its ${
        format === "brotli" ? "br" : "deflate"
      } data is cut short or malformed, so the proxy cannot check it`,
      "malformed",
    );
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function open(bytes: Uint8Array, coding: Coding, limit: number): Promise<Uint8Array> {
  if (coding === "gzip") return gunzip(bytes, limit);
  if (coding === "br") return await streamed(bytes, "brotli", limit);
  // HTTP's deflate is zlib-wrapped; some clients send it raw.
  try {
    return await streamed(bytes, "deflate", limit);
  } catch (error) {
    if ((error as CompressedError).kind === "large") throw error;
    return await streamed(bytes, "deflate-raw", limit);
  }
}

/**
 * What a request body holds under its content codings (`contentEncoding`, the header's
 * value) and under gzip it simply is, opened layer by layer, at most `limit` bytes.
 * `codings` lists what was undone, outermost first; empty (and `bytes` the body itself)
 * for a body that is not compressed. Throws `CompressedError` when the body cannot be
 * opened whole.
 */
export async function openBody(
  bytes: Uint8Array,
  contentEncoding: string,
  limit: number,
): Promise<{ bytes: Uint8Array; codings: Coding[] }> {
  const declared = parseCodings(contentEncoding);
  // An empty body holds nothing, whatever its header says.
  if (bytes.length === 0) return { bytes, codings: [] };
  if (declared.length > MAX_LAYERS) {
    throw new CompressedError(
      `its body is encoded ${declared.length} times over, more than the proxy opens`,
      "unsupported",
    );
  }
  const codings: Coding[] = [];
  let out = bytes;
  for (const coding of declared.toReversed()) {
    out = await open(out, coding, limit);
    codings.push(coding);
  }
  // A gzip file sent as it is (`--data-binary @x.gz`), or gzip inside the declared coding.
  while (startsWith(out, GZIP_MAGIC)) {
    if (codings.length >= MAX_LAYERS) {
      throw new CompressedError(
        `its body is compressed more than ${MAX_LAYERS} times over, more than the proxy opens`,
        "unsupported",
      );
    }
    out = gunzip(out, limit);
    codings.push("gzip");
  }
  if (startsWith(out, ZSTD_MAGIC)) {
    throw new CompressedError(
      "its body is zstd-compressed, which the proxy cannot open to check",
      "unsupported",
    );
  }
  return { bytes: out, codings };
}

/** Where the deflate data of a gzip member starts: after its header's optional fields. */
function gzipHeaderLength(bytes: Uint8Array): number {
  const flags = bytes[3] ?? 0;
  let at = 10;
  if (flags & 4) at += 2 + ((bytes[10] ?? 0) | ((bytes[11] ?? 0) << 8)); // FEXTRA
  for (const flag of [8, 16]) { // FNAME, FCOMMENT: text ending in NUL
    if (flags & flag) {
      while (at < bytes.length && bytes[at] !== 0) at++;
      at++;
    }
  }
  if (flags & 2) at += 2; // FHCRC
  return at;
}

/**
 * What a reader of gzip data `bytes` found inside a text sees of it, for scanning: every
 * member, or as much as there is of data cut short, or the first member when other bytes
 * follow it (as `gzip -d` shows it). "large" when it opens to more than `limit` bytes;
 * undefined when it is not gzip or nothing can be read from it.
 */
export function gunzipLenient(bytes: Uint8Array, limit: number): Uint8Array | "large" | undefined {
  if (!startsWith(bytes, GZIP_MAGIC)) return undefined;
  const options = { maxOutputLength: Math.max(1, limit), finishFlush: constants.Z_SYNC_FLUSH };
  try {
    return gunzipSync(bytes, options);
  } catch (error) {
    if (error instanceof RangeError) return "large";
  }
  try {
    return inflateRawSync(bytes.subarray(gzipHeaderLength(bytes)), options);
  } catch (error) {
    return error instanceof RangeError ? "large" : undefined;
  }
}

/**
 * As `gunzipLenient`, for a zlib stream (what `zlib.compress` makes, and deflate as HTTP
 * names it): its two header bytes must say deflate and check out, and name no preset
 * dictionary.
 */
export function inflateLenient(bytes: Uint8Array, limit: number): Uint8Array | "large" | undefined {
  const [cmf = 0, flg = 0] = bytes;
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || (cmf * 256 + flg) % 31 !== 0 || flg & 0x20) {
    return undefined;
  }
  try {
    return inflateSync(bytes, {
      maxOutputLength: Math.max(1, limit),
      finishFlush: constants.Z_SYNC_FLUSH,
    });
  } catch (error) {
    return error instanceof RangeError ? "large" : undefined;
  }
}

/** gzip streams looked for inside one body, at most (each a candidate to open). */
const MAX_EMBEDDED = 64;

/**
 * The gzip streams inside `bytes` past its first byte (a `.gz` file in a multipart upload,
 * `curl -F file=@x.gz`), each opened as a reader sees it (see `gunzipLenient`). Bytes that
 * only look like the start of gzip data open to nothing and are passed over. Throws
 * `CompressedError` when together they open to more than `limit` bytes, or there are
 * more than `MAX_EMBEDDED` of them.
 */
export function embeddedGzip(bytes: Uint8Array, limit: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = limit;
  let tried = 0;
  for (let at = bytes.indexOf(0x1f, 1); at !== -1; at = bytes.indexOf(0x1f, at + 1)) {
    // The magic, deflate, and no reserved flag bits set.
    if (bytes[at + 1] !== 0x8b || bytes[at + 2] !== 0x08 || (bytes[at + 3] ?? 0xff) & 0xe0) {
      continue;
    }
    if (++tried > MAX_EMBEDDED) {
      throw new CompressedError(
        `its body holds more than ${MAX_EMBEDDED} gzip streams, more than the proxy opens`,
        "large",
      );
    }
    const opened = gunzipLenient(bytes.subarray(at), left);
    if (opened === "large") throw tooLarge("gzip", limit);
    if (!opened || opened.length === 0) continue;
    out.push(opened);
    left -= opened.length;
  }
  return out;
}

/** Entries of zip archives opened in one body, at most. */
const MAX_ZIP_ENTRIES = 1024;

/**
 * The contents of the entries of each zip archive inside `bytes` (a `.zip` posted as it
 * is, or in a multipart upload), found by their local headers: stored entries as they
 * are, deflated ones inflated (up to the end of their deflate data, so that a size
 * left out of the header, as streaming writers do, does not matter). Encrypted entries
 * are passed over: no more can be read of them than of any encrypted data. Throws
 * `CompressedError` for an entry in another compression method (bzip2, LZMA, zstd), when
 * together they open to more than `limit` bytes, or past `MAX_ZIP_ENTRIES` entries.
 */
export function zipEntries(bytes: Uint8Array, limit: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = limit;
  let entries = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (
    let at = bytes.indexOf(0x50);
    at !== -1 && at + 30 <= bytes.length;
    at = bytes.indexOf(0x50, at + 1)
  ) {
    if (view.getUint32(at, true) !== 0x04034b50) continue; // "PK\x03\x04"
    if (++entries > MAX_ZIP_ENTRIES) {
      throw new CompressedError(
        `its body holds more than ${MAX_ZIP_ENTRIES} zip entries, more than the proxy opens`,
        "large",
      );
    }
    const flags = view.getUint16(at + 6, true);
    const method = view.getUint16(at + 8, true);
    const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
    if (flags & 1 || start > bytes.length) continue;
    if (method === 0) continue; // stored: scanned where it is
    if (method !== 8) {
      throw new CompressedError(
        `its zip data uses compression method ${method}, which the proxy cannot open to check`,
        "unsupported",
      );
    }
    let opened: Uint8Array;
    try {
      opened = inflateRawSync(bytes.subarray(start), {
        maxOutputLength: Math.max(1, left),
        finishFlush: constants.Z_SYNC_FLUSH,
      });
    } catch (error) {
      if (error instanceof RangeError) throw tooLarge("zip", limit);
      continue; // not deflate data after all: nothing a reader gets out of it either
    }
    if (opened.length === 0) continue;
    out.push(opened);
    left -= opened.length;
  }
  return out;
}

/**
 * What a file holds when it is compressed: a gzip file as a reader sees it, or the
 * entries of a zip archive; undefined for any other file. Throws `CompressedError` when
 * it opens to more than `limit` bytes, or is a zip archive that cannot be opened.
 */
export function fileContents(
  bytes: Uint8Array,
  limit: number,
): { coding: "gzip" | "zip"; contents: Uint8Array[] } | undefined {
  const gz = gunzipLenient(bytes, limit);
  if (gz === "large") throw tooLarge("gzip", limit);
  if (gz) return { coding: "gzip", contents: [gz] };
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) return undefined; // "PK"
  return { coding: "zip", contents: zipEntries(bytes, limit) };
}
