import assert from "node:assert/strict";
import { asGuestUser, denialEntry, versionSupported } from "./smolvm.ts";

Deno.test("asGuestUser() drops agent commands to node with no way back; root runs as is", () => {
  assert.deepEqual(asGuestUser("root", ["update-ca-certificates"]), ["update-ca-certificates"]);
  assert.deepEqual(asGuestUser("agent", ["claude", "-p", "hi"]), [
    "setpriv",
    "--reuid=1000",
    "--regid=1000",
    "--clear-groups",
    "--no-new-privs",
    "--",
    "claude",
    "-p",
    "hi",
  ]);
});

Deno.test("versionSupported() accepts 1.9.0 and later only", () => {
  for (const v of ["1.9.0", "1.9.2", "v1.10.0", "2.0.0-rc1", "1.9"]) {
    assert.ok(versionSupported(v), v);
  }
  for (const v of ["1.8.9", "0.8.0", "1.0.2"]) assert.ok(!versionSupported(v), v);
});

Deno.test("denialEntry() turns a VM policy denial into an audit line", () => {
  assert.deepEqual(
    JSON.parse(denialEntry({ timestamp: "t", operation: "connect", dest: "10.0.0.1:22" })),
    {
      ts: "t",
      kind: "vm",
      action: "deny",
      dest: "10.0.0.1:22",
      operation: "connect",
      source: "smolvm egress policy",
    },
  );
});
