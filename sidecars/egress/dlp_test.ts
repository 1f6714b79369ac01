import assert from "node:assert/strict";
import {
  bodyKeyedFields,
  describeFindings,
  fieldsKey,
  formFields,
  jsonFields,
  keyedFields,
  RecentFields,
  scanRequest,
} from "./dlp.ts";
import { runScanJob } from "./scanjob.ts";
import { setPublicValues } from "../../lib/secrets/mod.ts";
import { base32Of, hexOf, reversedOf, rot13Of } from "../../tests/encodings.ts";

const AWS = "AK" + "IAQ3EGQ2VFOW7ZXM4N";
const KEY = "sk-bottle-injected-0123456789";
const GH = "gh" + "p_Zq8Lw2Rt5Vn1Xc4Bm7Hk0Jp3Df6Gs9Ta2Ye5";

Deno.test("scanRequest() finds a secret in the body, URL and headers, as written", () => {
  const f = scanRequest({
    url: `https://api.example.com/v1?token=${AWS}`,
    headers: [["x-note", GH]],
    body: JSON.stringify({ text: `here: ${AWS}` }),
  }, []);
  assert.deepEqual(f.map((x) => `${x.where}:${x.rule}`).toSorted(), [
    "body:aws-access-key-id",
    "header:github-token",
    "url:aws-access-key-id",
  ]);
});

Deno.test("scanRequest() finds secrets base64- and URL-encoded", () => {
  const b64 = btoa(`AWS_ACCESS_KEY_ID=${AWS}`);
  const f = scanRequest({
    url: "https://a.example.com/",
    headers: [["x-data", b64]],
    body: encodeURIComponent(`k=${AWS}&x=1`),
  }, []);
  assert.deepEqual(f.map((x) => `${x.where}:${x.encoding}:${x.rule}`).toSorted(), [
    "body:url:aws-access-key-id",
    "header:base64:aws-access-key-id",
  ]);
});

Deno.test("scanRequest() finds the bottle's own credential values anywhere", () => {
  const f = scanRequest({
    url: "https://other.example.com/",
    headers: [],
    body: `{"leak":"${btoa(KEY)}"}`,
  }, [KEY]);
  assert.deepEqual(f.map((x) => `${x.encoding}:${x.rule}`), ["base64:bottle-credential"]);
});

Deno.test("scanRequest() leaves an ordinary API request alone", () => {
  const body = JSON.stringify({
    model: "claude",
    messages: [{ role: "user", content: "Summarise README.md, please." }],
  });
  assert.deepEqual(
    scanRequest({
      url: "https://api.anthropic.com/v1/messages?beta=true",
      headers: [["content-type", "application/json"]],
      body,
    }, [KEY]),
    [],
  );
});

Deno.test("scanRequest() reads a value after an escaped tab or line break without the escape's letter", () => {
  // A C header's enum, indented with tabs, as a model request carries a file the agent read:
  // `KEY_NFCT,\n\tFLOW_KEY_NFCT_SRC` had read as a name, a comma, and a value
  // `tFLOW_KEY_NFCT_SRC` (the tab's `t`), which no longer looked like a constant's name.
  const header = "enum {\n\tFLOW_KEY_PRIORITY,\n\tFLOW_KEY_MARK,\n\tFLOW_KEY_NFCT,\n" +
    "\tFLOW_KEY_NFCT_SRC,\n\tFLOW_KEY_NFCT_DST,\n\tNL80211_CMD_SET_KEY,\n\tNL80211_CMD_NEW_KEY,\n};\n";
  const request = (content: string) =>
    JSON.stringify({ model: "claude", messages: [{ role: "user", content }] });
  assert.deepEqual(
    scanRequest({ url: "/v1/messages", headers: [], body: request(header) }, []),
    [],
  );
  // A value after such an escape is still read, whole.
  const secret = "Zq8Lw2Rt9Kt4mXv7Pq3Ns6Yb1Hc5";
  const go = `client.Set(\n\t"api_key",\n\t"${secret}",\n)\n`;
  const found = scanRequest({ url: "/v1/messages", headers: [], body: request(go) }, []);
  assert.deepEqual(found.map((f) => f.rule), ["generic-secret"]);
});

Deno.test("scanRequest() leaves what package managers and tools send alone", () => {
  // Request heads as these clients write them (their session ids, digests, signed URLs),
  // and Claude Code's own model request head with its metadata.
  const npm: [string, string][] = [
    ["user-agent", "npm/10.8.2 node/v20.20.2 linux x64 workspaces/false"],
    ["npm-command", "install"],
    ["npm-session", "4e3a1f0b9c2d7e85"],
    ["pacote-req-type", "packument"],
    ["pacote-pkg-id", "registry:left-pad"],
    ["accept", "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"],
    ["if-none-match", '"a1b2f0c93e7d4f1e8b6c0d2a9f3e5b7c"'],
  ];
  const pip = `pip/23.0.1 ${
    JSON.stringify({
      cpu: "x86_64",
      distro: { id: "bookworm", libc: { lib: "glibc", version: "2.36" }, name: "Debian" },
      implementation: { name: "CPython", version: "3.11.2" },
      openssl_version: "OpenSSL 3.0.15 3 Sep 2024",
      system: { name: "Linux", release: "6.1.0-28-cloud-amd64" },
    })
  }`;
  const hex = (n: number) => "2f4b8e1c9d7a6b5c4e3f2a1b0c9d8e7f".repeat(4).slice(0, n);
  const requests: { url: string; headers: [string, string][]; body?: string }[] = [
    { url: "https://registry.npmjs.org/left-pad", headers: npm },
    {
      url: "https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",
      headers: npm,
      body: '{"left-pad":["1.3.0"],"react":["18.3.1"]}',
    },
    { url: "https://pypi.org/simple/requests/", headers: [["User-Agent", pip]] },
    {
      url: `https://files.pythonhosted.org/packages/f9/9b/${
        hex(60)
      }/requests-2.32.3-py3-none-any.whl#sha256=${hex(64)}`,
      headers: [["User-Agent", pip]],
    },
    {
      url: "https://index.crates.io/se/rd/serde",
      headers: [["user-agent", "cargo/1.75.0 (1d8b05cdd 2023-11-20)"]],
    },
    {
      url: "https://proxy.golang.org/github.com/stretchr/testify/@v/v1.9.0.zip",
      headers: [["user-agent", "Go-http-client/1.1"]],
    },
    {
      url: "https://api.github.com/repos/denoland/deno/releases/latest",
      headers: [["accept", "application/vnd.github+json"], ["x-github-api-version", "2022-11-28"]],
    },
    {
      // A release asset's presigned URL: its signature signs this one request.
      url:
        `https://objects.githubusercontent.com/github-production-release-asset-2e65be/133442384/3a4e0c6e-0a7b-4f55-9b4e-b9e4b2c8a8b1?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=releaseassetproduction%2F20261203%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261203T203000Z&X-Amz-Expires=300&X-Amz-Signature=${
          hex(64)
        }&X-Amz-SignedHeaders=host&response-content-disposition=attachment%3B%20filename%3Ddeno.zip`,
      headers: [["user-agent", "curl/7.88.1"]],
    },
    {
      url: "https://deb.debian.org/debian/dists/bookworm/InRelease",
      headers: [["User-Agent", "Debian APT-HTTP/1.3 (2.6.1)"]],
    },
    // An error report from Sentry's SDK: a DSN's public key, in the header (Python) or the
    // query (a browser's envelope).
    {
      url: "https://o12345.ingest.sentry.io/api/67890/envelope/",
      headers: [[
        "X-Sentry-Auth",
        `Sentry sentry_version=7, sentry_client=sentry.python/1.45.0, sentry_key=${hex(32)}`,
      ]],
      body: '{"event_id":"' + hex(32) + '","sent_at":"2026-12-03T23:40:00Z"}',
    },
    {
      url: `https://o12345.ingest.sentry.io/api/67890/envelope/?sentry_key=${
        hex(32)
      }&sentry_version=7&sentry_client=sentry.javascript.browser%2F8.0.0`,
      headers: [["content-type", "text/plain;charset=UTF-8"]],
    },
    {
      url: "https://api.anthropic.com/v1/messages?beta=true",
      headers: [
        ["anthropic-version", "2023-06-01"],
        ["anthropic-beta", "claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14"],
        ["x-stainless-retry-count", "0"],
        ["x-claude-code-session-id", "6f1c2b9e-3d4a-4b8e-9f0a-1c2d3e4f5a6b"],
        ["user-agent", "claude-cli/2.0.14 (external, cli)"],
      ],
      body: JSON.stringify({
        model: "claude-sonnet-4-5",
        max_tokens: 32000,
        metadata: {
          user_id: `user_${hex(64)}_account__session_6f1c2b9e-3d4a-4b8e-9f0a-1c2d3e4f5a6b`,
        },
        messages: [{ role: "user", content: "Run the tests." }],
      }),
    },
  ];
  // As the proxy scans them: the host apart (its labels are fields), the URL whole.
  for (const request of requests) {
    const host = new URL(request.url).hostname;
    assert.deepEqual(scanRequest({ ...request, host }, [KEY]), [], request.url);
  }
});

Deno.test("scanRequest() reads a host name's labels as fields: a token's hex or base32 cut at its dots is found", () => {
  // DNS names are read without regard to case: base32 goes out in small letters.
  const encodings: [string, string][] = [["hex", hexOf(GH)], [
    "base32",
    base32Of(GH).toLowerCase(),
  ]];
  for (const [encoding, encoded] of encodings) {
    // Labels hold 63 characters at most: a wildcard's name carries it in two.
    const host = `${encoded.slice(0, 40)}.${encoded.slice(40)}.cdn.example.com`;
    // Read across the labels as fields, or as groups cut at a dot in the name itself.
    const found = scanRequest({ host, url: "/", headers: [["Host", host]] }, []);
    assert.ok(found.length > 0, host);
    for (const f of found) {
      assert.deepEqual([f.rule, f.encoding], ["github-token", encoding], host);
      assert.ok(["fields", "host", "header"].includes(f.where), `${f.where}: ${host}`);
    }
  }
  // A path's segments likewise, a slash written encoded (`%2F`) cutting one too (the URL
  // itself holds it, its segments read as a token's pieces, see `slashPieces` in mod.ts;
  // but for an empty segment, which the fields leave out).
  for (const [cut, where] of [["/", "url"], ["%2F", "url"], ["%2F/", "fields"]]) {
    const url = `/up/${GH.slice(0, 16)}${cut}${GH.slice(16)}`;
    assert.deepEqual(scanRequest({ url, headers: [] }, []).map((f) => [f.rule, f.where]), [
      ["github-token", where],
    ], url);
  }
  // Cut within its prefix, the path's segments read as fields hold it.
  assert.deepEqual(
    scanRequest({ url: `/up/${GH.slice(0, 2)}/${GH.slice(2)}`, headers: [] }, []).map((f) => [
      f.rule,
      f.where,
    ]),
    [["github-token", "fields"]],
  );
  // Whole in one label, it is the host name's own finding, named so.
  const found = scanRequest(
    { host: `${GH.toLowerCase()}.cdn.example.com`, url: "/", headers: [] },
    [],
  );
  assert.match(describeFindings(found), /in the host name/);
  // Ordinary names, short labels and long ones, are no finding.
  for (
    const host of [
      "registry.npmjs.org",
      "d1a2b3c4d5e6f7.cloudfront.net",
      "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6.execute-api.us-east-1.amazonaws.com",
      "my-bucket-2026.s3.eu-west-1.amazonaws.com",
    ]
  ) assert.deepEqual(scanRequest({ host, url: "/", headers: [["Host", host]] }, []), [], host);
});

Deno.test("scanRequest() reads the method as a field: whole, and joined to the path", () => {
  // Any run of capitals is a method (`curl -X`): a key id all of letters is one.
  const key = "AK" + "IAQWERTYUIOPASDFGZ";
  const whole = scanRequest({ method: key, url: "/", headers: [] }, []);
  assert.deepEqual(whole.map((f) => [f.rule, f.where]), [["aws-access-key-id", "method"]]);
  assert.match(describeFindings(whole), /in the method$/);
  const cut = scanRequest({ method: key.slice(0, 12), url: `/${key.slice(12)}`, headers: [] }, []);
  assert.deepEqual(cut.map((f) => [f.rule, f.where]), [["aws-access-key-id", "fields"]]);
  for (const method of ["GET", "POST", "PROPFIND", "MKCALENDAR", "UPDATEREDIRECTREF"]) {
    assert.deepEqual(scanRequest({ method, url: "/v1/messages", headers: [] }, []), [], method);
  }
});

Deno.test("scanRequest() reads a raw mail's quoted-printable: its `=XX` and its soft line breaks", () => {
  // As a mail API takes a message (Gmail's `raw`, SES's `RawMessage`), before base64.
  const mail = (part: string) =>
    [
      "Subject: =?utf-8?Q?build_notes?=",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      part,
    ].join("\r\n");
  const header = scanRequest({
    url: "/send",
    headers: [],
    body: mail(`t: ${GH.replace("_", "=5F")}`),
  }, []);
  assert.deepEqual(header.map((f) => [f.rule, f.where, f.encoding]), [
    ["github-token", "body", "quoted-printable"],
  ]);
  assert.match(describeFindings(header), /in the body, quoted-printable-encoded$/);
  // Wrapped at 76 columns: the token runs across a soft line break.
  const wrapped = `${"x".repeat(60)} ${GH.slice(0, 14)}=\r\n${GH.slice(14)} done`;
  assert.deepEqual(
    scanRequest({ url: "/send", headers: [], body: mail(wrapped) }, []).map((f) => f.rule),
    ["github-token"],
  );
  assert.deepEqual(
    scanRequest({ url: "/send", headers: [], body: mail("caf=C3=A9 =3D 2=\r\nx") }, []),
    [],
  );
});

Deno.test("describeFindings() never repeats the secret", () => {
  const text = describeFindings(
    scanRequest({ url: `https://a.example.com/?k=${AWS}`, headers: [] }, []),
  );
  assert.equal(text, "AWS access key ID (rule aws-access-key-id) in the url");
  assert.ok(!text.includes(AWS));
});

Deno.test("jsonFields() takes short values in order, and keys apart, from whole or cut-short JSON", () => {
  const body = JSON.stringify({
    a: "ghp_",
    b: ["Zq8L", { c: 'w2\u00e9"q' }],
    long: "x".repeat(300),
    n: 1,
    'k"ey': "tail",
  });
  assert.deepEqual(jsonFields(body), {
    values: ["ghp_", "Zq8L", 'w2\u00e9"q', "tail"],
    keys: ["a", "b", "c", "long", "n", 'k"ey'],
    all: ["a", "ghp_", "b", "Zq8L", "c", 'w2\u00e9"q', "long", "n", 'k"ey', "tail"],
  });
  // Cut short (a body over a size limit, or malformed): what came before still counts.
  assert.deepEqual(jsonFields(body.slice(0, body.indexOf("long") + 10)).values, [
    "ghp_",
    "Zq8L",
    'w2\u00e9"q',
  ]);
  assert.deepEqual(jsonFields('{"a": "b\\\\", "c" : "d"}').values, ["b\\", "d"]);
  assert.deepEqual(jsonFields("not json"), { values: [], keys: [], all: [] });
});

Deno.test("scanRequest() scans a head's texts once for one list of values: the same head is found the same, with other values or public values anew", () => {
  const [x, y] = [GH.slice(0, 18), GH.slice(18)];
  const found = (headers: [string, string][], values: string[]) =>
    scanRequest({ method: "GET", url: "/v1/items?page=2", headers }, values)
      .map((f) => `${f.where}:${f.rule}:${f.encoding}`);
  const head: [string, string][] = [["user-agent", "curl/8.5.0"], ["x-key", KEY]];
  for (let round = 0; round < 2; round++) {
    // Not the bottle's value until it is one, and no longer once it is not.
    assert.deepEqual(found(head, []), [], `round ${round}`);
    assert.deepEqual(found(head, [KEY]), ["header:bottle-credential:plain"], `round ${round}`);
    assert.deepEqual(found([...head], [KEY].slice()), ["header:bottle-credential:plain"]);
    // A token's halves in two headers; then declared public, then not.
    const split: [string, string][] = [["x-a", x], ["x-b", y]];
    assert.deepEqual(found(split, []), ["fields:github-token:joined"], `round ${round}`);
    try {
      setPublicValues([GH]);
      assert.deepEqual(found(split, []), [], `round ${round}`);
    } finally {
      setPublicValues([]);
    }
    assert.deepEqual(found(split, []), ["fields:github-token:joined"], `round ${round}`);
  }
  // Lists of fields have keys of their own, whatever characters the fields hold.
  const lists = [["a\nb"], ["a", "b"], ["a,b"], ["a", ",b"], ["a\u0000b"], ["a", "b", ""], []];
  const keys = new Set(lists.flatMap((l) => [fieldsKey(l, true), fieldsKey(l, false)]));
  assert.equal(keys.size, 2 * lists.length);
});

Deno.test("scanRequest() finds a token split across a request's fields with other fields between its pieces: headers, a query and a header, a JSON body's fields, a header read before the body that holds the first piece", () => {
  const [x, y] = [GH.slice(0, 12), GH.slice(12)];
  const requests = [
    { url: "/", headers: [["x-a", x], ["accept", "application/json"], ["x-b", y]] },
    { url: `/v1/items?a=${x}`, headers: [["accept", "application/json"], ["x-b", y]] },
    { url: "/", headers: [], body: JSON.stringify({ a: x, model: "claude-sonnet-4", b: y }) },
    // The first piece in the body, the rest in a header the fields are read before it.
    { url: "/", headers: [["x-b", y], ["accept", "*/*"]], body: JSON.stringify({ a: x }) },
  ] as { url: string; headers: [string, string][]; body?: string }[];
  for (const request of requests) {
    assert.deepEqual(
      scanRequest({ method: "POST", ...request }, []).map((f) =>
        `${f.where}:${f.rule}:${f.encoding}`
      ),
      ["fields:github-token:joined"],
      JSON.stringify(request),
    );
  }
});

Deno.test("scanRequest() finds a secret split across the cookies of one request, as written or in base64", () => {
  const [x, y] = [GH.slice(0, 18), GH.slice(18)];
  const [b1, b2] = [btoa(`token=${GH}`).slice(0, 24), btoa(`token=${GH}`).slice(24)];
  for (
    const [cookie, found] of [
      // Cookies side by side are variables side by side: the header itself holds it.
      [`a=${x}; b=${y}`, "header:github-token:assigned"],
      [`theme=dark; a=${x};b=${y}; lang=en`, "header:github-token:assigned"],
      [`a=${b1}; b=${b2}`, "fields:github-token:base64"],
    ]
  ) {
    assert.deepEqual(
      scanRequest({ url: "/", headers: [["Cookie", cookie!]] }, []).map((f) =>
        `${f.where}:${f.rule}:${f.encoding}`
      ),
      [found],
      cookie,
    );
  }
  // In two Cookie headers, the fields of the request hold it.
  assert.deepEqual(
    scanRequest({ url: "/", headers: [["Cookie", `a=${x}`], ["Cookie", `b=${y}`]] }, []).map((f) =>
      `${f.where}:${f.rule}:${f.encoding}`
    ),
    ["fields:github-token:joined"],
  );
  assert.deepEqual(
    scanRequest({ url: "/", headers: [["Cookie", "theme=dark; session=abc123; lang=en-GB"]] }, []),
    [],
  );
});

Deno.test("scanRequest() finds a secret split across the fields of a form, urlencoded or multipart, encoded or not", () => {
  const [a, b, c] = [GH.slice(0, 12), GH.slice(12, 25), GH.slice(25)];
  const urlencoded = `first=${a}&second=${encodeURIComponent(b)}&third=${c}`;
  const multipart =
    [a, b, c].map((v, i) => `--xyz\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n${v}\r\n`)
      .join("") + "--xyz--\r\n";
  // The urlencoded form is variables side by side: the body as written holds it.
  for (const [body, where] of [[urlencoded, "body"], [multipart, "fields"]]) {
    assert.deepEqual(
      scanRequest({ url: "/", headers: [], body }, []).map((f) => `${f.where}:${f.rule}`),
      [`${where}:github-token`],
      body,
    );
  }
  // Among a request's other fields, which glue on to either end when joined: a model
  // request's JSON, a query between other parameters, headers between others.
  const json = JSON.stringify({
    model: "claude",
    messages: [{ role: "user", content: "hi", a, b, c }, { role: "assistant", content: "ok" }],
  });
  const requests: { url: string; headers: [string, string][]; body?: string }[] = [
    { url: "/", headers: [], body: json },
    { url: `/search?q=tests&a=${a}&b=${b}&c=${c}&page=2`, headers: [] },
    { url: `/v1/${a}/${encodeURIComponent(b)}/${c}/status`, headers: [] },
    { url: `http://code.example/v1/${a}/${b}${c}?page=2`, headers: [] },
    {
      url: "/",
      headers: [["accept", "text/plain"], ["x-a", a], ["x-b", b + c], ["user-agent", "curl"]],
    },
  ];
  for (const request of requests) {
    // A query's parameters side by side are variables side by side, and a path's segments
    // a token cut at its slashes: the URL holds it.
    const where = request.url.includes("&a=") || request.url.includes(`/${a}/`) ? "url" : "fields";
    assert.deepEqual(
      scanRequest(request, []).map((f) => `${f.where}:${f.rule}`),
      [`${where}:github-token`],
      JSON.stringify(request),
    );
  }
  // In the names instead (a JSON body's keys, a query's or a form's parameter names,
  // headers' names), among others: joined apart from the values; or in a name and its
  // value, one after the other.
  const named = [
    { url: "/", headers: [], body: JSON.stringify({ model: "m", [a]: 1, [b]: 2, [c]: 3, n: 4 }) },
    { url: `/search?q=tests&${a}=1&${b}=2&${c}=3&page=2`, headers: [] },
    { url: "/", headers: [], body: `q=tests&${a}=1&${b}=2&${c}=3&page=2` },
    { url: "/", headers: [["accept", "*/*"], [a, "1"], [b + c, "2"], ["user-agent", "curl"]] },
    { url: "/", headers: [], body: JSON.stringify({ model: "m", [a]: b + c, n: 4 }) },
    { url: `/search?q=tests&${a}=${b}&${c}=&page=2`, headers: [] },
    { url: "/", headers: [["accept", "*/*"], [a, b + c], ["user-agent", "curl"]] },
  ] satisfies { url: string; headers: [string, string][]; body?: string }[];
  for (const request of named) {
    assert.deepEqual(
      scanRequest(request, []).map((f) => `${f.where}:${f.rule}`),
      ["fields:github-token"],
      JSON.stringify(request),
    );
  }
  // Encoded, then split: base64 in a query's parameters, in headers, in JSON values, in
  // a query's names.
  const [x, y, z] = btoa(GH).match(/.{1,20}/g)!;
  const encoded = [
    {
      url: `/search?q=tests&a=${encodeURIComponent(x!)}&b=${encodeURIComponent(y!)}&c=${
        encodeURIComponent(z!)
      }`,
      headers: [],
    },
    { url: "/", headers: [["accept", "*/*"], ["x-a", x!], ["x-b", y!], ["x-c", z!]] },
    { url: "/", headers: [], body: JSON.stringify({ model: "m", parts: [x, y, z] }) },
    { url: "/", headers: [], body: JSON.stringify({ model: "m", a: x, b: y, c: z }) },
    { url: `/search?${x}=1&${y}=2&${z}=3`, headers: [] },
  ] satisfies { url: string; headers: [string, string][]; body?: string }[];
  for (const request of encoded) {
    // An array of base64 pieces, equal but the last, is read joined in the body itself, as
    // a list of quoted pieces is in any text (the gate's too).
    const where = request.body?.includes("parts") ? "body" : "fields";
    assert.deepEqual(
      scanRequest(request, []).map((f) => `${f.where}:${f.rule}:${f.encoding}`),
      [`${where}:github-token:base64`],
      JSON.stringify(request),
    );
  }
  assert.deepEqual(formFields(urlencoded), {
    values: [a, b, c],
    keys: ["first", "second", "third"],
    all: ["first", a, "second", b, "third", c],
  });
  assert.deepEqual(formFields(multipart).values, [a, b, c]);
  assert.deepEqual(
    formFields('{"a": "b=c"}'),
    { values: [], keys: [], all: [] },
    "JSON is not a form",
  );
  assert.deepEqual(formFields("plain text, not a form"), { values: [], keys: [], all: [] });
});

Deno.test("a push's ref names are read as the git gate reads them: a token cut at their slashes is found", () => {
  const pkt = (line: string) => (line.length + 4).toString(16).padStart(4, "0") + line;
  const push = (ref: string) =>
    new TextEncoder().encode(
      pkt(`${"0".repeat(40)} ${"1a".repeat(20)} ${ref}\0report-status side-band-64k\n`) + "0000",
    );
  const found = (ref: string) =>
    runScanJob({ parts: [{ bytes: push(ref), within: "" }], values: [], mayCut: false }).findings;
  assert.deepEqual(
    found(`refs/heads/${GH.slice(0, 14)}/${GH.slice(14)}`).map((f) => [f.rule, f.where]),
    [["github-token", "body"]],
  );
  // Cut within its prefix, which the pushed bytes as written do not hold joined, it is the
  // ref name's own finding, named so.
  assert.match(
    describeFindings(found(`refs/heads/${GH.slice(0, 2)}/${GH.slice(2)}`)),
    /ref's name/,
  );
  assert.deepEqual(found("refs/heads/feature/ghp-support"), []);
  // And the paths its pack's trees make (`treePaths`).
  const job = (paths: string[]) =>
    runScanJob({
      parts: [{ bytes: push("refs/heads/main"), within: "" }],
      values: [],
      mayCut: false,
      paths,
    })
      .findings;
  assert.match(
    describeFindings(
      job([`docs/${GH.slice(0, 16)}`, `docs/${GH.slice(0, 16)}/${GH.slice(16)}.md`]),
    ),
    /^GitHub token in a pushed path \(rule github-token\) in the body$/,
  );
  assert.deepEqual(job(["docs/guide", "docs/guide/setup.md"]), []);
});

/** Requests in a row to one host through `recent`, as the proxy reads them: each one's findings (a refused one is not remembered). */
function inARow(
  recent: RecentFields,
  host: string,
  requests: { url: string; headers?: [string, string][] }[],
  values: string[] = [],
): string[][] {
  return requests.map((request) => {
    const fields = keyedFields({ method: "GET", headers: [], ...request });
    const found = recent.scan(host, fields, values);
    if (found.length === 0) recent.remember(host, fields);
    return found.map((f) => `${f.rule}@${f.where}/${f.encoding}`);
  });
}

/** `GH` in three pieces, its base64 in three, the bottle's value in two. */
const THIRDS = [GH.slice(0, 12), GH.slice(12, 26), GH.slice(26)];
const B64_THIRDS = [0, 20, 40].map((i) => btoa(GH).slice(i, i + 20));
const KEY_HALVES = [KEY.slice(0, 15), KEY.slice(15)];
/** A header every request of a client carries. */
const UA: [string, string] = ["User-Agent", "curl/8.5.0"];

/**
 * Pieces sent one a request, in a row: how a request carries its piece, the pieces, the
 * bottle's values, and what the last request is found to hold.
 */
type InPieces = [
  request: (piece: string, i: number) => { url: string; headers?: [string, string][] },
  pieces: string[],
  values: string[],
  last: string,
];

/** Each case through a `RecentFields` of its own: no finding until the last request. */
function assertFoundAtLast(cases: InPieces[]): void {
  for (const [request, pieces, values, last] of cases) {
    assert.deepEqual(
      inARow(new RecentFields(), "a:443", pieces.map(request), values),
      [...pieces.slice(1).map(() => []), [last]],
      String(request),
    );
  }
}

Deno.test("RecentFields: a token sent in pieces over requests in a row, one field each time, is found at its last", () => {
  const joined = "github-token@requests/joined";
  assertFoundAtLast([
    // In a query parameter, with other fields beside it.
    [(p) => ({ url: `/s?q=${p}&n=1`, headers: [UA] }), THIRDS, [], joined],
    // In a path's segment, in a header, after a credential's scheme word.
    [(p) => ({ url: `/up/${p}/x` }), THIRDS, [], joined],
    [(p) => ({ url: "/", headers: [["X-Data", p]] }), THIRDS, [], joined],
    [(p) => ({ url: "/", headers: [["Authorization", `Bearer ${p}`]] }), THIRDS, [], joined],
    // In a cookie, beside another one.
    [(p) => ({ url: "/", headers: [["Cookie", `theme=dark; s=${p}`]] }), THIRDS, [], joined],
    // base64 in pieces, and the bottle's own value.
    [(p) => ({ url: `/?d=${p}` }), B64_THIRDS, [], "github-token@requests/base64"],
    [(p) => ({ url: `/?k=${p}` }), KEY_HALVES, [KEY], "bottle-credential@requests/joined"],
  ]);
  assert.match(
    describeFindings([{
      rule: "github-token",
      description: "GitHub token",
      where: "requests",
      encoding: "joined",
    }]),
    /in the fields of requests in a row, joined$/,
  );
  // Let through (`dlp: audit`), a token in earlier values is not found again in the
  // requests after it, only what a new value completes.
  const audited = new RecentFields();
  const remembered = (url: string) => {
    const fields = keyedFields({ method: "GET", url, headers: [] });
    const found = audited.scan("a:443", fields, []).map((f) => f.rule);
    audited.remember("a:443", fields);
    return found;
  };
  assert.deepEqual(remembered(`/?q=${THIRDS[0]}`), []);
  assert.deepEqual(remembered(`/?q=${THIRDS[1]}`), []);
  assert.deepEqual(remembered(`/?q=${THIRDS[2]}`), ["github-token"]);
  assert.deepEqual(remembered("/?q=next"), []);
  assert.deepEqual(remembered("/?q=and-more"), []);
  // Another host's requests are not joined to them.
  const recent = new RecentFields();
  assert.deepEqual(inARow(recent, "a:443", [{ url: `/?q=${THIRDS[0]}` }]), [[]]);
  assert.deepEqual(inARow(recent, "b:443", [{ url: `/?q=${THIRDS[1]}${THIRDS[2]}` }]), [[]]);
});

Deno.test("RecentFields: a token's pieces sent under another name each time, or in another place, are found at the last", () => {
  const joined = "github-token@requests/joined";
  assertFoundAtLast([
    // A query parameter named anew for each piece, the same fields beside it.
    [(p, i) => ({ url: `/s?p${i}=${p}&n=1`, headers: [UA] }), THIRDS, [], joined],
    // A piece in a query, the next in a header, the last in the path.
    [
      (p, i) =>
        [
          { url: `/files?q=${p}` },
          { url: "/files", headers: [["X-Trace", p]] as [string, string][] },
          { url: `/files/${p}` },
        ][i]!,
      THIRDS,
      [],
      joined,
    ],
    // base64 in pieces under names of their own, and the bottle's own value.
    [(p, i) => ({ url: `/?d${i}=${p}` }), B64_THIRDS, [], "github-token@requests/base64"],
    [(p, i) => ({ url: `/?k${i}=${p}` }), KEY_HALVES, [KEY], "bottle-credential@requests/joined"],
    // Beside a field that changes on every request: a counter, a request's id, a path
    // one segment deeper each time.
    [(p, i) => ({ url: `/s?n=${i}&p${i}=${p}` }), THIRDS, [], joined],
    [
      (p, i) => ({ url: `/s?x${i}=${p}`, headers: [["X-Request-Id", crypto.randomUUID()]] }),
      THIRDS,
      [],
      joined,
    ],
    [(p, i) => ({ url: `/${"d/".repeat(i + 1)}?v${i}=${p}` }), THIRDS, [], joined],
    [
      (p, i) => ({ url: `/u?t=${Date.now() + i}&d${i}=${p}` }),
      B64_THIRDS,
      [],
      "github-token@requests/base64",
    ],
    // A token reversed or in ROT13, then cut, a piece under a new name each time.
    [
      (p, i) => ({ url: `/s?r${i}=${p}` }),
      THIRDS.map(reversedOf).reverse(),
      [],
      "github-token@requests/reversed",
    ],
    [(p, i) => ({ url: `/s?t${i}=${p}` }), THIRDS.map(rot13Of), [], "github-token@requests/rot13"],
  ]);
  // A head's piece and a small body's are one row too.
  const recent = new RecentFields();
  const head = keyedFields({ method: "POST", url: `/?q=${THIRDS[0]}${THIRDS[1]}`, headers: [] });
  assert.deepEqual(recent.scan("a:443", head, []), []);
  recent.remember("a:443", head);
  const body = bodyKeyedFields(JSON.stringify({ text: THIRDS[2] }));
  assert.deepEqual(recent.scan("a:443", body, []).map((f) => f.rule), ["github-token"]);
  // Pieces sent before, in a query field and then a JSON one (the last of each refused),
  // do not hide the next ones.
  const after = new RecentFields();
  assert.deepEqual(
    inARow(after, "a:443", THIRDS.map((p, i) => ({ url: `/piece${i}?q=${p}` })))[2],
    ["github-token@requests/joined"],
  );
  const posted = THIRDS.map((p, i) => {
    const body = JSON.stringify({ q: p });
    const headers: [string, string][] = [["Content-Length", String(body.length)]];
    const head = keyedFields({ method: "POST", url: `/post${i}`, headers });
    assert.deepEqual(after.scan("a:443", head, []), []);
    after.remember("a:443", head);
    const found = after.scan("a:443", bodyKeyedFields(body), []);
    if (found.length === 0) after.remember("a:443", bodyKeyedFields(body));
    return found.map((f) => f.rule);
  });
  assert.deepEqual(posted, [[], [], ["github-token"]]);
  assert.deepEqual(
    inARow(after, "a:443", THIRDS.map((p, i) => ({ url: `/renamed?p${i}=${p}` }))),
    [[], [], ["github-token@requests/joined"]],
  );
  // A search for a token's prefix, then other requests' values as they come, make no
  // token, even where they reach its length.
  assert.deepEqual(
    inARow(new RecentFields(), "a:443", [
      { url: "/search/code?q=ghp_" },
      { url: "/repos/octocat/Hello2World/issues?page=2" },
      { url: "/repos/octocat/Hello2World/git/commits/a94a8fe5ccb19ba61c4c0873d391e987982fbbd3" },
      { url: "/orgs/octocat/members?per_page=100" },
    ]).flat(),
    [],
  );
  // Pieces sent to another host are not joined to them.
  const two = new RecentFields();
  assert.deepEqual(inARow(two, "a:443", [{ url: `/?q=${THIRDS[0]}` }]), [[]]);
  assert.deepEqual(inARow(two, "b:443", [{ url: `/?r=${THIRDS[1]}${THIRDS[2]}` }]), [[]]);
});

Deno.test("RecentFields: ordinary requests in a row are no finding, and what is remembered is bounded", () => {
  const recent = new RecentFields();
  // A commit's name, as random as one.
  const sha = (i: number) =>
    Array.from(
      crypto.getRandomValues(new Uint8Array(20)),
      (b) => (b ^ i).toString(16).padStart(2, "0"),
    ).join("");
  const requests = Array.from({ length: 200 }, (_, i) => ({
    url: [
      `/v1/messages?beta=true`,
      `/-/left-pad-1.${i}.0.tgz`,
      `/repos/o/r/issues?page=${i}&per_page=100`,
      `/simple/pkg-${i}/`,
      `/repos/o/r/commits?sha=${sha(i)}&cursor=${btoa(JSON.stringify({ id: i * 7919 }))}`,
      `/search?q=${["pad", "left", "ghp", "AKIA", "token"][i % 5]}&after=${sha(i).slice(0, 12)}`,
    ][i % 6]!,
    headers: [
      ["Content-Length", String(1000 + i * 37)],
      ["X-Request-Id", crypto.randomUUID()],
      ["traceparent", `00-${crypto.randomUUID().replaceAll("-", "")}-${"0123456789abcdef"}-01`],
      ["If-None-Match", `W/"${crypto.randomUUID()}"`],
    ] as [string, string][],
  }));
  assert.deepEqual(inARow(recent, "a:443", requests).flat(), []);
  // A thousand hosts, each a field with values far past what is kept: the oldest hosts,
  // and a host's oldest values, are forgotten (a token's first piece among them too).
  const many = new RecentFields();
  inARow(many, "first:443", [{ url: `/?q=${GH.slice(0, 20)}` }]);
  for (let h = 0; h < 1000; h++) {
    inARow(
      many,
      `h${h}:443`,
      Array.from({ length: 40 }, (_, i) => ({ url: `/?v=${"x".repeat(200)}${i}` })),
    );
  }
  assert.deepEqual(inARow(many, "first:443", [{ url: `/?q=${GH.slice(20)}` }]), [[]]);
  // Fields named at will count by their names too: thousands of one-letter values under
  // long names stay within a host's bound.
  const named = new RecentFields();
  for (let r = 0; r < 20; r++) {
    const query = Array.from({ length: 200 }, (_, i) => `${"n".repeat(200)}${r}_${i}=x`).join("&");
    inARow(named, "a:443", [{ url: `/?${query}` }]);
  }
  assert.ok(named.charsOf("a:443") <= 8192 + 4096, String(named.charsOf("a:443")));
});

Deno.test("bodyKeyedFields() names a small body's fields by where they are, for requests in a row", () => {
  assert.deepEqual(bodyKeyedFields('{"q":"ab12","items":[{"text":"x"},7],"ok":true}'), [
    ["json/q", "ab12"],
    ["json/items.0.text", "x"],
    ["json/items.1", "7"],
  ]);
  assert.deepEqual(bodyKeyedFields("q=ab12&n=1"), [["form/q", "ab12"], ["form/n", "1"]]);
  assert.deepEqual(bodyKeyedFields("ab12\n"), [["body", "ab12"]]);
  assert.deepEqual(bodyKeyedFields('{"cut": "short'), []);
  assert.deepEqual(bodyKeyedFields(`{"q":"${"x".repeat(5000)}"}`), []);
  // Pieces of a token POSTed one a request in one JSON field are found at the last.
  const recent = new RecentFields();
  const found = [GH.slice(0, 14), GH.slice(14, 28), GH.slice(28)].map((piece) => {
    const fields = bodyKeyedFields(JSON.stringify({ q: piece, n: 1 }));
    const f = recent.scan("a:443", fields, []);
    if (f.length === 0) recent.remember("a:443", fields);
    return f.map((x) => `${x.rule}@${x.where}`);
  });
  assert.deepEqual(found, [[], [], ["github-token@requests"]]);
});
