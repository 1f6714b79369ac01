/**
 * @module
 * A leaf certificate per intercepted host, signed by the bottle's CA, made the first
 * time the host is reached and kept while it is used: the most recently used
 * `MAX_LEAVES` are kept, so that an agent reaching ever new names under an allowed
 * wildcard cannot grow the bundle's memory without end (a host dropped gets a new leaf
 * when it is reached again).
 */

import tls from "node:tls";
import { type Authority, issueLeafCert } from "../../lib/net/x509.ts";

/** How many hosts' TLS contexts are kept. */
export const MAX_LEAVES = 1024;

/** The TLS contexts the proxy presents, one per host. */
export class Leaves {
  readonly #ca: Authority;
  readonly #max: number;
  /** In order of last use, the oldest first. */
  readonly #byHost = new Map<string, Promise<tls.SecureContext>>();

  constructor(ca: Authority, max = MAX_LEAVES) {
    this.#ca = ca;
    this.#max = max;
  }

  /** How many hosts' contexts are kept. */
  get size(): number {
    return this.#byHost.size;
  }

  /** The context for `host` (made once while kept; concurrent callers share it). */
  context(host: string): Promise<tls.SecureContext> {
    let made = this.#byHost.get(host);
    if (made) {
      // Used again: now the most recent.
      this.#byHost.delete(host);
      this.#byHost.set(host, made);
      return made;
    }
    made = issueLeafCert(this.#ca, [host]).then((leaf) =>
      tls.createSecureContext({ cert: leaf.certPem, key: leaf.keyPem })
    );
    const mine = made;
    made.catch(() => {
      if (this.#byHost.get(host) === mine) this.#byHost.delete(host);
    });
    this.#byHost.set(host, made);
    if (this.#byHost.size > this.#max) {
      this.#byHost.delete(this.#byHost.keys().next().value!);
    }
    return made;
  }
}
