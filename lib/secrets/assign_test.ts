import assert from "node:assert/strict";
import {
  assignedBefore,
  assignedName,
  assignmentAt,
  quoteAt,
  referenceAfter,
  referenceAt,
} from "./assign.ts";

/** The text an assignment's head at 0 reads, up to its value. */
const head = (text: string) => text.slice(0, assignmentAt(text, 0));

Deno.test("an assignment's head is read up to its value, past its opening quote", () => {
  for (
    const [text, expected] of [
      ["B=w2Rt", "B="],
      ["export B=w2Rt", "export B="],
      ['b = "w2Rt"', 'b = "'],
      ["b='w2Rt'", "b='"],
      ["const b = `w2Rt`", "const b = `"],
      ["let b: string = 'w2Rt'", "let b: string = '"],
      ['$b .= "w2Rt"', '$b .= "'],
      ["@b = w2Rt", "@b = "],
      ["b := w2Rt", "b := "],
      ["T+=w2Rt", "T+="],
      ['final String b = "w2Rt"', 'final String b = "'],
      ['const char *b = "w2Rt"', 'const char *b = "'],
      ['$env:B = "w2Rt"', '$env:B = "'],
      ["self.b = w2Rt", "self.b = "],
      // In a JSON string, its quote escaped.
      ['b = \\"w2Rt\\"', 'b = \\"'],
    ] as const
  ) {
    assert.equal(head(text), expected, text);
  }
});

Deno.test("a comparison, an arrow, a match, words with no operator or too many words before a name are no assignment's head", () => {
  for (
    const text of [
      "b == w2Rt",
      "b => w2Rt",
      "b =~ w2Rt",
      "b != w2Rt",
      "b <= w2Rt",
      "and then b",
      "one two three b = w2Rt",
      "= w2Rt",
      "1b = w2Rt",
      "b    = w2Rt",
      "",
    ]
  ) {
    assert.equal(assignmentAt(text, 0), 0, text);
  }
});

Deno.test("a value's opening quote is one character, or two escaped in a JSON string", () => {
  assert.deepEqual(['"', "'", "`", '\\"', "\\'", "\\n", "a", ""].map((t) => quoteAt(t, 0)), [
    1,
    1,
    1,
    2,
    2,
    0,
    0,
    0,
  ]);
});

Deno.test("the name a value is assigned to is read back from where the value starts", () => {
  for (
    const [text, name] of [
      ["A=ghp_", "A"],
      ["export TOKEN=ghp_", "TOKEN"],
      ['a = "ghp_', "a"],
      ["let a: string = 'ghp_", "a"],
      ['$b .= "ghp_', "b"],
      ["b := ghp_", "b"],
      // A comparison, or no name.
      ["a == ghp_", undefined],
      ["a != ghp_", undefined],
      ["= ghp_", undefined],
      ["ghp_", undefined],
    ] as const
  ) {
    assert.equal(assignedName(text, text.indexOf("ghp_")), name, text);
  }
});

Deno.test("a reference to a variable with text glued on after it is found, and where that text starts", () => {
  const after = (text: string, name: string) => {
    const end = referenceAfter(text, 0, text.length, name);
    return end < 0 ? undefined : text.slice(end);
  };
  assert.equal(after('curl -d "${A}w2Rt"', "A"), 'w2Rt"');
  assert.equal(after("echo $A/w2Rt", "A"), "/w2Rt");
  assert.equal(after('f"{a}w2Rt"', "a"), 'w2Rt"');
  assert.equal(after('"#{a}w2Rt"', "a"), 'w2Rt"');
  assert.equal(after("%A%w2Rt", "A"), "w2Rt");
  assert.equal(after("$(A)w2Rt", "A"), "w2Rt");
  // Another variable whose name starts so; nothing glued on; the first reference wins.
  assert.equal(after("echo $AB", "A"), undefined);
  assert.equal(after('echo "$A" more', "A"), undefined);
  assert.equal(after("echo ${A}one ${A}two", "A"), "one ${A}two");
});

Deno.test("a reference names its variable, and the value last assigned to it is found before it", () => {
  for (
    const [text, name, end] of [
      ["$B rest", "B", 2],
      ["${B}rest", "B", 4],
      ["{b}rest", "b", 3],
      ["%B%rest", "B", 3],
      ["$(B)rest", "B", 4],
    ] as const
  ) {
    assert.deepEqual(referenceAt(text, 0), { name, end }, text);
  }
  for (const text of ["${B rest", "$ B", "{1}", "%B rest", "x"]) {
    assert.equal(referenceAt(text, 0), undefined, text);
  }
  const chars = Uint8Array.from(
    { length: 128 },
    (_, c) => +/[A-Za-z0-9_]/.test(String.fromCharCode(c)),
  );
  const text = "B=first; XB=other; B=second; echo $B";
  const [from, to] = assignedBefore(text, 0, text.indexOf("echo"), "B", chars)!;
  assert.equal(text.slice(from, to), "second");
  assert.equal(assignedBefore("XB=other; echo $B", 0, 10, "B", chars), undefined);
});
