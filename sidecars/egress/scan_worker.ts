/**
 * @module
 * A worker of the scan pool: runs each job it is sent and answers with its id. A long
 * body's scan is parted with another worker (see `RecentScans.findParted`): this one asks
 * the pool for the second part to be scanned elsewhere (`ask`), scans the first, and
 * waits for the other's findings (`parted`; none when no worker was free). Asked for a
 * part of another's body (`part`), it scans that and answers with its findings.
 */

/// <reference lib="deno.worker" />

import { type OtherPart, runScanJobParted, type ToWorker } from "./scanjob.ts";
import {
  findSecrets,
  getPublicValues,
  type Located,
  setPublicValues,
} from "../../lib/secrets/mod.ts";

/** The parts this worker asked to be scanned elsewhere, by number: what each waits for. */
const asked = new Map<number, (found: Located[] | undefined) => void>();
let next = 0;

const other: OtherPart = (text, options) =>
  new Promise((resolve) => {
    const ask = next++;
    asked.set(ask, resolve);
    // A copy of the bytes the view covers, handed over: the view's buffer is the body's.
    const utf8 = options.utf8 && new Uint8Array(options.utf8);
    self.postMessage(
      { ask, text, options: { ...options, utf8 }, publicValues: [...getPublicValues()] },
      utf8 ? [utf8.buffer] : [],
    );
  });

// Loaded: the pool knows from here on that a failure is a job's, not the start's.
self.postMessage({ ready: true });

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const data = event.data;
  if ("parted" in data) {
    asked.get(data.parted)?.(data.found);
    asked.delete(data.parted);
    return;
  }
  if ("part" in data) {
    let found: Located[] | undefined;
    try {
      setPublicValues(data.publicValues);
      found = findSecrets(data.text, data.options);
    } catch {
      found = undefined; // Scanned by the worker that asked, then.
    }
    self.postMessage({ part: data.part, found });
    return;
  }
  const { id, job } = data;
  try {
    self.postMessage({ id, result: await runScanJobParted(job, other) });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
