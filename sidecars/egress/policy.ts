/**
 * @module
 * The egress decision for one destination: intercept (an allowed host: TLS terminated
 * so that every request is scanned, and route hosts get their headers), tunnel (a
 * passthrough host: bytes passed through unscanned), or deny with a reason the agent
 * can read.
 */

import { type HostPattern, parseHostPattern, patternMatches } from "../../lib/net/hosts.ts";

/** What the proxy does with a destination. */
export type Decision =
  | { action: "intercept" }
  | { action: "tunnel" }
  | { action: "deny"; reason: string };

function patterns(sources: string[]): HostPattern[] {
  return sources.flatMap((source) => {
    const parsed = parseHostPattern(source);
    return typeof parsed === "string" ? [] : [parsed];
  });
}

/** The allowlist, the route hosts and the passthrough hosts of one bottle. */
export class Policy {
  readonly #patterns: HostPattern[];
  readonly #passthrough: HostPattern[];
  readonly #routes: Set<string>;

  constructor(allow: string[], routeHosts: string[], passthrough: string[] = []) {
    this.#patterns = patterns([...allow, ...routeHosts]);
    this.#passthrough = patterns(passthrough);
    this.#routes = new Set(routeHosts);
  }

  /** Decides for `host:port`. Route hosts are intercepted on 443 only. */
  decide(host: string, port: number): Decision {
    const h = host.toLowerCase().replace(/\.$/, "");
    if (this.#routes.has(h)) {
      if (port === 443) return { action: "intercept" };
      return {
        action: "deny",
        reason: `"${h}" is a credential route and is reached on port 443 only`,
      };
    }
    if (this.#passthrough.some((p) => patternMatches(p, h, port))) return { action: "tunnel" };
    if (this.#patterns.some((p) => patternMatches(p, h, port))) return { action: "intercept" };
    return {
      action: "deny",
      reason: `"${h}:${port}" is not in this bottle's egress allowlist`,
    };
  }

  /** Whether `host` is a route host (for plain-HTTP refusals). */
  isRoute(host: string): boolean {
    return this.#routes.has(host.toLowerCase());
  }
}

/**
 * The running bottle's policy. An approved host replaces the policy object (never
 * mutates it), so connections already open keep going and the next one sees the new
 * list.
 */
export class LiveAllowlist {
  readonly #allow: string[];
  readonly #routes: string[];
  readonly #passthrough: string[];
  #policy: Policy;

  constructor(allow: string[], routeHosts: string[], passthrough: string[] = []) {
    this.#allow = [...allow];
    this.#routes = [...routeHosts];
    this.#passthrough = [...passthrough];
    this.#policy = new Policy(this.#allow, this.#routes, this.#passthrough);
  }

  /** The policy in force now. */
  current(): Policy {
    return this.#policy;
  }

  /** Allows `host` (a host pattern) from now on; returns false when it already was. */
  add(host: string): boolean {
    if (this.#allow.includes(host)) return false;
    this.#allow.push(host);
    this.#policy = new Policy(this.#allow, this.#routes, this.#passthrough);
    return true;
  }
}
