/**
 * @module
 * Host names and host patterns as the egress allowlist understands them: an exact DNS
 * name (`api.anthropic.com`), a wildcard for the subdomains of one (`*.npmjs.org`,
 * which does not match `npmjs.org` itself), or an IPv4 literal, each with an optional
 * `:port`. Without a port a pattern allows 80 and 443.
 */

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The ports a pattern without `:port` allows. */
export const DEFAULT_PORTS: readonly number[] = [80, 443];

/** A parsed allowlist entry. */
export interface HostPattern {
  /** The entry as written. */
  source: string;
  kind: "exact" | "wildcard" | "ipv4";
  /** For `wildcard`, the suffix after `*.`; otherwise the host itself. */
  host: string;
  /** Explicit port, or undefined for the defaults. */
  port?: number;
}

/** Whether `name` is a syntactically valid, lowercase DNS name with at least two labels. */
export function isDnsName(name: string): boolean {
  if (name.length > 253) return false;
  const labels = name.split(".");
  if (labels.length < 2) return false;
  if (!labels.every((l) => LABEL.test(l))) return false;
  // A name whose last label is all digits is an IP-ish typo, not a host.
  return !/^\d+$/.test(labels[labels.length - 1]!);
}

/** Whether `text` is a dotted-quad IPv4 address. */
export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/**
 * Parses one allowlist entry, or returns the reason it is not one. Upper case is
 * refused rather than folded so that what the user wrote is what the proxy matches.
 */
export function parseHostPattern(source: string): HostPattern | string {
  if (source.includes("://") || source.includes("/")) {
    return "a host, not a URL (write api.example.com, not https://api.example.com/)";
  }
  let rest = source;
  let port: number | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon !== -1) {
    const portText = rest.slice(colon + 1);
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return `bad port "${portText}"`;
    }
    port = Number(portText);
    rest = rest.slice(0, colon);
  }
  if (rest !== rest.toLowerCase()) return "host names must be lower case";
  if (isIpv4(rest)) return { source, kind: "ipv4", host: rest, port };
  if (rest.startsWith("*.")) {
    const suffix = rest.slice(2);
    if (!isDnsName(suffix)) return `needs a domain with at least two labels after "*."`;
    return { source, kind: "wildcard", host: suffix, port };
  }
  if (rest.includes("*")) return `"*" is allowed only as the whole first label ("*.example.com")`;
  if (!isDnsName(rest)) return "not a valid host name";
  return { source, kind: "exact", host: rest, port };
}

/** Whether `pattern` allows a connection to `host:port`. */
export function patternMatches(pattern: HostPattern, host: string, port: number): boolean {
  const ports = pattern.port !== undefined ? [pattern.port] : DEFAULT_PORTS;
  if (!ports.includes(port)) return false;
  const h = host.toLowerCase().replace(/\.$/, "");
  if (pattern.kind === "wildcard") return h.endsWith(`.${pattern.host}`);
  return h === pattern.host;
}
