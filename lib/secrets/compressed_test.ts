import assert from "node:assert/strict";
import {
  brotliCompressSync,
  constants,
  deflateRawSync,
  deflateSync,
  gzipSync,
  zstdCompressSync,
} from "node:zlib";
import {
  CompressedError,
  embeddedGzip,
  embeddedZstd,
  fileContents,
  gunzipLenient,
  MAX_LAYERS,
  openBody,
  parseCodings,
  unzstdLenient,
  zipEntries,
} from "./compressed.ts";
import { zipOf } from "../../tests/zip_fixture.ts";
import { wideWindowZstd } from "../../tests/zstd_fixture.ts";
import { concat } from "../bytes.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const cat = (...parts: Uint8Array[]) => concat(parts);
const TEXT = "the note says: secret-part ".repeat(40);
const MiB = 2 ** 20;

/** `data` as a file in a multipart upload. */
const part = (data: Uint8Array) =>
  cat(
    enc('--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n'),
    data,
    enc("\r\n--b--\r\n"),
  );

async function refused(promise: Promise<unknown>, kind: CompressedError["kind"], message: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof CompressedError, String(error));
    assert.equal(error.kind, kind);
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("Content-Encoding names the codings in the order applied; identity is none; others are refused", () => {
  assert.deepEqual(parseCodings(""), []);
  assert.deepEqual(parseCodings("identity"), []);
  assert.deepEqual(parseCodings("GZIP"), ["gzip"]);
  assert.deepEqual(parseCodings("x-gzip"), ["gzip"]);
  assert.deepEqual(parseCodings("deflate, br"), ["deflate", "br"]);
  assert.deepEqual(parseCodings("zstd"), ["zstd"]);
  for (const name of ["compress", "pack200-gzip", "made-up"]) {
    assert.throws(
      () => parseCodings(`gzip, ${name}`),
      (e: unknown) =>
        e instanceof CompressedError && e.kind === "unsupported" && e.message.includes(`"${name}"`),
    );
  }
});

Deno.test("a body is opened under each coding it declares, and under gzip it simply is", async () => {
  const plain = enc(TEXT);
  assert.deepEqual(await openBody(new Uint8Array(0), "gzip", MiB), {
    bytes: new Uint8Array(0),
    codings: [],
  });
  const same = await openBody(plain, "", MiB);
  assert.equal(same.bytes, plain, "a plain body is the body itself");
  assert.deepEqual(same.codings, []);
  const cases: [string, Uint8Array, string[]][] = [
    ["gzip", gzipSync(plain), ["gzip"]],
    ["deflate", deflateSync(plain), ["deflate"]],
    ["deflate", deflateRawSync(plain), ["deflate"]], // sent raw by some clients
    ["br", brotliCompressSync(plain), ["br"]],
    ["gzip, br", brotliCompressSync(gzipSync(plain)), ["br", "gzip"]],
    // No header: a gzip file posted as it is, and gzip inside a declared coding.
    ["", gzipSync(plain), ["gzip"]],
    ["br", brotliCompressSync(gzipSync(gzipSync(plain))), ["br", "gzip", "gzip"]],
    ["zstd", zstdCompressSync(plain), ["zstd"]],
    // A zstd file posted as it is, and one inside gzip.
    ["", zstdCompressSync(plain), ["zstd"]],
    ["gzip", gzipSync(zstdCompressSync(plain)), ["gzip", "zstd"]],
  ];
  for (const [header, body, codings] of cases) {
    const opened = await openBody(body, header, MiB);
    assert.equal(dec(opened.bytes), TEXT, header);
    assert.deepEqual(opened.codings, codings, header);
  }
  // Every member of a gzip file: a second one could hold anything.
  const two = await openBody(cat(gzipSync(enc("first ")), gzipSync(enc("second"))), "gzip", MiB);
  assert.equal(dec(two.bytes), "first second");
  // Every frame of zstd data (Deno's decoder reads the first only), skippable ones passed
  // over, and a frame with a checksum.
  const skippable = Uint8Array.of(0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3);
  const frames = cat(zstdCompressSync(enc("first ")), skippable, zstdCompressSync(enc("second")));
  assert.equal(dec((await openBody(frames, "zstd", MiB)).bytes), "first second");
  const checked = zstdCompressSync(plain, { params: { [constants.ZSTD_c_checksumFlag]: 1 } });
  assert.equal(dec((await openBody(checked, "zstd", MiB)).bytes), TEXT);
});

Deno.test("a body that cannot be opened whole is refused: cut short, followed by other bytes, too large, too deep", async () => {
  const plain = enc(TEXT);
  const gz = gzipSync(plain);
  await refused(openBody(gz.subarray(0, gz.length >> 1), "gzip", MiB), "malformed", /gzip/);
  await refused(openBody(cat(gz, enc("trailing bytes")), "gzip", MiB), "malformed", /gzip/);
  await refused(openBody(enc("not compressed at all"), "gzip", MiB), "malformed", /gzip/);
  const br = brotliCompressSync(plain);
  await refused(openBody(br.subarray(0, br.length >> 1), "br", MiB), "malformed", /br /);
  // A second brotli stream after the first: a decoder that stopped would not see it.
  await refused(openBody(cat(br, brotliCompressSync(plain)), "br", MiB), "malformed", /br /);
  await refused(openBody(enc("not compressed at all"), "deflate", MiB), "malformed", /deflate/);
  // A small body that opens to more than the limit (a bomb), under each coding.
  const bomb = new Uint8Array(4 * MiB);
  await refused(openBody(gzipSync(bomb), "gzip", MiB), "large", /more than the 1 MiB/);
  await refused(openBody(brotliCompressSync(bomb), "br", MiB), "large", /more than/);
  await refused(openBody(deflateSync(bomb), "deflate", MiB), "large", /more than/);
  await refused(openBody(gzipSync(bomb), "", MiB), "large", /more than/);
  // zstd cut short (Deno's decoder returns nothing for it, and no error), followed by
  // other bytes, with a bad checksum, needing a dictionary, or too large.
  const zst = zstdCompressSync(plain, { params: { [constants.ZSTD_c_checksumFlag]: 1 } });
  await refused(openBody(zst.subarray(0, zst.length - 6), "zstd", MiB), "malformed", /zstd/);
  await refused(openBody(zst.subarray(0, zst.length - 2), "", MiB), "malformed", /zstd/);
  await refused(openBody(cat(zst, enc("trailing bytes")), "zstd", MiB), "malformed", /zstd/);
  const corrupt = new Uint8Array(zst);
  corrupt[corrupt.length - 1]! ^= 0xff;
  await refused(openBody(corrupt, "zstd", MiB), "malformed", /zstd/);
  await refused(openBody(enc("not compressed at all"), "zstd", MiB), "malformed", /zstd/);
  const withDictionary = new Uint8Array(zst);
  withDictionary[4]! |= 1; // a dictionary ID byte, which the frame's first block becomes
  await refused(openBody(withDictionary, "zstd", MiB), "unsupported", /dictionary/);
  await refused(openBody(zstdCompressSync(bomb), "zstd", MiB), "large", /more than/);
  await refused(openBody(gzipSync(zstdCompressSync(bomb)), "gzip", MiB), "large", /more than/);
  // Nesting past the bound.
  let deep: Uint8Array = plain;
  for (let i = 0; i <= MAX_LAYERS; i++) deep = gzipSync(deep);
  await refused(openBody(deep, "", MiB), "unsupported", /times over/);
  await refused(
    openBody(plain, Array(MAX_LAYERS + 1).fill("gzip").join(","), MiB),
    "unsupported",
    /times over/,
  );
});

Deno.test("gzip found in a text is read as a reader would: cut short, with bytes after it, bounded", () => {
  const gz = gzipSync(enc(TEXT));
  assert.equal(dec(gunzipLenient(gz, MiB) as Uint8Array), TEXT);
  const cut = gunzipLenient(gz.subarray(0, gz.length - 12), MiB) as Uint8Array;
  assert.ok(cut.length > 0 && TEXT.startsWith(dec(cut)), "what there is of data cut short");
  assert.equal(dec(gunzipLenient(cat(gz, enc("garbage!")), MiB) as Uint8Array), TEXT);
  // Header fields (a file name) before the data.
  const named = cat(
    gz.subarray(0, 3),
    Uint8Array.of(gz[3]! | 8),
    gz.subarray(4, 10),
    enc("f.txt\0"),
    gz.subarray(10),
    enc("x"),
  );
  assert.equal(dec(gunzipLenient(named, MiB) as Uint8Array), TEXT);
  assert.equal(gunzipLenient(gzipSync(new Uint8Array(2 * MiB)), MiB), "large");
  assert.equal(gunzipLenient(gzipSync(new Uint8Array(2 * MiB)), 0), "large");
  assert.equal(gunzipLenient(enc("plain text"), MiB), undefined);
  assert.equal(
    gunzipLenient(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff), MiB),
    undefined,
  );
});

Deno.test("gzip streams inside a body (a file in a multipart upload) are opened; bytes that only look like one are passed over", () => {
  const opened = embeddedGzip(part(gzipSync(enc(TEXT))), MiB);
  assert.deepEqual(opened.map(dec), [TEXT]);
  // Two files, and the magic bytes in data that is not gzip.
  const two = embeddedGzip(
    cat(
      part(gzipSync(enc("first"))),
      Uint8Array.of(0x1f, 0x8b, 8, 0, 1, 2),
      part(gzipSync(enc("second"))),
    ),
    MiB,
  );
  assert.deepEqual(two.map(dec), ["first", "second"]);
  // At its very start it is the body's own coding, opened by openBody.
  assert.deepEqual(embeddedGzip(gzipSync(enc(TEXT)), MiB), []);
  assert.throws(
    () => embeddedGzip(part(gzipSync(new Uint8Array(2 * MiB))), MiB),
    (e: unknown) => e instanceof CompressedError && e.kind === "large",
  );
  const many = cat(...Array.from({ length: 70 }, () => part(gzipSync(enc("x")))));
  assert.throws(() => embeddedGzip(many, MiB), /more than 64 gzip streams/);
});

Deno.test("zstd inside a body or a file is opened as a reader sees it: every frame, a frame cut short up to its last whole block", () => {
  // Two files of two frames each, and the magic bytes in data that is not zstd.
  const two = embeddedZstd(
    cat(
      part(cat(zstdCompressSync(enc("first ")), zstdCompressSync(enc("file")))),
      Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0, 1, 2),
      part(zstdCompressSync(enc("second"))),
    ),
    MiB,
  );
  assert.deepEqual(two.map(dec), ["first file", "second"]);
  // At its very start it is the body's own coding, opened by openBody.
  assert.deepEqual(embeddedZstd(zstdCompressSync(enc(TEXT)), MiB), []);
  assert.throws(
    () => embeddedZstd(part(zstdCompressSync(new Uint8Array(2 * MiB))), MiB),
    (e: unknown) => e instanceof CompressedError && e.kind === "large",
  );
  // Cut short: what a reader streaming it gets, its whole blocks (of 128 KiB each).
  const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i}: ${(i * 7919) % 10007}`);
  const long = enc(lines.join("\n"));
  const zst = zstdCompressSync(long);
  const cut = unzstdLenient(zst.subarray(0, zst.length - 10), 4 * MiB);
  assert.ok(cut instanceof Uint8Array && cut.length >= 128 * 1024, String(cut));
  assert.equal(dec(cut), dec(long.subarray(0, cut.length)));
  assert.equal(dec(unzstdLenient(cat(zst, enc("other bytes")), 4 * MiB) as Uint8Array), dec(long));
  assert.equal(unzstdLenient(zst.subarray(0, 20), MiB), undefined);
  assert.equal(unzstdLenient(gzipSync(long), MiB), undefined);
  // One that cannot be opened here (a window of 2 GiB): not known what it holds, unless it
  // was found by its signature inside other bytes, not at a part's start (random data holds
  // those four bytes now and then), where it is passed over, as is one that needs a
  // dictionary.
  const wide = wideWindowZstd(long);
  assert.throws(() => unzstdLenient(wide, 4 * MiB), /cannot be opened here/);
  assert.throws(() => fileContents(wide, 4 * MiB), /cannot be opened here/);
  const withDictionary = new Uint8Array(zstdCompressSync(enc("x")));
  withDictionary[4]! |= 1;
  assert.throws(() => unzstdLenient(withDictionary, MiB), /dictionary/);
  assert.deepEqual(embeddedZstd(cat(enc("x"), wide, enc("y"), withDictionary), 4 * MiB), []);
  // Where a part of a multipart upload starts, it is a file: one that cannot be opened is.
  assert.throws(() => embeddedZstd(part(wide), 4 * MiB), /cannot be opened here/);
  assert.throws(() => embeddedZstd(part(withDictionary), 4 * MiB), /dictionary/);
  // A zstd file pushed to the gate, or carried in with --cwd.
  const file = fileContents(zst, 4 * MiB);
  assert.equal(file?.coding, "zstd");
  assert.deepEqual(file?.contents.map(dec), [dec(long)]);
});

Deno.test("the entries of a zip archive in a body are opened: deflated, with sizes left out, among other bytes", () => {
  const a = enc(`first file: ${TEXT}`);
  const b = enc("second file");
  assert.deepEqual(zipEntries(zipOf([["a.txt", a], ["b.txt", b]]), MiB).map(dec), [dec(a), dec(b)]);
  assert.deepEqual(
    zipEntries(zipOf([["a.txt", a]], { flags: 8, sizes: false }), MiB).map(dec),
    [dec(a)],
  );
  assert.deepEqual(
    zipEntries(cat(enc("--b\r\n\r\n"), zipOf([["a.txt", a]]), enc("\r\n--b--")), MiB).map(dec),
    [dec(a)],
  );
  // Stored entries are scanned where they are; encrypted ones are opaque like any cipher text.
  assert.deepEqual(zipEntries(zipOf([["a.txt", a]], { method: 0 }), MiB), []);
  assert.deepEqual(zipEntries(zipOf([["a.txt", a]], { flags: 1 }), MiB), []);
  assert.deepEqual(zipEntries(enc("no archive here, PK\x03 almost"), MiB), []);
  // What cannot be opened, or opens to too much, is refused.
  assert.throws(
    () => zipEntries(zipOf([["a.bz2", a]], { method: 12 }), MiB),
    (e: unknown) =>
      e instanceof CompressedError && e.kind === "unsupported" && /method 12/.test(e.message),
  );
  assert.throws(
    () => zipEntries(zipOf([["z", new Uint8Array(2 * MiB)]]), MiB),
    (e: unknown) => e instanceof CompressedError && e.kind === "large",
  );
  const many = zipOf(
    Array.from({ length: 1025 }, (_, i) => [`f${i}`, enc("x")] as [string, Uint8Array]),
  );
  assert.throws(() => zipEntries(many, 64 * MiB), /more than 1024 zip entries/);
});
