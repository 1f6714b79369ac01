/**
 * @module
 * One pass over a text finds what the detector needs to know about it: every keyword
 * (Aho-Corasick, case-insensitive for ASCII letters: the prefilter that decides which
 * secret rules run, and where), every run of 16 or more base64-alphabet characters (what
 * might be encoded), and every character that calls for decoding nearby (one normalising
 * changes: a control or zero-width character, a look-alike, a compatibility form; `%`;
 * `\\` before `u` or `/`: those three the automaton finds as keywords of its own). The
 * automaton is a complete table over the characters the keywords use (every other
 * character is one class), so the pass costs a few milliseconds per MiB whatever the
 * number of keywords. Given the UTF-8 a text was decoded from, the pass reads its ASCII
 * stretches as bytes, which is faster. After each slice of the pass, `probes.ts` looks in
 * it for text written out a character at a time (dumps, spaced, joined, listed).
 */

import { isCombiningMark, isLookAlike, isTag, normalize, unitChanges } from "./normalize.ts";
import { dumpsInBytes, dumpsInText } from "./probes.ts";

/**
 * `String.prototype.charCodeAt`, called as `codeOf.call(text, i)` in loops over a text (see
 * `chars.ts`). This module's own constant: one imported from another module is not folded
 * into the code compiled for the loop, which then calls it as any function, at half speed.
 */
const codeOf = String.prototype.charCodeAt;

/** `text` written as a regular expression matching it (its syntax characters escaped). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** What one pass over a text found. */
export interface Survey {
  /** Pairs: keyword index, offset just past its end. */
  hits: number[];
  /** Pairs: start and end of each run of 16+ characters of `A-Za-z0-9+/_-`. */
  runs: number[];
  /** Offsets of `%` and of `\\` before `u` or `/`. */
  triggers: number[];
  /**
   * Pairs: start and end of each stretch of text holding characters normalising changes,
   * those less than `2 * DECODE_RADIUS` apart in one stretch (their decoding windows
   * would merge anyway): binary data, dense with control characters, makes a few
   * stretches rather than an offset per byte.
   */
  odd: number[];
  /**
   * Places of a combining mark after a digit, in order: a token with a mark after each
   * character (see `normalize`'s marks), decoded without its marks.
   */
  marked: number[];
  /**
   * Pairs: start and end of each stretch of 32+ characters of hex digits, spaces, `:`,
   * `,` and `x`: what a line of a hex dump (`xxd`, `hexdump -C`, `od -tx1`, `xxd -i`)
   * holds before the text it shows.
   */
  dumps: number[];
  /**
   * Places where the text is spaced out, a character every second or fourth place, in
   * order (one every `MIN_DUMP - 2` characters at most): what `od -c` and `hexdump -c`
   * print, a character right-aligned in each cell of four.
   */
  spaced: number[];
  /**
   * Places where single characters are joined by a separator of one or two characters
   * that are no letter or digit (`g,h,p,_`, `g-h-p`, `g, h, p`, one a line), or listed
   * each in quotes (`['g', 'h', 'p']`, see `quotedFrom`), in order.
   */
  joined: number[];
}

/**
 * A survey's result. A class, not an object literal: `survey`'s optimized code (entered
 * part way, in its long loop, before the literal had ever run) was thrown out for want
 * of the literal's feedback at the end of every call, hundreds of times a scan.
 */
class Surveyed implements Survey {
  constructor(
    readonly hits: number[],
    readonly runs: number[],
    readonly triggers: number[],
    readonly odd: number[],
    readonly marked: number[],
    readonly dumps: number[],
    readonly spaced: number[],
    readonly joined: number[],
  ) {}
}

/** `survey` with no dump, text spaced out or joined in it (a `Surveyed`, for one shape). */
export function withoutDumps(survey: Survey): Survey {
  return new Surveyed(
    survey.hits,
    survey.runs,
    survey.triggers,
    survey.odd,
    survey.marked,
    [],
    [],
    [],
  );
}

/** How far around a character to decode a decoded window reaches: longer than any token. */
export const DECODE_RADIUS = 256;

/** The shortest run of the base64 alphabet worth a closer look (base32 needs 16). */
export const MIN_RUN = 16;
const RUN_BIT = 8;
const RUN = 1 << RUN_BIT;
const TRIGGER = 1 << 9;
/** Not yet known whether normalising changes this character (asked once, when first seen). */
const UNCHECKED = 1 << 11;
/** A look-alike letter: a trigger only in a token with ASCII letters or digits. */
const LOOK_ALIKE = 1 << 12;
const CLASS = 0xff;

/**
 * What calls for decoding, found by the automaton beside the keywords (a branch per
 * backslash in the pass had cost a tenth of it on JSON of source code, which escapes
 * every quote and line end): percent-encoding, JSON and program-text escapes (`\\u`,
 * `\\x`, octal `\\0`, `\\1`, `\\5` to `\\7`: `decode.ts` opens a window only at those
 * that stand for a character of a token), quoted-printable's `=XX`. Each word adds states, and each new character
 * in them widens the automaton's table, which past 65,536 entries takes 32-bit entries
 * and a tenth more time: HTML's `&#` (two new characters) is found with `indexOf`
 * instead (see `decode.ts`).
 */
const TRIGGER_WORDS = [
  "%",
  "\\u",
  "\\/",
  "\\x",
  // A backspace in a JSON string (`\\b`: what follows it overstrikes what is before it).
  "\\b",
  // Octal: `\\0` (three digits: NUL to `?`), `\\1` (`@` to DEL), `\\5` to `\\7` (two
  // digits: `(` to `?`). `\\2` to `\\4` stand for nothing of a token (control characters,
  // bytes past ASCII, ` ` to `'`): no word. `7` shares the class of `6` (see `ALIASES`):
  // `\\6` finds `\\7` too.
  ..."0156".split("").map((d) => `\\${d}`),
  // Python's and Perl's named escapes, `\\N{LOW LINE}` (the automaton is blind to case:
  // JSON's `\\n` before a `{` is found too, and passed over).
  "\\n{",
  // Quoted-printable (MIME bodies, RFC 2047's `=?utf-8?Q?...?=`, which writes `_` as
  // `=5F`): `=2B` to `=7A` stand for a token's characters. `4` to `7` share the class of
  // `2` (see `SHARED`): `=2` finds them too. Its soft line break, a `=` ending a line
  // (`\n` and `\r` share the class of `~`: see `ALIASES`), also escaped in a JSON string.
  "=2",
  "=3",
  "=\n",
  "=\\",
  // A character by its code, called: `chr(103)`, `Chr(104) & Chr(112)`, `[char]95`,
  // `String.fromCharCode(90)` (see `charCallAt` in decode.ts).
  "chr",
  "char",
  // A quote escaped twice or more (`\\\"`: code in a JSON string inside a JSON string, as a
  // notebook's cells are in a request that uploads it): its three backslashes.
  "\\\\\\",
];

/**
 * Characters only trigger words use (line breaks, after quoted-printable's `=`), and one
 * keywords use whose class each takes: a class more widens the table (see above), a
 * shared one costs a rare needless wake (`={` in JSX wakes the look for a soft line break).
 */
const ALIASES: readonly [string, string][] = [
  ["{", "~"],
  ["\n", "~"],
  ["\r", "~"],
  // A `.pgpass` line's wildcard port (`:*:`): a class of its own would take the table past
  // 16-bit entries.
  ["*", "~"],
];

/** The character whose class each of `ALIASES` takes, by character. */
const ALIAS_OF = new Map(ALIASES);

/**
 * Characters that share one class, a group a class: digits few keywords hold (`sha256~`,
 * `r8_`, `4b1d`), and the letters rarest in words (`j`, `q`, `z`, in either case). Each
 * class of its own cost a column of the table for every state (some 1,700 entries), room
 * for more keywords; shared, `r2_` wakes what `r8_` does and `eyQ` what `eyJ` does, and
 * the rule's pattern turns it down (in base64, `eyQ` is as rare as `eyJ`: a few a MiB).
 */
const SHARED = ["2456789", "jqzJQZ"];

/** A compiled keyword set. */
export class KeywordMatcher {
  readonly keywords: readonly string[];
  /** Character code → character class (0: no keyword uses it) | RUN | TRIGGER. */
  readonly #classes = new Uint16Array(65536);
  readonly #classCount: number;
  /** The class of each byte in UTF-8 (see `#passBytes`). */
  readonly #byteClasses = new Uint16Array(256);
  /**
   * Transitions: `table[state + class]` is the next state. States are numbered by their
   * offset in the table (a multiple of the class count), and those where a keyword ends
   * come last, from `#firstFinal` on: the loop tests a number, not a second table.
   */
  readonly #table: Uint16Array | Uint32Array;
  readonly #firstFinal: number;
  /** For each state (by offset / class count), the keywords ending there. */
  readonly #outputs: number[][];

  /**
   * Bits per entry of the transition table: 16 while it has fewer than 65,536 entries
   * (states times character classes), 32 past that, which costs a scan a tenth more.
   */
  get entryBits(): 16 | 32 {
    return this.#table instanceof Uint16Array ? 16 : 32;
  }

  /** Entries of the transition table (states times character classes). */
  get tableEntries(): number {
    return this.#table.length;
  }

  constructor(keywords: readonly string[]) {
    this.keywords = keywords.map((k) => k.toLowerCase());
    // The trigger words come last: a keyword index from `keywords.length` on is one.
    const words = [...this.keywords, ...TRIGGER_WORDS];
    let classCount = 1;
    for (const group of SHARED) {
      for (const ch of group) this.#classes[ch.charCodeAt(0)] = classCount;
      classCount++;
    }
    // A keyword's character that another's class stands for is read as that one (where a
    // keyword holds it: its class is made below).
    const held = new Set(this.keywords.join(""));
    const classify = (word: string) => {
      for (const ch of word) {
        const like = ALIAS_OF.get(ch);
        if (like !== undefined && held.has(like)) continue;
        const c = ch.charCodeAt(0);
        if (c >= 128) throw new Error(`keyword "${word}" is not ASCII`);
        if (this.#classes[c] === 0) {
          this.#classes[c] = classCount;
          this.#classes[ch.toUpperCase().charCodeAt(0)] = classCount;
          classCount++;
        }
      }
    };
    for (const word of this.keywords) classify(word);
    for (const [ch, like] of ALIASES) {
      const c = ch.charCodeAt(0);
      if (this.#classes[c] === 0) this.#classes[c] = this.#classes[like.charCodeAt(0)]!;
    }
    for (const word of TRIGGER_WORDS) classify(word);
    if (classCount > 255) throw new Error("too many distinct keyword characters");
    for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-") {
      this.#classes[ch.charCodeAt(0)]! |= RUN;
    }
    for (let c = 0; c < 65536; c++) {
      if (c < 32 && c !== 9 && c !== 10 && c !== 13) {
        this.#classes[c]! |= TRIGGER;
      } else if (c >= 127) {
        // Prose in most scripts is made of characters normalising leaves alone: such a
        // character is no trigger, or a page of it would be decoded whole.
        this.#classes[c]! |= TRIGGER | UNCHECKED;
      }
    }
    this.#classCount = classCount;
    for (let b = 0; b < 256; b++) this.#byteClasses[b] = b < 127 ? this.#classes[b]! : TRIGGER;
    const goto: Map<number, number>[] = [new Map()];
    const ends: number[][] = [[]];
    words.forEach((word, index) => {
      let s = 0;
      for (const ch of word) {
        const c = this.#classes[ch.charCodeAt(0)]! & CLASS;
        let next = goto[s]!.get(c);
        if (next === undefined) {
          next = goto.length;
          goto.push(new Map());
          ends.push([]);
          goto[s]!.set(c, next);
        }
        s = next;
      }
      ends[s]!.push(index);
    });
    let states = goto.length;
    let dfa = new Int32Array(states * classCount);
    const fail = new Int32Array(states);
    const outputs: number[][] = new Array(states);
    outputs[0] = ends[0]!;
    // Breadth-first: complete the transition table with failure links (a DFA).
    const queue: number[] = [];
    for (let c = 0; c < classCount; c++) {
      const next = goto[0]!.get(c);
      if (next !== undefined) {
        dfa[c] = next;
        queue.push(next);
      }
    }
    for (let head = 0; head < queue.length; head++) {
      const s = queue[head]!;
      outputs[s] = [...ends[s]!, ...outputs[fail[s]!]!];
      for (let c = 0; c < classCount; c++) {
        const next = goto[s]!.get(c);
        if (next !== undefined) {
          fail[next] = dfa[fail[s]! * classCount + c]!;
          dfa[s * classCount + c] = next;
          queue.push(next);
        } else {
          dfa[s * classCount + c] = dfa[fail[s]! * classCount + c]!;
        }
      }
    }
    // A final state where only keywords end that stays there from a character to the
    // next is a keyword of one character over and over (Twitter's `AAAA...`), which a run
    // of it would match at every character (a MiB of `A`, zeros in base64, took a survey
    // 0.3 s): the run goes on in a copy of the state that is not final, and only its first
    // match is kept. A trigger word's every match is (`%%%`, then the `%` of `%41`).
    for (let s = 0, n = states; s < n; s++) {
      const words = outputs[s]!;
      if (words.length === 0 || words.some((w) => w >= this.keywords.length)) continue;
      for (let c = 0; c < classCount; c++) {
        if (dfa[s * classCount + c] !== s) continue;
        const grown = new Int32Array((states + 1) * classCount);
        grown.set(dfa);
        grown.copyWithin(states * classCount, s * classCount, (s + 1) * classCount);
        grown[s * classCount + c] = states;
        grown[states * classCount + c] = states;
        dfa = grown;
        outputs[states] = [];
        states++;
      }
    }
    // Renumber: the root first, states without output next, final states last.
    const order = [...Array(states).keys()].sort((a, b) =>
      Number(outputs[a]!.length > 0) - Number(outputs[b]!.length > 0) || a - b
    );
    const offset = new Int32Array(states);
    order.forEach((s, i) => (offset[s] = i * classCount));
    const table = states * classCount < 65536
      ? new Uint16Array(states * classCount)
      : new Uint32Array(states * classCount);
    for (let s = 0; s < states; s++) {
      for (let c = 0; c < classCount; c++) {
        table[offset[s]! + c] = offset[dfa[s * classCount + c]!]!;
      }
    }
    this.#table = table;
    this.#outputs = order.map((s) => outputs[s]!);
    const firstFinal = order.findIndex((s) => outputs[s]!.length > 0);
    this.#firstFinal = firstFinal === -1 ? table.length : firstFinal * classCount;
  }

  /** The class of `code` once the normaliser is asked about it (once; remembered). */
  #check(code: number): number {
    let c = this.#classes[code]! & ~UNCHECKED;
    if (!unitChanges(code)) c &= ~TRIGGER;
    else if (isLookAlike(code)) c |= LOOK_ALIKE;
    this.#classes[code] = c;
    return c;
  }

  /**
   * Keywords, runs and triggers in `text`, in one pass. `utf8`, the bytes `text` was
   * decoded from (as the proxy holds a request body), makes the pass faster where the
   * text is ASCII: a byte is read faster than a character of a string.
   */
  survey(text: string, utf8?: Uint8Array): Survey {
    const pass = newPass();
    const n = text.length;
    // Mostly ASCII, and decoded exactly: a replacement character stands for one to three
    // invalid bytes, so offsets counted from the text would drift, and the check at the end
    // (the counts agree) could be made to pass by invalid bytes that cancel a byte-order
    // mark: rules would then be tried at the wrong places.
    const bytes = utf8 && utf8.length <= n + (n >> 4) && !text.includes("\uFFFD")
      ? utf8
      : undefined;
    if (bytes && !this.#surveyed(text, bytes, pass)) return this.survey(text);
    if (!bytes) this.#passText(text, 0, n, pass);
    if (pass.run >= MIN_RUN) pass.runs.push(n - pass.run, n);
    if (pass.oddStart >= 0) pass.odd.push(pass.oddStart, pass.oddEnd + 1);
    // Final states into keywords and triggers.
    const hits: number[] = [];
    const triggers: number[] = [];
    const { finals } = pass;
    const outputs = this.#outputs;
    const width = this.#classCount;
    const count = this.keywords.length;
    for (let f = 0; f < finals.length; f += 2) {
      const out = outputs[finals[f]! / width]!;
      const end = finals[f + 1]!;
      for (let k = 0; k < out.length; k++) {
        const word = out[k]!;
        if (word < count) hits.push(word, end);
        // A backslash matters only before `u` or `/` (JSON's `\n` and `\"` hide nothing).
        else triggers.push(end - TRIGGER_WORDS[word - count]!.length);
      }
    }
    return new Surveyed(
      hits,
      pass.runs,
      triggers,
      pass.odd,
      pass.marked,
      pass.dumps,
      pass.spaced,
      pass.joined,
    );
  }

  /**
   * The pass over `text` from `from` to `to`, a slice at a time. Characters that may call
   * for decoding are found and judged after the pass over a slice, in the few slices that
   * hold any: a loop without calls or a branch for them runs a third faster over source
   * code. Over prose in a script of look-alike letters (Cyrillic, Greek), nearly every
   * other character is one; there the next slice judges them as it goes, which is faster
   * than gathering them.
   */
  #passText(text: string, from: number, to: number, pass: Pass): void {
    for (let at = from; at < to; at += SLICE) {
      const end = Math.min(to, at + SLICE);
      if (pass.prose) {
        pass.prose = this.#passJudging(text, at, end, pass) > SLICE / 16;
      } else if ((this.#pass(text, at, end, pass) & TRIGGER) !== 0) {
        const marks = this.#marks(text, at, end, pass.marks);
        pass.prose = marks.length > SLICE / 16;
        for (let m = 0; m < marks.length; m++) this.#judge(text, marks[m]!, pass);
        marks.length = 0;
      }
      dumpsInText(text, end, pass);
    }
  }

  /**
   * The pass over the UTF-8 of `text`: a slice of bytes that are all printable ASCII
   * stands for the same characters of `text` (offsets moved by the bytes of the
   * characters before it past ASCII); any other slice is passed again as text. Returns
   * false when the bytes turned out not to be `text`'s (a byte-order mark the decoder
   * dropped, say): the survey is then made of the text alone.
   */
  #surveyed(text: string, bytes: Uint8Array, pass: Pass): boolean {
    const n = text.length;
    // Bytes before `from` less characters before it.
    let shift = 0;
    for (let from = 0; from < n;) {
      const b = from + shift;
      const end = Math.min(bytes.length, b + SLICE);
      const { state, run } = pass;
      const finals = pass.finals.length;
      const runs = pass.runs.length;
      if (b < end && (this.#passBytes(bytes, b, end, pass) & TRIGGER) === 0) {
        if (shift !== 0) {
          for (let f = finals + 1; f < pass.finals.length; f += 2) pass.finals[f]! -= shift;
          for (let r = runs; r < pass.runs.length; r++) pass.runs[r]! -= shift;
        }
        dumpsInBytes(bytes, shift, end - shift, pass);
        from += end - b;
        continue;
      }
      pass.state = state;
      pass.run = run;
      pass.finals.length = finals;
      pass.runs.length = runs;
      const to = Math.min(n, from + SLICE);
      this.#passText(text, from, to, pass);
      shift += utf8Extra(text, from, to);
      from = to;
    }
    return n + shift === bytes.length;
  }

  /**
   * The automaton over `from`-`to`: final states and runs. Returns the classes of its
   * characters or-ed together: whether any may call for decoding (`#marks` finds them;
   * a branch on each character here cost a fifth of the pass over source code).
   */
  #pass(text: string, from: number, to: number, pass: Pass): number {
    const classes = this.#classes;
    const table = this.#table;
    const firstFinal = this.#firstFinal;
    const { finals, runs } = pass;
    let s = pass.state;
    // The length of the base64-alphabet run ending here, kept without a branch on each
    // character's class: in source text that branch goes either way every few
    // characters, and its mispredictions cost more than the automaton.
    let run = pass.run;
    let seen = 0;
    for (let i = from; i < to; i++) {
      const c = classes[codeOf.call(text, i)]!;
      s = table[s + (c & CLASS)]!;
      if (s >= firstFinal) finals.push(s, i + 1);
      const ended = run;
      run = (run + 1) & -((c >> RUN_BIT) & 1);
      if (ended >= MIN_RUN && run === 0) runs.push(i - ended, i);
      seen |= c;
    }
    pass.state = s;
    pass.run = run;
    return seen;
  }

  /**
   * `#pass` over bytes (the same loop: an ASCII byte is the character of its code); every
   * byte past ASCII, and DEL, is marked as calling for decoding, whatever the character
   * it is part of. A copy of the loop, not one loop reading either kind: that read,
   * chosen at each step, made the pass over bytes a quarter slower.
   */
  #passBytes(bytes: Uint8Array, from: number, to: number, pass: Pass): number {
    const classes = this.#byteClasses;
    const table = this.#table;
    const firstFinal = this.#firstFinal;
    const { finals, runs } = pass;
    let s = pass.state;
    let run = pass.run;
    let seen = 0;
    for (let i = from; i < to; i++) {
      const c = classes[bytes[i]!]!;
      s = table[s + (c & CLASS)]!;
      if (s >= firstFinal) finals.push(s, i + 1);
      const ended = run;
      run = (run + 1) & -((c >> RUN_BIT) & 1);
      if (ended >= MIN_RUN && run === 0) runs.push(i - ended, i);
      seen |= c;
    }
    pass.state = s;
    pass.run = run;
    return seen;
  }

  /** Adds to `marks` the characters of `from`-`to` that may call for decoding. */
  #marks(text: string, from: number, to: number, marks: number[]): number[] {
    const classes = this.#classes;
    for (let i = from; i < to; i++) {
      if ((classes[codeOf.call(text, i)]! & TRIGGER) !== 0) marks.push(i);
    }
    return marks;
  }

  /** As `#pass`, judging each marked character at once; returns how many there were. */
  #passJudging(text: string, from: number, to: number, pass: Pass): number {
    const classes = this.#classes;
    const table = this.#table;
    const firstFinal = this.#firstFinal;
    const { finals, runs } = pass;
    let s = pass.state;
    let run = pass.run;
    let marked = 0;
    for (let i = from; i < to; i++) {
      const c = classes[codeOf.call(text, i)]!;
      s = table[s + (c & CLASS)]!;
      if (s >= firstFinal) finals.push(s, i + 1);
      const ended = run;
      run = (run + 1) & -((c >> RUN_BIT) & 1);
      if (ended >= MIN_RUN && run === 0) runs.push(i - ended, i);
      if ((c & TRIGGER) !== 0) {
        marked++;
        // A look-alike in the word of its own script already seen is a letter.
        if ((c & LOOK_ALIKE) === 0 || i >= pass.tokenEnd || pass.mixed) this.#judge(text, i, pass);
      }
    }
    pass.state = s;
    pass.run = run;
    return marked;
  }

  /** Adds the character at `i` to the stretches of `odd` if normalising changes it. */
  #judge(text: string, i: number, pass: Pass): void {
    if (i <= pass.oddEnd) return; // The second half of a pair already taken.
    const code = codeOf.call(text, i);
    const c = this.#classes[code]!;
    const k = (c & UNCHECKED) === 0 ? c : this.#check(code);
    if ((k & TRIGGER) === 0) return;
    if (code >= 0x300 && code <= 0xfe2f && isCombiningMark(code)) {
      // A combining mark is an accent in prose, written apart (as macOS writes names);
      // after a digit, which no accent is written on, it disguises a token that has one
      // (a mark after each character: `g̃h̃p̃_Z̃q̃8̃...`), read without its marks.
      const before = codeOf.call(text, i - 1);
      // One place a window's reach: the windows around them would merge.
      const last = pass.marked.length > 0 ? pass.marked[pass.marked.length - 1]! : -Infinity;
      if (before >= 48 && before <= 57 && i > last + DECODE_RADIUS) pass.marked.push(i);
      return;
    } else if ((k & LOOK_ALIKE) !== 0) {
      // In a word of its own script a look-alike is a letter: prose is not decoded.
      if (i >= pass.tokenEnd) {
        const t = tokenAround(text, i);
        pass.tokenEnd = t >> 1;
        pass.mixed = (t & 1) === 1;
      }
      if (!pass.mixed) return;
    } else if ((code & 0xf800) === 0xd800 && !surrogateChanges(text, i)) {
      return;
    }
    if (pass.oddStart < 0 || i - pass.oddEnd > 2 * DECODE_RADIUS) {
      if (pass.oddStart >= 0) pass.odd.push(pass.oddStart, pass.oddEnd + 1);
      pass.oddStart = i;
    }
    // A character outside the BMP ends with the second half of its pair.
    pass.oddEnd = (code & 0xfc00) === 0xd800 && (codeOf.call(text, i + 1) & 0xfc00) === 0xdc00
      ? i + 1
      : i;
  }
}

/** Characters per slice of the survey's pass. */
const SLICE = 4096;

function newPass(): Pass {
  return {
    state: 0,
    run: 0,
    finals: [],
    runs: [],
    dumps: [],
    spaced: [],
    joined: [],
    dumpFloor: 0,
    dumpProbe: 0,
    runProbe: 0,
    marks: [],
    odd: [],
    marked: [],
    oddStart: -1,
    oddEnd: -1,
    tokenEnd: -1,
    mixed: false,
    prose: false,
  };
}

/**
 * How many more bytes than characters `from`-`to` of `text` takes in UTF-8: one for a
 * character from U+0080 to U+07FF, two past it, one for each half of a pair of
 * surrogates. The characters past ASCII are found by a search (most text has few).
 */
export function utf8Extra(text: string, from: number, to: number): number {
  const part = from === 0 && to >= text.length ? text : text.slice(from, to);
  const past = /[\u0080-\uffff]+/g;
  let extra = 0;
  for (let m = past.exec(part); m !== null; m = past.exec(part)) {
    for (let i = m.index; i < past.lastIndex; i++) {
      const code = codeOf.call(part, i);
      // Two bytes below U+0800; three above, but a surrogate half is two of a pair's four.
      extra += code < 0x800 || (code & 0xf800) === 0xd800 ? 1 : 2;
    }
  }
  return extra;
}

/** A survey under way. */
export interface Pass {
  /** The automaton's state. */
  state: number;
  /** The length of the base64-alphabet run ending where the pass is. */
  run: number;
  /** Pairs: a final state, and the offset past the end of what reached it. */
  finals: number[];
  runs: number[];
  dumps: number[];
  spaced: number[];
  joined: number[];
  /** No stretch of `dumps` still to find starts before it (a character offset). */
  dumpFloor: number;
  /** The next character looked at for one (see `dumpsInText`). */
  dumpProbe: number;
  /** The first of `runs` not wholly before the probe (see `dumpsInText`'s narrow lines). */
  runProbe: number;
  /** Characters of the slice passed that may call for decoding (a scratch list). */
  marks: number[];
  /** Stretches of characters normalising changes (see `Survey`). */
  odd: number[];
  /** Combining marks after a digit (see `Survey.marked`). */
  marked: number[];
  /** The stretch being gathered (none yet: -1). */
  oddStart: number;
  oddEnd: number;
  /** The token around the last look-alike: where it ends, and whether it mixes in ASCII. */
  tokenEnd: number;
  mixed: boolean;
  /** Whether the last slice was dense with characters to judge (see `#passText`). */
  prose: boolean;
}

const pairCache = new Map<number, boolean>();
/**
 * Whether normalising changes the character a surrogate at `at` is half of: asked of
 * the first half (and remembered); the second half of a pair is answered by it. A lone
 * half counts as changing.
 */
function surrogateChanges(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  if (code >= 0xdc00) {
    const before = text.charCodeAt(at - 1);
    return !(at > 0 && before >= 0xd800 && before < 0xdc00);
  }
  const next = text.charCodeAt(at + 1);
  if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
  const point = text.codePointAt(at)!;
  // A tag character stands for ASCII in a run of them long enough (see `normalize`): one
  // alone is left as it is there, but it may be part of such a run.
  if (isTag(point)) return true;
  let changes = pairCache.get(point);
  if (changes === undefined) {
    const ch = String.fromCodePoint(point);
    changes = normalize(ch) !== ch;
    if (pairCache.size < 4096) pairCache.set(point, changes);
  }
  return changes;
}

/** ASCII characters a token may hold: letters, digits and `_-+/=.`. */
const TOKEN_ASCII = Uint8Array.from(
  { length: 128 },
  (_, c) => /[A-Za-z0-9_\-+/=.]/.test(String.fromCharCode(c)) ? 1 : 0,
);

function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || ((code | 0x20) >= 97 && (code | 0x20) <= 122);
}

/**
 * The token around `at` (characters past ASCII, and ASCII letters, digits and `_-+/=.`):
 * its end times two, plus one when it holds an ASCII letter or digit (Unicode's
 * mixed-script confusables, UTS #39).
 */
function tokenAround(text: string, at: number): number {
  let ascii = false;
  for (let i = at - 1; i >= 0; i--) {
    const code = codeOf.call(text, i);
    if (code < 128 && TOKEN_ASCII[code] === 0) break;
    // The letter of an escape (JSON's `\n` before a word) is not part of the token.
    if (i > 0 && codeOf.call(text, i - 1) === 92) break;
    if (isAlnum(code)) ascii = true;
  }
  let end = at + 1;
  for (const n = text.length; end < n; end++) {
    const code = codeOf.call(text, end);
    if (code < 128 && TOKEN_ASCII[code] === 0) break;
    if (isAlnum(code)) ascii = true;
  }
  return end * 2 + (ascii ? 1 : 0);
}
