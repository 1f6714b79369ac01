import assert from "node:assert/strict";
import { scanAdded, scanLine } from "./scan.ts";

// Built at run time so that this file itself holds nothing a scanner would flag.
const AWS_ID = "AKIA" + "Q3EGQ2VFOW7ZXM4N";
const cases: [string, string, string][] = [
  ["aws-access-key-id", `aws_access_key_id = ${AWS_ID}`, "an AWS key id"],
  [
    "aws-secret-access-key",
    `AWS_SECRET_ACCESS_KEY="${"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9mN2kLp3"}"`,
    "an AWS secret",
  ],
  ["private-key", "-----BEGIN " + "OPENSSH PRIVATE KEY-----", "an OpenSSH key"],
  ["private-key", "-----BEGIN " + "RSA PRIVATE KEY-----", "an RSA key"],
  ["private-key", "-----BEGIN " + "PRIVATE KEY-----", "a PKCS#8 key"],
  ["github-token", "token: ghp_" + "a".repeat(36), "a GitHub token"],
  ["slack-token", "xoxb-" + "1234567890-abcdef", "a Slack token"],
  ["anthropic-api-key", "ANTHROPIC_API_KEY=sk-ant-api03-" + "x".repeat(40), "an Anthropic key"],
  ["google-api-key", "key=AIza" + "B".repeat(35), "a Google key"],
  ["npm-token", "//registry.npmjs.org/:_authToken=npm_" + "c".repeat(36), "an npm token"],
  ["url-password", "postgres://app:" + "s3cretpw@db.internal/app", "a password in a URL"],
];
for (const [rule, line, what] of cases) {
  Deno.test(`scanLine() finds ${what}`, () => {
    assert.deepEqual(scanLine(line).map((f) => f.rule), [rule]);
  });
}

Deno.test("scanLine() leaves ordinary code, placeholders and documentation examples alone", () => {
  for (
    const line of [
      "const key = process.env.AWS_ACCESS_KEY_ID;",
      "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
      "-----BEGIN PUBLIC KEY-----",
      "https://example.com/path?x=1",
      "postgres://localhost:5432/app",
      "ANTHROPIC_API_KEY=bot-bottle-placeholder",
      "sha = 3f786850e387550fdab836ed7e6dc881de23001b",
    ]
  ) {
    assert.deepEqual(scanLine(line), [], line);
  }
});

Deno.test("scanLine() finds the bottle's own credential values verbatim", () => {
  assert.deepEqual(
    scanLine("token=some-internal-value-123", ["some-internal-value-123"]).map((f) => f.rule),
    [
      "bottle-credential",
    ],
  );
  assert.deepEqual(scanLine("short", ["short"]), [], "values under 8 characters are not matched");
});

Deno.test("scanAdded() adds secretlint's findings, located at the added line's real number", async () => {
  const lines = [
    "config: 1",
    "slack: xoxb-" + "1234567890-abcdefghij",
    "token: ghp_" + "b".repeat(36),
  ];
  const added = lines.map((text, i) => ({ file: "app.yml", line: 40 + i, text }));
  const findings = await scanAdded(added);
  const rules = findings.map((f) => `${f.line} ${f.rule}`);
  assert.ok(rules.includes("41 slack-token"), rules.join(", "));
  assert.ok(rules.includes("41 secretlint/slack"), rules.join(", "));
  assert.ok(rules.includes("42 secretlint/github"), rules.join(", "));
  assert.ok(findings.every((f) => f.file === "app.yml"));
});

Deno.test("scanAdded() finds nothing in ordinary code", async () => {
  const added = ["import x from 'y';", "export const n = 42;"].map((text, i) => ({
    file: "a.ts",
    line: i + 1,
    text,
  }));
  assert.deepEqual(await scanAdded(added), []);
});
