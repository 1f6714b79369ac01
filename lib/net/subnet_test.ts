import assert from "node:assert/strict";
import { formatCidr, hostAt, overlaps, parseCidr, pickSubnet } from "./subnet.ts";

Deno.test("parseCidr() normalises the base address and rejects junk", () => {
  assert.equal(formatCidr(parseCidr("10.1.2.3/24")), "10.1.2.0/24");
  assert.equal(formatCidr(parseCidr("0.0.0.0/0")), "0.0.0.0/0");
  for (const bad of ["10.1.2/24", "10.1.2.300/24", "10.1.2.3/33", "fe80::1/64", ""]) {
    assert.throws(() => parseCidr(bad), /not an IPv4 CIDR/);
  }
});

Deno.test("overlaps() is true only for shared addresses", () => {
  assert.ok(overlaps(parseCidr("10.0.0.0/8"), parseCidr("10.5.0.0/16")));
  assert.ok(!overlaps(parseCidr("10.0.0.0/28"), parseCidr("10.0.0.16/28")));
  assert.ok(overlaps(parseCidr("10.0.0.0/28"), parseCidr("10.0.0.15/32")));
});

Deno.test("pickSubnet() is stable for a name and skips blocks in use", () => {
  const first = pickSubnet("10.213.0.0/16", 28, "demo-abc", [])!;
  assert.deepEqual(pickSubnet("10.213.0.0/16", 28, "demo-abc", ["not-a-cidr", "fd00::/8"]), first);
  const next = pickSubnet("10.213.0.0/16", 28, "demo-abc", [formatCidr(first)])!;
  assert.notDeepEqual(next, first);
  assert.ok(!overlaps(next, first));
  assert.equal(hostAt(first, 2).split(".").length, 4);
});

Deno.test("pickSubnet() returns undefined when the pool is full", () => {
  assert.equal(pickSubnet("10.9.0.0/27", 28, "x", ["10.9.0.0/28", "10.9.0.16/28"]), undefined);
  assert.ok(pickSubnet("10.9.0.0/27", 28, "x", ["10.9.0.0/28"]));
});
