import assert from "node:assert/strict";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { zipOf } from "../../tests/zip_fixture.ts";
import { join } from "node:path";
import { setGitEnv } from "./git.ts";
import { MAX_BLOB_BYTES, parseRawSections, parseRawZ, scanPush } from "./objects.ts";

// Built at run time so that this file holds nothing a scanner would flag.
const TOKEN = "gh" + "p_Zq8Lr2Xv9Kt4Wm7Pn3Bc6Hd1Fj5Gs0Ya8Ue2";
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
 * new objects in; `scanPush` runs with GIT_DIR set, as git sets it for the hook (for
 * the gate's git calls only: the process's environment is shared with other test files).
 */
async function withRepo(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await git(dir, ["init", "-q", "-b", "main"]);
    await Deno.writeTextFile(join(dir, "config.txt"), `old line with ${TOKEN}\nplain\n`);
    await git(dir, ["add", "."]);
    await git(dir, ["commit", "-qm", "upstream: first"]);
    setGitEnv({ GIT_DIR: join(dir, ".git") });
    await fn(dir);
  } finally {
    setGitEnv();
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

Deno.test("scanPush() finds a secret inside a gzip or zstd file or a zip archive, and refuses one it cannot open", async () => {
  await withRepo(async (dir) => {
    const notes = "build notes\n".repeat(50);
    const sha = await commitDetached(dir, {
      "notes.txt.gz": gzipSync(new TextEncoder().encode(`${notes}token ${TOKEN}\n`)),
      "clean.txt.gz": gzipSync(new TextEncoder().encode(notes)),
      "bomb.gz": gzipSync(new Uint8Array(40 * 1024 * 1024)),
      "bundle.zip": zipOf([["README", new TextEncoder().encode(`${notes}token ${TOKEN}\n`)]]),
      "odd.zip": zipOf([["a.bz2", new TextEncoder().encode("x")]], { method: 12 }),
      "notes.txt.zst": zstdCompressSync(new TextEncoder().encode(`${notes}token ${TOKEN}\n`)),
      "bomb.zst": zstdCompressSync(new Uint8Array(40 * 1024 * 1024)),
    }, "add compressed files");
    const scan = await scanPush(sha, SECRETS);
    // zstd keeps bytes it cannot shorten as they are (the token, here): what is found in
    // the .zst file itself is left out; what matters is what is found inside it.
    assert.deepEqual(
      scan.commits[0]!.findings.filter((f) => f.file !== "notes.txt.zst")
        .map((f) => [f.file, f.rule, f.line]).toSorted(),
      [
        ["bomb.gz", "unchecked-compressed", 1],
        ["bomb.zst", "unchecked-compressed", 1],
        ["bundle.zip (zip-compressed)", "github-token", 51],
        ["notes.txt.gz (gzip-compressed)", "github-token", 51],
        ["notes.txt.zst (zstd-compressed)", "github-token", 51],
        ["odd.zip", "unchecked-compressed", 1],
      ],
    );
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

Deno.test("scanPush() does not read an old version over the size limit: its lines excuse nothing", async () => {
  await withRepo(async (dir) => {
    // Upstream holds a file over the limit with the token in it; the push cuts it down to
    // the token's line. Reading the old version whole would cost the bundle its size in
    // memory; not read, the kept line counts as added.
    const filler = "x".repeat(1023) + "\n";
    await Deno.writeTextFile(
      join(dir, "data.txt"),
      `kept ${TOKEN}\n` + filler.repeat(Math.ceil(MAX_BLOB_BYTES / filler.length) + 1),
    );
    await git(dir, ["add", "data.txt"]);
    await git(dir, ["commit", "-qm", "upstream: big"]);
    const sha = await commitDetached(dir, { "data.txt": `kept ${TOKEN}\n` }, "cut down");
    const scan = await scanPush(sha, SECRETS);
    assert.deepEqual(scan.oversized, []);
    assert.deepEqual(scan.commits[0]!.findings.map((f) => [f.file, f.line]), [["data.txt", 1]]);
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
    // Answers asked ahead come back in order: each finding at its own file and line.
    files["gen/f12.ts"] = `export const token = "${TOKEN}";\n`;
    files["gen/f1234.ts"] = `// one\nexport const token = "${TOKEN}";\n`;
    files["gen/f3999.ts"] = `// one\n// two\nexport const token = "${TOKEN}";\n`;
    // A file changed among them: its old version is read between the new ones.
    files["config.txt"] = `old line with ${TOKEN}\nplain\nnew ${TOKEN}\n`;
    const sha = await commitDetached(dir, files, "generated");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const scan = await Promise.race([
      scanPush(sha, SECRETS),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("scanPush did not finish in 60 s")), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.equal(scan.commits.length, 1);
    assert.equal(scan.commits[0]!.touched.length, 4001);
    assert.deepEqual(
      scan.commits[0]!.findings.map((f) => [f.file, f.line]).toSorted(),
      [["config.txt", 3], ["gen/f12.ts", 1], ["gen/f1234.ts", 2], ["gen/f3999.ts", 3]],
    );
  });
});

Deno.test("scanPush() on merges: a clean one touches nothing new, an evil one what it adds", async () => {
  await withRepo(async (dir) => {
    const g = (args: string[]) => git(dir, args);
    await g(["checkout", "-q", "--detach"]);
    await g(["checkout", "-q", "-b", "left"]);
    await Deno.writeTextFile(join(dir, "left.txt"), `left ${TOKEN}\n`);
    await g(["add", "left.txt"]);
    await g(["commit", "-qm", "left"]);
    await g(["checkout", "-q", "main"]);
    await g(["checkout", "-q", "-b", "right"]);
    await Deno.writeTextFile(join(dir, "right.txt"), "right\n");
    await g(["add", "right.txt"]);
    await g(["commit", "-qm", "right"]);
    await g(["merge", "-q", "--no-ff", "-m", "clean merge", "left"]);
    const clean = await g(["rev-parse", "HEAD"]);
    // An evil merge: a file neither side has, with a key in it.
    await g(["checkout", "-q", "--detach", "right~0"]);
    await g(["merge", "-q", "--no-ff", "--no-commit", "left"]);
    await Deno.writeTextFile(join(dir, "evil.txt"), `evil ${TOKEN}\n`);
    await g(["add", "evil.txt"]);
    await g(["commit", "-qm", "evil merge"]);
    const evil = await g(["rev-parse", "HEAD"]);
    await g(["checkout", "-q", "-f", "main"]);
    await g(["branch", "-D", "-q", "left", "right"]);

    const scan = await scanPush(clean, SECRETS);
    const bySubject = async (c: { sha: string }) => (await g(["log", "-1", "--format=%s", c.sha]));
    const summary = await Promise.all(scan.commits.map(async (c) => ({
      subject: await bySubject(c),
      touched: c.touched,
      found: c.findings.map((f) => f.file),
    })));
    assert.deepEqual(summary.toSorted((a, b) => a.subject.localeCompare(b.subject)), [
      { subject: "clean merge", touched: [], found: [] },
      { subject: "left", touched: ["left.txt"], found: ["left.txt"] },
      { subject: "right", touched: ["right.txt"], found: [] },
    ]);
    const evilScan = await scanPush(evil, SECRETS);
    const merge = evilScan.commits.find((c) => c.sha === evil)!;
    assert.deepEqual(merge.touched, ["evil.txt"]);
    assert.deepEqual(merge.findings.map((f) => [f.file, f.line]), [["evil.txt", 1]]);
  });
});

Deno.test("parseRawSections() splits diff-tree --stdin output by commit, paths read with their change", () => {
  const a = "a".repeat(40);
  const b = "b".repeat(40);
  const z = "0".repeat(40);
  const change = (path: string) => [`:000000 100644 ${z} ${b} A`, path];
  const text = [
    a,
    ...change("x.txt"),
    // A path that looks like a commit id is the change's path, not a new section.
    ...change("c".repeat(40)),
    a, // an empty section (--always): a merge's parent with no difference
    b,
    ...change("y.txt"),
    "",
  ].join("\0");
  assert.deepEqual(
    parseRawSections(text).map((s) => s.map((c) => c.paths[0])),
    [["x.txt", "c".repeat(40)], [], ["y.txt"]],
  );
  assert.throws(() => parseRawSections(`${change("x")[0]}\0x\0`), /before any commit/);
});

Deno.test("scanPush() on a merge with nothing new against one parent (-s ours)", async () => {
  await withRepo(async (dir) => {
    const g = (args: string[]) => git(dir, args);
    await g(["checkout", "-q", "--detach"]);
    await g(["checkout", "-q", "-b", "side"]);
    await Deno.writeTextFile(join(dir, "side.txt"), "side\n");
    await g(["add", "side.txt"]);
    await g(["commit", "-qm", "side"]);
    await g(["checkout", "-q", "--detach", "main"]);
    await g(["merge", "-q", "-s", "ours", "-m", "ours", "side"]);
    const merge = await g(["rev-parse", "HEAD"]);
    await g(["checkout", "-q", "-f", "main"]);
    await g(["branch", "-D", "-q", "side"]);
    const scan = await scanPush(merge, SECRETS);
    assert.deepEqual(scan.commits.map((c) => c.touched), [["side.txt"], []]);
  });
});

Deno.test("scanPush() reads a file of more secrets than a call takes arguments", async () => {
  await withRepo(async (dir) => {
    // Past ~120,000, spreading a file's findings into one push overflowed the stack.
    const lines = Array.from(
      { length: 140_000 },
      (_, i) => `k${i} ${TOKEN.slice(0, -6)}${String(i).padStart(6, "0")}`,
    );
    const sha = await commitDetached(dir, { "dump.txt": lines.join("\n") }, "add a dump");
    const scan = await scanPush(sha, SECRETS);
    assert.equal(scan.commits[0]!.findings.length, 140_000);
  });
});

Deno.test("scanPush() finds a secret in the name of a file or a directory, and names them without it", async () => {
  await withRepo(async (dir) => {
    // A new file named for the token; a directory named for its base64; an existing file
    // moved under a name holding it (its content is not new); a file that names it in
    // its content too, in a directory so named.
    await git(dir, ["checkout", "-q", "main"]);
    await git(dir, ["mv", "config.txt", `moved-${TOKEN}.txt`]);
    const sha = await commitDetached(dir, {
      [`notes/${TOKEN}.md`]: "plain\n",
      [`cache/${btoa(TOKEN)}/index`]: "plain\n",
      [`keys/${TOKEN}/key.txt`]: `token = ${TOKEN}\n`,
      // Cut at a directory's slash: the path's parts are read joined, as the DLP reads a
      // URL's.
      [`split/${TOKEN.slice(0, 12)}/${TOKEN.slice(12)}.md`]: "plain\n",
      "ordinary/file.txt": "plain\n",
    }, "names");
    const scan = await scanPush(sha, SECRETS);
    const findings = scan.commits[0]!.findings.map((f) => [f.file, f.rule, f.line]).sort();
    // Base64 holds slashes: its run starts the path, which is hidden whole.
    assert.deepEqual(findings, [
      ["[name holding a secret]", "github-token", 0],
      ["[name holding a secret]", "github-token", 0],
      ["keys/[name holding a secret]", "github-token", 0],
      ["keys/[name holding a secret]", "github-token", 1],
      ["notes/[name holding a secret]", "github-token", 0],
      ["split/[name holding a secret]", "github-token", 0],
    ]);
    assert.ok(!JSON.stringify(scan.commits[0]!.findings).includes(TOKEN));
    assert.ok(!JSON.stringify(scan.commits[0]!.findings).includes(btoa(TOKEN)));
    assert.equal(scan.pathLabels?.get(`notes/${TOKEN}.md`), "notes/[name holding a secret]");
    // Two names that make a token only joined (as lines of a file are): neither holds one.
    const halves = await commitDetached(dir, {
      [`a/${TOKEN.slice(0, 20)}`]: "plain\n",
      [`b${TOKEN.slice(21)}`]: "plain\n",
    }, "halves");
    assert.deepEqual((await scanPush(halves, SECRETS)).commits.at(-1)!.findings, []);
    // A change to a file under a name it already had is no new name.
    const edit = await commitDetached(dir, { "ordinary/file.txt": "plain, edited\n" }, "edit");
    assert.deepEqual((await scanPush(edit, SECRETS)).commits.at(-1)!.findings, []);
  });
});

Deno.test("scanPush() scans every header of a commit but its hashes, and a signature block in a message", async () => {
  await withRepo(async (dir) => {
    // A message with a token inside what looks like a signature block.
    const signed = await commitDetached(
      dir,
      { "s.txt": "s\n" },
      `subject\n\n-----BEGIN PGP SIGNATURE-----\n${TOKEN}\n-----END PGP SIGNATURE-----\n`,
    );
    assert.deepEqual(
      (await scanPush(signed, SECRETS)).commits[0]!.findings.map((f) => [f.file, f.line, f.rule]),
      [["(commit message)", 4, "github-token"]],
    );
    // A commit made by hand with a header git keeps without knowing it, and the token's
    // base64 in a signature header.
    const tree = await git(dir, ["rev-parse", `${signed}^{tree}`]);
    const parent = await git(dir, ["rev-parse", "main"]);
    const made = await git(
      dir,
      ["hash-object", "-t", "commit", "-w", "--stdin", "--literally"],
      [
        `tree ${tree}`,
        `parent ${parent}`,
        "author a <a@b.invalid> 1 +0000",
        "committer a <a@b.invalid> 1 +0000",
        `x-data ${TOKEN}`,
        "gpgsig -----BEGIN PGP SIGNATURE-----",
        ` ${btoa(TOKEN)}`,
        " -----END PGP SIGNATURE-----",
        "",
        "plain",
        "",
      ].join("\n"),
    );
    assert.deepEqual(
      (await scanPush(made, SECRETS)).commits[0]!.findings.map((f) => [f.file, f.line, f.rule]),
      [["(commit header)", 3, "github-token"], ["(commit header)", 5, "github-token"]],
    );
  });
});
