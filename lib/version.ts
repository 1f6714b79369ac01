/**
 * @module
 * The tool's version and the commit it was built from. `scripts/compile.ts` stamps
 * COMMIT for release binaries; a checkout run reports "dev".
 */

/** Semantic version of this release. */
export const VERSION = "0.1.0";

/** Commit the binary was built from, stamped at compile time. */
export const COMMIT: string = "dev";
