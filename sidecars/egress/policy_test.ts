import assert from "node:assert/strict";
import { LiveAllowlist, Policy } from "./policy.ts";

const policy = new Policy(
  ["registry.npmjs.org", "*.example.com", "api.other.dev:8443"],
  ["api.anthropic.com"],
  ["pinned.example.net"],
);

Deno.test("Policy intercepts route hosts on 443 and refuses them on other ports", () => {
  assert.deepEqual(policy.decide("api.anthropic.com", 443), { action: "intercept" });
  assert.deepEqual(policy.decide("API.Anthropic.com.", 443), { action: "intercept" });
  const denied = policy.decide("api.anthropic.com", 80);
  assert.equal(denied.action, "deny");
});

Deno.test("Policy intercepts (scans) allowlisted hosts on their ports only", () => {
  assert.deepEqual(policy.decide("registry.npmjs.org", 443), { action: "intercept" });
  assert.deepEqual(policy.decide("a.example.com", 80), { action: "intercept" });
  assert.deepEqual(policy.decide("api.other.dev", 8443), { action: "intercept" });
  assert.equal(policy.decide("api.other.dev", 443).action, "deny");
  assert.equal(policy.decide("registry.npmjs.org", 22).action, "deny");
});

Deno.test("Policy tunnels passthrough hosts unscanned", () => {
  assert.deepEqual(policy.decide("pinned.example.net", 443), { action: "tunnel" });
  assert.equal(policy.decide("pinned.example.net", 22).action, "deny");
});

Deno.test("Policy denies everything else with a reason naming host and port", () => {
  const d = policy.decide("example.com", 443);
  assert.deepEqual(d, {
    action: "deny",
    reason: `"example.com:443" is not in this bottle's egress allowlist`,
  });
  assert.equal(policy.decide("evil.example.com.attacker.net", 443).action, "deny");
  assert.equal(policy.decide("127.0.0.1", 443).action, "deny");
});

Deno.test("LiveAllowlist allows an approved host at once and leaves earlier policies untouched", () => {
  const live = new LiveAllowlist(["a.example.com"], ["api.anthropic.com"]);
  const before = live.current();
  assert.equal(before.decide("docs.example.org", 443).action, "deny");
  assert.equal(live.add("docs.example.org"), true);
  assert.equal(live.current().decide("docs.example.org", 443).action, "intercept");
  assert.equal(
    live.current().decide("api.anthropic.com", 443).action,
    "intercept",
    "routes survive a reload",
  );
  assert.equal(
    before.decide("docs.example.org", 443).action,
    "deny",
    "a policy object never changes",
  );
  assert.equal(live.add("docs.example.org"), false);
});
