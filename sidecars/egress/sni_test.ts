import assert from "node:assert/strict";
import { helloLength, parseSni } from "./sni.ts";

/** A minimal ClientHello record with an optional SNI extension. */
function hello(sni?: string): Uint8Array {
  const name = sni ? new TextEncoder().encode(sni) : new Uint8Array();
  const ext = sni
    ? [
      0,
      0,
      0,
      name.length + 5,
      0,
      name.length + 3,
      0,
      0,
      name.length,
      ...name,
      0x00,
      0x0b,
      0,
      2,
      1,
      0,
    ]
    : [0x00, 0x0b, 0, 2, 1, 0];
  const body = [
    3,
    3,
    ...new Array(32).fill(7),
    0,
    0,
    2,
    0x13,
    0x01,
    1,
    0,
    ext.length >> 8,
    ext.length & 255,
    ...ext,
  ];
  const hs = [1, 0, body.length >> 8, body.length & 255, ...body];
  return new Uint8Array([0x16, 3, 1, hs.length >> 8, hs.length & 255, ...hs]);
}

Deno.test("parseSni() reads the server name of a ClientHello", () => {
  assert.equal(parseSni(hello("Api.Example.com")), "api.example.com");
  assert.equal(parseSni(hello()), null, "a ClientHello without SNI");
  assert.equal(parseSni(new TextEncoder().encode("SSH-2.0-OpenSSH_9.2\r\n")), undefined, "not TLS");
});

Deno.test("helloLength() says how much to read before judging", () => {
  const h = hello("a.example.com");
  assert.equal(helloLength(h.subarray(0, 3)), undefined);
  assert.equal(helloLength(h), h.length);
  assert.equal(helloLength(new TextEncoder().encode("SSH-2.0-x")), 0);
});

Deno.test("parseSni() survives truncated and garbage input", () => {
  const h = hello("a.example.com");
  for (let n = 0; n < h.length; n++) parseSni(h.subarray(0, n));
  parseSni(new Uint8Array(300).fill(0x16));
});
