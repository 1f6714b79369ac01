/**
 * @module
 * X.509 certificates made in-process with WebCrypto (ECDSA P-256, SHA-256): the
 * bottle's CA and a leaf per intercepted host, without an openssl subprocess, so a
 * leaf costs about a millisecond and can be made the first time a host is reached.
 * Only the DER this needs is written here; nothing is parsed.
 */

import { concat } from "../bytes.ts";

/** A key pair and its certificate, as PEM. */
export interface Issued {
  certPem: string;
  keyPem: string;
}

/** A CA able to sign leaves. */
export interface Authority extends Issued {
  /** DER of the CA's subject name (the leaves' issuer). */
  subject: Uint8Array;
  key: CryptoKey;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;

// --- DER ---------------------------------------------------------------------------

function length(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(content);
  return concat([Uint8Array.of(tag), length(body.length), body]);
}

const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
const set = (...c: Uint8Array[]) => tlv(0x31, ...c);
const octets = (c: Uint8Array) => tlv(0x04, c);
const utf8 = (s: string) => tlv(0x0c, new TextEncoder().encode(s));
const bool = (b: boolean) => tlv(0x01, Uint8Array.of(b ? 0xff : 0));
const bits = (c: Uint8Array, unused = 0) => tlv(0x03, Uint8Array.of(unused), c);
const explicit = (n: number, c: Uint8Array) => tlv(0xa0 + n, c);

function integer(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = bytes.subarray(i);
  if (v[0]! & 0x80) v = concat([Uint8Array.of(0), v]);
  return tlv(0x02, v);
}

function oid(dotted: string): Uint8Array {
  const parts = dotted.split(".").map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  }
  return tlv(0x06, Uint8Array.from(out));
}

function time(date: Date): Uint8Array {
  const s = date.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  // UTCTime until 2049, as RFC 5280 asks.
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, new TextEncoder().encode(s.slice(2)))
    : tlv(0x18, new TextEncoder().encode(s));
}

const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

function name(o: string, cn: string): Uint8Array {
  return seq(
    set(seq(oid("2.5.4.10"), utf8(o))),
    set(seq(oid("2.5.4.3"), utf8(cn))),
  );
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

/** An IEEE P1363 (r || s) signature as DER. */
function derSignature(raw: Uint8Array): Uint8Array {
  return seq(integer(raw.subarray(0, 32)), integer(raw.subarray(32)));
}

function pem(label: string, der: Uint8Array): string {
  let b64 = "";
  for (let i = 0; i < der.length; i += 3 * 1024) {
    b64 += btoa(String.fromCharCode(...der.subarray(i, i + 3 * 1024)));
  }
  return `-----BEGIN ${label}-----\n${
    b64.replace(/(.{64})/g, "$1\n").replace(/\n$/, "")
  }\n-----END ${label}-----\n`;
}

/** DER of a PEM block's body. */
export function pemBody(text: string): Uint8Array {
  const b64 = text.replace(/-----(BEGIN|END)[^-]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

// --- certificates ------------------------------------------------------------------

async function sign(
  tbs: Uint8Array,
  key: CryptoKey,
): Promise<Uint8Array> {
  const raw = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, tbs as BufferSource),
  );
  return seq(tbs, ECDSA_SHA256, bits(derSignature(raw)));
}

async function keyId(spki: Uint8Array): Promise<Uint8Array> {
  // RFC 5280 method 1 takes SHA-1 of the key bits; any stable hash is allowed.
  return new Uint8Array(await crypto.subtle.digest("SHA-256", spki as BufferSource)).subarray(
    0,
    20,
  );
}

function serial(): Uint8Array {
  const s = crypto.getRandomValues(new Uint8Array(16));
  s[0]! &= 0x7f;
  return integer(s);
}

async function keyPair(): Promise<{ pair: CryptoKeyPair; spki: Uint8Array; pkcs8: Uint8Array }> {
  const pair = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  return { pair, spki, pkcs8 };
}

/** Makes a CA valid for `days`, allowed to sign leaves only (pathlen 0). */
export async function makeAuthority(commonName: string, days = 30): Promise<Authority> {
  const { pair, spki, pkcs8 } = await keyPair();
  const subject = name("bot-bottle", commonName);
  const now = Date.now();
  const tbs = seq(
    explicit(0, integer(Uint8Array.of(2))),
    serial(),
    ECDSA_SHA256,
    subject,
    seq(time(new Date(now - 3600_000)), time(new Date(now + days * 86400_000))),
    subject,
    spki,
    explicit(
      3,
      seq(
        extension("2.5.29.19", true, seq(bool(true), integer(Uint8Array.of(0)))),
        // keyCertSign and cRLSign.
        extension("2.5.29.15", true, bits(Uint8Array.of(0x06), 1)),
        extension("2.5.29.14", false, octets(await keyId(spki))),
      ),
    ),
  );
  const der = await sign(tbs, pair.privateKey);
  return {
    certPem: pem("CERTIFICATE", der),
    keyPem: pem("PRIVATE KEY", pkcs8),
    subject,
    key: pair.privateKey,
  };
}

/** Imports a CA written by `makeAuthority` (its certificate and PKCS#8 key, as PEM). */
export async function importAuthority(certPem: string, keyPem: string): Promise<Authority> {
  const cert = pemBody(certPem);
  const key = await crypto.subtle.importKey(
    "pkcs8",
    pemBody(keyPem) as BufferSource,
    ALGORITHM,
    false,
    ["sign"],
  );
  return { certPem, keyPem, subject: subjectOf(cert), key };
}

/** Reads the subject name out of a DER certificate (TBS field 6, or 5 without version). */
function subjectOf(der: Uint8Array): Uint8Array {
  const children = (at: number): { start: number; end: number }[] => {
    const read = (p: number) => {
      let len = der[p + 1]!;
      let head = 2;
      if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + der[p + 2 + i]!;
        head += n;
      }
      return { start: p, body: p + head, end: p + head + len };
    };
    const outer = read(at);
    const list = [];
    for (let p = outer.body; p < outer.end;) {
      const c = read(p);
      list.push({ start: c.start, end: c.end });
      p = c.end;
    }
    return list;
  };
  const tbs = children(0)[0]!;
  const fields = children(tbs.start);
  const hasVersion = der[fields[0]!.start] === 0xa0;
  const subject = fields[hasVersion ? 5 : 4]!;
  return der.slice(subject.start, subject.end);
}

/** Issues a leaf for `hosts` (DNS names), valid for `days`, signed by `ca`. */
export async function issueLeafCert(ca: Authority, hosts: string[], days = 30): Promise<Issued> {
  const { spki, pkcs8 } = await keyPair();
  const now = Date.now();
  const san = seq(...hosts.map((h) => tlv(0x82, new TextEncoder().encode(h))));
  const tbs = seq(
    explicit(0, integer(Uint8Array.of(2))),
    serial(),
    ECDSA_SHA256,
    ca.subject,
    seq(time(new Date(now - 3600_000)), time(new Date(now + days * 86400_000))),
    name("bot-bottle", hosts[0] ?? "bot-bottle"),
    spki,
    explicit(
      3,
      seq(
        extension("2.5.29.17", false, san),
        extension("2.5.29.19", true, seq()),
        // digitalSignature.
        extension("2.5.29.15", true, bits(Uint8Array.of(0x80), 7)),
        extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))),
      ),
    ),
  );
  const der = await sign(tbs, ca.key);
  return { certPem: pem("CERTIFICATE", der) + ca.certPem, keyPem: pem("PRIVATE KEY", pkcs8) };
}
