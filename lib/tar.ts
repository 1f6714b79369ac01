/**
 * @module
 * A minimal ustar writer (with PAX headers for long names) that streams members into
 * a file. Provisioning uses it to carry skills and the working tree into a guest, and
 * a git gate's seed into the bundle, as one file each; it needs no `tar` on the host.
 */

import { join } from "node:path";
import { concat } from "./bytes.ts";

const BLOCK = 512;
const encoder = new TextEncoder();

/** Owner written into every header; the unpacking side decides whether to keep it. */
export interface TarOwner {
  uid: number;
  gid: number;
}

interface Header {
  name: string;
  type: string;
  mode: number;
  size: number;
  mtime: number;
  linkname?: string;
  uid?: number;
  gid?: number;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(entry: Header): Uint8Array {
  const buf = new Uint8Array(BLOCK);
  const put = (text: string, offset: number, width: number) => {
    const bytes = encoder.encode(text);
    buf.set(bytes.subarray(0, width), offset);
  };
  put(entry.name, 0, 100);
  put(octal(entry.mode & 0o7777, 8), 100, 8);
  put(octal(entry.uid ?? 0, 8), 108, 8);
  put(octal(entry.gid ?? 0, 8), 116, 8);
  put(octal(entry.size, 12), 124, 12);
  put(octal(Math.max(0, Math.floor(entry.mtime)), 12), 136, 12);
  put("        ", 148, 8);
  put(entry.type, 156, 1);
  put(entry.linkname ?? "", 157, 100);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of buf) sum += b;
  put(octal(sum, 7) + " ", 148, 8);
  return buf;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = encoder.encode(body).length + 1;
  while (encoder.encode(`${length}${body}`).length !== length) {
    length = encoder.encode(`${length}${body}`).length;
  }
  return `${length}${body}`;
}

function padding(size: number): Uint8Array {
  const rest = size % BLOCK;
  return new Uint8Array(rest === 0 ? 0 : BLOCK - rest);
}

/** Headers of one member, with a PAX header first when a name does not fit ustar. */
function headersFor(entry: Header): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  const needsPax = encoder.encode(entry.name).length > 100 ||
    encoder.encode(entry.linkname ?? "").length > 100;
  if (needsPax) {
    let records = paxRecord("path", entry.name);
    if (entry.linkname) records += paxRecord("linkpath", entry.linkname);
    const data = encoder.encode(records);
    blocks.push(
      header({
        name: "PaxHeader",
        type: "x",
        mode: 0o644,
        size: data.length,
        mtime: entry.mtime,
        uid: entry.uid,
        gid: entry.gid,
      }),
    );
    blocks.push(data, padding(data.length));
  }
  blocks.push(header({ ...entry, name: needsPax ? entry.name.slice(-99) : entry.name }));
  return blocks;
}

/** Archive statistics, for progress messages. */
export interface TarStats {
  files: number;
  bytes: number;
}

/** How much a TarWriter gathers before it writes; files up to this size are read whole. */
const WRITE_BUFFER = 1 << 20;

/**
 * Writes members one by one to a tar file. Symlinks are stored as links, never
 * followed, so nothing outside what is added is read. Close with `finish()`.
 */
export class TarWriter {
  readonly stats: TarStats = { files: 0, bytes: 0 };
  readonly #file: Deno.FsFile;
  readonly #owner: TarOwner;
  /** Output gathered into large writes: a tree of small files was mostly write calls. */
  readonly #buffer = new Uint8Array(WRITE_BUFFER);
  #buffered = 0;

  private constructor(file: Deno.FsFile, owner: TarOwner) {
    this.#file = file;
    this.#owner = owner;
  }

  /** Creates (or truncates) `path`, mode 600; every member gets `owner` (default 0:0). */
  static async create(path: string, owner: TarOwner = { uid: 0, gid: 0 }): Promise<TarWriter> {
    const file = await Deno.open(path, { write: true, create: true, truncate: true, mode: 0o600 });
    return new TarWriter(file, owner);
  }

  async #write(data: Uint8Array): Promise<void> {
    if (this.#buffered + data.length > this.#buffer.length) await this.#flush();
    if (data.length >= this.#buffer.length) return await this.#writeAll(data);
    this.#buffer.set(data, this.#buffered);
    this.#buffered += data.length;
  }

  async #flush(): Promise<void> {
    await this.#writeAll(this.#buffer.subarray(0, this.#buffered));
    this.#buffered = 0;
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) off += await this.#file.write(data.subarray(off));
  }

  async #headers(entry: Header): Promise<void> {
    for (const block of headersFor({ ...this.#owner, ...entry })) await this.#write(block);
  }

  /** Adds a directory member. */
  async dir(name: string, mode = 0o755, mtime = Date.now() / 1000): Promise<void> {
    await this.#headers({ name: `${name.replace(/\/+$/, "")}/`, type: "5", mode, size: 0, mtime });
  }

  /** Adds a file member holding `data`. */
  async bytes(
    name: string,
    data: Uint8Array,
    mode = 0o644,
    mtime = Date.now() / 1000,
  ): Promise<void> {
    await this.#headers({ name, type: "0", mode, size: data.length, mtime });
    await this.#write(data);
    await this.#write(padding(data.length));
    this.stats.files++;
    this.stats.bytes += data.length;
  }

  /**
   * Adds what `hostPath` is (file, directory or symlink; other kinds are skipped) as
   * `name`, reading files as they are now. Returns false when it was skipped.
   */
  async path(name: string, hostPath: string): Promise<boolean> {
    // Synchronous calls for the small ones: a tree is mostly small files, and an
    // asynchronous call costs a round trip to a worker thread (most of the time, over
    // thousands of them).
    const info = Deno.lstatSync(hostPath);
    const mtime = (info.mtime?.getTime() ?? 0) / 1000;
    if (info.isSymlink) {
      const linkname = await Deno.readLink(hostPath);
      await this.#headers({ name, type: "2", mode: 0o777, size: 0, mtime, linkname });
      return true;
    }
    if (info.isDirectory) {
      await this.dir(name, (info.mode ?? 0o755) & 0o777, mtime);
      return true;
    }
    if (!info.isFile) return false; // sockets, FIFOs and devices cannot be carried
    if (info.size <= WRITE_BUFFER) {
      // Read whole in one call; the header says what was read.
      await this.bytes(name, Deno.readFileSync(hostPath), (info.mode ?? 0o644) & 0o777, mtime);
      return true;
    }
    const src = await Deno.open(hostPath, { read: true });
    try {
      // The size in the header is what is copied, even if the file changes meanwhile.
      const size = (await src.stat()).size;
      await this.#headers({ name, type: "0", mode: (info.mode ?? 0o644) & 0o777, size, mtime });
      let copied = 0;
      const buf = new Uint8Array(64 * 1024);
      while (copied < size) {
        const n = await src.read(buf.subarray(0, Math.min(buf.length, size - copied)));
        if (n === null) break;
        await this.#write(buf.subarray(0, n));
        copied += n;
      }
      // A file that shrank while being read is padded with zeros to its header size.
      if (copied < size) await this.#write(new Uint8Array(size - copied));
      await this.#write(padding(size));
      this.stats.files++;
      this.stats.bytes += size;
    } finally {
      src.close();
    }
    return true;
  }

  /** Adds `hostDir`'s contents under `prefix` (empty: at the top), in name order. */
  async tree(
    hostDir: string,
    prefix = "",
    skip: (rel: string) => boolean = () => false,
  ): Promise<void> {
    const entries = Array.from(Deno.readDirSync(hostDir));
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (skip(rel)) continue;
      const abs = join(hostDir, e.name);
      if (!(await this.path(rel, abs))) continue;
      // As lstat sees it: a symlink to a directory is not followed.
      if (e.isDirectory) await this.tree(abs, rel, skip);
    }
  }

  /** Writes the end-of-archive blocks and closes the file. */
  async finish(): Promise<TarStats> {
    try {
      await this.#write(new Uint8Array(BLOCK * 2));
      await this.#flush();
    } finally {
      this.#file.close();
    }
    return this.stats;
  }

  /** Closes the file without finishing it (after a failure). */
  abort(): void {
    try {
      this.#file.close();
    } catch { /* already closed */ }
  }
}

/**
 * Writes the contents of `dir` (not `dir` itself) to a tar file at `out`. Trees carry
 * uid 0: the unpacking user owns what it unpacks (`--no-same-owner`).
 */
export async function writeTreeTar(dir: string, out: string): Promise<TarStats> {
  const tar = await TarWriter.create(out);
  try {
    await tar.tree(dir);
  } catch (error) {
    tar.abort();
    throw error;
  }
  return await tar.finish();
}

/** A one-file archive with the given owner and mode, for `docker cp -` into a container. */
export function fileTar(
  name: string,
  data: Uint8Array,
  owner: { uid: number; gid: number; mode: number },
): Uint8Array {
  return filesTar([{ name, data, ...owner }]);
}

/** An in-memory archive of small files (names under 100 bytes), each with its owner and mode. */
export function filesTar(
  files: readonly { name: string; data: Uint8Array; mode: number; uid?: number; gid?: number }[],
): Uint8Array {
  const parts: Uint8Array[] = [];
  const mtime = Date.now() / 1000;
  for (const f of files) {
    if (encoder.encode(f.name).length >= 100) throw new Error(`tar name too long: ${f.name}`);
    parts.push(
      header({
        name: f.name,
        type: "0",
        mode: f.mode,
        size: f.data.length,
        mtime,
        uid: f.uid,
        gid: f.gid,
      }),
      f.data,
      padding(f.data.length),
    );
  }
  parts.push(new Uint8Array(BLOCK * 2));
  return concat(parts);
}
