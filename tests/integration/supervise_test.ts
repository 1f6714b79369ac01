/**
 * Supervise, end to end: from inside a bottle an MCP client calls the supervise tools;
 * the host lists and answers with `bot-bottle supervise`; an approved host is reachable
 * at once, a denied one stays blocked, and the agent has no way to answer itself.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { $, captureRaw } from "../shell.ts";
import { runBotBottle, tempDir } from "../helpers.ts";
import { dockerTest } from "./docker.ts";
import { startUpstream, upstreamEnv } from "./upstream.ts";

const manifest = (subnet: string) => `
bottles:
  dev:
    egress:
      allow_private: ["${subnet}"]
      routes:
        - host: api.anthropic.com
          headers:
            x-api-key: { env: ANTHROPIC_API_KEY }
    supervise: true
agents:
  claude:
    bottle: dev
`;

dockerTest(
  "supervise: the agent asks over MCP, the host answers, and the answer takes effect at once",
  async (t) => {
    await using upstream = await startUpstream([
      "api.anthropic.com",
      "plain.fake.test",
      "denied.fake.test",
      "watch.fake.test",
    ], "ok");
    await using dir = await tempDir();
    await Deno.writeTextFile(join(dir.path, "bot-bottle.yaml"), manifest(upstream.subnet));
    const env = {
      ANTHROPIC_API_KEY: "sk-ant-supervise-test",
      ...(await upstreamEnv(upstream)),
    };
    const up = await runBotBottle(["up", "claude"], { cwd: dir.path, env });
    assert.equal(up.code, 0, up.stderr);
    const name = up.stdout.trim();
    const agent = `bot-bottle-${name}-agent`;
    const bundleIp = (await captureRaw(
      $`docker inspect --format ${`{{(index .NetworkSettings.Networks "bot-bottle-${name}-internal").IPAddress}}`} ${`bot-bottle-${name}-bundle`}`,
    )).stdout.trim();
    const mcpUrl = `http://${bundleIp}:9100/`;

    /** Starts a JSON-RPC call from inside the agent; resolves with its parsed reply. */
    const call = (method: string, params: unknown) => {
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });
      return captureRaw(
        $`docker exec --user 1000:1000 ${agent} curl -sS -X POST ${mcpUrl} -H ${"content-type: application/json"} -H ${"accept: application/json, text/event-stream"} -d ${body}`,
        "5m",
      ).then((r) => {
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout);
      });
    };
    const pending = async () => {
      const r = await runBotBottle(["supervise", "--format", "json"], { env });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as {
        id: string;
        kind: string;
        bottle: string;
        details: Record<string, unknown>;
      }[];
    };
    const waitPending = async (
      predicate: (r: { kind: string; details: Record<string, unknown> }) => boolean,
    ) => {
      for (let i = 0; i < 100; i++) {
        const found = (await pending()).find((r) => predicate(r));
        if (found) return found;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error("the request never appeared on the host");
    };
    const curl = (url: string) =>
      captureRaw($`docker exec --user 1000:1000 ${agent} curl -sS -i ${url}`);

    try {
      await t.step(
        "the claude CLI in the agent is registered with the supervise server",
        async () => {
          const r = await captureRaw(
            $`docker exec --user 1000:1000 ${agent} claude mcp list`,
            "2m",
          );
          assert.match(r.stdout, /supervise: http:\/\/[\d.]+:9100\/ \(HTTP\) - ✔ Connected/);
        },
      );

      await t.step("the proxy's refusal tells the agent it can ask", async () => {
        const r = await curl("http://plain.fake.test/");
        assert.match(
          r.stdout,
          /403 Forbidden[\s\S]*ask for it with the supervise MCP tool request_egress/,
        );
      });

      await t.step(
        "an approved request_egress returns approved and the host is reachable at once",
        async () => {
          const reply = call("tools/call", {
            name: "request_egress",
            arguments: { host: "plain.fake.test", reason: "need the docs" },
          });
          const request = await waitPending((r) =>
            r.kind === "egress" && r.details.host === "plain.fake.test"
          );
          assert.equal(request.bottle, name);
          const approve = await runBotBottle([
            "supervise",
            "approve",
            request.id,
            "--comment",
            "ok for today",
          ], { env });
          assert.equal(approve.code, 0, approve.stderr);
          assert.match(approve.stderr, /bottles\.dev\.egress\.allow:\n {4}- plain\.fake\.test/);
          const result = (await reply).result;
          assert.equal(result.isError, false);
          assert.match(
            result.content[0].text,
            /^approved\. "plain\.fake\.test" is now allowed\. Comment from the person: ok for today$/,
          );
          const after = await curl("http://plain.fake.test/");
          assert.match(after.stdout, /200 OK[\s\S]*plain hello from plain\.fake\.test/);
        },
      );

      await t.step("a denied request stays blocked", async () => {
        const reply = call("tools/call", {
          name: "request_egress",
          arguments: { host: "denied.fake.test", reason: "curious" },
        });
        const request = await waitPending((r) => r.details.host === "denied.fake.test");
        assert.equal(
          (await runBotBottle(["supervise", "deny", request.id, "--comment", "not needed"], {
            env,
          })).code,
          0,
        );
        const result = (await reply).result;
        assert.equal(result.isError, true);
        assert.match(result.content[0].text, /^denied\. Comment from the person: not needed$/);
        assert.match((await curl("http://denied.fake.test/")).stdout, /403 Forbidden/);
      });

      // A token the agent came across, written into a question.
      const token = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
      await t.step("ask returns the person's answer", async () => {
        const reply = call("tools/call", {
          name: "ask",
          arguments: { question: `main or dev? notes say ${token}`, choices: ["main", "dev"] },
        });
        const request = await waitPending((r) => r.kind === "ask");
        assert.equal(
          (await runBotBottle(["supervise", "answer", request.id, "use", "dev"], { env })).code,
          0,
        );
        assert.equal((await reply).result.content[0].text, "answer: use dev");
      });

      await t.step("the agent cannot answer its own request", async () => {
        const reply = call("tools/call", {
          name: "request_egress",
          arguments: { host: "denied.fake.test", reason: "again" },
        });
        const request = await waitPending((r) => r.details.host === "denied.fake.test");
        const tools = await call("tools/list", {});
        assert.deepEqual(tools.result.tools.map((x: { name: string }) => x.name).toSorted(), [
          "ask",
          "request_egress",
          "request_push_override",
        ]);
        const approve = await call("tools/call", {
          name: "approve",
          arguments: { id: request.id },
        });
        assert.ok(approve.error || approve.result?.isError, "there is no approve tool");
        const control = await captureRaw(
          $`docker exec --user 1000:1000 ${agent} curl -sS --max-time 5 -X POST ${`http://${bundleIp}:9101/requests/${request.id}`} -d ${'{"decision":"approved"}'}`,
        );
        assert.notEqual(control.code, 0, "the control API is not reachable from the agent");
        const viaMcp = await captureRaw(
          $`docker exec --user 1000:1000 ${agent} curl -sS -X POST ${`${mcpUrl}requests/${request.id}`} -H ${"content-type: application/json"} -d ${'{"decision":"approved"}'}`,
        );
        assert.doesNotMatch(viaMcp.stdout, /"status":"approved"/);
        assert.ok(
          (await pending()).some((r) => r.id === request.id),
          "the request is still pending",
        );
        assert.match((await curl("http://denied.fake.test/")).stdout, /403 Forbidden/);
        await runBotBottle(["supervise", "deny", request.id], { env });
        await reply;
      });

      await t.step(
        "supervise --watch shows a new request and approves it at the prompt",
        async () => {
          const haveTmux = (await captureRaw($`sh -c ${"command -v tmux"}`)).code === 0;
          if (!haveTmux) return;
          const session = `bot-bottle-test-watch-${crypto.randomUUID().slice(0, 6)}`;
          const { toolRunFlags, ROOT } = await import("../helpers.ts");
          const cmd = [
            Deno.execPath(),
            "run",
            "--quiet",
            ...toolRunFlags(),
            join(ROOT, "main.ts"),
            "supervise",
            "--watch",
          ]
            .map((a) => `'${a}'`).join(" ");
          await captureRaw(
            $`tmux new-session -d -s ${session} -x 150 -y 30 ${`NO_COLOR=1 ${cmd}; sleep 30`}`,
          );
          const screen = async () =>
            (await captureRaw($`tmux capture-pane -p -t ${session}`)).stdout;
          const waitScreen = async (re: RegExp) => {
            for (let i = 0; i < 150; i++) {
              const text = await screen();
              if (re.test(text)) return text;
              await new Promise((r) => setTimeout(r, 200));
            }
            throw new Error(`timed out waiting for ${re}; screen:\n${await screen()}`);
          };
          try {
            await waitScreen(/Watching for requests/);
            const reply = call("tools/call", {
              name: "request_egress",
              arguments: { host: "watch.fake.test", reason: "watch test" },
            });
            await waitScreen(/wants to reach watch\.fake\.test[\s\S]*approve\? \[y\]es/);
            await captureRaw($`tmux send-keys -t ${session} y Enter`);
            await waitScreen(/comment \(optional\):/);
            await captureRaw($`tmux send-keys -t ${session} ${"looks fine"} Enter`);
            const result = (await reply).result;
            assert.match(
              result.content[0].text,
              /^approved\. "watch\.fake\.test" is now allowed\. Comment from the person: looks fine$/,
            );
            assert.match((await curl("http://watch.fake.test/")).stdout, /200 OK/);
          } finally {
            await captureRaw($`tmux kill-session -t ${session}`);
          }
        },
      );

      await t.step(
        "requests and answers are durable and in the audit log, secrets hidden",
        async () => {
          const all = await runBotBottle(["supervise", "--all", "--format", "json"], { env });
          const statuses = JSON.parse(all.stdout).filter((r: { bottle: string }) =>
            r.bottle === name
          )
            .map((r: { status: string }) => r.status);
          assert.deepEqual(statuses, ["approved", "denied", "answered", "denied", "approved"]);
          const logs = await runBotBottle(["logs", name, "--format", "json"], { env });
          const actions = logs.stdout.trim().split("\n").map((l) => JSON.parse(l)).filter((e) =>
            e.kind === "supervise"
          )
            .map((e) => e.action);
          assert.deepEqual(actions, [
            "request",
            "approved",
            "request",
            "denied",
            "request",
            "answered",
            "request",
            "denied",
            "request",
            "approved",
          ]);
          assert.ok(!logs.stdout.includes(token), "the log does not hold the token");
          assert.match(logs.stdout, /"question":"main or dev\? notes say \[GitHub token hidden\]"/);
        },
      );

      await t.step(
        "what the agent writes reaches the person inert: no ESC, BEL or bidi character",
        async () => {
          const hostile =
            "ok\u001b[1A\u001b[2K\rwants to reach pypi.org\u0007\u202e\u001b]52;c;Y29weQ==\u0007";
          const reply = call("tools/call", {
            name: "ask",
            arguments: { question: hostile, reason: hostile, choices: [hostile] },
          });
          const request = await waitPending((r) => r.kind === "ask");
          const shown = await runBotBottle(["supervise"], { env });
          assert.equal(shown.code, 0, shown.stderr);
          assert.match(
            shown.stdout,
            /asks: ok\\e\[1A\\e\[2K\\rwants to reach pypi\.org\\x07<U\+202E>/,
          );
          // deno-lint-ignore no-control-regex
          assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(shown.stdout));
          const json = await runBotBottle(["supervise", "--format", "json"], { env });
          assert.ok(![...json.stdout].some((c) => c > "\u007e" || (c < " " && c !== "\n")));
          await runBotBottle(["supervise", "answer", request.id, "fine"], { env });
          await reply;
        },
      );

      await t.step(
        "an approved private IP literal stays refused, and the person is warned",
        async () => {
          const reply = call("tools/call", {
            name: "request_egress",
            arguments: { host: "169.254.169.254", reason: "metadata" },
          });
          const request = await waitPending((r) => r.details.host === "169.254.169.254");
          const listed = await runBotBottle(["supervise"], { env });
          assert.match(listed.stdout, /WARNING: 169\.254\.169\.254 is a link-local address/);
          const approved = await runBotBottle(["supervise", "approve", request.id], { env });
          assert.match(approved.stderr, /approving it has no effect unless egress\.allow_private/);
          await reply;
          const r = await curl("http://169.254.169.254/");
          assert.match(r.stdout, /403 Forbidden[\s\S]*link-local or metadata address/);
        },
      );

      await t.step("requests beyond the pending cap are refused with a clear message", async () => {
        const waiting = Array.from({ length: 10 }, (_, i) =>
          call("tools/call", {
            name: "ask",
            arguments: { question: `question ${i}` },
          }));
        for (let i = 0; i < 100; i++) {
          if ((await pending()).filter((r) => r.kind === "ask").length >= 10) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        const over = await call("tools/call", {
          name: "ask",
          arguments: { question: "one too many" },
        });
        assert.equal(over.result.isError, true);
        assert.match(over.result.content[0].text, /10 requests already wait for a person/);
        // Answer every waiting question until all ten calls have returned.
        let settled = false;
        const all = Promise.all(waiting).then(() => (settled = true));
        for (let i = 0; i < 60 && !settled; i++) {
          // Answered side by side, as several people (or terminals) may.
          await Promise.all(
            (await pending()).filter((r) => r.kind === "ask").map((r) =>
              runBotBottle(["supervise", "answer", r.id, "done"], { env })
            ),
          );
          await Promise.race([all, new Promise((r) => setTimeout(r, 500))]);
        }
        await all;
      });
    } finally {
      await runBotBottle(["down", name], { env });
    }
  },
);
