/**
 * @module
 * The scan of one request body's opened forms, as a job a worker runs off the proxy's
 * event loop (see `scanpool.ts`) or the proxy runs in place: every finding, and for a
 * body that may have its secrets cut out, the body without them.
 */

import { bodySecrets, type DlpFinding, scanRequest } from "./dlp.ts";
import { cutOutSecrets } from "./cut.ts";
import { pushCommands } from "./gitpush.ts";
import { secretCutInName, secretInName, setPublicValues } from "../../lib/secrets/mod.ts";

/** What one body's scan is given. */
export interface ScanJob {
  /** The body opened under its codings, then each file found inside it (`within`: what it was opened from). */
  parts: { bytes: Uint8Array; within: string }[];
  /** The bottle's own values, refused in any encoding. */
  values: string[];
  /**
   * The paths a pushed pack's trees make (`treePaths`): each read whole and its parts
   * joined, as the git gate reads a pushed path.
   */
  paths?: string[];
  /** Values the person declared public (see `setPublicValues`); as set before when absent. */
  publicValues?: string[];
  /**
   * Whether secrets may be cut out of `parts[0]` (the body as it came, a model request):
   * done when every finding is in its text and the body is UTF-8 throughout.
   */
  mayCut: boolean;
}

/** What it came to. */
export interface ScanResult {
  findings: DlpFinding[];
  /** The body to send instead, its secrets cut out. */
  cut?: string;
}

/** Runs `job` here. */
export function runScanJob(job: ScanJob): ScanResult {
  // The same for every job of a bottle; set here for a worker, which has its own.
  if (job.publicValues) setPublicValues(job.publicValues);
  const texts = job.parts.map((p) => new TextDecoder().decode(p.bytes));
  // Where in a body that may be cut its secrets are: found once, for the scan and the cut.
  const cuttable = job.mayCut && job.parts.length === 1;
  const located = cuttable ? bodySecrets(texts[0]!, job.values, job.parts[0]!.bytes) : undefined;
  const findings = job.parts.flatMap((part, i) => {
    const found = scanRequest(
      { url: "", headers: [], body: texts[i]!, bodyBytes: part.bytes },
      job.values,
      located,
    );
    return part.within ? found.map((f) => ({ ...f, within: part.within })) : found;
  });
  // A push's ref names and its paths, read as the git gate reads them: a token cut at
  // their slashes is found too (`refs/heads/ghp_Zq8L/w2Rt...`, `docs/<half>/<half>.md`).
  // A path's names were each read in its tree: only what they make joined is looked for.
  const named = [
    ...(pushCommands(job.parts[0]?.bytes ?? new Uint8Array())?.refs ?? []).map((name) =>
      [name, "a pushed ref's name", secretInName] as const
    ),
    ...(job.paths ?? []).map((name) => [name, "a pushed path", secretCutInName] as const),
  ];
  for (const [name, what, look] of named) {
    const found = look(name, job.values)?.finding;
    if (!found || findings.some((f) => f.rule === found.rule)) continue;
    findings.push({
      rule: found.rule,
      description: `${found.description} in ${what}`,
      where: "body",
      encoding: found.encoding,
    });
  }
  // Text only: a body that is not UTF-8 would not come back byte for byte.
  if (
    cuttable && findings.length > 0 && findings.every((f) => f.where === "body") &&
    isUtf8(job.parts[0]!.bytes, texts[0]!)
  ) {
    const cut = cutOutSecrets(texts[0]!, job.values, located);
    if (cut) return { findings, cut: cut.text };
  }
  return { findings };
}

/** Whether `bytes`, decoded as `text`, are UTF-8 throughout. */
function isUtf8(bytes: Uint8Array, text: string): boolean {
  // What is not UTF-8 decodes to U+FFFD: a text without one came from UTF-8 throughout
  // (a search of the text, where a strict decode is a second pass over the bytes).
  if (!text.includes("\uFFFD")) return true;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
