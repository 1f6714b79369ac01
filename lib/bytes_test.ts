import assert from "node:assert/strict";
import { ByteSearch } from "./bytes.ts";

const enc = new TextEncoder();

/** The first index of `needle` in `hay` at or after `from`, byte by byte. */
function naive(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = Math.max(0, from); i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

Deno.test("ByteSearch finds a needle at the start, the middle and the end, and from an offset", () => {
  const s = new ByteSearch(enc.encode("secret"));
  assert.equal(s.find(enc.encode("secret and more")), 0);
  assert.equal(s.find(enc.encode("a secret here")), 2);
  assert.equal(s.find(enc.encode("at the end: secret")), 12);
  assert.equal(s.find(enc.encode("secret secret"), 1), 7);
  assert.equal(s.find(enc.encode("secret secret"), 8), -1);
  assert.equal(s.find(enc.encode("secre")), -1);
  assert.equal(s.find(enc.encode("")), -1);
  assert.equal(s.find(enc.encode("no match at all, only secre-t")), -1);
  assert.equal(new ByteSearch(enc.encode("x")).find(enc.encode("abcx")), 3);
  assert.throws(() => new ByteSearch(new Uint8Array(0)), RangeError);
});

Deno.test("ByteSearch agrees with a byte-by-byte search where matches overlap and repeat", () => {
  // A two-letter alphabet: needles and their near misses everywhere, matches overlapping.
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let round = 0; round < 2000; round++) {
    const needle = Uint8Array.from({ length: 1 + (next() % 6) }, () => 97 + (next() % 2));
    const hay = Uint8Array.from({ length: next() % 40 }, () => 97 + (next() % 2));
    const from = next() % 8;
    const s = new ByteSearch(needle);
    assert.equal(s.find(hay, from), naive(hay, needle, from), `${needle} in ${hay} from ${from}`);
  }
});
