/**
 * @module
 * When each phase of bringing a bottle up started and how long it took, for the bench's
 * per-phase breakdown (printed when `BOT_BOTTLE_TIMINGS=1`). Phases that run side by side
 * each record their own span.
 */

/** A phase: `at` ms after the process started, `ms` long. */
export interface Span {
  phase: string;
  at: number;
  ms: number;
}

const spans: Span[] = [];

/** Runs `fn` as phase `phase`, recording when it started and how long it took (also when it throws). */
export async function timed<T>(phase: string, fn: () => Promise<T>): Promise<T> {
  // `performance.now()` counts from the process's start: the CLI's own start shows too.
  const start = performance.now();
  try {
    return await fn();
  } finally {
    spans.push({ phase, at: Math.round(start), ms: Math.round(performance.now() - start) });
  }
}

/** The phases recorded so far, in the order they ended. */
export function phaseTimings(): Span[] {
  return [...spans];
}
