import assert from "node:assert/strict";
import { claude } from "./agents/claude.ts";
import { describeHeader, headerMistakes, headerVars, renderHeader } from "./credentials.ts";

const unset = (name: string) => new Error(`unset ${name}`);

Deno.test("renderHeader(): a variable as is, a template, Basic auth; the secrets include each raw token", () => {
  const env = { TOKEN: "t0k3n-value-123", USER: "bot", EMPTY: "" };
  assert.deepEqual(renderHeader({ env: "TOKEN" }, env, unset), {
    value: "t0k3n-value-123",
    secrets: ["t0k3n-value-123"],
  });
  assert.deepEqual(renderHeader({ template: "Bearer ${TOKEN}" }, env, unset), {
    value: "Bearer t0k3n-value-123",
    secrets: ["Bearer t0k3n-value-123", "t0k3n-value-123"],
  });
  const basic = renderHeader(
    { basic: { user: "x-access-token", password_env: "TOKEN" } },
    env,
    unset,
  );
  assert.equal(basic.value, `Basic ${btoa("x-access-token:t0k3n-value-123")}`);
  assert.ok(
    basic.secrets.includes("t0k3n-value-123") &&
      basic.secrets.includes(btoa("x-access-token:t0k3n-value-123")),
  );
  assert.equal(
    renderHeader({ basic: { user_env: "USER", password_env: "TOKEN" } }, env, unset).value,
    `Basic ${btoa("bot:t0k3n-value-123")}`,
  );
  assert.throws(() => renderHeader({ template: "Bearer ${MISSING}" }, env, unset), /unset MISSING/);
  assert.throws(() => renderHeader({ env: "EMPTY" }, env, unset), /unset EMPTY/);
});

Deno.test("headerVars() and describeHeader() name variables, never values", () => {
  assert.deepEqual(headerVars({ template: "${A} and ${B} and ${A}" }), ["A", "B"]);
  assert.deepEqual(headerVars({ basic: { user_env: "U", password_env: "P" } }), ["U", "P"]);
  assert.equal(describeHeader({ template: "Bearer ${T}" }), '"Bearer ${T}"');
  assert.equal(
    describeHeader({ basic: { user: "x-access-token", password_env: "GH" } }),
    'Basic auth, user "x-access-token", password $GH',
  );
});

Deno.test("headerMistakes(): a subscription token where the API key goes, and the reverse, say the fix", () => {
  const logins = claude.credentials;
  const oauth = { TOKEN: "sk-ant-oat01-" + "a".repeat(40), KEY: "sk-ant-api03-" + "b".repeat(40) };
  const wrongHeader = headerMistakes(
    "api.anthropic.com",
    "x-api-key",
    { env: "TOKEN" },
    oauth,
    logins,
  );
  assert.equal(wrongHeader.length, 1);
  assert.match(
    wrongHeader[0]!,
    /looks like a subscription credential, which goes in authorization/,
  );
  assert.match(wrongHeader[0]!, /authorization: "Bearer \$\{CLAUDE_CODE_OAUTH_TOKEN\}"/);
  assert.ok(!wrongHeader[0]!.includes(oauth.TOKEN), "never the value");
  const reverse = headerMistakes(
    "api.anthropic.com",
    "authorization",
    { template: "Bearer ${KEY}" },
    oauth,
    logins,
  );
  assert.match(reverse[0]!, /looks like an API key credential, which goes in x-api-key/);
  assert.deepEqual(
    headerMistakes(
      "api.anthropic.com",
      "authorization",
      { template: "Bearer ${TOKEN}" },
      oauth,
      logins,
    ),
    [],
  );
});

Deno.test("headerMistakes(): the scheme written twice, or missing from an Authorization header", () => {
  const env = { T: "Bearer abcdefgh12345678", RAW: "abcdefgh12345678" };
  assert.match(
    headerMistakes("h.example", "authorization", { template: "Bearer ${T}" }, env, [])[0]!,
    /written twice/,
  );
  assert.match(
    headerMistakes("h.example", "authorization", { env: "RAW" }, env, [])[0]!,
    /no scheme/,
  );
  assert.deepEqual(headerMistakes("h.example", "authorization", { env: "T" }, env, []), []);
  assert.deepEqual(headerMistakes("h.example", "authorization", { env: "UNSET" }, env, []), []);
});
