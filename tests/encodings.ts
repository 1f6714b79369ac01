/**
 * @module
 * Encodings a test writes a secret in, as an agent could to hide it: URL-safe base64,
 * hex, base32 (RFC 4648, capitals, no padding) and bits of its UTF-8.
 */

/** URL-safe base64 of `s`, without padding. */
export const base64UrlOf = (s: string): string =>
  btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Hex of `s`'s bytes, in small letters. */
export const hexOf = (s: string): string =>
  [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Base32 of `s`'s bytes (RFC 4648's alphabet, or its extended hex one that `basenc
 * --base32hex` writes), without padding.
 */
export function base32Of(s: string, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"): string {
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

/** Base32hex (RFC 4648's extended hex alphabet) of `s`'s bytes, without padding. */
export const base32HexOf = (s: string): string => base32Of(s, "0123456789ABCDEFGHIJKLMNOPQRSTUV");

/** The bits of `s`'s bytes, eight a byte, the high bit first or the low (`basenc --base2msbf`). */
export const bitsOf = (s: string, msb = true): string =>
  [...new TextEncoder().encode(s)].map((b) => {
    const high = b.toString(2).padStart(8, "0");
    return msb ? high : [...high].reverse().join("");
  }).join("");

/**
 * `s` as `fold -w width` prints it: each of its lines cut every `width` characters (a
 * line's end stays one, an empty line stays empty).
 */
export const foldOf = (s: string, width: number): string =>
  s.split("\n").map((l) => l && l.match(new RegExp(`.{1,${width}}`, "g"))!.join("\n")).join("\n");

/** `s` reversed, as `rev` prints it. */
export const reversedOf = (s: string): string => [...s].reverse().join("");

/**
 * `s` with its letters moved `n` places on (a Caesar cipher, `tr a-z d-za-c` for 3); with
 * `small`, its small letters alone.
 */
export const shiftedOf = (s: string, n: number, small = false): string =>
  s.replace(small ? /[a-z]/g : /[a-z]/gi, (c) => {
    const base = c <= "Z" ? 65 : 97;
    return String.fromCharCode(base + (c.charCodeAt(0) - base + n) % 26);
  });

/** `s` in ROT13, as `tr A-Za-z N-ZA-Mn-za-m` prints it. */
export const rot13Of = (s: string): string => shiftedOf(s, 13);

/** `s` turned each way an agent could turn it, named as the detector names each. */
export const turningsOf = (
  s: string,
): (readonly ["reversed" | "rot13" | "reversed-rot13", string])[] => [
  ["reversed", reversedOf(s)],
  ["rot13", rot13Of(s)],
  ["reversed-rot13", rot13Of(reversedOf(s))],
];

/**
 * `s` (ASCII) in UTF-7 as glibc's `iconv -t UTF-7` writes it: letters, digits, spaces,
 * line breaks and `'(),-./:?` as they are; `+` as `+-`; a run of other characters as the
 * base64 of their UTF-16 after a `+`, closed by a `-` unless a space or a line break
 * follows (`ghp_x`: `ghp+AF8-x`).
 */
export function utf7Of(s: string): string {
  const direct = /[A-Za-z0-9'(),\-./:? \t\r\n]/;
  const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let out = "";
  for (let i = 0; i < s.length;) {
    if (direct.test(s[i]!)) {
      out += s[i++];
    } else if (s[i] === "+") {
      out += "+-";
      i++;
    } else {
      let bits = "";
      for (; i < s.length && !direct.test(s[i]!) && s[i] !== "+"; i++) {
        bits += s.charCodeAt(i).toString(2).padStart(16, "0");
      }
      bits = bits.padEnd(Math.ceil(bits.length / 6) * 6, "0");
      out += "+" + bits.match(/.{6}/g)!.map((b) => b64[parseInt(b, 2)]).join("");
      if (i === s.length || !/[ \t\r\n]/.test(s[i]!)) out += "-";
    }
  }
  return out;
}

/** `xxd`'s lines of `bytes`: offsets, groups of two bytes, a text column of 16. */
export function xxdLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = [...bytes.subarray(at, at + 16)];
    const groups: string[] = [];
    for (let i = 0; i < row.length; i += 2) {
      groups.push(row.slice(i, i + 2).map((b) => b.toString(16).padStart(2, "0")).join(""));
    }
    const shown = row.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${at.toString(16).padStart(8, "0")}: ${groups.join(" ").padEnd(39)}  ${shown}`);
  }
  return lines;
}
