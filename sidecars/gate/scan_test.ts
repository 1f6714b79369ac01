import assert from "node:assert/strict";
import { lineStarts, scanAdded, scanText } from "./scan.ts";
import { foldOf, reversedOf, rot13Of } from "../../tests/encodings.ts";

// Built at run time so that this file itself holds nothing a scanner would flag.
const AWS_ID = "AK" + "IAQ3EGQ2VFOW7ZXM4N";
const GH = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";

const at = (lines: string[], first = 1, file = "app.yml") =>
  lines.map((text, i) => ({ file, line: first + i, text }));

Deno.test("scanAdded() locates each finding at the added line's real number", () => {
  const findings = scanAdded(
    at(["config: 1", `aws_access_key_id = ${AWS_ID}`, `token: ${GH}`], 40),
  );
  assert.deepEqual(findings.map((f) => `${f.file}:${f.line} ${f.rule}`), [
    "app.yml:41 aws-access-key-id",
    "app.yml:42 github-token",
  ]);
});

Deno.test("scanAdded() sees a key block whole across lines, at its first line", () => {
  const body = "MIIEowIBAAKCAQEA" + "q7Z3kLm9Xw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5".repeat(4);
  const findings = scanAdded(at([
    "# deploy key",
    "-----BEGIN " + "RSA PRIVATE KEY-----",
    body.slice(0, 64),
    body.slice(64),
    "-----END " + "RSA PRIVATE KEY-----",
  ]));
  assert.deepEqual(findings.map((f) => `${f.line} ${f.rule}`), ["2 private-key"]);
});

Deno.test("scanAdded() says how a secret was encoded, never the secret", () => {
  const findings = scanAdded(at([`blob: ${btoa(`token=${GH}`)}`]));
  const github = findings.find((f) => f.rule === "github-token");
  assert.equal(github?.description, "GitHub token, base64-encoded");
  assert.ok(!JSON.stringify(findings).includes(GH));
});

Deno.test("scanAdded() finds a token reversed, in ROT13 or both, and says so", () => {
  const lines = [reversedOf(GH), `token: ${rot13Of(GH)}`, `x = "${rot13Of(reversedOf(GH))}"`];
  assert.deepEqual(scanAdded(at(lines)).map((f) => `${f.line} ${f.description}`), [
    "1 GitHub token, reversed",
    "2 GitHub token, in ROT13",
    "3 GitHub token, reversed and in ROT13",
  ]);
});

Deno.test("scanAdded() finds a token committed in quoted pieces joined in code, and says so", () => {
  const lines = [`const key = "${GH.slice(0, 12)}" +`, `  "${GH.slice(12)}";`];
  assert.deepEqual(scanAdded(at(lines, 3, "app.js")).map((f) => `${f.line} ${f.description}`), [
    "3 GitHub token, in quoted pieces",
  ]);
});

Deno.test("scanAdded() finds a token committed cut into short lines, a code a line or split by a space, and says so", () => {
  const codes = [...new TextEncoder().encode(GH)].map(String);
  const lines = [
    "# folded:",
    ...GH.match(/.{1,8}/g)!,
    "# codes:",
    ...codes,
    `# split: ${GH.slice(0, 20)} ${GH.slice(20)}`,
  ];
  assert.deepEqual(scanAdded(at(lines)).map((f) => `${f.line} ${f.description}`), [
    "2 GitHub token, cut into lines",
    "8 GitHub token, in a hex dump",
    "48 GitHub token, split into pieces",
  ]);
});

Deno.test("scanAdded() finds a .env committed cut into narrow lines (`fold -w 5`), or its base64 so, and says so", () => {
  const env = `GITHUB_TOKEN=${GH}\nDEBUG=1`;
  const lines = [
    "# folded:",
    ...env.split("\n").flatMap((l) => l.match(/.{1,5}/g)!),
    "# base64:",
    ...btoa(env).match(/.{1,8}/g)!,
  ];
  assert.deepEqual(scanAdded(at(lines)).map((f) => `${f.line} ${f.description}`), [
    "2 GitHub token, cut into short lines",
    "16 GitHub token, base64-encoded",
  ]);
});

Deno.test("scanAdded() finds AWS credentials committed cut into narrow lines (`fold -w 2` to `-w 12`), lines with spaces among them", () => {
  const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz3Kq8Lw2Rt";
  const file =
    `[default]\naws_access_key_id = AK${"IAQ3EGQ2VFOW7ZXM4N"}\naws_secret_access_key = ${secret}\n`;
  const named = new Set<string>();
  for (const w of [2, 3, 5, 8, 12]) {
    const lines = foldOf(file, w).split("\n").filter((l) => l !== "");
    const found = scanAdded(at(lines, 1, "credentials")).map((f) => f.description);
    // Refused at every width: the key's ID or the secret key (where the ID's line ends at a
    // cut, it runs on into the secret key's label, and the ID is what is found).
    assert.ok(found.length > 0, `-w ${w}`);
    for (const d of found) named.add(d.replace(/,.*/, ""));
  }
  assert.deepEqual([...named].sort(), ["AWS access key ID", "AWS secret access key"]);
});

Deno.test("scanAdded() finds a token committed cut every so many characters at a dot, and says so", () => {
  const lines = ["# cut:", `TOKEN=${GH.match(/.{1,12}/g)!.join(".")}`];
  assert.deepEqual(scanAdded(at(lines)).map((f) => `${f.line} ${f.description}`), [
    "2 GitHub token, in groups",
  ]);
});

Deno.test("scanAdded() finds a token committed cut inside its own prefix (`fold -w 4 | paste -sd-`, by spaces) or by dots among its own marks, and says so", () => {
  const slack = "xo" + "xb-1234567890123-1234567890123-" + "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3";
  const body = "Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";
  const fineGrained = "github" + "_pat_11" + body.slice(0, 20) + "_" + (body + body).slice(0, 59);
  const lines = [
    "# cut:",
    `TOKEN=${slack.match(/.{1,4}/g)!.join("-")}`,
    `TOKEN2=${slack.match(/.{1,8}/g)!.join(".")}`,
  ];
  assert.deepEqual(scanAdded(at(lines)).map((f) => `${f.line} ${f.description}`), [
    "2 Slack token, cut into groups",
    "3 Slack token, in groups",
  ]);
  // A file of its own: pieces read on from a token above it would join this line too.
  const split = ["# cut:", `echo ${fineGrained.match(/.{1,8}/g)!.join(" ")}`];
  assert.deepEqual(scanAdded(at(split)).map((f) => `${f.line} ${f.description}`), [
    "2 GitHub fine-grained token, split into pieces",
  ]);
});

Deno.test("scanAdded() finds a .env committed in base64 turned a line at a time, behind a file's signature or shifted after noise", () => {
  const env = (pad: string) =>
    `# settings for the deploy\nDATABASE_URL=postgres://app@db/app\nTOKEN=${GH}\nLOG_LEVEL=debug\n${pad}`;
  const b32 = (bytes: Uint8Array) => {
    const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let out = "";
    for (let i = 0, acc = 0, bits = 0; i < bytes.length; i++) {
      acc = ((acc << 8) | bytes[i]!) & 0xfff;
      for (bits += 8; bits >= 5; bits -= 5) out += digits[(acc >> (bits - 5)) & 31];
    }
    return out;
  };
  const noise = Uint8Array.from({ length: 6000 }, (_, i) => (i * 37) % 256);
  const padded = btoa(env("x")).match(/.{1,76}/g)!.map(reversedOf);
  const unpadded = btoa(env("xy")).match(/.{1,76}/g)!.map(reversedOf);
  const lines = [
    "# rev:",
    ...padded,
    "# rev, no padding:",
    ...unpadded,
    `# png: iVBORw0KGgo${btoa(env(""))}`,
    `# base32: A${b32(new Uint8Array([...noise, ...new TextEncoder().encode(env(""))]))}`,
  ];
  assert.deepEqual(scanAdded(at(lines)).map((f) => `${f.line} ${f.description}`), [
    "2 GitHub token, in base64, reversed",
    "6 GitHub token, in base64, reversed",
    "9 GitHub token, base64-encoded",
    "10 GitHub token, base32-encoded",
  ]);
});

Deno.test("scanAdded() finds a .env committed in base64 cut into groups on one line (`echo $(base64 .env)`, `paste -sd-`)", () => {
  const env =
    `# settings for the deploy\nDATABASE_URL=postgres://app@db/app\nTOKEN=${GH}\nLOG_LEVEL=debug\n`;
  const lines = [
    "# backup:",
    `DATA="${btoa(env).match(/.{1,64}/g)!.join(" ")}"`,
    `DATA2=${btoa(env).match(/.{1,76}/g)!.join(",")}`,
    `DATA3=${btoa(env).match(/.{1,16}/g)!.join(".")}`,
    `DATA4=${btoa(env).match(/.{1,8}/g)!.join("-")}`,
  ];
  assert.deepEqual(scanAdded(at(lines)).map((f) => `${f.line} ${f.description}`), [
    "2 GitHub token, base64-encoded",
    "3 GitHub token, base64-encoded",
    "4 GitHub token, base64-encoded",
    "5 GitHub token, base64-encoded",
  ]);
});

Deno.test("scanAdded() finds a token in a committed hex dump, at the dump's first line", () => {
  const bytes = [...new TextEncoder().encode(`token: ${GH}\n`)];
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const hex = bytes.slice(i, i + 16).map((b) => b.toString(16).padStart(2, "0")).join(" ");
    lines.push(`${i.toString(16).padStart(8, "0")}  ${hex}`);
  }
  const findings = scanAdded(at(["# captured:", ...lines], 7, "dump.txt"));
  assert.deepEqual(findings.map((f) => `${f.line} ${f.rule} ${f.description}`), [
    "8 github-token GitHub token, in a hex dump",
  ]);
});

Deno.test("scanAdded() finds the bottle's own values, and only values of 8 characters or more", () => {
  const value = "some-internal-value-123";
  assert.deepEqual(scanAdded(at([`x=${value}`]), [value]).map((f) => f.rule), [
    "bottle-credential",
  ]);
  assert.deepEqual(scanAdded(at(["x=short"]), ["short"]), []);
});

Deno.test("scanAdded() finds nothing in ordinary code", () => {
  assert.deepEqual(
    scanAdded(at(
      [
        "import x from 'y';",
        "export const n = 42;",
        "const key = process.env.AWS_ACCESS_KEY_ID;",
        "sha = 3f786850e387550fdab836ed7e6dc881de23001b",
      ],
      1,
      "a.ts",
    )),
    [],
  );
});

Deno.test("scanText() locates each finding at its line; scanAdded() at the number each line carries", () => {
  assert.deepEqual([...lineStarts("a\nbb\n")], [0, 2, 5]);
  assert.deepEqual([...lineStarts("")], [0]);
  const token = "gh" + "p_Zq8Lr2Xv9Kt4Wm7Pn3Bc6Hd1Fj5Gs0Ya8Ue2";
  const text = `one\ntwo\nkey: ${token}\n\nlast ${token}`;
  assert.deepEqual(scanText("f.txt", text).map((f) => [f.file, f.line, f.rule]), [
    ["f.txt", 3, "github-token"],
    ["f.txt", 5, "github-token"],
  ]);
  const added = text.split("\n").map((t, i) => ({ file: "f.txt", line: 10 + i * 2, text: t }));
  assert.deepEqual(scanAdded(added).map((f) => f.line), [14, 18]);
});
