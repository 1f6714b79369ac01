/**
 * @module
 * Removing the bottle's injected credentials from what upstreams send back, in
 * response headers and in bodies of every content type, as bytes and across chunk
 * boundaries, holding back only a tail that could be the start of a secret, so that
 * streams (server-sent events) are not delayed.
 */

import { ByteSearch, concat } from "../../lib/bytes.ts";

const encoder = new TextEncoder();

/**
 * The values worth scrubbing: each whole, and a token after a scheme word (`Bearer x`);
 * each also as an upstream may echo it escaped: in a JSON string whose encoder escapes
 * slashes (PHP's `json_encode`: an AWS secret key's `/` as `\/`) and percent-encoded (a
 * URL or a form echoing it: `+`, `/` and `=` as `%2B`, `%2F`, `%3D`).
 */
export function scrubValues(values: readonly string[]): string[] {
  const out = new Set<string>();
  const add = (v: string) => {
    out.add(v);
    out.add(JSON.stringify(v).slice(1, -1).replaceAll("/", "\\/"));
    out.add(encodeURIComponent(v));
  };
  for (const v of values) {
    if (v.length >= 8) add(v);
    const m = /^[A-Za-z][A-Za-z0-9_-]*\s+(\S{8,})$/.exec(v.trim());
    if (m) add(m[1]!);
  }
  return [...out].toSorted((a, b) => b.length - a.length);
}

/** A stateful scrubber for one response. */
export class Scrubber {
  readonly #secrets: Uint8Array[];
  readonly #searches: ByteSearch[];
  readonly #texts: string[];
  readonly #replacement: Uint8Array;
  readonly #replacementText: string;
  readonly #onScrub: () => void;
  #carry: Uint8Array = new Uint8Array(0);
  #reported = false;

  constructor(
    values: readonly string[],
    onScrub: () => void = () => {},
    replacement = "[redacted by bot-bottle]",
  ) {
    this.#texts = scrubValues(values);
    this.#secrets = this.#texts.map((v) => encoder.encode(v));
    this.#searches = this.#secrets.map((s) => new ByteSearch(s));
    this.#replacementText = replacement;
    this.#replacement = encoder.encode(replacement);
    this.#onScrub = onScrub;
  }

  /** Whether there is anything to scrub at all. */
  get active(): boolean {
    return this.#secrets.length > 0;
  }

  #report(): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#onScrub();
  }

  /** A header value with every secret replaced. */
  text(value: string): string {
    let out = value;
    for (const s of this.#texts) {
      if (out.includes(s)) {
        this.#report();
        out = out.replaceAll(s, this.#replacementText);
      }
    }
    return out;
  }

  #replaceAll(data: Uint8Array): Uint8Array {
    let out = data;
    for (const search of this.#searches) {
      const secret = search.needle;
      let at = search.find(out, 0);
      if (at === -1) continue;
      this.#report();
      const parts: Uint8Array[] = [];
      let from = 0;
      while (at !== -1) {
        parts.push(out.subarray(from, at), this.#replacement);
        from = at + secret.length;
        at = search.find(out, from);
      }
      parts.push(out.subarray(from));
      out = concat(parts);
    }
    return out;
  }

  /** Length of the longest tail of `data` that is a proper prefix of a secret. */
  #heldTail(data: Uint8Array): number {
    let best = 0;
    for (const secret of this.#secrets) {
      const max = Math.min(secret.length - 1, data.length);
      for (let k = max; k > best; k--) {
        let match = true;
        for (let i = 0; i < k; i++) {
          if (data[data.length - k + i] !== secret[i]) {
            match = false;
            break;
          }
        }
        if (match) {
          best = k;
          break;
        }
      }
    }
    return best;
  }

  /** Takes a chunk; returns what can be sent now. */
  push(chunk: Uint8Array): Uint8Array {
    if (!this.active) return chunk;
    const data = this.#replaceAll(this.#carry.length ? concat([this.#carry, chunk]) : chunk);
    const hold = this.#heldTail(data);
    this.#carry = data.slice(data.length - hold);
    return data.subarray(0, data.length - hold);
  }

  /** What is still held back, at the end of the body. */
  flush(): Uint8Array {
    const rest = this.#replaceAll(this.#carry);
    this.#carry = new Uint8Array(0);
    return rest;
  }
}
