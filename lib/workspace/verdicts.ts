/**
 * @module
 * The secret scan's verdicts kept between starts: the ids of contents this detector
 * found clean, named as git names a blob (`blob <size>\0<content>`, hashed with the
 * repository's object format). A file of the tree and the same content as a blob of the
 * history are so one entry: read and scanned once at a first start (the tree's files
 * are most of the history's newest versions), and not scanned again at the next.
 * An id is of the very bytes scanned, so a verdict is never taken for other content.
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { log } from "../log.ts";
import { getPublicValues, printableText } from "../secrets/mod.ts";
import { RULES } from "../secrets/rules.ts";
import { COMMIT, VERSION } from "../version.ts";

/** How a repository names its objects. */
export type ObjectFormat = "sha1" | "sha256";

/** The id git gives `bytes` as a blob. */
export function contentId(bytes: Uint8Array, format: ObjectFormat): string {
  const hash = createHash(format);
  hash.update(`blob ${bytes.length}\0`);
  hash.update(bytes);
  return hash.digest("hex");
}

/**
 * The most ids kept (some 80 MB, read at every start); past it, the cache starts again
 * from the contents this start met.
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

/** Contents found clean: by this start, and (with a cache directory) by earlier ones. */
export class CleanContents {
  #added = false;
  /** The ids this start met: held clean before, or found clean now. */
  #met = new Set<string>();

  private constructor(
    readonly format: ObjectFormat,
    private readonly ids: Set<string>,
    private readonly file?: string,
  ) {}

  /**
   * The verdicts of this detector kept in `dir` (`dir/<detector id>`), or none kept
   * when `dir` is undefined. `format`: how the tree's files are named (the history's
   * blobs come named by git).
   */
  static async open(dir: string | undefined, format: ObjectFormat): Promise<CleanContents> {
    if (dir === undefined) return new CleanContents(format, new Set());
    const file = join(dir, await detectorId());
    const text = await Deno.readTextFile(file).catch(() => "");
    const ids = new Set(text.split("\n").filter((l) => /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(l)));
    return new CleanContents(format, ids, file);
  }

  has(id: string): boolean {
    if (!this.ids.has(id)) return false;
    this.#met.add(id);
    return true;
  }

  add(id: string): void {
    this.#met.add(id);
    if (this.ids.has(id)) return;
    this.ids.add(id);
    this.#added = true;
  }

  /**
   * Keeps what this start added, for the next (a cache of another detector goes); past
   * `MAX_CACHED`, only what this start met. `max`: that bound (for tests).
   */
  async save(max = MAX_CACHED): Promise<void> {
    const file = this.file;
    if (!file || !this.#added) return;
    const ids = this.ids.size > max ? this.#met : this.ids;
    if (ids.size > max) return;
    try {
      const dir = join(file, "..");
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      for await (const e of Deno.readDir(dir)) {
        if (e.isFile && join(dir, e.name) !== file) await Deno.remove(join(dir, e.name));
      }
      const partial = `${file}.${crypto.randomUUID().slice(0, 8)}.partial`;
      await Deno.writeTextFile(partial, [...ids].join("\n") + "\n", { mode: 0o600 });
      await Deno.rename(partial, file);
      this.#added = false;
    } catch (error) {
      log.debug(`Could not keep the scan's verdicts: ${(error as Error).message}`);
    }
  }
}
