/**
 * @module
 * Run by the host through `docker exec` in the bundle: talks to the loopback control
 * API and prints its JSON answer. `list`, or `answer ID DECISION COMMENT`.
 */

import { CONTROL_PORT } from "./control.ts";

const [command, id, decision, comment] = Deno.args;
const base = `http://127.0.0.1:${CONTROL_PORT}`;
const response = command === "answer"
  ? await fetch(`${base}/requests/${id}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ decision, comment: comment ?? "" }),
  })
  : await fetch(`${base}/requests`);
// deno-lint-ignore no-console
console.log(await response.text());
if (!response.ok) Deno.exitCode = 1;
