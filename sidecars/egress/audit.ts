/**
 * @module
 * The bottle's audit log: one JSON object per line, appended by every daemon. Entries
 * name hosts, methods, paths and decisions, never header values or bodies; a secret in
 * what an entry holds (a path, a host name, a question the agent asked: text the agent
 * chose) is hidden when the entry is written out. Refusals repeated in a burst (an agent
 * hammering a denied host) are rate-limited: after a few alike in a minute, one summary
 * line counts the rest.
 */

import { hideSecrets } from "../../lib/secrets/mod.ts";

/** One audit entry; `kind` says which daemon wrote it. */
export interface AuditEntry {
  kind: "egress" | "git" | "supervise" | "bundle" | "dns";
  action: string;
  [key: string]: unknown;
}

/** Actions an agent can repeat at will; they are rate-limited per kind. */
const NOISY = new Set([
  "deny",
  "dlp-block",
  "dlp-audit",
  "dlp-cut",
  "error",
  "tls-error",
  "refuse",
  "query",
]);

/** Alike noisy entries written per window before the rest are only counted. */
export const BURST = 20;
/** The rate-limiting window. */
export const WINDOW_MS = 60_000;
/** Keys tracked at once. */
export const MAX_WINDOWS = 10_000;

/**
 * How long an entry waits for others to be written with it. A write to the file costs
 * the event loop some 30 µs; made at once, it fell inside every request the proxy
 * answered (a kept-alive request costs a few hundred), and requests in a row each paid
 * one. `flush` writes at once.
 */
const GATHER_MS = 20;

/** Appends entries to a JSONL file. */
export class AuditLog {
  readonly #path: string;
  readonly #encoder = new TextEncoder();
  readonly #now: () => number;
  readonly #windows = new Map<string, { start: number; written: number; dropped: number }>();
  /**
   * Entries not yet handed to the file, and the write loop handing them on, while it
   * runs. Kept as they came: hiding secrets and making lines is left to the write loop,
   * out of the requests that write them.
   */
  #pending: Record<string, unknown>[] = [];
  #writing: Promise<void> | undefined;
  /** Opened at the first write and kept: an open and a close per entry cost more than the write. */
  #file: Deno.FsFile | undefined;
  /** The timer after which what is pending is written (see `GATHER_MS`). */
  #gathering: ReturnType<typeof setTimeout> | undefined;

  constructor(path: string, now: () => number = Date.now) {
    this.#path = path;
    this.#now = now;
  }

  #append(entry: Record<string, unknown>): void {
    this.#pending.push({ ts: new Date(this.#now()).toISOString(), ...entry });
    if (this.#writing === undefined && this.#gathering === undefined) {
      this.#gathering = setTimeout(() => {
        this.#gathering = undefined;
        this.#start();
      }, GATHER_MS);
    }
  }

  #start(): Promise<void> {
    return this.#writing ??= this.#drain();
  }

  /**
   * Writes what is pending, then what came meanwhile, until nothing is: entries that
   * arrive while a write is out go together in the next. One loop at a time, so lines
   * keep their order and never interleave (the file is opened for appending: each write
   * lands at its end, after what other daemons appended).
   */
  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const bytes = this.#encoder.encode(
          this.#pending.map((e) => line(e)).join(""),
        );
        this.#pending = [];
        try {
          this.#file ??= await Deno.open(this.#path, { append: true, create: true, mode: 0o640 });
          for (let at = 0; at < bytes.length;) at += await this.#file.write(bytes.subarray(at));
        } catch (error) {
          // deno-lint-ignore no-console
          console.error(`audit log write failed: ${error}`);
          // These lines are lost, as the message says; the next are written to the file
          // opened afresh.
          this.#close();
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }

  #close(): void {
    try {
      this.#file?.close();
    } catch { /* already closed */ }
    this.#file = undefined;
  }

  /** Records an entry; writes are serialised so lines never interleave. */
  write(entry: AuditEntry): void {
    if (!NOISY.has(entry.action)) return this.#append(entry);
    const key = [
      entry.kind,
      entry.action,
      entry.host ?? entry.repo ?? entry.name ?? "",
      entry.rule ?? "",
    ]
      .join("|");
    const now = this.#now();
    let w = this.#windows.get(key);
    if (!w || now - w.start >= WINDOW_MS) {
      if (w && w.dropped > 0) this.#summary(key, w.dropped);
      w = { start: now, written: 0, dropped: 0 };
      if (this.#windows.size >= MAX_WINDOWS) {
        // Too many keys at once (ever new host names): counts so far are written, not lost.
        void this.flush();
        this.#windows.clear();
      }
      this.#windows.set(key, w);
    }
    if (w.written < BURST) {
      w.written++;
      this.#append(entry);
    } else {
      w.dropped++;
    }
  }

  #summary(key: string, dropped: number): void {
    const [kind, action, target, rule] = key.split("|");
    this.#append({
      kind,
      action: "suppressed",
      of: action,
      ...(target ? { target } : {}),
      ...(rule ? { rule } : {}),
      count: dropped,
      reason: `${dropped} more alike within a minute were not logged one by one`,
    });
  }

  /** Resolves when every entry so far is on disk (summaries of open windows included). */
  flush(): Promise<void> {
    for (const [key, w] of this.#windows) {
      if (w.dropped > 0) {
        this.#summary(key, w.dropped);
        w.dropped = 0;
      }
    }
    if (this.#gathering !== undefined) {
      clearTimeout(this.#gathering);
      this.#gathering = undefined;
    }
    return this.#pending.length > 0 ? this.#start() : this.#writing ?? Promise.resolve();
  }

  /** Writes what is pending and closes the file (a later entry opens it again). */
  async close(): Promise<void> {
    await this.flush();
    this.#close();
  }
}

/**
 * One entry's line, its secrets hidden; should that fail, the entry without what it
 * holds, rather than as it came or not at all.
 */
function line(entry: Record<string, unknown>): string {
  try {
    return JSON.stringify(hidden(entry)) + "\n";
  } catch (error) {
    const { ts, kind, action } = entry;
    return JSON.stringify({ ts, kind, action, unchecked: `${(error as Error).name}` }) + "\n";
  }
}

/** Fields the log writes itself (a time, a daemon, a decision): nothing to hide there. */
const OWN = new Set(["ts", "kind", "action"]);

/**
 * `value` with every string in it (in arrays and objects too) passed through
 * `hideSecrets`, but for the log's own fields and strings too short to hold a secret.
 */
function hidden(value: unknown, key = ""): unknown {
  if (typeof value === "string") {
    return value.length < 8 || OWN.has(key) ? value : hideSecrets(value);
  }
  if (Array.isArray(value)) return value.map((v) => hidden(v));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hidden(v, k)]));
  }
  return value;
}
