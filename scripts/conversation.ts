/**
 * @module
 * A coding agent's conversation as the bench sends it to the DLP: this checkout's source
 * files, read one a turn, in model API requests that each repeat the one before.
 */

import { join } from "node:path";

/** This checkout's TypeScript files under `lib/` and `sidecars/`, by path. */
export async function sourceFiles(): Promise<{ path: string; text: string }[]> {
  const files: { path: string; text: string }[] = [];
  const walk = async (path: string): Promise<void> => {
    for await (const entry of Deno.readDir(path)) {
      const child = join(path, entry.name);
      if (entry.isDirectory) await walk(child);
      else if (entry.name.endsWith(".ts")) {
        files.push({ path: child, text: await Deno.readTextFile(child) });
      }
    }
  };
  for (const folder of ["lib", "sidecars"]) await walk(join(import.meta.dirname!, "..", folder));
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
