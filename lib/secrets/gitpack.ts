/**
 * @module
 * Git pack data, opened for scanning. `git push` over HTTPS sends the objects it pushes
 * as a pack: each one zlib-compressed, and a changed file often as a delta against
 * another object (in the pack, or one the server already has). To the DLP that is
 * compressed bytes, so a secret committed and pushed to any allowed code host went out
 * unseen. Here each object is inflated and each delta applied to its base when the
 * base is in the pack; a delta against an object only the server has yields the bytes
 * it inserts, which hold whatever the change added. Of a tree, the names it holds (its
 * object ids left out). No dependencies beyond `node:zlib` and `node:crypto`.
 */

import { createHash } from "node:crypto";
import { inflateSync } from "node:zlib";
import { concat } from "../bytes.ts";
import { CompressedError } from "./compressed.ts";

const COMMIT = 1, TREE = 2, BLOB = 3, TAG = 4, OFS_DELTA = 6, REF_DELTA = 7;
const TYPE_NAMES: Record<number, string> = {
  [COMMIT]: "commit",
  [TREE]: "tree",
  [BLOB]: "blob",
  [TAG]: "tag",
};

/** Objects opened in one body, at most: past this a body is refused, not scanned in part. */
export const MAX_PACK_OBJECTS = 65536;
/** Rounds of resolving deltas named by object id, at most (git makes chains of up to 50). */
const MAX_CHAIN = 64;

interface Entry {
  type: number;
  /** Inflated: the object, or for a delta its instructions. */
  data: Uint8Array;
  /** A delta's base: its offset in the pack, or its object id (hex). */
  base?: number | string;
  /** A delta applied to its base, and the type it takes from it. */
  resolved?: { type: number; content: Uint8Array } | null;
}

/** Bytes opened, against the limit a body has. */
class Budget {
  constructor(public left: number, readonly limit: number) {}
  take(n: number): void {
    if (n > this.left) {
      throw new CompressedError(
        `its git pack data opens to more than ${this.limit >> 20} MiB, more than the proxy scans`,
        "large",
      );
    }
    this.left -= n;
  }
}

/**
 * What the git packs inside `bytes` hold (a `git push` over HTTPS: `git-receive-pack`
 * commands, then the pack): the commits, tags and files, deltas applied, and for a delta
 * whose base is not in the pack the bytes it inserts. Bytes that only look like the start
 * of a pack are passed over. Throws `CompressedError` when the objects open to more than
 * `limit` bytes, number more than `MAX_PACK_OBJECTS`, or stop reading part way.
 */
export function packObjects(bytes: Uint8Array, limit: number, paths?: string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const budget = new Budget(limit, limit);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Found by its `K`, the rarest of its letters (a search for `P` took a millisecond per
  // MiB of source code).
  for (
    let k = bytes.indexOf(0x4b, 3);
    k !== -1 && k + 9 <= bytes.length;
    k = bytes.indexOf(0x4b, k + 1)
  ) {
    const at = k - 3;
    if (view.getUint32(at) !== 0x5041434b) continue; // "PACK"
    const version = view.getUint32(at + 4);
    if (version !== 2 && version !== 3) continue;
    const count = view.getUint32(at + 8);
    if (count > MAX_PACK_OBJECTS) {
      throw new CompressedError(
        `its git pack holds ${count} objects, more than the proxy opens (${MAX_PACK_OBJECTS})`,
        "large",
      );
    }
    const pack = readPack(bytes, at, count, budget);
    if (pack === undefined) continue;
    for (const content of pack.contents) out.push(content);
    if (paths) { for (const path of treePaths(pack.trees)) paths.push(path); }
    k = pack.end - 1;
  }
  return out;
}

/** A base-128 number as pack headers write it. */
function readSize(bytes: Uint8Array, p: number, first: number, shift: number) {
  let c = first;
  let size = c & ((1 << shift) - 1);
  while (c & 0x80) {
    if (p >= bytes.length || shift > 49) return undefined;
    c = bytes[p++]!;
    size += (c & 0x7f) * 2 ** shift;
    shift += 7;
  }
  return { size, p };
}

/** One zlib stream at `p`, which must open to `size` bytes. */
function inflateAt(bytes: Uint8Array, p: number, size: number) {
  try {
    const r = inflateSync(bytes.subarray(p), {
      info: true,
      maxOutputLength: Math.max(1, size),
    }) as unknown as {
      buffer: Uint8Array;
      engine: { bytesWritten: number };
    };
    if (r.buffer.length !== size) return undefined;
    return {
      data: new Uint8Array(r.buffer.buffer, r.buffer.byteOffset, r.buffer.length),
      p: p + r.engine.bytesWritten,
    };
  } catch {
    return undefined; // not zlib data, cut short, or longer than its header says
  }
}

/**
 * The objects of the pack at `start`, undefined when what is there is not one (its first
 * object does not read). Throws `CompressedError` for one that stops reading part way.
 */
function readPack(bytes: Uint8Array, start: number, count: number, budget: Budget) {
  const entries = new Map<number, Entry>();
  let p = start + 12;
  for (let i = 0; i < count; i++) {
    const offset = p;
    if (p >= bytes.length) break;
    const head = readSize(bytes, p + 1, bytes[p]!, 4);
    if (!head) break;
    const type = (bytes[p]! >> 4) & 7;
    p = head.p;
    let base: number | string | undefined;
    if (type === OFS_DELTA) {
      let c = bytes[p++] ?? 0;
      let back = c & 0x7f;
      while (c & 0x80 && p < bytes.length && back < 2 ** 40) {
        c = bytes[p++]!;
        back = (back + 1) * 128 + (c & 0x7f);
      }
      base = offset - back;
    } else if (type === REF_DELTA) {
      base = "";
    } else if (!TYPE_NAMES[type]) break;
    budget.take(head.size);
    let inflated: ReturnType<typeof inflateAt>;
    if (type === REF_DELTA) {
      // An object id of SHA-1 (20 bytes) or, in a SHA-256 repository, 32.
      for (const idLength of [20, 32]) {
        inflated = inflateAt(bytes, p + idLength, head.size);
        if (inflated) {
          base = hex(bytes.subarray(p, p + idLength));
          break;
        }
      }
    } else inflated = inflateAt(bytes, p, head.size);
    if (!inflated) {
      budget.left += head.size;
      break;
    }
    entries.set(offset, { type, data: inflated.data, base });
    p = inflated.p;
  }
  if (entries.size === 0) return undefined;
  if (entries.size < count) {
    // What could not be read would reach the server unchecked: refused, not scanned in part.
    throw new CompressedError(
      "its git pack data cannot be read whole (an object does not open), so the proxy cannot check it",
      "malformed",
    );
  }
  const trees: Uint8Array[] = [];
  return { contents: contentsOf(entries, budget, trees), end: p, trees };
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** What the entries hold: objects whole (trees' names), deltas resolved where they can be. */
function contentsOf(
  entries: Map<number, Entry>,
  budget: Budget,
  trees: Uint8Array[],
): Uint8Array[] {
  const deltas = [...entries.values()].filter((e) => e.type === OFS_DELTA || e.type === REF_DELTA);
  // Object ids, only when a delta names its base by one (a thin pack's bases are not here).
  let ids: Map<string, { type: number; content: Uint8Array }> | undefined;
  if (deltas.some((d) => d.type === REF_DELTA)) {
    ids = new Map();
    for (const e of entries.values()) {
      if (e.type !== OFS_DELTA && e.type !== REF_DELTA) {
        ids.set(objectId(e.type, e.data), { type: e.type, content: e.data });
      }
    }
  }
  // In pack order a base comes before its deltas, so one round resolves most; a delta on
  // a delta named by id may need another (each round resolves one more link at least).
  for (let round = 0; round < MAX_CHAIN; round++) {
    let progress = false;
    for (const d of deltas) {
      if (d.resolved !== undefined) continue;
      const base = typeof d.base === "number" ? entries.get(d.base) : undefined;
      const object = base === undefined
        ? ids?.get(String(d.base))
        : base.type === OFS_DELTA || base.type === REF_DELTA
        ? base.resolved
        : { type: base.type, content: base.data };
      if (object === undefined) {
        // A base offset with no object there never resolves; an id may, later.
        if (typeof d.base === "number") d.resolved = null;
        continue;
      }
      d.resolved = object === null ? null : applyDelta(object, d.data, budget);
      if (d.resolved && ids) ids.set(objectId(d.resolved.type, d.resolved.content), d.resolved);
      progress = true;
    }
    if (!progress) break;
  }
  const out: Uint8Array[] = [];
  const add = (type: number, content: Uint8Array) => {
    if (type === TREE) trees.push(content);
    out.push(type === TREE ? treeNames(content) : content);
  };
  for (const e of entries.values()) {
    if (e.type === OFS_DELTA || e.type === REF_DELTA) {
      if (!e.resolved) out.push(insertedBytes(e.data));
      else add(e.resolved.type, e.resolved.content);
    } else add(e.type, e.data);
  }
  return out.filter((c) => c.length > 0);
}

const NEWLINE = new Uint8Array([10]);

/**
 * The names a tree holds, a line each (its entries are a mode, a name and a binary
 * object id): a file named for a token carries it as surely as its content does.
 */
function treeNames(tree: Uint8Array): Uint8Array {
  const names: Uint8Array[] = [];
  for (const { name } of treeEntries(tree)) names.push(name, NEWLINE);
  return concat(names);
}

/**
 * The entries of a tree: a mode, a name and a binary object id each (the last one's id
 * cut short in a malformed tree: its name is still read). Ids are of SHA-1 (20 bytes) or,
 * in a SHA-256 repository, 32: read with the length that makes every mode a mode and
 * ends at the tree's end (as `git fsck` reads one), else 20.
 */
function* treeEntries(
  tree: Uint8Array,
): Generator<{ mode: Uint8Array; name: Uint8Array; id: Uint8Array }> {
  const length = idLength(tree);
  for (let at = 0; at < tree.length;) {
    const space = tree.indexOf(32, at);
    const nul = space === -1 ? -1 : tree.indexOf(0, space);
    if (nul === -1) return;
    yield {
      mode: tree.subarray(at, space),
      name: tree.subarray(space + 1, nul),
      id: tree.subarray(nul + 1, nul + 1 + length),
    };
    at = nul + 1 + length;
  }
}

/** The length of a tree's object ids (see `treeEntries`). */
function idLength(tree: Uint8Array): 20 | 32 {
  const reads = (length: number) => {
    let at = 0;
    while (at < tree.length) {
      const space = tree.indexOf(32, at);
      const nul = space === -1 ? -1 : tree.indexOf(0, space);
      if (nul === -1 || space - at < 5 || space - at > 6) return false;
      for (let i = at; i < space; i++) if (tree[i]! < 0x30 || tree[i]! > 0x37) return false;
      at = nul + 1 + length;
    }
    return at === tree.length;
  };
  return reads(20) || !reads(32) ? 20 : 32;
}

/**
 * Distinct paths `treePaths` reads, at most: a pack whose trees make more is refused, not
 * read in part (a cut token placed past the limit would pass).
 */
export const MAX_PACK_PATHS = 200_000;
/** Directories deep, at most. */
const MAX_DEPTH = 64;

/**
 * The paths two levels deep or more that the pack's trees make, from each tree no other
 * tree in it holds (a commit's root, or a directory changed under one only the server
 * has). A token cut at a path's slash (a directory named for its first half, a file in it
 * for the rest) sits in two trees, each of whose names is read alone (`treeNames`): the
 * caller reads each path's parts joined (see `secretCutInName`). A tree reached again
 * under the same path (the same directory in each pushed commit) is followed once.
 * Throws `CompressedError` past `MAX_PACK_PATHS`.
 */
export function treePaths(trees: readonly Uint8Array[]): string[] {
  const decoder = new TextDecoder();
  const byId = new Map<string, { name: string; dir: boolean; id: string }[]>();
  const held = new Set<string>();
  for (const tree of trees) {
    const entries = [];
    for (const entry of treeEntries(tree)) {
      const dir = decoder.decode(entry.mode) === "40000";
      const id = hex(entry.id);
      entries.push({ name: decoder.decode(entry.name), dir, id });
      if (dir) held.add(id);
    }
    byId.set(
      gitObjectId("tree", tree, idLength(tree) === 32 ? "sha256" : "sha1"),
      entries,
    );
  }
  const paths = new Set<string>();
  const followed = new Set<string>();
  const walk = (id: string, prefix: string, depth: number) => {
    const key = `${prefix}\0${id}`;
    if (followed.has(key)) return;
    followed.add(key);
    for (const entry of byId.get(id) ?? []) {
      const path = prefix + entry.name;
      if (prefix) paths.add(path);
      if (paths.size > MAX_PACK_PATHS) {
        throw new CompressedError(
          `its git pack's trees make more than ${MAX_PACK_PATHS} paths, more than the proxy reads`,
          "large",
        );
      }
      if (entry.dir && depth < MAX_DEPTH) walk(entry.id, `${path}/`, depth + 1);
    }
  };
  for (const id of byId.keys()) if (!held.has(id)) walk(id, "", 0);
  return [...paths];
}

function objectId(type: number, content: Uint8Array): string {
  return gitObjectId(TYPE_NAMES[type]!, content);
}

/** The id git gives `content` as an object of `kind` (`blob`, `tree`...), in `format`. */
export function gitObjectId(
  kind: string,
  content: Uint8Array,
  format: "sha1" | "sha256" = "sha1",
): string {
  return createHash(format).update(`${kind} ${content.length}\0`).update(content).digest("hex");
}

type Step =
  | { kind: "size"; size: number }
  | { kind: "copy"; offset: number; size: number }
  | { kind: "insert"; bytes: Uint8Array };

/** A delta's instructions: the sizes of base and result, then copies from the base and inserted bytes. */
function* instructions(delta: Uint8Array): Generator<Step> {
  let p = 0;
  for (let k = 0; k < 2; k++) {
    const s = readSize(delta, p + 1, delta[p] ?? 0, 7);
    if (!s) return;
    yield { kind: "size", size: s.size };
    p = s.p;
  }
  while (p < delta.length) {
    const op = delta[p++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let b = 0; b < 4; b++) if (op & (1 << b)) offset += (delta[p++] ?? 0) * 2 ** (8 * b);
      for (let b = 0; b < 3; b++) if (op & (0x10 << b)) size += (delta[p++] ?? 0) << (8 * b);
      yield { kind: "copy", offset, size: size || 0x10000 };
    } else if (op > 0) {
      yield { kind: "insert", bytes: delta.subarray(p, p + op) };
      p += op;
    } else return; // reserved
  }
}

/** The delta applied to `base`, or null when it does not apply (a malformed delta). */
function applyDelta(
  base: { type: number; content: Uint8Array },
  delta: Uint8Array,
  budget: Budget,
): { type: number; content: Uint8Array } | null {
  const steps = instructions(delta);
  const source = steps.next().value;
  const target = steps.next().value;
  if (source?.kind !== "size" || target?.kind !== "size") return null;
  if (source.size !== base.content.length) return null;
  budget.take(target.size);
  const out = new Uint8Array(target.size);
  let n = 0;
  for (const step of steps) {
    if (step.kind === "size") return null;
    const piece = step.kind === "insert"
      ? step.bytes
      : base.content.subarray(step.offset, step.offset + step.size);
    if (piece.length !== (step.kind === "insert" ? step.bytes.length : step.size)) return null;
    if (n + piece.length > out.length) return null;
    out.set(piece, n);
    n += piece.length;
  }
  return n === out.length ? { type: base.type, content: out } : null;
}

/**
 * What a delta whose base is not at hand adds: its inserted bytes, those in a row joined
 * (git writes at most 127 in one), a line break where it copies from the base.
 */
function insertedBytes(delta: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let copied = false;
  for (const step of instructions(delta)) {
    if (step.kind === "insert") {
      parts.push(step.bytes);
      copied = false;
    } else if (step.kind === "copy" && !copied) {
      parts.push(new Uint8Array([0x0a]));
      copied = true;
    }
  }
  return concat(parts);
}
