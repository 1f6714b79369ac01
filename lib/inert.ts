/**
 * @module
 * Making text from the agent inert before it reaches a person's terminal: control
 * characters (ESC, BEL, CR, backspace, the C1 range), bidirectional overrides and
 * zero-width characters are shown as visible escapes instead of acting, and long
 * fields are cut with a note. Everything the agent writes is hostile, including
 * what it asks bot-bottle to show (supervise requests, branch and file names, gate
 * refusals, log lines). No dependencies: the sidecars use it too.
 */

/** Characters that change how a terminal or a bidi-aware viewer shows what follows. */
const ACTIVE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb]|[\u{e0000}-\u{e007f}]/gu;

function escape(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (code === 0x1b) return "\\e";
  if (code === 0x0d) return "\\r";
  if (code === 0x09) return "\\t";
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, "0")}`;
  return `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
}

/**
 * `text` with every active character shown as an escape (`\e`, `\x07`, `<U+202E>`),
 * line breaks kept only when `multiline`, and cut to `max` characters.
 */
export function inert(text: string, max = 500, multiline = false): string {
  let s = String(text).replace(ACTIVE, escape);
  s = multiline ? s.replace(/\t/g, "\\t") : s.replace(/\n/g, "\\n").replace(/\t/g, "\\t");
  const chars = [...s];
  if (chars.length > max) {
    s = `${chars.slice(0, max).join("")}… (${chars.length - max} more characters cut)`;
  }
  return s;
}

/** Whether `text` holds anything `inert` would escape. */
export function hasActive(text: string): boolean {
  ACTIVE.lastIndex = 0;
  const found = ACTIVE.test(text);
  ACTIVE.lastIndex = 0;
  return found;
}
