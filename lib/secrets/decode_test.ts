import assert from "node:assert/strict";
import { isFileBase64, writtenSpan } from "./decode.ts";
import { charCallsDecode, jsonUnescape, jsonUnescapeDeep } from "./unescape.ts";

/** JSON string escapes resolved by their plain definition: one regex, each escape replaced. */
function byDefinition(text: string): string {
  return text.replace(/\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))/g, (_, hex, ch) => {
    if (hex) return String.fromCharCode(parseInt(hex, 16));
    return ({ b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" } as Record<string, string>)[ch] ?? ch;
  });
}

Deno.test("jsonUnescape() resolves what its plain definition does, and leaves the rest as written", () => {
  const cases = [
    String.raw`line\nnext\ttab \"quoted\" \/path \\ back`,
    String.raw`\u0067hp_ and \u00E9 and \uD83D\uDE00`,
    // An escaped backslash before u is a backslash, then the letter u.
    String.raw`\\u0041`,
    // Not escapes: a bad hex digit, one cut short, an unknown letter, a backslash at the end.
    String.raw`\u12G4 \u004 \q` + "\\",
    "no escapes at all",
    "",
  ];
  for (const text of cases) assert.equal(jsonUnescape(text), byDefinition(text), text);
  assert.equal(jsonUnescape(String.raw`\u0067hp_\n`), "ghp_\n");
  // Random strings over the characters escapes are made of.
  const alphabet = String.raw`\\\\u"nbf/0aF9Gq`;
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % alphabet.length;
  for (let i = 0; i < 20_000; i++) {
    let text = "";
    for (let j = 0; j < 14; j++) text += alphabet[next()];
    assert.equal(jsonUnescape(text), byDefinition(text), JSON.stringify(text));
  }
});

Deno.test("isFileBase64() knows each file's base64 by its signature, whatever bytes follow it", () => {
  const signatures: [string, number[]][] = [
    ["PNG", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
    ["JPEG", [0xff, 0xd8, 0xff]],
    ["GIF87a", [...new TextEncoder().encode("GIF87a")]],
    ["GIF89a", [...new TextEncoder().encode("GIF89a")]],
    ["WebP", [...new TextEncoder().encode("RIFF")]],
    ["PDF 1.7", [...new TextEncoder().encode("%PDF-1.7")]],
    ["PDF 2.0", [...new TextEncoder().encode("%PDF-2.0")]],
    ["gzip", [0x1f, 0x8b, 0x08]],
    ["zip", [0x50, 0x4b, 0x03, 0x04]],
  ];
  for (const [kind, signature] of signatures) {
    for (let next = 0; next < 256; next++) {
      const bytes = Uint8Array.from([...signature, next, 0x55, 0xaa, 0x00, 0xff]);
      assert.ok(isFileBase64(bytes.toBase64()), `${kind} then byte ${next}`);
    }
  }
  for (const text of ["iVBOR", "a config file", "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"]) {
    assert.ok(!isFileBase64(new TextEncoder().encode(text).toBase64()), text);
  }
});

Deno.test("charCallsDecode() gives the characters calls give by their codes, joined as the calls are, and leaves the rest as written", () => {
  for (
    const [text, expected] of [
      ["x = chr(103)+chr(104)+chr(112)", "x = ghp"],
      ["$x = chr(103) . chr(0x68) . CHR(112);", "$x = ghp;"],
      ["s = Chr(103) & ChrW(104)", "s = gh"],
      ["String.fromCharCode(103) + String.fromCharCode(104)", "gh"],
      ["[char]103+[char]104", "gh"],
      ["SELECT CONCAT(CHAR(103), CHAR(104))", "SELECT CONCAT(gh)"],
      // Joined to a quoted piece: in that piece's quotes.
      [`"ghp_" + chr(90) + "q8L"`, `"ghp_" + "Z" + "q8L"`],
      [`chr(103) + 'hp_'`, `'g' + 'hp_'`],
      // A character a line (or after a `;`), appended to a name: the lines between go too.
      ["s = ''\ns += chr(103)\ns += chr(104)\nprint(s)", "s = ''\ns += gh\nprint(s)"],
      ["$s .= chr(103);\n$s .= chr(0x68);", "$s .= gh;"],
      ["s = s + chr(103)\n  s = s + chr(104)", "s = s + gh"],
      ["t += String.fromCharCode(103); t += String.fromCharCode(104);", "t += gh;"],
      // In a JSON string, its line breaks escaped.
      [String.raw`s += chr(103)\ns += chr(104)\n`, String.raw`s += gh\n`],
      // A line between that appends nothing: not joined.
      ["s += chr(103)\nprint(s)\ns += chr(104)", "s += g\nprint(s)\ns += h"],
      // A code past Unicode's, a name that only ends in `chr`, no code: as written.
      ["chr(1114112)", "chr(1114112)"],
      ["synchr(103)", "synchr(103)"],
      ["s.charCodeAt(0) + chr(x)", "s.charCodeAt(0) + chr(x)"],
    ] as const
  ) {
    assert.equal(charCallsDecode(text), expected, text);
  }
});

Deno.test("jsonUnescapeDeep() resolves escapes again while a quote escaped twice or more is left, four levels at most", () => {
  const code = 'k = "ghp_" + "Zq8L"\nprint(k)';
  let text = code;
  for (let level = 1; level <= 6; level++) {
    text = JSON.stringify(text).slice(1, -1);
    // Once: the code. Deeper: resolved down to its quotes escaped once (which the readers
    // of pieces know), four levels at most.
    const once = JSON.stringify(code).slice(1, -1);
    const expected = level === 1 ? code : level <= 5 ? once : JSON.stringify(once).slice(1, -1);
    assert.equal(jsonUnescapeDeep(text), expected, `${level}: ${text}`);
  }
  // Escaped once, resolved once: a quote escaped once is the string's own.
  assert.equal(jsonUnescapeDeep(String.raw`say \"hi\" \\ \n`), 'say "hi" \\ \n');
});

Deno.test("writtenSpan() maps characters of a decoding back to where they are written", () => {
  const window = String.raw`k = \\\"ghp_Zq8L\\\" + \\\"w2Rt\\\"; \u0041\u0042 end`;
  const decoded = jsonUnescape(window);
  // Characters decoding leaves as they are: exactly.
  for (const piece of ["ghp_Zq8L", "w2Rt", "end"]) {
    const at = decoded.indexOf(piece);
    assert.deepEqual(
      writtenSpan(window, jsonUnescape, at, at + piece.length),
      [window.indexOf(piece), window.indexOf(piece) + piece.length],
      piece,
    );
  }
  // From the first piece to the last, the escaped quotes between them too.
  const [from, to] = writtenSpan(
    window,
    jsonUnescape,
    decoded.indexOf("ghp_"),
    decoded.indexOf("w2Rt") + 4,
  );
  assert.equal(window.slice(from, to), String.raw`ghp_Zq8L\\\" + \\\"w2Rt`);
  // Characters of escapes: their escapes, whole (a start of the window that ends inside
  // one decodes to more than the whole of it).
  const [a, b] = writtenSpan(
    window,
    jsonUnescape,
    decoded.indexOf("AB"),
    decoded.indexOf("AB") + 2,
  );
  assert.equal(window.slice(a, b), String.raw`\u0041\u0042`);
});
