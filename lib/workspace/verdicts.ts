/**
 * @module
 * The secret scan's verdicts kept between starts: the ids of contents this detector
 * found clean, named as git names a blob (`blob <size>\0<content>`, hashed with the
 * repository's object format). A file of the tree and the same content as a blob of the
 * history are so one entry: read and scanned once at a first start (the tree's files
 * are most of the history's newest versions), and not scanned again at the next.
 * An id is of the very bytes scanned, so a verdict is never taken for other content.
 */

import { basename, join } from "node:path";
import { log } from "../log.ts";
import { getPublicValues, printableText } from "../secrets/mod.ts";
import { RULES } from "../secrets/rules.ts";
import { COMMIT, VERSION } from "../version.ts";

/** How a repository names its objects. */
export type ObjectFormat = "sha1" | "sha256";

/**
 * The most ids kept (40 MB of sha1 ids); past it, the cache starts again from the
 * contents this start met.
 */
const MAX_CACHED = 2_000_000;

const detectorKeys = new Map<string, string>();
/**
 * What names the detector's judgement: this version and build, every rule with its
 * checks' code, the text a binary file is scanned as, and the values declared public.
 * Content found clean is clean again only for the same detector (with fewer values
 * public, content found clean may hold a secret).
 */
async function detectorId(): Promise<string> {
  const publicValues = getPublicValues();
  const known = detectorKeys.get(publicValues.join("\n"));
  if (known) return known;
  const rules = RULES.map((r) => [
    r.id,
    r.kind,
    r.keywords,
    r.pattern.source,
    r.pattern.flags,
    r.entropy,
    r.window,
    r.anchored,
    r.placeholders,
    r.group,
    String(r.check),
    String(r.checkMatch),
  ]);
  const bytes = new TextEncoder().encode(
    JSON.stringify([VERSION, COMMIT, rules, String(printableText), publicValues]),
  );
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const key = Array.from(digest.subarray(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
  detectorKeys.set(publicValues.join("\n"), key);
  return key;
}

/** Bytes of an id in each format. */
const WIDTH: Record<ObjectFormat, number> = { sha1: 20, sha256: 32 };

/** Orders the `width`-byte records of `a` at `i` and `b` at `j`. */
function compare(a: Uint8Array, i: number, b: Uint8Array, j: number, width: number): number {
  for (let k = 0; k < width; k++) {
    const d = a[i + k]! - b[j + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * `ids` (lower-case hex, `width` bytes each) as sorted records, one after another (hex
 * sorts as its bytes do).
 */
function records(ids: Iterable<string>, width: number): Uint8Array {
  return Uint8Array.fromHex([...ids].filter((id) => id.length === 2 * width).sort().join(""));
}

/** Two runs of sorted records, `a` and `b` (none in both), as one. */
function merged(a: Uint8Array, b: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const [from, at] = compare(a, i, b, j, width) < 0 ? [a, i] : [b, j];
    for (let k = 0; k < width; k++) out[n + k] = from[at + k]!;
    n += width;
    if (from === a) i += width;
    else j += width;
  }
  out.set(a.subarray(i), n);
  out.set(b.subarray(j), n + a.length - i);
  return out;
}

/**
 * Contents found clean: by this start, and (with a cache directory) by earlier ones,
 * kept as sorted ids of fixed width (a file of two million, 40 MB, reads in tens of
 * milliseconds; as lines of hex in a set of strings it had taken 2.8 s, at every start).
 */
export class CleanContents {
  /** Ids found clean by this start that were not kept. */
  #added = new Set<string>();
  /** The ids this start met: held clean before, or found clean now. */
  #met = new Set<string>();

  private constructor(
    readonly format: ObjectFormat,
    private readonly kept: Uint8Array,
    private readonly file?: string,
  ) {}

  /**
   * The verdicts of this detector kept in `dir` (`dir/<detector id>.<format>`), or none
   * kept when `dir` is undefined. `format`: how the repository names its objects (the
   * tree's files are named so too).
   */
  static async open(dir: string | undefined, format: ObjectFormat): Promise<CleanContents> {
    if (dir === undefined) return new CleanContents(format, new Uint8Array());
    const file = join(dir, `${await detectorId()}.${format}`);
    const kept = await Deno.readFile(file).catch(() => new Uint8Array());
    // A file cut short is not read: the next start writes it anew.
    return new CleanContents(
      format,
      kept.length % WIDTH[format] === 0 ? kept : new Uint8Array(),
      file,
    );
  }

  /** Whether the file held `id` (a binary search). */
  #kept(id: string): boolean {
    const width = WIDTH[this.format];
    if (id.length !== 2 * width || this.kept.length === 0) return false;
    const key = Uint8Array.fromHex(id);
    let low = 0;
    let high = this.kept.length / width;
    while (low < high) {
      const mid = (low + high) >> 1;
      const c = compare(this.kept, mid * width, key, 0, width);
      if (c === 0) return true;
      if (c < 0) low = mid + 1;
      else high = mid;
    }
    return false;
  }

  has(id: string): boolean {
    if (!this.#added.has(id) && !this.#kept(id)) return false;
    this.#met.add(id);
    return true;
  }

  add(id: string): void {
    this.#met.add(id);
    if (!this.#added.has(id) && !this.#kept(id)) this.#added.add(id);
  }

  /**
   * Keeps what this start added, for the next (a cache of another detector goes); past
   * `MAX_CACHED`, only what this start met. `max`: that bound (for tests).
   */
  async save(max = MAX_CACHED): Promise<void> {
    const file = this.file;
    if (!file || this.#added.size === 0) return;
    const width = WIDTH[this.format];
    const fresh = records(this.#added, width);
    const out = (this.kept.length + fresh.length) / width > max
      ? records(this.#met, width)
      : merged(this.kept, fresh, width);
    if (out.length / width > max) return;
    try {
      const dir = join(file, "..");
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      // Caches of other detectors are of no more use (this one's for another format is).
      const detector = basename(file).split(".")[0]!;
      const ours = new Set(Object.keys(WIDTH).map((f) => `${detector}.${f}`));
      for await (const e of Deno.readDir(dir)) {
        if (e.isFile && !ours.has(e.name)) await Deno.remove(join(dir, e.name));
      }
      const partial = `${file}.${crypto.randomUUID().slice(0, 8)}.partial`;
      await Deno.writeFile(partial, out, { mode: 0o600 });
      await Deno.rename(partial, file);
      this.#added.clear();
    } catch (error) {
      log.debug(`Could not keep the scan's verdicts: ${(error as Error).message}`);
    }
  }
}
