/**
 * Credentials as the files and commands that hold them write them, what a coding agent
 * prints while it works (`cat ~/.netrc`, `terraform output -json`, `gcloud auth
 * print-access-token`): each found as written (the gate, a file sent) and as a model
 * request carries it (a tool's result, a line of a JSON string), with values drawn at
 * random from a fixed seed.
 */
import assert from "node:assert/strict";
import { findSecrets } from "./mod.ts";

const A62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** Printable ASCII but a quote and a backslash: what WordPress's key generator draws from. */
const WP = A62 + "!@#$%^&*()-_=+[]{}|;:,.<>?/~` ";

function drawer(seed: number) {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const draw = (n: number, alphabet = A62) =>
    Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
  return { draw, hex: (n: number) => draw(n, "0123456789abcdef") };
}

type Draw = ReturnType<typeof drawer>;

/** Each file or command's output, made with fresh values. */
const FILES: Record<string, (d: Draw) => string> = {
  // A .netrc as it is mostly written: each word on a line of its own.
  ".netrc": ({ draw }) =>
    `machine api.example.org\n  login me@example.org\n  password ${draw(24)}\n`,
  ".netrc of a UUID (Heroku's)": ({ hex }) =>
    `machine api.heroku.com\n  login me@example.org\n  password ${hex(8)}-${hex(4)}-4${hex(3)}-a${
      hex(3)
    }-${hex(12)}\n`,
  ".pgpass": ({ draw }) =>
    `db.internal:5432:app:app_user:${draw(24)}\nlocalhost:*:*:replicator:${draw(20)}\n`,
  ".pgpass of wildcards": ({ draw }) => `*:*:*:postgres:${draw(24)}\n`,
  "gcloud auth print-access-token": ({ draw }) => `ya29.a0${draw(150, A62 + "-_")}\n`,
  "ngrok.yml": ({ draw }) => `version: "2"\nauthtoken: 2${draw(26)}_${draw(21)}\n`,
  "redis.conf": ({ draw }) => `bind 127.0.0.1\nrequirepass ${draw(24)}\nmasterauth ${draw(24)}\n`,
  "terraform output -json": ({ draw }) =>
    JSON.stringify(
      {
        db_password: { sensitive: true, type: "string", value: draw(20) },
        endpoint: { sensitive: false, type: "string", value: "db.example.org" },
      },
      null,
      2,
    ),
  "wp-config.php": ({ draw }) =>
    [
      "AUTH_KEY",
      "SECURE_AUTH_KEY",
      "LOGGED_IN_KEY",
      "NONCE_KEY",
      "AUTH_SALT",
      "SECURE_AUTH_SALT",
      "LOGGED_IN_SALT",
      "NONCE_SALT",
    ].map((name) => `define( '${name}', '${draw(64, WP)}' );`).join("\n"),
  "a Kubernetes Deployment's env": ({ draw }) =>
    `env:\n- name: STRIPE_KEY\n  value: ${draw(32)}\n- name: LOG_LEVEL\n  value: debug\n`,
  "an ECS task definition's environment": ({ draw }) =>
    JSON.stringify({ environment: [{ name: "DB_PASSWORD", value: draw(24) }] }),
  "a Dockerfile": ({ draw }) => `FROM node:22\nENV SERVICE_TOKEN ${draw(32)}\nRUN npm ci\n`,
  "fish's config": ({ draw }) => `set -gx API_TOKEN ${draw(32)}\n`,
  "docker config.json": ({ draw }) =>
    JSON.stringify(
      { auths: { "https://index.docker.io/v1/": { auth: btoa(`me:${draw(24)}1`) } } },
      null,
      2,
    ),
  "kubectl get secret -o yaml": ({ draw }) =>
    `apiVersion: v1\nkind: Secret\ndata:\n  password: ${btoa(draw(18) + "!1")}\n`,
  "os.environ": ({ draw }) =>
    `environ({'PATH': '/usr/bin', 'AWS_SECRET_ACCESS_KEY': '${draw(40, A62 + "+/")}'})`,
  "mysql -p": ({ draw }) => `$ mysqldump -u root -p${draw(10)}7${draw(6)} app > dump.sql`,
  // Names whose first words say whose the secret is (a host, a key store, a vault).
  "Django's settings.py": ({ draw }) =>
    `EMAIL_HOST = 'smtp.example.org'\nEMAIL_HOST_USER = 'me@example.org'\nEMAIL_HOST_PASSWORD = '${
      draw(14)
    }1x'\n`,
  "an Android app's signing config": ({ draw }) =>
    `signingConfigs {\n  release {\n    storeFile file("release.jks")\n    storePassword "${
      draw(18)
    }"\n    keyAlias "upload"\n  }\n}\n`,
  "gradle.properties": ({ draw }) => `RELEASE_STORE_PASSWORD=${draw(18)}\n`,
  "a workflow's env": ({ draw }) =>
    `env:\n  KEYSTORE_FILE_PASSWORD: ${draw(18)}\n  VAULT_TOKEN: ${draw(24)}\n`,
  // A value named by an attribute beside it, after a `key=` whose value is the name.
  "NuGet.Config": ({ draw }) =>
    `<packageSourceCredentials>\n  <feed>\n    <add key="Username" value="me" />\n    <add key="ClearTextPassword" value="${
      draw(20)
    }" />\n  </feed>\n</packageSourceCredentials>`,
  "a Python client's headers": ({ draw }) =>
    `headers = {"Authorization": "Bearer ${draw(40, A62 + "-_.")}"}`,
  "a Redis URL without a user": ({ draw }) => `REDIS_URL=redis://:${draw(24)}@cache:6379/0\n`,
  "firebase login:ci": ({ draw }) =>
    `Success! Use this token to login on a CI server:\n\n1//0${draw(100, A62 + "_-")}\n`,
  "a YAML block scalar": ({ draw }) => `db:\n  password: |\n    ${draw(24)}\n`,
  // A value longer than 150 characters; names in the element or field before the value;
  // a password on a command line glued on or piped in.
  "an STS session in ~/.aws/credentials": ({ draw }) =>
    `[session]\naws_session_token = IQoJb3JpZ2luX2VjE${draw(600, A62 + "+/")}\n`,
  "an app's Info.plist": ({ draw }) =>
    `<dict>\n\t<key>ServiceToken</key>\n\t<string>${draw(31)}7</string>\n</dict>\n`,
  "Hadoop's core-site.xml": ({ draw }) =>
    `<property>\n  <name>fs.s3a.secret.key</name>\n  <value>${
      draw(40, A62 + "+/")
    }</value>\n</property>\n`,
  "an ARM template's parameters": ({ draw }) =>
    JSON.stringify({ parameters: { adminPassword: { value: `${draw(23)}7` } } }, null, 2),
  "CloudFormation's parameters": ({ draw }) =>
    JSON.stringify([{ ParameterKey: "DBPassword", ParameterValue: `${draw(23)}7` }], null, 2),
  "a CI script's registry login": ({ draw }) =>
    `echo ${draw(31)}7 | docker login -u ci --password-stdin registry.example.org\n`,
  "an smbclient command": ({ draw }) => `smbclient //files/share -U deploy%${draw(19)}7 -c ls\n`,
  "doppler secrets": ({ draw }) =>
    `\u2502 NAME     \u2502 VALUE                \u2502\n\u2502 API_KEY  \u2502 ${
      draw(19)
    }7 \u2502\n`,
  "a browser's password export": ({ draw }) =>
    `name,url,username,password,note\ngithub.com,https://github.com/login,me,${draw(19)}7,\n` +
    `ci.example.org,https://ci.example.org/,bot,${draw(15)}3,\n`,
  "psql's SELECT of a users table": ({ draw }) =>
    ` id | username |       api_token\n----+----------+------------------------\n` +
    `  1 | admin    | ${draw(23)}7\n(1 row)\n`,
  "wpa_supplicant.conf": ({ draw }) =>
    `network={\n\tssid="office"\n\tpsk="${draw(19)}7"\n\tkey_mgmt=WPA-PSK\n}\n`,
  "PHP's var_dump of a config": ({ draw }) =>
    `array(2) {\n  ["host"]=>\n  string(9) "localhost"\n  ["password"]=>\n  string(24) "${
      draw(23)
    }7"\n}\n`,
  "vault kv get": ({ draw }) =>
    `====== Data ======\nKey         Value\n---         -----\napi_key     ${draw(23)}7\n` +
    `username    app\n`,
  "a RabbitMQ setup script": ({ draw }) =>
    `rabbitmqctl add_user app ${draw(19)}7\nrabbitmqctl set_permissions -p / app ".*" ".*" ".*"\n`,
};

Deno.test("credentials as their files and commands write them are found as written and in a model request", () => {
  const missed: string[] = [];
  for (const [name, make] of Object.entries(FILES)) {
    const d = drawer(name.length * 7919);
    for (let k = 0; k < 12; k++) {
      const text = make(d);
      const request = JSON.stringify({
        messages: [{
          role: "user",
          content: [{ type: "tool_result", content: `$ cat f\n${text}` }],
        }],
      });
      if (findSecrets(text).length === 0) missed.push(`${name}: ${text}`);
      if (findSecrets(request).length === 0) missed.push(`${name}, in a request: ${text}`);
    }
  }
  // Before the rules and forms these need (a .netrc word a line, .pgpass, `ya29.`, names
  // in small letters, Redis, Terraform, WordPress, a name and its value in a JSON
  // string), 13 of the first 18 kinds were missed: 240 of 432 texts. Of the ten after them
  // (names after a host or a store, a value named beside a `key=`, `Bearer` in a JSON
  // string, Redis's user left out, `1//0`, a block scalar, a table), nine: 204 of 240. Of the seven after those (a value past 150
  // characters, names in the element or field before a value, a password glued on or piped
  // in), all seven: 168 of 168. Of the six after those (a table's column, `psk`,
  // `var_dump`, `rabbitmqctl`, `vault kv get`), all six: 144 of 144.
  assert.deepEqual(missed, []);
});

Deno.test("what such files and commands print that is no secret is not found", () => {
  for (
    const text of [
      "Host gh\n  IdentityFile ~/.ssh/id_ed25519\n",
      "Identity added: /root/.ssh/id_ed25519 (me@host)",
      "localhost:5432:*:postgres:$PGPASSWORD\n",
      "# requirepass foobared\n",
      "define( 'AUTH_KEY',         'put your unique phrase here' );",
      JSON.stringify({ endpoint: { sensitive: false, type: "string", value: "db.example.org" } }),
      "env:\n- name: LOG_LEVEL\n  value: debug\n",
      // A word after the secret's names what is beside it.
      "EMAIL_PASSWORD_HOST = 'smtp-relay.example.org'",
      `TOKEN_ENDPOINT = "https://oauth2.example.org/token"`,
      `<add key="ApiKeyFile" value="C:\\secrets\\api.key" />`,
      "| api_key | The key your account page shows |",
      "db:\n  password: |\n    Read from the vault at start.\n",
      "redis://:@cache:6379/0",
    ]
  ) {
    assert.deepEqual(findSecrets(text), [], text);
    assert.deepEqual(findSecrets(JSON.stringify({ content: text })), [], text);
  }
});
