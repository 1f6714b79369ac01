/**
 * @module
 * Commit stamping for release binaries: `scripts/compile.ts` writes the commit into
 * lib/version.ts for the duration of the compile and puts the file back afterwards.
 */

/** `source` (lib/version.ts) with COMMIT set to `commit`. */
export function stampCommit(source: string, commit: string): string {
  if (!/^[0-9a-f]{7,40}(-dirty)?$/.test(commit)) throw new Error(`"${commit}" is not a commit id`);
  const line = /^export const COMMIT: string = "[^"]*";$/m;
  if (!line.test(source)) throw new Error("lib/version.ts has no COMMIT line to stamp");
  return source.replace(line, `export const COMMIT: string = "${commit}";`);
}
