import assert from "node:assert/strict";
import { join } from "node:path";
import { parseRawZ, scanPush } from "./objects.ts";

// Built at run time so that this file holds nothing a scanner would flag.
const TOKEN = "ghp_" + "Zq8Lr2Xv9Kt4Wm7Pn3Bc6Hd1Fj5Gs0Ya8Ue2";
const SECRETS: string[] = [];

async function git(dir: string, args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command("git", {
    args: ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@t.invalid", ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const r = await child.output();
  if (r.code !== 0) throw new Error(new TextDecoder().decode(r.stderr));
  return new TextDecoder().decode(r.stdout).trim();
}

/**
 * A repository whose refs hold `main` (what upstream has), with a work tree to make
 * new objects in; `scanPush` runs with GIT_DIR set, as git sets it for the hook.
 */
async function withRepo(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await git(dir, ["init", "-q", "-b", "main"]);
    await Deno.writeTextFile(join(dir, "config.txt"), `old line with ${TOKEN}\nplain\n`);
    await git(dir, ["add", "."]);
    await git(dir, ["commit", "-qm", "upstream: first"]);
    Deno.env.set("GIT_DIR", join(dir, ".git"));
    await fn(dir);
  } finally {
    Deno.env.delete("GIT_DIR");
    await Deno.remove(dir, { recursive: true });
  }
}

/** Makes a commit on a detached HEAD (no ref moves, as in pre-receive); returns its id. */
async function commitDetached(
  dir: string,
  files: Record<string, Uint8Array | string>,
  message: string,
) {
  await git(dir, ["checkout", "-q", "--detach"]);
  for (const [path, data] of Object.entries(files)) {
    await Deno.mkdir(join(dir, path, ".."), { recursive: true });
    if (typeof data === "string") await Deno.writeTextFile(join(dir, path), data);
    else await Deno.writeFile(join(dir, path), data);
  }
  await git(dir, ["add", "-A"]);
  await git(dir, ["commit", "-qm", message]);
  const sha = await git(dir, ["rev-parse", "HEAD"]);
  await git(dir, ["checkout", "-q", "-f", "main"]); // `--all` counts HEAD
  return sha;
}

Deno.test("scanPush() finds a secret in a file git calls binary", async () => {
  await withRepo(async (dir) => {
    const data = new TextEncoder().encode(`\u0000\u0001binary ${TOKEN} tail`);
    const sha = await commitDetached(dir, { "blob.bin": data }, "add a binary");
    const scan = await scanPush(sha, SECRETS);
    assert.deepEqual(scan.commits[0]!.findings.map((f) => [f.file, f.rule]), [
      ["blob.bin", "github-token"],
    ]);
  });
});

Deno.test("scanPush() finds a secret in a commit message and in the author field", async () => {
  await withRepo(async (dir) => {
    const sha = await commitDetached(dir, { "a.txt": "a\n" }, `fix\n\ntoken ${TOKEN}`);
    assert.ok(
      (await scanPush(sha, SECRETS)).commits[0]!.findings.some((f) =>
        f.file === "(commit message)" && f.line === 3
      ),
    );
    await git(dir, ["checkout", "-q", "--detach"]);
    await Deno.writeTextFile(join(dir, "b.txt"), "b\n");
    await git(dir, ["add", "b.txt"]);
    await git(dir, ["-c", `user.name=${TOKEN}`, "commit", "-qm", "plain"]);
    const authored = await git(dir, ["rev-parse", "HEAD"]);
    await git(dir, ["checkout", "-q", "-f", "main"]);
    const byAuthor = await scanPush(authored, SECRETS);
    assert.ok(byAuthor.commits.some((c) => c.findings.some((f) => f.file === "(commit header)")));
  });
});

Deno.test("scanPush() scans an annotated tag's message and a lightweight tag to a bare blob", async () => {
  await withRepo(async (dir) => {
    const tag = await git(
      dir,
      ["mktag"],
      [
        `object ${await git(dir, ["rev-parse", "HEAD"])}`,
        "type commit",
        "tag v1",
        "tagger t <t@t.invalid> 1700000000 +0000",
        "",
        `release notes ${TOKEN}`,
        "",
      ].join("\n"),
    );
    const tagged = await scanPush(tag, SECRETS);
    assert.equal(tagged.badTarget, undefined);
    assert.deepEqual(tagged.findings.map((f) => f.file), ["(tag v1 message)"]);
    const blob = await git(dir, ["hash-object", "-w", "--stdin"], `just ${TOKEN}\n`);
    const bare = await scanPush(blob, SECRETS);
    assert.match(bare.badTarget ?? "", /points at a blob/);
    assert.ok(bare.findings.some((f) => f.rule === "github-token"), "the blob itself is scanned");
  });
});

Deno.test("scanPush() counts only lines the push adds, and reads raw path names", async () => {
  await withRepo(async (dir) => {
    // The old line (with a token upstream already has) stays; a new plain line is added.
    const sha = await commitDetached(dir, {
      "config.txt": `old line with ${TOKEN}\nplain\nnew plain line\n`,
      ".github/workflows/é.yml": "on: push\n",
    }, "edit");
    const scan = await scanPush(sha, SECRETS);
    assert.deepEqual(scan.commits[0]!.findings, []);
    assert.deepEqual(scan.commits[0]!.touched, [".github/workflows/é.yml", "config.txt"]);
  });
});

Deno.test("parseRawZ() reads raw -z records, renames included", () => {
  const text = [
    ":100644 100644 aaaa bbbb M",
    "dir/é ñ.txt",
    ":100644 100755 cccc cccc M",
    "mode.sh",
    ":100644 100644 dddd eeee R090",
    "old\tname",
    "new\nname",
    "",
  ].join("\0");
  assert.deepEqual(parseRawZ(text).map((c) => [c.status, c.paths]), [
    ["M", ["dir/é ñ.txt"]],
    ["M", ["mode.sh"]],
    ["R", ["old\tname", "new\nname"]],
  ]);
});

Deno.test("scanPush() reads a push of thousands of files through one git process", async () => {
  await withRepo(async (dir) => {
    // More answers than a pipe holds: writing every name before reading deadlocked.
    const files: Record<string, string> = {};
    for (let i = 0; i < 4000; i++) files[`gen/f${i}.ts`] = `export const v${i} = ${i};\n`;
    files["gen/f1234.ts"] = `export const token = "${TOKEN}";\n`;
    const sha = await commitDetached(dir, files, "generated");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const scan = await Promise.race([
      scanPush(sha, SECRETS),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("scanPush did not finish in 60 s")), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.equal(scan.commits.length, 1);
    assert.equal(scan.commits[0]!.touched.length, 4000);
    assert.deepEqual(scan.commits[0]!.findings.map((f) => [f.file, f.line]), [["gen/f1234.ts", 1]]);
  });
});
