/**
 * @module
 * A count and its noun, as the person reads it: "1 file", "3 files".
 */

/** `n` and `one`, or `many` (by default `one` + "s") when `n` is not 1. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
