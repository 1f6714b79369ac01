import assert from "node:assert/strict";
import { Scrubber, scrubValues } from "./scrub.ts";

const KEY = "sk-ant-api03-" + "k".repeat(30);
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("Scrubber removes a credential even when it is split across chunks", () => {
  const s = new Scrubber([KEY]);
  const parts = [`{"echo":"${KEY.slice(0, 10)}`, `${KEY.slice(10)}", "again": "${KEY}"}`];
  const text = parts.map((p) => dec(s.push(enc(p)))).join("") + dec(s.flush());
  assert.equal(text, '{"echo":"[redacted by bot-bottle]", "again": "[redacted by bot-bottle]"}');
});

Deno.test("Scrubber passes bytes through at once when no secret could be starting", () => {
  const s = new Scrubber([KEY]);
  assert.equal(dec(s.push(enc("data: first\n\n"))), "data: first\n\n", "nothing held back");
  assert.equal(dec(s.push(enc(`x ${KEY.slice(0, 5)}`))), "x ", "only a possible start is held");
  assert.equal(dec(s.flush()), KEY.slice(0, 5));
});

Deno.test("Scrubber works on any bytes, and on header values", () => {
  let reported = 0;
  const s = new Scrubber([KEY], () => reported++);
  const binary = new Uint8Array([0, 255, 1, ...enc(KEY), 254, 0]);
  const out = s.push(binary);
  assert.deepEqual([...out.subarray(0, 3)], [0, 255, 1]);
  assert.ok(!dec(out).includes(KEY));
  assert.equal(s.text(`token=${KEY}; path=/`), "token=[redacted by bot-bottle]; path=/");
  assert.equal(reported, 1, "reported once per response");
});

Deno.test("scrubValues() adds the bare token of a scheme-prefixed value", () => {
  assert.deepEqual(scrubValues([`Bearer ${KEY}`, "short"]), [
    `Bearer%20${KEY}`,
    `Bearer ${KEY}`,
    KEY,
  ]);
  const s = new Scrubber([`Bearer ${KEY}`]);
  assert.equal(
    dec(s.push(enc(`{"token":"${KEY}"}`))) + dec(s.flush()),
    '{"token":"[redacted by bot-bottle]"}',
  );
});

Deno.test("Scrubber removes a credential echoed escaped: slashes in JSON, percent-encoded", () => {
  // An AWS secret key's alphabet holds `/`, `+` and `=`.
  const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY+EXAMPLE=";
  const s = new Scrubber([secret]);
  const echoed = [
    `{"php":"${secret.replaceAll("/", "\\/")}"}`,
    `?q=${encodeURIComponent(secret)}&x=1`,
    `plain ${secret}`,
  ].join("\n");
  const out = dec(s.push(enc(echoed))) + dec(s.flush());
  assert.equal(
    out,
    '{"php":"[redacted by bot-bottle]"}\n?q=[redacted by bot-bottle]&x=1\nplain [redacted by bot-bottle]',
  );
});
