/**
 * The main job as a person runs it: `bot-bottle start` in a real terminal (tmux), the
 * Claude Code TUI comes up without onboarding or trust dialogs, answers a prompt from
 * the fake API, and quitting claude (Ctrl-C twice, which goes to claude through the
 * TTY, not to bot-bottle) removes the bottle with exit code 0.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { $, captureRaw } from "../../lib/shell.ts";
import { ROOT, tempDir, toolRunFlags } from "../helpers.ts";
import { dockerTest } from "./docker.ts";
import { fakeSmolvm } from "./smolvm_fake.ts";
import { buildCaEnv, startUpstream } from "./upstream.ts";

const haveTmux =
  (await captureRaw($`sh -c ${"command -v tmux"}`).catch(() => ({ code: 1 }))).code === 0;
if (!haveTmux && Deno.env.get("CI") === "true") {
  throw new Error("CI needs tmux for the interactive test");
}

async function screen(session: string): Promise<string> {
  return (await captureRaw($`tmux capture-pane -p -t ${session}`)).stdout;
}

async function waitFor(session: string, pattern: RegExp, what: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const text = await screen(session);
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; the screen shows:\n${await screen(session)}`);
}

if (haveTmux) {
  for (const backend of ["docker", "smolvm"] as const) {
    dockerTest(
      `start in a terminal runs the Claude Code TUI and removes the bottle when claude exits (${backend}${
        backend === "smolvm" ? ", strict fake" : ""
      })`,
      async () => {
        await using fake = await fakeSmolvm();
        await using cache = await tempDir();
        await using upstream = await startUpstream(["api.anthropic.com"], "Interactive PONG");
        await using dir = await tempDir();
        await Deno.writeTextFile(
          join(dir.path, "bot-bottle.yaml"),
          (await Deno.readTextFile(join(ROOT, "examples/bot-bottle.yaml")))
            .replace(/( +)allow: \[\]/, `$1allow: []\n$1allow_private: ["${upstream.subnet}"]`),
        );
        const env = {
          ANTHROPIC_API_KEY: "sk-ant-interactive-test",
          BOT_BOTTLE_EGRESS_NETWORK: upstream.network,
          BOT_BOTTLE_UPSTREAM_CA: upstream.caFile,
          ...(await buildCaEnv()),
          ...(backend === "smolvm"
            ? { ...fake.env, BOT_BOTTLE_BACKEND: "smolvm", BOT_BOTTLE_CACHE_DIR: cache.path }
            : {}),
        };
        const session = `bot-bottle-test-${crypto.randomUUID().slice(0, 8)}`;
        const command = [
          "env",
          ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
          Deno.execPath(),
          "run",
          "--quiet",
          ...toolRunFlags(),
          join(ROOT, "main.ts"),
          "start",
          "claude",
        ].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
        const script = `cd '${dir.path}' && ${command}; echo "EXITED=$?"; sleep 60`;
        const started = await captureRaw(
          $`tmux new-session -d -s ${session} -x 150 -y 40 ${script}`,
        );
        assert.equal(started.code, 0, started.stderr);
        try {
          await waitFor(
            session,
            /auto mode|bypass permissions|\? for shortcuts|❯/,
            "the claude prompt",
          );
          const name = /Running claude in (claude-[a-z0-9]{6})/.exec(await screen(session))?.[1] ??
            (await fake.calls()).flat().find((a) => a.startsWith("bot-bottle.bottle="))?.split(
              "=",
            )[1] ??
            (await captureRaw(
              $`docker ps --filter label=bot-bottle.agent=claude --filter label=bot-bottle.role=agent --format ${'{{.Label "bot-bottle.bottle"}}'}`,
            ))
              .stdout.trim();
          assert.match(name, /^claude-[a-z0-9]{6}$/);
          await captureRaw($`tmux send-keys -t ${session} ${"say hello"} Enter`);
          await waitFor(session, /Interactive PONG/, "the fake's reply");
          await captureRaw($`tmux send-keys -t ${session} C-c`);
          await new Promise((r) => setTimeout(r, 500));
          await captureRaw($`tmux send-keys -t ${session} C-c`);
          const end = await waitFor(session, /EXITED=\d+/, "start to exit");
          assert.match(end, /EXITED=0/);
          assert.match(end, /Removing bottle/);
          const left = await captureRaw(
            $`docker ps --all --quiet --filter ${`label=bot-bottle.bottle=${name}`}`,
          );
          assert.equal(left.stdout.trim(), "", "nothing of the bottle remains");
          if (backend === "smolvm") {
            const claude = (await fake.calls()).find((a) =>
              a[1] === "exec" && a.includes("claude")
            );
            assert.ok(claude?.includes("-i") && claude.includes("-t"), "claude ran with exec -it");
            assert.deepEqual(await fake.containers(), [], "no machine is left");
          }
        } finally {
          await captureRaw($`tmux kill-session -t ${session}`);
        }
      },
    );
  }
} else {
  // deno-lint-ignore no-console
  console.error("skipping the interactive test: tmux is not installed");
}
