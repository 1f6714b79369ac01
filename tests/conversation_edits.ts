/**
 * @module
 * A coding session's model requests, edited turn after turn, for the tests of scans that
 * reuse the scan of the request before (not a test file itself).
 */

/**
 * A model request as Claude Code sends one: its turns, then its tools described (here
 * `tools`, each a description), as long as Claude Code's (40-70 KB).
 */
export const withTools = (turns: readonly string[], tools: readonly string[]): string =>
  JSON.stringify({
    model: "claude",
    messages: turns.map((text, i) => ({ role: i % 2 === 0 ? "user" : "assistant", content: text })),
    system: [{ type: "text", text: "You are a coding agent." }],
    tools: tools.map((description, i) => ({ name: `Tool${i}`, description })),
    stream: true,
  });

/**
 * One edit of what a session does to its requests, drawn with `random`: a turn added
 * (`turn()`, half the time), the last one grown, a tool's description changed, something
 * put into an earlier turn (each of those `form()`), or the last turn taken back.
 */
export function editConversation(
  random: () => number,
  turns: string[],
  tools: string[],
  turn: () => string,
  form: () => string,
): void {
  const r = random();
  if (r < 0.5) turns.push(turn());
  else if (r < 0.7) turns[turns.length - 1] += form();
  else if (r < 0.8) {
    const k = Math.floor(random() * tools.length);
    tools[k] = tools[k]!.slice(0, 1000) + form() + tools[k]!.slice(1000);
  } else if (r < 0.9) {
    const k = Math.floor(random() * turns.length);
    const at = Math.floor(random() * turns[k]!.length);
    turns[k] = turns[k]!.slice(0, at) + form() + turns[k]!.slice(at);
  } else turns.pop();
}
