/**
 * @module
 * How long each phase of bringing a bottle up took, for the bench's per-phase breakdown
 * and for `--verbose`. Phases that run side by side each record their own span.
 */

const spans: { phase: string; ms: number }[] = [];

/** Runs `fn` as phase `phase`, recording how long it took (also when it throws). */
export async function timed<T>(phase: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    spans.push({ phase, ms: Math.round(performance.now() - start) });
  }
}

/** The phases recorded so far, in the order they ended. */
export function phaseTimings(): { phase: string; ms: number }[] {
  return [...spans];
}
