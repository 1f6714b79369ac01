import assert from "node:assert/strict";
import { type Probe, registryVerdict } from "./registry.ts";

const files: Record<string, string> = { "/corp.crt": "CORP", "/other.pem": "OTHER" };
const read = (p: string) =>
  files[p] ? Promise.resolve(files[p]!) : Promise.reject(new Error("missing"));
const locals = () => Promise.resolve(["/other.pem", "/corp.crt"]);

Deno.test("registryVerdict(): a TLS-intercepting network names the CA file that fixes it", async () => {
  // deno-lint-ignore require-await
  const probe: Probe = async (_url, ca) => (ca === "CORP" ? "ok" : "tls");
  const v = await registryVerdict({}, probe, read, locals);
  assert.equal(v.ok, false);
  assert.match(v.detail, /not trusted: this network intercepts TLS/);
  assert.equal(
    v.fix,
    "Build with that network's CA: export BOT_BOTTLE_BUILD_CA=/corp.crt (or bot-bottle build --ca-cert /corp.crt)",
  );
});

Deno.test("registryVerdict(): fine with the configured CA; unreachable is said plainly", async () => {
  // deno-lint-ignore require-await
  const ok: Probe = async (_url, ca) => (ca === "CORP" ? "ok" : "tls");
  const v = await registryVerdict({ BOT_BOTTLE_BUILD_CA: "/corp.crt" }, ok, read, locals);
  assert.deepEqual(v, {
    ok: true,
    detail: "registry.npmjs.org answers (trusting /corp.crt, from BOT_BOTTLE_BUILD_CA)",
  });
  // deno-lint-ignore require-await
  const down: Probe = async () => "unreachable";
  assert.match((await registryVerdict({}, down, read, locals)).detail, /cannot be reached/);
  // deno-lint-ignore require-await
  const never: Probe = async () => "tls";
  assert.match((await registryVerdict({}, never, read, locals)).fix!, /--ca-cert FILE/);
});
