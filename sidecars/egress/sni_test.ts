import assert from "node:assert/strict";
import { clientHello, parseSni } from "./sni.ts";

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

/** `record`'s handshake split over records of at most `size` bytes each. */
function split(record: Uint8Array, size: number): Uint8Array {
  const body = record.subarray(5);
  const out: number[] = [];
  for (let i = 0; i < body.length; i += size) {
    const part = body.subarray(i, i + size);
    out.push(0x16, 3, 1, part.length >> 8, part.length & 255, ...part);
  }
  return new Uint8Array(out);
}

function sniOf(data: Uint8Array): string | null | undefined | "more" | "invalid" {
  const h = clientHello(data);
  return h.state === "complete" ? parseSni(h.message) : h.state;
}

Deno.test("clientHello() and parseSni() read the server name of a ClientHello", () => {
  assert.equal(sniOf(hello("Api.Example.com")), "api.example.com");
  assert.equal(sniOf(hello()), null, "a ClientHello without SNI");
  assert.equal(sniOf(new TextEncoder().encode("SSH-2.0-OpenSSH_9.2\r\n")), "invalid", "not TLS");
});

Deno.test("clientHello() reassembles a ClientHello split across TLS records", () => {
  const whole = hello("fronted.example.com");
  for (const size of [1, 3, 7, 40]) {
    const parts = split(whole, size);
    assert.equal(sniOf(parts), "fronted.example.com", `records of ${size} bytes`);
    // Until the last fragment has arrived, the verdict is "more", never a guess.
    for (let n = 0; n < parts.length - 1; n++) assert.equal(sniOf(parts.subarray(0, n)), "more");
  }
});

Deno.test("clientHello() refuses records that are not a ClientHello", () => {
  const h = hello("a.example.com");
  const alert = new Uint8Array([0x15, 3, 1, 0, 2, 2, 40]);
  assert.equal(sniOf(new Uint8Array([...split(h, 10).subarray(0, 15), ...alert])), "invalid");
  const notHello = new Uint8Array(h);
  notHello[5] = 2; // ServerHello
  assert.equal(sniOf(notHello), "invalid");
});

Deno.test("parseSni() survives truncated and garbage input", () => {
  const h = hello("a.example.com").subarray(5);
  for (let n = 0; n < h.length; n++) parseSni(h.subarray(0, n));
  parseSni(new Uint8Array(300).fill(0x16));
});
