/**
 * Detection quality, measured on the secret samples gitleaks and secretlint publish
 * (`../shared/corpus/`, read in place; skipped with a message when absent): every
 * sample is fed to the egress DLP as a request body, and as a line of a file in a model
 * request's JSON (as the DLP mostly sees text), and to the git gate as the added lines of
 * one file, as are values drawn at random and assigned to a secret's name. Prints,
 * per corpus and per detector, recall on true positives,
 * the share of false-positive samples flagged, and the kinds missed; then DLP scan
 * throughput on a 1 MiB body. Usage: deno run -A scripts/detection.ts [--verbose] [--kind K]
 *
 * `--tree DIR...` measures instead how quiet the detector is on ordinary files: every
 * text file under each folder (not `.git`, not past 4 MiB), scanned as the gate scans a
 * file, with the files flagged counted by rule and the first few named by path and line
 * (never the value).
 */

import { join } from "node:path";
import { scanRequest } from "../sidecars/egress/dlp.ts";
import { scanAdded } from "../sidecars/gate/scan.ts";
import { findSecrets, looksBinary } from "../lib/secrets/mod.ts";

// deno-lint-ignore no-console
const say = (line: string) => console.log(line);

interface Sample {
  id: string;
  corpus: string;
  label: "tp" | "fp";
  kind: string;
  text: string;
  generated?: boolean;
}

const CORPUS = Deno.env.get("BOT_BOTTLE_CORPUS") ??
  join(import.meta.dirname!, "..", "..", "shared", "corpus");
const verbose = Deno.args.includes("--verbose");
const only = Deno.args.includes("--kind") ? Deno.args[Deno.args.indexOf("--kind") + 1] : undefined;

async function load(file: string): Promise<Sample[] | undefined> {
  try {
    return (await Deno.readTextFile(join(CORPUS, file))).split("\n").filter(Boolean).map((l) =>
      JSON.parse(l)
    );
  } catch {
    return undefined;
  }
}

const dlp = (s: Sample) => scanRequest({ url: "/", headers: [], body: s.text }, []).length > 0;
/**
 * The DLP over a sample as a model request carries it: a line of a file the agent read
 * (after a command, so an escaped line break comes right before it) in a tool result's
 * JSON string, where quotes are escaped too.
 */
const dlpInRequest = (s: Sample) => {
  const content = `$ cat config\n${s.text}\n`;
  const body = JSON.stringify({
    model: "claude",
    messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content }] }],
  });
  return scanRequest({ url: "/", headers: [], body }, []).length > 0;
};
const gate = async (s: Sample) =>
  (await scanAdded(
    s.text.split("\n").map((text, i) => ({ file: "sample.txt", line: i + 1, text })),
  )).length > 0;

interface Row {
  corpus: string;
  detector: string;
  recall: number;
  tp: number;
  fpRate: number;
  fp: number;
  missed: Map<string, number>;
  /** The negatives flagged, by the kind whose list holds them. */
  flaggedKinds: Map<string, number>;
}

async function measure(
  name: string,
  samples: Sample[],
  detector: string,
  found: (s: Sample) => boolean | Promise<boolean>,
): Promise<Row> {
  const tps = samples.filter((s) => s.label === "tp");
  // gitleaks tests each rule alone: one rule's "fp" list may hold another rule's true
  // positive (a Cloudflare global key is an fp for the Cloudflare API-token rule). For
  // a detector of every kind at once, such a sample is not a false positive.
  const positives = new Set(tps.map((s) => s.text.trim()));
  const fps = samples.filter((s) => s.label === "fp" && !positives.has(s.text.trim()));
  const missed = new Map<string, number>();
  let hits = 0;
  for (const s of tps) {
    if (await found(s)) hits++;
    else {
      missed.set(s.kind, (missed.get(s.kind) ?? 0) + 1);
      if (verbose) say(`  MISS ${detector} ${s.id}: ${s.text.slice(0, 160).replace(/\n/g, "\\n")}`);
    }
  }
  let flagged = 0;
  const flaggedKinds = new Map<string, number>();
  for (const s of fps) {
    if (await found(s)) {
      flagged++;
      flaggedKinds.set(s.kind, (flaggedKinds.get(s.kind) ?? 0) + 1);
      if (verbose) say(`  FP   ${detector} ${s.id}: ${s.text.slice(0, 160).replace(/\n/g, "\\n")}`);
    }
  }
  return {
    corpus: name,
    detector,
    recall: tps.length ? hits / tps.length : 1,
    tp: tps.length,
    fpRate: fps.length ? flagged / fps.length : 0,
    fp: fps.length,
    missed,
    flaggedKinds,
  };
}

/**
 * Values drawn at random (seeded: the same every run) from the alphabets secrets are
 * written in, assigned to a secret's name in the forms code, configuration and requests
 * use: what the generic rule must find whatever the value's characters happen to spell
 * (slashes, capitals, a word).
 */
export function drawnSamples(): Sample[] {
  let state = 20261201;
  const next = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const alphabets: [string, string, number][] = [
    ["base64", letters + "+/", 44],
    ["base64", letters + "+/", 88],
    ["base64url", letters + "-_", 43],
    ["alphanumeric", letters, 32],
    ["hex", "0123456789abcdef", 20],
    ["hex", "0123456789abcdef", 32],
    ["hex", "0123456789abcdef", 64],
    // Short values: a sixteen-character key or password, 64 bits of hex.
    ["alphanumeric", letters, 16],
    ["hex", "0123456789abcdef", 16],
  ];
  const forms = [
    (v: string) => `password = "${v}"`,
    (v: string) => `SECRET_KEY=${v}`,
    (v: string) => `{"client_secret": "${v}"}`,
    (v: string) => `api_key: ${v}`,
    (v: string) => `https://x.test/cb?token=${v}&a=1`,
    (v: string) => `curl -H "Authorization: Bearer ${v}" https://x.test`,
    (v: string) => `export API_TOKEN='${v}'`,
    (v: string) => `apiKey: string = "${v}";`,
    (v: string) => `os.environ['SECRET_KEY'] = '${v}'`,
    (v: string) => `<add key="ApiKey" value="${v}" />`,
    (v: string) => `deploy --api-token ${v} --verbose`,
  ];
  const out: Sample[] = [];
  for (const [name, alphabet, length] of alphabets) {
    for (let i = 0; i < 55; i++) {
      let value = "";
      for (let c = 0; c < length; c++) value += alphabet[Math.floor(next() * alphabet.length)];
      const form = forms[i % forms.length]!;
      out.push({
        id: `drawn/${name}-${length}/${i}`,
        corpus: "drawn",
        label: "tp",
        kind: `${name}-${length}`,
        text: form(value),
      });
    }
  }
  // Passwords of sixteen printable characters (a password manager's), in the forms a
  // password is written.
  const printable = letters + "!#$%&*+-.:;=?@^_~";
  /** `count` values of sixteen printable characters, each in the next of `forms` by turns. */
  const drawPrintable = (count: number, kind: string, forms: ((v: string) => string)[]) => {
    for (let i = 0; i < count; i++) {
      let value = "";
      for (let c = 0; c < 16; c++) value += printable[Math.floor(next() * printable.length)];
      const text = forms[i % forms.length]!(value);
      out.push({ id: `drawn/${kind}/${i}`, corpus: "drawn", label: "tp", kind, text });
    }
  };
  const passwordForms = [
    (v: string) => `password = "${v}"`,
    (v: string) => `{"db_password": "${v}"}`,
    (v: string) => `ADMIN_PASSWORD='${v}'`,
  ];
  drawPrintable(30, "password-16", passwordForms);
  // And where a password's name is apart from it or absent: a pod's environment, a name
  // and a value in JSON, a setter, a command, a row of an INSERT or a table, a login's
  // arguments.
  const apartForms = [
    (v: string) => `env:\n  - name: DB_PASSWORD\n    value: "${v}"\n`,
    (v: string) => `{"name": "SMTP_PASSWORD", "value": "${v}"}`,
    (v: string) => `dataSource.setPassword("${v}");`,
    (v: string) => `System.setProperty("db.password", "${v}");`,
    (v: string) => `ENV DB_PASSWORD ${v}`,
    (v: string) => `INSERT INTO users (name, password) VALUES ('admin', '${v}');`,
    (v: string) => `server.login("ops@example.test", "${v}")`,
    (v: string) => `| DB_PASSWORD | ${v} |`,
  ];
  drawPrintable(40, "password-16-apart", apartForms);
  // And a secret of sixteen printable characters with no name at all, where only the call
  // or the command says what it is: a signing key, a passphrase, a Keychain's or a
  // Windows account's password, a database's password by position or in a Go DSN.
  const positionalForms = [
    (v: string) => `const token = jwt.sign(payload, '${v}', { expiresIn: "1h" });`,
    (v: string) => `const mac = crypto.createHmac("sha256", "${v}");`,
    (v: string) => `sig = hmac.new(b"${v}", body, hashlib.sha256)`,
    (v: string) => `ssh-keygen -t ed25519 -N '${v}' -f deploy_key`,
    (v: string) => `security add-generic-password -a me -s api -w '${v}'`,
    (v: string) => `psexec \\\\srv01 -u CORP\\ops -p "${v}" cmd`,
    (v: string) => `net use \\\\srv01\\share "${v}" /user:CORP\\ops`,
    (v: string) => `const db = new Sequelize("app", "admin", "${v}", { host: "db" });`,
    (v: string) => `db, err := sql.Open("mysql", "app:${v}@tcp(db:3306)/app")`,
    (v: string) => `sqlplus -s app/"${v}"@//db:1521/orcl @deploy.sql`,
  ];
  drawPrintable(50, "secret-16-positional", positionalForms);
  return out;
}

/** Prints the detection table; returns false when the corpus is absent. */
export async function detectionReport(): Promise<boolean> {
  const gitleaks = await load("gitleaks.jsonl");
  const secretlint = await load("secretlint.jsonl");
  const pick = (list: Sample[]) => (only ? list.filter((s) => s.kind === only) : list);
  const sets: [string, Sample[]][] = [];
  if (!gitleaks || !secretlint) {
    say(`detection: corpus not found in ${CORPUS} (set BOT_BOTTLE_CORPUS); skipped`);
  } else {
    const allTp = new Set(gitleaks.filter((s) => s.label === "tp").map((s) => s.text.trim()));
    sets.push(
      [
        "gitleaks, hand-written",
        pick(
          gitleaks.filter((s) => (s.label === "fp" && !allTp.has(s.text.trim())) || !s.generated),
        ),
      ],
      ["gitleaks, all", pick(gitleaks)],
      ["secretlint", pick(secretlint)],
    );
  }
  sets.push(["random values, named", pick(drawnSamples())]);
  const rows: Row[] = [];
  for (const [name, samples] of sets) {
    const detectors = [["dlp", dlp], ["dlp, in a request", dlpInRequest], ["gate", gate]] as const;
    for (const [detector, fn] of detectors) {
      rows.push(await measure(name, samples, detector, fn));
    }
  }
  const header = ["corpus", "detector", "recall", "false positives"];
  const cells = rows.map((r) => [
    r.corpus,
    r.detector,
    `${(r.recall * 100).toFixed(1)}% of ${r.tp}`,
    r.fp ? `${(r.fpRate * 100).toFixed(1)}% of ${r.fp}` : "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  for (const row of [header, ...cells]) say(row.map((c, i) => c.padEnd(widths[i]!)).join("  "));
  for (const r of rows.filter((r) => r.missed.size > 0 && r.detector.startsWith("dlp"))) {
    const kinds = [...r.missed].toSorted((a, b) => b[1] - a[1]).map(([k, n]) => `${k} (${n})`);
    say(`missed by ${r.detector} in ${r.corpus}: ${kinds.join(", ")}`);
  }
  // The negatives are the same samples in every row of a corpus: told once for each list.
  const told = new Set<string>();
  for (const r of rows.filter((r) => r.flaggedKinds.size > 0 && r.detector === "dlp")) {
    const kinds = [...r.flaggedKinds].toSorted((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} (${n})`).join(", ");
    if (told.has(kinds)) continue;
    told.add(kinds);
    say(`negatives flagged by dlp in ${r.corpus}, by the rule whose list holds them: ${kinds}`);
  }
  return gitleaks !== undefined && secretlint !== undefined;
}

/** Files shown per rule by `treeReport`. */
const SHOWN = 5;

/** `--tree`: files flagged among the text files under `dirs`, by rule (see the module's doc). */
export async function treeReport(dirs: readonly string[]): Promise<void> {
  const byRule = new Map<string, string[]>();
  let files = 0;
  let bytes = 0;
  let flagged = 0;
  const start = performance.now();
  const walk = async (dir: string): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      return;
    }
    for (const entry of entries.toSorted((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory && entry.name !== ".git") await walk(path);
      if (!entry.isFile) continue;
      let data: Uint8Array;
      try {
        if ((await Deno.stat(path)).size > 4 << 20) continue;
        data = await Deno.readFile(path);
      } catch {
        continue;
      }
      if (looksBinary(data)) continue;
      files++;
      bytes += data.length;
      const text = new TextDecoder().decode(data);
      const found = findSecrets(text, { utf8: data });
      if (found.length > 0) flagged++;
      for (const rule of new Set(found.map((f) => f.rule))) {
        const at = found.find((f) => f.rule === rule)!.index;
        const line = text.slice(0, at).split("\n").length;
        byRule.set(rule, [...byRule.get(rule) ?? [], `${path}:${line}`]);
      }
    }
  };
  for (const dir of dirs) await walk(dir);
  say(
    `${flagged} of ${files} text files flagged (${(bytes / 1e6).toFixed(1)} MB in ${
      ((performance.now() - start) / 1000).toFixed(1)
    } s)`,
  );
  for (const [rule, paths] of [...byRule].toSorted((a, b) => b[1].length - a[1].length)) {
    say(`  ${rule}: ${paths.length} file(s)`);
    for (const path of paths.slice(0, SHOWN)) say(`    ${path}`);
  }
}

if (import.meta.main) {
  const tree = Deno.args.indexOf("--tree");
  if (tree < 0) await detectionReport();
  else {
    const dirs = Deno.args.slice(tree + 1);
    // A folder named wrong would otherwise read as a tree with nothing flagged.
    const missing = dirs.filter((dir) => {
      try {
        return !Deno.statSync(dir).isDirectory;
      } catch {
        return true;
      }
    });
    if (dirs.length === 0 || missing.length > 0) {
      // deno-lint-ignore no-console
      console.error(
        dirs.length === 0
          ? "usage: deno run -A scripts/detection.ts --tree DIR..."
          : `detection: not a folder: ${missing.join(", ")}`,
      );
      Deno.exit(2);
    }
    await treeReport(dirs);
  }
}
