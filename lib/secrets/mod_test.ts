/**
 * Values the person declares public (`public_values`): the only findings they spare are
 * those whose text is exactly one of them, as written or decoded.
 */
import assert from "node:assert/strict";
import {
  findSecrets,
  findSplitSecrets,
  getPublicValues,
  hideSecrets,
  setPublicValues,
} from "./mod.ts";

// Built at run time so that this file itself holds nothing a scanner would flag.
const OPEN = "AI" + "zaSyDq3vX8kLm2Rt5Wn7Yb0Cz4Hj6Pf9Gs1Ua";
const OTHER = "AI" + "zaSyBt7Kp2Nx5Vm8Qw1Zr4Jh6Lc9Fd3Gs0Yek";
const VALUE = "bottle-injected-" + "k9X2mQ7pL4";

const rules = (text: string, values: string[] = []) =>
  findSecrets(text, { values }).map((f) => `${f.encoding}:${f.rule}`);

/** Runs `fn` with `values` public, and none again after it. */
function withPublic(values: string[], fn: () => void): void {
  setPublicValues(values);
  try {
    fn();
  } finally {
    setPublicValues([]);
  }
}

Deno.test("a public value is no finding, as written, encoded or split across fields", () => {
  const b64 = btoa(`key=${OPEN}`);
  const texts = [
    `const apiKey = "${OPEN}";`,
    `https://maps.example/api?key=${OPEN}`,
    `data=${b64}`,
    `k=${encodeURIComponent(OPEN).replace("y", "%79")}`,
  ];
  for (const t of texts) assert.notDeepEqual(rules(t), [], `found without public values: ${t}`);
  withPublic([OPEN], () => {
    for (const t of texts) assert.deepEqual(rules(t), [], t);
    assert.deepEqual(findSplitSecrets([OPEN.slice(0, 12), OPEN.slice(12)]), []);
  });
});

Deno.test("only the public value is spared: another of its kind, or it with more, is found", () => {
  withPublic([OPEN], () => {
    assert.deepEqual(rules(`const apiKey = "${OTHER}";`), ["plain:gcp-api-key"]);
    assert.deepEqual(rules(`a = "${OPEN}"; b = "${OTHER}";`), ["plain:gcp-api-key"]);
    assert.notDeepEqual(rules(`token = "${OPEN}Zq8Lw2Rt5"`), []);
    assert.deepEqual(
      findSplitSecrets([OTHER.slice(0, 12), OTHER.slice(12)]).map((f) => f.rule),
      ["gcp-api-key"],
    );
  });
});

Deno.test("a bottle's own value is found even when it is declared public", () => {
  withPublic([VALUE], () => {
    assert.deepEqual(rules(`x ${VALUE} y`, [VALUE]), ["plain:bottle-credential"]);
  });
});

Deno.test("setPublicValues replaces the set, and getPublicValues lists it in order", () => {
  withPublic([OTHER, OPEN, OPEN], () => assert.deepEqual(getPublicValues(), [OTHER, OPEN].sort()));
  assert.deepEqual(getPublicValues(), []);
  assert.deepEqual(rules(`const apiKey = "${OPEN}";`), ["plain:gcp-api-key"]);
});

Deno.test("hideSecrets() keeps text without a secret, and what comes before the word a secret starts in", () => {
  const token = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
  assert.equal(hideSecrets("may I reach docs.deno.com?"), "may I reach docs.deno.com?");
  assert.equal(hideSecrets(`token=${token} please`), "[GitHub token hidden]");
  assert.equal(hideSecrets(`push with ${token} then`), "push with [GitHub token hidden]");
  // Encoded: nothing of its run is kept, nor of a window decoded around it.
  assert.equal(hideSecrets(`as base64 ${btoa(token)}`), "as base64 [GitHub token hidden]");
  const percent = [...token].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("");
  assert.equal(hideSecrets(`see ${percent}`), "see [GitHub token hidden]");
});

Deno.test("a public value written in quoted pieces (a test's stand-in) is no finding; another is", () => {
  const pieces = (v: string) => `const key = "${v.slice(0, 12)}" + "${v.slice(12)}";`;
  assert.deepEqual(rules(pieces(OPEN)), ["concatenated:gcp-api-key"]);
  withPublic([OPEN], () => {
    assert.deepEqual(rules(pieces(OPEN)), []);
    assert.deepEqual(rules(pieces(OTHER)), ["concatenated:gcp-api-key"]);
  });
});
