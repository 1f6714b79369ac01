/**
 * @module
 * Request bodies are scanned in workers, off the proxy's event loop: a scan of a large
 * upload takes seconds (binary data, base64 lines), and on the event loop it held every
 * other connection of the bottle still, the model's streamed answers too. Each worker
 * runs one job at a time; jobs wait their turn in order. A worker that cannot start
 * leaves the scan to the event loop, as before; one that dies fails its job (the
 * request is answered with an error, not sent) and is replaced, as is one still on a
 * job past the deadline: the rules are written to scan in linear time, and this holds
 * if one does not (a body that could hang a worker for good is refused instead).
 *
 * Deno cannot stop a worker in the middle of a scan: `terminate()` takes effect once the
 * worker's code returns to its event loop (denoland/deno#35657, open), so a worker past
 * the deadline runs its scan to the end before its thread goes, and only the pool is
 * rid of it at once. The CPU that scan takes is spent all the same: a bound on it rests
 * on the rules' linear time.
 */

import { runScanJob, type ScanJob, type ScanResult } from "./scanjob.ts";

interface Pending {
  id: number;
  job: ScanJob;
  resolve: (result: ScanResult) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy?: Pending;
  /** Ends the busy job at the deadline. */
  timer?: ReturnType<typeof setTimeout>;
  /** Whether its module loaded (it says so first). */
  ready: boolean;
}

/** Bodies smaller than this are scanned in place: well under a millisecond. */
export const IN_PLACE_BELOW = 32 * 1024;

/**
 * How long a worker may take over one job: six times the slowest body measured, 32 MiB
 * (the most a request may carry) of the rules' keywords over and over, 20 s on a
 * two-core VM; 32 MiB of an executable or of random bytes takes two.
 */
export const SCAN_DEADLINE_MS = 120_000;

/** The scan workers of one proxy. */
export class ScanPool {
  readonly #size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  #next = 0;
  #broken = false;
  #closed = false;

  readonly #url: URL;
  readonly #onFallBack: (why: string) => void;
  readonly #inPlaceBelow: number;
  readonly #deadlineMs: number;

  /**
   * `size`: how many bodies may be scanned at once. `onFallBack`: told, once, why scans
   * run on the event loop after all. `inPlaceBelow`: bodies smaller than this are scanned
   * in place (a worker's round trip, ~0.2 ms, costs more than their scan holds the loop).
   * `deadlineMs`: how long a worker may take over one job before it is given up and
   * the job fails. `workerUrl`: the worker's module (tests).
   */
  constructor(
    size: number,
    options: {
      onFallBack?: (why: string) => void;
      inPlaceBelow?: number;
      deadlineMs?: number;
      workerUrl?: URL;
    } = {},
  ) {
    this.#size = Math.max(1, size);
    this.#url = options.workerUrl ?? new URL("./scan_worker.ts", import.meta.url);
    this.#onFallBack = options.onFallBack ?? (() => {});
    this.#inPlaceBelow = options.inPlaceBelow ?? IN_PLACE_BELOW;
    this.#deadlineMs = options.deadlineMs ?? SCAN_DEADLINE_MS;
  }

  /** Scans a body's opened forms; in place when no worker can start. */
  scan(job: ScanJob): Promise<ScanResult> {
    if (this.#closed) return Promise.reject(new Error("the scan pool is closed"));
    const bytes = job.parts.reduce((n, p) => n + p.bytes.length, 0);
    if (this.#broken || bytes < this.#inPlaceBelow) {
      return Promise.resolve().then(() => runScanJob(job));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#next++, job, resolve, reject });
      this.#dispatch();
    });
  }

  /** Starts a worker ahead of the first body, which would otherwise wait for it to load. */
  warm(): void {
    if (!this.#broken && !this.#closed && this.#slots.length === 0) this.#start();
  }

  /** Stops the workers; jobs not yet answered fail. */
  close(): void {
    this.#closed = true;
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      slot.worker.terminate();
      slot.busy?.reject(new Error("the scan pool is closed"));
    }
    for (const pending of this.#queue.splice(0)) {
      pending.reject(new Error("the scan pool is closed"));
    }
    this.#slots.length = 0;
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => !s.busy);
      if (!slot && this.#slots.length < this.#size) slot = this.#start();
      if (!slot) return;
      const pending = this.#queue.shift()!;
      slot.busy = pending;
      slot.timer = setTimeout(() => this.#overdue(slot), this.#deadlineMs);
      // Copies of just the bytes each view covers, handed over whole: a view's buffer
      // would be cloned entire, and the body itself is still to be sent. Copied by the
      // constructor, not `slice()`: a node Buffer's `slice()` is a view of the same buffer
      // (opened data is in Buffers), and two parts handing over one buffer reached the
      // worker empty.
      const parts = pending.job.parts.map((p) => ({
        bytes: new Uint8Array(p.bytes),
        within: p.within,
      }));
      slot.worker.postMessage(
        { id: pending.id, job: { ...pending.job, parts } },
        parts.map((p) => p.bytes.buffer),
      );
    }
  }

  #start(): Slot | undefined {
    let worker: Worker;
    try {
      worker = new Worker(this.#url, { type: "module" });
    } catch (error) {
      this.#fallBack([], error instanceof Error ? error.message : String(error));
      return undefined;
    }
    const slot: Slot = { worker, ready: false };
    worker.onmessage = (
      event: MessageEvent<{ ready?: true; id?: number; result?: ScanResult; error?: string }>,
    ) => {
      if (event.data.ready) {
        slot.ready = true;
        return;
      }
      const pending = slot.busy;
      if (!pending || pending.id !== event.data.id) return;
      clearTimeout(slot.timer);
      slot.busy = undefined;
      if (event.data.result) pending.resolve(event.data.result);
      else pending.reject(new Error(event.data.error ?? "the scan failed"));
      this.#dispatch();
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const job = this.#retire(slot);
      if (!slot.ready) {
        // It never loaded (no permission to read its module, say): scans run in place.
        this.#fallBack(job ? [job] : [], event.message);
        return;
      }
      // It died on a job (out of memory): that job fails, another worker takes its place
      // for the jobs still waiting.
      job?.reject(new Error(`the scan worker failed: ${event.message}`));
      if (!this.#closed) this.#dispatch();
    };
    this.#slots.push(slot);
    return slot;
  }

  /** Stops `slot`'s worker and takes it out of the pool; returns the job it was on. */
  #retire(slot: Slot): Pending | undefined {
    slot.worker.terminate();
    clearTimeout(slot.timer);
    const index = this.#slots.indexOf(slot);
    if (index !== -1) this.#slots.splice(index, 1);
    const job = slot.busy;
    slot.busy = undefined;
    return job;
  }

  /**
   * `slot`'s job ran past the deadline: the job fails, another worker takes over, and this
   * one goes once its scan ends (Deno cannot stop it sooner: see the module's note).
   */
  #overdue(slot: Slot): void {
    if (!slot.busy) return;
    const job = this.#retire(slot)!;
    job.reject(
      new Error(
        `its scan took longer than ${this.#deadlineMs / 1000} s, so it was given up`,
      ),
    );
    if (!this.#closed) this.#dispatch();
  }

  /** No worker can start here: `jobs` and every later one are scanned in place. */
  #fallBack(jobs: Pending[], why: string): void {
    if (!this.#broken) this.#onFallBack(why);
    this.#broken = true;
    for (const slot of this.#slots.splice(0)) {
      clearTimeout(slot.timer);
      slot.worker.terminate();
      if (slot.busy) jobs.push(slot.busy);
    }
    for (const pending of [...jobs, ...this.#queue.splice(0)]) {
      Promise.resolve().then(() => runScanJob(pending.job)).then(pending.resolve, pending.reject);
    }
  }
}
