/**
 * @module
 * A leaf certificate per intercepted host, signed by the bottle's CA, made the first
 * time the host is reached and kept for the bottle's life.
 */

import tls from "node:tls";
import { type Authority, issueLeafCert } from "../../lib/net/x509.ts";

/** The TLS contexts the proxy presents, one per host. */
export class Leaves {
  readonly #ca: Authority;
  readonly #byHost = new Map<string, Promise<tls.SecureContext>>();

  constructor(ca: Authority) {
    this.#ca = ca;
  }

  /** The context for `host` (made once; concurrent callers share it). */
  context(host: string): Promise<tls.SecureContext> {
    let made = this.#byHost.get(host);
    if (!made) {
      made = issueLeafCert(this.#ca, [host]).then((leaf) =>
        tls.createSecureContext({ cert: leaf.certPem, key: leaf.keyPem })
      );
      made.catch(() => this.#byHost.delete(host));
      this.#byHost.set(host, made);
    }
    return made;
  }
}
