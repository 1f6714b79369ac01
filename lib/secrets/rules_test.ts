import assert from "node:assert/strict";
import { findSecrets } from "./mod.ts";
import { Detector } from "./engine.ts";
import { RULES } from "./rules.ts";

// Random-looking bodies, put together at run time so that this file holds no secret.
const R = "q7Z3kLm9Xw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5Nu8Wv";
const body = (n: number) => (R + R.split("").reverse().join("")).repeat(3).slice(0, n);
const hex = (n: number) =>
  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".slice(0, n);

const cases: [string, string][] = [
  ["aws-access-key-id", "AK" + "IAQ3EGQ2VFOW7ZXM4N"],
  ["aws-secret-access-key", `aws_secret_access_key = "${body(40)}"`],
  // IAM's credentials.csv: the secret beside its ID, with no name of its own.
  [
    "aws-secret-access-key-pair",
    `Access key ID,Secret access key\nAK${"IAQ3EGQ2VFOW7ZXM4N"},${body(40)}`,
  ],
  [
    "alibaba-secret-key-pair",
    `AccessKey ID,AccessKey Secret\nLT${"AI5tQ3EGQ2VFOW7ZXM4NqL"},${body(30)}`,
  ],
  ["github-token", "ghp_" + body(36)],
  ["gitlab-token", "glpat-" + body(20)],
  ["anthropic-api-key", "sk-ant-api03-" + body(93) + "AA"],
  ["anthropic-oauth-token", "sk-ant-oat01-" + body(60)],
  ["openai-api-key", "sk-proj-" + body(74) + "T3BlbkFJ" + body(74)],
  ["stripe-secret-key", "sk_live_" + body(24)],
  ["slack-token", "xo" + "xb-123456789012-1234567890123-" + body(24)],
  ["npm-access-token", "npm_" + body(36)],
  [
    "jwt",
    "eyJhbGciOiJIUzI1NiJ9." + btoa('{"sub":"1234567890","name":"x"}').replace(/=+$/, "") + "." +
    body(43),
  ],
  [
    "private-key",
    "-----BEGIN " + "EC PRIVATE KEY-----\n" + btoa(body(60)) + "\n-----END " +
    "EC PRIVATE KEY-----",
  ],
  ["url-password", "postgres://app:" + body(16) + "@db.internal:5432/app"],
  ["connection-string", "Server=db;User Id=sa;Password=" + body(14) + ";"],
  ["curl-auth-user", `curl -u admin:${body(14)} https://api.example.com`],
  ["authorization-header", `-H "Authorization: Bearer ${body(32)}"`],
  // As Go, Ruby, a JSON pair and a HAR file print the header.
  ["authorization-header", `map[Accept:[*/*] Authorization:[Bearer ${body(32)}]]`],
  ["authorization-header", `{"Authorization"=>"Bearer ${body(32)}"}`],
  ["authorization-header", `{"headers": [["Authorization", "Bearer ${body(32)}"]]}`],
  ["authorization-header", `{"name": "Authorization", "value": "Bearer ${body(32)}"}`],
  ["sendgrid-api-token", "SG." + body(22) + "." + body(43)],
  ["heroku-api-key", `heroku_api_key = "${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}"`],
  ["generic-secret", `service_secret: "${body(28)}"`],
  ["generic-secret", `export DEPLOY_SECRET='${body(22)}'`],
  // PHP's var_dump of an array; a Wi-Fi network's pre-shared key (wpa_supplicant.conf).
  ["generic-secret", `array(2) {\n  ["api_key"]=>\n  string(20) "${body(20)}"\n}`],
  ["password-literal", `array(2) {\n  ["db_password"]=>\n  string(20) "${body(20)}"\n}`],
  ["generic-secret", `network={\n  ssid="office"\n  psk="${body(20)}"\n}`],
  ["secret-argument", `mysql --host db --password ${body(20)} app`],
  ["secret-argument", `echo x | docker login registry.x.test -u bot -p "${body(12)}!${hex(4)}"`],
  ["secret-argument", `sshpass -p '${body(12)}!${hex(4)}' ssh deploy@host`],
  // Glued on to the flag, after a user, or in sshpass's variable.
  ["secret-argument", `sshpass -p${body(20)} ssh deploy@host`],
  ["secret-argument", `smbclient //srv/share -U app%${body(20)}`],
  ["secret-argument", `lftp -u app,${body(20)} sftp://host`],
  ["secret-argument", `SSHPASS=${body(20)} sshpass -e ssh app@host`],
  ["secret-argument", `zip -P ${body(20)} secret.zip file.txt`],
  ["secret-argument", `sqlcmd -S db -U sa -P ${body(20)} -Q "select 1"`],
  ["secret-argument", `openssl enc -aes-256-cbc -k ${body(20)} -in a -out b`],
  ["secret-argument", `rabbitmqctl add_user app ${body(20)} && rabbitmqctl set_user_tags app x`],
  ["secret-argument", `rabbitmqctl -n rabbit@mq change_password app "${body(20)}"`],
  ["piped-secret", `echo ${body(24)} | docker login -u me --password-stdin registry.x.test`],
  ["piped-secret", `echo "${body(24)}" | gh auth login --with-token`],
  ["chpasswd-password", `RUN echo 'root:${body(20)}' | chpasswd`],
  // A .netrc, each word on a line of its own.
  ["secret-argument", `machine api.example.com\n  login me@example.com\n  password ${body(20)}\n`],
  ["google-oauth-access-token", `ya29.a0${body(120)}`],
  ["google-oauth-access-token", `Authorization: Bearer ya29.c.b0${body(90)}.${body(40)}`],
  ["google-oauth-refresh-token", `1//0${body(96)}`],
  ["mysql-password-argument", `mysql -u root -p${body(30).replace(/\d/g, "").slice(0, 14)} app`],
  [
    "terraform-sensitive-output",
    JSON.stringify({ db_url: { sensitive: true, type: "string", value: body(24) } }, null, 2),
  ],
  [
    "wordpress-auth-key",
    `define( 'NONCE_SALT',       '${body(20)}}|;:,.<>?/~ ${body(11)}[*&^%$#@!]${body(24)}' );`,
  ],
  ["pgpass-password", `db.internal:5432:app:app_user:${body(24)}`],
  // Of letters alone (in code, such a value reads as a name).
  ["pgpass-password", `db.internal:5432:app:app_user:${body(30).replace(/\d/g, "")}`],
  ["pgpass-password", `localhost:5432:*:replicator:${body(6)}%${body(13).slice(6)}`],
  ["pgpass-password", `*:*:*:replicator:${body(24)}`],
  [
    "azure-sas-token",
    "https://acct.blob.core.windows.net/c/f?sp=r&se=2026-12-31T00:00:00Z&spr=https&sv=2022-11-02" +
    `&sr=b&sig=${encodeURIComponent(btoa(body(32)))}`,
  ],
  ["password-literal", `db_password = "${body(7)}$!${body(5)}"`],
  ["password-literal", `{"password": "${body(6)}#${body(13).slice(6)}"}`],
  // SQL: a role's or a user's password.
  ["password-literal", `CREATE USER app WITH PASSWORD '${body(6)}#${body(13).slice(6)}';`],
  ["password-literal", `alter role app encrypted password '${body(6)}%${body(13).slice(6)}'`],
  ["password-literal", `CREATE USER 'app'@'%' IDENTIFIED BY '${body(6)}#${body(13).slice(6)}';`],
  ["password-literal", `db_pass: '${body(6)}#${body(13).slice(6)}'`],
  ["password-literal", `<DB_PASSWORD>${body(6)}#${body(13).slice(6)}</DB_PASSWORD>`],
  // Unquoted: YAML, a `.env` file, properties.
  ["password-literal", `  password: ${body(6)}#${body(13).slice(6)} # prod`],
  ["password-literal", `export DB_PASS=${body(6)}!${body(13).slice(6)}`],
  ["password-literal", `PASSPHRASE='${body(6)}&${body(13).slice(6)}'`],
  ["secret-argument", `gpg --batch --passphrase ${body(24)} --decrypt notes.gpg`],
  ["secret-argument", `deploy --dbpassword ${body(6)}#${body(13).slice(6)}`],
  ["secret-argument", `sign --private-key ${body(40)} release.tar`],
  ["secret-argument", `keytool -importkeystore -srcstorepass ${body(6)}#${body(13).slice(6)}`],
  ["pass-argument", `openssl pkcs12 -export -in c.pem -out c.p12 -passout pass:${body(14)}`],
  ["mysql-password-argument", `mysql -h db.internal -uroot -p${body(16)} app < dump.sql`],
  ["mysql-password-argument", `mysqldump -u backup -p'${body(10)}#${body(5)}' --all-databases`],
  ["pass-argument", `openssl enc -aes-256-cbc -d -in x.enc -pass "pass:${body(8)}#${body(6)}"`],
  ["secret-argument", `redis-cli -h cache -a ${body(32)} ping`],
  // OpenLDAP's tools, MongoDB's, RabbitMQ's admin, unzip, and a long flag after one dash.
  [
    "secret-argument",
    `ldapsearch -x -D cn=admin,dc=corp -w ${body(6)}#${body(13).slice(6)} -b dc=corp`,
  ],
  ["secret-argument", `ldapmodify -x -D cn=admin -w${body(6)}#${body(13).slice(6)} -f a.ldif`],
  [
    "secret-argument",
    `mongosh "mongodb://db:27017/app" -u admin -p '${body(6)}#${body(13).slice(6)}'`,
  ],
  ["secret-argument", `rabbitmqadmin -u admin -p ${body(16)} list queues`],
  ["secret-argument", `unzip -q -P ${body(6)}#${body(13).slice(6)} backup.zip`],
  ["secret-argument", `influx -username admin -password ${body(6)}#${body(13).slice(6)}`],
  ["secret-argument", `security add-generic-password -a me -s gh -w '${body(6)}#${body(13)}'`],
  ["secret-argument", `security add-internet-password -a me -s x.test -w${body(20)} -U`],
  ["ssh-keygen-passphrase", `ssh-keygen -t ed25519 -N '${body(6)}#${body(13)}' -f id_deploy`],
  ["ssh-keygen-passphrase", `ssh-keygen -p -f id_rsa -P ${body(20)} -N ${body(24)}`],
  ["secret-argument", `psexec \\\\srv01 -u CORP\\admin -p ${body(6)}#${body(13)} cmd`],
  ["secret-argument", `SCHTASKS /Create /TN job /TR run.bat /RU svc /RP ${body(20)}`],
  ["secret-argument", `net use Z: \\\\srv01\\share /user:CORP\\me ${body(20)} /persistent:no`],
  ["net-use-password", `net use \\\\srv01\\share ${body(6)}#${body(13)} /user:CORP\\me`],
  ["net-use-password", `net use \\\\srv01\\share "${body(6)}#${body(13)}" /user:CORP\\me`],
  [
    "signing-key-argument",
    `const t = jwt.sign(payload, '${body(6)}#${body(13)}', { expiresIn: "1h" });`,
  ],
  ["signing-key-argument", `sig = hmac.new(b"${body(24)}", body, hashlib.sha256).hexdigest()`],
  ["signing-key-argument", `crypto.createHmac("sha256", "${body(24)}").update(payload)`],
  ["signing-key-argument", `s, err := token.SignedString([]byte("${body(24)}"))`],
  [
    "credential-argument",
    `new Sequelize("app", "admin", "${body(6)}#${body(13)}", { host: "db" })`,
  ],
  [
    "credential-argument",
    `db = MySQLdb.connect("localhost", "root", "${body(6)}#${body(13)}", "app")`,
  ],
  ["credential-argument", `ftp = ftplib.FTP("ftp.x.test", "deploy", "${body(6)}#${body(13)}")`],
  ["credential-argument", `creds = pika.PlainCredentials("app", "${body(6)}#${body(13)}")`],
  ["dsn-password", `db, err := sql.Open("mysql", "app:${body(6)}#${body(13)}@tcp(db:3306)/app")`],
  ["oracle-password", `sqlplus -s app/"${body(6)}#${body(13)}"@//db:1521/svc @run.sql`],
  ["oracle-password", `expdp system/${body(20)}@db schemas=app dumpfile=app.dmp`],
  // A password may hold what ends it unquoted: `@` inside quotes, `:` in a Go DSN (the driver
  // splits at the first `:`), and `$` inside single quotes (the shell leaves it).
  ["oracle-password", `sqlplus -s app/"Zq8@:${body(12)}"@//db:1521/orcl @deploy.sql`],
  ["dsn-password", `sql.Open("mysql", "app::-#^${body(14)}@tcp(db:3306)/app")`],
  ["ssh-keygen-passphrase", `ssh-keygen -t ed25519 -N '$W0Z~${body(12)}' -f deploy_key`],
  // A `$` then letters no one names a variable is a password that starts with `$`, in quotes
  // of either kind and bare (a shell would put a variable in, a language's string or
  // Windows' command line would not).
  ["password-literal", `PGPASSWORD='$${body(14)}' psql -h db app`],
  ["password-literal", `db_password: "$${body(14)}"`],
  ["mysql-password-argument", `mysql -u root -p'$${body(14)}' app`],
  ["secret-argument", `psexec \\\\host -u admin -p $${body(14)} cmd.exe`],
  ["oracle-password", `url = "jdbc:oracle:thin:app/${body(20)}@db:1521:orcl"`],
  ["signing-key-argument", `$sig = hash_hmac('sha256', $data, '${body(6)}#${body(13)}');`],
  // PowerShell's password made a SecureString.
  [
    "securestring-password",
    `$pw = ConvertTo-SecureString "${body(6)}#${body(13).slice(6)}" -AsPlainText -Force`,
  ],
  [
    "securestring-password",
    `ConvertTo-SecureString -String '${body(6)}#${body(13).slice(6)}' -AsPlainText -Force`,
  ],
  // A password passed after the user's name, with no name of its own.
  ["credential-argument", `server.login("ops@corp.example", "${body(6)}#${body(13).slice(6)}")`],
  ["credential-argument", `r = requests.get(url, auth=("bob", "${body(6)}#${body(13).slice(6)}"))`],
  ["credential-argument", `requests.get(url, auth=HTTPBasicAuth(user, "${body(20)}"))`],
  ["credential-argument", `req.SetBasicAuth("bob", "${body(24)}")`],
  [
    "credential-argument",
    `smtp.PlainAuth("", "bob@corp.example", "${body(6)}#${body(13).slice(6)}", host)`,
  ],
  ["credential-argument", `req.basic_auth 'bob', '${body(6)}#${body(13).slice(6)}'`],
  ["credential-argument", `new NetworkCredential("bob", "${body(6)}#${body(13).slice(6)}");`],
  [
    "credential-argument",
    `DriverManager.getConnection(url, "app", "${body(6)}#${body(13).slice(6)}");`,
  ],
  ["credential-argument", `$db = new PDO($dsn, 'app', '${body(6)}#${body(13).slice(6)}');`],
  ["credential-argument", `mysqli_connect('db', 'app', '${body(6)}#${body(13).slice(6)}');`],
  ["credential-argument", `ldap_bind($ds, 'cn=admin,dc=corp', '${body(6)}#${body(13).slice(6)}');`],
  // PHP's constants.
  ["password-literal", `define( 'DB_PASSWORD', '${body(6)}^${body(13).slice(6)}' );`],
  // Django's SECRET_KEY: letters, digits and `!@#$%^&*(-_=+)`.
  [
    "password-literal",
    `SECRET_KEY = 'django-insecure-${body(9)}(!${body(12).slice(9)}*=%)@${hex(6)}'`,
  ],
  [
    "putty-private-key",
    "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: me\nPublic-Lines: 2\n" +
    `${body(64)}\n${body(4)}\nPrivate-Lines: 1\n${body(48)}\nPrivate-MAC: ${hex(64)}\n`,
  ],
  ["azure-ad-client-secret", `client_secret: ${body(3)}8Q~${body(34)}`],
  // What AI tools and the platforms they deploy to issue.
  ["openrouter-api-key", "sk-or-v1-" + hex(64)],
  ["nvidia-api-key", "nvapi-" + body(64)],
  ["deepseek-api-key", `DEEPSEEK="sk-${hex(32)}"`],
  ["fireworks-api-key", "fw_" + body(24)],
  ["langsmith-api-key", `lsv2_pt_${hex(32)}_${hex(10)}`],
  ["pinecone-api-key", `pcsk_${body(5)}_${body(63)}`],
  ["tavily-api-key", `tvly-dev-${body(32)}`],
  ["firecrawl-api-key", `fc-${hex(32)}`],
  ["doppler-api-token", `dp.st.prd.${body(40).toLowerCase()}`],
  ["doppler-api-token", `dp.pt.${body(43).toLowerCase()}`],
  ["supabase-access-token", "sbp_" + hex(40)],
  ["supabase-secret-key", "sb_secret_" + body(31)],
  ["neon-api-key", "napi_" + body(64)],
  ["render-api-key", "rnd_" + body(32)],
  ["stripe-webhook-secret", "whsec_" + body(32)],
  ["resend-api-key", `re_${body(8)}_${body(24)}`],
  ["posthog-personal-api-key", "phx_" + body(47)],
  ["langfuse-secret-key", `sk-lf-${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`],
  ["e2b-api-key", "e2b_" + hex(40)],
  ["cerebras-api-key", "csk-" + body(48).toLowerCase()],
  ["jina-api-key", "jina_" + body(60)],
  ["voyage-api-key", "pa-" + body(43)],
  ["elevenlabs-api-key", "sk_" + hex(48)],
  ["together-api-key", "tgp_v1_" + body(43)],
  ["browserbase-api-key", "bb_live_" + body(27)],
  ["crates-io-api-token", "cio" + body(32)],
  ["nuget-api-key", "oy2" + body(43).toLowerCase()],
  [
    "discord-webhook",
    `https://discord.com/api/webhooks/${"1147209167570829".repeat(2).slice(0, 18)}/${body(68)}`,
  ],
  // Keywords inside the token, not at its start.
  ["mailchimp-api-key", `${hex(32)}-us12`],
  ["airtable-pat", `pat${body(14)}.${hex(64)}`],
  ["twilio-api-key", `SK${hex(32)}`],
];

for (const [rule, text] of cases) {
  Deno.test(`rule ${rule} finds its kind of secret`, () => {
    const rules = findSecrets(text).map((f) => f.rule);
    assert.ok(rules.includes(rule), `${rule} not in [${rules}] for ${text.slice(0, 60)}`);
  });
}

Deno.test("every rule's sample is found on a line of a file sent as a JSON string, one and two strings deep", () => {
  // A model request carries a file the agent read as a string: every line after the first
  // follows an escaped line break (`\n`, its `n` a letter right before the line's first
  // word), a tab is `\t`, quotes are `\"`. Deeper, a request's body inside a log line.
  for (const [rule, text] of cases) {
    const file = `first line\n${text}\n\t${text}\nlast line`;
    const once = JSON.stringify({ content: [{ type: "tool_result", content: file }] });
    for (const [depth, body] of [[1, once], [2, JSON.stringify({ body: once })]] as const) {
      const rules = findSecrets(body).map((f) => f.rule);
      assert.ok(
        rules.includes(rule),
        `${rule}, ${depth} deep: [${rules}] for ${text.slice(0, 60)}`,
      );
    }
  }
});

Deno.test("every rule's sample is found as a whole JSON string (a command the agent ran), one and two strings deep", () => {
  // The Bash tool's command comes back in the next request as `{"command": "..."}`: a
  // password last on its command line ends at the string's closing quote.
  const missed: string[] = [];
  for (const [rule, text] of cases) {
    const once = JSON.stringify({ type: "tool_use", name: "Bash", input: { command: text } });
    for (const [depth, body] of [[1, once], [2, JSON.stringify({ body: once })]] as const) {
      const rules = findSecrets(body).map((f) => f.rule);
      if (!rules.includes(rule)) missed.push(`${rule}, ${depth} deep: [${rules}] for ${text}`);
    }
  }
  assert.deepEqual(missed, []);
});

Deno.test("a key file's text is found at any depth of JSON strings: its line breaks escaped once per level", () => {
  const keys: [string, string][] = [
    [
      "private-key",
      `-----BEGIN PRIVATE KEY-----\n${body(64)}\n${body(64)}\n${
        body(20)
      }\n-----END PRIVATE KEY-----\n`,
    ],
    ["putty-private-key", cases.find(([rule]) => rule === "putty-private-key")![1]],
  ];
  for (const [rule, key] of keys) {
    // A service account's file holds the key as a JSON string; a request carries the file's
    // text as a string of its own (a model request's tool result), and so on.
    let text = key;
    for (let depth = 0; depth < 4; depth++) {
      const rules = findSecrets(text).map((f) => f.rule);
      assert.ok(rules.includes(rule), `${rule} at depth ${depth}: [${rules}] ${text.slice(0, 80)}`);
      text = JSON.stringify({ type: "service_account", private_key: text, content: "x" });
    }
  }
});

Deno.test("rules tried only where their keywords start find what a scan around the keywords finds", () => {
  // A rule is anchored when each of its matches starts with one of its keywords; tried
  // across windows instead, it must find the same.
  const windowed = new Detector(RULES.map((r) => ({ ...r, anchored: false })));
  const anchored = new Detector(RULES);
  const filler = "let path = patch(pattern); // skip the ask, key: token\n";
  const texts = [
    ...cases.map(([, text]) => text),
    cases.map(([, text]) => text).join(` ${filler}`),
    cases.map(([, text]) => `${filler}x${text}y ${text}`).join("\n"),
  ];
  for (const text of texts) {
    assert.deepEqual(anchored.scan(text), windowed.scan(text), text.slice(0, 60));
  }
  assert.ok(RULES.filter((r) => r.anchored).length > 50);
});

Deno.test("a keyword of one character over and over is a token's or an anchored rule's", () => {
  // The survey keeps only the first match of such a keyword in a run of its character:
  // right for a token (one starts at a word's start, not inside a run of a word's
  // character) and for a rule tried where its keyword starts; a rule looking around its
  // keyword's matches would lose those inside the run.
  const runs = RULES.filter((r) => r.keywords.some((k) => /^(.)\1*$/s.test(k)));
  assert.deepEqual(runs.map((r) => r.id).sort(), ["secret-argument", "twitter-bearer-token"]);
  for (const rule of runs) assert.ok(rule.kind === "token" || rule.anchored, rule.id);
});

Deno.test("an AWS key drawn with letters repeated (under 3 bits of entropy) is found", () => {
  // One in 5,000 random keys: one went to the model in a test whose key is random.
  for (const body of ["FZHII44IB4FRFII7", "NGAHNWAXANKAG7NL", "S3YSAMY4MSSS3YLM"]) {
    const key = "AKIA" + body;
    assert.deepEqual(findSecrets(`found ${key} in the logs`).map((f) => f.rule), [
      "aws-access-key-id",
    ]);
  }
  // Drawn from a fixed seed, so the test is the same every run (a key with a letter five
  // times in a row, one in 90,000, is a placeholder's run and may go unfound).
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let x = 0x9e3779b9;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % 32;
  };
  for (let i = 0; i < 2000; i++) {
    const key = "AKIA" + Array.from({ length: 16 }, () => alphabet[next()]).join("");
    assert.ok(findSecrets(`id=${key}`).some((f) => f.rule === "aws-access-key-id"), key);
  }
  // A stand-in stays one.
  for (const t of ["AK" + "IAX".repeat(16), "AK" + "IAIOSFODNN7EXAMPLE", "AK" + "IAA".repeat(16)]) {
    assert.deepEqual(findSecrets(`id=${t}`), [], t);
  }
});

Deno.test("ordinary code, prose, hashes, ids and URLs are not findings", () => {
  const texts = [
    "const apiKey = config.get('apiKey');",
    "token_count = len(tokens)",
    "password_min_length = 12",
    "primaryKey: 'user_id'",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b",
    `integrity: "sha512-${btoa(hex(64))}"`,
    `id: "${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}"`,
    "See https://docs.example.com/reference/authentication#api-keys for details.",
    "The secret to good software is small, well-tested steps.",
    "auth: { type: 'oauth', scopes: ['repo', 'read:org'] }",
    "export KEY_PREFIX=bot-bottle",
    "Authorization: Bearer $(cat /run/token)",
    // An Azure secret's shape inside a longer run of its alphabet (a Freenet key).
    `Identity="USK@${body(43)},4~q8Q~${body(33)}~yk0,AQACAAE/x/2"`,
    // A file's name with its content's hash after an extension that is a key's prefix.
    `<link rel="icon" href="/static/favicon.ico-${hex(32)}.png">`,
  ];
  for (const t of texts) assert.deepEqual(findSecrets(t), [], t);
});

Deno.test("the catalogue: 200+ kinds, unique ids, lower-case keywords, global patterns", () => {
  assert.ok(RULES.length >= 200, `${RULES.length} rules`);
  assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length);
  for (const r of RULES) {
    assert.ok(r.keywords.length > 0 && r.keywords.every((k) => k === k.toLowerCase()), r.id);
    assert.ok(r.pattern.global, r.id);
  }
});

Deno.test("base64 wrapped into lines does not make a name and a value by chance", () => {
  // Random base64 holds any short run of letters now and then: a name at a line's end
  // with the next line as its value, a name glued to letters running to the line's end,
  // two letters of prefix and the right count after them. Each had come up about once
  // in 4-32 MiB of random wrapped base64.
  const line = (s: string) => (s + body(76)).slice(0, 76);
  const texts = [
    [line("Q2x/YC" + body(38) + "+a"), line("bQ")].join("\n"),
    [body(60) + "/ibmAq9", body(44) + "+x/" + body(29)].join("\n"),
    [body(40) + "+etsy7" + body(30), line("z")].join("\n"),
    [body(71) + "/jira", body(24), line("Z")].join("\n"),
  ];
  assert.deepEqual(texts.map((t) => findSecrets(t).map((f) => f.rule)), [[], [], [], []]);
});

Deno.test("a name and its value still go together with a space or tab and no operator, on one line", () => {
  const found = (text: string) => findSecrets(text).map((f) => f.rule);
  assert.deepEqual(found(`ETSY_TOKEN ${body(24)}`), ["etsy-access-token"]);
  assert.deepEqual(found(`jira_token\t"${body(24)}"`), ["atlassian-api-token-legacy"]);
  assert.deepEqual(found(`YANDEX_ACCESS_KEY=YC${body(38)}`), ["yandex-aws-access-token"]);
  assert.deepEqual(found(`"ibm_api_key": "${body(44)}"`), ["ibm-cloud-api-key"]);
});

Deno.test("a secret's name in small letters alone, its word run on after another (`authtoken`, `clientsecret`), is a name; Redis's `requirepass` and `masterauth` take their value after a space", () => {
  const found = (text: string) => findSecrets(text).map((f) => f.rule);
  for (const name of ["authtoken", "accesstoken", "refreshtoken", "clientsecret", "secretkey"]) {
    assert.deepEqual(found(`${name}: ${body(40)}`), ["generic-secret"], name);
    assert.deepEqual(found(JSON.stringify({ [name]: body(40) })), ["generic-secret"], name);
  }
  // ngrok's configuration file, and Redis's.
  assert.deepEqual(found(`version: "2"\nauthtoken: 2${body(26)}_${body(21)}\n`), [
    "generic-secret",
  ]);
  assert.deepEqual(found(`bind 127.0.0.1\nrequirepass ${body(24)}\n`), ["generic-secret"]);
  assert.deepEqual(found(`  masterauth ${body(24)}`), ["generic-secret"]);
  // A name whose word runs on in small letters after another that is no head
  // (`oauth`, `bypass`) is still found by its next word: a try from inside the first,
  // turned down after the pattern matched, had hidden it.
  for (const name of ["oauth_token", "bypass_token", "monkey_key"]) {
    assert.deepEqual(found(`${name} = "${body(40)}"`), ["generic-secret"], name);
  }
  // Not a word that only ends so, nor the directive inside a line.
  for (
    const text of [
      `monkey: ${body(40)}`,
      `bypass: ${body(40)}`,
      `# see requirepass ${body(24)}`,
      "requirepass foobared",
    ]
  ) assert.deepEqual(found(text), [], text);
});

Deno.test("program text that names a password or token is not one", () => {
  const code = [
    "def login(user, password=None):",
    "    return connect(host, password=password)",
    "        key_password=self.key_password,",
    "def read(self, name, pwd=None):",
    "def check(self, user, realm=None, password=_UNSET):",
    "    ctx.load(raw, password=passphrase)",
    "    Token: Style(),",
    "    Token:                      FG_DEFAULT,",
    "            authorization = authorization.split(",
    "const headers = { Authorization: process.env.API_TOKEN };",
    "                            line_token,",
    // A password asked for, or the flag with no value.
    "ldapsearch -x -W -b dc=corp '(uid=bob)'",
    "ldapsearch -x -H ldap://ldap.corp -D cn=admin,dc=corp -w secret -b dc=corp",
    "mongosh --port 27017 -u admin -p",
    "rabbitmqadmin -u admin -p $RABBITMQ_PASSWORD list queues",
    "vault login -method=userpass username=bob -password-file /run/secrets/pw",
    // A SecureString from a variable or a test's password.
    "$cred = ConvertTo-SecureString $env:SVC_PASSWORD -AsPlainText -Force",
    "ConvertTo-SecureString 'Password123!' -AsPlainText -Force",
    // A call's password that is no literal, a test's, or too short.
    "server.login(user, password)",
    "server.login('bob', os.environ['SMTP_PASSWORD'])",
    "page.login('admin', 'Password123!')",
    "client.login('bob', 'correct-horse-battery')",
    "r = requests.get(url, auth=('bob', 'hunter2'))",
    'DriverManager.getConnection(url, "sa", "")',
  ];
  assert.deepEqual(code.map((t) => findSecrets(t).map((f) => f.rule)), code.map(() => []));
  // The same names with values that are credentials.
  const found = (text: string) => findSecrets(text).map((f) => f.rule);
  assert.deepEqual(found(`psycopg2.connect("host=db user=app password=${body(16)}")`), [
    "connection-string",
  ]);
  assert.deepEqual(found(`curl -H "Authorization: Bearer ${body(32)}"`), ["authorization-header"]);
  assert.deepEqual(found(`Token: ${body(24)},`), ["authorization-header"]);
});

Deno.test("a header's name and value as a pair of strings go together on one line only", () => {
  for (
    const text of [
      "flat_path='v1/projects/{projectsId}/authorization',\n        http_method='GET',",
      "'--id-token',\n      required=False,",
      `["authorization", "the header's name"]`,
    ]
  ) assert.deepEqual(findSecrets(text), [], text);
  const token = body(32);
  assert.deepEqual(
    findSecrets(`[("Authorization", "Bearer ${token}")]`).map((f) => f.rule),
    ["authorization-header"],
  );
});

Deno.test("a credential header's value of letters alone is a credential unless it reads as a name", () => {
  const found = (text: string) => findSecrets(text).map((f) => f.rule);
  for (const value of ["qTfGXkqLmPzRtYvBnWsD", "WdJqVnXcPbRkZtMhLsGf"]) {
    assert.deepEqual(found(`Authorization: Bearer ${value}`), ["authorization-header"], value);
    assert.deepEqual(found(`X-Api-Key: ${value}`), ["authorization-header"], value);
  }
  for (
    const name of [
      "getAccessTokenFromStorage",
      "refreshSessionCredentials",
      "UseYourOwnTokenHere",
      "FG_DEFAULT",
    ]
  ) {
    assert.deepEqual(found(`Authorization: Bearer ${name}`), [], name);
  }
});

Deno.test("a credential header's hex value is held to hex's entropy floor, not the wider alphabets'", () => {
  // Sixteen random hex digits fall under 3 bits a character one time in seven; these
  // are 2.95, 2.91 and 2.70, over hex's floor for sixteen (2.62).
  for (const value of ["441761f73c78f742", "9e0c9e12f0b2e1c0", "5d05a3d4b5d0a35b"]) {
    assert.deepEqual(
      findSecrets(`curl -H "Authorization: Bearer ${value}" https://x.test`).map((f) => f.rule),
      ["authorization-header"],
      value,
    );
  }
});

Deno.test("a value of a Telegram bot token's shape is the Telegram rule's to judge", () => {
  const found = (text: string) => findSecrets(text).map((f) => f.rule);
  const secret = "A" + body(34);
  // A bot id and a secret of the right lengths: a token.
  assert.deepEqual(found(`telegram_api_token = "123456789:${secret}"`), ["telegram-bot-token"]);
  // A provider's name may be followed by words of what it names (`Telegram bot:`, a
  // README's `Telegram Bot Token:`) before the operator.
  for (const name of ["telegram bot", "Telegram Bot Token"]) {
    assert.deepEqual(found(`${name}: 123456789:${secret}`), ["telegram-bot-token"], name);
  }
  // A bot id of four digits or of seventeen, a secret one character long or short: the
  // Telegram rule turns them down, and the name does not make them a generic secret.
  for (
    const value of [
      `5808:${secret}`,
      `53104116693486978:${secret}`,
      `86182184:${secret}x`,
      `86182184:${secret.slice(0, -1)}`,
    ]
  ) {
    assert.deepEqual(found(`telegram_api_token = "${value}"`), [], value);
  }
  // A pair that is not of that shape (the shape's `A` is upper case) is still judged as
  // any value assigned to a token.
  assert.deepEqual(found(`api_token = "9f8e7d6c:${body(36)}"`), ["generic-secret"]);
  assert.deepEqual(found(`api_token = "100:a${body(34)}"`), ["generic-secret"]);
});

Deno.test("`pass` as a database URL's password is the field's name; elsewhere it is a password", () => {
  const found = (text: string) => findSecrets(text).map((f) => f.rule);
  for (
    const url of [
      "jdbc:mysql://admin:pass@localhost:3306/mydb",
      "postgres://user:pass@localhost/db",
      "mongodb+srv://app:pass@cluster0.example.net/db",
      "redis://default:pass@cache:6379",
    ]
  ) assert.deepEqual(found(`DATABASE_URL="${url}"`), [], url);
  // A real password in a database URL, and `pass` in a web URL (secretlint's basic-auth
  // examples), are found.
  assert.deepEqual(found(`postgres://app:${body(12)}@db/app`), ["url-password"]);
  assert.deepEqual(found("https://user:pass@example.com/test"), ["url-password"]);
  assert.deepEqual(found("ftp://user:pass@example.com"), ["url-password"]);
});

/** `n` values of `length` characters drawn from `alphabet` (seeded: the same every run). */
function drawn(alphabet: string, length: number, n: number, seed: number): string[] {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  return Array.from(
    { length: n },
    () => Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join(""),
  );
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** The text of each secret found in `text`. */
function found(text: string): string[] {
  return findSecrets(text).map((f) => text.slice(f.index, f.index + f.length));
}

Deno.test("a random value assigned to a secret's name is found whatever its characters spell", () => {
  const forms = [
    (v: string) => `password = "${v}"`,
    (v: string) => `SECRET_KEY=${v}`,
    (v: string) => `{"client_secret": "${v}"}`,
    (v: string) => `https://x.test/cb?token=${v}&a=1`,
    // After a type, a closing bracket, in .NET's settings; after a flag, a Dockerfile's
    // ENV, a .netrc's login, a command that sets a variable: a space alone.
    (v: string) => `val password: String = "${v}"`,
    (v: string) => `api_key: str = "${v}"`,
    (v: string) => `os.environ['SECRET_KEY'] = '${v}'`,
    (v: string) => `<add key="ApiKey" value="${v}" />`,
    (v: string) => `deploy --api-token ${v} --verbose`,
    (v: string) => `ENV SERVICE_TOKEN ${v}`,
    (v: string) => `machine api.x.test login bot password ${v}`,
    // fish's, Windows' and Tcl's commands that set a variable; R's assignment.
    (v: string) => `set -gx API_TOKEN ${v}`,
    (v: string) => `setx API_KEY "${v}"`,
    (v: string) => `set client_secret "${v}"`,
    (v: string) => `api_key <- "${v}"`,
    // Names of a password shortened, or a key's passphrase.
    (v: string) => `SMTP_PASS=${v}`,
    (v: string) => `passphrase: ${v}`,
    // Rust's reference types, C's macros.
    (v: string) => `const API_KEY: &str = "${v}";`,
    (v: string) => `static API_KEY: &'static str = "${v}";`,
    (v: string) => `#define API_KEY "${v}"`,
    // A value named as such after the name: Kubernetes' and ECS's environment, a
    // Terraform variable's default, .NET's settings in either case.
    (v: string) => `        - name: API_TOKEN\n          value: ${v}`,
    (v: string) => `[{"name": "DB_PASSWORD", "value": "${v}"}]`,
    (v: string) => `variable "api_key" {\n  default = "${v}"\n}`,
    (v: string) => `<Setting Name="ApiKey" Value="${v}" />`,
  ];
  const values = [
    ...drawn(BASE64, 44, 60, 1),
    ...drawn(BASE64, 88, 30, 2),
    ...drawn(BASE64.slice(0, 62) + "-_", 43, 30, 3),
    ...drawn("0123456789abcdef", 32, 60, 4),
    ...drawn("0123456789abcdef", 64, 30, 5),
    ...drawn("0123456789abcdef", 20, 40, 7),
    // 40 hex digits: a SHA-1's length, and many services' keys.
    ...drawn("0123456789abcdef", 40, 20, 13),
    // Slashes that made it a path, capitals that split it into "words", a stop word
    // spelt in mixed case.
    "nDYP/mxfhcBe/4RJpwmCZD/5WvDEK7XB5HQ/oBkf",
    "rGClgwoCzN2PacNCkCJRIWcpQSroGsfSjlnMOFIg",
    "0kqKHEAmJ9gMAjORLre4UedO1uf2xzDoqpI6zhU6",
  ];
  for (const value of values) {
    for (const form of forms) {
      const text = form(value);
      assert.ok(findSecrets(text).length > 0, text);
      // And as a model request carries it: a file's lines in a JSON string (the
      // Kubernetes environment's value, on the line after its name, had been missed).
      const sent = JSON.stringify({ content: `$ cat f\n${text}\n` });
      assert.ok(findSecrets(sent).length > 0, sent);
    }
  }
});

Deno.test("a query's secret is found alone, not with the parameters after it", () => {
  const seed = body(16).toUpperCase();
  const text = `otpauth://totp/x?secret=${seed}&issuer=Big%20Corporation`;
  assert.deepEqual(
    findSecrets(text).map((f) => text.slice(f.index, f.index + f.length)),
    [seed],
  );
});

Deno.test("a UUID assigned to a secret's name is found, whatever its first character", () => {
  // Many services' keys are UUIDs (Heroku's, Railway's, Exa's): hex in 8-4-4-4-12. One that
  // starts with a letter has a kebab-case name's shape, and three in four fall under the
  // floor of the wider alphabets: judged as the hex they are.
  const uuids = drawn("0123456789abcdef", 32, 200, 12).map((h) =>
    `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`
  );
  const missed = uuids.filter((u) => findSecrets(`RAILWAY_TOKEN=${u}`).length === 0);
  assert.ok(missed.length <= 4, `${missed.length} missed: ${missed.slice(0, 5)}`);
  assert.ok(uuids.filter((u) => /^[a-f]/.test(u)).length > 50);
  // An id is no secret, a UUID or not.
  for (const u of uuids.slice(0, 20)) {
    assert.deepEqual(findSecrets(`api_key_id: "${u}"; tokenId = '${u}'`), [], u);
  }
});

Deno.test("a short random value (sixteen characters) assigned to a secret's name is found", () => {
  const forms = [
    (v: string) => `SECRET_KEY=${v}`,
    (v: string) => `{"client_secret": "${v}"}`,
    (v: string) => `api_key: ${v}`,
    (v: string) => `https://x.test/cb?token=${v}&a=1`,
    (v: string) => `export API_TOKEN='${v}'`,
    (v: string) => `apiKey: string = "${v}";`,
    (v: string) => `<add key="ApiKey" value="${v}" />`,
  ];
  // Drawn at random, a value this short now and then reads as words or repeats enough to
  // fall under its entropy floor (one in two hundred): nearly all, not all. Of 2,000 of
  // letters and digits, 2.6% of these texts were missed while parts of any pairs of
  // letters read as words (`cguvxeDyuWQMwyEb`), 0.8% since only English pairs do.
  for (
    const [alphabet, n, seed] of [[BASE64.slice(0, 62), 2000, 12], [
      "0123456789abcdef",
      200,
      11,
    ]] as const
  ) {
    const texts = drawn(alphabet, 16, n, seed).flatMap((v) => forms.map((form) => form(v)));
    const missed = texts.filter((text) => findSecrets(text).length === 0);
    assert.ok(
      missed.length <= texts.length * 0.01,
      `${missed.length} missed: ${missed.slice(0, 5)}`,
    );
  }
  // What code assigns to such names at that length is no secret.
  for (
    const text of [
      `cache_key = "user:profile:1234"`,
      `keyFile = "/etc/ssl/key.pem"`,
      `secret = "my-app-secret-dev"`,
      `token: "refreshTokenValue"`,
      `key: "2024-01-01T00:00:00"`,
      `apiVersion = "2023-06-01-beta"`,
      `key = "com.example.myapp"`,
      `tokenizer = "bert-base-uncased"`,
      `key: "HKEY_LOCAL_MACHINE"`,
      `api_key = "0123456789abcdef"`,
      `SECRET_KEY=aaaaaaaaaaaaaaaa`,
    ]
  ) {
    assert.deepEqual(findSecrets(text), [], text);
  }
});

/**
 * A key pair of `algorithm` (P-256 ECDSA or Ed25519) made from 32 bytes drawn from `seed`:
 * the private key imported from PKCS#8 (its public point left out, which the import
 * works out), the public one from the private key's JWK without `d`. Both extractable.
 */
async function seededPair(
  algorithm: { name: "ECDSA"; namedCurve: "P-256" } | { name: "Ed25519" },
  seed: number,
): Promise<CryptoKeyPair> {
  const scalar = Array.from(
    { length: 32 },
    () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24,
  );
  // The PKCS#8 headers, by algorithm: the key's 32 bytes follow.
  const header = algorithm.name === "Ed25519"
    ? "302e020100300506032b657004220420"
    : "3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420";
  const pkcs8 = Uint8Array.from([...header.match(/../g)!.map((h) => parseInt(h, 16)), ...scalar]);
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, algorithm, true, ["sign"]);
  const { d: _, key_ops: __, ...jwk } = await crypto.subtle.exportKey("jwk", privateKey);
  const publicKey = await crypto.subtle.importKey("jwk", jwk, algorithm, true, ["verify"]);
  return { privateKey, publicKey };
}

Deno.test("a password's hash in its system's own form is no secret; a token in one's place still is", () => {
  for (
    const hash of [
      "$2b$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
      "$6$rounds=5000$saltsalt$Qn1DQBdkbm8fLwZ5cJpT2S0dJ6HdyjEH3JGyQKjeMFXZyZ5nNNp0bEj0w9mc2oVNtnmqV0k7hEfwD/Kzhwt/M1",
      "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo",
      "pbkdf2:sha256:50000$TCI4GzcX$0de171a4f4dac32e3364c7ddc7c14f3e2fa61f2d17574483f7ffbb431b4acb2f",
      "pbkdf2_sha256$260000$abcDEF123ghiJKL456$mnoPQR789stuVWX012yz34ABCdefGHI567jk=",
      "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
    ]
  ) {
    for (
      const text of [
        `password = '${hash}'`,
        `password: ${hash}`,
        `INSERT INTO users (username, password) VALUES ('bob', '${hash}');`,
        `username,password\nbob,${hash}\n`,
      ]
    ) assert.deepEqual(findSecrets(text).map((f) => f.rule), [], text);
  }
  // The form's parts each hold what they hold: a token in the hash's place is a token, a
  // value that only starts like one is a password.
  assert.deepEqual(
    findSecrets(`password = '$6$x$ghp_${body(36)}'`).map((f) => f.rule),
    ["github-token"],
  );
  assert.deepEqual(
    findSecrets(`password = '$2b$12$${body(6)}#${body(13)}'`).map((f) => f.rule),
    ["password-literal"],
  );
});

Deno.test("public keys, digests and names in snake case are not secrets; a private key is", async () => {
  const base64 = (bytes: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
  // Keys made from fixed bytes, not drawn anew each run: a value drawn at random is now and
  // then one the detector turns down or takes (a JWK's `d` that starts with `my_` reads as
  // a placeholder; one time in a thousand or so, one of these checks failed).
  const ec = await seededPair({ name: "ECDSA", namedCurve: "P-256" }, 1);
  const ed = await seededPair({ name: "Ed25519" }, 2);
  for (const pair of [ec, ed]) {
    const spki = base64(await crypto.subtle.exportKey("spki", pair.publicKey));
    for (const text of [`{ key: "${spki}" }`, `verify_key = '${spki}'`, `apiKey: "${spki}"`]) {
      assert.deepEqual(findSecrets(text), [], text);
    }
  }
  // As JSON Web Keys: the private one (with `d`) is found, in either order of members.
  for (const pair of [ec, ed]) {
    const priv = await crypto.subtle.exportKey("jwk", pair.privateKey);
    const pub = await crypto.subtle.exportKey("jwk", pair.publicKey);
    const sorted = Object.fromEntries(Object.entries(priv).toSorted(([a], [b]) => a < b ? -1 : 1));
    const file = JSON.stringify(sorted, null, 2);
    // Also the file's text in a request's JSON string, and in one inside another.
    const sent = JSON.stringify({ content: `$ cat key.json\n${file}` });
    for (const text of [JSON.stringify(priv), file, sent, JSON.stringify({ body: sent })]) {
      assert.deepEqual(findSecrets(text).map((f) => f.rule), ["jwk-private-key"], text);
    }
    assert.deepEqual(findSecrets(JSON.stringify({ keys: [pub] })), []);
    // A member whose name ends in `d` (`kid`) is not the private one.
    const kid = { ...pub, kid: priv.d };
    for (const text of [JSON.stringify(kid), JSON.stringify({ content: JSON.stringify(kid) })]) {
      assert.deepEqual(findSecrets(text), [], text);
    }
    assert.deepEqual(findSecrets(JSON.stringify({ content: JSON.stringify({ keys: [pub] }) })), []);
  }
  const ed25519 = base64(await crypto.subtle.exportKey("pkcs8", ed.privateKey));
  assert.deepEqual(
    findSecrets(`signing_key = '${ed25519}'`).map((f) => f.rule),
    ["generic-secret"],
  );
  for (
    const text of [
      `httplib2/auth.py,sha256=${btoa(hex(32)).replace(/=+$/, "")},2158`,
      `pip/_internal/network/auth.py,sha256=${
        drawn(BASE64, 43, 1, 6)[0]!.replace(/[+/]/g, "_")
      },16507`,
      "'gss_krb5_lucid_key', 'gss_krb5_rfc1964_keydata',",
      // A digest of a secret, named so.
      `password_sha256 = "${hex(64)}"; key_fingerprint: "${hex(32)}"`,
      // Rails' CSRF token in the form it renders; flags and ENV naming no value.
      `<input type="hidden" name="authenticity_token" value="${body(86)}" />`,
      "mysql --password $DB_PASSWORD app",
      'password = "$dbPassword1"; password: $databasePassword2024; sshpass -p $SSH_PASSWORD_2024 h',
      'mysql -u root -p"$kvStoreNginxPath" app; PGPASSWORD="$__git_cmd_idx" psql',
      'mysql -u root -p app; mysql -uroot -p"$MYSQL_ROOT_PASSWORD"; mysql -P 3306 -p -h db',
      "mysqladmin -u root -p${MYSQL_PASSWORD} ping; mysql -p$(cat /run/secrets/db) app",
      "CFLAGS = -I/usr/include/mysql -pedantic -Wall; mysql client -prompt prefix",
      // Glued to `-p`, a value that reads as a name (a database's, a version), not a password.
      "mysql -u app -pdev_db_name1 app; mysqldump -h db -p8.0.36-log --no-data",
      "deploy --token-file /run/secrets/deploy_token --password <password>",
      "ENV API_KEY_FILE /run/secrets/api_key",
      'docker login -u bot -p "$REGISTRY_TOKEN" registry.x.test; docker login -u bot --password-stdin',
      'sshpass -p "$SSHPASS" ssh host; sshpass -e ssh host; redis-cli -a "$REDIS_PASSWORD"',
      'security add-generic-password -a me -s gh -w "$TOKEN"; security find-generic-password -s gh -w',
      `ssh-keygen -t ed25519 -N '' -f key; ssh-keygen -q -N "$PASSPHRASE" -f key; keygen -N x`,
      "net use Z: \\\\srv\\share /user:CORP\\me /persistent:yes; net use \\\\srv\\s * /user:me",
      "net use Z: \\\\srv\\share /user:me %DB_PASS%; runas /user:administrator cmd.exe",
      "jwt.sign(payload, process.env.JWT_SECRET); jwt.verify(token, 'your-256-bit-secret')",
      'hmac.new(key, msg, hashlib.sha256); crypto.createHmac("sha256", secret); jwt.sign(p, "secret")',
      'dsn := "root:password@tcp(127.0.0.1:3306)/test"; fmt.Sprintf("%s:%s@tcp(%s)/%s", u, p, h, d)',
      "new Sequelize('app', 'admin', process.env.DB_PASS); FTP('ftp.x.test', user, passwd)",
      "sqlplus scott/tiger@orcl; sqlplus / as sysdba; sqlplus -s ${DB_USER}/${DB_PASS}@${TNS}",
      "keytool -storepass:env STOREPASS; users are identified by their names in the directory",
      "openssl rsa -passin env:KEY_PASS -in k.pem; openssl enc -pass file:/run/secrets/p -d; -passout pass:$PASS",
      `--public-key AAAAC3NzaC1lZDI1NTE5AAAAI${body(43)} --sort-key ${body(24)}`,
      // Unquoted program text, a YAML alias, a value SOPS encrypted.
      "password: hashPassword(input, 12), secret: process.env.APP_SECRET_2, pwd: getPw(cfg)[0]",
      "pwd: pwd_js_1.pwdCommand, password: *db_password_anchor1",
      // The shell's working directory, not a password; a constant's name; C++'s scope.
      "env: { PWD: '/Users/maciej', OLDPWD: '/home/someone/src' }",
      "enum k { NL80211_KEY_RX_TX, NL80211_KEY_NO_TX }; using llvm::Pass::doInitialization;",
      '"key::ecdsa-sha2-nistp256"; # type options freq pass UUID=2cda1e08-1f22-490b-9101-c93d511bc9c9',
      "password: ENC[AES256_GCM,data:Tr0ub4dor3,iv:x=,tag:y==,type:str]",
      // Words that end in `pass` or start with it, and a flag naming a file.
      `bypass = '${body(6)}#${body(13).slice(6)}'; compass: "${body(6)}#${body(13).slice(6)}"`,
      `passed = '${body(6)}#${body(13).slice(6)}'; gpg --passphrase-file /run/secrets/gpg`,
      // Words that start as a short prefix does.
      "https://news.x.test/pa-announces-new-policy-for-the-state-budget-2024 ask_user_for_token",
      "CREATE USER app WITH PASSWORD :'password'; -- login with password authentication enabled",
      `[("password", '$5$rounds=1004$nacl$${body(43)}'), ("secret", 'sha1$54123$${hex(40)}')]`,
      // A `sig` that is no shared access signature (no `sv=`), and one left as a stand-in.
      `https://x.test/a?sig=${encodeURIComponent(btoa(body(32)))}`,
      `?sv=2022-11-02&sp=r&sig=${"x".repeat(43)}%3D`,
      // Passwords of a test or a template, a hash, base64 of a sentence.
      'password = "test1234"; admin_password: "Passw0rd!"; root_pwd = "summer2024vacation"',
      'password: "${DB_PASSWORD}", password_hash = "' + "$2b$12$" + body(22) + '"',
      `password: '${btoa("not my real password")}'`,
      `password: "db-\${ENV}-Secret1", password_hash: "pbkdf2:sha256:260000$${body(12)}"`,
      'SECRET_KEY = os.environ["SECRET_KEY"]; client_secret: "getClientSecret(env,2024)"',
      "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPublic-Lines: 1\nAAAA\nPrivate-Lines: 1\n" +
      "x".repeat(48) + "\n",
    ]
  ) assert.deepEqual(findSecrets(text), [], text);
});

/** The lookbehind groups (`(?<=...)`, `(?<!...)`) of a pattern's source. */
function lookbehinds(source: string): string[] {
  return lookarounds(source, ["(?<=", "(?<!"]);
}

/** The lookahead groups (`(?=...)`, `(?!...)`) of a pattern's source. */
function lookaheads(source: string): string[] {
  return lookarounds(source, ["(?=", "(?!"]);
}

function lookarounds(source: string, opens: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (opens.some((open) => source.startsWith(open, i))) {
      let depth = 0;
      let inClass = false;
      let j = i;
      for (; j < source.length; j++) {
        const c = source[j];
        if (c === "\\") j++;
        else if (inClass) inClass = c !== "]";
        else if (c === "[") inClass = true;
        else if (c === "(") depth++;
        else if (c === ")" && --depth === 0) break;
      }
      out.push(source.slice(i, j + 1));
    }
  }
  return out;
}

/** Whether a group holds `*`, `+` or `{n,}` outside a character class. */
function unbounded(group: string): boolean {
  let inClass = false;
  for (let i = 0; i < group.length; i++) {
    const c = group[i];
    if (c === "\\") i++;
    else if (inClass) inClass = c !== "]";
    else if (c === "[") inClass = true;
    else if (c === "*" || c === "+" || (c === "{" && /^\{\d+,\}/.test(group.slice(i)))) {
      return true;
    }
  }
  return false;
}

Deno.test("no rule looks behind without a bound: read back at every place it is tried, it made scans quadratic", () => {
  // `(?<=\bENV[ \t]+[A-Z0-9_]+)` in the generic rule's operator read back over a whole
  // run of capitals at each of its tries: 100 KB of `_KEY` took 104 s to scan.
  assert.ok(unbounded("(?<=\\bENV[ \\t]+[A-Z0-9_]+)") && !unbounded("(?<=a[+*]{1,4})"));
  const found = RULES.flatMap((r) =>
    lookbehinds(r.pattern.source).filter(unbounded).map((g) => `${r.id}: ${g}`)
  );
  assert.deepEqual(found, []);
  assert.ok(RULES.some((r) => lookbehinds(r.pattern.source).length > 0));
});

Deno.test("no rule's lookbehind refers back to a group inside it: read from its end, the group comes after the reference", () => {
  // `(?<=... (["']|)(X)\1 ...)`: the lookbehind reads right to left, so `\1` was read
  // before its group took anything and matched only the empty quote (net use's quoted
  // password, ConvertTo-SecureString's, went unread).
  const refersBack = (group: string) => {
    for (let i = 0; i < group.length; i++) {
      if (group[i] !== "\\") continue;
      if (/[1-9]/.test(group[i + 1] ?? "")) return true;
      i++;
    }
    return false;
  };
  assert.ok(refersBack(`(?<=(["'])x\\1)`) && !refersBack(`(?<=\\\\1)`));
  const found = RULES.flatMap((r) =>
    lookbehinds(r.pattern.source).filter(refersBack).map((g) => `${r.id}: ${g}`)
  );
  assert.deepEqual(found, []);
});

Deno.test("no rule looks ahead without a bound over what a keyword is made of: tried at every keyword, it made scans quadratic", () => {
  // `(?![^\s"'\`\\<]*[()[\]{}])` in the password rule read ahead over the whole run at each
  // of its tries: 256 KiB of `pwd=` took minutes. Unbounded whitespace is read once: no
  // keyword starts inside it.
  const unboundedAhead = (group: string) =>
    unbounded(group.replaceAll("\\s*", "").replaceAll("\\s+", "").replaceAll("[ \\t]*", ""));
  assert.ok(unboundedAhead(`(?![^\\s"'\`\\\\<]*[()[\\]{}])`) && !unboundedAhead("(?=\\s*:?=)"));
  const found = RULES.flatMap((r) =>
    lookaheads(r.pattern.source).filter(unboundedAhead).map((g) => `${r.id}: ${g}`)
  );
  assert.deepEqual(found, []);
  assert.ok(RULES.some((r) => lookaheads(r.pattern.source).length > 0));
});

/**
 * What follows a rule's start in `backtrackProbes`: text a pattern's repeated group may
 * read more than one way (a word and a space, a line break written plainly or escaped,
 * separators, quotes), many times over and never ended as the rule would end it.
 */
const FILLERS = [
  "QUJD ",
  "a ",
  " a",
  "a\n",
  "a\\n",
  "\\n",
  "\\",
  "a-",
  "-a",
  "a.",
  "a=",
  "a:",
  "a,",
  "a_",
  "a/",
  "\t",
  " ",
  "ab",
  "a'",
  'a"',
  "a;",
  "a@",
  "%2",
  "=a&",
  "Ab1 ",
  "a~",
  "a$",
  "a)",
  "\r\n",
  "\\r\\n",
  "QUJD\\n",
  "QUJD-",
  "QUJD=",
];

/**
 * Texts that start a rule's match and never end it: each positive sample above cut where
 * its secret starts and in its middle, and each keyword as written and in capitals, then
 * each filler 64 times. A pattern that backtracks exponentially (a group whose text can
 * be split between its alternatives in more than one way) takes longer than the age of
 * the universe over one of them.
 */
function backtrackProbes(): string[] {
  const probes: string[] = [];
  const starts: string[] = [];
  for (const [, text] of cases) {
    for (const f of findSecrets(text)) {
      starts.push(text.slice(0, f.index), text.slice(0, f.index + Math.floor(f.length / 2)));
    }
  }
  for (const rule of RULES) {
    for (const k of rule.keywords) {
      starts.push(k, k.toUpperCase(), `${k}="`, `${k.toUpperCase()}: `);
    }
  }
  for (const start of new Set(starts)) {
    for (const filler of FILLERS) probes.push(start + filler.repeat(64) + "\u0001");
  }
  return probes;
}

Deno.test("no rule backtracks without end over a match it cannot finish (the probes scanned in a worker that must answer)", async () => {
  const probes = backtrackProbes();
  assert.ok(probes.length > 10_000, `${probes.length} probes`);
  // In a worker, so that a scan which never ends fails the test instead of hanging it.
  const code = `
    import { Detector } from ${JSON.stringify(new URL("./engine.ts", import.meta.url).href)};
    import { RULES } from ${JSON.stringify(new URL("./rules.ts", import.meta.url).href)};
    const detector = new Detector(RULES);
    self.onmessage = (event) => {
      for (const [i, probe] of event.data.entries()) {
        self.postMessage({ at: i });
        detector.scan(probe);
      }
      self.postMessage({ done: true });
    };`;
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  try {
    let at = 0;
    const done = await new Promise<boolean>((resolve) => {
      // Far beyond what the probes take (seconds); a pattern that backtracks exponentially
      // takes years over one of them, so it cannot end in time by chance.
      const limit = setTimeout(() => resolve(false), 120_000);
      worker.onmessage = (event) => {
        if (event.data.done) {
          clearTimeout(limit);
          resolve(true);
        } else at = event.data.at;
      };
      worker.postMessage(probes);
    });
    assert.ok(done, `the scan of ${JSON.stringify(probes[at]!.slice(0, 120))}... did not end`);
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
});

Deno.test("curl-auth-user: a `$` inside a password is one of its symbols; a variable in its place is no secret", () => {
  const pw = body(10);
  for (const arg of [`admin:${pw}$`, `admin:${pw.slice(0, 4)}$$${pw.slice(4)}`, `'ops:${pw}$1'`]) {
    const found = findSecrets(`curl -sS -u ${arg} https://api.example.com/v1`);
    assert.ok(found.some((f) => f.rule === "curl-auth-user"), arg);
  }
  for (
    const arg of [
      '"$USER:$PASS"',
      '"$1:$2"',
      '"deploy:${DEPLOY_PW}"',
      `"deploy:$(cat pw.txt)"`,
      `admin:${pw.slice(0, 6)}\${SUFFIX}`,
      "<user:password>",
      '"{{ .Values.user }}:{{ .Values.password }}"',
    ]
  ) {
    const found = findSecrets(`curl -sS -u ${arg} https://api.example.com/v1`);
    assert.ok(!found.some((f) => f.rule === "curl-auth-user"), arg);
  }
});

/** Each finding in `text` as its rule and the text it found (`rule:secret`). */
const foundAs = (text: string) =>
  findSecrets(text).map((f) => `${f.rule}:${text.slice(f.index, f.index + f.length)}`);

Deno.test("what ordinary code writes beside a secret's name is not one", () => {
  // Met scanning 25,000 files of installed Python and JavaScript (an SDK, its vendored
  // libraries, their tests and documentation).
  for (
    const text of [
      // A form's or a query's next parameter ends a password: here it is a format's `%s`,
      // or the field's name.
      "url += '?username=%s&password=%s&id=%s&ip=%s'",
      "login_body = 'username=test&password=password&from_page=/'",
      // Names of something beside a secret: an API's response, an object's ETag, a page
      // of results' next token, a namespace.
      "self.assertEqual(api_response, 'rtbassoc-f8ad4891')",
      "self.assertEqual(self.keyfile.key.etag, '098f6bcd4621d373cade4e832627b4f6')",
      `<NextToken>${body(64)}</NextToken>`,
      `"nextPageToken": "${body(40)}"`,
      `    Items remaining: 0\n    Next page token: ${body(25)}`,
      `request = client.list(page_token="${body(25)}")`,
      `X-Next-Token: ${body(25)}`,
      "_SECRET_NAMESPACE = 'oauth2client:secrets#ns'",
      // A name after an acronym, as a paginator's result key.
      `"result_key": "DBRecommendations"`,
      // A field documented by its own name.
      "userPassword: UserPassword.",
      // A keyword argument after a comma, and a path of one slash in small letters.
      "AuthorizedHttp(\n    credentials, http=URLLIB3_HTTP\n).request",
      "(location name is key). Example key: zones/us-central1-a Fields:",
      // Fields documented (`name: What it is.`), and documentation's command lines.
      ":type token: string\n:param token: Short-lived token sent to the endpoint",
      "Fields:\n  authorization: Optional. Configuration related to authorization.",
      "--sasl-password=projects/12345/secrets/my-sasl-secret/versions/1",
      "my-profile --region=us-central1 --password=123456 --username=my-user",
      // Credentials written for show, base64-encoded: `username:password`, `foo:bar`,
      // `admin:admin`.
      `BASIC_AUTH_ENCODING = "${btoa("username:password")}"`,
      `{"authorization": "Basic ${btoa("foo:bar")}"}`,
      `Authorization: Basic ${btoa("admin:admin")}`,
    ]
  ) assert.deepEqual(foundAs(text), [], text);
  // Each still finds the real thing.
  const password = body(14);
  assert.deepEqual(foundAs(`jdbc:mysql://db/app?user=u&password=${password}&useSSL=false`), [
    `connection-string:${password}`,
  ]);
  // An `&` that starts no parameter is part of the password.
  assert.deepEqual(foundAs(`Password=Tr0ub&dor3xQ;`).filter((f) => f.startsWith("conn")), [
    "connection-string:Tr0ub&dor3xQ",
  ]);
  assert.deepEqual(foundAs(`api_key = "${body(32)}"`), [`generic-secret:${body(32)}`]);
  // A DSN's public key is no secret; its deprecated secret half and an auth token are.
  const [publicKey, secretKey] = [
    "9f3a1c2e7b4d4e8f9a0b1c2d3e4f5a6b",
    "4e8f9a0b1c2d3e4f5a6b9f3a1c2e7b4d",
  ];
  assert.deepEqual(foundAs(`sentry_key=${publicKey}, sentry_secret=${secretKey}`), [
    `generic-secret:${secretKey}`,
  ]);
  // `next` names a cursor only before a token or a page.
  assert.deepEqual(foundAs(`NEXT_AUTH_SECRET=${body(32)}`), [`generic-secret:${body(32)}`]);
  // A value with one slash is a path only in small letters.
  const slashed = "Zq8Lr2Xv9Kt4/Wm7Pn3Bc6Hd1Fj5";
  assert.deepEqual(foundAs(`api_key: ${slashed}`), [`generic-secret:${slashed}`]);
  assert.deepEqual(foundAs(`userPassword: "Zq8!${body(10)}"`), [
    `password-literal:Zq8!${body(10)}`,
  ]);
  assert.deepEqual(foundAs(`  token: ${body(25)}`), [`authorization-header:${body(25)}`]);
  assert.deepEqual(foundAs(`homepage token: ${body(25)}`), [`authorization-header:${body(25)}`]);
  // A value in backticks is read inside them: a key in Markdown's code is one, a name in
  // reStructuredText's `:token:` role (CMake's manual) is none.
  assert.deepEqual(foundAs(`API token: \`${body(25)}\``), [`authorization-header:${body(25)}`]);
  assert.deepEqual(foundAs("A :token:`bracket_open` forms a *bracket comment*"), []);
  // Random letters in the header are a credential, with hyphens or a period after them too.
  for (const token of ["ZqLrxKvWqTpLmNbVcXzAsDf.", "ZqLrxKv-WqTpLmNbV-cXzAsDf"]) {
    assert.deepEqual(foundAs(`Authorization: Bearer ${token}`), [`authorization-header:${token}`]);
  }
  const real = btoa(`deploy:${body(16)}`);
  assert.deepEqual(foundAs(`Authorization: Basic ${real}`), [`authorization-header:${real}`]);
  assert.deepEqual(foundAs(`BASIC_AUTH = "${real}"`), [`generic-secret:${real}`]);
});

Deno.test("`psk` names a pre-shared key as a name's last word, not within a cipher suite's name", () => {
  const value = body(20);
  for (const name of ["psk", "wpa_psk", "PSK", "VPN_PSK"]) {
    assert.deepEqual(foundAs(`${name}="${value}"`), [`generic-secret:${value}`], name);
  }
  assert.deepEqual(foundAs(`PSK_IDENTITY=${value}`), []);
  assert.deepEqual(
    foundAs('#define TLS1_RFC_PSK_WITH_AES_256_GCM_SHA384 "TLS_PSK_WITH_AES_256_GCM_SHA384"'),
    [],
  );
});

Deno.test("a word naming what is beside a secret (a host, a file, a store) says so only after the secret's word", () => {
  const value = body(20);
  for (
    const name of [
      "EMAIL_HOST_PASSWORD",
      "RELEASE_STORE_PASSWORD",
      "storePassword",
      "VAULT_TOKEN",
      "KEYSTORE_FILE_PASSWORD",
      "CODE_SIGNING_PASSWORD",
      "PROVIDER_TOKEN",
      "LOCATION_API_KEY",
    ]
  ) {
    for (const text of [`${name} = '${value}'`, `"${name}": "${value}"`]) {
      assert.deepEqual(findSecrets(text).map((f) => text.slice(f.index, f.index + f.length)), [
        value,
      ], text);
    }
  }
  for (
    const name of ["TOKEN_HOST", "KEY_FILE", "secret_region", "TOKEN_ENDPOINT", "password_store"]
  ) {
    for (const text of [`${name} = '${value}'`, `"${name}": "${value}"`]) {
      assert.deepEqual(findSecrets(text), [], text);
    }
  }
});

Deno.test("a password that starts with % is a template's only as a format (%s, %(name)s, %VAR%, %{name})", () => {
  for (
    const text of [
      "password = '%(db_password)s'",
      "password = '%DB_PASSWORD_VALUE%'",
      'password: "%{hiera_db_password}"',
      "db_password = '%-20s%s'",
    ]
  ) assert.deepEqual(foundAs(text), [], text);
  // A password drawn from printable characters may start with `%` all the same.
  const value = "%BufC#0pBsyrl8.L";
  assert.deepEqual(foundAs(`db_password = '${value}'`), [`password-literal:${value}`]);
  assert.deepEqual(foundAs(`new Sequelize("app", "admin", "${value}")`), [
    `credential-argument:${value}`,
  ]);
});

Deno.test("a password written without quotes ends at a semicolon before the next field", () => {
  const value = "Zq8!" + body(12);
  // One finding over the value alone: the connection string's field, not the fields after
  // it (the password rule had read on to `;Encrypt=true`, a second finding over more).
  for (
    const text of [
      `Server=db;User Id=sa;Password=${value};Encrypt=true`,
      `conn = "Server=db;Password=${value};"`,
      `conn = "Password=${value};Encrypt=true"`,
    ]
  ) assert.deepEqual(foundAs(text), [`connection-string:${value}`], text);
  // A command's end is none of the password either; a semicolon inside it, or inside
  // quotes, is.
  assert.deepEqual(foundAs(`export DB_PASSWORD=${value};`).map((f) => f.split(":")[1]), [
    value,
  ]);
  const inner = `${value.slice(0, 6)};${value.slice(6)}`;
  assert.deepEqual(foundAs(`DB_PASSWORD=${inner}`), [`connection-string:${inner}`]);
  assert.deepEqual(foundAs(`jdbc:x://db/app;user=app;password=${body(14)};ssl=true`), [
    `connection-string:${body(14)}`,
  ]);
  assert.deepEqual(foundAs(`password = "${value};Encrypt=true"`), [
    `password-literal:${value};Encrypt=true`,
  ]);
  assert.deepEqual(foundAs(`password = '${value};'`), [`password-literal:${value};`]);
});

Deno.test("a match turned down hides no name inside it; a header's quotes may be escaped; a value may follow a space, a block scalar's bar or a table's rule", () => {
  const value = body(20);
  const found = (text: string) =>
    findSecrets(text).map((f) => `${f.rule}:${text.slice(f.index, f.index + f.length)}`);
  // `key="ClearTextPassword"` is a name read as a value and turned down; the password's
  // name inside it then takes the value beside it.
  assert.deepEqual(found(`<add key="ClearTextPassword" value="${value}" />`), [
    `password-literal:${value}`,
  ]);
  const header = JSON.stringify({ c: `h = {"Authorization": "Bearer ${value}"}` });
  assert.deepEqual(found(header), [`authorization-header:${value}`]);
  assert.deepEqual(found(`redis://:${value}@cache:6379/0`), [`url-password:${value}`]);
  assert.deepEqual(found(`storePassword "${value}"`), [`password-literal:${value}`]);
  assert.deepEqual(found(`db:\n  password: >-\n      ${value}\n`), [`password-literal:${value}`]);
  assert.deepEqual(found(`| API_KEY | ${value} |`), [`generic-secret:${value}`]);
  // Neither a space before words, nor a bar before prose, nor a port for a password.
  for (
    const text of [
      `echo API_KEY "is set"`,
      "| api_key | The key your account page shows |",
      "http://:8080@example.org",
    ]
  ) assert.deepEqual(found(text), [], text);
});

Deno.test("a value after prose's `is` or `to`, in a setter's or a builder's call, or wrapped (`String::from`) is its name's", () => {
  const value = body(24);
  for (
    const text of [
      `The API key is ${value} and it works.`,
      `I set DB_PASSWORD to ${value} in the config.`,
      `config.setApiKey("${value}");`,
      `OpenAI.builder().apiKey("${value}").build()`,
      `let c = Config { api_token: String::from("${value}") };`,
      `settings = Settings(secret_key=SecretStr("${value}"))`,
    ]
  ) assert.deepEqual(found(text), [value], text);
  for (
    const text of [
      "The token is expired; the key to it is in the vault.",
      "builder.password(user.password).apiKey(config.apiKey)",
      `let c = Config { api_token: String::from("not a secret at all") };`,
      "Set the API key to your own value.",
    ]
  ) assert.deepEqual(found(text), [], text);
});

Deno.test("a name in the element or field before its value (a property list, Hadoop, ARM, CloudFormation, a meta tag), and a name after an acronym (`DBPassword`)", () => {
  const value = body(24);
  for (
    const text of [
      `<dict>\n\t<key>ClientSecret</key>\n\t<string>${value}</string>\n</dict>`,
      `<property>\n  <name>fs.s3a.secret.key</name>\n  <value>${value}</value>\n</property>`,
      JSON.stringify({ parameters: { adminPassword: { value } } }, null, 2),
      JSON.stringify([{ ParameterKey: "DBPassword", ParameterValue: value }]),
      `<meta name="api-key" content="${value}">`,
      `SSHKey=${value}`,
      `{"JWTSecret": "${value}"}`,
    ]
  ) {
    assert.deepEqual(found(text), [value], text);
    assert.deepEqual(found(JSON.stringify({ content: text })), [value], text);
  }
  for (
    const text of [
      `<key>CFBundleIdentifier</key>\n<string>org.example.app.${value}</string>`,
      `<meta name="csrf-token" content="${value}">`,
      `TURNKEY = "${value}"`,
      JSON.stringify([{ Key: "Environment", Value: "production-eu-west-1" }]),
    ]
  ) assert.deepEqual(found(text), [], text);
});

Deno.test("a password of any printable characters whose name is in the field or line before (Kubernetes' env, a name and a value in JSON, ARM, a form's field) is found; a reference or a template is not", () => {
  const value = `${body(6)}#${body(13).slice(6)}`;
  for (
    const text of [
      `env:\n  - name: DB_PASSWORD\n    value: "${value}"\n`,
      `env:\n- name: DB_PASSWORD\n  value: ${value}\n- name: PORT\n  value: "5432"`,
      JSON.stringify({ name: "CLIENT_SECRET", value }),
      JSON.stringify([{ Name: "password", Value: value }]),
      JSON.stringify({ parameters: { adminPassword: { value } } }, null, 2),
      `<input type="password" name="password" value="${value}">`,
    ]
  ) {
    assert.deepEqual(found(text), [value], text);
    assert.deepEqual(found(JSON.stringify({ content: text })), [value], text);
  }
  for (
    const text of [
      "- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef:\n      name: db\n      key: password",
      "- name: DB_PASSWORD\n  value: $(DB_PASSWORD_FROM_FILE)",
      JSON.stringify({ name: "password", value: "{{ .Values.db.password }}" }),
      JSON.stringify({ name: "password", value: "${DB_PASSWORD}" }),
      JSON.stringify({ name: "password", value: "CorrectHorseBatteryStaple" }),
    ]
  ) assert.deepEqual(found(text), [], text);
});

Deno.test("a password of any printable characters is found where a token assigned to its name is: a command, a setter, a default, prose, a table, a property list", () => {
  const value = `${body(6)}#${body(13).slice(6)}`;
  for (
    const text of [
      `setx DB_PASSWORD "${value}"`,
      `ENV DB_PASSWORD ${value}`,
      `$_ENV['DB_PASSWORD'] = '${value}';`,
      `os.environ['DB_PASSWORD'] = '${value}'`,
      `System.setProperty("db.password", "${value}");`,
      `os.Setenv("DB_PASSWORD", "${value}")`,
      `ds.setPassword("${value}");`,
      `const pw = process.env.DB_PASSWORD ?? "${value}";`,
      `the password is ${value}`,
      `| DB_PASSWORD | ${value} |`,
      `<key>Password</key>\n<string>${value}</string>`,
      `password: String::from("${value}"),`,
      `storePassword "${value}"`,
      `npm config set db.password ${value}`,
      `db:\n  password: >-\n    ${value}\n`,
    ]
  ) {
    assert.deepEqual(found(text), [value], text);
    assert.deepEqual(found(JSON.stringify({ content: text })), [value], text);
  }
  // Not program text after a comma, a type or a call's bracket, nor a tuple's strings (a
  // test's pair of a password and its hash, a URL's parts).
  for (
    const text of [
      "def refresh(request, token_uri, refresh_token, client_id, client_secret, scopes=None,",
      'flow = OAuth2DeviceCodeFlow(CLIENT_ID, CLIENT_SECRET, " ".join(SCOPES))',
      "sudoersPASSWD nextgroup=@sudoersCmndInSpec",
      `("password", "${value}"),`,
      "(None, 'joe', 'password', 'proxy.example.com:3128')",
      "using llvm::Pass::doInitialization;",
      // Prose whose word after `is` or `to` is a name.
      "# See if we have anything to pass to Term::Rendezvous.",
      "The password to use is subprocess.Popen.",
    ]
  ) assert.deepEqual(found(text), [], text);
});

Deno.test("a name and a token as a pair of strings are a setting as a call's arguments, not as a tuple's", () => {
  const value = body(24);
  for (
    const text of [
      `os.Setenv("API_KEY", "${value}")`,
      `localStorage.setItem("access_token", "${value}");`,
      `ENV.fetch("STRIPE_SECRET", "${value}")`,
    ]
  ) assert.deepEqual(found(text), [value], text);
  for (
    const text of [
      `known_correct_hashes = [\n    ("password", "${hex(40)}"),\n]`,
      `pairs = [("secret", "${value}"), ("other", "x")]`,
    ]
  ) assert.deepEqual(found(text), [], text);
});

Deno.test("a value longer than 150 characters assigned to a secret's name is found whole (a session token, a refresh token); a public key or a run of one character is not", async () => {
  const long = (n: number) =>
    (body(90) + hex(60) + body(90).split("").reverse().join("")).repeat(5)
      .slice(0, n);
  for (const n of [151, 400, 1200]) {
    const value = long(n);
    for (
      const text of [
        `aws_session_token = ${value}`,
        JSON.stringify({ refreshToken: `0.A${value}` }),
        `SERVICE_TOKEN="${value}"`,
      ]
    ) {
      const secret = text.includes("0.A") ? `0.A${value}` : value;
      assert.deepEqual(found(text), [secret], text.slice(0, 60));
    }
  }
  // An RSA public key's SubjectPublicKeyInfo, as a configuration holds it on one line.
  const { publicKey } = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey)).toBase64();
  // The modulus's characters changed keep it a public key; filler in one (`mmMMm`, `AaAaA`:
  // once in a few thousand keys) had left two pieces, the first found as a secret.
  const filled = (run: string) => spki.slice(0, 120) + run + spki.slice(120 + run.length);
  for (
    const text of [
      `signing_key: "${spki}"`,
      `signing_key: "${filled("mmMMm")}"`,
      `signing_key: "${filled("AaAaAa")}"`,
      `API_TOKEN=${"A".repeat(300)}`,
    ]
  ) assert.deepEqual(found(text), [], text.slice(0, 60));
});

Deno.test("a value whose letters spell its own kind is written for show, except in a URL", () => {
  // Met in an SDK's documented command lines and samples; each rule reads one of them.
  for (
    const text of [
      "$ gcloud sql instances create prod --region=us-central1 --root-password=password123",
      "--domain-user user@example.com --domain-password secretPassword123 --protocol LDAP",
      'client_id = "YOUR-CLIENT-ID"\nclient_secret = "abc_ThIsIsAsEcReT"',
      "DB_PASSWORD=MySuperSecret!",
      `{"password": "Password1!"}`,
    ]
  ) assert.deepEqual(foundAs(text), [], text);
  // Letters besides those words, or more than a few digits, make a value again.
  assert.deepEqual(foundAs("--root-password=pass82736491"), [
    "connection-string:pass82736491",
  ]);
  assert.deepEqual(foundAs('client_secret = "PassportKq7Zt2"'), [
    "password-literal:PassportKq7Zt2",
  ]);
  // A password in a web URL is one all the same, as secretlint counts it.
  assert.deepEqual(foundAs("https://user:secret123@api.example.com/endpoint"), [
    "url-password:secret123",
  ]);
});

Deno.test("a private key after headers that never end is found; a body holds no run of five dashes", () => {
  const key = cases.find(([rule]) => rule === "private-key")![1];
  const headers = ("-----BEGIN " + "RSA PRIVATE KEY-----\n").repeat(500);
  assert.deepEqual(findSecrets(headers + key).map((f) => f.rule), ["private-key"]);
  // One header's body does not run on across another's dashes to the other's end: only
  // the key as written is read, from its own header.
  const found = findSecrets(`${headers}${key}`).find((f) => f.rule === "private-key")!;
  assert.ok(found.index > headers.length, `${found.index}`);
});

Deno.test("a ClickHouse key's prefix in hex (a commit's name, a digest) is no key; a key's body of 62 characters is", () => {
  const body = "RdW3rOcB7xLthrM4BTBGK1qPLkHigpN1bXD6zA";
  for (const text of [`key: 4b1d${body}`, `CLICKHOUSE_SECRET=4b1d${body}`]) {
    assert.deepEqual(findSecrets(text).map((f) => f.rule), ["clickhouse-cloud-api-secret-key"]);
  }
  // Hex of 42 digits that starts so, as one in 65,536 places of hex does.
  const hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f";
  for (const text of [`sha=4b1d${hex}`, `commit 4b1d${hex}`, `4B1D${hex.toUpperCase()}`]) {
    assert.deepEqual(findSecrets(text), [], text);
  }
});
