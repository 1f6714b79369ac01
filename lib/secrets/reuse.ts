/**
 * @module
 * Scans of texts that are mostly a text scanned just before. A model API request carries
 * the whole conversation, and the next request is the same up to its last turns: a
 * session's requests grow to a megabyte or more, and each was scanned whole, a scan of
 * tens of milliseconds on every turn for what had not changed. `RecentScans` keeps the
 * last few texts and what was found in them; a text that starts as one of them is
 * scanned from shortly before where it first differs to shortly after where they end
 * alike, and the findings outside that are the earlier scan's.
 *
 * Where the scan may start again: what the detector decodes as one (a run of base64, hex
 * or base32 and the lines it is wrapped across, a hex dump, characters listed or joined,
 * and what is decoded from them: compressed data, another layer) holds no `"`, and no
 * decoding turns one into anything else. Windows of escapes, percent-encoding or
 * look-alikes may reach across one, but are decoded a character at a time, the quote left
 * a quote. In a JSON document every `"` not escaped opens or closes one of its strings, so
 * nothing decoded as one reaches across the quote that opens a string; readers of pieces
 * do (the request's own list values joined, up to 1,024 characters), far less than
 * `REACH`. The scan starts again `CONTEXT` before the opening quote of the last string
 * opening `REACH` or more before the first character that changed: findings before that
 * quote are the earlier scan's (the text is the same to `REACH` past it), the rest the new
 * scan's. A finding the earlier scan made of a window that reached past the change is kept
 * though what it stood for changed: a refusal, not a leak. A text that is not one JSON
 * document is scanned whole (its quotes could be anything's), as is one that shares too
 * little with those kept.
 *
 * The end the two share (a model request's system prompt and tools come after its turns)
 * is not scanned again either, from the end of a string `REACH` or more past the part that
 * changed, and where nothing a decoding reads across lies near it (`quietAt`: a window of
 * escapes reaches across the quotes of strings, and a token far into one is found where
 * its decoding puts it, before where it is written): findings from there on are the
 * earlier scan's, and the scan again reads `CONTEXT` past it.
 */

import {
  detector,
  type FindOptions,
  findSecrets,
  getPublicValues,
  joinPieces,
  type Located,
} from "./mod.ts";
import { DECODE_RADIUS, utf8Extra } from "./keywords.ts";

/** Texts shorter than this are scanned whole (and not kept): they take little. */
export const MIN_KEPT = 128 * 1024;
/** Texts longer than this are not kept (a large upload, sent once). */
const MAX_KEPT = 8 * 1024 * 1024;
/** How many texts are kept (the newest). */
const KEPT = 4;
/** The most characters kept in all. */
const KEPT_CHARS = 16 * 1024 * 1024;
/**
 * How far before the place two texts part a scan starts again, at the least: far more than
 * any reader of pieces reads across strings (quoted pieces joined up to 1,024 characters,
 * a window of escapes 256 either side of one).
 */
export const REACH = 16 * 1024;
/**
 * How much of the text before the quote a scan starts again at is read with it: more than
 * any reader looks back (a name before its value, the start of a window of escapes).
 */
export const CONTEXT = 8 * 1024;

/**
 * How much of the end two texts share makes it worth not scanning again: a model request's
 * tools and system prompt come after its turns (Claude Code's, 40-70 KB).
 */
const MIN_TAIL = REACH + CONTEXT + 16 * 1024;
/**
 * How far either side of the quote a scan stops again at nothing may be that a decoding
 * reads across (see `quietAt`): a window of escapes reaches `DECODE_RADIUS` from one.
 */
const QUIET = 2 * DECODE_RADIUS;
/** How many ends of strings are tried for one that is quiet (a survey of 1 KiB each). */
const QUIET_TRIES = 64;

interface Kept {
  text: string;
  found: readonly Located[];
  /** Its UTF-8 marks (`utf8Marks`), once counted. */
  marks?: Int32Array;
  /** The marks of a walk of its JSON (`WalkMark`), once walked whole. */
  walk?: WalkMark[];
}

/**
 * The scans of recent texts, for one set of options (values, public values and the rest:
 * emptied when they change).
 */
export class RecentScans {
  readonly #kept: Kept[] = [];
  #options: FindOptions = {};
  #public: readonly string[] = getPublicValues();
  /** How many characters the last `find` scanned (0 for a text seen before as it is). */
  scanned = 0;

  /** `findSecrets(text, options)`, from the scans kept where they hold. */
  find(text: string, options: FindOptions = {}): Located[] {
    this.#for(options);
    const reuse = text.length >= MIN_KEPT ? this.#reusable(text) : undefined;
    let found: Located[];
    let marks: Int32Array | undefined;
    const walk = reuse?.walk;
    if (reuse === undefined) {
      found = findSecrets(text, options);
      this.scanned = text.length;
    } else if (reuse.from === text.length) {
      found = [...reuse.kept.found];
      marks = reuse.kept.marks;
      this.scanned = 0;
    } else {
      const { kept, from, to } = reuse;
      const start = Math.max(0, from - CONTEXT);
      // Up to `CONTEXT` past where the end the two share is read from the kept scan.
      const end = to === undefined ? text.length : Math.min(text.length, to + CONTEXT);
      // Where they are in the bytes: counted from the kept text's marks, past where the
      // two part.
      if (options.utf8) {
        kept.marks ??= utf8Marks(kept.text);
        marks = utf8Marks(text, kept.marks, reuse.shared);
      }
      const utf8 = marks && options.utf8?.subarray(
        start + utf8ExtraAt(text, marks, start),
        end + utf8ExtraAt(text, marks, end),
      );
      const fresh = findSecrets(text.slice(start, end), { ...options, utf8 });
      // The kept text's offsets past the part that changed are the text's less this.
      const shift = text.length - kept.text.length;
      found = joinPieces([
        { at: 0, found: kept.found.filter((f) => f.index < from) },
        { at: start, found: to === undefined ? fresh : fresh.filter((f) => f.index + start < to) },
        ...(to === undefined ? [] : [{
          at: shift,
          found: kept.found.filter((f) => f.index + shift >= to),
        }]),
      ]);
      this.scanned = end - start;
    }
    if (text.length >= MIN_KEPT && text.length <= MAX_KEPT) {
      this.#keep({ text, found, marks, walk });
    }
    return found;
  }

  /** Forgets every text kept (a benchmark's runs over one text, each scanned whole). */
  clear(): void {
    this.#kept.length = 0;
  }

  /** Empties the texts kept unless they were scanned with the same options. */
  #for(options: FindOptions): void {
    const a = this.#options;
    const values = options.values ?? [];
    const same = a.decode === options.decode && a.ownFields === options.ownFields &&
      (a.values ?? []).length === values.length &&
      values.every((v, i) => v === a.values![i]) && this.#public === getPublicValues();
    if (same) return;
    this.#kept.length = 0;
    this.#options = { ...options, values: [...values], utf8: undefined };
    this.#public = getPublicValues();
  }

  /**
   * The kept scan `text` starts as, where in `text` its findings hold up to (`from`; the
   * text's length: all of them, the text the same) and from where they hold again (`to`,
   * when the two end alike far enough), how far the two start alike (`shared`) and the
   * marks of the walk of its JSON; undefined if none holds far enough.
   */
  #reusable(
    text: string,
  ): { kept: Kept; from: number; to?: number; shared: number; walk?: WalkMark[] } | undefined {
    let best: Kept | undefined;
    let shared = 0;
    // The newest first: a conversation's kept requests all start as this one, the newest
    // the furthest. An older one is compared whole only if it goes on as this text does
    // past there (to the same end).
    for (let i = this.#kept.length - 1; i >= 0; i--) {
      const kept = this.#kept[i]!.text;
      const on = Math.min(text.length, shared + AHEAD);
      if (best && kept.slice(shared, on) !== text.slice(shared, on)) continue;
      const n = commonPrefix(kept, text);
      if (n > shared) [best, shared] = [this.#kept[i]!, n];
    }
    if (!best) return undefined;
    if (shared === text.length && best.text.length === text.length) {
      return { kept: best, from: shared, shared, walk: best.walk };
    }
    if (shared < REACH + MIN_KEPT / 2) return undefined;
    // And the end they share, past the part that changed.
    const tail = commonSuffix(best.text, text, Math.min(best.text.length, text.length) - shared);
    // Its JSON walked from the kept text's last mark before there (the two are alike up to
    // it), not from its start: a megabyte's walk had been a tenth of the scan job.
    const p = shared - REACH;
    const resume = best.walk?.findLast((m) => m.at <= p);
    const walk = best.walk?.filter((m) => resume && m.at <= resume.at) ?? [];
    const [from, end] = jsonStringsAround(
      text,
      p,
      tail >= MIN_TAIL ? text.length - tail + REACH : text.length,
      { from: resume, marks: walk },
    );
    if (from < MIN_KEPT / 2) return undefined;
    // Where the kept scan's findings hold again: the end of a string with nothing near it
    // that a decoding reads across (tried at the ends of the strings after it, while the
    // end they share is long enough to be worth it).
    let to: number | undefined;
    for (
      let e = end, tries = 0;
      e !== -1 && e <= text.length - CONTEXT - QUIET && tries < QUIET_TRIES;
      e = nextStringEnd(text, e), tries++
    ) {
      if (quietAt(text, e)) {
        to = e;
        break;
      }
    }
    return { kept: best, from, to, shared, walk };
  }

  #keep(scan: Kept): void {
    const kept = this.#kept;
    const same = kept.findIndex((k) => k.text === scan.text);
    if (same !== -1) kept.splice(same, 1);
    kept.push(scan);
    let chars = kept.reduce((n, k) => n + k.text.length, 0);
    while (kept.length > KEPT || chars > KEPT_CHARS) {
      chars -= kept.shift()!.text.length;
    }
  }
}

/**
 * How far past where the newest kept text parts from a text an older one is looked at
 * before it is compared whole.
 */
const AHEAD = 64;

/**
 * Characters compared at once by `commonPrefix` (two slices compared natively; the
 * slices' making costs more than the comparison in smaller steps).
 */
const COMPARED = 64 * 1024;

/** How many characters `a` and `b` start with alike. */
export function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  let step = COMPARED;
  // Whole steps while they are alike; where one is not, halves of it.
  while (step >= 16) {
    if (i + step <= n && a.slice(i, i + step) === b.slice(i, i + step)) i += step;
    else step >>= 1;
  }
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** How many characters `a` and `b` end with alike, `most` at the most. */
export function commonSuffix(a: string, b: string, most: number): number {
  const n = Math.min(a.length, b.length, most);
  let i = 0;
  let step = COMPARED;
  while (step >= 16) {
    if (
      i + step <= n &&
      a.slice(a.length - i - step, a.length - i) === b.slice(b.length - i - step, b.length - i)
    ) {
      i += step;
    } else step >>= 1;
  }
  while (i < n && a.charCodeAt(a.length - 1 - i) === b.charCodeAt(b.length - 1 - i)) i++;
  return i;
}

/**
 * Whether nothing the detector decodes or reads as one may reach across `at` (the end of
 * a JSON string): within `QUIET` either side of it, no escape, percent-encoding,
 * character reference or character normalising changes (a window decoded around one
 * reaches `DECODE_RADIUS`), and no stretch of a dump, of characters spaced out or joined
 * (a list of characters in quotes reads across them). As the survey finds them.
 */
export function quietAt(text: string, at: number): boolean {
  const near = text.slice(Math.max(0, at - QUIET), at + QUIET);
  if (near.includes("&")) return false;
  const s = detector().survey(near);
  return s.triggers.length === 0 && s.odd.length === 0 && s.marked.length === 0 &&
    s.dumps.length === 0 && s.spaced.length === 0 && s.joined.length === 0;
}

/** Where the next string of a JSON document ends after `at` (past its closing quote), or -1. */
function nextStringEnd(text: string, at: number): number {
  // Outside a string (at `at`), the next quote opens one.
  const open = text.indexOf('"', at);
  if (open === -1) return -1;
  const close = closingQuote(text, open);
  return close === -1 ? -1 : close + 1;
}

/** Characters from one of a text's UTF-8 marks to the next (see `utf8Marks`). */
const MARK_EVERY = 16 * 1024;

/**
 * How many more bytes than characters the UTF-8 of `text` takes before each multiple of
 * `MARK_EVERY` (mark k is `utf8Extra(text, 0, k * MARK_EVERY)`), for the byte offsets of
 * places in it. Those up to `alike` are `known`'s, the marks of a text that starts as
 * this one up to there (the request before): only the rest of the text is read. A
 * conversation's next request had counted its bytes from its start twice, a fifth of
 * the time its scan job took.
 */
export function utf8Marks(text: string, known?: Int32Array, alike = 0): Int32Array {
  const marks = new Int32Array(Math.floor(text.length / MARK_EVERY) + 1);
  const n = known ? Math.min(marks.length, known.length, Math.floor(alike / MARK_EVERY) + 1) : 0;
  if (known && n > 0) marks.set(known.subarray(0, n));
  for (let k = Math.max(n, 1); k < marks.length; k++) {
    marks[k] = marks[k - 1]! + utf8Extra(text, (k - 1) * MARK_EVERY, k * MARK_EVERY);
  }
  return marks;
}

/** How many more bytes than characters the UTF-8 of `text` up to `end` takes, from its marks. */
export function utf8ExtraAt(text: string, marks: Int32Array, end: number): number {
  const k = Math.min(Math.floor(end / MARK_EVERY), marks.length - 1);
  return marks[k]! + utf8Extra(text, k * MARK_EVERY, end);
}

/**
 * Where the JSON string whose opening quote is at `open` closes: the next `"` not escaped
 * by an odd run of backslashes; -1 if none.
 */
export function closingQuote(text: string, open: number): number {
  for (
    let close = text.indexOf('"', open + 1);
    close !== -1;
    close = text.indexOf('"', close + 1)
  ) {
    let slashes = 0;
    while (text.charCodeAt(close - 1 - slashes) === 92) slashes++;
    if (slashes % 2 === 0) return close;
  }
  return -1;
}

/** A JSON number, read from its first character on. */
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/**
 * Where the last string of the JSON document `text` that opens at or before `p` opens
 * (the offset of its quote); -1 when there is none or `text` is not one JSON document
 * from its first character to its last (read whole: its quotes are then all a string's
 * and none is inside one). Strings are passed over with `indexOf`: a megabyte of a model
 * request is read in a millisecond or so.
 */
export function jsonStringBefore(text: string, p: number): number {
  return jsonStringsAround(text, p, text.length)[0];
}

/**
 * `jsonStringBefore(text, p)`, and where the first string that closes at or after `q`
 * ends (past its closing quote; -1 if none, or not one JSON document). `walk`: where to
 * go on from (a mark at or before `p` of a text that starts as this one up to there;
 * see `WalkMark`), and the marks to add this walk's to.
 */
export function jsonStringsAround(
  text: string,
  p: number,
  q: number,
  walk: { from?: WalkMark; marks?: WalkMark[] } = {},
): [number, number] {
  let found = walk.from?.lastOpen ?? -1;
  let after = -1;
  const whole = jsonStrings(text, (open, close) => {
    if (open <= p) found = open;
    if (after === -1 && close >= q) after = close + 1;
  }, walk);
  return whole ? [found, after] : [-1, -1];
}

/** Characters from one of a walk's marks to the next (see `WalkMark`). */
const WALK_EVERY = 64 * 1024;

/**
 * Where a walk of a JSON document stood between two of its tokens (at `at`, every
 * `WALK_EVERY` characters or so): what comes next, the arrays and objects open, and the
 * last string that opened before. It depends on the text before `at` alone, so a walk of
 * a text that starts alike up to there (a conversation's next request) goes on from it.
 */
export interface WalkMark {
  at: number;
  state: number;
  open: readonly number[];
  lastOpen: number;
}

/**
 * Whether `text` is one JSON document from its first character to its last, read whole
 * for its structure (what is inside its strings is not read: their escapes are not
 * checked); `string` is told where each of its strings opens and closes (the offsets of
 * its quotes), in order, as the walk passes it. `walk.from`: where to go on from, in a text
 * that starts as the one walked up to there (what came before it is not read again nor
 * told); `walk.marks`: where this walk's marks are added.
 */
export function jsonStrings(
  text: string,
  string: (open: number, close: number) => void,
  walk: { from?: WalkMark; marks?: WalkMark[] } = {},
): boolean {
  // What may come next: a value, a value or `]`, a key or `}`, a key, `:`, or `,` or a
  // close (after a value).
  const VALUE = 0, VALUE_OR_END = 1, KEY_OR_END = 2, KEY = 3, COLON = 4, AFTER = 5;
  const open: number[] = walk.from ? [...walk.from.open] : [];
  let state = walk.from?.state ?? VALUE;
  let lastOpen = walk.from?.lastOpen ?? -1;
  const n = text.length;
  let i = walk.from?.at ?? 0;
  const marks = walk.marks;
  let nextMark = i + WALK_EVERY;
  for (;;) {
    if (marks && i >= nextMark) {
      marks.push({ at: i, state, open: [...open], lastOpen });
      nextMark = i + WALK_EVERY;
    }
    let c = text.charCodeAt(i);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = text.charCodeAt(++i);
    if (i >= n) return state === AFTER && open.length === 0;
    if (state === AFTER) {
      if (open.length === 0) return false; // Text after the document.
      const inObject = open[open.length - 1] === 123;
      if (c === 44) state = inObject ? KEY : VALUE;
      else if (c === (inObject ? 125 : 93)) open.pop();
      else return false;
      i++;
      continue;
    }
    if (state === COLON) {
      if (c !== 58) return false;
      state = VALUE;
      i++;
      continue;
    }
    if ((c === 125 && state === KEY_OR_END) || (c === 93 && state === VALUE_OR_END)) {
      open.pop();
      state = AFTER;
      i++;
      continue;
    }
    if (c === 34) {
      const close = closingQuote(text, i);
      if (close === -1) return false;
      string(i, close);
      lastOpen = i;
      state = state === KEY || state === KEY_OR_END ? COLON : AFTER;
      i = close + 1;
      continue;
    }
    if (state === KEY || state === KEY_OR_END) return false;
    if (c === 123 || c === 91) {
      open.push(c);
      state = c === 123 ? KEY_OR_END : VALUE_OR_END;
      i++;
      continue;
    }
    if (text.startsWith("true", i) || text.startsWith("null", i)) i += 4;
    else if (text.startsWith("false", i)) i += 5;
    else {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) return false;
      i = NUMBER.lastIndex;
    }
    state = AFTER;
  }
}
