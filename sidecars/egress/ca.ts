/**
 * @module
 * A CA and its leaves as files in a directory (`ca.crt`, and `ca.key` mode 600), for
 * servers that read them (the tests' fake upstreams). The bottle's own CA never lands in
 * a file: the host makes it (`lib/net/x509.ts`) and hands it to the bundle's memory.
 */

import { join } from "node:path";
import {
  type Authority,
  importAuthority,
  issueLeafCert,
  makeAuthority,
} from "../../lib/net/x509.ts";

/** PEM files of the CA and of a leaf. */
export interface CaFiles {
  caCert: string;
  leafCert: string;
  leafKey: string;
}

/** Creates a P-256 CA valid for 30 days in `dir` (mode 700); returns it. */
export async function createCa(dir: string, instance: string): Promise<Authority> {
  const ca = await makeAuthority(`bot-bottle ${instance} CA`);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(join(dir, "ca.key"), ca.keyPem, { mode: 0o600 });
  await Deno.chmod(join(dir, "ca.key"), 0o600);
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
