import assert from "node:assert/strict";
import { findSecrets } from "./mod.ts";

const A = "Zq8Lw2Rt5Vn1Xc4BmK7H";
const B = "Hq3Jx8Kp1Lm5Nz0Rb7Wc";
/** A password a person would pick: letters, digits and marks, no token's alphabet. */
const P = "Xp9$kL2!mN4@qR7#tY";

/** The texts of the secrets found in `text`, as written and as a model request carries it. */
function found(text: string): string[][] {
  return [text, JSON.stringify({ type: "tool_result", content: text })].map((t) =>
    findSecrets(t).map((f) => t.slice(f.index, f.index + f.length))
  );
}

Deno.test("a secret in a table's column named for one is found, in every row: CSV, TSV, Markdown, psql", () => {
  const tables: [string, string[]][] = [
    // A browser's password export, and Bitwarden's.
    [
      `name,url,username,password\ngithub,https://github.com,me,${A}\nci,https://ci.test,bot,${B}\n`,
      [
        A,
        B,
      ],
    ],
    [
      "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n" +
      `,,login,GitHub,,,0,https://github.com,me,${A},\n`,
      [A],
    ],
    // Quoted cells (Firefox's export), a password of any characters.
    [`"url","username","password","httpRealm"\n"https://a.test","me","${P}",""\n`, [P]],
    [`name\tapi_key\nprod\t${A}\nstaging\t${B}\n`, [A, B]],
    [`| user | password |\n|------|----------|\n| admin | ${A} |\n| bob | ${B} |\n`, [A, B]],
    [
      ` id | username |          password\n----+----------+----------------------\n` +
      `  1 | admin    | ${A}\n  2 | bob      | ${B}\n(2 rows)\n`,
      [A, B],
    ],
  ];
  for (const [text, secrets] of tables) {
    for (const texts of found(text)) assert.deepEqual(texts, secrets, text);
  }
});

Deno.test("a table's column is read only under a header of names, one naming a secret, for values a secret's", () => {
  for (
    const text of [
      // A hash in a column named for a password, and values too short or too plain.
      "name,password_hash\nadmin,$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW\n",
      "user,password\nadmin,changeme\nbob,password123\n",
      // Names that hold a secret's word but name none, a header without one.
      "key,value\nmonkey,banana\n",
      "id,token_count,password_length\n1,1234,16\n",
      "| Option | Description |\n|---|---|\n| password | the user's password |\n| token | a token for CI |\n",
      // A row of data is no header (a package named for passwords), nor a list's item.
      `apt\tbase-passwd\t3.6.1\napt\tbzip2-doc\t1.0.8-5\napt\tgir1.2-glib-2.0:amd64\t1.74.0-3\n`,
      "enum {\n\tFLOW_KEY_NFCT,\n\tFLOW_KEY_NFCT_SRC,\n\tFLOW_KEY_NFCT_DST,\n};\n",
      // A dictionary's keys (`KEY | VALUE`, `YAML Key`).
      "KEY             | VALUE\n----------------| -----\nhugepage_size2m | Number of 2M huge pages\n",
      "| YAML Key | Example |\n| --- | --- |\n| `napiVersion` | `napiVersion: 1` |\n",
    ]
  ) {
    for (const texts of found(text)) assert.deepEqual(texts, [], text);
  }
});

Deno.test("a secret in a row of a `Key  Value` table (`vault kv get`) is found, under its header only", () => {
  const data = (rows: string) =>
    `====== Data ======\nKey         Value\n---         -----\n${rows}`;
  assert.deepEqual(found(data(`api_key     ${A}\npassword    ${P}\nusername    admin\n`)), [
    [A, P],
    [A, P],
  ]);
  for (
    const text of [
      // No header above it, or a blank line between; a password too plain; a key's file.
      `password    ${A}\n`,
      `Key         Value\n---         -----\nusername    admin\n\npassword    ${A}\n`,
      data("password    changeme\n"),
      data(`key_file    ${A}\n`),
    ]
  ) {
    for (const texts of found(text)) assert.deepEqual(texts, [], text);
  }
});

Deno.test("a table in what a run decodes to (a CSV export uploaded in base64) is read too", () => {
  const csv = `name,url,username,password\ngithub,https://github.com,me,${A}\n`;
  for (const text of [`data=${btoa(csv)}`, JSON.stringify({ file: btoa(csv) })]) {
    assert.deepEqual(findSecrets(text).map((f) => `${f.encoding}:${f.rule}`), [
      "base64:generic-secret",
    ]);
  }
});

Deno.test("a secret in a SQL INSERT's column named for one is found, in every row (a seed file, a dump)", () => {
  for (
    const text of [
      `INSERT INTO users (id, name, password) VALUES (1, 'bob', '${P}'), (2, 'eve', '${A}');`,
      `INSERT INTO \`api_keys\` (\`id\`,\`owner\`,\`api_key\`) VALUES (1,'bob','${
        P.slice(0, 0)
      }${A}'),(2,'eve','${B}');`,
      `insert into public.tokens(user_id, token, created_at)\nvalues\n  (7, '${A}', now()),\n  (8, E'${B}', now());`,
      // After a line of its own (in a JSON string, after an escaped break).
      `$ cat seed.sql\nINSERT INTO tokens (user_id, token) VALUES (7, '${A}'), (8, '${B}');`,
      `INSERT INTO users ("name", "password") VALUES ('it''s me', '${P}'), ('eve', '${A}');`,
      // A call with a string in it is passed over, not read as the cell.
      `INSERT INTO users (name, password) VALUES ('bob', crypt('${P}', gen_salt('bf'))), ('eve', '${A}');`,
    ]
  ) {
    const [raw, json] = found(text);
    const want = text.includes("crypt(") ? [A] : text.includes(P) ? [P, A] : [A, B];
    assert.deepEqual(raw, want, text);
    assert.deepEqual(json, want, text);
  }
});

Deno.test("a SQL INSERT is read only under a column list naming a secret, for values a secret's", () => {
  for (
    const text of [
      `INSERT INTO users (name, password) VALUES ('bob', 'Password123!'), ('eve', 'hunter2'), ('x', NULL), ('y', ?);`,
      `INSERT INTO sessions (token_length, note) VALUES (32, '${A}');`,
      `INSERT INTO users (name, nickname) VALUES ('bob', '${A}');`,
      "cursor.execute('INSERT INTO users (name, password) VALUES (%s, %s)', (name, pw))",
      `SELECT password FROM users WHERE name IN ('bob', 'eve') AND note = '${A}';`,
    ]
  ) assert.deepEqual(found(text), [[], []], text);
});
