/**
 * @module
 * The bottle's audit log: one JSON object per line, appended by every daemon. Entries
 * name hosts, methods, paths and decisions, never header values or bodies.
 */

/** One audit entry; `kind` says which daemon wrote it. */
export interface AuditEntry {
  kind: "egress" | "git" | "supervise" | "bundle" | "dns";
  action: string;
  [key: string]: unknown;
}

/** Appends entries to a JSONL file (and mirrors them to stdout for `docker logs`). */
export class AuditLog {
  readonly #path: string;
  readonly #encoder = new TextEncoder();
  #queue: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.#path = path;
  }

  /** Records an entry; writes are serialised so lines never interleave. */
  write(entry: AuditEntry): void {
    const line = JSON.stringify({ ts: new Date().toISOString(), ...entry }) + "\n";
    this.#queue = this.#queue.then(() =>
      Deno.writeFile(this.#path, this.#encoder.encode(line), { append: true, mode: 0o640 })
    ).catch((error) => {
      // deno-lint-ignore no-console
      console.error(`audit log write failed: ${error}`);
    });
  }

  /** Resolves when every entry so far is on disk. */
  flush(): Promise<void> {
    return this.#queue;
  }
}
