/**
 * @module
 * A coding agent's conversation as the bench sends it to the DLP: source files of this
 * project (as of `BODY_COMMIT`), read one a turn, in model API requests that each repeat
 * the one before.
 */

import { join } from "node:path";

/**
 * The commit whose `lib/` and `sidecars/` make the bench's bodies. Taken from the
 * checkout, they changed with every change to those folders, and the series measured the
 * body as much as the code: b162 scanned the same code a fifth slower over the body that a
 * split of modules made. This is the body b163 scanned.
 */
export const BODY_COMMIT = "6fd192f9b91fcfec2d94006cb14350cf1a28bb41";

/** The checkout's root. */
const ROOT = join(import.meta.dirname!, "..");

/** Source files, by path (relative to the checkout's root), and where they were read. */
export interface SourceFiles {
  files: { path: string; text: string }[];
  /** `commit`'s (from git), or, where git or that commit is not at hand, the checkout's. */
  from: string;
}

/**
 * The TypeScript files under `lib/` and `sidecars/` as of `commit` (read with git, which
 * the process must be allowed to run), by path; or, where git or the commit is not at hand
 * (a shallow clone, a copy without `.git`), the checkout's own, as `from` says.
 */
export async function sourceFiles(commit = BODY_COMMIT): Promise<SourceFiles> {
  try {
    const files = await filesAt(commit);
    if (files.length > 0) return { files, from: `commit ${commit.slice(0, 12)}` };
  } catch {
    // Not at hand: the checkout's below.
  }
  const files: { path: string; text: string }[] = [];
  const walk = async (path: string): Promise<void> => {
    for await (const entry of Deno.readDir(join(ROOT, path))) {
      const child = `${path}/${entry.name}`;
      if (entry.isDirectory) await walk(child);
      else if (entry.name.endsWith(".ts")) {
        files.push({ path: child, text: await Deno.readTextFile(join(ROOT, child)) });
      }
    }
  };
  for (const folder of ["lib", "sidecars"]) await walk(folder);
  return {
    files: files.toSorted((a, b) => a.path < b.path ? -1 : 1),
    from: `this checkout (commit ${commit.slice(0, 12)} is not at hand)`,
  };
}

/**
 * The JavaScript and TypeScript of the npm packages this checkout depends on, by path
 * (`node_modules/.deno`, as Deno lays them out at the versions deno.lock pins): other
 * projects' code, as an agent reads a project's dependencies. Minified files are left out
 * (an agent reads sources). Empty where that folder is not at hand. `root`: the checkout's.
 */
export async function dependencyFiles(
  root: string = ROOT,
): Promise<{ path: string; text: string }[]> {
  const files: { path: string; text: string }[] = [];
  const walk = async (path: string): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(join(root, path)));
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = `${path}/${entry.name}`;
      // A package's own dependencies are links to their own folders, read there.
      if (entry.isSymlink) continue;
      if (entry.isDirectory) await walk(child);
      else if (/\.(?:[cm]?js|ts)$/.test(entry.name) && !entry.name.endsWith(".min.js")) {
        files.push({ path: child, text: await Deno.readTextFile(join(root, child)) });
      }
    }
  };
  await walk("node_modules/.deno");
  return files.toSorted((a, b) => a.path < b.path ? -1 : 1);
}

/** The `.ts` files under `lib/` and `sidecars/` at `commit`, by path: two git processes. */
async function filesAt(commit: string): Promise<{ path: string; text: string }[]> {
  const git = async (args: string[], stdin?: Uint8Array): Promise<Uint8Array> => {
    const child = new Deno.Command("git", {
      args: ["-C", ROOT, ...args],
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    if (stdin) {
      const writer = child.stdin.getWriter();
      await writer.write(stdin);
      await writer.close();
    }
    const { success, stdout } = await child.output();
    if (!success) throw new Error(`git ${args[0]} failed`);
    return stdout;
  };
  const entries = new TextDecoder().decode(
    await git(["ls-tree", "-r", "-z", commit, "--", "lib", "sidecars"]),
  ).split("\0").flatMap((line) => {
    // `<mode> <type> <object>\t<path>`
    const m = /^\d+ blob ([0-9a-f]+)\t(.+\.ts)$/.exec(line);
    return m ? [{ object: m[1]!, path: m[2]! }] : [];
  });
  const out = await git(
    ["cat-file", "--batch"],
    new TextEncoder().encode(entries.map((e) => e.object).join("\n") + "\n"),
  );
  // Each: `<object> blob <size>\n`, its bytes, `\n`.
  const files: { path: string; text: string }[] = [];
  let at = 0;
  for (const { path } of entries) {
    const header = out.indexOf(10, at);
    const size = Number(new TextDecoder().decode(out.subarray(at, header)).split(" ")[2]);
    if (!Number.isInteger(size)) throw new Error(`git cat-file: no size for ${path}`);
    files.push({
      path,
      text: new TextDecoder().decode(out.subarray(header + 1, header + 1 + size)),
    });
    at = header + 1 + size + 1;
  }
  return files.toSorted((a, b) => a.path < b.path ? -1 : 1);
}

/**
 * Of `files`, those that stand for the source code an agent reads: not tests, and not the
 * detector's own modules (`lib/secrets/`), made to hold what it finds (token prefixes,
 * encoded samples in their comments). Their share of a body taken from the checkout moved
 * with how they were cut into modules: the same code scanned a fifth slower over the body
 * that split made (b162).
 */
export function readByAgent(
  files: { path: string; text: string }[],
): { path: string; text: string }[] {
  return files.filter((f) => !f.path.endsWith("_test.ts") && !f.path.includes("/secrets/"));
}

/**
 * The requests of a conversation in which the agent reads `files` (see `readByAgent`) one
 * a turn, as Claude Code sends them: every turn so far, the last one marked for the
 * model's cache, then the tools described (some 60 KB), until a request is past 1.25 MiB.
 */
export function conversationRequests(files: { path: string; text: string }[]): Uint8Array[] {
  const read = readByAgent(files);
  const tools = read.slice(0, 12).map((f, i) => ({
    name: `Tool${i}`,
    description: f.text.slice(0, 5000),
    input_schema: { type: "object", properties: { command: { type: "string" } } },
  }));
  const messages: unknown[] = [{ role: "user", content: "Read the sources, one a turn." }];
  const out: Uint8Array[] = [];
  for (let i = 0; out.at(-1) === undefined || out.at(-1)!.length < 1.25 * (1 << 20); i++) {
    const file = read[i % read.length]!;
    const id = `toolu_${i}`;
    messages.push({
      role: "assistant",
      content: [{ type: "tool_use", id, name: "Bash", input: { command: `cat ${file.path}` } }],
    });
    messages.push({
      role: "user",
      content: [{
        type: "tool_result",
        tool_use_id: id,
        content: file.text.slice(0, 20_000),
        cache_control: { type: "ephemeral" },
      }],
    });
    const request = JSON.stringify({ model: "claude", messages, tools, stream: true });
    // Only the last turn stays marked.
    delete (messages.at(-1) as { content: { cache_control?: unknown }[] }).content[0]!
      .cache_control;
    out.push(new TextEncoder().encode(request));
  }
  return out;
}
