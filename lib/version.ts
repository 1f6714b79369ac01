/**
 * @module
 * The tool's version and the commit it was built from. `scripts/compile.ts` stamps
 * COMMIT for release binaries; a checkout run reports "dev".
 */

/** Semantic version of this release. */
export const VERSION = "0.1.0";

/** Commit the binary was built from, stamped at compile time. */
export const COMMIT: string = "dev";

/** The oldest Deno that runs bot-bottle (from a URL; a compiled binary carries its own). */
export const MIN_DENO = "2.9.0";

/** Whether Deno `version` (`major.minor.patch`, maybe with a suffix) is older than `minimum`. */
export function olderThan(version: string, minimum: string): boolean {
  const parts = (v: string) => v.split(/[.+-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0);
  const [a, b] = [parts(version), parts(minimum)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
