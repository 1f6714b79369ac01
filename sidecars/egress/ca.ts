/**
 * @module
 * The bottle's CA, made inside the bundle at start (its key never leaves it), and
 * leaves for the hosts the proxy intercepts. The certificates are made in-process
 * (`x509.ts`); the CA's files are what the host reads (`ca.crt`) and what stays
 * private to the bundle's user (`ca.key`, mode 600).
 */

import { join } from "node:path";
import { type Authority, importAuthority, issueLeafCert, makeAuthority } from "./x509.ts";

/** PEM files of the CA and of a leaf. */
export interface CaFiles {
  caCert: string;
  leafCert: string;
  leafKey: string;
}

/** Creates a P-256 CA valid for 30 days in `dir` (mode 700); returns it. */
export async function createCa(dir: string, instance: string): Promise<Authority> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = await makeAuthority(`bot-bottle ${instance} CA`);
  await Deno.writeTextFile(join(dir, "ca.key"), ca.keyPem, { mode: 0o600 });
  await Deno.writeTextFile(join(dir, "ca.crt"), ca.certPem, { mode: 0o644 });
  await Deno.chmod(join(dir, "ca.crt"), 0o644);
  return ca;
}

/** Issues a leaf for `hosts` signed by the CA in `dir`; returns the PEM texts. */
export async function issueLeaf(dir: string, hosts: string[]): Promise<CaFiles> {
  const caCert = await Deno.readTextFile(join(dir, "ca.crt"));
  const ca = await importAuthority(caCert, await Deno.readTextFile(join(dir, "ca.key")));
  const leaf = await issueLeafCert(ca, hosts);
  return { caCert, leafCert: leaf.certPem, leafKey: leaf.keyPem };
}
