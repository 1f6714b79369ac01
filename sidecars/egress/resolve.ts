/**
 * @module
 * Where an allowed name may lead. The proxy resolves a name itself (IPv4 only: the
 * bottle has no IPv6 path) and connects to the address it checked, so a name that
 * resolves to a loopback, private, link-local or metadata address (DNS rebinding,
 * SSRF into the host's network) is refused unless the bottle allows that range.
 */

import { type Cidr, overlaps, parseCidr } from "../../lib/net/subnet.ts";

/** Ranges no allowed name may lead to, unless explicitly allowed. */
export const BLOCKED_RANGES: readonly string[] = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "224.0.0.0/4",
  "240.0.0.0/4",
];

const blocked = BLOCKED_RANGES.map(parseCidr);

/** Resolves a name to IPv4 addresses. */
export type Resolver = (host: string) => Promise<string[]>;

/** The system resolver (in the bundle: Docker's, which knows the egress network). */
export function systemResolver(host: string): Promise<string[]> {
  return Deno.resolveDns(host, "A");
}

/**
 * Where an allowed name leads: the address to connect to; or `refused`, an address the
 * bottle does not allow (a policy refusal); or `unreachable`, a name that leads nowhere
 * (the network's or the name's fault, not the agent's).
 */
export type Target = { address: string } | { refused: string } | { unreachable: string };

/** The address to connect to for `host`, or the reason there is none. */
export async function resolveTarget(
  host: string,
  allowedPrivate: readonly string[],
  resolve: Resolver = systemResolver,
): Promise<Target> {
  const allowed: Cidr[] = allowedPrivate.map(parseCidr);
  const refusedRange = (address: string) => {
    const one = parseCidr(`${address}/32`);
    return blocked.some((b) => overlaps(b, one)) && !allowed.some((a) => overlaps(a, one));
  };
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) {
    // An IP the allowlist names (or a person approved) is held to the same ranges.
    return refusedRange(host)
      ? {
        refused:
          `${host} is a private, loopback, link-local or metadata address; list its range in egress.allow_private to reach it`,
      }
      : { address: host };
  }
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    return { unreachable: `"${host}" does not resolve: ${(error as Error).message}` };
  }
  if (addresses.length === 0) return { unreachable: `"${host}" has no IPv4 address` };
  for (const address of addresses) {
    if (refusedRange(address)) {
      return {
        refused:
          `"${host}" resolves to ${address}, a private or local address this bottle does not allow`,
      };
    }
  }
  return { address: addresses[0]! };
}

/**
 * A resolver that remembers answers for `ttlMs`, so a kept-alive client does not pay a
 * lookup per request. The proxy connects to the address it checked, so a cached answer
 * is what is used, never a second lookup.
 */
export function cachedResolver(resolve: Resolver = systemResolver, ttlMs = 30_000): Resolver {
  const cache = new Map<string, { addresses: string[]; until: number }>();
  return async (host) => {
    const now = Date.now();
    const hit = cache.get(host);
    if (hit && hit.until > now) return hit.addresses;
    const addresses = await resolve(host);
    if (cache.size > 4096) cache.clear();
    cache.set(host, { addresses, until: now + ttlMs });
    return addresses;
  };
}
