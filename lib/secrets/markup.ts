/**
 * @module
 * Markup put between the pieces of a secret, which a browser, an XML parser or a compiler
 * drops when it reads them (`AKIAQ3<!-- -->EGQ2...`, `<a>ghp_Zq8L</a><b>w2Rt...</b>`,
 * `ghp_Zq8L/* *\/w2Rt...`): an HTML or XML comment, a tag, or a C-style block comment,
 * read at a place, forward or back, each `MAX_MARKUP` characters long at the most.
 */

/** The longest item of markup read. */
export const MAX_MARKUP = 64;

/** Characters of a tag's name after its first letter: letters, digits, `:`, `_`, `.` and `-`. */
const NAME_CHAR = Uint8Array.from(
  { length: 128 },
  (_, c) => +/[A-Za-z0-9:_.-]/.test(String.fromCharCode(c)),
);

/** Whether `c` is an ASCII letter. */
function letter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Where `closer` ends, looked for from `from` on within `MAX_MARKUP` characters of `start`; -1 if not there. */
function closedAt(text: string, start: number, from: number, closer: string): number {
  // In a slice: looked for in the whole text, an opener with no closer after it cost a
  // pass over the rest of the text each time.
  const at = text.slice(from, start + MAX_MARKUP).indexOf(closer);
  return at < 0 ? -1 : from + at + closer.length;
}

/**
 * How long the item of markup that starts at `i` is, or 0: `<!-- ... -->`; a tag
 * (`<b>`, `</b>`, `<br/>`, `<span class="x">`: a letter after `<` or `</`, a name, then
 * `>` or `/>`, or a space and attributes with no `<`, `>` or line break); or
 * `/* ... *\/`.
 */
export function markupAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 47) {
    if (text.charCodeAt(i + 1) !== 42) return 0;
    const end = closedAt(text, i, i + 2, "*/");
    return end < 0 ? 0 : end - i;
  }
  if (c !== 60) return 0;
  let p = i + 1;
  const next = text.charCodeAt(p);
  if (next === 33 && text.charCodeAt(i + 2) === 45 && text.charCodeAt(i + 3) === 45) {
    const end = closedAt(text, i, i + 4, "-->");
    return end < 0 ? 0 : end - i;
  }
  if (next === 47) p++;
  if (!letter(text.charCodeAt(p))) return 0;
  const limit = i + MAX_MARKUP;
  for (p++; p < limit; p++) {
    const n = text.charCodeAt(p);
    if (n >= 128 || NAME_CHAR[n] !== 1) break;
  }
  if (text.charCodeAt(p) === 32) {
    for (; p < limit; p++) {
      const n = text.charCodeAt(p);
      if (n === 60 || n === 62 || n === 10 || n === 13 || Number.isNaN(n)) break;
    }
  } else if (text.charCodeAt(p) === 47) p++;
  return p < limit && text.charCodeAt(p) === 62 ? p + 1 - i : 0;
}

/** Where the item of markup that ends at `end` (see `markupAt`) starts; -1 if none does. */
export function markupBefore(text: string, end: number): number {
  const last = text.charCodeAt(end - 1);
  const comment = last === 47 && text.charCodeAt(end - 2) === 42;
  if (last !== 62 && !comment) return -1;
  const opener = comment ? 47 : 60;
  for (let s = end - 2; s >= 0 && end - s <= MAX_MARKUP; s--) {
    if (text.charCodeAt(s) === opener && markupAt(text, s) === end - s) return s;
  }
  return -1;
}
