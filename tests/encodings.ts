/**
 * @module
 * Encodings a test writes a secret in, as an agent could to hide it: URL-safe base64,
 * hex and base32 (RFC 4648, capitals, no padding) of its UTF-8.
 */

/** URL-safe base64 of `s`, without padding. */
export const base64UrlOf = (s: string): string =>
  btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Hex of `s`'s bytes, in small letters. */
export const hexOf = (s: string): string =>
  [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Base32 of `s`'s bytes (RFC 4648's alphabet), without padding. */
export function base32Of(s: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let acc = 0;
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += alphabet[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += alphabet[(acc << (5 - bits)) & 31];
  return out;
}
