import assert from "node:assert/strict";
import { gateUrl, parseUpstream, renderGitconfig, upstreamSpellings } from "./upstream.ts";

Deno.test("parseUpstream() reads scp-style and ssh:// upstreams", () => {
  assert.deepEqual(parseUpstream("git@github.com:me/p.git"), {
    user: "git",
    host: "github.com",
    port: 22,
    path: "me/p.git",
  });
  assert.deepEqual(parseUpstream("ssh://git@h.example:2222/team/p"), {
    user: "git",
    host: "h.example",
    port: 2222,
    path: "team/p",
  });
  assert.equal(parseUpstream("https://github.com/me/p.git"), undefined);
  assert.equal(parseUpstream("/local/path"), undefined);
});

Deno.test("renderGitconfig() rewrites every spelling of an upstream to the gate by IP", () => {
  const text = renderGitconfig([{
    upstream: "git@github.com:me/p.git",
    gateUrl: gateUrl("10.1.1.2", 9418, "p"),
  }]);
  assert.match(text, /\[url "git:\/\/10\.1\.1\.2:9418\/p\.git"\]/);
  for (const spelling of upstreamSpellings("git@github.com:me/p.git")) {
    assert.ok(text.includes(`\tinsteadOf = ${spelling}\n`), spelling);
  }
  assert.ok(text.includes("insteadOf = ssh://git@github.com/me/p\n"));
});

Deno.test("upstreamSpellings() keeps a non-default port in every spelling", () => {
  assert.deepEqual(upstreamSpellings("ssh://git@h.example:2222/p"), [
    "ssh://git@h.example:2222/p.git",
    "ssh://git@h.example:2222/p",
  ]);
});
