import assert from "node:assert/strict";
import { join } from "node:path";
import { captureRaw, shell } from "../shell.ts";
import { randomBytes } from "../bytes.ts";
import { agentGitConfig, packedRefs } from "./pack.ts";
import { firstSecretInFile, locateWorkspace, selectWorkspace, sizeText } from "./select.ts";
import { gzipSync } from "node:zlib";
import { zipOf } from "../../tests/zip_fixture.ts";
import { CleanContents } from "./verdicts.ts";
import { gitObjectId } from "../secrets/gitpack.ts";

const $ = await shell();

async function repo(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const g = (args: string[]) =>
    captureRaw($`git -C ${dir} -c user.name=t -c user.email=t@t.invalid ${args}`);
  await g(["init", "-q", "-b", "main"]);
  await Deno.writeTextFile(join(dir, ".gitignore"), ".env\ndist/\n");
  await Deno.writeTextFile(join(dir, ".env"), "PASSWORD=x\n");
  await Deno.mkdir(join(dir, "dist"));
  await Deno.writeTextFile(join(dir, "dist", "app.js"), "x\n");
  await Deno.mkdir(join(dir, "src"));
  await Deno.writeTextFile(join(dir, "src", "app.ts"), "export const x = 1;\n");
  await Deno.writeTextFile(
    join(dir, "src", "keys.ts"),
    `export const id = "AKIA${"QYLPMN5HFIQR7XZB"}";\n`,
  );
  await g(["add", "."]);
  await g(["commit", "-qm", "first"]);
  await Deno.writeTextFile(join(dir, "src", "new.ts"), "new\n");
  return dir;
}

Deno.test("selectWorkspace() carries what git would, and leaves out ignored and flagged files", async () => {
  const dir = await repo();
  try {
    const at = await locateWorkspace(join(dir, "src"));
    assert.equal(at.root, dir);
    assert.equal(at.subdir, "src");
    const sel = await selectWorkspace(at, []);
    assert.deepEqual(sel.paths, [".gitignore", "src/app.ts", "src/new.ts"]);
    assert.deepEqual(sel.flagged.map((f) => [f.path, f.rule, f.line, f.included]), [
      ["src/keys.ts", "aws-access-key-id", 1, false],
    ]);
    assert.deepEqual(sel.trackedLeftOut, ["src/keys.ts"]);
    const inc = await selectWorkspace(at, ["keys.ts", "../.env"]);
    assert.deepEqual(inc.paths, [".env", ".gitignore", "src/app.ts", "src/keys.ts", "src/new.ts"]);
    assert.deepEqual(inc.ignoredIncluded, [".env"]);
    assert.equal(inc.flagged[0]!.included, true);
    await assert.rejects(() => selectWorkspace(at, ["../../outside"]), /not a path inside/);
    await assert.rejects(() => selectWorkspace(at, ["missing.ts"]), /does not exist/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("selectWorkspace() shares its verdicts with the history's: a file's content is named as git names its blob", async () => {
  for (const format of ["sha1", "sha256"] as const) {
    const dir = await Deno.makeTempDir();
    try {
      const g = async (args: string[]) =>
        (await captureRaw($`git -C ${dir} -c user.name=t -c user.email=t@t.invalid ${args}`))
          .stdout.trim();
      await g(["init", "-q", "-b", "main", `--object-format=${format}`]);
      await Deno.writeTextFile(join(dir, "app.ts"), "export const x = 1;\n");
      await Deno.writeTextFile(
        join(dir, "keys.ts"),
        `export const id = "AKIA${"QYLPMN5HFIQR7XZB"}";\n`,
      );
      await g(["add", "."]);
      await g(["commit", "-qm", "first"]);
      const app = await g(["rev-parse", "HEAD:app.ts"]);
      const keys = await g(["rev-parse", "HEAD:keys.ts"]);
      assert.equal(gitObjectId("blob", await Deno.readFile(join(dir, "app.ts")), format), app);
      const clean = await CleanContents.open(undefined, format);
      const sel = await selectWorkspace(await locateWorkspace(dir), [], clean);
      assert.deepEqual(sel.paths, ["app.ts"]);
      // The history's scan reads no blob the tree's found clean, and still reads the other.
      assert.equal(clean.has(app), true, format);
      assert.equal(clean.has(keys), false, format);
      // A content held clean is not scanned again: here, one held so that is not.
      clean.add(keys);
      const again = await selectWorkspace(await locateWorkspace(dir), [], clean);
      assert.deepEqual(again.paths, ["app.ts", "keys.ts"]);
      assert.deepEqual(again.flagged, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("selectWorkspace() carries a submodule and a repository inside the tree as their own git would", async () => {
  const dir = await repo();
  const lib = await Deno.makeTempDir();
  try {
    const g = (cwd: string, args: string[]) =>
      captureRaw(
        $`git -C ${cwd} -c user.name=t -c user.email=t@t.invalid -c protocol.file.allow=always ${args}`,
      );
    // A library with its own .gitignore, added as a submodule.
    await g(lib, ["init", "-q", "-b", "main"]);
    await Deno.writeTextFile(join(lib, ".gitignore"), ".env\nnode_modules/\n");
    await Deno.writeTextFile(join(lib, "lib.ts"), "export {};\n");
    await g(lib, ["add", "."]);
    await g(lib, ["commit", "-qm", "lib"]);
    assert.equal((await g(dir, ["submodule", "add", "-q", lib, "vendor/lib"])).code, 0);
    await g(dir, ["commit", "-qm", "submodule"]);
    await Deno.writeTextFile(join(dir, "vendor", "lib", ".env"), "DEBUG=1\n");
    await Deno.mkdir(join(dir, "vendor", "lib", "node_modules", "x"), { recursive: true });
    await Deno.writeTextFile(join(dir, "vendor", "lib", "node_modules", "x", "i.js"), "x\n");
    await Deno.writeTextFile(join(dir, "vendor", "lib", "wip.ts"), "wip\n");
    // A clone inside the tree, not known to the outer repository, ignoring its build.
    const clone = join(dir, "tools", "gen");
    await Deno.mkdir(clone, { recursive: true });
    await g(clone, ["init", "-q", "-b", "main"]);
    await Deno.writeTextFile(join(clone, ".gitignore"), "build/\n");
    await Deno.writeTextFile(join(clone, "gen.ts"), "gen\n");
    await Deno.mkdir(join(clone, "build"));
    await Deno.writeTextFile(join(clone, "build", "out.js"), "out\n");

    const sel = await selectWorkspace(await locateWorkspace(dir), []);
    assert.deepEqual(sel.paths, [
      ".gitignore",
      ".gitmodules",
      "src/app.ts",
      "src/new.ts",
      "tools/gen/.gitignore",
      "tools/gen/gen.ts",
      "vendor/lib/.gitignore",
      "vendor/lib/lib.ts",
      "vendor/lib/wip.ts",
    ]);
    assert.deepEqual(sel.nested, ["tools/gen", "vendor/lib"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(lib, { recursive: true });
  }
});

Deno.test("selectWorkspace() outside git takes the directory whole, still scanned", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "a.txt"), "a\n");
    await Deno.writeTextFile(
      join(dir, ".env"),
      `TOKEN=ghp_${"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"}\n`,
    );
    const at = await locateWorkspace(dir);
    assert.equal(at.git, undefined);
    const sel = await selectWorkspace(at, []);
    assert.deepEqual(sel.paths, ["a.txt"]);
    assert.deepEqual(sel.flagged.map((f) => f.path), [".env"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("selectWorkspace() scans a binary file as the text it shows (UTF-16 as written), at its line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // 3 MiB of random bytes (decoded as UTF-8, that took seconds to scan), with and
    // without a key on the fourth line.
    const random = randomBytes(3 << 20);
    const clean = random.map((b) => (b === 10 ? 11 : b));
    clean[0] = 0;
    await Deno.writeFile(join(dir, "clean.bin"), clean);
    const key = new TextEncoder().encode(`\n\n\nid = "AKIA${"QYLPMN5HFIQR7XZB"}"\n`);
    const keyed = new Uint8Array(clean.length + key.length);
    keyed.set(clean.subarray(0, 1000));
    keyed.set(key, 1000);
    keyed.set(clean.subarray(1000), 1000 + key.length);
    await Deno.writeFile(join(dir, "keyed.bin"), keyed);
    // A script Windows PowerShell's `>` wrote: UTF-16 with a byte-order mark, so binary
    // to git; the key on its second line.
    const script = `# setup\r\n$env:AWS_KEY_ID = "AKIA${"QYLPMN5HFIQR7XZB"}"\r\n`;
    await Deno.writeFile(
      join(dir, "setup.ps1"),
      new Uint8Array([0xff, 0xfe, ...[...script].flatMap((c) => [c.charCodeAt(0), 0])]),
    );
    const sel = await selectWorkspace(await locateWorkspace(dir), []);
    assert.deepEqual(sel.paths, ["clean.bin"]);
    assert.deepEqual(sel.flagged.map((f) => [f.path, f.rule, f.line]).sort(), [
      ["keyed.bin", "aws-access-key-id", 4],
      ["setup.ps1", "aws-access-key-id", 2],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("selectWorkspace() leaves out a gzip file or a zip archive holding a secret", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const key = new TextEncoder().encode(`AWS_ACCESS_KEY_ID=AKIA${"QYLPMN5HFIQR7XZB"}\n`);
    const notes = new TextEncoder().encode("just notes\n");
    await Deno.writeFile(join(dir, "env.gz"), gzipSync(key));
    await Deno.writeFile(join(dir, "backup.zip"), zipOf([["a.txt", notes], [".env", key]]));
    await Deno.writeFile(join(dir, "notes.gz"), gzipSync(notes));
    await Deno.writeFile(join(dir, "notes.zip"), zipOf([["a.txt", notes]]));
    const sel = await selectWorkspace(await locateWorkspace(dir), []);
    assert.deepEqual(sel.paths.toSorted(), ["notes.gz", "notes.zip"]);
    assert.deepEqual(sel.flagged.map((f) => [f.path, f.rule]).toSorted(), [
      ["backup.zip", "aws-access-key-id"],
      ["env.gz", "aws-access-key-id"],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("firstSecretInFile() reads a file in pieces, finds a secret across their seams, and lets timers run", async () => {
  const key = `id = "AKIA${"QYLPMN5HFIQR7XZB"}"`;
  const filler = (n: number) => Array.from({ length: n }, (_, i) => `line ${i} of plain text`);
  const dir = await Deno.makeTempDir();
  const scan = async (text: string | Uint8Array) => {
    const path = join(dir, "f");
    if (typeof text === "string") await Deno.writeTextFile(path, text);
    else await Deno.writeFile(path, text);
    // Pieces of 1000 bytes.
    return await firstSecretInFile(path, 1000);
  };
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    // The key's line starts a little before the first seam.
    const text = [...filler(40), "plain ".repeat(20), key, ...filler(4000)].join("\n");
    const seam = text.indexOf(key);
    assert.ok(seam < 1000 && seam + key.length > 1000, `the key straddles the seam (${seam})`);
    assert.deepEqual(await scan(text), { rule: "aws-access-key-id", line: 42 });
    // One near the end, many pieces in; none at all.
    assert.deepEqual(await scan([...filler(4000), key].join("\n")), {
      rule: "aws-access-key-id",
      line: 4001,
    });
    assert.equal(await scan(filler(4000).join("\n")), undefined);
    // A line longer than a piece still moves on, and counts as one line.
    assert.deepEqual(await scan("x".repeat(5000) + "\n" + key), {
      rule: "aws-access-key-id",
      line: 2,
    });
    // Characters of several bytes cut by a seam are decoded whole: a key whose first
    // letter is a Cyrillic look-alike cut by the fourth seam is still found.
    const wide = "x" + "\u0436".repeat(1999) + "\u0410" + key.slice(7, -1);
    assert.equal(new TextEncoder().encode(wide.slice(0, 2000)).length, 3999);
    assert.deepEqual(await scan(wide), { rule: "aws-access-key-id", line: 1 });
    // A small file is read in one call (its size known from the listing), lines counted
    // the same; one that grew past a piece since is read in pieces after all.
    const small = join(dir, "small");
    await Deno.writeTextFile(small, `a\nb\n${key}\n`);
    assert.deepEqual(await firstSecretInFile(small, 1000, 10), {
      rule: "aws-access-key-id",
      line: 3,
    });
    const grown = join(dir, "grown");
    await Deno.writeTextFile(grown, [...filler(200), key].join("\n"));
    assert.deepEqual(await firstSecretInFile(grown, 1000, 10), {
      rule: "aws-access-key-id",
      line: 201,
    });
    // A binary file is scanned as the text it shows, lines counted as in the file.
    const binary = new Uint8Array(3000);
    binary.set(new TextEncoder().encode(`\0\0\n\n${key}\n`), 2500);
    assert.deepEqual(await scan(binary), { rule: "aws-access-key-id", line: 3 });
  } finally {
    clearInterval(timer);
    await Deno.remove(dir, { recursive: true });
  }
  assert.ok(ticks > 0, "timers ran while the pieces were scanned");
});

Deno.test("agentGitConfig() points origin at the gate and keeps nothing of the host", () => {
  const text = agentGitConfig(
    "git://10.0.0.2:9418/_workspace.git",
    "ref: refs/heads/main",
    { "refs/heads/main": "a".repeat(40) },
    undefined,
    [{ name: "project", url: "git@github.com:me/p.git" }, { name: "origin", url: "x" }],
  );
  assert.match(text, /\[remote "origin"\]\n\turl = git:\/\/10\.0\.0\.2:9418\/_workspace\.git/);
  assert.match(text, /\[remote "project"\]\n\turl = git@github\.com:me\/p\.git/);
  assert.match(text, /\[branch "main"\]\n\tremote = origin\n\tmerge = refs\/heads\/main/);
  assert.equal(text.match(/\[remote /g)?.length, 2, "an entry named origin does not replace it");
  assert.doesNotMatch(text, /hooksPath|fsmonitor|credential|sshCommand/);
  assert.equal(
    packedRefs({ "refs/tags/v1": "b".repeat(40), "refs/heads/main": "a".repeat(40) }),
    `${"a".repeat(40)} refs/heads/main\n${"b".repeat(40)} refs/tags/v1\n`,
  );
});

Deno.test("sizeText() shows kB below a megabyte (never 0), MB with a decimal below ten", () => {
  assert.deepEqual(
    [10, 16_384, 999_499, 3_300_000, 677_000_000].map(sizeText),
    ["1 kB", "16 kB", "999 kB", "3.3 MB", "677 MB"],
  );
});
