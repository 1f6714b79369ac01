/**
 * Logging in the way people do, with the real Claude Code in a real bottle: a Pro/Max
 * subscription token from `claude setup-token` (sent as `Authorization: Bearer`), an API
 * key kept in a host variable of any name, and routes whose headers are written around
 * host variables (a Bearer template, Basic auth). Each fake upstream refuses a request
 * without the exact real credential, and the credential is nowhere in the agent.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runBotBottle, tempDir } from "../helpers.ts";
import { dockerTest } from "./docker.ts";
import { agentExec, assertNowhereInGuest } from "./guest.ts";
import { claudeManifest, startUpstream, upstreamEnv } from "./upstream.ts";

const REPLY = "PONG through the login route";
const OAUTH = `sk-ant-oat01-${crypto.randomUUID()}${crypto.randomUUID()}`.replaceAll("-", "x");
const KEY = `sk-ant-api03-${crypto.randomUUID()}-login-test`;
const GH = `ghp_${crypto.randomUUID().replaceAll("-", "")}`;
const GIT_TOKEN = `glpat-${crypto.randomUUID().replaceAll("-", "")}`;

dockerTest(
  "claude logs in with a subscription token, a key under any name, and templated headers",
  async (t) => {
    await using upstream = await startUpstream(
      ["api.anthropic.com", "api.github.com", "git.fake.test", "noroute.fake.test"],
      REPLY,
      {
        expect: {
          "api.anthropic.com": { authorization: `Bearer ${OAUTH}` },
          "api.github.com": { authorization: `Bearer ${GH}` },
          "git.fake.test": { authorization: `Basic ${btoa(`x-access-token:${GIT_TOKEN}`)}` },
          "noroute.fake.test": { authorization: `Bearer ${GH}` },
        },
      },
    );
    await using dir = await tempDir();
    await Deno.writeTextFile(
      join(dir.path, "bot-bottle.yaml"),
      `
bottles:
  dev:
    egress:
      allow: [noroute.fake.test]
      allow_private: ["${upstream.subnet}"]
      routes:
        - host: api.anthropic.com
          headers:
            authorization: "Bearer \${CLAUDE_CODE_OAUTH_TOKEN}"
        - host: api.github.com
          headers:
            authorization: "Bearer \${GH_TOKEN}"
        - host: git.fake.test
          headers:
            authorization: { basic: { user: x-access-token, password_env: GIT_TOKEN } }
agents:
  claude:
    bottle: dev
`,
    );
    const env = {
      CLAUDE_CODE_OAUTH_TOKEN: OAUTH,
      ANTHROPIC_API_KEY: "",
      GH_TOKEN: GH,
      GIT_TOKEN,
      ...(await upstreamEnv(upstream)),
    };
    const up = await runBotBottle(["up", "claude"], { cwd: dir.path, env });
    assert.equal(up.code, 0, up.stderr);
    const name = up.stdout.trim();
    try {
      await t.step(
        "the subscription token reaches the API as Bearer; claude is logged in with a placeholder",
        async () => {
          const status = await agentExec(name, "1000:1000", "claude auth status");
          assert.match(status.stdout, /"loggedIn": true/, status.stdout + status.stderr);
          assert.match(status.stdout, /"authMethod": "oauth_token"/);
          const r = await agentExec(name, "1000:1000", "cd ~ && claude -p 'Say hello'");
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, new RegExp(REPLY));
          const calls = (await upstream.received()).filter((e) =>
            String(e.path).startsWith("/v1/messages")
          );
          assert.ok(calls.length > 0, "claude called the API");
          assert.ok(
            calls.every((e) => e.authorization === `Bearer ${OAUTH}` && e.xApiKey === null),
          );
          const placeholder = await agentExec(
            name,
            "1000:1000",
            "printenv CLAUDE_CODE_OAUTH_TOKEN ANTHROPIC_API_KEY; echo end",
          );
          assert.equal(placeholder.stdout, "sk-ant-oat01-bot-bottle-placeholder\nend\n");
        },
      );

      await t.step(
        "a Bearer template route and a Basic-auth route each carry the real token",
        async () => {
          for (const host of ["api.github.com", "git.fake.test"]) {
            const r = await agentExec(
              name,
              "1000:1000",
              `curl -sS -w ' %{http_code}' https://${host}/whoami`,
            );
            assert.match(r.stdout, /"ok":true.* 200$/, `${host}: ${r.stdout} ${r.stderr}`);
          }
          // The agent's own Authorization header is replaced on a route...
          const replaced = await agentExec(
            name,
            "1000:1000",
            "curl -sS -o /dev/null -w '%{http_code}' -H 'authorization: Bearer wrong' https://api.github.com/whoami",
          );
          assert.equal(replaced.stdout, "200");
          // ...and a fake that expects a token refuses a request without it: the checks are real.
          const refused = await agentExec(
            name,
            "1000:1000",
            "curl -sS -o /dev/null -w '%{http_code}' -H 'authorization: Bearer wrong' https://noroute.fake.test/whoami",
          );
          assert.equal(refused.stdout, "401");
        },
      );

      await t.step(
        "no token is anywhere in the agent, and none goes out to another host",
        async () => {
          for (
            const [secret, what] of [[OAUTH, "the OAuth token"], [GH, "the GitHub token"], [
              GIT_TOKEN,
              "the git token",
            ]]
          ) {
            await assertNowhereInGuest(name, secret!, what!);
          }
          const logs = await runBotBottle(["logs", name, "--format", "json"], { env });
          for (const secret of [OAUTH, GH, GIT_TOKEN]) assert.ok(!logs.stdout.includes(secret));
        },
      );
    } finally {
      await runBotBottle(["down", name], { env });
    }
  },
);

dockerTest("an API key kept in a host variable of any name logs claude in", async () => {
  await using upstream = await startUpstream(["api.anthropic.com"], REPLY, {
    expect: { "api.anthropic.com": { "x-api-key": KEY } },
  });
  await using dir = await tempDir();
  await Deno.writeTextFile(
    join(dir.path, "bot-bottle.yaml"),
    claudeManifest(upstream.subnet, { keyEnv: "WORK_CLAUDE_KEY" }),
  );
  const env = {
    WORK_CLAUDE_KEY: KEY,
    ANTHROPIC_API_KEY: "",
    ...(await upstreamEnv(upstream)),
  };
  const r = await runBotBottle(["start", "claude", "--", "-p", "Say hello"], {
    cwd: dir.path,
    env,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(REPLY));
  const calls = (await upstream.received()).filter((e) =>
    String(e.path).startsWith("/v1/messages")
  );
  assert.ok(calls.length > 0 && calls.every((e) => e.xApiKey === KEY));
});
