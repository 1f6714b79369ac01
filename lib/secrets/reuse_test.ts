import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { findSecrets, type Located, setPublicValues } from "./mod.ts";
import {
  closingQuote,
  commonPrefix,
  CONTEXT,
  jsonStringBefore,
  jsonStringsAround,
  MIN_KEPT,
  REACH,
  RecentScans,
  utf8ExtraAt,
  utf8Marks,
  type WalkMark,
} from "./reuse.ts";
import { utf8Extra } from "./keywords.ts";
import { hexOf, reversedOf } from "../../tests/encodings.ts";
import { editConversation, withTools } from "../../tests/conversation_edits.ts";

// Built at run time so that this file itself holds nothing a scanner would flag.
const GH = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
const VALUE = "bottle-injected-" + "k9X2mQ7pL4";

/** About 30 KB of source code, different for each `i`. */
const filler = (i: number) =>
  Array.from(
    { length: 400 },
    (_, k) =>
      `    def handler_${i}_${k}(self, request):\n        return self.route(request, ${k})\n`,
  ).join("");

/** A model request carrying `turns`, as Claude Code sends one (messages, then tools). */
const request = (turns: readonly string[]) =>
  JSON.stringify({
    model: "claude",
    messages: turns.map((text, i) => ({
      role: i % 2 === 0 ? "user" : "assistant",
      content: [{ type: "text", text }],
    })),
    tools: [{ name: "Bash", description: "Runs a command.", input_schema: { type: "object" } }],
    max_tokens: 1024,
    stream: true,
  });

const keys = (found: readonly Located[]) => found.map((f) => `${f.rule}:${f.encoding}:${f.index}`);

/** The first turns of every conversation below: some 360 KB, one in Japanese. */
const EARLIER = Array.from(
  { length: 12 },
  (_, i) => i === 10 ? "このテストが失敗しています。".repeat(500) : filler(i),
);

/**
 * Scans `before` then `after` with one `RecentScans`: asserts that `after` is found as
 * its whole scan finds it (and that this found something, where `expect` says so), and
 * that no more than `most` of it was scanned again.
 */
function assertRescan(
  before: string,
  after: string,
  options: { values?: string[]; expect?: boolean; most?: number } = {},
): RecentScans {
  const scans = new RecentScans();
  const values = options.values ?? [];
  // With the bytes, as the DLP scans a body: the scan again reads them from its start.
  const utf8 = (text: string) => new TextEncoder().encode(text);
  scans.find(before, { values, ownFields: true, utf8: utf8(before) });
  const found = scans.find(after, { values, ownFields: true, utf8: utf8(after) });
  const whole = findSecrets(after, { values, ownFields: true });
  if (options.expect !== false) assert.notEqual(whole.length, 0, "the whole scan finds it");
  assert.deepEqual(keys(found), keys(whole));
  assert.ok(
    scans.scanned <= (options.most ?? after.length / 2),
    `scanned ${scans.scanned} of ${after.length}`,
  );
  return scans;
}

Deno.test("jsonStringBefore: the quote that opens the string at or before a place, in a JSON document only", () => {
  const doc = '{"a": "xyz", "b": [1, -2.5e3, true, null, "q\\"r\\\\"], "c": {}}';
  assert.equal(jsonStringBefore(doc, 0), -1);
  assert.equal(jsonStringBefore(doc, 1), 1);
  assert.equal(jsonStringBefore(doc, 8), 6); // Inside "xyz".
  assert.equal(jsonStringBefore(doc, 11), 6); // Between strings: the one before.
  const q = doc.indexOf('"q');
  assert.equal(jsonStringBefore(doc, q + 3), q); // Past an escaped quote, still inside.
  assert.equal(jsonStringBefore(doc, doc.length - 2), doc.indexOf('"c"'));
  for (
    const bad of [
      '{"a": "xyz"', // Cut short.
      '{"a": "xyz"} x', // Text after it.
      '{"a" "xyz"}', // No colon.
      '{"a": 01}', // Not a number.
      '{"a": tru}',
      '["a", "b" "c"]',
      '{"a": "b\\"}',
      '00000010: 6768 7028 "ghp(" 0a',
      "",
    ]
  ) assert.equal(jsonStringBefore(bad, bad.length - 1), -1, bad);
});

Deno.test("commonPrefix: how many characters two texts start with alike", () => {
  const a = "x".repeat(10_000) + "abc";
  assert.equal(commonPrefix(a, a), a.length);
  assert.equal(commonPrefix(a, a + "d"), a.length);
  assert.equal(commonPrefix(a, "x".repeat(10_000) + "abd"), 10_002);
  assert.equal(commonPrefix(a, "x".repeat(4095) + "y"), 4095);
  assert.equal(commonPrefix(a, "y"), 0);
  assert.equal(commonPrefix("", a), 0);
});

Deno.test("a request that repeats the one before is scanned from shortly before where it changed, and finds what its whole scan finds", () => {
  const before = request(EARLIER);
  const next = [...EARLIER, filler(100), filler(101)];
  // Nothing in it.
  const scans = assertRescan(before, request(next), { expect: false });
  // What was added, `REACH` and `CONTEXT` before it, and the rest of the turn there.
  const added = request(next).length - request(EARLIER).length;
  assert.ok(scans.scanned > added, `${scans.scanned}`);
  assert.ok(scans.scanned < added + REACH + CONTEXT + filler(0).length, `${scans.scanned}`);
  // A token in the new turn, in an earlier one (found before), in the last one before the
  // change, and in the last of all.
  const at = (turns: string[], i: number, text: string) =>
    turns.map((t, k) => (k === i ? t.slice(0, 10_000) + text + t.slice(10_000) : t));
  for (const i of [1, 11, 12, 13]) {
    const turns = at(next, i, ` token = "${GH}" `);
    assertRescan(request(i < 12 ? at(EARLIER, i, ` token = "${GH}" `) : EARLIER), request(turns));
  }
  // Encoded, written across the place where the two requests part (the one before had
  // only its first half), and near it.
  for (
    const encode of [
      btoa,
      hexOf,
      reversedOf,
      encodeURIComponent,
      (s: string) => `"gh" + "${s.slice(2)}"`,
    ]
  ) {
    const written = ` x = ${encode(GH)} `;
    const half = EARLIER.map((t, k) => (k === 11 ? t + written.slice(0, 12) : t));
    const whole = EARLIER.map((t, k) => (k === 11 ? t + written : t));
    assertRescan(request(half), request([...whole, filler(100)]));
    const near = EARLIER.map((
      t,
      k,
    ) => (k === 11 ? t.slice(0, -3000) + written + t.slice(-3000) : t));
    assertRescan(request(EARLIER), request([...near, filler(100)]));
  }
  // A bottle's value, in a turn scanned before it was one.
  const valued = EARLIER.map((t, k) => (k === 3 ? t + VALUE : t));
  const rescans = new RecentScans();
  assert.deepEqual(rescans.find(request(valued), { values: [] }), []);
  const found = rescans.find(request([...valued, filler(100)]), { values: [VALUE] });
  assert.equal(found.length, 1);
  assert.equal(rescans.scanned, request([...valued, filler(100)]).length);
});

/**
 * Base64 of gzip of `n` random letters, then the token and a thousand letters more:
 * compressed bit by bit, so that no byte of the token shows as it is.
 */
function packedToken(n: number): string {
  let seed = 7;
  const letters = Array.from(
    { length: n },
    () => "abcdefghijklmnopqrstuvwxyz"[(seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 26],
  ).join("");
  const packed = gzipSync(new TextEncoder().encode(`${letters} ${GH} ${letters.slice(0, 1000)}`));
  let binary = "";
  for (const b of packed) binary += String.fromCharCode(b);
  return btoa(binary);
}

Deno.test("what decodes as one across the place where two requests part is read whole again", () => {
  // Compressed data in base64 that the request before held only the start of (the token
  // is at its end: a decoder needs all before it): its string is scanned again, from its
  // start, however long. As written, and as a list of its characters (`['H', '4', ...]`,
  // read as one).
  const run = packedToken(200_000);
  const listed = (s: string) => `[${[...s].map((c) => `'${c}'`).join(", ")}]`;
  const cases: [string, string][] = [
    [run, run.slice(0, -2000)],
    [listed(packedToken(60_000)), ""],
  ];
  for (const [written, cut] of cases) {
    const start = cut || written.slice(0, -10_000);
    const before = EARLIER.map((t, k) => (k === 11 ? t + start : t));
    assert.deepEqual(findSecrets(request(before)), [], "the start holds nothing to find");
    const after = EARLIER.map((t, k) => (k === 11 ? t + written : t));
    const scans = assertRescan(request(before), request([...after, filler(100)]), {
      most: 320_000,
    });
    assert.ok(scans.scanned > written.length, `${scans.scanned}`);
  }
});

Deno.test("a value in the string the scan starts again at is read with its name before it", () => {
  const password = "Xk9mQ2" + "vL7pR4wZ8t";
  // The scan starts again at the quote of the last string opening `REACH` before the
  // place the two requests part: here the value's (`"rest"` ends the request before).
  const body = (more: string) =>
    `{"a": ${JSON.stringify(EARLIER.join(""))}, "password": "${password}", "rest": "${
      "y".repeat(REACH - 12)
    }"${more}}`;
  const before = body("");
  const after = body(`, "new": ${JSON.stringify(filler(100))}`);
  const value = after.indexOf(`"${password}"`);
  assert.equal(jsonStringBefore(after, commonPrefix(before, after) - REACH), value);
  assertRescan(before, after);
});

Deno.test("what was found before where the scan starts again holds: pieces joined across strings end well before the place the requests part", () => {
  // A token in quoted pieces, the list's strings joined (up to 1,024 characters): the
  // request after it has a second piece that makes none. Found from the first piece,
  // whose string is before the last one opening at the place the two part: scanned again
  // from `REACH` before it, nothing is found, as in the whole scan.
  const list = (second: string) =>
    `{"a": ${JSON.stringify(EARLIER)}, "k": ["${GH.slice(0, 20)}", "${second}", "more"]}`;
  const before = list(GH.slice(20));
  assert.equal(findSecrets(before, { ownFields: true }).length, 1);
  assertRescan(before, list(GH.slice(20, 22)), { expect: false });
});

Deno.test("RecentScans scans whole what it cannot reuse: a text not one JSON document, too little in common, other public values", () => {
  const turns = [...EARLIER, filler(100)];
  // Not JSON: its quotes could be anything's.
  const scans = new RecentScans();
  scans.find(`x${request(EARLIER)}`);
  scans.find(`x${request(turns)}`);
  assert.equal(scans.scanned, request(turns).length + 1);
  // The same text again: nothing scanned, the same findings.
  const same = request([...EARLIER, `key ${GH}`]);
  const first = scans.find(same);
  assert.equal(first.length, 1);
  assert.deepEqual(keys(scans.find(same)), keys(first));
  assert.equal(scans.scanned, 0);
  // A short text is scanned whole and not kept.
  scans.find("{}");
  assert.equal(scans.scanned, 2);
  assert.ok(request(EARLIER).length > MIN_KEPT && CONTEXT < MIN_KEPT);
  // Parted early: scanned whole.
  scans.find(request([filler(50), ...EARLIER.slice(1)]));
  assert.equal(scans.scanned, request([filler(50), ...EARLIER.slice(1)]).length);
  // A token declared public after a scan: the scan is not reused.
  const token = request([...EARLIER, `key ${GH}`, filler(100)]);
  try {
    setPublicValues([GH]);
    assert.deepEqual(scans.find(token), []);
    assert.equal(scans.scanned, token.length);
  } finally {
    setPublicValues([]);
  }
  assert.equal(scans.find(token).length, 1);
  assert.equal(scans.scanned, token.length);
});

Deno.test("utf8Extra: how many more bytes than characters a text's UTF-8 takes up to a place", () => {
  for (const text of ["", "abc", "añb", "日本語のテキスト", "a😀b€c", `{"k": "Привет, мир"}`]) {
    for (let end = 0; end <= text.length; end++) {
      const head = text.slice(0, end);
      // Not where a pair is parted (its first half alone is no character).
      if (/[\uD800-\uDBFF]$/.test(head)) continue;
      assert.equal(
        utf8Extra(text, 0, end),
        new TextEncoder().encode(head).length - end,
        `${text}:${end}`,
      );
    }
  }
});

Deno.test("utf8Marks: the bytes before a place in a long text, counted past where it parts from one counted before", () => {
  const utf8 = (s: string) => new TextEncoder().encode(s).length;
  const before = EARLIER.join("");
  // Alike to a place past several marks, then other characters: two, three and four bytes
  // each (a pair of surrogates), and a pair parted by a mark.
  const alike = 100_000;
  const after = before.slice(0, alike) + "ñ€😀".repeat(30_000) + before.slice(alike);
  const known = utf8Marks(before);
  const marks = utf8Marks(after, known, alike);
  assert.deepEqual(marks, utf8Marks(after));
  for (const end of [0, 1, 16_384, alike, alike + 7, alike + 50_001, 180_000, after.length]) {
    // Not where a pair is parted (its first half alone is no character).
    if (/[\uD800-\uDBFF]$/.test(after.slice(0, end))) continue;
    assert.equal(utf8ExtraAt(after, marks, end), utf8(after.slice(0, end)) - end, `${end}`);
  }
  // Marks past where the two part are counted again, not taken.
  assert.notDeepEqual(utf8Marks(after, known, after.length), marks);
});

Deno.test("jsonStringsAround: walked on from a mark of a text alike up to there, as walked from the start", () => {
  const before = request(EARLIER);
  const marks: WalkMark[] = [];
  jsonStringsAround(before, 0, before.length, { marks });
  assert.ok(marks.length >= 4, `${marks.length}`);
  const at = before.indexOf("handler_9_200");
  // A turn grown in place, a turn more (the structure goes on otherwise), the text cut
  // short (not one document), a quote and escapes put in.
  const afters = [
    before.slice(0, at) + "grown " + before.slice(at),
    request([...EARLIER, filler(20), "x"]),
    before.slice(0, -3),
    before.slice(0, at) + '\\"\\\\ q' + before.slice(at),
  ];
  for (const after of afters) {
    const alike = commonPrefix(before, after);
    for (const p of [alike - 1, alike - REACH, at - 50_000, 200_000]) {
      for (const q of [after.length, alike + 1_000]) {
        const fresh: WalkMark[] = [];
        const whole = jsonStringsAround(after, p, q, { marks: fresh });
        for (const from of marks.filter((m) => m.at <= p)) {
          const goneOn = marks.filter((m) => m.at <= from.at);
          assert.deepEqual(jsonStringsAround(after, p, q, { from, marks: goneOn }), whole);
          // And its marks past there are the walk from the start's.
          if (whole[0] !== -1) assert.deepEqual(goneOn, fresh.slice(0, goneOn.length));
        }
      }
    }
  }
});

Deno.test("closingQuote: the next quote no odd run of backslashes escapes", () => {
  const bs = "\\"; // One backslash.
  assert.equal(closingQuote('"abc"', 0), 4);
  assert.equal(closingQuote(`"a${bs}${bs}"b"`, 0), 4); // An escaped backslash, then the end.
  assert.equal(closingQuote(`"a${bs}"b"`, 0), 5); // An escaped quote.
  assert.equal(closingQuote(`"a${bs}${bs}${bs}"b"`, 0), 7); // A backslash, then a quote.
  assert.equal(closingQuote(`"a${bs}"b`, 0), -1);
  assert.equal(closingQuote('x "y" "z"', 6), 8);
});

/** Tools described in 140 KB of prose (Claude Code's take 40-70 KB). */
const TOOLS = Array.from(
  { length: 30 },
  (_, i) => `Tool ${i} runs what it is asked to, and says what came of it. `.repeat(80),
);

Deno.test("the end two requests share (the tools described after the turns) is not scanned again: what was found there is the scan before's", () => {
  const before = withTools(EARLIER, TOOLS);
  const after = withTools([...EARLIER, filler(100)], TOOLS);
  const scans = assertRescan(before, after, { expect: false });
  // What was added, with what is read before it (up to `REACH` and a turn, and `CONTEXT`)
  // and after it (`REACH`, to the end of a tool's description, and `CONTEXT`): not the
  // tools after that.
  const added = after.length - before.length;
  const most = added + 2 * (REACH + CONTEXT) + filler(0).length + TOOLS[0]!.length;
  const toTheEnd = after.length - commonPrefix(before, after) + REACH;
  assert.ok(scans.scanned < most && most < toTheEnd, `${scans.scanned} ${most} ${toTheEnd}`);
  // A token deep in the tools (found by the scan before), near their start (scanned
  // again), and in the new turn.
  const at = (tools: string[], i: number) =>
    tools.map((t, k) => (k === i ? `${t} token = "${GH}" ${t}` : t));
  for (const tools of [at(TOOLS, 10), at(TOOLS, 0)]) {
    assertRescan(withTools(EARLIER, tools), withTools([...EARLIER, filler(100)], tools), {
      most: most + TOOLS[0]!.length * 2,
    });
  }
  assertRescan(before, withTools([...EARLIER, filler(100) + ` key ${GH}`], TOOLS));
});

Deno.test("a window of escapes from the part that changed into the end two requests share is scanned whole", () => {
  // Percent-encoding over the new turn and on through the tools: one window, decoded
  // whole, whose token is found far into it (and pointed at where the window's decoding
  // puts it, before where it is written): the scan again goes on to where no window
  // reaches across the end of a string.
  const escaped = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("");
  const tools = Array.from(
    { length: 30 },
    (_, i) => "%41".repeat(300) + (i === 25 ? escaped(GH) : "") + "%41".repeat(300),
  );
  const before = withTools(EARLIER, tools);
  const after = withTools([...EARLIER, "%41".repeat(2000)], tools);
  assertRescan(before, after, { most: after.length });
});

Deno.test("a conversation edited at random, turn after turn: each request found as its whole scan finds it", () => {
  // A fixed sequence (the same each run) of what a session does to its requests: a turn
  // added, the last one grown, a tool's description changed, something put into an
  // earlier turn, the last turn taken back; secrets in many forms among them.
  let seed = 11;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const pick = <T>(a: readonly T[]) => a[Math.floor(random() * a.length)]!;
  const code = (lines: number) =>
    Array.from(
      { length: lines },
      (_, k) => `    def handler_${k}(self):\n        return ${Math.floor(random() * 1000)}\n`,
    ).join("");
  const percent = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("");
  const forms = [
    () => `token = "${GH}"`,
    () => btoa(`key=${GH}`),
    () => hexOf(GH),
    () => percent(GH),
    () => reversedOf(GH),
    () => `"gh" + "${GH.slice(2)}"`,
    () => [...GH].join(" "),
    () => `[${[...GH].map((c) => `'${c}'`).join(", ")}]`,
    () => "%41".repeat(1500) + percent(GH),
  ];
  const turn = () =>
    random() < 0.3 ? code(80) + pick(forms)() + code(40) : code(60 + random() * 300);
  const turns = Array.from({ length: 10 }, turn);
  const tools = Array.from({ length: 12 }, (_, i) => `Tool ${i} does things. `.repeat(200));
  const scans = new RecentScans();
  let reused = 0;
  for (let step = 0; step < 24; step++) {
    editConversation(random, turns, tools, turn, () => pick(forms)());
    const text = withTools(turns, tools);
    const found = scans.find(text, { ownFields: true });
    if (scans.scanned < text.length) reused++;
    assert.deepEqual(keys(found), keys(findSecrets(text, { ownFields: true })), `step ${step}`);
  }
  assert.ok(reused >= 16, `${reused}`);
});
