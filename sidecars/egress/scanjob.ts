/**
 * @module
 * The scan of one request body's opened forms, as a job a worker runs off the proxy's
 * event loop (see `scanpool.ts`) or the proxy runs in place: every finding, and for a
 * body that may have its secrets cut out, the body without them.
 */

import { cutOutSecrets, type DlpFinding, scanRequest } from "./dlp.ts";
import { setPublicValues } from "../../lib/secrets/mod.ts";

/** What one body's scan is given. */
export interface ScanJob {
  /** The body opened under its codings, then each file found inside it (`within`: what it was opened from). */
  parts: { bytes: Uint8Array; within: string }[];
  /** The bottle's own values, refused in any encoding. */
  values: string[];
  /** Values the person declared public (see `setPublicValues`); as set before when absent. */
  publicValues?: string[];
  /**
   * Whether secrets may be cut out of `parts[0]` (the body as it came, a model request):
   * done when every finding is in its text and the body is UTF-8 throughout.
   */
  mayCut: boolean;
  /**
   * One share of a large body's scan, done by several workers at once (see `shares`):
   * "text", a stretch of the body, its text alone scanned (the job's only part); "rest",
   * everything else: the first part's fields joined, and the other parts whole. No
   * secret is cut out in a share.
   */
  share?: "text" | "rest";
  /**
   * A stretch's own bytes of it (from, to): it reaches `SHARE_OVERLAP` further either
   * way, to see what lies across a cut whole, and reports only what starts in its own.
   */
  own?: [number, number];
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
  const findings = job.parts.flatMap((part, i) => {
    const found = scanRequest(
      { url: "", headers: [], body: texts[i]!, bodyBytes: part.bytes },
      job.values,
      i === 0 && job.share
        ? {
          only: job.share === "text" ? "text" : "fields",
          ...(job.own ? { own: ownChars(part.bytes, texts[i]!, job.own) } : {}),
        }
        : {},
    );
    return part.within ? found.map((f) => ({ ...f, within: part.within })) : found;
  });
  if (job.share) return { findings };
  // Text only: a body that is not UTF-8 would not come back byte for byte.
  if (
    job.mayCut && job.parts.length === 1 && findings.length > 0 &&
    findings.every((f) => f.where === "body") && isUtf8(job.parts[0]!.bytes)
  ) {
    const cut = cutOutSecrets(texts[0]!, job.values);
    if (cut) return { findings, cut: cut.text };
  }
  return { findings };
}

/**
 * A stretch's own bytes, `from`-`to`, as offsets in its text: both are where it may be
 * cut (ASCII), so what comes before and after decodes as it does within the whole.
 */
function ownChars(bytes: Uint8Array, text: string, [from, to]: [number, number]): [number, number] {
  const decoder = new TextDecoder();
  return [
    decoder.decode(bytes.subarray(0, from)).length,
    text.length - decoder.decode(bytes.subarray(to)).length,
  ];
}

/** Whether `bytes` are UTF-8 throughout. */
function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Bodies from this size on are scanned in shares, by several workers at once; up to
 * `SHARE_UP_TO`: past it a body is an upload, whose scan's memory (each worker holds
 * its stretch's decoded forms) matters more than its time.
 */
export const SHARE_FROM = 512 * 1024;
export const SHARE_UP_TO = 8 * 1024 * 1024;
/**
 * About how large a share is: smaller than half a body, so that the workers take the
 * next as each finishes (what a scan costs is not even along a body: source files full
 * of keywords, then prose), at most `MAX_SHARES`.
 */
const SHARE_SIZE = 256 * 1024;
const MAX_SHARES = 8;
/**
 * How far a stretch reaches past its own bytes: more than the widest window a rule
 * reads around its keyword (4,000 characters) and than a key block is long.
 */
export const SHARE_OVERLAP = 16 * 1024;

/**
 * Bytes a stretch may be cut at: no encoded run, wrapped block or escape crosses them
 * (what a scan decodes whole is made of letters, digits, `+/_-=`, line breaks, `\`,
 * `%` and `&#;`). Around a cut, stretches overlap by `SHARE_OVERLAP`: what lies across
 * a cut is whole in either.
 */
const CUT_AT = new Uint8Array(128);
for (const c of " \t\",:{}[]()<>'") CUT_AT[c.charCodeAt(0)] = 1;

/** The byte nearest `at` (within `reach`, either way) a stretch may be cut at. */
function cutNear(bytes: Uint8Array, at: number, reach: number): number | undefined {
  for (let d = 0; d <= reach; d++) {
    if (at + d < bytes.length && CUT_AT[bytes[at + d]!] === 1) return at + d;
    if (at - d > 0 && CUT_AT[bytes[at - d]!] === 1) return at - d;
  }
  return undefined;
}

/**
 * Where a stretch that reaches to about `at` starts or ends: at a byte it may be cut at
 * within 4 KiB beyond (a run is not cut short there), or else at the next character.
 */
function edge(bytes: Uint8Array, at: number, way: 1 | -1): number {
  if (at <= 0) return 0;
  if (at >= bytes.length) return bytes.length;
  for (let d = 0; d < 4096; d++) {
    const i = at + way * d;
    if (i <= 0 || i >= bytes.length) break;
    if (CUT_AT[bytes[i]!] === 1) return i;
  }
  // Not inside a character: past the bytes that continue one.
  while (at < bytes.length && (bytes[at]! & 0xc0) === 0x80) at++;
  return at;
}

/**
 * A large body in `count` overlapping stretches (views of it, and the bytes of each that
 * are its own), cut where no encoded run crosses near each even share; undefined when
 * it is smaller than `SHARE_FROM`, larger than `SHARE_UP_TO` or has no such place (one
 * run of base64 across the middle): it is scanned whole.
 */
export function stretches(
  bytes: Uint8Array,
  count: number,
): { bytes: Uint8Array; own: [number, number] }[] | undefined {
  if (count < 2 || bytes.length < SHARE_FROM || bytes.length > SHARE_UP_TO) return undefined;
  const cuts = [0];
  for (let k = 1; k < count; k++) {
    const cut = cutNear(bytes, Math.round((k * bytes.length) / count), bytes.length / (2 * count));
    if (cut !== undefined && cut > cuts.at(-1)!) cuts.push(cut);
  }
  if (cuts.length < 2) return undefined;
  cuts.push(bytes.length);
  return cuts.slice(0, -1).map((from, k) => {
    const to = cuts[k + 1]!;
    const start = edge(bytes, from - SHARE_OVERLAP, -1);
    return {
      bytes: bytes.subarray(start, edge(bytes, to + SHARE_OVERLAP, 1)),
      own: [from - start, to - start],
    };
  });
}

/**
 * The jobs that share the scan of `job` among `workers` (see `share`), or undefined when
 * its body is scanned whole: a stretch of the body each, then the rest.
 */
export function shares(job: ScanJob, workers: number): ScanJob[] | undefined {
  const body = job.parts[0];
  if (!body || workers < 2) return undefined;
  const count = Math.min(MAX_SHARES, Math.max(2, Math.round(body.bytes.length / SHARE_SIZE)));
  const parts = stretches(body.bytes, count);
  if (!parts) return undefined;
  return [
    ...parts.map(({ bytes, own }): ScanJob => ({
      ...job,
      parts: [{ bytes, within: body.within }],
      mayCut: false,
      share: "text",
      own,
    })),
    { ...job, mayCut: false, share: "rest" },
  ];
}

/**
 * The findings of a body's shares as one scan of it reports them: each once, the body's
 * first, and of its fields joined only the kinds no single place showed.
 */
export function mergeShares(job: ScanJob, results: readonly ScanResult[]): DlpFinding[] {
  const within = job.parts[0]?.within ?? "";
  const out: DlpFinding[] = [];
  const seen = new Set<string>();
  for (const f of results.flatMap((r) => r.findings)) {
    const key = `${f.rule}\n${f.where}\n${f.encoding}\n${f.within ?? ""}`;
    if (seen.has(key)) continue;
    const first = (f.within ?? "") === within;
    if (
      first && f.where === "fields" &&
      out.some((o) => o.rule === f.rule && o.where !== "fields" && (o.within ?? "") === within)
    ) continue;
    seen.add(key);
    out.push(f);
  }
  return out;
}
