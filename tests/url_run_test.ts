/**
 * Running from a URL: the checkout served over loopback HTTP, `deno run <url>/main.ts`
 * resolves every dependency (full npm: specifiers in lib/deps.ts and lib/manifest/deps.ts) and every embedded
 * file (text imports) without the project's deno.json.
 */

import assert from "node:assert/strict";
import { extname, join, normalize } from "node:path";
import { ROOT, tempDir, toolRunFlags } from "./helpers.ts";

Deno.test("deno run from a URL runs plan (also --cwd, which runs git) and schema", async () => {
  const types: Record<string, string> = {
    ".ts": "application/typescript",
    ".yaml": "text/yaml",
    "": "text/plain",
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = normalize(decodeURIComponent(new URL(req.url).pathname));
    if (path.includes("..") || path.startsWith("/node_modules")) {
      return new Response("no", { status: 403 });
    }
    try {
      const body = await Deno.readFile(join(ROOT, path));
      return new Response(body, {
        headers: { "content-type": types[extname(path)] ?? "text/plain" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  await using dir = await tempDir();
  try {
    const url = `http://127.0.0.1:${server.addr.port}/main.ts`;
    await Deno.copyFile(join(ROOT, "examples/bot-bottle.yaml"), join(dir.path, "bot-bottle.yaml"));
    const run = async (args: string[]) => {
      const r = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          `--allow-import=127.0.0.1:${server.addr.port}`,
          ...toolRunFlags(),
          url,
          ...args,
        ],
        // A directory without deno.json: nothing but the URL tells Deno what to load.
        cwd: dir.path,
        env: { NO_COLOR: "1", ANTHROPIC_API_KEY: "x" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: r.code,
        stdout: new TextDecoder().decode(r.stdout),
        stderr: new TextDecoder().decode(r.stderr),
      };
    };
    const plan = await run(["plan", "claude", "--format", "json"]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal(JSON.parse(plan.stdout).agent, "claude");
    assert.match(
      JSON.parse(plan.stdout).images.bundle,
      /^bot-bottle-bundle:[0-9a-f]{12}$/,
      "embedded files hashed",
    );
    const schema = await run(["schema"]);
    assert.equal(schema.code, 0, schema.stderr);
    assert.equal(JSON.parse(schema.stdout).title, "bot-bottle manifest");
    // --cwd asks git (here: not a repository), so dax, loaded on first use, loads too.
    const cwd = await run(["plan", "claude", "--cwd", "--format", "json"]);
    assert.equal(cwd.code, 0, cwd.stderr);
    assert.equal(JSON.parse(cwd.stdout).workspace.kind, "dir");
  } finally {
    await server.shutdown();
  }
});
