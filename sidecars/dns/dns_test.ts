import assert from "node:assert/strict";
import { describeName, refuse } from "./dns.ts";

function query(name: string, id = 0x1234): Uint8Array {
  const labels = name.split(".").flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  return new Uint8Array([
    id >> 8,
    id & 0xff,
    0x01,
    0x00,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    ...labels,
    0,
    0,
    1,
    0,
    1,
  ]);
}

Deno.test("refuse() answers a query REFUSED with its id and question and no records", () => {
  const q = query("secret-data.evil.example.com");
  const r = refuse(q)!;
  assert.equal(r.length, q.length);
  assert.deepEqual([...r.subarray(0, 2)], [0x12, 0x34]);
  assert.equal(r[2]! & 0x80, 0x80, "QR set");
  assert.equal(r[2]! & 0x01, 0x01, "RD copied");
  assert.equal(r[3]! & 0x0f, 5, "RCODE REFUSED");
  assert.deepEqual([...r.subarray(4, 12)], [0, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...r.subarray(12)], [...q.subarray(12)]);
});

Deno.test("refuse() ignores responses and runts", () => {
  const response = query("a.example.com");
  response[2] = 0x81;
  assert.equal(refuse(response), undefined);
  assert.equal(refuse(new Uint8Array(5)), undefined);
});

Deno.test("describeName() keeps the label count and the last two labels only", () => {
  assert.equal(describeName(query("c2VjcmV0.x.exfil.example.com")), "5 labels, *.example.com");
});
