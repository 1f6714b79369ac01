/**
 * @module
 * The head of an assignment that starts a variable's value, read where the value of the
 * one before ends: so that a token split across variables that the code then joins
 * (`A=ghp_Zq8L; B=w2Rt...; curl -d "$A$B"`, `a = "ghp_Zq8L"` then `b = "w2Rt..."` a line
 * down, `T+=w2Rt...`) is read as pieces. As written, or in a JSON string (its quotes
 * escaped), as a script is in a model request.
 */

/** The most words a declaration puts before a name (`export`, `const`, `final String`, `const char *`). */
const MAX_DECLARATION_WORDS = 2;
/** The longest name or declaration word read. */
const MAX_NAME = 64;
/** The most spaces read on either side of the operator. */
const MAX_SPACES = 3;

/** Whether `c` starts a name: a letter or `_`. */
function nameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Whether `c` goes on with a name: a letter, a digit or `_`. */
function nameChar(c: number): boolean {
  return nameStart(c) || (c >= 48 && c <= 57);
}

/** Where the name that starts at `i` ends (`i` itself if none does; past a `:` and more letters, PowerShell's `env:A`). */
function nameEnd(text: string, i: number): number {
  if (!nameStart(text.charCodeAt(i))) return i;
  let p = i + 1;
  const most = i + MAX_NAME;
  for (; p < most; p++) {
    const c = text.charCodeAt(p);
    if (nameChar(c)) continue;
    if ((c === 46 || c === 58) && nameStart(text.charCodeAt(p + 1))) continue;
    break;
  }
  return p;
}

/** Where the spaces from `i` end, `MAX_SPACES` of them at the most. */
function spacesEnd(text: string, i: number): number {
  let p = i;
  while (p < i + MAX_SPACES && text.charCodeAt(p) === 32) p++;
  return p;
}

/**
 * The length of the operator at `i` that assigns or appends a value: `=` (but not `==`,
 * `=>` nor `=~`), `:=`, `+=`, `.=`, or Ruby's and C++'s `<<` (`<<=`); 0 if none.
 */
function operatorAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const next = text.charCodeAt(i + 1);
  const width = c === 61
    ? 1
    : (c === 58 || c === 43 || c === 46) && next === 61
    ? 2
    : c === 60 && next === 60
    ? text.charCodeAt(i + 2) === 61 ? 3 : 2
    : 0;
  if (width === 0) return 0;
  const after = text.charCodeAt(i + width);
  return after === 61 || after === 62 || after === 126 ? 0 : width;
}

/**
 * The length of a value's opening quote at `i`: `"`, `'` or a backtick, 1; one escaped
 * in a JSON string (`\"`, `\'`), 2; 0 if none.
 */
export function quoteAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 34 || c === 39 || c === 96) return 1;
  if (c !== 92) return 0;
  const q = text.charCodeAt(i + 1);
  return q === 34 || q === 39 ? 2 : 0;
}

/**
 * The length of the head of an assignment at `i`, up to where its value starts (past its
 * opening quote, if it has one); 0 if none is there. A head is up to
 * `MAX_DECLARATION_WORDS` words each followed by spaces (`export`, `const`, `let`, `final
 * String`, `const char *`), a name (after a `$` or `@`, Perl's, PHP's or PowerShell's; with
 * a type after a `:`, TypeScript's), spaces, an operator (see `operatorAt`) and spaces:
 * `B=`, `export B=`, `b = "`, `const b = '`, `$b .= "`, `b := "`, `let b: string = "`,
 * `s << "`.
 */
export function assignmentAt(text: string, i: number): number {
  let p = i;
  for (let words = 0;; words++) {
    const sigil = text.charCodeAt(p);
    const from = sigil === 36 || sigil === 64 ? p + 1 : p;
    const end = nameEnd(text, from);
    if (end === from) return 0;
    p = spacesEnd(text, end);
    // A type after the name: `b: string =`.
    if (text.charCodeAt(p) === 58 && text.charCodeAt(p + 1) === 32) {
      const type = spacesEnd(text, p + 1);
      const typeEnd = nameEnd(text, type);
      if (typeEnd > type) p = spacesEnd(text, typeEnd);
    }
    const operator = operatorAt(text, p);
    if (operator > 0) {
      p = spacesEnd(text, p + operator);
      return p + quoteAt(text, p) - i;
    }
    // A declaration's word before the name, then spaces (or a C pointer's `*`).
    if (words >= MAX_DECLARATION_WORDS || p === end && text.charCodeAt(p) !== 42) return 0;
    while (text.charCodeAt(p) === 42 || text.charCodeAt(p) === 32) {
      if (p - end > MAX_SPACES) return 0;
      p++;
    }
  }
}

/**
 * Where the operator of an assignment whose value starts at `at` would end: back over the
 * value's opening quote (escaped in a JSON string too) and up to `MAX_SPACES` spaces.
 */
export function operatorEndBefore(text: string, at: number): number {
  let p = at;
  const quote = text.charCodeAt(p - 1);
  if (quote === 34 || quote === 39 || quote === 96) p -= text.charCodeAt(p - 2) === 92 ? 2 : 1;
  const spaces = p - MAX_SPACES;
  while (p > spaces && text.charCodeAt(p - 1) === 32) p--;
  return p;
}

/**
 * The name of the variable whose value starts at `start`, after its assignment's head
 * (`A` in `A=ghp_...`, `a` in `let a: string = "ghp_..."`); undefined if no assignment
 * ends there.
 */
export function assignedName(text: string, start: number): string | undefined {
  const back = (from: number) => {
    let k = from;
    while (k > from - MAX_SPACES && text.charCodeAt(k - 1) === 32) k--;
    return k;
  };
  let p = operatorEndBefore(text, start);
  if (text.charCodeAt(p - 1) !== 61) return undefined;
  p--;
  const c = text.charCodeAt(p - 1);
  if (c === 58 || c === 43 || c === 46) p--;
  else if (c === 61 || c === 33 || c === 60 || c === 62) return undefined;
  p = back(p);
  let s = p;
  while (s > p - MAX_NAME && nameChar(text.charCodeAt(s - 1))) s--;
  // A type after the name (`a: string =`): the name is the word before its `:`.
  if (text.charCodeAt(s - 1) === 32 && text.charCodeAt(s - 2) === 58) {
    p = s - 2;
    s = p;
    while (s > p - MAX_NAME && nameChar(text.charCodeAt(s - 1))) s--;
  }
  return s < p && nameStart(text.charCodeAt(s)) ? text.slice(s, p) : undefined;
}

/** The ways a variable is referred to, as `referenceAfter` reads them: before its name, after it. */
const REFERENCES: readonly [string, string][] = [["$", ""], ["{", "}"], ["%", "%"], ["$(", ")"]];

/**
 * Where the first reference to variable `name` from `from` up to `to` ends, when text
 * follows it glued on (`$A`, `${A}`, `{a}` of a format string or an f-string, Ruby's
 * `#{a}`, `%A%`, `$(A)`): where that text starts; -1 if none is there. Looked for in a
 * copy of that stretch: over the whole text, a name found nowhere after it was looked
 * for to the text's end from each assignment (a text of assignments to names each its
 * own took time growing with its square).
 */
export function referenceAfter(text: string, from: number, to: number, name: string): number {
  const window = text.slice(from, to);
  let best = -1;
  for (let r = 0; r < REFERENCES.length; r++) {
    const [before, after] = REFERENCES[r]!;
    const written = before + name + after;
    for (let k = window.indexOf(written); k >= 0; k = window.indexOf(written, k + 1)) {
      const end = k + written.length;
      // `$A` ends where the name does: a name's character or a `{` after it is no text
      // glued on (`$AB` is another variable).
      const c = window.charCodeAt(end);
      if (r === 0 && (nameChar(c) || c === 123)) continue;
      if (best < 0 || end < best) best = end;
      break;
    }
  }
  return best >= 0 && !/[\s"'`\\;]/.test(window[best] ?? " ") ? from + best : -1;
}

/**
 * The variable a reference at `i` names (`$B`, `${B}`, `{b}`, Ruby's `#{b}` from its
 * `{`, `%B%`, `$(B)`), and where the reference ends; undefined if none starts there.
 */
export function referenceAt(text: string, i: number): { name: string; end: number } | undefined {
  const c = text.charCodeAt(i);
  const open = c === 36 ? text.charCodeAt(i + 1) : -1;
  const from = c === 36
    ? (open === 123 || open === 40 ? i + 2 : i + 1)
    : c === 123 || c === 37
    ? i + 1
    : -1;
  if (from < 0) return undefined;
  let e = from;
  if (!nameStart(text.charCodeAt(e))) return undefined;
  while (e < from + MAX_NAME && nameChar(text.charCodeAt(e))) e++;
  const close = c === 37 ? 37 : open === 123 || c === 123 ? 125 : open === 40 ? 41 : -1;
  if (close >= 0 && text.charCodeAt(e) !== close) return undefined;
  return { name: text.slice(from, e), end: close >= 0 ? e + 1 : e };
}

/** How many places that name a variable `assignedBefore` looks at: a text of its name over and over is no search of each. */
const MAX_LOOKS = 8;

/**
 * The value last assigned to variable `name` from `from` up to `to` (`B=w2Rt...`,
 * `b = "w2Rt..."`): where it starts and where its characters (`chars`, by code) end;
 * undefined if none is there. Looked for in a copy of that stretch (see `referenceAfter`).
 */
export function assignedBefore(
  text: string,
  from: number,
  to: number,
  name: string,
  chars: Uint8Array,
): [number, number] | undefined {
  const window = text.slice(from, to);
  let looks = 0;
  for (
    let k = window.lastIndexOf(name);
    k >= 0 && looks < MAX_LOOKS;
    k = window.lastIndexOf(name, k - 1), looks++
  ) {
    const at = from + k;
    if (nameChar(text.charCodeAt(at - 1)) || text.charCodeAt(at - 1) === 36) continue;
    const head = assignmentAt(text, at);
    if (head === 0) continue;
    let e = at + head;
    while (e < to && chars[text.charCodeAt(e)] === 1) e++;
    if (e > at + head) return [at + head, e];
    if (k === 0) break;
  }
  return undefined;
}
