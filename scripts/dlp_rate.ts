/**
 * DLP scan throughput in this process, for `bench.ts`: 1 MiB request bodies the DLP sees
 * (a model API request carrying this project's source files, as of `BODY_COMMIT`, but
 * tests and the detector's own, as a coding agent sends them; one carrying the code of its
 * npm dependencies, other projects' code; a conversation in Japanese and one in
 * Russian; one carrying an image; a worst case made of base64 runs, every one decoded and
 * scanned again; uploads of binary files; rules' keywords over and over), each against
 * decoding the same body; and the conversation in Japanese with a token in it, through the
 * scan job of the model's route (scanned, the token cut out, what is left scanned again).
 * Prints JSON (`scan` the median run after a warm-up, `best` the fastest, `early` the
 * median of runs 11-40 of the process, while it warms up; `measured`, what was timed when
 * it is more than a scan). Usage: deno run --allow-read --allow-run=git scripts/dlp_rate.ts
 * [--quick]
 */

import { bodyScans, scanRequest } from "../sidecars/egress/dlp.ts";
import { runScanJob } from "../sidecars/egress/scanjob.ts";
import { randomBytes } from "../lib/bytes.ts";
import { conversationRequests, dependencyFiles, readByAgent, sourceFiles } from "./conversation.ts";

const quick = Deno.args.includes("--quick");

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * 1 MiB request bodies the DLP sees: a model API request carrying source files (this
 * checkout's own but tests and the detector's, as a coding agent sends them), one carrying
 * its npm dependencies' code (where node_modules is at hand), conversations in two scripts
 * past ASCII, one with an image, and a worst case made of base64 runs (every one decoded
 * and scanned again).
 */
async function dlpBodies(): Promise<[string, Uint8Array][]> {
  // In the order of their texts (as this body has been made since the bench began), of
  // the files an agent reads (see `readByAgent`), as of `BODY_COMMIT`.
  const api = apiRequest(readByAgent((await sourceFiles()).files).map((f) => f.text).sort());
  // Other projects' code, in the order of their paths: most code holds far more long names
  // and paths than this project's (runs of 16 characters or more, which the decoders read:
  // some 700 a MiB here, 3,000 to 12,000 in Flask's, zod's and Linux's headers), and costs
  // a scan more.
  const dependencies = (await dependencyFiles()).map((f) => f.text);
  const random = randomBytes(3 << 18);
  const lines: string[] = [];
  for (let i = 0; i < random.length; i += 57) {
    lines.push(btoa(String.fromCharCode(...random.subarray(i, i + 57))));
  }
  const base64 = lines.join("\n");
  // An upload of a binary file: a MiB of an executable (this very Deno's code), and
  // one of compressed data (as random as it).
  using exe = await Deno.open(Deno.execPath());
  await exe.seek(4 << 20, Deno.SeekMode.Start);
  const executable = new Uint8Array(1 << 20);
  for (let n = 0; n < executable.length;) {
    const got = await exe.read(executable.subarray(n));
    if (got === null) throw new Error(`${Deno.execPath()} is shorter than 5 MiB`);
    n += got;
  }
  const encode = (s: string) => new TextEncoder().encode(s);
  const others: [string, Uint8Array][] = dependencies.length > 0
    ? [["API request with other projects' code", encode(apiRequest(dependencies))]]
    : [];
  return [
    ["API request with source code", encode(api)],
    ...others,
    ["API request in Japanese", encode(conversation(JAPANESE))],
    ["API request in Russian", encode(conversation(RUSSIAN))],
    ["API request with an image", encode(withImage())],
    ["base64 lines (worst case)", encode(base64)],
    ["upload of an executable", executable],
    ["upload of compressed data", randomBytes(1 << 20)],
    ["body of keywords over and over (adversarial)", encode(repeatedKeywords())],
    ["body of shapes read on from each place (adversarial)", encode(repeatedShapes())],
  ];
}

/** A model API request of 1 MiB carrying `texts` as tool results, one a turn, in turn. */
function apiRequest(texts: string[]): string {
  const messages = [];
  for (let i = 0, size = 0; size < 1 << 20; i++) {
    const content = texts[i % texts.length]!;
    messages.push({
      role: "user",
      content: [{ type: "tool_result", tool_use_id: `toolu_${i}`, content }],
    });
    size += content.length;
  }
  return JSON.stringify({ model: "claude", max_tokens: 1024, messages }).slice(0, 1 << 20);
}

/**
 * The request in Japanese, whole (JSON that parses), with a token in one turn (a
 * command's output the agent saw): it comes again on every turn after, and has the
 * token cut out each time.
 */
function withToken(): Uint8Array {
  const messages = turns(JAPANESE);
  messages[3]!.content += " GITHUB_TOKEN=ghp_Zq8Lr2Xv9Kt4Wm7Pn3Bc6Hd1Fj5Gs0Ya8Ue2";
  return new TextEncoder().encode(JSON.stringify({ model: "claude", max_tokens: 1024, messages }));
}

/**
 * What an agent could send to make the rules work hardest: their keywords over and over,
 * 256 KiB each, where every place is a place to try a rule (`_KEY` once made a scan read
 * back over the whole run at each try: 100 KB took 104 s), on one line
 * (`PuTTY-User-Key-File-2: `, whose rule read to the line's end at each) and in
 * assignments without values (`api-key:`, `pwd=`).
 */
function repeatedKeywords(): string {
  return ["_KEY", "PuTTY-User-Key-File-2: ", "api-key:", "pwd="]
    .map((unit) => unit.repeat(Math.ceil((1 << 18) / unit.length)).slice(0, 1 << 18)).join("\n");
}

/**
 * Shapes read on from a place the survey finds in them, a sixth of a MiB each:
 * characters joined by a separator, and listed in quotes, both of too few kinds to be a
 * token (a megabyte of `g-h-g-h-...` was read again from each place the survey found
 * every 30 characters: minutes), a token's prefix in quoted pieces over and over
 * (`"AKIA2" + ...`, each piece the start of a run of them), a prefix followed by
 * groups joined by a mark (`ghp_1ghp_1...`: `_` a mark, each prefix's groups read to the
 * end of the text: 32 KiB of `ghp_` took 2.6 s, of `ghp_1` 1.1 s), a prefix and a group
 * over and over (`eyJ1 eyJ1 ...`: each keyword's run of groups joined and scanned, half a
 * MiB a second), keywords in a word that never ends (`AKIA1,abcd,...`: the word read from
 * each keyword, once for each reader of pieces, 1.4 MiB a second), and a private key's
 * header with no end over and over (each read on across the others to the window's end:
 * 128 KiB 2.6 s), a prefix's head cut where its prefix goes on (`github_p at_1`: each read
 * as a token cut inside its prefix), and runs that start with a token's head and take
 * out, as a cut's marks, marks at one width (`sk-x-a1b2-c3d4`).
 */
function repeatedShapes(): string {
  const units = [
    "g-h-",
    "'g', ",
    '"AKIA2" + ',
    `\\"AKIA2\\" + `,
    "ghp_1",
    "eyJ1 ",
    "AKIA1,abcd,",
    "-----BEGIN RSA PRIVATE KEY-----\n",
    "github_p at_1 ",
    "sk-x-a1b2-c3d4-e5f6 ",
  ];
  const size = Math.floor((1 << 20) / units.length);
  return units.map((unit) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)).join("\n");
}

/**
 * Prose a person writes to a coding agent, in scripts whose letters are not ASCII: in
 * Japanese, full-width punctuation (which NFKC maps to ASCII) among characters it
 * leaves alone; in Russian, letters of which many look like Latin ones.
 */
const JAPANESE = [
  "このリポジトリのテストが失敗しています。原因を調べて、修正してください。",
  "関数の名前を分かりやすく変更し、説明のコメントを追加してください（英語で）。",
  "変更が終わったら、新しいブランチにコミットしてください！",
];
const RUSSIAN = [
  "В этом репозитории падают тесты. Найди причину и исправь, пожалуйста.",
  "Переименуй функции понятнее и добавь поясняющие комментарии (на английском).",
  "Когда закончишь, сделай коммит в новую ветку!",
];

/** Turns of `sentences`, the person's and the model's by turns, until they hold 1 MiB. */
function turns(sentences: string[]): { role: string; content: string }[] {
  const messages = [];
  for (let i = 0, size = 0; size < 1 << 20; i++) {
    const content = Array.from({ length: 12 }, (_, k) => sentences[(i + k) % sentences.length])
      .join(" ");
    messages.push({ role: i % 2 ? "assistant" : "user", content });
    size += new TextEncoder().encode(content).length;
  }
  return messages;
}

/** A 1 MiB model API request: `turns` of `sentences`, cut at 1 MiB. */
function conversation(sentences: string[]): string {
  const bytes = new TextEncoder().encode(
    JSON.stringify({ model: "claude", max_tokens: 1024, messages: turns(sentences) }),
  );
  return new TextDecoder().decode(bytes.subarray(0, 1 << 20)).replace(/\uFFFD$/, "");
}

/**
 * A 1 MiB model API request carrying a screenshot as base64 (a PNG's signature, then
 * bytes as random as compressed pixels), as an agent sends one on every turn after.
 */
function withImage(): string {
  const png = randomBytes(750 << 10);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const image = { type: "base64", media_type: "image/png", data: png.toBase64() };
  const content = [{ type: "image", source: image }, { type: "text", text: "What is wrong here?" }];
  return JSON.stringify({
    model: "claude",
    max_tokens: 1024,
    messages: [{ role: "user", content }],
  });
}

/**
 * Runs before the timed ones. For its first fifty runs or so over a 1 MiB body, a fresh
 * process is still optimising the scan's functions and growing its heap, and on a VM
 * each fresh page it touches costs some 15 µs (hundreds of page faults a run): runs
 * take two to three times as long in stretches. A proxy's scan workers live for the
 * whole session and are past that after their first requests, so the figure is taken
 * after it; the runs right after the first ten are reported too (`early`).
 */
const WARM_RUNS = quick ? 10 : 100;
/** ...or this long, for a body slow to scan (its functions warm faster). */
const WARM_MS = 3000;
const EARLY = { from: 10, to: 40 };

/**
 * MiB/s of `fn` over `mib`, after a warm-up: the median of single runs, the fastest (on
 * a shared VM, what the code costs when nothing else runs), and the median of runs
 * `EARLY` (a process still warming up).
 */
function rates(
  mib: number,
  fn: () => void,
  runs = WARM_RUNS,
): { median: number; best: number; early?: number } {
  const warm: number[] = [];
  for (
    const start = performance.now();
    warm.length < EARLY.from || (warm.length < runs && performance.now() - start < WARM_MS);
  ) {
    const t = performance.now();
    fn();
    warm.push(performance.now() - t);
  }
  const times: number[] = [];
  for (let i = 0; i < (quick ? 10 : 30); i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  const early = warm.length >= EARLY.to ? warm.slice(EARLY.from, EARLY.to) : undefined;
  return {
    median: mib / (median(times) / 1000),
    best: mib / (Math.min(...times) / 1000),
    ...(early ? { early: mib / (median(early) / 1000) } : {}),
  };
}

/**
 * MiB/s of decoding, the baseline: native code with nothing to optimise, after ten runs
 * (run on, a loop allocating nothing but megabyte strings measures fresh pages).
 */
function rate(mib: number, fn: () => void): number {
  return rates(mib, fn, EARLY.from).median;
}

const results = [];
for (const [what, body] of await dlpBodies()) {
  const mib = body.length / 2 ** 20;
  const decode = rate(mib, () => void new TextDecoder().decode(body));
  const scan = rates(
    mib,
    () => {
      // Each run scans the body whole, not from what the run before found in it.
      bodyScans.clear();
      // As the proxy scans a body: the text, and the bytes it was decoded from.
      scanRequest(
        { url: "/", headers: [], body: new TextDecoder().decode(body), bodyBytes: body },
        ["sk-x-0123456789"],
      );
    },
  );
  results.push({ what, decode, scan: scan.median, best: scan.best, early: scan.early });
}
{
  // As the proxy's scan job runs for the model's route: decoded, scanned, the token cut
  // out, and what is left scanned again.
  const body = withToken();
  const job = () => {
    bodyScans.clear();
    return runScanJob({ parts: [{ bytes: body, within: "" }], values: [], mayCut: true });
  };
  if (job().cut === undefined) throw new Error("the token was not cut out");
  const mib = body.length / 2 ** 20;
  const decode = rate(mib, () => void new TextDecoder().decode(body));
  const scan = rates(mib, () => void job());
  results.push({
    what: "API request in Japanese with a token",
    measured: "decode + scan + cut + scan",
    decode,
    scan: scan.median,
    best: scan.best,
    early: scan.early,
  });
}
{
  // A conversation's next request, as a coding agent sends one on every turn: the one
  // before it and a turn more (a command and the file it printed), the tools described
  // after the turns. Each scanned whole (the baseline), and from where it changed.
  const bodies = conversationRequests((await sourceFiles()).files);
  // As the proxy sends each job to a worker: with the public values.
  const job = (body: Uint8Array) =>
    runScanJob({
      parts: [{ bytes: body, within: "" }],
      values: [],
      mayCut: true,
      publicValues: [],
    });
  const first = bodies.findIndex((b) => b.length >= 1 << 20);
  const timed = bodies.slice(first);
  const mib = timed.reduce((n, b) => n + b.length, 0) / timed.length / 2 ** 20;
  const run = (whole: boolean) => {
    bodyScans.clear();
    const times: number[] = [];
    for (const [i, body] of bodies.entries()) {
      if (whole) bodyScans.clear();
      const start = performance.now();
      if (job(body).findings.length > 0) throw new Error("the conversation holds a secret");
      if (i >= first) times.push(performance.now() - start);
    }
    return mib / (median(times) / 1000);
  };
  // By turns, the second of each taken: the first warms up what the other does not use.
  run(true), run(false);
  const whole = run(true);
  const reused = run(false);
  results.push({
    what: "conversation's next request",
    baseline: "scanned whole",
    measured: "scanned from where it changed",
    decode: whole,
    scan: reused,
    best: reused,
  });
}
// deno-lint-ignore no-console
console.log(JSON.stringify(results));
