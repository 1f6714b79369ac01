/**
 * @module
 * Reading a text a character at a time, as the detector's hot loops do, without what
 * slows V8 down once it has seen strings of many kinds.
 */

/**
 * `String.prototype.charCodeAt`, called as `codeOf.call(text, i)` in the loops that read a
 * text a character at a time. A `text.charCodeAt(i)` there looks the method up on the
 * string, and the lookup's site learns the kinds of string it has seen: after a few (a
 * text in one byte a character and in two, a slice of one, a text joined from pieces) it
 * gives up, and the pass compiled after that looked the method up again for each
 * character, at a third of the speed: a scan of prose in Japanese ran at half speed in one
 * process in ten or so (which kinds came first decided it). Called so, nothing is looked up.
 * Each module that reads so keeps its own such constant: one imported from another module
 * is not folded into the code compiled for the loop, which then calls it as any function,
 * also at half speed.
 */
const codeOf = String.prototype.charCodeAt;

/**
 * The code of `text`'s character at `i`, 0 past either end (where `charCodeAt` gives NaN),
 * for reading a table of characters by: a table read at NaN or at -1 (a key that is no
 * index) turns the site that reads it megamorphic, and what was compiled after that read
 * every entry through a generic lookup, in whatever process had come to read past the end
 * of a text there first. Every table read with it holds 0 (nothing) for code 0.
 */
export function codeAt(text: string, i: number): number {
  return codeOf.call(text, i) | 0;
}

/**
 * Whether `text` at `at` holds `prefix`, or the same but for digits in the same places: a
 * log's stamp before each line (`[2026-12-07 12:00:01] `, then `... 12:00:02] `), or a
 * line's number, right-aligned (`     9\t`, then `    10\t`, as `cat -n` and an agent's
 * file reader print them: a space may stand where a digit does).
 */
export function startsLike(text: string, at: number, prefix: string): boolean {
  if (at < 0 || at + prefix.length > text.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (!sameButNumbers(text.charCodeAt(at + i), prefix.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * Whether two characters of lines' prefixes are the same but for a number's digits (see
 * `startsLike`): equal, both digits, or a digit and a space.
 */
export function sameButNumbers(x: number, y: number): boolean {
  if (x === y) return true;
  const dx = x >= 48 && x <= 57;
  const dy = y >= 48 && y <= 57;
  return (dx && (dy || y === 32)) || (dy && x === 32);
}

/** Whether `c` is the code of an ASCII letter or digit. */
export function isAlphanumeric(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
