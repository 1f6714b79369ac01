/**
 * Agents other than Claude Code, each the real CLI from the npm registry in its own
 * agent image, answering a prompt through the bottle's proxy from a fake API that
 * refuses anything but the real key; the key is nowhere in the agent.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { AgentKind } from "../../lib/agents/mod.ts";
import { runBotBottle, tempDir } from "../helpers.ts";
import { dockerTest } from "./docker.ts";
import { agentExec, assertNowhereInGuest } from "./guest.ts";
import { buildCaEnv, startUpstream, upstreamEnv } from "./upstream.ts";

interface Case {
  kind: AgentKind;
  host: string;
  header: string;
  key: string;
  hostEnv: string;
  route: string;
  /** Arguments after `--` that make the CLI answer one prompt and exit. */
  headless: string[];
  /** The path its API calls go to. */
  apiPath: RegExp;
}

const CASES: Case[] = [
  {
    kind: "codex",
    host: "api.openai.com",
    header: "authorization",
    key: `sk-proj-${crypto.randomUUID().replaceAll("-", "")}`,
    hostEnv: "OPENAI_API_KEY",
    route: 'authorization: "Bearer ${OPENAI_API_KEY}"',
    headless: ["exec", "--skip-git-repo-check", "Say hello"],
    apiPath: /^\/v1\/responses$/,
  },
  {
    kind: "gemini",
    host: "generativelanguage.googleapis.com",
    header: "x-goog-api-key",
    key: `AIzaSy${crypto.randomUUID().replaceAll("-", "").slice(0, 33)}`,
    hostEnv: "GEMINI_API_KEY",
    route: "x-goog-api-key: { env: GEMINI_API_KEY }",
    headless: ["-p", "Say hello"],
    apiPath: /^\/v1beta\/models\/.*:streamGenerateContent$/,
  },
];

for (const c of CASES) {
  dockerTest(
    `the real ${c.kind} CLI answers through the proxy with the injected key`,
    async (t) => {
      const reply = `PONG to ${c.kind} through the bottle`;
      const build = await runBotBottle(["build", "--kind", c.kind], { env: await buildCaEnv() });
      assert.equal(build.code, 0, build.stderr);
      await using upstream = await startUpstream([c.host], reply, {
        expect: {
          [c.host]: { [c.header]: c.header === "authorization" ? `Bearer ${c.key}` : c.key },
        },
      });
      await using dir = await tempDir();
      await Deno.writeTextFile(
        join(dir.path, "bot-bottle.yaml"),
        `
bottles:
  dev:
    egress:
      allow_private: ["${upstream.subnet}"]
      routes:
        - host: ${c.host}
          headers:
            ${c.route}
agents:
  ${c.kind}:
    kind: ${c.kind}
    bottle: dev
    prompt: Answer briefly.
`,
      );
      const env = {
        [c.hostEnv]: c.key,
        ...(await upstreamEnv(upstream)),
      };

      await t.step(
        "start runs it headless: it answers from the fake API, which saw the real key",
        async () => {
          const r = await runBotBottle(["start", c.kind, "--", ...c.headless], {
            cwd: dir.path,
            env,
          });
          assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
          assert.match(r.stdout, new RegExp(reply));
          const calls = (await upstream.received()).filter((e) => c.apiPath.test(String(e.path)));
          assert.ok(calls.length > 0, "the CLI called the API through the proxy");
        },
      );

      await t.step(
        "the key is nowhere in the agent, which holds a placeholder and its instructions",
        async () => {
          const up = await runBotBottle(["up", c.kind], { cwd: dir.path, env });
          assert.equal(up.code, 0, up.stderr);
          const name = up.stdout.trim();
          try {
            const placeholder = await agentExec(name, "1000:1000", `printenv ${c.hostEnv}`);
            assert.match(placeholder.stdout, /bot-bottle-placeholder/);
            const prompt = await agentExec(
              name,
              "1000:1000",
              "cat ~/.codex/AGENTS.md ~/.gemini/GEMINI.md 2>/dev/null",
            );
            assert.match(prompt.stdout, /Answer briefly\./);
            await assertNowhereInGuest(name, c.key, `the ${c.kind} key`);
          } finally {
            await runBotBottle(["down", name], { env });
          }
        },
      );
    },
  );
}
