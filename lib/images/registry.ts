/**
 * @module
 * Whether the npm registry the images build from answers over TLS from this host, and
 * when it does not because the network intercepts TLS, which CA file would make it
 * answer (for `doctor`). The CA candidates are the ones a build would use.
 */

import { buildCaSource } from "./build.ts";

/** The registry the agent CLIs and the bundle's npm packages come from. */
export const REGISTRY_URL = "https://registry.npmjs.org/-/ping";

/** How one attempt went. */
export type Reach = "ok" | "tls" | "unreachable";

/** One attempt at the registry, trusting `caPem` besides the system store. */
export type Probe = (url: string, caPem?: string) => Promise<Reach>;

/** The real probe: a GET with a timeout; a certificate error is `tls`. */
export const probeRegistry: Probe = async (url: string, caPem?: string): Promise<Reach> => {
  const client = caPem ? Deno.createHttpClient({ caCerts: [caPem] }) : undefined;
  try {
    const r = await fetch(url, { client, signal: AbortSignal.timeout(8000) });
    await r.body?.cancel();
    return "ok";
  } catch (error) {
    const text = `${(error as Error).message} ${String((error as Error).cause ?? "")}`;
    return /certificate|UnknownIssuer|self.signed|tls|ssl/i.test(text) ? "tls" : "unreachable";
  } finally {
    client?.close();
  }
};

/** What `doctor` says about the registry. */
export interface RegistryVerdict {
  ok: boolean;
  detail: string;
  fix?: string;
}

/**
 * Tries the registry as a build would: with the build CA bot-bottle would use (if any),
 * and when that fails on a certificate, with each CA file the host names, and the
 * locally added CAs, to say which one fixes it.
 */
export async function registryVerdict(
  env: Record<string, string | undefined>,
  probe: Probe = probeRegistry,
  readFile: (path: string) => Promise<string> = Deno.readTextFile,
  localCas: () => Promise<string[]> = localCaFiles,
): Promise<RegistryVerdict> {
  const configured = buildCaSource(undefined, env);
  const pem = configured ? await readFile(configured.path).catch(() => undefined) : undefined;
  const first = await probe(REGISTRY_URL, pem);
  const via = configured ? ` (trusting ${configured.path}, from ${configured.from})` : "";
  if (first === "ok") return { ok: true, detail: `registry.npmjs.org answers${via}` };
  if (first === "unreachable") {
    return {
      ok: false,
      detail: `registry.npmjs.org cannot be reached${via}; images build from it`,
      fix: "Check the network or proxy; a first build needs the npm registry",
    };
  }
  const candidates = [
    ...["NODE_EXTRA_CA_CERTS", "DENO_CERT", "SSL_CERT_FILE"].map((n) => env[n]).filter((
      p,
    ): p is string => !!p),
    ...(await localCas()),
  ].filter((p) => p !== configured?.path);
  for (const path of candidates) {
    const candidate = await readFile(path).catch(() => undefined);
    if (candidate && (await probe(REGISTRY_URL, candidate)) === "ok") {
      return {
        ok: false,
        detail:
          `registry.npmjs.org's certificate is not trusted${via}: this network intercepts TLS`,
        fix:
          `Build with that network's CA: export BOT_BOTTLE_BUILD_CA=${path} (or bot-bottle build --ca-cert ${path})`,
      };
    }
  }
  return {
    ok: false,
    detail: `registry.npmjs.org's certificate is not trusted${via}: this network intercepts TLS`,
    fix: "Get your network's CA certificate (PEM) and pass it: bot-bottle build --ca-cert FILE",
  };
}

/** The CAs added to this host's trust store (where update-ca-certificates takes them from). */
async function localCaFiles(): Promise<string[]> {
  const dir = "/usr/local/share/ca-certificates";
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".crt")) out.push(`${dir}/${e.name}`);
    }
  } catch { /* none */ }
  return out.toSorted();
}
