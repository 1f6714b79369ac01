/**
 * @module
 * The supervise queue: requests the agent makes (egress, a question, a push override),
 * each waiting for a person's answer. Every request and answer is written to disk in
 * the bundle, so a restarted host command sees the same queue, and to the audit log.
 * Answers come only through `answer()`, which only the loopback control API calls. The
 * log hides a secret in what the agent wrote or the person answered (see `AuditLog`); the
 * request keeps it as written, for the person to read.
 */

import type { AuditLog } from "../egress/audit.ts";

/** What the agent asks for. */
export type RequestKind = "egress" | "ask" | "push-override";

/** A decision a person gives. */
export type Decision = "approved" | "denied" | "answered";

/** One request and, once given, its answer. */
export interface SuperviseRequest {
  id: string;
  kind: RequestKind;
  /** The agent's stated reason. */
  reason: string;
  /** Kind-specific details: host, question and choices, repo and commit. */
  details: Record<string, unknown>;
  created: string;
  status: "pending" | Decision | "expired";
  answer?: { decision: Decision; comment: string; at: string };
}

/** The queue of one bottle. */
export class SuperviseQueue {
  readonly #dir: string;
  readonly #prefix: string;
  readonly #audit: AuditLog;
  readonly #requests = new Map<string, SuperviseRequest>();
  readonly #waiters = new Map<string, (r: SuperviseRequest) => void>();
  #next = 1;

  constructor(dir: string, prefix: string, audit: AuditLog) {
    this.#dir = dir;
    this.#prefix = prefix;
    this.#audit = audit;
  }

  /** Loads requests written earlier (a restarted bundle keeps its history). */
  async load(): Promise<void> {
    await Deno.mkdir(this.#dir, { recursive: true, mode: 0o700 });
    for await (const entry of Deno.readDir(this.#dir)) {
      if (!entry.name.endsWith(".json")) continue;
      const r: SuperviseRequest = JSON.parse(await Deno.readTextFile(`${this.#dir}/${entry.name}`));
      this.#requests.set(r.id, r);
      const n = Number(r.id.split("-r").at(-1));
      if (n >= this.#next) this.#next = n + 1;
    }
  }

  async #save(r: SuperviseRequest): Promise<void> {
    await Deno.writeTextFile(`${this.#dir}/${r.id}.json`, JSON.stringify(r), { mode: 0o600 });
  }

  /** Adds a pending request. */
  async create(
    kind: RequestKind,
    reason: string,
    details: Record<string, unknown>,
  ): Promise<SuperviseRequest> {
    const r: SuperviseRequest = {
      id: `${this.#prefix}-r${this.#next++}`,
      kind,
      reason,
      details,
      created: new Date().toISOString(),
      status: "pending",
    };
    this.#requests.set(r.id, r);
    await this.#save(r);
    this.#audit.write({
      kind: "supervise",
      action: "request",
      id: r.id,
      request: kind,
      reason,
      ...details,
    });
    return r;
  }

  /** Every request, oldest first. */
  list(): SuperviseRequest[] {
    return [...this.#requests.values()].toSorted((a, b) =>
      a.created.localeCompare(b.created) || a.id.localeCompare(b.id)
    );
  }

  /** How many requests wait for a person. */
  pending(): number {
    let n = 0;
    for (const r of this.#requests.values()) if (r.status === "pending") n++;
    return n;
  }

  get(id: string): SuperviseRequest | undefined {
    return this.#requests.get(id);
  }

  /** Records a person's answer; throws on an unknown or already answered request. */
  async answer(id: string, decision: Decision, comment: string): Promise<SuperviseRequest> {
    const r = this.#requests.get(id);
    if (!r) throw new Error(`no request "${id}"`);
    if (r.status !== "pending") throw new Error(`request "${id}" is already ${r.status}`);
    r.status = decision;
    r.answer = { decision, comment, at: new Date().toISOString() };
    await this.#save(r);
    this.#audit.write({ kind: "supervise", action: decision, id, request: r.kind, comment });
    this.#waiters.get(id)?.(r);
    return r;
  }

  /** Resolves with the answered request, or with it expired after `timeoutMs`. */
  wait(id: string, timeoutMs: number): Promise<SuperviseRequest> {
    const r = this.#requests.get(id)!;
    if (r.status !== "pending") return Promise.resolve(r);
    return new Promise((resolve) => {
      const timer = setTimeout(async () => {
        this.#waiters.delete(id);
        if (r.status === "pending") {
          r.status = "expired";
          await this.#save(r);
          this.#audit.write({ kind: "supervise", action: "expired", id, request: r.kind });
        }
        resolve(r);
      }, timeoutMs);
      this.#waiters.set(id, (answered) => {
        clearTimeout(timer);
        this.#waiters.delete(id);
        resolve(answered);
      });
    });
  }
}
