/**
 * @module
 * A minimal ustar writer (with PAX headers for long names) that streams a directory
 * tree into a file. Provisioning uses it to carry skills and the working tree into
 * a guest as one file, unpacked there; it needs no `tar` on the host.
 */

import { join } from "node:path";

const BLOCK = 512;
const encoder = new TextEncoder();

/** One member of an archive. */
interface Entry {
  name: string;
  type: "file" | "dir" | "symlink";
  mode: number;
  size: number;
  mtime: number;
  linkname?: string;
  /** For files: the host path to read the bytes from. */
  source?: string;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(
  entry: {
    name: string;
    type: string;
    mode: number;
    size: number;
    mtime: number;
    linkname?: string;
    uid?: number;
    gid?: number;
  },
): Uint8Array {
  const buf = new Uint8Array(BLOCK);
  const put = (text: string, offset: number, width: number) => {
    const bytes = encoder.encode(text);
    buf.set(bytes.subarray(0, width), offset);
  };
  put(entry.name, 0, 100);
  put(octal(entry.mode & 0o7777, 8), 100, 8);
  // Trees carry uid 0: the unpacking user owns what it unpacks (--no-same-owner).
  put(octal(entry.uid ?? 0, 8), 108, 8);
  put(octal(entry.gid ?? 0, 8), 116, 8);
  put(octal(entry.size, 12), 124, 12);
  put(octal(Math.floor(entry.mtime), 12), 136, 12);
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
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length = `${length}${body}`.length;
  return `${length}${body}`;
}

function padding(size: number): Uint8Array {
  const rest = size % BLOCK;
  return new Uint8Array(rest === 0 ? 0 : BLOCK - rest);
}

function headersFor(entry: Entry): Uint8Array[] {
  const typeFlag = entry.type === "file" ? "0" : entry.type === "dir" ? "5" : "2";
  const name = entry.type === "dir" ? `${entry.name}/` : entry.name;
  const blocks: Uint8Array[] = [];
  const needsPax = encoder.encode(name).length > 100 ||
    encoder.encode(entry.linkname ?? "").length > 100;
  if (needsPax) {
    let records = paxRecord("path", name);
    if (entry.linkname) records += paxRecord("linkpath", entry.linkname);
    const data = encoder.encode(records);
    blocks.push(
      header({ name: "PaxHeader", type: "x", mode: 0o644, size: data.length, mtime: entry.mtime }),
    );
    blocks.push(data, padding(data.length));
  }
  blocks.push(header({
    name: needsPax ? name.slice(-99) : name,
    type: typeFlag,
    mode: entry.mode,
    size: entry.type === "file" ? entry.size : 0,
    mtime: entry.mtime,
    linkname: entry.linkname,
  }));
  return blocks;
}

async function* walk(root: string, rel: string): AsyncGenerator<Entry> {
  const entries = [];
  for await (const e of Deno.readDir(join(root, rel))) entries.push(e);
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const relPath = rel ? `${rel}/${e.name}` : e.name;
    const abs = join(root, relPath);
    const info = await Deno.lstat(abs);
    const mtime = (info.mtime?.getTime() ?? 0) / 1000;
    if (info.isSymlink) {
      yield {
        name: relPath,
        type: "symlink",
        mode: 0o777,
        size: 0,
        mtime,
        linkname: await Deno.readLink(abs),
      };
    } else if (info.isDirectory) {
      yield { name: relPath, type: "dir", mode: (info.mode ?? 0o755) & 0o777, size: 0, mtime };
      yield* walk(root, relPath);
    } else if (info.isFile) {
      yield {
        name: relPath,
        type: "file",
        mode: (info.mode ?? 0o644) & 0o777,
        size: info.size,
        mtime,
        source: abs,
      };
    }
    // Sockets, FIFOs and devices are skipped: they cannot be carried.
  }
}

/** Archive statistics, for progress messages. */
export interface TarStats {
  files: number;
  bytes: number;
}

/**
 * Writes the contents of `dir` (not `dir` itself) to a tar file at `out`. Symlinks
 * are stored as links, never followed, so nothing outside `dir` is read.
 */
export async function writeTreeTar(dir: string, out: string): Promise<TarStats> {
  const file = await Deno.open(out, { write: true, create: true, truncate: true, mode: 0o600 });
  const stats: TarStats = { files: 0, bytes: 0 };
  try {
    const write = async (data: Uint8Array) => {
      let off = 0;
      while (off < data.length) off += await file.write(data.subarray(off));
    };
    for await (const entry of walk(dir, "")) {
      if (entry.type === "file") {
        // The size in the header must match what is copied, even if the file changes.
        const info = await Deno.stat(entry.source!);
        entry.size = info.size;
      }
      for (const block of headersFor(entry)) await write(block);
      if (entry.type === "file") {
        const src = await Deno.open(entry.source!, { read: true });
        let copied = 0;
        try {
          const buf = new Uint8Array(64 * 1024);
          while (copied < entry.size) {
            const n = await src.read(buf.subarray(0, Math.min(buf.length, entry.size - copied)));
            if (n === null) break;
            await write(buf.subarray(0, n));
            copied += n;
          }
        } finally {
          src.close();
        }
        // A file that shrank while being read is padded with zeros to its header size.
        if (copied < entry.size) await write(new Uint8Array(entry.size - copied));
        await write(padding(entry.size));
        stats.files++;
        stats.bytes += entry.size;
      }
    }
    await write(new Uint8Array(BLOCK * 2));
  } finally {
    file.close();
  }
  return stats;
}

/** A one-file archive with the given owner and mode, for `docker cp -` into a container. */
export function fileTar(
  name: string,
  data: Uint8Array,
  owner: { uid: number; gid: number; mode: number },
): Uint8Array {
  const head = header({
    name,
    type: "0",
    mode: owner.mode,
    size: data.length,
    mtime: Date.now() / 1000,
    uid: owner.uid,
    gid: owner.gid,
  });
  const pad = padding(data.length);
  const out = new Uint8Array(head.length + data.length + pad.length + BLOCK * 2);
  out.set(head, 0);
  out.set(data, head.length);
  return out;
}
