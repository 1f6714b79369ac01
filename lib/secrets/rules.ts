/**
 * @module
 * The secret rules, written from the token formats providers publish (prefixes,
 * alphabets, lengths) and from how secrets sit in code and configuration: a token
 * with its own prefix is found anywhere; a value without one is found where a name
 * says what it is (`stripe_key = ...`); a private key by its armour and body; a
 * password in a URL, a `curl -u` or an Authorization header; and any assignment to a
 * secret-sounding name whose value looks random enough.
 */

import { accepts, entropy, isPlaceholder, isSequence, type Rule } from "./engine.ts";
import { ENGLISH_PAIRS, randomName, STOPWORDS } from "./words.ts";

const STOPWORD = new RegExp(STOPWORDS.join("|"), "gi");

/**
 * Whether `value` holds one of the stop words as a word is written (`major`, `MAJOR`,
 * `Major`), not letters of random text that spell one in mixed case (`MAjOR`).
 */
function holdsStopWord(value: string): boolean {
  for (const m of value.matchAll(STOPWORD)) {
    if (/^(?:[a-z]+|[A-Z]+|[A-Z][a-z]+)$/.test(m[0])) return true;
  }
  return false;
}

/**
 * Characters that continue a token: a match must not be cut out of a longer word (the
 * middle of base64, an identifier). `-`, `_` and `.` end one: glued on with them
 * (`leak-<token>`, `<token>_x`, `file.<token>`), a token stays one (in random base64url a
 * prefix and body are followed by a letter or digit all but once in thousands of times,
 * so an edge there costs next to nothing in false findings).
 */
const WORD = "A-Za-z0-9";
/**
 * A line break or tab written as an escape (`\n`, `\t` in a JSON string: every file a
 * model request carries, every line after its first), after which a word starts though
 * a letter comes before it: a token on a line of its own would otherwise run on from the
 * escape's `n`. Not decoded (that would wake the decoding layer at every line of every
 * request); read as the break it stands for.
 */
const ESCAPED = "(?<!\\\\[nrtbf])";

/** Whether the two characters before `at` are such an escape (`ESCAPED`, outside a pattern). */
function afterEscape(text: string, at: number): boolean {
  return at >= 2 && text[at - 2] === "\\" && "nrtbf".includes(text[at - 1]!);
}
/**
 * Placeholder words glued on before or after a token (`AKIA<16>EXAMPLE`, `DUMMY<token>`),
 * which whoever receives it takes off again: an edge as much as a word's start or end is
 * (see `edgesFor`); so is `xxxxx` after one. A run of any other character is not: base64
 * of zeros (`AAAAA`) comes before and after a token's shape in binary data too often.
 * One character over and over before a token is the decoding layer's to take off
 * (`padded`): as an edge here too, the token was found twice.
 */
const GLUED_WORDS = "example|placeholder|redacted|changeme|change_me|dummy|notreal|not_a_real";
const BEFORE = `(?:(?<![${WORD}]${ESCAPED})|(?<=(?i:${GLUED_WORDS})))`;
const AFTER = `(?:(?![${WORD}])|(?=(?i:${GLUED_WORDS}|x{5})))`;
const GLUED = new RegExp(`(?i:${GLUED_WORDS}|x{5})`, "y");
const GLUED_BEFORE = new RegExp(`(?<=(?i:${GLUED_WORDS}))`, "y");

/**
 * `rule` without the boundaries a token has in running text (not cut out of a longer
 * word), for text glued together from fields, where a field's edge is one too: the
 * caller checks them (`findSplitSecrets`). A rule with boundaries of its own keeps them.
 */
export function unbounded(rule: Rule): Rule {
  let source = rule.pattern.source;
  const [before, after] = edgesOf(rule);
  if (!before && !after) return rule;
  if (before) source = source.slice(BEFORE.length);
  if (after) source = source.slice(0, -AFTER.length);
  return { ...rule, pattern: new RegExp(source, rule.pattern.flags) };
}

/** Which of its edges (`BEFORE`, `AFTER`) a rule's pattern has. */
function edgesOf(rule: Rule): [boolean, boolean] {
  const source = rule.pattern.source;
  return [source.startsWith(BEFORE), source.endsWith(AFTER)];
}

const CONTINUES = new RegExp(`[${WORD}]`);

/**
 * Whether a token in `text` may start at `from` and end at `to`, as `BEFORE` and `AFTER`
 * say (for `rule`: as far as its pattern has them).
 */
export function tokenEdges(
  text: string,
  from: number,
  to: number,
  rule?: Rule,
): [boolean, boolean] {
  const [before, after] = rule ? edgesOf(rule) : [true, true];
  return [
    !before || from === 0 || !CONTINUES.test(text[from - 1]!) || afterEscape(text, from) ||
    gluedFillerBefore(text, from),
    !after || to === text.length || !CONTINUES.test(text[to]!) || gluedFiller(text, to),
  ];
}

/** Whether placeholder words end at `at` (`GLUED_WORDS`). */
function gluedFillerBefore(text: string, at: number): boolean {
  GLUED_BEFORE.lastIndex = at;
  return GLUED_BEFORE.test(text);
}

/** Whether placeholder words are glued on at `at` (`GLUED_WORDS`, or `xxxxx`). */
function gluedFiller(text: string, at: number): boolean {
  GLUED.lastIndex = at;
  return GLUED.test(text);
}

/**
 * The edges a token's prefix needs. A prefix of four characters or more with a
 * separator in it (`ghp_`, `glpat-`, `sk-ant-`) is in no word and in no standard base64
 * (which has neither `_` nor `-` nor `.`): letters or digits glued on after the token's
 * body (`<token>Z`, `<token>EXAMPLE`, taken off again by whoever receives it) do not
 * hide it. Nor, where four characters or more come before the prefix's first separator
 * (`github_pat_`, `glpat-`, `dckr_pat_`), do those glued on before it (`Z<token>`); a
 * shorter first part is the end of a word too often (`task_test_` holds `sk_test_`). A
 * prefix of letters and digits alone (`AKIA`, `dapi`) or a short one (`hf_`) keeps both
 * edges: it is part of words and of base64 all the time; but placeholder words glued on
 * before or after it are an edge too (`GLUED_WORDS`). See `runsOnAsToken` too.
 */
/**
 * Whether `keyword` is a prefix of four characters or more with a separator in it
 * (`ghp_`, `glpat-`, `sk_test_`): in no word, in no standard base64, and in no token's
 * random body.
 */
export function separatedPrefix(keyword: string): boolean {
  return keyword.length >= 4 && /[_\-.~]/.test(keyword);
}

function edgesFor(keywords: readonly string[]): [boolean, boolean] {
  const separated = keywords.length > 0 && keywords.every(separatedPrefix);
  if (!separated) return [true, true];
  const firstPart = Math.min(...keywords.map((k) => k.search(/[_\-.~]/)));
  return [firstPart < 4, false];
}

/**
 * A match of a token without an edge that runs on into a word (`npm_installDependencies
 * FromRegistry...`, an identifier) counts only when it holds a digit, as a random body
 * of that length all but always does.
 */
function runsOnAsToken(m: RegExpExecArray): boolean {
  const end = m.index + m[0].length;
  const before = m.index > 0 && CONTINUES.test(m.input[m.index - 1]!) &&
    !afterEscape(m.input, m.index);
  const after = end < m.input.length && CONTINUES.test(m.input[end]!);
  return !(before || after) || /\d/.test(m[1] ?? m[0]);
}

interface Options {
  /** How far before the keyword the token may start (the keyword is inside it). */
  before?: number;
  entropy?: number;
  placeholders?: boolean;
  after?: number;
  /** Named values: whether one without a digit still counts (hex formats). */
  anyValue?: boolean;
  check?: (secret: string) => boolean;
  flags?: string;
  /** See `Rule.claims`. */
  claims?: RegExp;
  /**
   * Named values: the names, where the keywords are a shorter head of them (each name a
   * keyword's state in the survey's table, and long names took hundreds of entries).
   */
  names?: string[];
  /** The edges a token needs before and after it, where its keywords do not say (`edgesFor`). */
  edges?: [boolean, boolean];
}

/** A token recognisable by itself: a prefix and a body. `keywords` are lower case. */
function token(
  id: string,
  description: string,
  keywords: string[],
  source: string,
  options: Options = {},
): Rule {
  const edges = options.edges ?? edgesFor(keywords);
  return {
    id,
    description,
    kind: "token",
    keywords,
    pattern: new RegExp(
      `${edges[0] ? BEFORE : ""}(${source})${edges[1] ? AFTER : ""}`,
      options.flags ?? "g",
    ),
    placeholders: options.placeholders,
    // Even a token with its own prefix must look random (not 12312312...).
    entropy: options.entropy ?? (options.placeholders ? 0 : 3),
    ...(options.check ? { check: options.check } : {}),
    ...(edges[0] && edges[1] ? {} : { checkMatch: runsOnAsToken }),
    window: { before: options.before ?? 8, after: options.after ?? 600 },
    // A token that starts with its keyword is tried where the keyword starts, not across
    // a window around it (`pat` occurs in every `path` of source code).
    anchored: keywords.every((k) =>
      source.toLowerCase().startsWith(k) && !/[\\[\](){}.*+?^$|]/.test(k)
    ),
  };
}

/**
 * A keyword as a word of an identifier, in any case: at its start, after a separator,
 * or at a camelCase boundary (`myEtsyToken`, `DBPassword`), or in small letters after one of `heads`
 * that starts a word (`authtoken`; see `NAME_HEADS`), and not running on into a longer
 * lower-case word (`SetSysctl` is not `etsy`, `sumOfX` is not `sumo`).
 */
export function wordSource(keyword: string, heads?: string): string {
  const letters = [...keyword].map((c) =>
    /[a-z]/i.test(c)
      ? `[${c.toLowerCase()}${c.toUpperCase()}]`
      : c.replace(/[.+?^${}()|[\]\\-]/g, "\\$&")
  );
  const first = keyword[0]!;
  const rest = letters.slice(1).join("");
  // Or, in small letters, after one of `heads` that starts a word (`authtoken`).
  const after = heads ? `|(?<=(?<![A-Za-z0-9]${ESCAPED})(?:${heads}))${first}` : "";
  // After an acronym, a capital that starts a word in small letters (`DBPassword`,
  // `APIKey`; not the `KEY` of `MONKEY`).
  const acronym = `|(?<=[A-Z])${first.toUpperCase()}(?=${
    keyword.slice(1).toLowerCase().replace(/[.+?^${}()|[\]\\-]/g, "\\$&")
  })`;
  const start = /[a-z]/i.test(first)
    ? `(?:(?<![A-Za-z0-9]${ESCAPED})${
      letters[0]
    }|(?<=[a-z0-9])${first.toUpperCase()}${acronym}${after})`
    : `(?<![A-Za-z0-9]${ESCAPED})${letters[0]}`;
  return `${start}${rest}(?![a-z])`;
}

/**
 * Words that a secret's name in small letters alone may start with, the secret-sounding
 * word run on after them (ngrok's `authtoken:`, Redis's `requirepass` and `masterauth`,
 * `accesstoken`, `clientsecret`, `secretkey`): in either case of their first letter.
 */
const NAME_HEADS = [
  "access",
  "api",
  "app",
  "auth",
  "bearer",
  "bot",
  "client",
  "master",
  "oauth",
  "private",
  "refresh",
  "require",
  "secret",
  "service",
  "session",
].map((w) => `[${w[0]}${w[0]!.toUpperCase()}]${w.slice(1)}`).join("|");

/** A value pattern written in lower case, made to accept either case (hex stays as written). */
function anyCase(value: string): string {
  return value.replaceAll("a-z", "a-zA-Z");
}

/** Separators between a name and its value: quotes, spaces, an assignment operator. */
const ASSIGN =
  `[\\w.\\-]{0,40}?(?:[ \\t]{1,4}(?i:bot|api|app|access|auth|client|secret|token|key|id)(?![\\w-])){0,2}(?:\\s+[A-Za-z_][\\w\\[\\]]{0,20}(?=\\s*:?=))?(?:(?:["'\`\\\\]|&quot;|\\s|\\\\{1,16}[nrt]){0,4}(?:=|:=|::=|:::=|::|:|=>|\\?=|\\|\\|=|\\.=|\\+=|,|>)(?:\\\\{1,16}[nrt]|["'\`]|\\\\(?![nrt])|&quot;|\\s){0,6}|(?:["'\`\\\\]|&quot;|[ \\t]){1,10})`;
const END = `(?=["'\`\\\\;,)\\]}\\s<&]|$)`;
/**
 * Between a secret-sounding name and its value, an operator is required: after a type
 * (`password string =` in Go, `apiKey: string =`, `api_key: str =`), a closing bracket
 * (`os.environ['SECRET_KEY'] =`), a value named as such after it (.NET's settings,
 * `key="ApiKey" value=`; Kubernetes' and ECS's environment, `name: API_KEY` then `value:`
 * on the next line, `{"name": "API_KEY", "value": ...}`; a Terraform variable's
 * `default =`), R's `<-`, and a space alone where a command sets a variable: a Dockerfile's `ENV API_KEY`,
 * fish's `set -gx API_KEY` (and Tcl's `set api_key`), Windows' `setx API_KEY`, C's
 * `#define API_KEY`, SQL's `WITH PASSWORD`, a Redis configuration's `requirepass` and
 * `masterauth` at a line's start, a tool's `config set` (`npm config set //host/:_authToken`,
 * `git config --global github.token`); a Rust type may be a reference (`&str`). A default
 * after `??` or `||` (`process.env.API_KEY ?? "..."`) is the secret written in the code, as
 * is a method's argument named by the method (`.setApiKey("...")`, a builder's
 * `.apiKey("...")`) and a value wrapped (Rust's `String::from("...")`, `SecretStr("...")`)
 * or typed as PHP's `var_dump` prints it (`["password"]=>`, then `string(24) "..."`).
 * Prose says `is`, `was` or `to` (`the API key is ...`, `set DB_PASSWORD to ...`). A
 * property list's `<key>API_KEY</key><string>...` and Hadoop's `<name>...</name><value>...`
 * name it in the element before; so do an ARM template's `"adminPassword": {"value": ...}`,
 * CloudFormation's `"ParameterKey": "DBPassword", "ParameterValue": ...` and HTML's
 * `<meta name="api-key" content="...">`. A YAML block scalar's value is on the next line
 * (`password: |`); a method's argument follows a space (Gradle's `storePassword "..."`,
 * Ruby's `password "..."`); a table's column rule stands between a name and its value
 * (`| API_KEY | ... |`, `│ API_KEY  │ ... │` as `doppler secrets` prints it).
 */
const OPERATOR =
  `(?:\\s+(?=[\\w\\[\\]]{0,20}[a-z])[A-Za-z_][\\w\\[\\]]{0,20}(?=\\s*:?=)|\\s*:\\s*(?=(&?(?:'[a-z]{1,10} )?[A-Za-z_][\\w.<>\\[\\]?|]{0,30}))\\2(?=\\s*=))?(?:["'\`\\\\\\]]|&quot;|\\s){0,4}(?:=|:=|::=|:::=|:[ \\t]{0,4}[|>][-+]?[ \\t]{0,4}(?:\\r?\\n|\\\\{1,16}n)[ \\t]{0,40}|:|=>|\\?=|\\|\\|=|\\.=|\\+=|\\?\\?|\\|\\||,|>|<-|[ \\t]{0,60}[|\u2502\u2503]|(?=\\\\{0,16}["'])(?<=[A-Za-z0-9_][ \\t]{1,4})|(?:,|:?[ \\t]{0,4}\\{)?(?:\\s|\\\\{1,16}[nrt]){0,40}(?:\\\\{0,16}["'][A-Za-z]{1,20}\\\\{0,16}["'][ \\t]{0,4}:[ \\t]{0,4}\\\\{0,16}["'][\\w.-]{0,40}\\\\{0,16}["'][ \\t]{0,4},(?:\\s|\\\\{1,16}[nrt]){0,40})?(?:\\\\{0,16}["'])?(?:(?:[pP]arameter|[sS]ecret|[dD]efault)?[vV]alue|default|content)(?:\\\\{0,16}["'])?[ \\t]{0,4}[:=]|(?=[ \\t])(?<=(?:(?:\\b|(?<=\\\\[nrt]))(?:ENV|setx|set(?:[ \\t]{1,4}(?:-[gUxl]{1,4}|--export))?|WITH|with|LOGIN|login|ENCRYPTED|encrypted)|#define)[ \\t]{1,4}[A-Za-z0-9_]{1,64})|(?=[ \\t])(?<=(?:^|\\n|\\\\{1,16}[nrt])[ \\t]{0,8}(?:requirepass|masterauth))|(?=[ \\t])(?<=\\bconfig(?:[ \\t]{1,4}(?:--?[a-z][\\w-]{0,20}|set)){0,3}[ \\t]{1,4}[\\w./:@-]{1,80})|[ \\t]+(?:is|was|to)(?=[ \\t])|<\\/(?:key|name)>(?:\\s|\\\\{1,16}[nrt]){0,20}<(?:string|value)>|\\((?<=\\.[A-Za-z0-9_]{1,40}\\())(?:\\\\{1,16}[nrt]|["'\`]|\\\\(?![nrt])|&quot;|\\s){0,6}(?:(?:String::from|Some|Secret(?:String)?(?:::(?:new|from))?|SecretStr)\\((?:\\\\{0,16}["'])?|string\\(\\d{1,5}\\) (?:\\\\{0,16}["'])?)?`;

/** `OPERATOR` in a pattern where its own group is the `n`th. */
function operator(n: number): string {
  return OPERATOR.replace("\\2", `\\${n}`);
}

/**
 * A secret written beside its key's ID (`id` then a separator, a comma or a space or a
 * quote, then `secret`, its run ending there), as a provider's downloaded CSV holds it:
 * found with the ID, which its own rule finds, so that both are cut out.
 */
function besideItsId(
  id: string,
  description: string,
  keywords: string[],
  idSource: string,
  secret: string,
): Rule {
  return {
    id,
    description,
    kind: "named",
    keywords,
    pattern: new RegExp(
      `${idSource}(?:[\\s,;|"'=]|\\\\{1,16}[nrt]){1,12}(${secret})(?![A-Za-z0-9/+=])`,
      "g",
    ),
    entropy: 3.5,
    check: (s) => /\d/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s),
    window: { before: 0, after: 120 },
    anchored: true,
  };
}

/** A value named by a keyword nearby (`adafruit_token = "..."`). */
function named(
  id: string,
  description: string,
  keywords: string[],
  value: string,
  options: Options = {},
): Rule {
  const names = (options.names ?? keywords).map((k) => wordSource(k)).join("|");
  const check = options.check;
  return {
    id,
    description,
    kind: "named",
    keywords,
    pattern: new RegExp(`(?:${names})${ASSIGN}(${anyCase(value)})${END}`, options.flags ?? "g"),
    entropy: options.entropy ?? 3,
    placeholders: options.placeholders,
    // A value without a digit is, far more often than not, a word.
    check: (s) => (options.anyValue || /\d/.test(s)) && (check ? check(s) : true),
    window: { before: 4, after: options.after ?? 160 },
    anchored: true,
    ...(options.claims ? { claims: options.claims } : {}),
  };
}

const HEX32 = "[a-f0-9]{32}";
const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/** The words of an identifier or value: split at separators and camelCase. */
function words(s: string): string[] {
  return s.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w.toLowerCase());
}

/** Words that make a `...key`/`...token` name something other than a secret. */
const NOT_SECRET_NAMES = new Set([
  "public",
  "pub",
  "primary",
  "foreign",
  "sort",
  "partition",
  "cache",
  "hash",
  // What a digest of the secret is named (`password_sha256`, `key_fingerprint`).
  "digest",
  "checksum",
  "fingerprint",
  "md5",
  "sha1",
  "sha256",
  "sha512",
  "event",
  "down",
  "up",
  "press",
  "pressed",
  "size",
  "length",
  "len",
  "type",
  "types",
  "pair",
  "ring",
  "board",
  "frame",
  "field",
  "index",
  "column",
  "prefix",
  "suffix",
  "format",
  "version",
  "count",
  "max",
  "min",
  "schema",
  "map",
  "mapping",
  "label",
  "chars",
  "algorithm",
  "alg",
  "usage",
  "ref",
  "spec",
  "word",
  "keyword",
  "keywords",
  "csrf",
  "xsrf",
  // Rails' name for its CSRF token (`authenticity_token`), in every form it renders.
  "authenticity",
  "nonce",
  "id",
  "ids",
  "header",
  "param",
  // What names something beside a secret: the key's namespace, an API's response, a
  // stored object's ETag (a hash).
  "namespace",
  "response",
  "etag",
]);

/**
 * Words that name a thing beside a secret when they follow the secret's word (`TOKEN_HOST`,
 * `KEY_FILE`, `SECRET_REGION`, `password_store`): before it they say whose the secret is
 * (`EMAIL_HOST_PASSWORD`, `RELEASE_STORE_PASSWORD`, `VAULT_TOKEN`, `CODE_SIGNING_PASSWORD`).
 */
const NOT_SECRET_HEADS = new Set([
  "code",
  "name",
  "names",
  "url",
  "uri",
  "endpoint",
  "region",
  "host",
  "port",
  "timeout",
  "expiry",
  "expires",
  "vault",
  "file",
  "path",
  "location",
  "store",
  "policy",
  "provider",
  "mode",
]);

/** A word that names a secret (`password`, `apikey`, `authtoken`, `creds`). */
const SECRET_WORD =
  /(?:key|token|secret|pass|passwd|password|passphrase|pwd|psk|auth|creds?|credentials?)$/;

/**
 * Mostly words of three letters or more: a name, a constant, a sentence. A word has a
 * vowel, no four consonants in a row and only pairs of letters English words hold, unless
 * a word of five letters or more does beside it (`usedRepositoryInPkgJson`: `json`, `aes`
 * are a program's words): random base64 split at its capitals falls into parts of three
 * letters or more too (`rGClgwoCzN...` into `gclgwo`, `cz`, ...).
 */
function wordy(secret: string): boolean {
  const parts = words(secret);
  if (parts.length < 3) return false;
  const shaped = parts.filter((w) =>
    /^[a-z]{3,}$/.test(w) && /[aeiouy]/.test(w) && !/[^aeiouy]{4}/.test(w)
  );
  // A long word of English pairs vouches for the short ones beside it (`PkgJson`).
  const long = shaped.some((w) => w.length >= 5 && pairsOfWords(w));
  return (long ? shaped : shaped.filter(pairsOfWords)).length * 2 >= parts.length;
}

/** Whether each pair of letters in `word` is one English words hold (`ENGLISH_PAIRS`). */
function pairsOfWords(word: string): boolean {
  for (let i = 0; i + 1 < word.length; i++) {
    if (!ENGLISH_PAIRS.has(word.slice(i, i + 2))) return false;
  }
  return true;
}

/**
 * Letters alone that no one named: 16 or more, both cases, as random as a value of that
 * length is, no common word in them (`XkqLmPzRtYvBnWsD`, not `accessTokenFromStorage`).
 */
function randomLetters(value: string): boolean {
  return /^[A-Za-z]{16,}$/.test(value) && randomEnough(value) && looksRandom(value) &&
    !holdsStopWord(value);
}

/**
 * Hex digits in both cases (`acdeFf05b1...`): programs print hex in one case, and a
 * random alphanumeric value of this length holding only the letters a-f is beyond
 * chance, so this was typed by a person.
 */
function mixedCaseHex(secret: string): boolean {
  return secret.length >= 16 && /^[0-9a-fA-F]+$/.test(secret) && /[a-f]/.test(secret) &&
    /[A-F]/.test(secret);
}

/** What `secret` decodes to as standard base64 (a whole number of groups), if it is that. */
function base64Text(secret: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(secret) || secret.length % 4 !== 0) return undefined;
  try {
    return atob(secret);
  } catch {
    return undefined;
  }
}

/** Base64 of prose: printable ASCII with spaces once decoded (`ZHVtbXkgdGV4dA==`). */
function encodedProse(secret: string): boolean {
  const text = base64Text(secret);
  return text !== undefined && /^[\x20-\x7e\t\r\n]+$/.test(text) && / \S+ /.test(text);
}

/** What a password field's documentation writes for its value: the field's own name, and the like. */
const STAND_IN_PASSWORD =
  /^(?:password|passwd|pass|pwd|secret|token|test|username|user|changeme)$/i;

/**
 * Credentials written for show: `user:pass` (a Basic header's, base64-encoded, as
 * `dXNlcm5hbWU6cGFzc3dvcmQ=` is `username:password`) whose password is a stand-in (a
 * field's name, a placeholder), shorter than four characters (`foo:bar`) or the user's
 * name again (`admin:admin`, a default).
 */
function standInCredentials(encoded: string): boolean {
  const m = /^([!-~]*):([ -~]*)$/.exec(base64Text(encoded) ?? "");
  if (!m) return false;
  const [, user, password] = m as unknown as [string, string, string];
  return password.length < 4 || password === user || STAND_IN_PASSWORD.test(password) ||
    isPlaceholder(password);
}

/**
 * A digest named by its algorithm (`sha256=Fcb7Kq...` in a Python wheel's RECORD,
 * `sha512-...` in a lockfile's integrity, `md5:...`): a hash of published content.
 */
function digest(secret: string): boolean {
  return /^(?:md5|sha1|sha224|sha256|sha384|sha512|sha3-(?:224|256|384|512)|blake2[bs]?)[=:\-][A-Za-z0-9+/_\-]{16,}={0,2}$/i
    .test(secret) || PASSWORD_HASH.test(secret);
}

/**
 * A password's hash as a system or a framework stores it, each in its own exact form (a
 * users table's column, a seed file, `/etc/shadow`): bcrypt's `$2b$12$...`, crypt's SHA
 * and MD5 (`$6$salt$...`), yescrypt's `$y$`, Argon2's PHC string, Werkzeug's
 * `pbkdf2:sha256:600000$salt$hex` and `scrypt:...`, Django's `pbkdf2_sha256$...` (and its
 * older `sha1$salt$hex`), LDAP's
 * `{SSHA}...`. It stands for a password no one can read back from it.
 */
const PASSWORD_HASH = new RegExp(
  [
    String.raw`\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}`,
    String.raw`\$(?:1|5|6)\$(?:rounds=\d{1,9}\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86}`,
    String.raw`\$y\$[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{1,86}\$[./A-Za-z0-9]{43}`,
    String
      .raw`(?:argon2)?\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{8,}\$[A-Za-z0-9+/]{16,}`,
    String
      .raw`(?:pbkdf2:sha(?:1|256|512)(?::\d{1,9})?|scrypt:\d{1,9}:\d{1,3}:\d{1,3})\$[A-Za-z0-9]{1,64}\$[0-9a-f]{32,128}`,
    String.raw`pbkdf2_sha(?:1|256)\$\d{1,9}\$[A-Za-z0-9]{1,64}\$[A-Za-z0-9+/]{22,88}={0,2}`,
    String.raw`(?:sha1|md5)\$[A-Za-z0-9./]{0,64}\$(?:[0-9a-f]{32}|[0-9a-f]{40})`,
    String.raw`bcrypt(?:_sha256)?\$\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}`,
    String
      .raw`\{(?:SSHA|SHA|SSHA256|SSHA384|SSHA512|SHA256|SHA384|SHA512|SMD5|MD5)\}[A-Za-z0-9+/]{20,}={0,2}`,
  ].map((f) => `^${f}$`).join("|"),
);

/** The DER element whose header is at `at`: its tag, and where its content starts and ends. */
function derElement(
  der: Uint8Array,
  at: number,
): { tag: number; start: number; end: number } | undefined {
  if (at + 2 > der.length) return undefined;
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 3 || start + bytes > der.length) return undefined;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  const end = start + length;
  return end <= der.length ? { tag, start, end } : undefined;
}

/**
 * A public key as X.509 writes it (a SubjectPublicKeyInfo, base64 of its DER: `MFkwEwYH...`
 * for P-256, `MCowBQYDK2Vw...` for Ed25519): an algorithm and a bit string, and nothing
 * else. A private key's DER (PKCS #8, SEC 1) starts with a version number instead.
 */
function publicKeyInfo(secret: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(secret) || secret.length % 4 !== 0) return false;
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(secret), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  const info = derElement(der, 0);
  if (!info || info.tag !== 0x30 || info.end !== der.length) return false;
  const algorithm = derElement(der, info.start);
  if (!algorithm || algorithm.tag !== 0x30 || der[algorithm.start] !== 0x06) return false;
  const key = derElement(der, algorithm.end);
  return key !== undefined && key.tag === 0x03 && key.end === info.end;
}

/**
 * Whether a value on a command line is one as written, not one the shell or a template
 * fills in (`$VAR`, `${VAR}`, `$(cmd)`, `<password>`, `{{ x }}`, `%VAR%`) or program text.
 * `dollar`: a `$` it starts with is left to the rule's `shellLiteral` (it knows the quote).
 */
function commandValue(value: string, dollar = false): boolean {
  return !(dollar ? /^[<{%(\[]/ : /^[$<{%(\[]/).test(value) && !codeLike(value);
}

/**
 * Whether a command line's value (`COMMAND_VALUE`'s groups: the quote, the value) is the
 * shell's as written: one starting with `$` is only in single quotes (`-N '$W0Z~...'`); bare
 * or in double quotes the shell puts a variable there, unless what follows the `$` is no
 * name anyone writes (`$Zq8Lr2Xv9Kt4Wm`, on Windows' command line, which puts in none).
 */
function shellLiteral(m: RegExpExecArray): boolean {
  return m[2]![0] !== "$" || /'$/.test(m[1]!) || randomName(/^\$(\w*)/.exec(m[2]!)![1]!);
}

/**
 * A value that reads as program text rather than a credential (`password=None):`,
 * `key_password=self.key_password,`, `Token: Style(),`, `authorization.split(`): a call
 * or an index, a name (dotted, a path of `::`, or neither) without a digit (tokens hold digits), a language's
 * empty value. Trailing punctuation is read past.
 */
function codeLike(value: string): boolean {
  const v = value.replace(/[,;:)\]}]+$/, "");
  return /[()[\]{}]/.test(v) ||
    (/^[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*$/.test(v) && !/\d/.test(v)) ||
    /^(?:none|null|nil|undefined|true|false|nullptr|password|passwd|pwd|secret|token)$/i.test(v);
}

/**
 * Words joined by hyphens, or a word that ends a sentence: what a field's documentation
 * says of it (`token: Short-lived token sent to...`, `authorization: Optional.`).
 */
function hyphenated(value: string): boolean {
  return /^[A-Za-z]+(?:-[A-Za-z]+)*[.,;:]?$/.test(value) && /[-.,;:]/.test(value);
}

/**
 * A keyword argument, the value read after a comma in a call (`credentials, http=URLLIB3_HTTP`):
 * a name, `=`, a name. No encoding of a secret holds `=` between two names.
 */
function keywordArgument(value: string): boolean {
  return /^[A-Za-z_]\w*=[A-Za-z_][\w.]*$/.test(value);
}

/**
 * A path (`/usr/local/bin`, `src/Button2/index.tsx`, `zones/us-central1-a`), not base64
 * that happens to hold slashes: a random 40-character base64 value holds two or more one
 * time in seven (`nDYP/mxfhcBe/4RJpwm...`), and its parts switch between capitals, small
 * letters and digits at every other character, where a path's words switch once a word.
 * With one slash and none in front it is a path only in small letters (one slash is in
 * every other such value, and a short one's parts may switch seldom by chance).
 */
function pathLike(value: string): boolean {
  if (
    !/^(?:\.{1,2}|~)?\/|\/\w+\//.test(value) && !/^[a-z0-9._\-]+\/[a-z0-9._\-]+$/.test(value) ||
    value.includes("+")
  ) return false;
  return value.split("/").every((part) => {
    const chars = part.replace(/[^A-Za-z0-9]/g, "");
    if (chars.length < 4) return true;
    let switches = 0;
    for (let i = 1; i < chars.length; i++) {
      if (charClass(chars.charCodeAt(i)) !== charClass(chars.charCodeAt(i - 1))) switches++;
    }
    return switches * 10 < chars.length * 3;
  });
}

/** 0 for a digit, 1 for a capital, 2 for a small letter. */
function charClass(code: number): number {
  return code <= 0x39 ? 0 : code <= 0x5a ? 1 : 2;
}

/**
 * The entropy below which `length` hex digits are too orderly to be drawn at random: four
 * bits a digit at most, less the bias of a short sample (Miller-Madow: 15 / (2n ln 2)),
 * less a spread that narrows as the value grows: one random value in two hundred falls
 * under it (20 digits measure 3.38 as a median and 2.83 at that point; 32, 3.63 and 3.21).
 */
function hexFloor(length: number): number {
  return 4 - 15 / (2 * length * Math.LN2) - 2.8 / Math.sqrt(length);
}

/**
 * The same for a value of the wider alphabets (letters and digits, base64): 3.8 bits, or
 * for a value too short to show that many (a sample of sixteen holds fourteen distinct
 * characters or so, 3.75 bits as a median), what one random value in two hundred of its
 * length falls under (16 characters: 3.33; 20: 3.62; 24: 3.84).
 */
function wideFloor(length: number): number {
  return Math.min(3.8, Math.log2(length) - 0.7);
}

/**
 * Whether a value's characters are as varied as a random one's of its alphabet and length
 * are but one time in two hundred: hex (a UUID judged by its 32 digits: three in four
 * random UUIDs fell under the wider alphabets' floor) or the wider alphabets.
 */
function randomEnough(value: string): boolean {
  const digits = UUID_SHAPE.test(value) ? value.replace(/-/g, "") : value;
  return /^[0-9a-f]+$/i.test(digits)
    ? entropy(digits) >= hexFloor(digits.length)
    : entropy(value) >= wideFloor(value.length);
}
const UUID_SHAPE = new RegExp(`^${UUID}$`);

/**
 * Whether a password written without quotes (`.env`, YAML, properties; read to the end of
 * its word, one with brackets passed over in the pattern already) is one: not program text
 * (`password: hashPassword(input),`), a property path, digits or not (`pwd_js_1.pwdCommand,`),
 * a YAML alias (`*db_password`), a value SOPS encrypted (`ENC[AES256_GCM,...`) or a query's
 * next parameters (`?secret=...&issuer=...`: each is read on its own).
 */
function unquotedPassword(value: string): boolean {
  return !codeLike(value) && !/^(?:ENC\[|[*&][\w.-]+$)/.test(value) && !/&\w+=/.test(value) &&
    !/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+[,;]?$/.test(value);
}

/**
 * What may stand between a password's name and a value written without quotes: an
 * assignment (`password = X`, `DB_PASS=X`, YAML's `password: X`, XML's `<password>X`,
 * `$_ENV['DB_PASSWORD'] = X`), a value named after it (`name: DB_PASSWORD` then `value:
 * X`, a property list's `<key>Password</key><string>X`), a YAML block scalar's first line, a table's rule (`| DB_PASSWORD | X |`), or a
 * space alone where a command sets it (`ENV DB_PASSWORD X`, `setx`, `config set`, tried
 * only after those), prose's `is`, `was` or `to`. Not a comma, a call's bracket or a type:
 * after them an unquoted word is program text (`def f(password, scopes=None,`).
 */
const UNQUOTED_OPERATOR =
  /^(?:\w*(?:\\{0,16}["'\]]){0,2}[ \t]*(?:=|:=|=>|:|>)[ \t]*|[\s\S]*[vV]alue(?:\\{0,16}["'])?[ \t]{0,4}[:=][ \t]*|\w*[ \t]+(?:(?:is|was|to)[ \t]+)?|\w*(?:\\{0,16}["'])?[ \t]*:[ \t]{0,4}[|>][-+]?[ \t]{0,4}(?:\r?\n|\\{1,16}n)[ \t]{0,40}|\w*[ \t]{0,60}[|\u2502\u2503][ \t]*|\w*<\/(?:key|name)>(?:\s|\\{1,16}[nrt]){0,20}<(?:string|value)>)$/;

/**
 * Whether a name and its value written as a pair of strings, a comma between (`between`,
 * what stands between them), are a tuple's or a list's: a test's pair of a password and
 * its hash (`("password", "61cfd3...")`), a URL's parts (`('joe', 'password', 'host:3128')`).
 * A call's two arguments are a setting (`os.Setenv("API_KEY", "...")`,
 * `System.setProperty("db.password", "...")`): its first names its second.
 */
function tuplePair(input: string, nameStart: number, between: string): boolean {
  if (!/^\w*(?:\\{0,16}["'])?[ \t]*,/.test(between) || /[vV]alue/.test(between)) return false;
  // (The call's arguments may each be on a line of their own: `client.Set(\n\t"api_key",`.)
  return !/\w\((?:\s|\\{1,16}[nrt]){0,20}\\{0,16}["']$/.test(
    input.slice(Math.max(0, nameStart - 80), nameStart),
  );
}

/** How many kinds of character `s` holds: small letters, capitals, digits, others. */
function characterKinds(s: string): number {
  return [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((c) => c.test(s)).length;
}

/** Values that are names, versions, hosts, paths or prose rather than secrets. */
function looksRandom(secret: string): boolean {
  if (/^(?:true|false|null|none|undefined|required|optional|string|number)$/i.test(secret)) {
    return false;
  }
  if (pathLike(secret)) return false;
  if (/\d+\.\d+\.\d+|snapshot|release/i.test(secret)) return false; // a version
  if (/^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}(?::\d+)?$/i.test(secret)) return false; // a host or a file
  if (/^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$/.test(secret)) return false; // a dotted name
  if (isSequence(secret)) return false;
  // A name in snake or kebab case (`gss_krb5_rfc1964_keydata`): small letters and
  // digits in three parts or more, each with a letter (a UUID that starts with a letter
  // has that shape too: it is hex).
  if (
    /^[a-z][a-z0-9]*(?:[_-][a-z0-9]*[a-z][a-z0-9]*){2,}$/.test(secret) && !UUID_SHAPE.test(secret)
  ) return false;
  // A constant's name (`NL80211_ATTR_NSS`): capitals and digits in three parts or more.
  if (/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]*[A-Z][A-Z0-9]*){2,}$/.test(secret)) return false;
  const parts = words(secret);
  // Mostly words: a name, a constant, a sentence.
  if (parts.length > 0 && parts.every((w) => /^[a-z]{2,}$/.test(w) && /[aeiouy]/.test(w))) {
    return false;
  }
  // So is a name that starts with an acronym (`DBRecommendations`, `APIGateway`).
  if (
    /^[A-Z]{2,4}(?:[A-Z][a-z]+)+$/.test(secret) &&
    parts.slice(1).every((w) => w.length >= 3 && /[aeiouy]/.test(w))
  ) return false;
  if (wordy(secret) || encodedProse(secret) || mixedCaseHex(secret)) return false;
  if (digest(secret) || publicKeyInfo(secret)) return false;
  return /\d/.test(secret) || /[A-Z]/.test(secret) && /[a-z]/.test(secret);
}

/**
 * What a table's column header names (`password`, `api_key`, `Login Password`), if a
 * secret: a name of words, one of them a secret's whole (not `monkey`), that says so (see
 * `secretName`); a password (which a person may pick) or another secret.
 */
export function secretColumn(header: string): "password" | "secret" | undefined {
  if (!/^[A-Za-z][\w .\-]{0,39}$/.test(header) || !secretName(header)) return undefined;
  const parts = words(header);
  if (parts.some((w) => PASSWORD_WORD.test(w))) return "password";
  // `key` alone names a dictionary's key (`KEY | VALUE`, `YAML Key`): a secret's only after
  // a word that says whose (`API Key`, `secret_key`).
  return parts.some((w, i) =>
      COLUMN_WORD.test(w) && (w !== "key" || KEY_HEADS.test(parts[i - 1] ?? ""))
    )
    ? "secret"
    : undefined;
}
const PASSWORD_WORD = /^(?:pass|passwd|password|passphrase|pwd|psk)$/;
const COLUMN_WORD =
  /^(?:(?:api|access|auth|client|private|secret|refresh)?(?:key|token|secret)|creds?|credentials?)$/;
const KEY_HEADS = /^(?:api|access|secret|private|client|auth|encryption|signing|master|license)$/;

/** Whether a secret-sounding name is really one (`primaryKey`, `token_length` are not). */
function secretName(name: string): boolean {
  const parts = words(name);
  // `psk` names a pre-shared key as the name's last word (`wpa_psk`, `PSK`), not within a
  // longer name (a TLS cipher suite's `TLS_PSK_WITH_AES_128_GCM_SHA256`, `PSK_IDENTITY`).
  if (
    parts.includes("psk") &&
    !parts.some((w, i) => SECRET_WORD.test(w) && (w !== "psk" || i === parts.length - 1))
  ) return false;
  const first = parts.findIndex((w) => SECRET_WORD.test(w));
  // A page of results' next token is a cursor (`NextToken`, `nextPageToken`,
  // `page_token`); NextAuth's secrets (`next-auth.session-token`, `NEXT_AUTH_SECRET`) are
  // not. `sentry_key` is a DSN's public key, which Sentry's SDKs send with every event
  // (the DSN that holds it is no secret either); its auth tokens are.
  return !parts.some((w, i) =>
    NOT_SECRET_NAMES.has(w) ||
    NOT_SECRET_HEADS.has(w) && (first === -1 || i > first) ||
    (w === "next" || w === "page") && /^(?:token|page)$/.test(parts[i + 1] ?? "") ||
    w === "sentry" && parts[i + 1] === "key" && i + 2 === parts.length
  );
}

/**
 * Whether the word before the name at `at` is `page` or `next` (`Next page token:` in a
 * listing's documentation): a cursor, as `nextPageToken` is.
 */
function afterCursorWord(text: string, at: number): boolean {
  return /(?:^|[^A-Za-z])(?:page|next)[ -]$/i.test(text.slice(Math.max(0, at - 6), at));
}

/** The part of an identifier that runs up to `at` (at most 40 characters). */
function nameBefore(text: string, at: number): string {
  let from = at;
  while (from > 0 && at - from < 40 && /[A-Za-z0-9_.\-]/.test(text[from - 1]!)) {
    // A line break written as an escape (`\n` in a JSON string) ends the name.
    if (afterEscape(text, from)) break;
    from--;
  }
  return text.slice(from, at);
}

let prefixes: RegExp | undefined;
let shapes: RegExp | undefined;
/**
 * Whether a value starts with a provider's own prefix (`xoxp-`, `ghp_`, in any case) or
 * has the shape a provider's rule claims (`<bot id>:A...`, as the rule writes it): its
 * provider's rule judges it, and a value that rule turned down (`xoxp-1234-1234`, a bot
 * id of four digits) is not a generic secret either.
 */
function claimed(secret: string): boolean {
  prefixes ??= new RegExp(
    `^(?:${
      RULES.filter((r) => r.kind === "token").flatMap((r) => r.keywords)
        .filter((k) => k.length >= 4 && /[_\-.]$/.test(k))
        .map((k) => k.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")).join("|")
    })`,
    "i",
  );
  // No claimed shape at all: a pattern nothing matches (an empty one would match all).
  shapes ??= new RegExp(
    `^(?:${RULES.flatMap((r) => r.claims ? [`(?:${r.claims.source})`] : []).join("|") || "(?!)"})`,
  );
  return prefixes.test(secret) || shapes.test(secret);
}

/** URL schemes of databases and brokers (a JDBC URL's inner one: `jdbc:mysql://`). */
const DATABASE_SCHEME =
  /^(?:mysqlx?|mariadb|postgres(?:ql)?|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb|cassandra|neo4j(?:\+s)?)$/i;

/** Names that say a value is a secret. */
const GENERIC_NAMES = [
  "key",
  "token",
  "secret",
  "password",
  "passwd",
  "pwd",
  // `DB_PASS`, `SMTP_PASS` (not `bypass`, `passing`), a key's passphrase.
  "pass",
  "passphrase",
  "auth",
  "credential",
  "credentials",
  "creds",
  "api",
  "apikey",
  // A pre-shared key: wpa_supplicant's `psk="..."`, hostapd's `wpa_psk`, an IPsec `PSK`.
  "psk",
];

/**
 * An argument of a call, before the one a rule reads: a string literal (its quotes escaped
 * too, in a JSON string) or an expression with no comma, bracket or quote.
 */
const CALL_ARGUMENT = String
  .raw`(?:\\{0,16}"[^"\n]{0,200}?"|\\{0,16}'[^'\n]{0,200}?'|[^\s,()"'][^,()"'\n]{0,100})`;

/**
 * A command line's secret after its flag (groups: the quote, the value): quoted or not, its
 * quotes escaped too in a JSON string, and then the argument's end.
 */
const COMMAND_VALUE = String
  .raw`(\\{0,16}["']|)([^\s"'\\]{8,150})\1(?=\s|\\{1,16}[nrt"]|"|$|(?<=["'])[);|&])`;

/** The catalogue. */
export const RULES: readonly Rule[] = [
  // --- Cloud providers -------------------------------------------------------------
  token(
    "aws-access-key-id",
    "AWS access key ID",
    ["akia", "asia", "abia", "acca", "a3t"],
    "(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
    // Sixteen characters drawn from 32 fall under 3 bits of entropy one time in 5,000
    // (an I five times, an F and a 4 three times each); stand-ins are placeholders, told
    // apart as such.
    { entropy: 2.5 },
  ),
  named(
    "aws-secret-access-key",
    "AWS secret access key",
    ["aws_secret", "aws-secret", "awssecret", "secret_access_key", "secretaccesskey", "aws_key"],
    "[A-Za-z0-9/+]{40}",
    { entropy: 3.5 },
  ),
  // A secret access key beside its key ID, as IAM's downloaded `credentials.csv` holds it
  // (`AKIA...,<secret>`): the secret has no name of its own there, and only the ID was
  // found (a model request's cut took the ID out and sent the secret on).
  besideItsId(
    "aws-secret-access-key-pair",
    "AWS secret access key beside its key ID",
    ["akia", "asia", "abia", "acca", "a3t"],
    "(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
    "[A-Za-z0-9/+]{40}",
  ),
  token(
    "aws-bedrock-api-key",
    "Amazon Bedrock API key",
    ["absk", "bedrock-api-key-"],
    "ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{100,}={0,2}|bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=&%_-]*",
    { after: 1200 },
  ),
  token("gcp-api-key", "Google API key", ["aiza"], "AIza[\\w-]{35}"),
  // What `gcloud auth print-access-token` prints: `ya29.` and the token (a service account's
  // has dots in it, `ya29.c.b0A...`).
  token(
    "google-oauth-access-token",
    "Google OAuth access token",
    ["ya29"],
    "ya29\\.(?=[\\w.-]{30})[\\w-]+(?:\\.[\\w-]+)*",
  ),
  // A Google OAuth refresh token (`1//0` and some hundred characters), as `firebase
  // login:ci` prints it and `application_default_credentials.json` and rclone keep it.
  token(
    "google-oauth-refresh-token",
    "Google OAuth refresh token",
    ["1//0"],
    "1//0[\\w-]{40,}",
    { entropy: 3.5 },
  ),
  token(
    "azure-ad-client-secret",
    "Azure AD client secret",
    ["q~"],
    // Not cut from a longer run of its own alphabet (`~` is in it, not in a word).
    "[a-zA-Z0-9_~.]{3}\\dQ~[a-zA-Z0-9_~.\\-]{31,34}(?!~)",
    { entropy: 3, before: 6 },
  ),
  named("azure-storage-key", "Azure storage account key", ["accountkey"], "[A-Za-z0-9+/]{86}==", {
    entropy: 4,
  }),
  {
    // A shared access signature: a storage URL's query (or a connection string's
    // `SharedAccessSignature=`) that grants what it lists until it expires, to whoever
    // holds it. Its `sig` is an HMAC; `sv=` (the service version, a date) marks the query.
    id: "azure-sas-token",
    description: "Azure shared access signature",
    kind: "structure",
    keywords: ["sig="],
    pattern:
      /(?<=(?:^|[?&;\s"'=])(?:[\w-]{1,20}=[^&\s"'#]{0,200}&){0,15}sv=\d{4}-\d{2}-\d{2}(?:&[\w-]{1,20}=[^&\s"'#]{0,200}){0,15}&)sig=((?:[A-Za-z0-9+/]|%2[bBfF]){30,100}(?:=|%3[dD]){0,2})(?![A-Za-z0-9%+/=])/g,
    entropy: 3.5,
    anchored: true,
    // What precedes `sig=` is read back to `sv=` (a long query: the 600 characters before).
    window: { before: 600, after: 160 },
  },
  token("alibaba-access-key-id", "Alibaba Cloud access key ID", ["ltai"], "LTAI[A-Za-z0-9]{20}"),
  named("alibaba-secret-key", "Alibaba Cloud secret key", ["alibaba"], "[a-z0-9]{30}"),
  // As AWS's: the AccessKey CSV the console hands out (`LTAI...,<secret>`).
  besideItsId(
    "alibaba-secret-key-pair",
    "Alibaba Cloud secret key beside its access key ID",
    ["ltai"],
    "LTAI[A-Za-z0-9]{20}",
    "[A-Za-z0-9]{30}",
  ),
  token(
    "digitalocean-token",
    "DigitalOcean token",
    ["doo_v1_", "dop_v1_", "dor_v1_"],
    "do[opr]_v1_[a-f0-9]{64}",
  ),
  token(
    "yandex-access-token",
    "Yandex access token",
    ["t1."],
    "t1\\.[A-Z0-9a-z_\\-]+={0,2}\\.[A-Z0-9a-z_\\-]{86}={0,2}",
  ),
  token("yandex-api-key", "Yandex API key", ["aqvn"], "AQVN[A-Za-z0-9_\\-]{35,38}"),
  // Two letters of prefix are no mark of a key: random base64 (a wrapped image, a key
  // block) holds `YC` and 38 more of its letters every megabyte or so. Only after a name
  // that says Yandex.
  token(
    "yandex-aws-access-token",
    "Yandex AWS access token",
    ["yandex"],
    "(?<=(?<![A-Za-z0-9](?<!\\\\[nrtbf]))yandex[\\w.\\-]{0,30}[\"' \\t:=]{1,5})YC[a-zA-Z0-9_\\-]{38}",
    { entropy: 3.5, flags: "gi" },
  ),
  token(
    "ibm-cloud-api-key",
    "IBM Cloud API key",
    ["ibm"],
    // "ibm" starting a word, its value on its line: in base64 wrapped into lines, the
    // letters come by chance, and a line break after them.
    "(?<=(?<![A-Za-z0-9](?<!\\\\[nrtbf]))ibm[\\w.\\-]{0,30}[\"' \\t:=]{1,5})[A-Za-z0-9_\\-]{44}",
    { entropy: 3.5, flags: "gi" },
  ),
  token(
    "heroku-api-key-v2",
    "Heroku API key",
    ["hrku-"],
    "HRKU-AA[0-9a-zA-Z_\\-]{58}",
  ),
  named("heroku-api-key", "Heroku API key", ["heroku"], UUID),
  token(
    "flyio-access-token",
    "Fly.io access token",
    ["fo1_", "fm1", "fm2"],
    "fo1_[\\w\\-=]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3}",
    {
      after: 2000,
    },
  ),
  token(
    "cloudflare-origin-ca-key",
    "Cloudflare origin CA key",
    ["v1.0-"],
    "v1\\.0-[a-f0-9]{24}-[a-f0-9]{146}",
  ),
  token(
    "cloudflare-api-token",
    "Cloudflare API token",
    ["cfat_", "cfut_"],
    "cf[au]t_[A-Za-z0-9]{40}[a-f0-9]{8}",
  ),
  named("cloudflare-api-key", "Cloudflare API key", ["cloudflare"], "[\\w\\-]{40}"),
  named("cloudflare-global-api-key", "Cloudflare global API key", ["cloudflare"], "[a-f0-9]{37}"),
  token(
    "vault-service-token",
    "HashiCorp Vault token",
    ["hvs.", "hvb.", "hvr."],
    "hvs\\.[\\w\\-]{90,120}|hvb\\.[\\w\\-]{138,300}|hvr\\.[\\w\\-]{90,120}",
  ),
  named("vault-legacy-token", "HashiCorp Vault token", ["vault", "token"], "s\\.[a-zA-Z0-9]{24}", {
    flags: "g",
  }),
  token(
    "hashicorp-tf-api-token",
    "Terraform Cloud API token",
    ["atlasv1"],
    "[a-z0-9]{14}\\.atlasv1\\.[a-z0-9\\-_=]{60,70}",
    { flags: "gi", before: 20 },
  ),
  token("pulumi-api-token", "Pulumi API token", ["pul-"], "pul-[a-f0-9]{40}"),
  token(
    "doppler-api-token",
    "Doppler API token",
    // Personal, service, CLI, service account, SCIM and audit tokens.
    ["dp.pt.", "dp.st.", "dp.ct.", "dp.sa.", "dp.scim.", "dp.audit."],
    // A service token names its config first (`dp.st.prd.<token>`).
    "dp\\.(?:pt|st|ct|sa|scim|audit)\\.(?:[a-z0-9_\\-]{1,30}\\.)?[a-z0-9]{40,44}",
    { flags: "gi" },
  ),
  token("supabase-access-token", "Supabase access token", ["sbp_"], "sbp_[a-f0-9]{40}"),
  token(
    "supabase-secret-key",
    "Supabase secret key",
    ["sb_secret_"],
    "sb_secret_[A-Za-z0-9_\\-]{30,64}",
  ),
  token("neon-api-key", "Neon API key", ["napi_"], "napi_[A-Za-z0-9]{60,72}"),
  token("render-api-key", "Render API key", ["rnd_"], "rnd_[A-Za-z0-9]{32}"),
  token("scalingo-api-token", "Scalingo API token", ["tk-us-"], "tk-us-[\\w\\-]{48}"),
  token("openshift-user-token", "OpenShift user token", ["sha256~"], "sha256~[\\w\\-]{43}"),
  token(
    "harness-api-key",
    "Harness API key",
    ["pat.", "sat."],
    "(?:pat|sat)\\.[\\w\\-]{22}\\.[\\w]{24}\\.[\\w]{20}",
  ),
  token("databricks-api-token", "Databricks token", ["dapi"], "dapi[a-fA-F0-9]{32}(?:-\\d)?"),
  token(
    "clickhouse-cloud-api-secret-key",
    "ClickHouse Cloud API secret",
    ["4b1d"],
    "4b1d[A-Za-z0-9]{38}",
    // Its prefix is hex: in hex (a commit's name, a digest; requests' values joined, or
    // turned around) it comes about once in 65,536 places. Its body is drawn from 62
    // characters, and 38 of them all hex digits come once in 10^17 keys.
    { check: (secret) => !/^[0-9a-f]+$/i.test(secret) },
  ),
  token(
    "planetscale-token",
    "PlanetScale token",
    ["pscale_"],
    "pscale_(?:tkn|oauth|pw)_[\\w=.\\-]{32,64}",
  ),
  // --- Code hosts, CI and registries -----------------------------------------------
  token(
    "github-token",
    "GitHub token",
    ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    "gh[pousr]_[A-Za-z0-9]{36}",
  ),
  token(
    "github-app-installation-token",
    "GitHub app installation token",
    ["ghs_"],
    "ghs_\\d+_eyJ[\\w\\-]+\\.[\\w\\-]+\\.[\\w\\-]+",
  ),
  token(
    "github-fine-grained-token",
    "GitHub fine-grained token",
    ["github_pat_"],
    "github_pat_\\w{82}",
  ),
  token(
    "gitlab-token",
    "GitLab token",
    [
      "glpat-",
      "glcbt-",
      "gldt-",
      "glffct-",
      "glft-",
      "glimt-",
      "glagent-",
      "gloas-",
      "glptt-",
      "glrt-",
      "glsoat-",
    ],
    // A routable token first: without an edge after it, the short form would match its start.
    "glpat-[\\w\\-]{27,300}\\.[0-9a-z]{2}[0-9a-z]{7}|glpat-[\\w\\-]{20}|glcbt-[0-9a-zA-Z]{1,5}_[\\w\\-]{20}|gldt-[\\w\\-]{20}|glffct-[\\w\\-]{20}|glft-[\\w\\-]{20}|glimt-[\\w\\-]{25}|glagent-[\\w\\-]{50}|gloas-[\\w\\-]{64}|glptt-[0-9a-f]{40}|glrt-(?:t\\d_)?[\\w\\-]{20,27}(?:\\.[0-9a-z]{9})?|glsoat-[\\w\\-]{20}",
  ),
  // A runner registration token's prefix is letters and digits: it keeps both edges.
  token(
    "gitlab-runner-registration-token",
    "GitLab runner registration token",
    ["gr1348941"],
    "GR1348941[\\w\\-]{20}",
  ),
  {
    id: "gitlab-session-cookie",
    description: "GitLab session cookie",
    kind: "token",
    keywords: ["_gitlab_session"],
    pattern: /_gitlab_session=([0-9a-z]{32})/g,
    window: { before: 0, after: 60 },
  },
  token("bitbucket-app-password", "Bitbucket app password", ["atbb"], "ATBB[a-zA-Z0-9_=.\\-]{32}"),
  named("bitbucket-client-id", "Bitbucket client ID", ["bitbucket"], "[a-z0-9]{32}"),
  named("bitbucket-client-secret", "Bitbucket client secret", ["bitbucket"], "[a-z0-9=_\\-]{64}"),
  token("atlassian-api-token", "Atlassian API token", ["atatt3"], "ATATT3[A-Za-z0-9_\\-=]{186}"),
  named(
    "atlassian-api-token-legacy",
    "Atlassian API token",
    ["atlassian", "confluence", "jira"],
    "[a-zA-Z0-9]{24}",
    { entropy: 3.5 },
  ),
  token("npm-access-token", "npm access token", ["npm_"], "npm_[a-zA-Z0-9]{36}"),
  token(
    "pypi-upload-token",
    "PyPI upload token",
    // Its prefix's head (the rest is the pattern's to read): each character of a keyword
    // is a state of the survey's table (see `SHARED` in keywords.ts).
    ["pypi-agei"],
    "pypi-AgEIcHlwaS5vcmc[\\w\\-]{50,}",
  ),
  token("rubygems-api-token", "RubyGems API token", ["rubygems_"], "rubygems_[a-f0-9]{48}"),
  token("crates-io-api-token", "crates.io API token", ["cio"], "cio[a-zA-Z0-9]{32}"),
  token("nuget-api-key", "NuGet API key", ["oy2"], "oy2[a-z0-9]{43}"),
  token("clojars-api-token", "Clojars API token", ["clojars_"], "CLOJARS_[a-z0-9]{60}", {
    flags: "gi",
  }),
  token(
    "docker-pat",
    "Docker personal access token",
    ["dckr_pat_", "dckr_oat_"],
    "dckr_(?:pat|oat)_[\\w\\-]{27,}",
  ),
  token(
    "artifactory-api-key",
    "Artifactory API key",
    ["akcp"],
    "AKCp[A-Za-z0-9]{69}",
    { entropy: 3 },
  ),
  token(
    "artifactory-reference-token",
    "Artifactory reference token",
    ["cmvmd"],
    "cmVmd[A-Za-z0-9]{59}",
    { entropy: 3 },
  ),
  named(
    "jfrog-api-key",
    "JFrog API key",
    ["jfrog", "artifactory", "bintray", "xray"],
    "[a-z0-9]{73}",
  ),
  named(
    "jfrog-identity-token",
    "JFrog identity token",
    ["jfrog", "artifactory", "bintray", "xray"],
    "[a-z0-9]{64}",
  ),
  named("travisci-access-token", "Travis CI token", ["travis"], "[a-z0-9]{22}"),
  named("confluent-access-token", "Confluent access key", ["confluent"], "[a-z0-9]{16}"),
  named("confluent-secret-key", "Confluent secret", ["confluent"], "[a-z0-9]{64}"),
  named(
    "dropbox-api-token",
    "Dropbox token",
    ["dropbox"],
    "[a-z0-9]{15}|sl\\.[a-z0-9\\-=_]{135}|[a-z0-9]{11}AAAAAAAAAA[a-z0-9\\-_=]{43}",
  ),
  named("droneci-access-token", "Drone CI token", ["droneci", "drone"], "[a-z0-9]{32}"),
  named("codecov-access-token", "Codecov token", ["codecov"], "[a-z0-9]{32}"),
  named("sonar-api-token", "SonarQube token", ["sonar"], "(?:squ_|sqp_|sqa_)?[a-z0-9=_\\-]{40}", {
    entropy: 2.8,
  }),
  token(
    "sourcegraph-access-token",
    "Sourcegraph token",
    ["sgp_"],
    "sgp_(?:[a-fA-F0-9]{16}|local)_[a-fA-F0-9]{40}|sgp_[a-fA-F0-9]{40}",
    {
      entropy: 3,
    },
  ),
  named("sourcegraph-legacy-token", "Sourcegraph token", ["sourcegraph"], "[a-fA-F0-9]{40}"),
  // Its prefix is a word, which starts ids (`notion.site/API-<hex>`): both edges stay.
  token("octopus-deploy-api-key", "Octopus Deploy API key", ["api-"], "API-[A-Z0-9]{26}", {
    entropy: 3,
    edges: [true, true],
  }),
  token("buildkite-token", "Buildkite token", ["bkua_"], "bkua_[a-f0-9]{40}"),
  token("circleci-token", "CircleCI token", ["ccipat_"], "CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}"),
  token("figma-token", "Figma token", ["figd_"], "figd_[\\w\\-]{40,}"),
  {
    id: "tailscale-key",
    description: "Tailscale key",
    kind: "token",
    keywords: ["tskey-"],
    pattern: /(?<![A-Za-z](?<!\\[nrtbf]))tskey-[a-z]+-[A-Za-z0-9]{6,}-[A-Za-z0-9]{16,}/g,
    placeholders: true,
    window: { before: 0, after: 200 },
  },
  token(
    "vercel-token",
    "Vercel token",
    ["vcp_", "vci_", "vca_", "vcr_", "vck_"],
    "vc[picrk]_[A-Za-z0-9]{24,80}",
  ),
  token(
    "linear-api-key",
    "Linear API key",
    ["lin_api_"],
    "lin_api_[a-zA-Z0-9]{40}",
  ),
  named("linear-client-secret", "Linear client secret", ["linear"], HEX32),
  token("notion-token", "Notion token", ["ntn_"], "ntn_[0-9]{11}[A-Za-z0-9]{32}[A-Za-z0-9]{3}"),
  named("notion-legacy-token", "Notion token", ["notion"], "secret_[A-Za-z0-9]{43}"),
  token("postman-api-token", "Postman API key", ["pmak-"], "PMAK-[a-f0-9]{24}-[a-f0-9]{34}", {
    flags: "gi",
  }),
  token("prefect-api-token", "Prefect API key", ["pnu_"], "pnu_[a-z0-9]{36}", { flags: "gi" }),
  token("readme-api-token", "ReadMe API key", ["rdme_"], "rdme_[a-z0-9]{70}", { flags: "gi" }),
  token("typeform-api-token", "Typeform token", ["tfp_"], "tfp_[a-z0-9\\-_.=]{59}", {
    flags: "gi",
  }),
  token("frameio-api-token", "Frame.io token", ["fio-u-"], "fio-u-[\\w\\-=]{64}", {
    flags: "gi",
  }),
  // Its prefix is a file's extension, which a hash follows (`favicon.ico-<md5>`): a key
  // is drawn from both cases and digits, and 32 of them all hex digits in small letters
  // (an MD5) are one in 10^19 keys.
  token("infracost-api-token", "Infracost API key", ["ico-"], "ico-[a-zA-Z0-9]{32}", {
    entropy: 3,
    edges: [true, true],
    check: (s) => !/^ico-[0-9a-f]{32}$/.test(s),
  }),
  token(
    "defined-networking-api-token",
    "Defined Networking API token",
    ["dnkey-"],
    "dnkey-[a-z0-9=_\\-]{26}-[a-z0-9=_\\-]{52}",
  ),
  token("grafana-api-key", "Grafana API key", ["eyjrijoi"], "eyJrIjoi[A-Za-z0-9]{70,400}={0,2}"),
  token(
    "grafana-cloud-api-token",
    "Grafana Cloud token",
    ["glc_"],
    "glc_[A-Za-z0-9+/]{32,400}={0,2}",
    {
      entropy: 3,
    },
  ),
  token(
    "grafana-service-account-token",
    "Grafana service account token",
    ["glsa_"],
    "glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
  ),
  token(
    "sentry-org-token",
    "Sentry organization token",
    ["sntrys_"],
    "sntrys_eyJpYXQiO[A-Za-z0-9+/]{10,400}={0,2}_[A-Za-z0-9+/]{43}",
    {
      after: 1000,
    },
  ),
  token("sentry-user-token", "Sentry user token", ["sntryu_"], "sntryu_[a-f0-9]{64}"),
  named("sentry-access-token", "Sentry token", ["sentry"], "[a-f0-9]{64}"),
  token(
    "new-relic-key",
    "New Relic key",
    ["nrak-", "nrjs-", "nrii-"],
    "NRAK-[a-z0-9]{27}|NRJS-[a-f0-9]{19}|NRII-[a-z0-9\\-]{32}",
    { flags: "gi" },
  ),
  named(
    "new-relic-user-api-id",
    "New Relic user API ID",
    ["new-relic", "newrelic", "new_relic"],
    "[a-z0-9]{64}",
  ),
  named("datadog-access-token", "Datadog token", ["datadog"], "[a-z0-9]{40}"),
  token(
    "dynatrace-api-token",
    "Dynatrace API token",
    ["dt0c01."],
    "dt0c01\\.[a-z0-9]{24}\\.[a-z0-9]{64}",
    {
      flags: "gi",
    },
  ),
  named("launchdarkly-access-token", "LaunchDarkly token", ["launchdarkly"], "[a-z0-9=_\\-]{40}"),
  named("netlify-access-token", "Netlify token", ["netlify"], "[a-z0-9=_\\-]{40,46}"),
  named("snyk-api-token", "Snyk token", ["snyk"], UUID, { entropy: 2.5 }),
  // --- AI providers -------------------------------------------------------------------
  token(
    "anthropic-api-key",
    "Anthropic API key",
    ["sk-ant-api03-", "sk-ant-admin01-"],
    "sk-ant-(?:api03|admin01)-[\\w\\-]{93}AA",
  ),
  token(
    "anthropic-oauth-token",
    "Anthropic OAuth token",
    ["sk-ant-oat01-", "sk-ant-ort01-"],
    "sk-ant-o[ar]t01-[\\w\\-]{40,}",
  ),
  token(
    "openai-api-key",
    "OpenAI API key",
    ["t3blbkfj"],
    "sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_\\-]{20,74}T3BlbkFJ[A-Za-z0-9_\\-]{20,74}",
    // Its prefix is `sk-`, though the rule runs near its mark inside the body.
    { before: 90, edges: [true, false] },
  ),
  named("cohere-api-token", "Cohere API key", ["cohere", "co_api_key"], "[a-zA-Z0-9]{40}", {
    entropy: 4,
  }),
  token("perplexity-api-key", "Perplexity API key", ["pplx-"], "pplx-[a-zA-Z0-9]{48}"),
  token("groq-api-key", "Groq API key", ["gsk_"], "gsk_[a-zA-Z0-9]{52}"),
  token("huggingface-access-token", "Hugging Face token", ["hf_"], "hf_[a-zA-Z]{34}"),
  token(
    "huggingface-organization-api-token",
    "Hugging Face organization token",
    ["api_org_"],
    "api_org_[a-zA-Z]{34}",
  ),
  token("xai-api-key", "xAI API key", ["xai-"], "xai-[a-zA-Z0-9]{80}"),
  token("replicate-api-token", "Replicate API token", ["r8_"], "r8_[a-zA-Z0-9]{37}"),
  token("openrouter-api-key", "OpenRouter API key", ["sk-or-v1-"], "sk-or-v1-[a-f0-9]{64}"),
  token("nvidia-api-key", "NVIDIA API key", ["nvapi-"], "nvapi-[A-Za-z0-9_\\-]{64}"),
  // `sk-` and 32 hex digits: DeepSeek's keys (others' `sk-` keys are longer or not hex).
  token("deepseek-api-key", "DeepSeek API key", ["sk-"], "sk-[a-f0-9]{32}"),
  token("fireworks-api-key", "Fireworks AI API key", ["fw_"], "fw_[A-Za-z0-9]{24}"),
  token(
    "langsmith-api-key",
    "LangSmith API key",
    ["lsv2_pt_", "lsv2_sk_"],
    "lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}",
  ),
  token(
    "pinecone-api-key",
    "Pinecone API key",
    ["pcsk_"],
    "pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{40,80}",
  ),
  token("tavily-api-key", "Tavily API key", ["tvly-"], "tvly-(?:dev-|prod-)?[A-Za-z0-9]{32}"),
  token("firecrawl-api-key", "Firecrawl API key", ["fc-"], "fc-[a-f0-9]{32}"),
  token("langfuse-secret-key", "Langfuse secret key", ["sk-lf-"], `sk-lf-${UUID}`),
  token("e2b-api-key", "E2B API key", ["e2b_"], "e2b_[a-f0-9]{40}"),
  token("cerebras-api-key", "Cerebras API key", ["csk-"], "csk-[a-z0-9]{40,56}"),
  token("jina-api-key", "Jina AI API key", ["jina_"], "jina_[A-Za-z0-9_\\-]{40,80}"),
  // Random, not a slug that starts with `pa-` (`pa-announces-new-...`).
  token("voyage-api-key", "Voyage AI API key", ["pa-"], "pa-[A-Za-z0-9_\\-]{40,48}", {
    check: (s) => /[A-Z]/.test(s) && /[0-9]/.test(s),
  }),
  token("elevenlabs-api-key", "ElevenLabs API key", ["sk_"], "sk_[a-f0-9]{48}"),
  token("together-api-key", "Together AI API key", ["tgp_v1_"], "tgp_v1_[A-Za-z0-9_\\-]{40,64}"),
  token(
    "browserbase-api-key",
    "Browserbase API key",
    ["bb_live_", "bb_test_"],
    "bb_(?:live|test)_[A-Za-z0-9_\\-]{24,40}",
  ),
  named(
    "privateai-api-token",
    "Private AI API key",
    ["privateai", "private_ai", "private-ai"],
    "[a-z0-9]{32}",
  ),
  // --- Chat and collaboration ---------------------------------------------------------
  token(
    "slack-token",
    "Slack token",
    ["xoxb-", "xoxp-", "xoxe-", "xoxo-", "xoxs-"],
    "xoxb-[0-9]{8,14}-[0-9]{8,14}(?:-[a-zA-Z0-9]{18,34})?|xoxb-[0-9]{8,14}-[a-zA-Z0-9]{18,26}|xox[pe]-[0-9]{8,14}-[0-9]{8,14}-[0-9]{8,14}-[a-zA-Z0-9]{28,34}|xox[os]-[0-9]+-[0-9]+-[0-9]+-[a-fA-F0-9]+",
    { entropy: 2.5 },
  ),
  token(
    "slack-workspace-token",
    "Slack workspace token",
    ["xoxa-", "xoxr-"],
    "xox[ar]-(?:\\d-)?[0-9a-zA-Z]{8,48}(?:-[0-9a-zA-Z]{8,48})*",
    { entropy: 2 },
  ),
  token(
    "slack-config-token",
    "Slack configuration token",
    // With the mark after it: a prefix with a separator is read in pieces from there.
    ["xoxe.", "xoxe-"],
    "xoxe\\.xox[bp]-\\d-[A-Za-z0-9]{100,300}|xoxe-\\d-[A-Za-z0-9]{100,300}",
    { after: 800 },
  ),
  token("slack-app-token", "Slack app token", ["xapp-"], "xapp-\\d-[A-Z0-9]+-\\d+-[a-z0-9]+", {
    flags: "gi",
  }),
  token(
    "discord-webhook",
    "Discord webhook URL",
    ["/api/webhooks/"],
    "https://(?:ptb\\.|canary\\.)?discord(?:app)?\\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_\\-]{60,68}",
    { before: 40 },
  ),
  {
    id: "slack-webhook",
    description: "Slack webhook URL",
    kind: "token",
    keywords: ["hooks.slack.com"],
    pattern:
      /hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9+/]{43,56}|T[A-Za-z0-9_]+\/B[A-Za-z0-9_]+\/[A-Za-z0-9_]{20,})/g,
    window: { before: 0, after: 200 },
  },
  {
    id: "microsoft-teams-webhook",
    description: "Microsoft Teams webhook URL",
    kind: "token",
    keywords: ["webhook.office.com"],
    pattern:
      /https:\/\/[a-z0-9]+\.webhook\.office\.com\/webhookb2\/([a-z0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12}@[a-z0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12}\/IncomingWebhook\/[a-z0-9]{32}\/[a-z0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12})/g,
    window: { before: 40, after: 300 },
  },
  named("discord-api-token", "Discord token", ["discord"], "[a-f0-9]{64}"),
  named("discord-client-id", "Discord client ID", ["discord"], "[0-9]{18}", { entropy: 2.5 }),
  named("discord-client-secret", "Discord client secret", ["discord"], "[a-z0-9=_\\-]{32}"),
  named(
    "telegram-bot-token",
    "Telegram bot token",
    ["telegram", "tgbot", "tg_bot", "bot_token"],
    "[0-9]{5,16}:A[a-zA-Z0-9_\\-]{34}",
    { claims: /[0-9]+:A[a-zA-Z0-9_\-]{20,}$/ },
  ),
  named("mattermost-access-token", "Mattermost token", ["mattermost"], "[a-z0-9]{26}"),
  named("gitter-access-token", "Gitter token", ["gitter"], "[a-z0-9_\\-]{40}"),
  named("intercom-api-key", "Intercom token", ["intercom"], "[a-z0-9=_\\-]{60}"),
  named("zendesk-secret-key", "Zendesk secret", ["zendesk"], "[a-z0-9]{40}"),
  named("asana-client-id", "Asana client ID", ["asana"], "[0-9]{16}", { entropy: 2.5 }),
  named("asana-client-secret", "Asana client secret", ["asana"], "[a-z0-9]{32}"),
  named("airtable-api-key", "Airtable API key", ["airtable"], "[a-z0-9]{17}"),
  token(
    "airtable-pat",
    "Airtable personal access token",
    ["pat"],
    "pat[A-Za-z0-9]{14}\\.[a-f0-9]{64}",
    {
      after: 120,
    },
  ),
  named("beamer-api-token", "Beamer token", ["beamer"], "b_[a-z0-9=_\\-]{44}"),
  named("etsy-access-token", "Etsy token", ["etsy"], "[a-z0-9]{24}", {
    check: (s) => /\d/.test(s),
  }),
  named("linkedin-client-id", "LinkedIn client ID", ["linkedin", "linked-in"], "[a-z0-9]{14}"),
  named(
    "linkedin-client-secret",
    "LinkedIn client secret",
    ["linkedin", "linked-in"],
    "[a-z0-9]{16}",
  ),
  named("looker-client-id", "Looker client ID", ["looker"], "[a-z0-9]{20}"),
  named("looker-client-secret", "Looker client secret", ["looker"], "[a-z0-9]{24}"),
  named("messagebird-api-token", "MessageBird token", [
    "messagebird",
    "message-bird",
    "message_bird",
  ], "[a-z0-9]{25}"),
  named(
    "messagebird-client-id",
    "MessageBird client ID",
    ["messagebird", "message-bird", "message_bird"],
    UUID,
    {
      entropy: 2.5,
    },
  ),
  named("sendbird-access-id", "Sendbird app ID", ["sendbird"], UUID, { entropy: 2.5 }),
  named("sendbird-access-token", "Sendbird token", ["sendbird"], "[a-f0-9]{40}"),
  named("twitch-api-token", "Twitch token", ["twitch"], "[a-z0-9]{30}"),
  named("twitter-api-key", "Twitter API key", ["twitter"], "[a-z0-9]{25}"),
  named("twitter-api-secret", "Twitter API secret", ["twitter"], "[a-z0-9]{50}"),
  named(
    "twitter-access-token",
    "Twitter access token",
    ["twitter"],
    "[0-9]{15,25}-[a-zA-Z0-9]{20,40}",
  ),
  named("twitter-access-secret", "Twitter access secret", ["twitter"], "[a-z0-9]{45}"),
  token(
    "twitter-bearer-token",
    "Twitter bearer token",
    ["aaaaaaaaaaaa"],
    "A{22}[a-zA-Z0-9%]{80,100}",
    {
      placeholders: true,
    },
  ),
  token(
    "facebook-page-access-token",
    "Facebook access token",
    ["eaam", "eaac"],
    "EAA[MC][a-zA-Z0-9]{100,}",
    {
      after: 600,
    },
  ),
  {
    id: "facebook-access-token",
    description: "Facebook access token",
    kind: "token",
    keywords: ["facebook"],
    pattern: /(?<![\w-](?<!\\[nrtbf]))(\d{15,16}(?:\||%7C)[0-9a-zA-Z\-_]{27,40})(?![\w-])/g,
    window: { before: 10, after: 200 },
  },
  named("facebook-secret", "Facebook app secret", ["facebook"], HEX32),
  named("flickr-access-token", "Flickr token", ["flickr"], "[a-z0-9]{32}"),
  named("nytimes-access-token", "New York Times token", [
    "nytimes",
    "new-york-times",
    "newyorktimes",
  ], "[a-z0-9=_\\-]{32}"),
  named("squarespace-access-token", "Squarespace token", ["squarespace"], UUID, { entropy: 2.5 }),
  named("rapidapi-access-token", "RapidAPI key", ["rapidapi"], "[a-z0-9_\\-]{50}"),
  named("adafruit-api-key", "Adafruit IO key", ["adafruit"], "[a-z0-9_\\-]{32}"),
  named("adobe-client-id", "Adobe client ID", ["adobe"], HEX32),
  token("adobe-client-secret", "Adobe client secret", ["p8e-"], "p8e-[a-z0-9]{32}", {
    flags: "gi",
  }),
  named("algolia-api-key", "Algolia API key", ["algolia"], "[a-z0-9]{32}"),
  named("cisco-meraki-api-key", "Cisco Meraki API key", ["meraki"], "[0-9a-f]{40}", {
    entropy: 3.5,
  }),
  named("contentful-delivery-api-token", "Contentful token", ["contentful"], "[a-z0-9=_\\-]{43}"),
  named("fastly-api-token", "Fastly token", ["fastly"], "[a-z0-9=_\\-]{32}"),
  named("freshbooks-access-token", "FreshBooks token", ["freshbooks"], "[a-z0-9]{64}"),
  named("hubspot-api-key", "HubSpot API key", ["hubspot"], UUID, { entropy: 2.5 }),
  named("mapbox-token-named", "Mapbox token", ["mapbox"], "pk\\.[a-z0-9]{60}\\.[a-z0-9]{22}"),
  token(
    "mapbox-secret-token",
    "Mapbox secret token",
    ["sk.ey"],
    "sk\\.eyJ[A-Za-z0-9_\\-]{20,}\\.[A-Za-z0-9_\\-]{20,}",
  ),
  named(
    "maxmind-license-key",
    "MaxMind license key",
    ["maxmind", "geoip"],
    "[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk",
  ),
  named("okta-access-token", "Okta API token", ["okta"], "00[\\w=\\-]{40}", { entropy: 4 }),
  named("zoho-token", "Zoho token", ["zoho"], "1000\\.[a-f0-9]{32}\\.[a-f0-9]{32}"),
  // --- Payments and commerce -----------------------------------------------------------
  token(
    "stripe-secret-key",
    "Stripe secret key",
    ["sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_"],
    "(?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{24,99}",
    { placeholders: true, check: (s) => !/x{5,}/i.test(s) },
  ),
  token(
    "stripe-webhook-secret",
    "Stripe webhook signing secret",
    ["whsec_"],
    "whsec_[A-Za-z0-9+/]{32,88}={0,2}",
  ),
  token("resend-api-key", "Resend API key", ["re_"], "re_[A-Za-z0-9]{8}_[A-Za-z0-9]{24}"),
  token("posthog-personal-api-key", "PostHog personal API key", ["phx_"], "phx_[A-Za-z0-9]{40,50}"),
  token(
    "square-access-token",
    "Square access token",
    ["eaaa", "sq0atp-", "sq0csp-"],
    "(?:EAAA|sq0atp-|sq0csp-)[\\w\\-]{22,60}",
    {
      entropy: 3.5,
    },
  ),
  token(
    "shopify-token",
    "Shopify token",
    ["shpat_", "shpca_", "shppa_", "shpss_"],
    "shp(?:at|ca|pa|ss)_[a-zA-Z0-9]{32,64}",
  ),
  token("shippo-api-token", "Shippo token", ["shippo_"], "shippo_(?:live|test)_[a-fA-F0-9]{40}"),
  token("easypost-api-token", "EasyPost API key", ["ezak", "eztk"], "EZ[AT]K[a-zA-Z0-9]{54}"),
  token(
    "flutterwave-key",
    "Flutterwave key",
    ["flwpubk_test-", "flwseck_test-", "flwpubk-", "flwseck-"],
    "FLW(?:PUBK|SECK)(?:_TEST)?-[a-h0-9]{32}-X|FLWSECK_TEST-[a-h0-9]{12}",
    { flags: "gi" },
  ),
  token("duffel-api-token", "Duffel token", ["duffel_"], "duffel_(?:test|live)_[a-z0-9_\\-=]{43}", {
    flags: "gi",
  }),
  named("gocardless-api-token", "GoCardless token", ["gocardless"], "live_[a-z0-9_=\\-]{40}"),
  named("plaid-client-id", "Plaid client ID", ["plaid"], "[a-z0-9]{24}"),
  named("plaid-secret-key", "Plaid secret", ["plaid"], "[a-z0-9]{30}"),
  token(
    "plaid-api-token",
    "Plaid access token",
    ["access-sandbox-", "access-development-", "access-production-"],
    `access-(?:sandbox|development|production)-${UUID}`,
    { entropy: 2.5 },
  ),
  named("finicity-api-token", "Finicity token", ["finicity"], HEX32),
  named("finicity-client-secret", "Finicity client secret", ["finicity"], "[a-z0-9]{20}"),
  named("finnhub-access-token", "Finnhub token", ["finnhub"], "[a-z0-9]{20}"),
  named("bittrex-key", "Bittrex key", ["bittrex"], "[a-z0-9]{32}"),
  named("coinbase-access-token", "Coinbase token", ["coinbase"], "[a-z0-9_\\-]{64}"),
  named("kraken-access-token", "Kraken token", ["kraken"], "[a-z0-9/=_+\\-]{80,90}"),
  named("kucoin-access-token", "KuCoin key", ["kucoin"], "[a-f0-9]{24}"),
  named("kucoin-secret-key", "KuCoin secret", ["kucoin"], UUID, { entropy: 2.5 }),
  named("lob-api-key", "Lob API key", ["lob"], "(?:live|test)_(?:pub_)?[a-f0-9]{31,35}"),
  // --- Mail and messaging --------------------------------------------------------------
  token(
    "sendgrid-api-token",
    "SendGrid API key",
    ["sg."],
    "SG\\.[\\w\\-=.]{16,32}\\.[\\w\\-=.]{16,64}|SG\\.[\\w\\-=.]{66}",
    {
      entropy: 3.5,
    },
  ),
  token(
    "sendinblue-api-token",
    "Sendinblue API key",
    ["xkeysib-"],
    "xkeysib-[a-f0-9]{64}-[a-z0-9]{16}",
    {
      flags: "gi",
    },
  ),
  // Its prefix is a word, which starts hashes (`cache-key-<sha256>`): both edges stay.
  token("mailgun-key", "Mailgun key", ["key-", "pubkey-"], "(?:pub)?key-[a-f0-9]{32}", {
    edges: [true, true],
  }),
  named(
    "mailgun-signing-key",
    "Mailgun signing key",
    ["mailgun"],
    "[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}",
  ),
  token("mailchimp-api-key", "Mailchimp API key", ["-us"], "[a-f0-9]{32}-us\\d{1,2}", {
    entropy: 3,
    before: 40,
  }),
  token("twilio-api-key", "Twilio API key", ["sk"], "SK[0-9a-fA-F]{32}", { entropy: 3.5 }),
  token(
    "postmark-token",
    "Postmark server token",
    ["postmark"],
    `(?<=postmark[\\w.\\-]{0,30}["'\\s:=]{1,5})${UUID}`,
    {
      flags: "gi",
      entropy: 2.5,
    },
  ),
  named("sumologic-access-id", "Sumo Logic access ID", ["sumo", "sumologic"], "su[a-zA-Z0-9]{12}", {
    check: (s) => /\d/.test(s) || /[A-Z]/.test(s.slice(2)),
  }),
  named("sumologic-access-token", "Sumo Logic access key", ["sumo", "sumologic"], "[a-z0-9]{64}"),
  // --- Keys, tokens and credentials by structure ------------------------------------
  {
    id: "private-key",
    description: "private key",
    kind: "token",
    keywords: ["-----begin"],
    // The body: base64, an encrypted key's headers (`Proc-Type: 4,ENCRYPTED`) and line
    // breaks, also escaped (`\n` in a JSON string; `\\n` in one inside another, as a
    // service account's file in a request): each character read one way only, so that a
    // body with no end is given up in one pass (a space read either as a separator or as a
    // header's had made `-----BEGIN ... KEY-----` and forty words take minutes).
    // No run of five dashes inside it: a header with no end is given up at the next one,
    // not read on to the window's end (a header every 32 characters made that quadratic:
    // 128 KiB of them 2.6 s). OpenVPN's static key (`tls-auth`, `secret`) is written so too,
    // in hex.
    pattern:
      /-----BEGIN[ A-Z0-9_-]{0,100}(?:PRIVATE KEY(?: BLOCK)?|OpenVPN Static key V\d)-----((?:[A-Za-z0-9+/=:,]|-(?!----)|\s|\\{1,16}[rn])*?)-----END[ A-Z0-9_-]{0,100}(?:PRIVATE KEY(?: BLOCK)?|OpenVPN Static key V\d)-----/g,
    placeholders: true,
    check: (body) => (body.match(/[A-Za-z0-9+/]/g)?.length ?? 0) >= 64,
    window: { before: 0, after: 32_768 },
  },
  {
    // A JSON Web Key with its private member (`"d"`: an EC or OKP key's scalar, an RSA key's
    // private exponent), near its `kty` in either order (WebCrypto writes `kty` first,
    // others sort the members). A public key has no `d`. The `d` comes first and what
    // may precede it is looked behind for: a pattern opening with a lookbehind and an
    // optional quote is tried at every place of its window (six times as slow over the
    // base64 of an image, where `kty` in any case is found some thirty times a MiB).
    id: "jwk-private-key",
    description: "private key as a JSON Web Key",
    kind: "structure",
    keywords: ["kty"],
    pattern:
      /d(?<=(?<![\w$](?<!\\[nrtbf]))(?:\\{0,16}["'])?d)(?:\\{0,16}["'])?\s*:\s*\\{0,16}["']([A-Za-z0-9_\-]{32,1024})\\{0,16}["']/g,
    entropy: 3.5,
    window: { before: 2_000, after: 2_000 },
  },
  {
    // PuTTY's own key file (`.ppk`, versions 2 and 3): its private part is base64 lines
    // after `Private-Lines:` (encrypted or not, as a PEM key is found either way).
    id: "putty-private-key",
    description: "PuTTY private key",
    kind: "token",
    keywords: ["putty-user-key-file-"],
    pattern:
      /PuTTY-User-Key-File-[23]:[^\r\n\\]{0,200}(?:\r?\n|\\{1,16}(?:r\\{1,16})?n)(?:[^\r\n\\]{0,400}(?:\r?\n|\\{1,16}(?:r\\{1,16})?n)){0,40}?Private-Lines:[ \t]*\d+[ \t]*(?:\r?\n|\\{1,16}(?:r\\{1,16})?n)((?:[A-Za-z0-9+/=]+(?:\r?\n|\\{1,16}(?:r\\{1,16})?n|$)){1,200})/g,
    check: (body) => (body.match(/[A-Za-z0-9+/]/g)?.length ?? 0) >= 40,
    window: { before: 0, after: 8_192 },
  },
  {
    id: "private-key-header",
    description: "private key",
    kind: "structure",
    keywords: ["-----begin"],
    // A key block cut short (a diff, a log line) still names itself.
    pattern:
      /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:\s|\\{1,16}[rn])*([A-Za-z0-9+/]{40,})/g,
    entropy: 3.5,
    window: { before: 0, after: 400 },
  },
  token(
    "age-secret-key",
    "age secret key",
    ["age-secret-key-1"],
    "AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
    { placeholders: true },
  ),
  token(
    "1password-secret-key",
    "1Password secret key",
    ["a3-"],
    "A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}",
    { check: (s) => !/X{4}/.test(s) },
  ),
  token(
    "1password-service-account-token",
    "1Password service account token",
    ["ops_eyj"],
    "ops_eyJ[a-zA-Z0-9+/]{250,}={0,3}",
    { after: 4000 },
  ),
  token(
    "authress-service-client-access-key",
    "Authress access key",
    ["acc_", "acc-"],
    "(?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\\.[a-z0-9]{4,6}\\.acc[_-][a-z0-9\\-]{10,32}\\.[a-z0-9+/_=\\-]{30,120}",
    { flags: "gi" },
  ),
  token(
    "intra42-client-secret",
    "42 Intra client secret",
    ["s-s4t2"],
    "s-s4t2(?:ud|af)-[a-f0-9]{64}",
  ),
  token(
    "settlemint-token",
    "SettleMint token",
    ["sm_aat_", "sm_pat_", "sm_sat_"],
    "sm_[aps]at_[a-zA-Z0-9]{16}",
  ),
  {
    id: "jwt",
    description: "JSON Web Token",
    kind: "token",
    keywords: ["eyj"],
    // A backslash only before a slash, which JSON may escape (`\/`, `\\\/` a level deeper):
    // others start an escape after the token (`\\n`, a line break escaped twice).
    pattern:
      /(?<![\w-](?<!\\[nrtbf]))(ey[a-zA-Z0-9_-]{10,}\.ey(?:[a-zA-Z0-9/_-]|\\+\/){17,}\.(?:(?:[a-zA-Z0-9/_-]|\\+\/){10,}={0,2})?)(?![\w-])/g,
    entropy: 3,
    window: { before: 2, after: 4000 },
  },
  named(
    "sidekiq-secret",
    "Sidekiq Enterprise credentials",
    ["bundle_"],
    "[a-f0-9]{8}:[a-f0-9]{8}",
    {
      entropy: 2.5,
      placeholders: true,
      anyValue: true,
      names: ["bundle_enterprise__contribsys__com", "bundle_gems__contribsys__com"],
    },
  ),
  {
    id: "sidekiq-sensitive-url",
    description: "Sidekiq Enterprise credentials in a URL",
    kind: "structure",
    keywords: ["contribsys.com"],
    pattern: /https?:\/\/([a-f0-9]{8}:[a-f0-9]{8})@(?:gems|enterprise)\.contribsys\.com/gi,
    placeholders: true,
    window: { before: 40, after: 20 },
  },
  {
    id: "url-password",
    description: "password in a URL",
    kind: "structure",
    keywords: ["://"],
    // From the `://`, the scheme read back: tried where the keyword is, not at every
    // word of a window.
    pattern:
      /(?<=\b[a-z][a-z0-9+.\-]{1,20}):\/\/[^\s/:@'"`<>]{0,100}:([^\s/:@'"`<>$]{3,100})@[A-Za-z0-9.\-]+/gi,
    anchored: true,
    // The user may be left out (Redis's `redis://:password@host`). A password of one
    // repeated character, or a word that names the field, is a stand-in.
    entropy: 1.5,
    shownValues: true,
    check: (password) =>
      password.length >= 4 && !/[{}[\]%]/.test(password) &&
      !/passw(?:or)?d|^(?:pwd|secret|\*+|x+|changeme)$/i.test(password),
    checkMatch: (m) => {
      // Identical user and password are a default, not a secret (postgres:postgres).
      const auth = /:\/\/([^:/@]*):([^@]+)@/.exec(m[0]);
      if (auth && auth[1] === auth[2]) return false;
      // `pass` in a database URL is the field's name, as every driver's documentation
      // writes it (`postgres://user:pass@localhost/db`).
      const scheme = /[a-z][a-z0-9+.\-]*$/i.exec(m.input.slice(Math.max(0, m.index - 21), m.index));
      return !(auth?.[2] === "pass" && scheme && DATABASE_SCHEME.test(scheme[0]));
    },
    window: { before: 30, after: 300 },
  },
  {
    id: "secret-argument",
    description: "secret after a command's flag or a .netrc password",
    kind: "structure",
    keywords: [
      "--",
      "login",
      "sshpass",
      "storepass",
      "keypass",
      "redis-cli",
      "pass",
      "openssl",
      "zip",
      "sqlcmd",
      "smbclient",
      "lftp",
      "rabbitmqctl",
      "rabbitmqadmin",
      "ldap",
      "mongo",
      "psexec",
      "schtasks",
      "/user:",
    ],
    // A value after a space, where a name alone says what follows: a long flag
    // (`--password X`, `--db-token X`, `--api-key X`, `--private-key X`, not
    // `--password-file X`), a .netrc's `login me password X` (on one line, or each word
    // on a line of its own), a registry login's `-p X` (`docker login -u me -p X`),
    // `sshpass -p X`, keytool's `-storepass X` and `-keypass X`, `redis-cli -a X`,
    // `gh secret set NAME --body X`, `htpasswd -b FILE USER X`, `openssl passwd -6 X`,
    // `openssl enc -k X`, `zip -P X`, `unzip -P X`, `sqlcmd -P X`, OpenLDAP's
    // `ldapsearch -w X`, MongoDB's `mongosh -p X`, `rabbitmqadmin -p X`, a long flag after
    // one dash (`influx -password X`), and glued on: `sshpass -pX`, `ldapadd -wX`,
    // `smbclient -U user%X`, `lftp -u user,X`, sshpass's `SSHPASS=X`, macOS's `security
    // add-generic-password -a me -s svc -w X` (tried at its `pass`); a user's password
    // after the user's name (`rabbitmqctl add_user NAME X`, `change_password NAME X`, and
    // Windows' `net use \\srv\share /user:DOMAIN\me X`, tried at `/user:`); Windows'
    // `psexec \\host -u me -p X` and `schtasks /create ... /ru me /rp X`, in any case. Not
    // 7-Zip's `-pX`: `7z` as a keyword, met in base64 every 4,096 characters, cost a scan of
    // an image 5%.
    pattern: new RegExp(
      String
        .raw`(?:(?<![\w-](?<!\\[nrtbf]))--[a-z0-9-]{0,40}?(?:password|passwd|pass|passphrase|token|secret|key|auth|authorization|credentials?)|(?<!\w(?<!\\[nrtbf]))login(?:[ \t]|\r?\n|\\{1,16}[nrt])+[^\s\\]+(?:[ \t]|\r?\n|\\{1,16}[nrt])+password|(?<!\w(?<!\\[nrtbf]))login(?=[ \t])[^\n|;&]{0,100}?[ \t]-p|(?<!\w(?<!\\[nrtbf]))sshpass[ \t]+-p|(?<=(?<![\w-](?<!\\[nrtbf]))-(?:src|dest)?)(?:store|key)pass|(?<!\w(?<!\\[nrtbf]))redis-cli(?=[ \t])[^\n|;&]{0,100}?[ \t]-a|(?<=(?<!\w(?<!\\[nrtbf]))secret[ \t]{1,4}set[ \t]{1,4}[\w-]{1,64}[ \t]{1,4})--body|(?<=(?<!\w(?<!\\[nrtbf]))ht)passwd[ \t]+-[a-zA-Z]*b[a-zA-Z]*(?:[ \t]+-[a-zA-Z]+)*(?:[ \t]+[^\s-]\S{0,200}){1,2}|(?<=(?<!\w(?<!\\[nrtbf]))openssl[ \t]{1,4})passwd(?:[ \t]+-[\w-]+(?:[ \t]+(?![-"'])\S+)?)*?|(?<!\w(?<!\\[nrtbf]))openssl(?=[ \t])[^\n|;&]{0,100}?[ \t]-k|(?<!\w(?<!\\[nrtbf]))(?:zip|sqlcmd)(?=[ \t])[^\n|;&]{0,100}?[ \t]-P|(?<=(?<!\w(?<!\\[nrtbf]))un)zip(?=[ \t])[^\n|;&]{0,100}?[ \t]-P|(?<!\w(?<!\\[nrtbf]))ldap[a-z]{2,8}(?=[ \t])[^\n|;&]{0,100}?[ \t]-w|(?<!\w(?<!\\[nrtbf]))(?:mongo(?:sh|dump|restore|export|import|files|stat|top)?|rabbitmqadmin)(?=[ \t])[^\n|;&]{0,100}?[ \t]-p|(?<=(?<![\w-](?<!\\[nrtbf]))-)pass(?:word|wd|phrase)(?=[ \t])|(?<=(?<!\w(?<!\\[nrtbf]))security[ \t]{1,4}add-(?:generic|internet)-)password(?=[ \t])[^\n|;&]{0,200}?[ \t]-w|(?<!\w(?<!\\[nrtbf]))smbclient(?=[ \t])[^\n|;&]{0,100}?[ \t]-U[ \t]*[^\s%]{1,64}%|(?<!\w(?<!\\[nrtbf]))lftp(?=[ \t])[^\n|;&]{0,100}?[ \t]-u[ \t]*[^\s,]{1,64},|(?<!\w(?<!\\[nrtbf]))SSHPASS=|(?<!\w(?<!\\[nrtbf]))rabbitmqctl(?=[ \t])[^\n|;&]{0,100}?[ \t](?:add_user|change_password)[ \t]+[^\s"'\\|;&]{1,64}|(?<!\w(?<!\\[nrtbf]))(?i:psexec)(?:64)?(?:\.exe)?(?=[ \t])[^\n|;&]{0,100}?[ \t]-p|(?<!\w(?<!\\[nrtbf]))(?i:schtasks)(?:\.exe)?(?=[ \t])[^\n|;&]{0,200}?[ \t]\/(?i:rp)|(?<=(?<!\w(?<!\\[nrtbf]))(?i:net)[ \t]{1,8}(?i:use)[ \t][^\n|;&]{0,200}?[ \t])\/(?i:user):[^\s"'|;&\/]{1,100}(?=[ \t]{1,8}[^\s\/]))(?:[ \t]+|(?<=[ \t]-[pw]|SSHPASS=|%|,)(?=[^\s-]))${COMMAND_VALUE}`,
      "g",
    ),
    group: 2,
    entropy: 2.5,
    check: (s) =>
      entropy(s) >= (/^[0-9a-f]+$/i.test(s) ? hexFloor(Math.max(20, s.length)) : 3) &&
      commandValue(s, true) && looksRandom(s),
    // A flag naming something else's key (`--public-key`, `--sort-key`, `--primary-key`).
    checkMatch: (m) =>
      shellLiteral(m) &&
      (!m[0].startsWith("--") || secretName(/^--([a-z0-9-]+)/.exec(m[0])![1]!)),
    // Before: what a match's lookbehind reads before its keyword (`security add-generic-`,
    // `net use \\srv\share `).
    window: { before: 240, after: 240 },
    // Tried only where a flag or a login starts (a window around every "token" in
    // source code cost the scan a twentieth, an anchor at every "env" a twenty-fifth).
    anchored: true,
  },
  {
    // An SSH key's passphrase on ssh-keygen's command line (`ssh-keygen -t ed25519 -N X -f
    // key`, and the old one, `-p -P X -N Y`): tried at `keygen` (at every `key`, a keyword
    // the survey reads already, it had cost a scan of source code 1.3%).
    id: "ssh-keygen-passphrase",
    description: "passphrase on ssh-keygen's command line",
    kind: "structure",
    keywords: ["keygen"],
    pattern: new RegExp(
      String
        .raw`(?<=(?<![\w-](?<!\\[nrtbf]))ssh-)keygen(?=[ \t])[^\n|;&]{0,100}?[ \t]-[NP][ \t]*${COMMAND_VALUE}`,
      "g",
    ),
    group: 2,
    entropy: 3,
    check: (s) => commandValue(s, true) && looksRandom(s),
    checkMatch: shellLiteral,
    window: { before: 8, after: 240 },
    anchored: true,
  },
  {
    // Windows' `net use \\srv\share X /user:DOMAIN\me` (the password before the user; after
    // it, the flags' rule reads it): tried at `/user:`, the password read behind it (the `d`
    // flag says where; its quotes are each optional there, as a backreference inside a
    // lookbehind, read from its end, would come before its group). Not a drive's letter
    // (`Z:`), a share's path or `*` (a prompt).
    id: "net-use-password",
    description: "password given to Windows' net use",
    kind: "structure",
    keywords: ["/user:"],
    pattern: new RegExp(
      String
        .raw`(?<=(?<!\w(?<!\\[nrtbf]))(?i:net)[ \t]{1,8}(?i:use)[ \t]{1,8}(?:[A-Za-z]:[ \t]{1,8})?(?:\\{2,32}|\/\/)[^\s"'|;&]{1,200}[ \t]{1,8}(?:\\{0,16}["'])?([^\s"'\\\/][^\s"'\\]{7,149})(?:\\{0,16}["'])?[ \t]{1,8})\/(?i:user):`,
      "gd",
    ),
    group: 1,
    entropy: 3,
    check: (s) => commandValue(s) && looksRandom(s),
    window: { before: 300, after: 20 },
    anchored: true,
  },
  {
    // A secret piped into a login that reads it from its input (`echo X | docker login -u me
    // --password-stdin`, `echo X | gh auth login --with-token`): tried around the login.
    id: "piped-secret",
    description: "secret piped into a login",
    kind: "structure",
    keywords: ["login"],
    pattern: new RegExp(
      String
        .raw`(?<!\w(?<!\\[nrtbf]))(?:echo(?:[ \t]+-n)?|printf(?:[ \t]+(\\{0,16}["'])?%s\1)?)[ \t]+(\\{0,16}["']|)([^\s"'\\|;&]{8,150})\2[ \t]*\|[ \t]*(?:sudo[ \t]+)?[\w./-]{1,40}(?:[ \t]+[^\s|;&]{1,80}){0,8}?[ \t]+(?:--password-stdin|--with-token)(?![\w-])`,
      "g",
    ),
    group: 3,
    entropy: 2.5,
    check: (s) => commandValue(s) && looksRandom(s),
    window: { before: 300, after: 200 },
  },
  {
    // A password set by a user's name and it piped into chpasswd (`echo 'app:X' | chpasswd`,
    // as a Dockerfile's RUN writes it): tried where `passwd` is, the password read behind it
    // (the `d` flag says where).
    id: "chpasswd-password",
    description: "password piped into chpasswd",
    kind: "structure",
    keywords: ["pass"],
    pattern: new RegExp(
      String
        .raw`(?<=(?<!\w(?<!\\[nrtbf]))(?:echo(?:[ \t]{1,8}-e)?|printf)[ \t]{1,8}(?:\\{0,16}["'])?[\w.-]{1,32}:([^\s"'\\:|]{8,150})(?:\\{0,16}["'])?[ \t]{0,8}\|[ \t]{0,8}(?:sudo[ \t]{1,8})?ch)passwd(?![\w-])`,
      "gd",
    ),
    entropy: 2.5,
    check: (s) => commandValue(s) && looksRandom(s),
    window: { before: 240, after: 20 },
    anchored: true,
  },
  {
    // PowerShell's password made a SecureString from plain text, as scripts write one in
    // (`ConvertTo-SecureString "..." -AsPlainText -Force`, also after `-String`): tried where
    // `PlainText` is, the password read behind it (the `d` flag says where; in a lookbehind,
    // read from its end, a backreference would come before its group).
    id: "securestring-password",
    description: "password made a PowerShell SecureString from plain text",
    kind: "structure",
    keywords: ["plaintext"],
    pattern: new RegExp(
      String
        .raw`(?<=(?<!\w(?<!\\[nrtbf]))(?i:convertto-securestring)(?:[ \t]{1,8}-(?i:string))?[ \t]{1,8}\\{0,16}["']([^\s"'\\]{8,150})\\{0,16}["'](?:[ \t]{1,8}-(?i:force))?[ \t]{1,8}-(?i:as))(?i:plaintext)(?![\w-])`,
      "gd",
    ),
    group: 1,
    check: (s) => credentialValue(s, true),
    window: { before: 260, after: 20 },
    anchored: true,
  },
  {
    id: "pass-argument",
    description: "password on a command line as pass:...",
    kind: "structure",
    keywords: ["pass:"],
    // OpenSSL's and its tools' `-passin pass:X`, `-passout pass:X`, `-pass pass:X`,
    // quoted whole or not (`env:` and `file:` name where the password is instead).
    pattern: new RegExp(
      String
        .raw`pass:(?<=(?<![\w-](?<!\\[nrtbf]))-pass(?:in|out|word)?[ \t]{1,4}(\\{0,16}["']|)pass:)([^\s"'\\]{8,150})(?=\1(?:\s|\\{1,16}[nrt"]|"|$))`,
      "g",
    ),
    group: 2,
    entropy: 2.5,
    check: commandValue,
    window: { before: 0, after: 160 },
    anchored: true,
  },
  {
    id: "mysql-password-argument",
    description: "password on a MySQL client's command line",
    kind: "structure",
    keywords: ["mysql"],
    // `mysql -uroot -pX db`, `mysqldump -pX`, `mysqladmin -u root -p'X'`: the client
    // takes its password glued to `-p` (a `-p` alone asks for it; `-P` is the port).
    pattern: new RegExp(
      String
        .raw`mysql(?:dump|admin|import|check|show)?(?=[ \t])[^\n|;&]{0,100}?[ \t]-p(\\{0,16}["']|)([^\s"'\\-][^\s"'\\]{5,150})\1(?=\s|\\{1,16}[nrt"]|"|$)`,
      "g",
    ),
    group: 2,
    entropy: 2.5,
    // Not program text's test: a password of letters alone reads there as a name.
    check: (s) => !/^[<{%(\[]/.test(s) && looksRandom(s),
    checkMatch: shellLiteral,
    window: { before: 0, after: 240 },
    anchored: true,
  },
  {
    id: "curl-auth-user",
    description: "credentials on a curl command line",
    kind: "structure",
    keywords: ["curl"],
    pattern:
      /(?<!\w(?<!\\[nrtbf]))curl\b[\s\S]{0,400}?(?:\s|\\[nrt])(?:-u|--user)(?:=|\s+)((?:"[^"\n]*"|'[^'\n]*'|[^\s"']+)+)/g,
    placeholders: true,
    check: (arg) => {
      // In a JSON string its quotes are escaped and a line break after it is `\n`.
      const plain = arg.replace(/(?:\\+[nrt])+$/, "").replace(/\\+(?=["'])/g, "")
        .replace(/["'{}]/g, "");
      const colon = plain.indexOf(":");
      if (colon === -1 || /[\[\]<>]/.test(plain)) return false;
      const [user, pass] = [plain.slice(0, colon), plain.slice(colon + 1)];
      const secret = pass || user;
      // A variable or a template (`$PASS`, `${pw}`, `$(cat f)`, `$1`, `{{ .Values.pw }}`)
      // stands for one; a `$` inside a password (`Summer2024$`, `pa$$w0rd`, `P@ss$1`) is
      // one of its symbols.
      if (
        arg.includes("{{") || secret.trimStart().startsWith("$") ||
        /(?<!\$)\$(?:[{(.]|[A-Za-z_])/.test(secret)
      ) return false;
      return secret.length >= 4 && user !== pass && !isPlaceholder(secret) &&
        !STAND_IN_PASSWORD.test(secret) &&
        entropy(secret) >= 2.5;
    },
    window: { before: 0, after: 600 },
  },
  {
    id: "authorization-header",
    description: "credentials in an Authorization or API-key header",
    kind: "structure",
    keywords: ["authorization", "token:", "apikey:", "api-key:", "api-token:", "x-auth"],
    // A header name ending in one of these words (`X-Api-Key`, `x-goog-api-key`): the
    // word is at the name's start or after a hyphen, where no word character precedes
    // it (a prefix matched as `[\w-]*-` was backtracked at every word of the window).
    // Printed as a language prints a header: Go's `Authorization:[Bearer ...]`, Ruby's
    // `"Authorization"=>"..."`, a pair of strings (`["Authorization", "..."]`, on one line)
    // or a HAR entry (`{"name": "Authorization", "value": "..."}`). A value in backticks is
    // read inside them (Markdown's code, reStructuredText's ``:token:`bracket_open` ``).
    pattern:
      /(?:(?<![\w-](?<!\\[nrtbf]))authorization|(?<!\w(?<!\\[nrtbf]))(?:api-?key|api-token|auth-token|token))(?:(?:\\{0,16}["'])?\s*(?:=>|[:=])\s*\[?(?:\\{0,16}["'`])?|\\{0,16}["'][ \t]*,[ \t]*(?:\\{0,16}["']value\\{0,16}["'][ \t]*:[ \t]*)?\\{0,16}["'])(?:(?:Basic|Bearer|Token|Digest|Api-Token|Key)\s+)?([^\s"'`\\\]]{8,})/gi,
    // Hex is read from its own floor, as a value assigned to a secret's name is (a random
    // sixteen-digit hex falls under 3 one time in seven): the lowest, checked below.
    entropy: 2.6,
    // Not a template, and not a run of words (`AgencyIdentificationCodeContentType`). In
    // this header a value of letters alone is a name only if it reads as one: random
    // letters (`XkqLmPzRtYvBnWsD`) are what the header carries, a credential.
    check: (s) =>
      (entropy(s) >= 3 || /^[0-9a-f]{16,}$/i.test(s) && randomEnough(s)) &&
      !/^[$<{(\[%]/.test(s) && !wordy(s) && !mixedCaseHex(s) && !publicKeyInfo(s) &&
      (!codeLike(s) && !hyphenated(s) || randomLetters(s.replace(/[-.,;:]/g, ""))) &&
      !standInCredentials(s),
    checkMatch: (m) => !afterCursorWord(m.input, m.index),
    window: { before: 40, after: 400 },
  },
  {
    id: "terraform-sensitive-output",
    description: "a Terraform output marked sensitive, as `terraform output -json` prints it",
    kind: "structure",
    keywords: ["sensitive"],
    // `"sensitive": true, "type": "string", "value": "..."` (a JSON string's quotes and
    // line breaks escaped, in a request): the value of a string, whatever its name.
    pattern: new RegExp(
      String
        .raw`sensitive\\{0,16}"(?:\s|\\{1,16}[nrt]){0,8}:(?:\s|\\{1,16}[nrt]){0,8}true(?:\s|\\{1,16}[nrt]){0,8},(?:\s|\\{1,16}[nrt]){0,40}\\{0,16}"type\\{0,16}"(?:\s|\\{1,16}[nrt]){0,8}:(?:\s|\\{1,16}[nrt]){0,8}\\{0,16}"string\\{0,16}"(?:\s|\\{1,16}[nrt]){0,8},(?:\s|\\{1,16}[nrt]){0,40}\\{0,16}"value\\{0,16}"(?:\s|\\{1,16}[nrt]){0,8}:(?:\s|\\{1,16}[nrt]){0,8}\\{0,16}"((?:[^"\\\n]|\\{1,16}[^nrt"\\\s]){8,400}?)\\{0,16}"`,
      "g",
    ),
    entropy: 2.5,
    check: (v) => !/^(?:\$\{|<|\{\{)/.test(v),
    window: { before: 0, after: 800 },
    anchored: true,
  },
  {
    id: "wordpress-auth-key",
    description: "a WordPress authentication key or salt (wp-config.php)",
    kind: "structure",
    // `define( 'AUTH_KEY', '...' );`, then the `..._SALT`s: tried around a salt's name (the
    // keys' lines above it within reach), not at every `key` (in source code, a window
    // around each had cost a scan a twentieth).
    keywords: ["salt"],
    // Any characters but a quote, a backslash or a line break; in a JSON string `\"`, `\/`
    // and `\\` one each (an escape's backslash read one way alone: a run of them is read
    // in pairs, not split every way).
    pattern:
      /define\([ \t]{0,8}(\\{0,16}["'])(?:AUTH|SECURE_AUTH|LOGGED_IN|NONCE)_(?:KEY|SALT)\1[ \t]{0,16},[ \t]{0,16}'((?:[^'\\\n]|\\["\\/]){32,200}?)'/g,
    entropy: 3,
    group: 2,
    // Its characters are any (`<>`, `${` among them, which elsewhere mark a placeholder):
    // the placeholder is WordPress's own sentence.
    placeholders: true,
    check: (v) => !/put your unique phrase here/i.test(v),
    window: { before: 1200, after: 600 },
  },
  {
    id: "pgpass-password",
    description: "password in a PostgreSQL password file (.pgpass)",
    kind: "structure",
    // Its lines are `host:port:database:user:password`, tried where the port is the
    // default one or a wildcard (`*`, read as `~` by the survey: see `ALIASES` in
    // keywords.ts). A colon in the password is escaped (`\:`): one there is no such line
    // (an IPv6 address, a fingerprint).
    keywords: ["5432:", ":*:"],
    pattern: new RegExp(
      String
        .raw`(?<=^|\n|\\n|")[\w.*-]{1,253}:(?:\d{1,5}|\*):[^:\s\\]{1,63}:[^:\s\\]{1,63}:([^:\s\\]{8,150})(?=[ \t]*(?:\r?\n|\\{1,16}[nrt"]|"|$))`,
      "g",
    ),
    entropy: 2.5,
    // Not program text's test (a password of letters alone reads there as a name), but
    // no variable, alias or template (`$PGPASSWORD`, `*pw`, `{{ pw }}`, `<password>`).
    check: (p) => looksRandom(p) && !/^[$*&%{<]/.test(p),
    window: { before: 300, after: 300 },
  },
  {
    id: "connection-string",
    description: "password given as password= or pwd= (a connection string, a form)",
    kind: "structure",
    keywords: ["password=", "pwd="],
    // No backslash: in a JSON string one starts an escape (`\n` ends the value). The value
    // is read whole (a lookahead, then what it took): what may end it is no character of
    // it, so only the whole run can be followed by its end, and a run too long to be one
    // is not tried again at every shorter length (`pwd=pwd=...` had cost a hundred steps
    // at each).
    // In a query or a form the next parameter (`&id=`) ends it too, and in a connection
    // string the next field (`;Encrypt=`) or the string's end; a semicolon before anything
    // else is the password's (`.env`'s `DB_PASSWORD=ab;cd`, read whole as the password
    // rule reads it: one finding, not a part of it beside the whole).
    pattern:
      /(?:password|pwd)=(?=((?:[^;"'\s\\&]|&(?![A-Za-z_][\w.\-]{0,40}=)|;(?![A-Za-z_][\w ]{0,40}=|[\s"'\\;&]|$)){4,100}))\1(?=[;"'\s\\]|&[A-Za-z_][\w.\-]{0,40}=|$)/gi,
    entropy: 2.5,
    // Nor a path (`--sasl-password=projects/1/secrets/kafka/versions/1` names where one is
    // kept) or a run of digits in order (`--password=123456`, documentation's).
    check: (p) =>
      !/^(?:password|\*+|x+|changeme|<.*>)$/i.test(p) && !codeLike(p) && !pathLike(p) &&
      !isSequence(p),
    window: { before: 0, after: 120 },
  },
  {
    // A password or a secret written as a string literal: any printable characters (the
    // generic rule reads only a token's alphabet, so `aB3$kL9!mN2@pQ5#rS8%` and Django's
    // `SECRET_KEY = '...'`, drawn from letters, digits and `!@#$%^&*(-_=+)`, went unread),
    // twelve or more of them, of three kinds at least (small, capital, digit, other), as a
    // password policy asks; a test's `"test1234"` or `"Passw0rd"` is too short or too plain.
    // SQL names a role's password without an operator (`WITH PASSWORD '...'`, MySQL's
    // `IDENTIFIED BY '...'`), PHP's `define('DB_PASSWORD', '...')` with a comma (a comma
    // alone after a quoted "password" is a test's pair of a password and its hash).
    id: "password-literal",
    description: "password or secret written as a string",
    kind: "structure",
    keywords: ["pass", "pwd", "secret", "identified"],
    pattern: new RegExp(
      String
        .raw`(?i:password|passwd|(?<![a-z](?<!\\[nrtbf]))pass(?:phrase)?|pwd|secret|identified)(?![a-zA-Z])[A-Za-z0-9_]{0,20}(?![A-Za-z0-9_])(?:(?<=\b(?i:identified))[ \t]+(?i:with[ \t]+\w{1,40}[ \t]+)?(?i:by)[ \t]+|(?<=(?<!\w(?<!\\[nrtbf]))(?i:define)\([ \t]{0,4}["'][A-Za-z0-9_]{1,60})["'][ \t]*,[ \t]*|` +
        operator(1) +
        String
          .raw`)(?!:)(\\{0,16}["'\`]|)(?:(?<=["'\`])|(?![^\s"'\`\\<]{0,100}[()[\]{}]))(?=((?:[^\s"'\`\\<;]|;(?![A-Za-z_][\w ]{0,40}=|[\s"'\`\\<;]|$)|(?<=["'\`][^\s"'\`\\<;=]{0,100});){12,100}))\3\2(?:(?<=["'\`])|(?=[\s<";]|\\{1,16}[nrt"]|$))`,
      "g",
    ),
    // The value is read whole, as the connection string's is.
    group: 3,
    entropy: 3,
    check: (s) =>
      characterKinds(s) >= 3 &&
      !/^(?:\$[{(]|[<{]|%(?:[-+ #0]*\d*(?:\.\d+)?[sdifgeExXrcou]|[({]|\w+%))/
        .test(s) &&
      !wordy(s) &&
      !encodedProse(s) && !claimed(s) && !pathLike(s) && !digest(s),
    checkMatch: (m) => {
      const name = /^\w*/.exec(m[0])![0];
      // A secret's value of twenty or more characters of a token's alphabet is the generic
      // rule's to judge (and to name).
      if (/^secret/i.test(name) && /^[A-Za-z0-9\-_.~+/=:]{20,}$/.test(m[3]!)) return false;
      // Quoted: the same quote on either side of the value (the operator may have taken
      // the opening one; `m[2]` holds it only when the pattern did).
      const op = m[0].slice(0, m[0].length - m[3]!.length - m[2]!.length);
      const quote = op.at(-1) ?? "";
      const after = m.index + op.length + m[3]!.length;
      const quoted = /["'`]/.test(quote) &&
        /^\\{0,16}(["'`])/.exec(m.input.slice(after, after + 20))?.[1] === quote;
      if (!quoted && (!unquotedPassword(m[3]!) || !UNQUOTED_OPERATOR.test(op))) return false;
      // In prose a sentence's mark may end the word (`the password is X.`): the word without
      // it is the value judged (`subprocess.Popen.`, `CreateCluster.` are names).
      if (!quoted && /[ \t](?:is|was|to)[ \t]+$/.test(op)) {
        const word = m[3]!.replace(/[.,;:]$/, "");
        if (!unquotedPassword(word) || characterKinds(word) < 3) return false;
      }
      // A pair of strings, the name's and the value's, is a call's setting, not a tuple.
      if (
        tuplePair(m.input, m.index - nameBefore(m.input, m.index).length, op.slice(name.length))
      ) {
        return false;
      }
      const full = nameBefore(m.input, m.index) + name;
      // A value that is its name again (`userPassword: UserPassword.`, a field documented).
      if (m[3]!.replace(/[^A-Za-z0-9]+$/, "").toLowerCase() === full.toLowerCase()) return false;
      return secretName(full);
    },
    window: { before: 0, after: 160 },
    anchored: true,
  },
  {
    // A password passed to a login or a connection as an argument after the user's name,
    // with no name of its own: Python's `server.login('me', '...')` (smtplib, ftplib,
    // imaplib), `auth=('me', '...')` and `HTTPBasicAuth('me', '...')`, Go's
    // `req.SetBasicAuth("me", "...")` and `smtp.PlainAuth("", "me", "...", host)`, Ruby's
    // `basic_auth 'me', '...'`, superagent's `.auth('me', '...')`, .NET's
    // `NetworkCredential("me", "...")`, Java's `DriverManager.getConnection(url, "me",
    // "...")`, `PasswordAuthentication` and `UsernamePasswordCredentials`, PHP's
    // `mysqli_connect($host, 'me', '...')`, `new mysqli(...)`, `new PDO($dsn, 'me', '...')`
    // and `ldap_bind($c, $dn, '...')`, Python's `MySQLdb.connect(host, 'me', '...', db)`
    // (and pymysql's, mysql.connector's), `FTP(host, 'me', '...')` and pika's
    // `PlainCredentials('me', '...')`, Node's `new Sequelize(db, 'me', '...', {...})`. The
    // value is a string literal, judged as a password in a table's column is
    // (`credentialValue`).
    id: "credential-argument",
    description: "password passed to a login or a connection after the user",
    kind: "structure",
    keywords: ["login", "auth", "cred", "connect", "mysql", "pdo", "ldap", "sequelize", "ftp"],
    pattern: new RegExp(
      String
        .raw`(?:(?:(?<=\.)login|(?<![\w.](?<!\\[nrtbf]))auth(?=[ \t]*=)|(?<=\.)auth|(?<=(?:[Bb]asic|[Dd]igest)_?)[Aa]uth|(?<=Password)Authentication|(?<=Network)Credential|(?<=UsernamePassword|Plain)Credentials)(?:[ \t]*=[ \t]*)?(?:[ \t]*\(|(?<=basic_auth)[ \t](?=[ \t]*\\{0,16}["']))[ \t]*${CALL_ARGUMENT}|(?:(?<=Plain)Auth|(?<=get)Connection|(?<=(?<!\w(?<!\\[nrtbf]))mysqli?_)connect|(?<=(?<!\w(?<!\\[nrtbf]))new[ \t]{1,4})(?:mysqli|PDO)|(?<!\w(?<!\\[nrtbf]))ldap_bind|(?<=(?<![\w.](?<!\\[nrtbf]))(?:MySQLdb|pymysql|mysql\.connector)\.)connect|(?<=(?<!\w(?<!\\[nrtbf]))new[ \t]{1,4})Sequelize|(?<!\w(?<!\\[nrtbf]))FTP(?:_TLS)?)[ \t]*\([ \t]*${CALL_ARGUMENT}[ \t]*,[ \t]*${CALL_ARGUMENT})[ \t]*,[ \t]*(\\{0,16}["'])([^\s"'\\]{8,150})\1(?=[ \t]*(?:[,);\r\n]|\.toCharArray|\\{1,16}[nrt]|\\{0,16}"|$))`,
      "g",
    ),
    group: 2,
    check: (s) => credentialValue(s, true),
    window: { before: 0, after: 600 },
    anchored: true,
  },
  {
    // A password in a Go MySQL driver's DSN (`app:X@tcp(db:3306)/app`, as `sql.Open`
    // takes it): no scheme, so the URL rule passes it over. Tried at `tcp`, the user and the
    // password read behind it (the `d` flag says where), judged as the URL rule judges one.
    id: "dsn-password",
    description: "password in a database DSN (user:password@tcp(...))",
    kind: "structure",
    keywords: ["tcp"],
    pattern: new RegExp(
      String
        .raw`(?<=(?<![\w.\-:\/@](?<!\\[nrtbf]))[\w.\-]{1,64}:([^\s"'${"`"}\\\/]{3,100})@)tcp\(`,
      "gd",
    ),
    entropy: 1.5,
    // The driver splits at the first `:` and the last `@`, so a password may hold either; a
    // template's (`%s`, `{{.Password}}`, `${PASS}`) is none.
    check: (password) =>
      password.length >= 4 && !/^[$<{%]|\{\{|\$\{|%[sv]/.test(password) &&
      !/passw(?:or)?d|^(?:pwd|pass|secret|\*+|x+|changeme)$/i.test(password),
    window: { before: 180, after: 8 },
    anchored: true,
  },
  {
    // An Oracle login's password in its connect string, `user/password@db`: on sqlplus's,
    // Data Pump's (`expdp`, `impdp`) command line (`sqlplus -s app/X@//db:1521/svc`,
    // `expdp system/X@db ...`, `userid=app/X@db`) and in a JDBC thin URL
    // (`jdbc:oracle:thin:app/X@db:1521:orcl`). A password with `@` in it is quoted there
    // (`app/"X"@db`): the value runs to the last `@` of its word. Not `sqlplus / as sysdba`,
    // nor the manual's `scott/tiger`.
    id: "oracle-password",
    description: "password in an Oracle connect string (user/password@db)",
    kind: "structure",
    keywords: ["sqlplus", "expdp", "impdp", "thin:"],
    pattern: new RegExp(
      String
        .raw`(?:(?<!\w(?<!\\[nrtbf]))(?i:sqlplus|expdp|impdp)(?:\.exe)?(?:[ \t]{1,4}-[A-Za-z]{1,10}){0,4}[ \t]{1,4}(?:(?i:userid)=)?(?:\\{0,16}["'])?|(?<=(?i:jdbc:oracle:))thin:)[\w$#.]{1,64}\/(\\{0,16}["']|)([^\s"'\\\/]{6,150})\1@`,
      "g",
    ),
    group: 2,
    entropy: 3,
    check: (s) => commandValue(s) && looksRandom(s) && !wordy(s),
    window: { before: 16, after: 300 },
    anchored: true,
  },
  {
    // A signing key passed to a call that signs or checks a token or a message, with no
    // name of its own: a JWT library's `jwt.sign(payload, '...')`, `jwt.verify(token,
    // '...')`, PyJWT's `jwt.encode(payload, '...', algorithm=...)`, Ruby's and PHP's
    // `JWT.encode`/`JWT::encode`, Python's `hmac.new(b'...', msg, sha256)`, Node's
    // `crypto.createHmac('sha256', '...')`, PHP's `hash_hmac('sha256', $data, '...')`,
    // Go's `token.SignedString([]byte("..."))`, Java's `signWith(HS256, "...")` and
    // `Keys.hmacShaKeyFor("...".getBytes())`. Judged as a password passed to a login is.
    id: "signing-key-argument",
    description: "signing key passed to a JWT or HMAC call",
    kind: "structure",
    keywords: ["jwt", "hmac", "signedstring", "signwith"],
    pattern: new RegExp(
      String
        .raw`(?:(?<![\w$](?<!\\[nrtbf]))(?:jwt|JWT)(?:\.|::)(?:sign|verify|encode|decode)[ \t]*\([ \t]*${CALL_ARGUMENT}[ \t]*,[ \t]*|(?<![\w$](?<!\\[nrtbf]))hmac\.new[ \t]*\([ \t]*(?:key[ \t]*=[ \t]*)?b?|(?<=create)Hmac[ \t]*\([ \t]*${CALL_ARGUMENT}[ \t]*,[ \t]*|(?<=hash_)hmac[ \t]*\([ \t]*${CALL_ARGUMENT}[ \t]*,[ \t]*${CALL_ARGUMENT}[ \t]*,[ \t]*|SignedString[ \t]*\([ \t]*\[\]byte\([ \t]*|signWith[ \t]*\([ \t]*${CALL_ARGUMENT}[ \t]*,[ \t]*|hmacShaKeyFor[ \t]*\([ \t]*)(\\{0,16}["'${"`"}])([^\s"'${"`"}\\]{8,150})\1(?=[ \t]*(?:[,);]|\.getBytes|\.encode|\r?\n|\\{1,16}[nrt]|$))`,
      "g",
    ),
    group: 2,
    check: (s) => credentialValue(s, true),
    window: { before: 8, after: 600 },
    anchored: true,
  },
  // --- Anything assigned to a secret-sounding name ------------------------------------
  {
    id: "generic-secret",
    description: "secret assigned to a name that says so",
    kind: "generic",
    keywords: ["key", "token", "secret", "pass", "pwd", "psk", "auth", "cred", "api"],
    pattern: new RegExp(
      // The match starts at the name's secret-sounding word; the check reads back to
      // the start of the name (a lazy prefix in the pattern costs a regex attempt per
      // character). Before the name is tried at each length, a look ahead says whether
      // anything an operator starts with comes within its reach (a character no name
      // holds, or `.=`, or `value`/`default`): in `_KEY_KEY_...` none does, and each of
      // the 26 lengths had been tried against every operator. The value is read whole, as
      // the connection string's is.
      String.raw`((?:` + GENERIC_NAMES.map((n) => wordSource(n, NAME_HEADS)).join("|") +
        String.raw`)(?=[A-Za-z0-9_.\-]{0,25}(?:[^A-Za-z0-9_\-]|[vVd]))[A-Za-z0-9_.\-]{0,25}?)` +
        OPERATOR +
        String
          .raw`(?!:)(?=([A-Za-z0-9\-_.~+/=:]{16,150}(?![A-Za-z0-9\-_.~+/=:])|[A-Za-z0-9\-_.~+/]{151,8192}={0,2}))\3` +
        END,
      "g",
    ),
    // The lowest floor of the check's (`hexFloor(16)`): hex holds four bits a character at
    // most, where the wider alphabets' floor is 3.8 (less for a short value: `wideFloor`).
    entropy: 2.6,
    // The value: group 2 is the operator's type, read whole (no backtracking into it).
    group: 3,
    check: (s) =>
      randomEnough(s) &&
      looksRandom(s) && !/^[0-9.:]+$/.test(s) && !keywordArgument(s) &&
      !holdsStopWord(s) && !claimed(s) && !standInCredentials(s),
    checkMatch: (m) => {
      const before = nameBefore(m.input, m.index);
      const between = m[0].slice(m[1]!.length, m[0].length - m[3]!.length);
      return secretName(before + (m[1] ?? "")) &&
        !afterCursorWord(m.input, m.index - before.length) &&
        !tuplePair(m.input, m.index - before.length, between);
    },
    window: { before: 4, after: 200 },
    // Every name above starts with one of the keywords.
    anchored: true,
  },
];

/**
 * Whether `value`, written where a secret goes with no name to say so (a table's column, a
 * call's argument), is one as the rules judge a value: sixteen characters or more of a
 * token's alphabet as the generic rule takes them, or, for a `password`, twelve or more of
 * any as a password literal does (a password a person picked).
 */
export function credentialValue(value: string, password: boolean): boolean {
  if (value.length > 150 || /\s/.test(value)) return false;
  generic ??= RULES.find((r) => r.id === "generic-secret")!;
  literal ??= RULES.find((r) => r.id === "password-literal")!;
  return (value.length >= 16 && /^[A-Za-z0-9\-_.~+/=:]+$/.test(value) && accepts(generic, value)) ||
    (password && value.length >= 12 && accepts(literal, value));
}
let generic: Rule | undefined;
let literal: Rule | undefined;
