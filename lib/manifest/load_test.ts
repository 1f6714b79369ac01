import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { ManifestError } from "../errors.ts";
import { parseManifest } from "./load.ts";
import { DEFAULT_MANIFEST, loadManifest, manifestPath } from "./read.ts";

const DATA = join(import.meta.dirname!, "../../tests/testdata/manifests");
const UPDATE = Deno.env.get("BOT_BOTTLE_UPDATE_GOLDEN") === "1";

function problemLines(error: ManifestError): string {
  return error.problems.map((p) =>
    `${p.line !== undefined ? `line ${p.line}:${p.column}: ` : ""}${
      p.path ? `${p.path}: ` : ""
    }${p.message}`
  ).join("\n") + "\n";
}

const files = [...Deno.readDirSync(DATA)].map((e) => e.name).filter((n) =>
  /\.(ya?ml|json)$/.test(n)
).toSorted();

for (const file of files.filter((f) => f.startsWith("valid_"))) {
  Deno.test(`parseManifest() accepts ${file}`, () => {
    const manifest = parseManifest(Deno.readTextFileSync(join(DATA, file)), file);
    assert.ok(Object.keys(manifest.agents).length > 0);
  });
}

for (const file of files.filter((f) => f.startsWith("bad_"))) {
  Deno.test(`parseManifest() reports every problem in ${file}`, () => {
    const golden = join(DATA, file.replace(/\.(ya?ml|json)$/, ".errors.txt"));
    let error: unknown;
    try {
      parseManifest(Deno.readTextFileSync(join(DATA, file)), file);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ManifestError, `expected a ManifestError, got ${error}`);
    const actual = problemLines(error);
    if (UPDATE) Deno.writeTextFileSync(golden, actual);
    assert.equal(actual, Deno.readTextFileSync(golden));
    assert.equal(error.exitCode, 2);
    assert.ok(error.message.includes(`"${file}"`), "the message names the file");
  });
}

Deno.test("parseManifest() fills defaults", () => {
  const m = parseManifest(Deno.readTextFileSync(join(DATA, "valid_minimal.yaml")), "m.yaml");
  assert.deepEqual(m.bottles.dev, {
    backend: "docker",
    egress: {
      allow: [],
      routes: [],
      passthrough: [],
      secrets: [],
      dlp: "block",
      allow_private: [],
    },
    git: [],
    workspace: { allow_force_push: true, protected_paths: [] },
    supervise: false,
    public_values: [],
  });
  assert.deepEqual(m.agents.a, {
    kind: "claude",
    bottle: "dev",
    skills: [],
    permissions: "unattended",
  });
});

Deno.test("manifestPath() prefers --manifest, then BOT_BOTTLE_MANIFEST, then the default", () => {
  assert.equal(manifestPath("a.yaml", "b.yaml"), "a.yaml");
  assert.equal(manifestPath(undefined, "b.yaml"), "b.yaml");
  assert.equal(manifestPath(undefined, ""), DEFAULT_MANIFEST);
  assert.equal(manifestPath(undefined, undefined), DEFAULT_MANIFEST);
});

Deno.test("loadManifest() says a missing default manifest can be made with init", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(() => loadManifest(DEFAULT_MANIFEST, dir), (e: ManifestError) => {
      assert.match(e.message, /file not found/);
      assert.match(e.hint ?? "", /bot-bottle init/);
      return true;
    });
    await Deno.mkdir(join(dir, "d.yaml"));
    await assert.rejects(() => loadManifest("d.yaml", dir), /is a directory/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("testdata holds a golden file for every bad manifest", () => {
  for (const file of files.filter((f) => f.startsWith("bad_"))) {
    const golden = basename(file).replace(/\.(ya?ml|json)$/, ".errors.txt");
    assert.ok(Deno.statSync(join(DATA, golden)).isFile, golden);
  }
});

Deno.test("the README's manifest reference is a valid manifest", () => {
  const readme = Deno.readTextFileSync(join(import.meta.dirname!, "../../README.md"));
  const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "README has a yaml block");
  const manifest = parseManifest(block, "README.md");
  assert.equal(manifest.bottles.dev?.egress.dlp, "block");
});

Deno.test("route headers: a template string, a template object, Basic auth, agent_env", () => {
  const m = parseManifest(
    `bottles:
  dev:
    egress:
      routes:
        - host: api.github.com
          headers:
            authorization: "Bearer \${GITHUB_TOKEN}"
        - host: git.example.com
          headers:
            authorization: { basic: { user: x-access-token, password_env: GIT_TOKEN } }
            x-extra: { template: "id=\${ID}" }
          agent_env: GIT_PLACEHOLDER
agents:
  a: { bottle: dev }
`,
    "m.yaml",
  );
  const [gh, git] = m.bottles.dev!.egress.routes;
  assert.deepEqual(gh!.headers.authorization, { template: "Bearer ${GITHUB_TOKEN}" });
  assert.deepEqual(git!.headers.authorization, {
    basic: { user: "x-access-token", password_env: "GIT_TOKEN" },
  });
  assert.deepEqual(git!.headers["x-extra"], { template: "id=${ID}" });
  assert.deepEqual(git!.agent_env, ["GIT_PLACEHOLDER"]);
});

Deno.test("route headers: a literal value, a secret in a template, or Basic without a user are refused", () => {
  const bad = (header: string) => {
    try {
      parseManifest(
        `bottles:\n  dev:\n    egress:\n      routes:\n        - host: h.example.com\n          headers:\n            ${header}\nagents:\n  a: { bottle: dev }\n`,
        "m.yaml",
      );
    } catch (error) {
      return (error as Error).message;
    }
    return "accepted";
  };
  assert.match(bad('authorization: "Bearer abc"'), /written from host variables, as \$\{NAME\}/);
  assert.match(
    bad(`authorization: "Bearer \${T} ${"gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5"}"`),
    /looks like a secret; put it in a host variable/,
  );
  assert.match(
    bad("authorization: { basic: { password_env: T } }"),
    /exactly one of user and user_env/,
  );
  assert.match(bad("authorization: { token: T }"), /expected \{ env: NAME \}, "Bearer \$\{NAME\}"/);
});

Deno.test("a token where a host variable's name goes is refused, and not repeated", () => {
  // Built at run time so that this file itself holds nothing a scanner would flag.
  const token = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
  const key = "AK" + "IAQ3EGQ2VFOW7ZXM4N";
  const text = `bottles:
  dev:
    egress:
      secrets: [${key}, DLP_SECRET]
      routes:
        - host: api.github.com
          headers:
            authorization: "Bearer \${${token}}"
          agent_env: [${token}]
        - host: git.example.com
          headers:
            authorization: { basic: { user: x, password_env: ${token} } }
        - host: api.example.com
          headers:
            x-api-key: { env: ${key} }
    git:
      - name: project
        upstream: ssh://git:${token}@github.com/me/project.git
        identity_file: ~/.ssh/id
    public_values: ["Bearer ${token}", "short"]
agents:
  claude:
    bottle: dev
`;
  let error: unknown;
  try {
    parseManifest(text, "m.yaml");
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ManifestError, String(error));
  assert.equal(error.exitCode, 2);
  const lines = problemLines(error);
  const named = "looks like a secret, not the name of a host variable";
  for (
    const path of [
      "bottles.dev.egress.secrets[0]",
      "bottles.dev.egress.routes[0].headers.authorization",
      "bottles.dev.egress.routes[0].agent_env[0]",
      "bottles.dev.egress.routes[1].headers.authorization.basic.password_env",
      "bottles.dev.egress.routes[2].headers.x-api-key.env",
    ]
  ) {
    assert.ok(lines.includes(`${path}: ${named}`), `${path} in:\n${lines}`);
  }
  assert.match(
    lines,
    /public_values\[0\]: the value \(it looks like a secret, so it is not shown\) must be printable/,
  );
  assert.match(lines, /public_values\[1\]: must be 8 characters or more/);
  assert.match(lines, /git\[0\]\.upstream: holds what looks like a secret/);
  assert.ok(!lines.includes(token) && !lines.includes(key), lines);
  assert.ok(!lines.includes("DLP_SECRET"), "a plain variable name is no problem");
});
