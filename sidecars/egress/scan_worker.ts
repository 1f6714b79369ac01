/**
 * @module
 * A worker of the scan pool: runs each job it is sent and answers with its id.
 */

/// <reference lib="deno.worker" />

import { runScanJob, type ScanJob } from "./scanjob.ts";

// Loaded: the pool knows from here on that a failure is a job's, not the start's.
self.postMessage({ ready: true });

self.onmessage = (event: MessageEvent<{ id: number; job: ScanJob }>) => {
  const { id, job } = event.data;
  try {
    self.postMessage({ id, result: runScanJob(job) });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
