import assert from "node:assert/strict";
import { parseAuthority, readRequestHead } from "./http_head.ts";

function reader(...chunks: string[]): ReadableStreamDefaultReader<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => encoder.encode(c))).getReader();
}

Deno.test("readRequestHead() parses a CONNECT split over chunks and keeps the bytes after it", async () => {
  const head = await readRequestHead(
    reader("CONNECT api.x.com:443 HTTP/1.1\r\nHo", "st: api.x.com:443\r\n\r\n\x16\x03\x01"),
  );
  assert.equal(head?.method, "CONNECT");
  assert.equal(head?.target, "api.x.com:443");
  assert.deepEqual(head?.headers, [["Host", "api.x.com:443"]]);
  assert.deepEqual([...head!.rest], [0x16, 0x03, 0x01]);
});

Deno.test("readRequestHead() returns undefined on an empty connection and throws on junk", async () => {
  assert.equal(await readRequestHead(reader()), undefined);
  await assert.rejects(() => readRequestHead(reader("HELLO\r\n\r\n")), /malformed request line/);
  await assert.rejects(
    () => readRequestHead(reader("GET / HTTP/1.1\r\nno-colon\r\n\r\n")),
    /malformed header/,
  );
  await assert.rejects(
    () => readRequestHead(reader("GET / HTTP/1.1\r\n")),
    /closed inside the request head/,
  );
  await assert.rejects(
    () => readRequestHead(reader("GET / HTTP/1.1\r\nX: " + "a".repeat(70_000))),
    /too large/,
  );
});

Deno.test("parseAuthority() accepts host:port only", () => {
  assert.deepEqual(parseAuthority("Api.X.com.:443"), { host: "api.x.com", port: 443 });
  assert.deepEqual(parseAuthority("[::1]:8080"), { host: "[::1]", port: 8080 });
  for (
    const bad of ["api.x.com", "api.x.com:0", "api.x.com:99999", "a b:1", ":443", "http://a:1"]
  ) {
    assert.equal(parseAuthority(bad), undefined, bad);
  }
});
