import assert from "node:assert/strict";
import { Detector, dropShadowed, entropy, isPlaceholder, type Rule } from "./engine.ts";
import { KeywordMatcher } from "./keywords.ts";
import { detector, findSecrets, looksBinary, printableText, secretInName } from "./mod.ts";
import { randomBytes } from "../bytes.ts";

const GH = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";

Deno.test("isPlaceholder() knows the stand-ins people write in place of a secret", () => {
  for (
    const s of [
      "xxxxxxxxxxxxxxxxxxxx",
      "AKIAIOSFODNN7EXAMPLE",
      "YOUR_API_KEY",
      "your-token-here",
      "${GITHUB_TOKEN}",
      "{{ secrets.TOKEN }}",
      "<your-key>",
      "$API_KEY",
      "$HOME/.secrets/db",
      "$DB_USER:$DB_PASS",
      "$kvStoreNginxPath",
      "$__git_cmd_idx",
      "$this->dbPassword",
      "$ENV{DB_PASSWORD}",
      "$_ENV[DB_PASSWORD]",
      "********",
      "sk-...",
      "changeme",
      "aaaaaaaaaaaaaaaaaaaaaaaa",
      "REDACTED",
      "insert_key_here",
    ]
  ) {
    assert.ok(isPlaceholder(s), s);
  }
  // A random password that starts with `$` and a letter is no variable (`;` ends none).
  for (
    const s of [
      GH.slice(4),
      "q7Z3kLm9Xw2Rt5Vn1Xc4",
      "9f86d081884c7d659a2feaa0c55ad015",
      "$Q;at4.nbq1_r8sy",
      "$k9#Lm2!qZ7^wR4p",
      "$q7Z3kLm9Xw2Rt5",
    ]
  ) {
    assert.ok(!isPlaceholder(s), s);
  }
});

Deno.test("placeholders in token shapes, templates and documentation are not findings", () => {
  for (
    const text of [
      "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
      "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
      "Authorization: Bearer ${TOKEN}",
      "Authorization: Bearer <your-token>",
      "api_key: {{ .Values.apiKey }}",
      "password = YOUR_PASSWORD_HERE",
      "https://user:${PASSWORD}@db.example.com/app",
      "https://example.com/path?x=1&y=two",
      "postgres://localhost:5432/app",
      "const key = process.env.API_KEY;",
    ]
  ) {
    assert.deepEqual(findSecrets(text), [], text);
  }
});

Deno.test("entropy() is bits per character", () => {
  assert.equal(entropy(""), 0);
  assert.equal(entropy("aaaa"), 0);
  assert.equal(entropy("abab"), 1);
  assert.equal(entropy("abcd"), 2);
});

Deno.test("KeywordMatcher.survey() finds every keyword, in any case, with overlaps", () => {
  const m = new KeywordMatcher(["ghp_", "hp_x", "key"]);
  const { hits } = m.survey("a GHP_X then KEY and monkey");
  const found: string[] = [];
  for (let i = 0; i < hits.length; i += 2) found.push(`${m.keywords[hits[i]!]}@${hits[i + 1]}`);
  assert.deepEqual(found, ["ghp_@6", "hp_x@7", "key@16", "key@27"]);
});

Deno.test("KeywordMatcher.survey() matches a keyword of one character over and over once a run", () => {
  // A MiB of `A` (zeros in base64) matched Twitter's `AAAA...` at every character.
  const m = new KeywordMatcher(["aaaa", "key"]);
  const run = "A".repeat(5000);
  const text = `x ${run} aaaa-aaaaa key %%%%41`;
  for (const utf8 of [undefined, new TextEncoder().encode(text)]) {
    const { hits, triggers } = m.survey(text, utf8);
    const found: string[] = [];
    for (let i = 0; i < hits.length; i += 2) found.push(`${m.keywords[hits[i]!]}@${hits[i + 1]}`);
    const at = text.indexOf(" aaaa-") + 5;
    assert.deepEqual(found, ["aaaa@6", `aaaa@${at}`, `aaaa@${at + 5}`, `key@${at + 10}`]);
    // A trigger word's every match: the `%` of `%41` ends a run of them.
    assert.deepEqual(triggers, [0, 1, 2, 3].map((i) => text.indexOf("%") + i));
  }
});

Deno.test("a token after a run of its keyword's character is found", () => {
  const token = "A".repeat(22) + "Kq7Xm2Lp9Rt4Vn8Bz3Hw6Jd1Fs5Gy0CeUo".repeat(3).slice(0, 84);
  const text = `${"A".repeat(1 << 16)} ${token}\n${"A".repeat(100)}${token}`;
  // The second is no token: it starts inside a word.
  assert.deepEqual(
    detector().scan(text).map((f) => [f.rule, f.index]),
    [["twitter-bearer-token", (1 << 16) + 1]],
  );
});

Deno.test("KeywordMatcher.survey() reports base64-alphabet runs and characters to decode", () => {
  const m = new KeywordMatcher(["x"]);
  // Characters normalising leaves alone (é, CJK, a Cyrillic letter like no Latin one)
  // are prose, not triggers; a full-width letter, a zero-width space and both halves of
  // a mathematical letter (𝐀) are. A look-alike (Cyrillic а) is one only in a token with
  // ASCII letters or digits: in a Cyrillic word ("\u0432\u0430\u0441", after JSON's
  // `\n` too) it is a letter of that word.
  const text = "short abcdefghijklmnopqrstuv 50%25 caf\u00e9 \u65e5\u672c \u0436 \uff21\u200b " +
    "\u0432\u0430\u0441 a\\n\u0432\u0430\u0441 sk-\u0430pi \u{1d400} a\\u0041 a\\n";
  for (let pass = 0; pass < 2; pass++) {
    // The second pass reads what the first one learnt about each character.
    const { runs, triggers, odd } = m.survey(text);
    assert.deepEqual(runs, [6, 28]);
    assert.deepEqual(triggers.map((i) => [text[i], i]), [["%", 31], ["\\", 70]]);
    // The characters to normalise (\uff21 at 45, \u200b, \u0430 at 62, and 𝐀 at 66-67)
    // make one stretch: their windows would merge.
    assert.deepEqual(odd, [45, 68]);
    assert.deepEqual(m.survey(`\uff21${" ".repeat(600)}\u200b`).odd, [0, 1, 601, 602]);
  }
});

Deno.test("KeywordMatcher.survey() finds the same across its slices, in prose and in code", () => {
  // The pass goes a slice (4096 characters) at a time, judging the characters to decode
  // after each slice, or, after a slice of prose dense with look-alikes, as it goes.
  const m = new KeywordMatcher(["ghp_"]);
  const word = "\u0432\u0430\u0441 "; // A Cyrillic word with a look-alike (а), and a space.
  const prose = (n: number) => word.repeat(Math.ceil(n / word.length)).slice(0, n);
  const code = (n: number) => "let x = 1; // ok\n".repeat(Math.ceil(n / 17)).slice(0, n);
  const run = "Z".repeat(40);
  const mixed = "sk-\u0430pi"; // The look-alike in a token with ASCII: to decode.
  for (const filler of [prose, code]) {
    // Each thing to find straddles a slice's end, once in the first slice and once
    // later (in prose, when the pass judges as it goes).
    for (const at of [4096, 3 * 4096]) {
      const parts = [
        filler(at - 3),
        " gHp_ ",
        filler(4096 - 4),
        " % ",
        filler(10),
        ` ${run} `,
        filler(4096 - 20 - 10 - 1),
        " \\u0041 ",
        filler(2000),
        ` ${mixed} `,
        filler(700),
        ` ${mixed} `,
        " \ud800 ",
      ];
      const text = parts.join("");
      const where = (i: number) => parts.slice(0, i).join("").length;
      const survey = m.survey(text);
      assert.deepEqual(survey.hits, [0, where(1) + 5], `${filler.name} at ${at}`);
      assert.deepEqual(survey.triggers, [where(3) + 1, where(7) + 1]);
      assert.deepEqual(survey.runs, [where(5) + 1, where(5) + 1 + run.length]);
      const look = (i: number) => where(i) + 4;
      assert.deepEqual(survey.odd, [look(9), look(9) + 1, look(11), where(12) + 2]);
    }
  }
});

Deno.test("KeywordMatcher.survey() reports binary data as stretches, not a trigger per byte", () => {
  const m = new KeywordMatcher(["x"]);
  const binary = "\u0000\u0001ab\u0002".repeat(100_000);
  assert.deepEqual(m.survey(binary).odd, [0, binary.length]);
  // An emoji (outside the BMP) normalising leaves alone is prose; a lone half of a
  // surrogate pair counts.
  assert.deepEqual(m.survey("ok \u{1f600} fine").odd, []);
  assert.deepEqual(m.survey("ok \ud800 fine").odd, [3, 4]);
});

Deno.test("a rule runs only near its keywords, and its entropy floor and check apply", () => {
  const rule: Rule = {
    id: "demo",
    description: "demo token",
    kind: "token",
    keywords: ["demo_"],
    pattern: /demo_([A-Za-z0-9]{12})/g,
    entropy: 3,
    check: (s) => !s.startsWith("0"),
    window: { before: 0, after: 20 },
  };
  const d = new Detector([rule]);
  assert.deepEqual(d.scan("x demo_q7Z3kLm9Xw2R y").map((f) => [f.rule, f.index, f.length]), [[
    "demo",
    7,
    12,
  ]]);
  assert.deepEqual(d.scan("demo_aaaaaaaaaaaa"), [], "entropy floor");
  assert.deepEqual(d.scan("demo_0q7Z3kLm9Xw2"), [], "check");
});

Deno.test("an anchored rule is tried where its keywords start, as a scan would", () => {
  const rule: Rule = {
    id: "named",
    description: "named value",
    kind: "named",
    keywords: ["tok", "secret"],
    pattern: /(?<![A-Za-z])(?:tok|secret)[a-z_]*\s*=\s*([A-Za-z0-9=]{12,})/gi,
    anchored: true,
  };
  const d = new Detector([rule]);
  const found = (text: string) => d.scan(text).map((f) => text.slice(f.index, f.index + f.length));
  // Either keyword, in any case.
  assert.deepEqual(found("SECRET = q7Z3kLm9Xw2Rt5 and tok_x = Vn1Xc4Bm7Hk0Jp"), [
    "q7Z3kLm9Xw2Rt5",
    "Vn1Xc4Bm7Hk0Jp",
  ]);
  // The lookbehind sees the text before the anchor: "mytok" is no name.
  assert.deepEqual(found("mytok = q7Z3kLm9Xw2Rt5"), []);
  // A keyword inside a match is no second anchor.
  assert.deepEqual(found("tok=secret=q7Z3kLm9Xw2Rt5"), ["secret=q7Z3kLm9Xw2Rt5"]);
});

Deno.test("one finding per secret: a more specific rule's finding shadows a general one", () => {
  const rules = findSecrets(`Authorization: token ${GH}`).map((f) => f.rule);
  assert.deepEqual(rules, ["github-token"]);
  const generic = findSecrets(`my_service_secret = "q7Z3kLm9Xw2Rt5Vn1Xc4Bm7Hk0Jp"`).map((f) =>
    f.rule
  );
  assert.deepEqual(generic, ["generic-secret"]);
});

Deno.test("a binary file is scanned as the text it shows: a key in it is found, at its line", () => {
  const random = randomBytes(200_000);
  const key = new TextEncoder().encode(`\naws_key = "AKIA${"QYLPMN5HFIQR7XZB"}"\n`);
  const bytes = new Uint8Array(random.length + key.length);
  bytes.set(random.subarray(0, 100_000));
  bytes[0] = 0; // binary, as git decides it
  bytes.set(key, 100_000);
  bytes.set(random.subarray(100_000), 100_000 + key.length);
  assert.ok(looksBinary(bytes));
  assert.ok(!looksBinary(new TextEncoder().encode("plain text\n")));
  const text = printableText(bytes);
  // Runs of four printable characters or more, as `strings` shows them: random bytes are
  // printable a third of the time, and hold such runs in some tenth of their length.
  assert.ok(text.length < bytes.length / 5, `${text.length} of ${bytes.length}`);
  assert.ok(text.includes(`aws_key = "AKIA${"QYLPMN5HFIQR7XZB"}"`));
  assert.equal(
    text.split("\n").length,
    bytes.filter((b) => b === 10).length + 1,
    "line breaks kept",
  );
  const found = findSecrets(text).filter((f) => f.rule === "aws-access-key-id");
  // Once, as written, though a `%` or `\` the random bytes put just before it decodes a
  // window around it (where it was found again, an offset or two off, one run in a hundred).
  assert.deepEqual(found.map((f) => f.encoding), ["plain"]);
  const line = text.slice(0, found[0]!.index).split("\n").length;
  const expected = bytes.subarray(0, 100_001).filter((b) => b === 10).length + 1;
  assert.equal(line, expected);
  // Random bytes alone show no secret.
  assert.deepEqual(findSecrets(printableText(random)).map((f) => f.rule), []);
});

Deno.test("a binary file's UTF-16 text reads as written, either byte order; a program's strings stay apart", () => {
  const utf16 = (s: string, bigEndian: boolean) =>
    new Uint8Array([...s].flatMap((c) => bigEndian ? [0, c.charCodeAt(0)] : [c.charCodeAt(0), 0]));
  const line = `$env:AWS_KEY = "AKIA${"QYLPMN5HFIQR7XZB"}"`;
  for (const bigEndian of [false, true]) {
    // A byte-order mark, then lines ending in CRLF (a file PowerShell's `>` wrote).
    const bom = bigEndian ? [0xfe, 0xff] : [0xff, 0xfe];
    const file = new Uint8Array([...bom, ...utf16(`# setup\r\n${line}\r\n`, bigEndian)]);
    assert.ok(looksBinary(file));
    const text = printableText(file);
    assert.ok(text.includes(line), text);
    assert.equal(text.split("\n").length, 3, "line breaks kept");
    const found = findSecrets(text).filter((f) => f.rule === "aws-access-key-id");
    assert.equal(text.slice(0, found[0]!.index).split("\n").length, 2, "at its line");
  }
  // Strings of a program, each ended by a zero: not joined into one; one shorter than
  // four characters is left out, a line break anywhere kept.
  const strings = (s: string) => printableText(new TextEncoder().encode(s));
  assert.equal(strings("token\0AKIA\0value\0"), "token AKIA value ");
  assert.equal(strings("key\0AKIA\x01\x02ab\x03\n\x04c\nvalue"), "AKIA\n \nvalue");
});

Deno.test("dropShadowed() keeps what comparing every pair keeps, and thousands of findings cost a sweep", () => {
  type F = { rule: string; description: string; index: number; length: number; rank: number };
  const pairwise = (fs: F[]) =>
    fs.filter((f, i) =>
      !fs.some((g, j) =>
        g !== f && g.index < f.index + f.length && f.index < g.index + g.length &&
        (g.rank < f.rank ||
          g.rank === f.rank && g.index === f.index && g.length === f.length && j < i)
      )
    );
  let seed = 11;
  const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let round = 0; round < 300; round++) {
    const fs: F[] = Array.from({ length: next(40) }, (_, i) => ({
      rule: `r${i}`,
      description: "",
      index: next(100),
      length: next(4) === 0 ? 0 : next(30),
      rank: next(4),
    }));
    assert.deepEqual(dropShadowed(fs, (f) => f.rank), pairwise(fs));
  }
  // An empty finding where another starts, and one just past another's end: no overlap.
  const edges: F[] = [
    { rule: "a", description: "", index: 5, length: 10, rank: 0 },
    { rule: "b", description: "", index: 5, length: 0, rank: 1 },
    { rule: "c", description: "", index: 15, length: 3, rank: 2 },
  ];
  assert.deepEqual(dropShadowed(edges, (f) => f.rank), edges);
  // 20000 findings side by side (a body of nothing but secrets), each shadowing nothing.
  const many: F[] = Array.from({ length: 20_000 }, (_, i) => ({
    rule: "t",
    description: "",
    index: i * 50,
    length: 40,
    rank: i % 4,
  }));
  assert.equal(dropShadowed(many, (f) => f.rank).length, 20_000);
});

Deno.test("findSecrets() over a long text, a piece at a time: each secret once, where it is, at the seams too", () => {
  const PIECE = 4 << 20;
  const filler = "plain words of a long file, nothing secret in them at all\n";
  const chars = [...filler.repeat(Math.ceil((2 * PIECE + 300_000) / filler.length))];
  // Tokens across the first seam, inside the overlap, in the last piece, and at the end.
  const places = [100, PIECE - 10, PIECE + 1000, 2 * PIECE + 5, chars.length - GH.length - 1];
  for (const at of places) chars.splice(at - 1, GH.length + 2, " ", ...GH, " ");
  const text = chars.join("");
  const found = findSecrets(text).filter((f) => f.encoding === "plain");
  assert.deepEqual(found.map((f) => [f.rule, f.index]), places.map((at) => ["github-token", at]));
  // One base64-encoded across the second seam, found once.
  const encoded = btoa(`token: ${GH}`);
  const at = 2 * PIECE - 20;
  const withEncoded = text.slice(0, at - 1) + ` ${encoded} ` + text.slice(at + encoded.length + 1);
  assert.equal(
    findSecrets(withEncoded).filter((f) => f.encoding === "base64").length,
    1,
  );
});

Deno.test("the survey over the UTF-8 a text was decoded from finds what the survey of the text does", () => {
  // The pass reads ASCII bytes in place of characters; slices with anything else are
  // passed as text, offsets moved by the bytes of the characters past ASCII before them.
  const d = detector();
  const pieces = [
    "let x = 1; // ok\n",
    "api_key = ",
    GH,
    " token: ",
    "q7Z3kLm9Xw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5",
    "%41%4B",
    "\\u0041",
    "\\/",
    "é",
    "日本語",
    "😀",
    "gh\u200bp_",
    "\u0430pi_key",
    "\x01",
    "\x7f",
    "\u00a0",
  ];
  let seed = 5;
  // The high bits: the low ones of this generator repeat every few draws.
  const next = (n: number) =>
    Math.floor((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 * n);
  const encoder = new TextEncoder();
  let used = 0;
  for (let round = 0; round < 40; round++) {
    // Mostly ASCII (else the bytes are not used), across a dozen slices, with long
    // stretches of plain code between the rest: some slices are all ASCII, some not.
    const parts: string[] = [];
    for (let length = 0; length < 40_000 + next(20_000);) {
      const part = next(4) === 0 ? pieces[next(pieces.length)]! : pieces[0]!.repeat(next(200));
      parts.push(part);
      length += part.length;
    }
    const text = parts.join("");
    const bytes = encoder.encode(text);
    if (bytes.length > text.length) used++;
    assert.deepEqual(d.survey(text, bytes), d.survey(text), `round ${round}`);
  }
  assert.ok(used > 20, "texts past ASCII, whose offsets move");
  // Code with a `©` every few hundred or thousand characters, at and near a slice's edge,
  // and Japanese that starts and ends inside a slice.
  const code = `const token = "${GH}"; // key=1 ${"x".repeat(3)}\n`;
  for (const gap of [255, 256, 257, 3000, 4095]) {
    const sparse = Array.from({ length: 12 }, (_, i) => code.repeat(gap / code.length + i))
      .join("©").slice(0, 60_000);
    assert.deepEqual(d.survey(sparse, encoder.encode(sparse)), d.survey(sparse), `gap ${gap}`);
  }
  const mixed = `${code.repeat(100)}${"日本語の文章です。".repeat(700)}${code.repeat(100)}`;
  assert.deepEqual(d.survey(mixed, encoder.encode(mixed)), d.survey(mixed));
  // Bytes that are not the text's (a byte-order mark the decoder dropped): still right.
  const text = `x${"let token = 1;\n".repeat(800)}é api_key = ${GH}`;
  const withMark = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode(text)]);
  assert.equal(new TextDecoder().decode(withMark), text);
  assert.deepEqual(d.survey(text, withMark), d.survey(text));
  // A byte-order mark (three bytes the text lacks) and invalid bytes the decoder made
  // replacement characters of, which a count of the text's UTF-8 takes for more bytes than
  // they were: together the counts agree at the end while every offset between was wrong
  // (a body crafted so would have hidden a secret from rules tried at the wrong places).
  const crafted = new Uint8Array([
    0xef,
    0xbb,
    0xbf,
    ...encoder.encode(`x${"let token = 1;\n".repeat(800)}`),
    0xe0,
    0xa0,
    0x20,
    0x80,
    ...encoder.encode(` api_key = ${GH}`),
  ]);
  const decoded = new TextDecoder().decode(crafted);
  assert.deepEqual(d.survey(decoded, crafted), d.survey(decoded));
  // And the findings of a request body scanned with its bytes are those without.
  const body = JSON.stringify({ content: `${"const a = 1;\n".repeat(2000)}é ${GH} \\u0067hp_` });
  assert.deepEqual(findSecrets(body, { utf8: encoder.encode(body) }), findSecrets(body));
});

Deno.test("the survey's automaton over every rule's keywords keeps 16-bit table entries", () => {
  // Past 65,536 entries the table takes 32-bit ones and every scan is a tenth slower: a
  // rule whose keywords tip it over calls for fewer states or character classes first
  // (digits few keywords hold share one class, as do `j`, `q` and `z`: see `SHARED` in
  // keywords.ts).
  const matcher = detector().matcher;
  assert.equal(matcher.entryBits, 16, `${matcher.tableEntries} entries`);
  assert.equal(new KeywordMatcher(["ghp_"]).entryBits, 16);
});

Deno.test("secretInName() shows a name up to the part a secret starts in, and finds none in an ordinary one", () => {
  const token = "gh" + "p_Zq8Lr2Xv9Kt4Wm7Pn3Bc6Hd1Fj5Gs0Ya8Ue2";
  assert.equal(
    secretInName(`refs/heads/fix/leak-${token}-now`)?.label,
    "refs/heads/fix/[name holding a secret]",
  );
  assert.equal(secretInName(`${token}.txt`)?.label, "[name holding a secret]");
  assert.equal(secretInName(`docs/${token}/a/b.md`)?.finding.rule, "github-token");
  // The bottle's own value, given.
  assert.equal(
    secretInName("x/bottle-value-k9X2mQ7pL4", ["bottle-value-k9X2mQ7pL4"])?.label,
    "x/[name holding a secret]",
  );
  for (const name of ["refs/heads/main", "src/secrets/token.ts", "a/b/c.txt"]) {
    assert.equal(secretInName(name), undefined, name);
  }
});
