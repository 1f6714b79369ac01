/**
 * @module
 * One pass over a text finds what the detector needs to know about it: every keyword
 * (Aho-Corasick, case-insensitive for ASCII letters: the prefilter that decides which
 * secret rules run, and where), every run of 16 or more base64-alphabet characters (what
 * might be encoded), and every character that calls for decoding nearby (non-ASCII or
 * control, `%`, `\\`). The automaton is a complete table over the characters the
 * keywords use (every other character is one class), so the pass costs a few
 * milliseconds per MiB whatever the number of keywords.
 */

/** What one pass over a text found. */
export interface Survey {
  /** Pairs: keyword index, offset just past its end. */
  hits: number[];
  /** Pairs: start and end of each run of 16+ characters of `A-Za-z0-9+/_-`. */
  runs: number[];
  /** Offsets of non-ASCII and control characters, `%` and `\\`. */
  triggers: number[];
}

/** The shortest run of the base64 alphabet worth a closer look (base32 needs 16). */
export const MIN_RUN = 16;
const RUN = 1 << 8;
const TRIGGER = 1 << 9;
const BACKSLASH = 1 << 10;
const CLASS = 0xff;

/** A compiled keyword set. */
export class KeywordMatcher {
  readonly keywords: readonly string[];
  /** Character code → character class (0: no keyword uses it) | RUN | TRIGGER. */
  readonly #classes = new Uint16Array(65536);
  readonly #classCount: number;
  readonly #table: Uint16Array | Uint32Array;
  /** 1 where some keyword ends in that state. */
  readonly #final: Uint8Array;
  /** For each state, the keywords (indices) ending there, through failure links. */
  readonly #outputs: number[][];

  constructor(keywords: readonly string[]) {
    this.keywords = keywords.map((k) => k.toLowerCase());
    let classCount = 1;
    for (const word of this.keywords) {
      for (const ch of word) {
        const c = ch.charCodeAt(0);
        if (c >= 128) throw new Error(`keyword "${word}" is not ASCII`);
        if (this.#classes[c] === 0) {
          this.#classes[c] = classCount;
          this.#classes[ch.toUpperCase().charCodeAt(0)] = classCount;
          classCount++;
        }
      }
    }
    if (classCount > 255) throw new Error("too many distinct keyword characters");
    for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-") {
      this.#classes[ch.charCodeAt(0)]! |= RUN;
    }
    for (let c = 0; c < 65536; c++) {
      if (c >= 127 || (c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 37 || c === 92) {
        this.#classes[c]! |= TRIGGER;
      }
      if (c === 92) this.#classes[c]! |= BACKSLASH;
    }
    this.#classCount = classCount;
    const goto: Map<number, number>[] = [new Map()];
    const ends: number[][] = [[]];
    this.keywords.forEach((word, index) => {
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
    const states = goto.length;
    const table = states < 65536
      ? new Uint16Array(states * classCount)
      : new Uint32Array(states * classCount);
    const fail = new Int32Array(states);
    const outputs: number[][] = new Array(states);
    outputs[0] = ends[0]!;
    // Breadth-first: complete the transition table with failure links (a DFA).
    const queue: number[] = [];
    for (let c = 0; c < classCount; c++) {
      const next = goto[0]!.get(c);
      if (next !== undefined) {
        table[c] = next;
        queue.push(next);
      }
    }
    for (let head = 0; head < queue.length; head++) {
      const s = queue[head]!;
      outputs[s] = [...ends[s]!, ...outputs[fail[s]!]!];
      for (let c = 0; c < classCount; c++) {
        const next = goto[s]!.get(c);
        if (next !== undefined) {
          fail[next] = table[fail[s]! * classCount + c]!;
          table[s * classCount + c] = next;
          queue.push(next);
        } else {
          table[s * classCount + c] = table[fail[s]! * classCount + c]!;
        }
      }
    }
    this.#table = table;
    this.#outputs = outputs;
    this.#final = new Uint8Array(states);
    for (let s = 0; s < states; s++) this.#final[s] = outputs[s]!.length > 0 ? 1 : 0;
  }

  /** Keywords, runs and triggers in `text`, in one pass. */
  survey(text: string): Survey {
    const classes = this.#classes;
    const table = this.#table;
    const final = this.#final;
    const outputs = this.#outputs;
    const width = this.#classCount;
    const hits: number[] = [];
    const runs: number[] = [];
    const triggers: number[] = [];
    let s = 0;
    let start = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = classes[text.charCodeAt(i)]!;
      s = table[s * width + (c & CLASS)]!;
      if (final[s] !== 0) {
        const out = outputs[s]!;
        for (let k = 0; k < out.length; k++) hits.push(out[k]!, i + 1);
      }
      if ((c & RUN) === 0) {
        if (i - start >= MIN_RUN) runs.push(start, i);
        start = i + 1;
        if (c & TRIGGER) {
          // A backslash matters only before `u` or `/` (JSON's `\n` and `\"` hide nothing).
          if ((c & BACKSLASH) === 0) triggers.push(i);
          else {
            const next = text.charCodeAt(i + 1);
            if (next === 117 || next === 47) triggers.push(i);
          }
        }
      }
    }
    if (n - start >= MIN_RUN) runs.push(start, n);
    return { hits, runs, triggers };
  }
}
