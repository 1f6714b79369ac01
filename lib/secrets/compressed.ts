/**
 * @module
 * Compressed data, opened for scanning: a request body sent with a `Content-Encoding`
 * (or one that is simply a gzip or zstd file), gzip and zstd streams and zip archives
 * inside a body or a file (a multipart upload, a `.zip` pushed), and base64 of gzip,
 * zlib or zstd inside a text. Compression is the easiest re-encoding there is (`gzip |
 * base64`, `curl -H 'Content-Encoding: gzip'`, `curl -F f=@x.zip`), so what cannot be
 * opened whole is not let through: a coding not read here, a stream cut short or followed
 * by other bytes, or more than the limit once opened (a small body can open to
 * gigabytes). No dependencies beyond `node:zlib`, so the bundle carries it as it is.
 * Deno's zstd decoder reads the first of several frames only and returns nothing for one
 * cut short, so zstd frames are found here by their headers and given to it one at a
 * time.
 */

import { concat } from "../bytes.ts";
import { constants, gunzipSync, inflateRawSync, inflateSync, zstdDecompressSync } from "node:zlib";

/** The content codings opened here. */
export type Coding = "gzip" | "deflate" | "br" | "zstd";

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
    else if (name === "zstd") out.push("zstd");
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
  if (coding === "zstd") return unzstd(bytes, limit);
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
  // A gzip or zstd file sent as it is (`--data-binary @x.gz`), or one inside the declared
  // coding.
  for (;;) {
    const coding = startsWith(out, GZIP_MAGIC)
      ? "gzip"
      : startsWith(out, ZSTD_MAGIC)
      ? "zstd"
      : undefined;
    if (coding === undefined) break;
    if (codings.length >= MAX_LAYERS) {
      throw new CompressedError(
        `its body is compressed more than ${MAX_LAYERS} times over, more than the proxy opens`,
        "unsupported",
      );
    }
    out = coding === "gzip" ? gunzip(out, limit) : unzstd(out, limit);
    codings.push(coding);
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

/** One zstd frame as its header and block headers lay it out (RFC 8878, 3.1.1). */
interface ZstdFrame {
  start: number;
  /** Where its blocks start; past the last whole one; the header of the last whole one. */
  blocks: number;
  blocksEnd: number;
  lastBlock: number;
  /** Past the frame, its checksum too; undefined when it is cut short. */
  end: number | undefined;
  /** Its window descriptor; undefined for a single-segment frame. */
  window: number | undefined;
  /** The size of its content, when its header says. */
  size: number | undefined;
  /** Whether it needs a dictionary (one not at hand: its content cannot be read). */
  dictionary: boolean;
  /** Whether a block of it holds anything (a frame of empty blocks opens to nothing). */
  content: boolean;
}

const ZSTD_FRAME = 0xfd2fb528;

/**
 * The zstd frame at `at`; `{ skip }` past a skippable frame (which decoders pass over);
 * undefined when no frame starts there or one holds a reserved block type.
 */
function zstdFrame(bytes: Uint8Array, at: number): ZstdFrame | { skip: number } | undefined {
  if (at + 4 > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(at, true);
  if ((magic & 0xfffffff0) === 0x184d2a50) {
    return at + 8 <= bytes.length ? { skip: at + 8 + view.getUint32(at + 4, true) } : undefined;
  }
  if (magic !== ZSTD_FRAME || at + 5 > bytes.length) return undefined;
  const descriptor = bytes[at + 4]!;
  if (descriptor & 0x08) return undefined; // the reserved bit
  const single = (descriptor & 0x20) !== 0;
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 3]!;
  const sizeFlag = descriptor >> 6;
  const sizeBytes = sizeFlag === 0 ? (single ? 1 : 0) : 1 << sizeFlag;
  let p = at + 5;
  const window = single ? undefined : bytes[p++];
  if (p + dictionaryBytes + sizeBytes > bytes.length) return undefined;
  let dictionary = false;
  for (let i = 0; i < dictionaryBytes; i++) if (bytes[p + i] !== 0) dictionary = true;
  p += dictionaryBytes;
  let size: number | undefined;
  if (sizeBytes > 0) {
    size = 0;
    for (let i = sizeBytes - 1; i >= 0; i--) size = size * 256 + bytes[p + i]!;
    if (sizeBytes === 2) size += 256;
  }
  p += sizeBytes;
  const frame: ZstdFrame = {
    start: at,
    blocks: p,
    blocksEnd: p,
    lastBlock: -1,
    end: undefined,
    window,
    size,
    dictionary,
    content: false,
  };
  for (;;) {
    if (p + 3 > bytes.length) return frame;
    const header = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16);
    const type = (header >> 1) & 3;
    if (type === 3) return undefined;
    // A run-length block holds one byte, repeated as often as its size says.
    const length = type === 1 ? 1 : header >>> 3;
    if (p + 3 + length > bytes.length) return frame;
    if (header >>> 3 > 0) frame.content = true;
    frame.lastBlock = p;
    p += 3 + length;
    frame.blocksEnd = p;
    if (header & 1) break;
  }
  if (descriptor & 0x04) p += 4; // the checksum
  if (p <= bytes.length) frame.end = p;
  return frame;
}

/**
 * What a frame holds: a whole one as Deno's decoder opens it, one cut short as a reader
 * streaming it gets it (its whole blocks, given to the decoder as a frame of their own).
 * Throws a RangeError past `limit` bytes.
 */
function zstdContent(bytes: Uint8Array, frame: ZstdFrame, limit: number): Uint8Array {
  const options = { maxOutputLength: Math.max(1, limit) };
  if (frame.end !== undefined) {
    return zstdDecompressSync(bytes.subarray(frame.start, frame.end), options);
  }
  if (frame.lastBlock < 0) return new Uint8Array(0);
  // No content size, no checksum; the frame's own window, or one as large as its content.
  let window = frame.window;
  if (window === undefined) {
    let exponent = 0;
    while (exponent < 17 && 2 ** (10 + exponent) < (frame.size ?? 0)) exponent++;
    window = exponent << 3;
  }
  // A copy (a node Buffer's `slice()` would be a view, and the original changed below).
  const blocks = new Uint8Array(bytes.subarray(frame.blocks, frame.blocksEnd));
  blocks[frame.lastBlock - frame.blocks]! |= 1;
  return zstdDecompressSync(
    concat([Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0, window), blocks]),
    options,
  );
}

/** zstd data that needs a dictionary: no reader without it can say what it holds. */
function needsDictionary(): CompressedError {
  return new CompressedError(
    "its zstd data needs a dictionary, so the proxy cannot check it",
    "unsupported",
  );
}

/**
 * zstd, strictly: every frame whole (skippable ones passed over), nothing after them,
 * each opening to the size its header declares (Deno's decoder returns nothing, and no
 * error, for a frame it cannot read).
 */
export function unzstd(bytes: Uint8Array, limit: number): Uint8Array {
  const malformed = new CompressedError(
    "its zstd data is cut short or malformed, so the proxy cannot check it",
    "malformed",
  );
  const parts: Uint8Array[] = [];
  let left = limit;
  for (let at = 0; at < bytes.length;) {
    const frame = zstdFrame(bytes, at);
    if (frame === undefined) throw malformed;
    if ("skip" in frame) {
      if (frame.skip > bytes.length) throw malformed;
      at = frame.skip;
      continue;
    }
    if (frame.dictionary) throw needsDictionary();
    if (frame.end === undefined) throw malformed;
    let opened: Uint8Array;
    try {
      opened = zstdContent(bytes, frame, left);
    } catch (error) {
      if (error instanceof RangeError) throw tooLarge("zstd", limit);
      throw malformed;
    }
    if (
      (frame.size !== undefined && opened.length !== frame.size) ||
      (opened.length === 0 && frame.content)
    ) {
      throw malformed;
    }
    parts.push(opened);
    left -= opened.length;
    at = frame.end;
  }
  return concat(parts);
}

/**
 * What a reader of zstd data `bytes` (a file, or a run of base64, that starts with it)
 * sees of it, for scanning (as `gunzipLenient` for gzip): its frames up to what does not
 * read as one, a frame cut short up to its last whole block. "large" past `limit` bytes;
 * undefined when it is not zstd or nothing can be read from it. Throws `CompressedError`
 * for a frame that needs a dictionary, or that Deno's decoder cannot open (`zstd
 * --long=31` asks for a window of 2 GiB): what it holds is not known.
 */
export function unzstdLenient(bytes: Uint8Array, limit: number): Uint8Array | "large" | undefined {
  return unzstdRead(bytes, limit, true).opened;
}

/**
 * As `unzstdLenient`, and where what was read of `bytes` ends. `known`: whether `bytes`
 * are known to be zstd (they start a file or a run), or were found by its four signature
 * bytes inside other data, which random bytes hold now and then: such a frame that needs
 * a dictionary or cannot be opened is passed over, not taken for zstd that hides something.
 */
function unzstdRead(
  bytes: Uint8Array,
  limit: number,
  known: boolean,
): { opened: Uint8Array | "large" | undefined; end: number } {
  if (!startsWith(bytes, ZSTD_MAGIC)) return { opened: undefined, end: 0 };
  const parts: Uint8Array[] = [];
  let left = limit;
  let at = 0;
  while (at < bytes.length) {
    const frame = zstdFrame(bytes, at);
    if (frame === undefined) break;
    if ("skip" in frame) {
      at = Math.min(frame.skip, bytes.length);
      continue;
    }
    if (frame.dictionary) {
      if (known) throw needsDictionary();
      break;
    }
    let opened: Uint8Array | undefined;
    try {
      opened = zstdContent(bytes, frame, left);
    } catch (error) {
      if (error instanceof RangeError) return { opened: "large", end: at };
    }
    if (opened === undefined || (opened.length === 0 && frame.content)) {
      if (known && frame.lastBlock >= 0) {
        throw new CompressedError(
          "its zstd data cannot be opened here (a window larger than 128 MiB, or damaged), so the proxy cannot check it",
          "unsupported",
        );
      }
      break;
    }
    parts.push(opened);
    left -= opened.length;
    if (frame.end === undefined) {
      at = frame.blocksEnd;
      break;
    }
    at = frame.end;
  }
  const out = concat(parts);
  return { opened: out.length > 0 ? out : undefined, end: at };
}

/** Streams of one kind looked for inside one body, at most (each a candidate to open). */
const MAX_EMBEDDED = 64;

/**
 * The streams of one kind inside `bytes` past its first byte, found by the first byte
 * of their signature and `signed` (the rest of it), each opened as a reader sees it.
 * Bytes that only look like the start of one open to nothing and are passed over.
 */
function embedded(
  bytes: Uint8Array,
  limit: number,
  name: string,
  first: number,
  signed: (at: number) => boolean,
  open: (
    bytes: Uint8Array,
    limit: number,
    at: number,
  ) => { opened: Uint8Array | "large" | undefined; end?: number },
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = limit;
  let tried = 0;
  for (let at = bytes.indexOf(first, 1); at !== -1; at = bytes.indexOf(first, at + 1)) {
    if (!signed(at)) continue;
    if (++tried > MAX_EMBEDDED) {
      throw new CompressedError(
        `its body holds more than ${MAX_EMBEDDED} ${name} streams, more than the proxy opens`,
        "large",
      );
    }
    const { opened, end } = open(bytes.subarray(at), left, at);
    if (opened === "large") throw tooLarge(name, limit);
    if (!opened || opened.length === 0) continue;
    out.push(opened);
    left -= opened.length;
    // Past what was read, when the opener says (a second frame is not a stream of its own).
    if (end !== undefined && end > 1) at += end - 1;
  }
  return out;
}

/**
 * The gzip streams inside `bytes` past its first byte (a `.gz` file in a multipart upload,
 * `curl -F file=@x.gz`), each opened as a reader sees it (see `gunzipLenient`). Bytes that
 * only look like the start of gzip data open to nothing and are passed over. Throws
 * `CompressedError` when together they open to more than `limit` bytes, or there are
 * more than `MAX_EMBEDDED` of them.
 */
export function embeddedGzip(bytes: Uint8Array, limit: number): Uint8Array[] {
  // The magic, deflate, and no reserved flag bits set.
  const signed = (at: number) =>
    bytes[at + 1] === 0x8b && bytes[at + 2] === 0x08 && ((bytes[at + 3] ?? 0xff) & 0xe0) === 0;
  return embedded(bytes, limit, "gzip", 0x1f, signed, (b, l) => ({ opened: gunzipLenient(b, l) }));
}

/**
 * As `embeddedGzip`, for zstd data (a `.zst` file in a multipart upload), each opened as
 * `unzstdLenient` opens it. Where the data starts a part of a multipart body (after the
 * blank line that ends the part's headers), one that needs a dictionary or cannot be
 * opened is a `CompressedError`; anywhere else it is passed over: four bytes of random
 * data are its signature now and then.
 */
export function embeddedZstd(bytes: Uint8Array, limit: number): Uint8Array[] {
  const signed = (at: number) =>
    bytes[at + 1] === 0xb5 && bytes[at + 2] === 0x2f && bytes[at + 3] === 0xfd;
  const startsPart = (at: number) =>
    at >= 4 && bytes[at - 4] === 13 && bytes[at - 3] === 10 && bytes[at - 2] === 13 &&
    bytes[at - 1] === 10;
  return embedded(
    bytes,
    limit,
    "zstd",
    0x28,
    signed,
    (b, l, at) => unzstdRead(b, l, startsPart(at)),
  );
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
 * What a file holds when it is compressed: a gzip or zstd file as a reader sees it, or
 * the entries of a zip archive; undefined for any other file. Throws `CompressedError` when
 * it opens to more than `limit` bytes, is a zip archive that cannot be opened, or is zstd
 * that needs a dictionary.
 */
export function fileContents(
  bytes: Uint8Array,
  limit: number,
): { coding: "gzip" | "zstd" | "zip"; contents: Uint8Array[] } | undefined {
  const gz = gunzipLenient(bytes, limit);
  if (gz === "large") throw tooLarge("gzip", limit);
  if (gz) return { coding: "gzip", contents: [gz] };
  const zst = unzstdLenient(bytes, limit);
  if (zst === "large") throw tooLarge("zstd", limit);
  if (zst) return { coding: "zstd", contents: [zst] };
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) return undefined; // "PK"
  return { coding: "zip", contents: zipEntries(bytes, limit) };
}
