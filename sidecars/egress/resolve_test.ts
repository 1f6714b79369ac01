import assert from "node:assert/strict";
import { resolveTarget } from "./resolve.ts";

const fixed = (map: Record<string, string[]>) => (host: string) =>
  map[host] ? Promise.resolve(map[host]!) : Promise.reject(new Error("NXDOMAIN"));

Deno.test("resolveTarget() connects to the checked address of a public name", async () => {
  assert.deepEqual(
    await resolveTarget("api.example.com", [], fixed({ "api.example.com": ["203.0.113.7"] })),
    {
      address: "203.0.113.7",
    },
  );
});

for (
  const [what, address] of [
    ["loopback", "127.0.0.1"],
    ["private 10/8", "10.1.2.3"],
    ["private 172.16/12", "172.18.0.5"],
    ["private 192.168/16", "192.168.1.1"],
    ["cloud metadata", "169.254.169.254"],
    ["carrier-grade NAT", "100.64.0.1"],
    ["this network", "0.0.0.0"],
  ] as [string, string][]
) {
  Deno.test(`resolveTarget() refuses a name that resolves to ${what}`, async () => {
    const r = await resolveTarget(
      "rebind.example.com",
      [],
      fixed({ "rebind.example.com": ["203.0.113.7", address] }),
    );
    assert.deepEqual(r, {
      refused:
        `"rebind.example.com" resolves to ${address}, a private or local address this bottle does not allow`,
    });
  });
}

Deno.test("resolveTarget() allows a private address inside an allowed range", async () => {
  const r = await resolveTarget(
    "internal.example.com",
    ["172.18.0.0/16"],
    fixed({ "internal.example.com": ["172.18.0.5"] }),
  );
  assert.deepEqual(r, { address: "172.18.0.5" });
  assert.deepEqual(await resolveTarget("10.0.0.5", ["10.0.0.0/24"], fixed({})), {
    address: "10.0.0.5",
  });
});

Deno.test("resolveTarget() reports a name that does not resolve", async () => {
  const r = await resolveTarget("nowhere.example.com", [], fixed({}));
  assert.ok("unreachable" in r && /does not resolve: NXDOMAIN/.test(r.unreachable));
  const none = await resolveTarget("empty.example.com", [], fixed({ "empty.example.com": [] }));
  assert.deepEqual(none, { unreachable: '"empty.example.com" has no IPv4 address' });
});

Deno.test("resolveTarget() holds an allowed or approved IP literal to the same ranges", async () => {
  const none = () => Promise.reject(new Error("no lookup for literals"));
  const metadata = await resolveTarget("169.254.169.254", [], none);
  assert.match("refused" in metadata ? metadata.refused : "", /link-local or metadata address/);
  assert.ok("refused" in await resolveTarget("172.17.0.1", [], none), "the docker gateway");
  assert.deepEqual(await resolveTarget("172.17.0.1", ["172.17.0.0/16"], none), {
    address: "172.17.0.1",
  });
  assert.deepEqual(await resolveTarget("203.0.113.9", [], none), { address: "203.0.113.9" });
});
