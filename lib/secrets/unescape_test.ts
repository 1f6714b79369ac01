/**
 * The escapes of program text and HTML's references, decoded by loops (`codeUnescape`,
 * `htmlUnescape`), checked against the regular expressions they replaced over random
 * text rich in escapes; UTF-7 (`utf7Decode`, `triggered`'s `utf7`) against glibc's
 * `iconv -t UTF-7` and the plus signs of code; percent-decoding (`percentDecode`) against
 * `decodeURIComponent`, which it replaced.
 */

import assert from "node:assert/strict";
import {
  codeUnescape,
  HTML_NAMES,
  htmlUnescape,
  isUtf8,
  percentDecode,
  triggered,
  utf7Decode,
} from "./unescape.ts";
import { utf7Of } from "../../tests/encodings.ts";

/** The regular expression `codeUnescape` was (with `named` only for the names below). */
function codeByRegExp(text: string): string {
  const names: Record<string, string> = { "LOW LINE": "_", "DIGIT ONE": "1" };
  return text.replace(
    /\\(?:x([0-9A-Fa-f]{2})|[ux]\{([0-9A-Fa-f]{1,6})\}|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([0-3][0-7]{2}|[0-7]{1,2}(?![0-7]))|N\{([A-Za-z0-9 +-]{1,40})\})/g,
    (all, x, braced, u, wide, octal, name) => {
      if (name !== undefined) return names[name.trim().toUpperCase()] ?? all;
      const hex = x ?? braced ?? u ?? wide;
      const code = hex !== undefined ? parseInt(hex, 16) : parseInt(octal, 8);
      return code <= 0x10ffff ? String.fromCodePoint(code) : all;
    },
  );
}

/** The regular expression `htmlUnescape` was. */
function htmlByRegExp(text: string): string {
  const reference = new RegExp(
    `&#(?:[xX]([0-9A-Fa-f]{1,6})|([0-9]{1,7}));?|&(?:${Object.keys(HTML_NAMES).join("|")});`,
    "g",
  );
  return text.replace(reference, (all, hex, dec) => {
    if (hex === undefined && dec === undefined) return HTML_NAMES[all.slice(1, -1)] ?? all;
    const code = hex !== undefined ? parseInt(hex, 16) : parseInt(dec, 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
  });
}

/**
 * Asserts that `decode` and `reference` agree on 20,000 texts of up to `most` of `parts`
 * (separated by `|`) drawn at random (seeded: the same every run).
 */
function assertSameOnRandom(
  parts: string,
  most: number,
  decode: (text: string) => string,
  reference: (text: string) => string,
): void {
  const pieces = parts.split("|");
  let seed = most;
  const random = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  for (let t = 0; t < 20_000; t++) {
    let text = "";
    const n = 1 + random(most);
    for (let i = 0; i < n; i++) text += pieces[random(pieces.length)];
    assert.equal(decode(text), reference(text), JSON.stringify(text));
  }
}

Deno.test("codeUnescape() reads escapes as the regular expression it replaced did, over 20,000 random texts", () => {
  assertSameOnRandom(
    "\\|\\|\\|x|u|U|N|{|}|0|1|3|4|7|8|9|a|F|g| |LOW LINE|DIGIT ONE|NOPE|10FFFF|110000|0041|\n",
    24,
    codeUnescape,
    codeByRegExp,
  );
  // Each form once.
  const forms: [string, string][] = [
    ["\\x5f", "_"],
    ["\\x{5f}", "_"],
    ["\\u{5f}", "_"],
    ["\\u005f", "_"],
    ["\\U0000005f", "_"],
    ["\\137", "_"],
    ["\\47x", "'x"],
    ["\\7", "\x07"],
    ["\\477", "\\477"],
    ["\\N{LOW LINE}", "_"],
    ["\\U00110000", "\\U00110000"],
    ["\\\\x41", "\\A"],
  ];
  for (const [text, want] of forms) assert.equal(codeUnescape(text), want, text);
});

Deno.test("htmlUnescape() reads references as the regular expression it replaced did, over 20,000 random texts", () => {
  assertSameOnRandom(
    "&|&|#|#|x|X|;|;|0|1|9|5f|a|G|1114111|1114112|10FFFF|lowbar|sol|UnderBar|Lowbar|amp| |\n",
    20,
    htmlUnescape,
    htmlByRegExp,
  );
  assert.equal(htmlUnescape("ghp&lowbar;x&#95;y&#x5f;z&#X5F&sol;&amp;"), "ghp_x_y_z_/&amp;");
});

Deno.test("utf7Decode() reads back what `iconv -t UTF-7` writes of ASCII, and leaves code's plus signs and UTF-7 of other scripts", () => {
  // `printf 'a_ b_\nc__=d!e' | iconv -t UTF-7`, and so on: a shift closed by `-`, or by
  // the space or line break after it; `+` as `+-`; a run of marks in one shift.
  const fromIconv: [string, string][] = [
    ["a+AF8 b+AF8\nc+AF8AXwA9-d+ACE-e", "a_ b_\nc__=d!e"],
    ["x+-y", "x+y"],
    ["+AH4AXA-", "~\\"],
    ["GITHUB+AF8-TOKEN+AD0-ghp+AF8-x", "GITHUB_TOKEN=ghp_x"],
  ];
  for (const [written, text] of fromIconv) {
    assert.equal(utf7Of(text), written);
    assert.equal(utf7Decode(written), text);
  }
  // Code and prose: a `+` before a letter, digits or another `+`, and what decodes to no
  // printable ASCII (`+Array`: U+02BA...; a zero; bits left over; Japanese in UTF-7).
  for (
    const text of ["a+b", "c++", "i+=1", '"x" +Array(3)', "x+AAA-", "+AF-", "+ZeVnLIqe-", "1+1=2"]
  ) {
    assert.equal(utf7Decode(text), text);
    assert.deepEqual(triggered(text, []).utf7, text.includes("+-") ? [text.indexOf("+-")] : []);
  }
  // Any printable ASCII, written as iconv writes it, reads back.
  let seed = 11;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let n = 0; n < 2000; n++) {
    const text = Array.from(
      { length: 1 + Math.floor(random() * 40) },
      () => String.fromCharCode(32 + Math.floor(random() * 95)),
    ).join("");
    assert.equal(utf7Decode(utf7Of(text)), text, text);
  }
  // Each shift (and `+-`) is where `triggered` says one is.
  const written = utf7Of("GITHUB_TOKEN=ghp_x; a+b");
  assert.deepEqual(
    triggered(written, []).utf7,
    [...written.matchAll(/\+/g)].map((m) => m.index),
  );
});

/** The percent-decoding `percentDecode` replaced: `decodeURIComponent`, its error caught. */
function percentByError(text: string): string {
  return text.replace(/\+/g, " ").replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    }
  });
}

Deno.test("percent-decoding tells UTF-8 from other bytes as decodeURIComponent does, without its error: every pair of bytes, lead bytes with continuations at each edge, random runs", () => {
  const escape = (b: number) => "%" + b.toString(16).padStart(2, "0");
  const texts: string[] = [];
  for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) texts.push(escape(a) + escape(b));
  for (let a = 0xe0; a <= 0xf4; a++) {
    for (let b = 0x70; b <= 0xc4; b++) {
      for (const c of [0x7f, 0x80, 0xbf, 0xc0]) {
        texts.push(escape(a) + escape(b) + escape(c));
        for (const d of [0x7f, 0x80, 0xbf, 0xc0]) {
          texts.push(escape(a) + escape(b) + escape(c) + escape(d));
        }
      }
    }
  }
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let k = 0; k < 20_000; k++) {
    let text = "";
    for (let n = 1 + Math.floor(next() * 8); n > 0; n--) {
      const r = next();
      text += r < 0.1
        ? "x+"
        : escape(r < 0.4 ? Math.floor(next() * 128) : 0x80 + Math.floor(next() * 128));
    }
    texts.push(text, text.toUpperCase());
  }
  // A byte-order mark stays, as decodeURIComponent keeps it; what is no escape stays as written.
  texts.push("%EF%BB%BFa", "%zz%4", "a%2", "%F0%9F%98%80%ED%A0%80", "%C0%AF", "%F4%90%80%80");
  for (const text of texts) assert.equal(percentDecode(text), percentByError(text), text);
  assert.equal(isUtf8(new Uint8Array([0xf0, 0x9f, 0x98, 0x80])), true);
  assert.equal(isUtf8(new Uint8Array([0xed, 0xa0, 0x80])), false);
  // A long run that is no UTF-8 (more bytes than one call takes as arguments).
  const long = "%EB".repeat(200_000);
  assert.equal(percentDecode(long), "\u00eb".repeat(200_000));
});
