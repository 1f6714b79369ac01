/**
 * @module
 * One `git cat-file --batch-command` for a whole push: the type, size and content of
 * each object over its pipes. A process per blob made a push of a few thousand files
 * take minutes. Requests are written as they are asked and answers read in the same
 * order, each as soon as git gives it: a caller that asks many at once (`Promise.all`)
 * waits one round trip, not one per object (a push of 20,000 files had waited 6 s for
 * them). Answers are read whatever the writes do: writing every name before reading any
 * answer deadlocked once the answers filled the pipe (git stops reading until its output
 * is read).
 */

import { Buffered } from "../../lib/buffered.ts";
import { concat } from "../../lib/bytes.ts";
import { gitEnv } from "./git.ts";

/** What git says of an object. */
export interface ObjectInfo {
  type: string;
  size: number;
}

const LF = new Uint8Array([10]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A running `git cat-file --batch-command` in `cwd` (the repository). */
export class CatFile implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: Buffered;
  readonly #out: ReadableStreamDefaultReader<Uint8Array>;
  /** Answers are read in the order their requests were written, one after another. */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(options: { cwd?: string } = {}) {
    this.#child = new Deno.Command("git", {
      args: ["cat-file", "--batch-command"],
      cwd: options.cwd,
      env: gitEnv(),
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    const out = this.#out = this.#child.stdout.getReader();
    this.#reader = new Buffered({
      read: async () => {
        const r = await out.read();
        return r.done ? null : r.value;
      },
    });
  }

  /** The type and size of `name` (an object id or any revision), or undefined if missing. */
  info(name: string): Promise<ObjectInfo | undefined> {
    return this.#ask(`info ${name}`, (info) => Promise.resolve(info));
  }

  /** The type and content of `name`, or undefined if missing. */
  contents(name: string): Promise<(ObjectInfo & { bytes: Uint8Array }) | undefined> {
    return this.#ask(`contents ${name}`, async (info) => {
      // Taken as it comes (a growing buffer would copy a large blob over and over).
      const parts: Uint8Array[] = [];
      for (let left = info.size; left > 0;) {
        const part = await this.#reader.some(left);
        if (part === null) throw new Error("git cat-file ended in the middle of an object");
        parts.push(part);
        left -= part.length;
      }
      if ((await this.#reader.until(LF, 1))?.length !== 1) {
        throw new Error("git cat-file: no line break after an object");
      }
      return { ...info, bytes: concat(parts) };
    });
  }

  #ask<T>(
    command: string,
    answer: (info: ObjectInfo) => Promise<T>,
  ): Promise<T | undefined> {
    if (/[\n\0]/.test(command)) {
      return Promise.reject(new Error("an object name with a line break"));
    }
    // Written now, in order (a write that fails shows as the answer that never comes).
    this.#writer.write(encoder.encode(`${command}\n`)).catch(() => {});
    const run = async () => {
      const line = await this.#reader.until(LF, 4096);
      if (line === undefined) throw new Error("git cat-file ended");
      const head = decoder.decode(line).trimEnd();
      const m = /^[0-9a-f]+ (\S+) (\d+)$/.exec(head);
      if (!m) {
        if (/ (missing|ambiguous)$/.test(head)) return undefined;
        throw new Error(`git cat-file: unexpected answer "${head.slice(0, 200)}"`);
      }
      return await answer({ type: m[1]!, size: Number(m[2]) });
    };
    const result = this.#turn.then(run, run);
    this.#turn = result.catch(() => {});
    return result;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.#out.cancel().catch(() => {});
    await this.#child.status;
  }
}
