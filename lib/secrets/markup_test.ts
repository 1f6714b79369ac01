import * as assert from "node:assert/strict";
import { lineCommentAt, lineCommentBefore, markupAt, markupBefore, MAX_MARKUP } from "./markup.ts";

Deno.test("markupAt() reads a comment, a tag or a block comment, and nothing else", () => {
  const items = [
    "<!-- -->",
    "<!---->",
    "<!-- a < b -->",
    "<b>",
    "</b>",
    "<br/>",
    "<x:v>",
    '<span class="x">',
    '<span class=\\"x\\">',
    "/**/",
    "/* x */",
  ];
  for (const item of items) {
    assert.equal(markupAt(`ab${item}cd`, 2), item.length, item);
    // Read back from its end, wherever the text before it starts.
    assert.equal(markupBefore(`ab${item}cd`, 2 + item.length), 2, item);
    assert.equal(markupBefore(item, item.length), 0, item);
  }
  for (
    const text of [
      "a < b",
      "a <= b",
      "<1>",
      "< b>",
      "<b",
      "<!-- open",
      "/* open",
      "a / b",
      "<a\nhref>",
      "<a <b>",
      "x",
      "",
    ]
  ) {
    assert.equal(markupAt(text, text.search(/[<\/]|$/)), 0, text);
  }
  // No longer than MAX_MARKUP, either way.
  const long = `<!--${"x".repeat(MAX_MARKUP)}-->`;
  assert.equal(markupAt(long, 0), 0);
  assert.equal(markupBefore(long, long.length), -1);
  const fits = `<!--${"x".repeat(MAX_MARKUP - 7)}-->`;
  assert.equal(markupAt(fits, 0), MAX_MARKUP);
  assert.equal(markupBefore(fits, fits.length), 0);
  // Nothing ends before a character other than `>` or `*/`'s `/`.
  assert.equal(markupBefore("<b>c", 4), -1);
  assert.equal(markupBefore("a/b", 2), -1);
});

Deno.test("an opener with no closer is no markup, read at every place of a long text", () => {
  // Looked for through the rest of the text, each opener's closer made this quadratic
  // (minutes, not milliseconds).
  const text = "<!--x>AAAAAAAAAAAAAAAAAAAA /*y ".repeat(40_000);
  let found = 0;
  for (let i = 0; i < text.length; i++) {
    if (markupAt(text, i) > 0) found++;
    if (text.charCodeAt(i) === 62 && markupBefore(text, i + 1) >= 0) found++;
  }
  assert.equal(found, 0);
});

Deno.test("a line comment is read up to its line's end, forward and back; an opener elsewhere is none", () => {
  const comments = ["# note", "#", "// x", "//note", "-- x", "# a # b", '# say \\"hi\\"'];
  for (const comment of comments) {
    for (const end of ["\n", "\r\n", "\\n", "\\r\\n"]) {
      for (const before of ["ab ", "ab\t", "", "x\n", "x\\n"]) {
        const text = `${before}${comment}${end}cd`;
        assert.equal(lineCommentAt(text, before.length), comment.length, JSON.stringify(text));
        // Back from the line's end: the first opener on the line.
        assert.equal(
          lineCommentBefore(text, before.length + comment.length),
          before.length,
          JSON.stringify(text),
        );
        assert.equal(markupAt(text, before.length), comment.length, JSON.stringify(text));
      }
    }
  }
  for (
    const [text, at] of [
      ["a#b\n", 1], // glued to a word: a token's or a URL's `#`
      ["https://x.example/\n", 6], // a URL's `//`
      ["ls --all\n", 3], // an option, not SQL's `-- `
      ["a # no end", 2], // no line break
      [`a # ${"x".repeat(MAX_MARKUP)}\n`, 2], // too long
      ['a # x" y\n', 2], // a quote: a JSON string's end
      ["a - - b\n", 2],
    ] as const
  ) {
    assert.equal(lineCommentAt(text, at), 0, text);
    assert.equal(markupAt(text, at), 0, text);
  }
  assert.equal(lineCommentBefore("a # x\nb", 7), -1);
  assert.equal(lineCommentBefore('a # x" y', 8), -1);
  assert.equal(lineCommentBefore("plain words", 11), -1);
});

Deno.test("an empty string glued in a word is read as markup a shell drops; one standing apart, or two strings side by side, is not", () => {
  assert.equal(markupAt('gh""p_', 2), 2);
  assert.equal(markupAt("gh''p_", 2), 2);
  assert.equal(markupAt('gh\\"\\"p_', 2), 4);
  for (
    const [text, at] of [
      ['x = ""', 4],
      ['f("", y)', 2],
      ['"g""hp_"', 2], // two strings side by side
      ["'g''hp_'", 2],
      ['gh"p_', 2],
      ["gh'\"p_", 2],
    ] as const
  ) {
    assert.equal(markupAt(text, at), 0, text);
  }
});
