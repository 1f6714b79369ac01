/**
 * @module
 * The bottle's CA, generated inside the bundle at start (its key never leaves it), and
 * the leaf certificate for the intercepted route hosts. Uses openssl from the image.
 */

import { join } from "node:path";

/** PEM files of the CA and of the current leaf. */
export interface CaFiles {
  caCert: string;
  leafCert: string;
  leafKey: string;
}

async function openssl(args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(stderr).trim()}`);
  }
}

/** Creates a P-256 CA valid for 30 days in `dir` (mode 700). */
export async function createCa(dir: string, instance: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    join(dir, "ca.key"),
    "-out",
    join(dir, "ca.crt"),
    "-days",
    "30",
    "-subj",
    `/O=bot-bottle/CN=bot-bottle ${instance} CA`,
    "-addext",
    "basicConstraints=critical,CA:TRUE,pathlen:0",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await Deno.chmod(join(dir, "ca.key"), 0o600);
  await Deno.chmod(join(dir, "ca.crt"), 0o644);
}

/** Issues a leaf for `hosts` signed by the CA in `dir`; returns the PEM texts. */
export async function issueLeaf(dir: string, hosts: string[]): Promise<CaFiles> {
  const key = join(dir, "leaf.key");
  const csr = join(dir, "leaf.csr");
  const crt = join(dir, "leaf.crt");
  const ext = join(dir, "leaf.ext");
  await Deno.writeTextFile(
    ext,
    [
      `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(",")}`,
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
    ].join("\n") + "\n",
  );
  await openssl([
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    csr,
    "-subj",
    "/O=bot-bottle/CN=bot-bottle intercept",
  ]);
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    join(dir, "ca.crt"),
    "-CAkey",
    join(dir, "ca.key"),
    "-CAcreateserial",
    "-out",
    crt,
    "-days",
    "30",
    "-extfile",
    ext,
  ]);
  await Deno.chmod(key, 0o600);
  return {
    caCert: await Deno.readTextFile(join(dir, "ca.crt")),
    leafCert: (await Deno.readTextFile(crt)) + (await Deno.readTextFile(join(dir, "ca.crt"))),
    leafKey: await Deno.readTextFile(key),
  };
}
