import assert from "node:assert/strict";
import { type HostPattern, parseHostPattern, patternMatches } from "./hosts.ts";

const valid: [string, Partial<HostPattern>][] = [
  ["api.anthropic.com", { kind: "exact", host: "api.anthropic.com" }],
  ["*.npmjs.org", { kind: "wildcard", host: "npmjs.org" }],
  ["10.0.0.5", { kind: "ipv4", host: "10.0.0.5" }],
  ["example.com:8443", { kind: "exact", host: "example.com", port: 8443 }],
  ["xn--bcher-kva.example", { kind: "exact", host: "xn--bcher-kva.example" }],
];
for (const [source, expected] of valid) {
  Deno.test(`parseHostPattern() accepts "${source}"`, () => {
    const parsed = parseHostPattern(source);
    assert.equal(typeof parsed, "object", String(parsed));
    assert.partialDeepStrictEqual(parsed, expected);
  });
}

const invalid: [string, RegExp][] = [
  ["API.example.com", /lower case/],
  ["https://a.com", /not a URL/],
  ["localhost", /not a valid host name/],
  ["*.com", /two labels/],
  ["a.*.com", /whole first label/],
  ["*", /whole first label|two labels/],
  ["a.com:0", /bad port/],
  ["a.com:http", /bad port/],
  ["-a.com", /not a valid host name/],
  ["a..com", /not a valid host name/],
  ["1.2.3.999", /not a valid host name/],
  ["", /not a valid host name/],
];
for (const [source, reason] of invalid) {
  Deno.test(`parseHostPattern() refuses "${source}"`, () => {
    const parsed = parseHostPattern(source);
    assert.equal(typeof parsed, "string");
    assert.match(parsed as string, reason);
  });
}

Deno.test("patternMatches() matches subdomains of a wildcard, not the domain itself", () => {
  const p = parseHostPattern("*.example.com") as HostPattern;
  assert.ok(patternMatches(p, "a.example.com", 443));
  assert.ok(patternMatches(p, "a.b.example.com", 443));
  assert.ok(!patternMatches(p, "example.com", 443));
  assert.ok(!patternMatches(p, "badexample.com", 443));
  assert.ok(!patternMatches(p, "a.example.com.evil.net", 443));
});

Deno.test("patternMatches() allows 80 and 443 unless a port is given", () => {
  const plain = parseHostPattern("a.com") as HostPattern;
  assert.ok(patternMatches(plain, "a.com", 443) && patternMatches(plain, "a.com", 80));
  assert.ok(!patternMatches(plain, "a.com", 22));
  const ported = parseHostPattern("a.com:8443") as HostPattern;
  assert.ok(patternMatches(ported, "a.com", 8443) && !patternMatches(ported, "a.com", 443));
  assert.ok(
    patternMatches(plain, "A.COM.", 443),
    "case and a trailing dot are folded when matching",
  );
});
