import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { sh } from "../../tests/shell.ts";
import { concat } from "../bytes.ts";
import { delta, packOf } from "../../tests/pack_fixture.ts";
import { CompressedError } from "./compressed.ts";
import {
  gitObjectId,
  MAX_PACK_OBJECTS,
  MAX_PACK_PATHS,
  packObjects,
  treePaths,
} from "./gitpack.ts";
import { findSecrets, secretInName } from "./mod.ts";

// Built at run time so that this file itself holds nothing a scanner would flag.
const GH = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const rules = (b: Uint8Array) => findSecrets(decode(b)).map((f) => f.rule);
const opened = (pack: Uint8Array) => packObjects(pack, 32 << 20).map(decode).join("\n");

/** A source file of `n` lines, different enough from line to line for git to deltify it. */
const source = (n: number) =>
  Array.from({ length: n }, (_, i) => `export const value${i} = compute(${i * 7}, "${i}");`)
    .join("\n") + "\n";

/** A repository in a temporary directory; `pack(revs)`: `git pack-objects` of those revisions. */
async function repository() {
  const dir = await Deno.makeTempDir({ prefix: "bot-bottle-pack-" });
  await sh("git init -q -b main .", dir);
  return {
    dir,
    commit: (file: string, text: string, message = "change") =>
      Deno.writeTextFile(join(dir, file), text).then(() =>
        sh(`git add -A && git commit -qm '${message}'`, dir)
      ),
    // Into the repository's own .git (a name in the shared /tmp clashed between test runs).
    pack: async (revs: string, thin = false) => {
      await sh(
        `printf '${revs}' | git pack-objects --revs --stdout ${
          thin ? "--thin" : ""
        } > .git/out.pack`,
        dir,
      );
      return await Deno.readFile(join(dir, ".git", "out.pack"));
    },
    [Symbol.asyncDispose]: async () => {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("a secret committed and packed for a push is found in the pack's objects", async () => {
  await using repo = await repository();
  await repo.commit("config.ts", `export const token = "${GH}";\n`, "add config");
  const pack = await repo.pack("HEAD\\n");
  assert.deepEqual(rules(pack), [], "compressed, the pack shows the scanner nothing");
  const text = opened(pack);
  assert.ok(text.includes(GH));
  assert.ok(text.includes("add config"), "commit messages are opened too");
  assert.deepEqual(findSecrets(text).map((f) => f.rule), ["github-token"]);
});

Deno.test("a token in the name of a file or a directory is found in the pack's trees", async () => {
  await using repo = await repository();
  await Deno.mkdir(join(repo.dir, `cache-${GH}`));
  await repo.commit(`cache-${GH}/index.txt`, "plain\n", "add a cache");
  await repo.commit(`notes.${GH}.md`, "plain\n", "add notes");
  const text = opened(await repo.pack("HEAD\n"));
  // One line a name, object ids left out; each commit's root tree names the directory.
  assert.deepEqual(text.split("\n").filter((l) => l.includes(GH)).sort(), [
    `cache-${GH}`,
    `cache-${GH}`,
    `notes.${GH}.md`,
  ]);
  assert.equal(findSecrets(text).filter((f) => f.rule === "github-token").length, 3);
});

Deno.test("a push of a change (a thin pack: the file as a delta against what the server has) shows the lines it adds", async () => {
  await using repo = await repository();
  await repo.commit("app.ts", source(300));
  const lines = source(300).split("\n");
  lines.splice(150, 0, `const token = "${GH}";`);
  await repo.commit("app.ts", lines.join("\n"));
  const pack = await repo.pack("HEAD\\n^HEAD~1\\n", true);
  const text = opened(pack);
  assert.ok(text.includes(`const token = "${GH}`), text.slice(0, 400));
  assert.deepEqual(findSecrets(text).map((f) => f.rule), ["github-token"]);
  // The changed file went as a delta whose base is not in the pack: none of the lines
  // it keeps are in the pack.
  assert.ok(!text.includes("value10 "), "nothing of the base but what the delta inserts");
});

Deno.test("a token split between a file and a delta on it is found in the file the delta makes", async () => {
  const half = GH.slice(0, 20);
  const base = encode(`const a = "${half}`);
  const rest = `${GH.slice(20)}";\n`;
  const id = createHash("sha1").update(`blob ${base.length}\0`).update(base).digest("hex");
  for (
    const pack of [
      packOf([[3, base], [6, [0, delta(base.length, base.length, rest)]]]),
      packOf([[3, base], [7, [id, delta(base.length, base.length, rest)]]]),
      // A delta on a delta, its base named by id and coming after it.
      packOf([
        [7, [id, delta(base.length, base.length, "x")]],
        [3, base],
        [6, [0, delta(base.length + 1, base.length, rest)]],
      ]),
    ]
  ) {
    // The fixture is a pack git itself reads.
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeFile(join(dir, "p.pack"), pack);
      await sh("git init -q . && git index-pack p.pack >/dev/null", dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    // Each object is scanned by itself, as the proxy scans them.
    assert.deepEqual(packObjects(pack, 1 << 20).flatMap(rules), ["github-token"]);
  }
});

Deno.test("the paths a pack's trees make are listed, so that a token cut at a directory's slash is found", async () => {
  await using repo = await repository();
  await Deno.mkdir(join(repo.dir, "docs", GH.slice(0, 16)), { recursive: true });
  await repo.commit(`docs/${GH.slice(0, 16)}/${GH.slice(16)}.md`, "plain\n", "cut");
  await repo.commit("README.md", "a readme\n");
  const paths: string[] = [];
  const pack = await repo.pack("HEAD\n");
  packObjects(pack, 32 << 20, paths);
  // Two levels deep or more, from each commit's root (the root's own names are read in
  // its tree).
  assert.deepEqual(
    new Set(paths),
    new Set([`docs/${GH.slice(0, 16)}`, `docs/${GH.slice(0, 16)}/${GH.slice(16)}.md`]),
  );
  // Each name is read alone (a tree's names, an object apart from the next); the path
  // holds the token, its parts joined.
  assert.ok(packObjects(pack, 32 << 20).every((part) => !decode(part).includes(GH)));
  assert.equal(
    secretInName(`docs/${GH.slice(0, 16)}/${GH.slice(16)}.md`)?.finding.rule,
    "github-token",
  );
});

/** A tree object's content: entries as `[mode, name, id]`, in the order given. */
function treeOf(entries: [string, string, string][]): Uint8Array {
  return concat(entries.map(([mode, name, id]) =>
    concat([
      new TextEncoder().encode(`${mode} ${name}\0`),
      new Uint8Array(id.match(/../g)!.map((h) => parseInt(h, 16))),
    ])
  ));
}
const treeId = (tree: Uint8Array) => gitObjectId("tree", tree);

Deno.test("treePaths() follows a directory under each name it has, and refuses trees that make too many paths", () => {
  // One directory under two names: read under the first only, the second (the token's
  // first half, the file in it its rest) would pass.
  const [head, tail] = [GH.slice(0, 16), GH.slice(16)];
  const inner = treeOf([["100644", tail, "ab".repeat(20)]]);
  const root = treeOf([["40000", "aaa", treeId(inner)], ["40000", head, treeId(inner)]]);
  assert.deepEqual(treePaths([root, inner]).sort(), [`aaa/${tail}`, `${head}/${tail}`]);
  // Two names at each of 18 levels for one tree each: 2^18 paths, past the limit. Refused,
  // not read in part.
  let tree = treeOf([["100644", "leaf", "cd".repeat(20)]]);
  const trees = [tree];
  for (let level = 0; level < 18; level++) {
    tree = treeOf([["40000", "a", treeId(tree)], ["40000", "b", treeId(tree)]]);
    trees.push(tree);
  }
  assert.ok(2 ** 18 > MAX_PACK_PATHS);
  assert.throws(() => treePaths(trees), CompressedError);
});

Deno.test("a SHA-256 repository's trees are read with their 32-byte ids: every name, and the paths they make", () => {
  const [head, tail] = [GH.slice(0, 16), GH.slice(16)];
  const inner = treeOf([["100644", "a.txt", "ab".repeat(32)], ["100644", tail, "cd".repeat(32)]]);
  const id = gitObjectId("tree", inner, "sha256");
  const root = treeOf([["100644", "README.md", "ef".repeat(32)], ["40000", head, id]]);
  // Read with 20-byte ids, every name after the first had been bytes of an id.
  const names = packObjects(packOf([[2, root], [2, inner]]), 1 << 20).map(decode);
  assert.deepEqual(names, [`README.md\n${head}\n`, `a.txt\n${tail}\n`]);
  assert.deepEqual(
    new Set(treePaths([root, inner])),
    new Set([`${head}/a.txt`, `${head}/${tail}`]),
  );
});

Deno.test("a push request (commands, then the pack) is opened; bytes that only look like a pack are not", async () => {
  await using repo = await repository();
  await repo.commit("config.ts", `export const token = "${GH}";\n`);
  const pack = await repo.pack("HEAD\\n");
  const command = `${"0".repeat(40)} ${"1".repeat(40)} refs/heads/main\0report-status`;
  const pkt = (s: string) => (s.length + 4).toString(16).padStart(4, "0") + s;
  const body = concat([encode(pkt(command) + "0000"), pack]);
  assert.ok(opened(body).includes(GH));
  assert.deepEqual(packObjects(encode("PACK\0\0\0\x02\0\0\0\x01 not a pack at all"), 1 << 20), []);
  assert.deepEqual(packObjects(encode("a PACKing list, PACK\0\0\0\x09"), 1 << 20), []);
});

Deno.test("a pack that opens past the limit, or holds too many objects, is refused, not scanned in part", () => {
  const big = packOf([[3, new Uint8Array(2 << 20)]]);
  assert.throws(
    () => packObjects(big, 1 << 20),
    (e) => e instanceof CompressedError && e.kind === "large",
  );
  const many = packOf([[3, encode("x")]]);
  new DataView(many.buffer).setUint32(8, MAX_PACK_OBJECTS + 1);
  assert.throws(
    () => packObjects(many, 1 << 20),
    (e) => e instanceof CompressedError && e.kind === "large",
  );
  // A pack whose second object does not open: what the server would get is not known.
  const pack = packOf([[3, encode("first file\n")], [3, encode("second file\n")]]);
  const broken = pack.slice();
  // The last byte of its zlib data: its checksum.
  broken[broken.length - 21] = broken[broken.length - 21]! ^ 0xff;
  assert.throws(
    () => packObjects(broken, 1 << 20),
    (e) => e instanceof CompressedError && e.kind === "malformed",
  );
  assert.equal(packObjects(pack, 1 << 20).length, 2);
  // A delta whose result is past the limit.
  const base = encode("abc");
  const bomb = packOf([[3, base], [6, [0, delta(3, 3, "y".repeat(100))]]]);
  assert.throws(
    () => packObjects(bomb, 64),
    (e) => e instanceof CompressedError && e.kind === "large",
  );
});
