/**
 * @module
 * Parsing git upstreams (`ssh://user@host[:port]/path`, `user@host:path`) and rendering
 * the agent's gitconfig that rewrites each upstream to the gate.
 */

/** The parts of an SSH upstream the gate needs. */
export interface Upstream {
  user: string;
  host: string;
  port: number;
  path: string;
}

/** Parses an SSH upstream, or returns undefined when it is not one. */
export function parseUpstream(url: string): Upstream | undefined {
  const ssh = /^ssh:\/\/(?:([^@/\s]+)@)?(\[[^\]]+\]|[^:/\s]+)(?::(\d+))?\/(\S+)$/.exec(url);
  if (ssh) {
    return {
      user: ssh[1] ?? "git",
      host: ssh[2]!,
      port: ssh[3] ? Number(ssh[3]) : 22,
      path: ssh[4]!,
    };
  }
  const scp = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):([^\s/]\S*)$/.exec(url);
  if (scp) return { user: scp[1]!, host: scp[2]!, port: 22, path: scp[3]! };
  return undefined;
}

/** The gate's URL for entry `name`, by IP so it works where the guest has no DNS. */
export function gateUrl(bundleAddress: string, port: number, name: string): string {
  return `git://${bundleAddress}:${port}/${name}.git`;
}

/**
 * Spellings of one upstream that a user may type. `insteadOf` is a prefix match, so
 * the bare form (without `.git`) is listed last and the longest match wins.
 */
export function upstreamSpellings(url: string): string[] {
  const u = parseUpstream(url);
  if (!u) return [url];
  const bare = u.path.replace(/\.git$/, "");
  const withGit = `${bare}.git`;
  const portPart = u.port === 22 ? "" : `:${u.port}`;
  const spellings = [
    `ssh://${u.user}@${u.host}${portPart}/${withGit}`,
    `ssh://${u.user}@${u.host}${portPart}/${bare}`,
  ];
  if (u.port === 22) {
    spellings.unshift(`${u.user}@${u.host}:${withGit}`, `${u.user}@${u.host}:${bare}`);
  }
  return [...new Set(spellings)];
}

/** The `~/.gitconfig` that sends each upstream to the gate. */
export function renderGitconfig(entries: { upstream: string; gateUrl: string }[]): string {
  const lines = [
    "# Written by bot-bottle: upstreams are reached through the bottle's git gate.",
    "[init]",
    "\tdefaultBranch = main",
    "[user]",
    "\tname = bot-bottle agent",
    "\temail = agent@bot-bottle.invalid",
    // `git push` of a new branch just works: it goes to origin (the gate) by its name.
    "[push]",
    "\tdefault = current",
    "\tautoSetupRemote = true",
  ];
  for (const entry of entries) {
    lines.push(`[url "${entry.gateUrl}"]`);
    for (const spelling of upstreamSpellings(entry.upstream)) {
      lines.push(`\tinsteadOf = ${spelling}`);
    }
  }
  return lines.join("\n") + "\n";
}
