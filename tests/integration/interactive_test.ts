/**
 * The main job as a person runs it: `bot-bottle start --cwd` in a real terminal (tmux)
 * on a repository, the Claude Code TUI comes up without onboarding, trust or consent
 * dialogs, runs the scripted model's command without a permission prompt, and quitting
 * claude (Ctrl-C twice, which goes to claude through the TTY, not to bot-bottle) brings
 * the commit home as a branch and removes the bottle with exit code 0.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { $, captureRaw } from "../shell.ts";
import { ROOT, tempDir, toolRunFlags } from "../helpers.ts";
import { bottleOf, dockerTest } from "./docker.ts";
import { fakeSmolvm, SMOLVM_IMAGE_CACHE } from "./smolvm_fake.ts";
import { startUpstream, upstreamEnv } from "./upstream.ts";

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
      `start --cwd in a terminal: the TUI runs commands without prompts, the work comes home, the bottle goes (${backend}${
        backend === "smolvm" ? ", strict fake" : ""
      })`,
      async () => {
        await using fake = await fakeSmolvm();
        await using upstream = await startUpstream(["api.anthropic.com"], "Interactive PONG", {
          script: {
            steps: [
              "echo from-the-tui > proof.txt && git add proof.txt && git commit -qm 'agent: proof' && echo tui-ok",
            ],
            final: "Interactive PONG",
          },
        });
        await using dir = await tempDir();
        const repo = join(dir.path, "repo");
        await Deno.mkdir(repo);
        await Deno.writeTextFile(join(repo, "README.md"), "# repo\n");
        for (
          const args of [
            ["init", "-q", "-b", "main"],
            ["add", "."],
            ["-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qm", "user: first"],
          ]
        ) await captureRaw($`git -C ${repo} ${args}`);
        await Deno.writeTextFile(
          join(dir.path, "bot-bottle.yaml"),
          (await Deno.readTextFile(join(ROOT, "examples/bot-bottle.yaml")))
            .replace(/( +)allow: \[\]/, `$1allow: []\n$1allow_private: ["${upstream.subnet}"]`),
        );
        const env = {
          ANTHROPIC_API_KEY: "sk-ant-interactive-test",
          BOT_BOTTLE_MANIFEST: join(dir.path, "bot-bottle.yaml"),
          BOT_BOTTLE_STATE_DIR: join(dir.path, "state"),
          ...(await upstreamEnv(upstream)),
          ...(backend === "smolvm"
            ? {
              ...fake.env,
              BOT_BOTTLE_BACKEND: "smolvm",
              BOT_BOTTLE_CACHE_DIR: SMOLVM_IMAGE_CACHE,
            }
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
          "--cwd",
        ].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
        const script = `cd '${repo}' && ${command}; echo "EXITED=$?"; sleep 60`;
        const started = await captureRaw(
          $`tmux new-session -d -s ${session} -x 150 -y 40 ${script}`,
        );
        assert.equal(started.code, 0, started.stderr);
        try {
          const ready = await waitFor(session, /\? for shortcuts|❯/, "the claude prompt");
          assert.doesNotMatch(ready, /I accept|Do you trust|trust this folder/i, "a dialog waits");
          const name = /Running claude in (claude-[a-z0-9]{6})/.exec(await screen(session))?.[1] ??
            (await fake.calls()).flat().find((a) => a.startsWith("bot-bottle.bottle="))?.split(
              "=",
            )[1] ??
            await bottleOf(env.BOT_BOTTLE_STATE_DIR) ?? "";
          assert.match(name, /^claude-[a-z0-9]{6}$/);
          await captureRaw($`tmux send-keys -t ${session} ${"do the work"} Enter`);
          await waitFor(session, /Interactive PONG/, "the fake's reply");
          const [result, ...more] = await upstream.toolResults();
          assert.equal(more.length, 0);
          assert.ok(
            result && !result.isError && result.output.includes("tui-ok"),
            JSON.stringify(result),
          );
          await captureRaw($`tmux send-keys -t ${session} C-c`);
          await new Promise((r) => setTimeout(r, 500));
          await captureRaw($`tmux send-keys -t ${session} C-c`);
          const end = await waitFor(session, /EXITED=\d+/, "start to exit");
          assert.match(end, /EXITED=0/);
          assert.match(end, /Removing bottle/);
          const home = await captureRaw(
            $`git -C ${repo} log --format=%s ${`bot-bottle/${name}/main`}`,
          );
          assert.equal(home.stdout, "agent: proof\nuser: first\n", home.stderr);
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
