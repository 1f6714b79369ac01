/**
 * @module
 * The one rule for which refs cross from a bottle to the host repository, and under
 * which names: a branch `X` the agent pushed comes home as
 * `refs/heads/bot-bottle/<bottle>/X`, a tag as `refs/tags/bot-bottle/<bottle>/X`, and
 * the uncommitted work bot-bottle saved at exit as `.../wip`. Nothing else crosses;
 * the user's own branches, HEAD, index, hooks and config are never written.
 */

import { HEAD_REF, STASH_REFS, SUBMODULE_REFS, WIP_REF } from "../../sidecars/bundle/config.ts";

export {
  HEAD_REF,
  STASH_REFS,
  SUBMODULE_REFS,
  WIP_LARGE_REF,
  WIP_REF,
  WORKSPACE_ENTRY,
} from "../../sidecars/bundle/config.ts";

/** One ref that comes home. */
export interface HomeRef {
  /** The ref in the gate. */
  gate: string;
  /** The ref it becomes in the host repository. */
  home: string;
  sha: string;
  /** For work inside a submodule: the submodule's path. */
  submodule?: string;
  /** A stash the agent left. */
  stash?: boolean;
  /** Commits the agent left on a detached HEAD. */
  detached?: boolean;
}

/** The submodule path a submodule work ref names (hex of its UTF-8), if it is one. */
export function submoduleOf(ref: string): string | undefined {
  if (!ref.startsWith(SUBMODULE_REFS)) return undefined;
  const hex = ref.slice(SUBMODULE_REFS.length);
  if (!/^(?:[0-9a-f]{2})+$/.test(hex)) return undefined;
  const bytes = Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
  return new TextDecoder().decode(bytes);
}

/** The host ref prefix for bottle `instance`'s branches. */
export function branchPrefix(instance: string): string {
  return `refs/heads/bot-bottle/${instance}/`;
}

/**
 * Whether a branch or tag name from the agent is safe to bring home as written: git
 * would accept it, and it holds nothing a terminal could act on (only visible ASCII
 * letters, digits and `._/-`). Others come home under a neutral name.
 */
export function safeRefPart(name: string): boolean {
  return /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/.test(name) && !name.includes("..") &&
    !name.split("/").some((p) => p.startsWith(".") || p.endsWith(".lock")) &&
    !name.endsWith(".") && name.length <= 200;
}

/**
 * The refs of the gate repository that come home, and their host names. `seed` is what
 * the gate held at start (the host's own refs): unchanged refs stay behind. Refs
 * outside branches, tags and bot-bottle's exit-time refs (the wip, submodule work,
 * stashes, a detached HEAD) never come home.
 */
export function homeRefs(
  instance: string,
  gateRefs: Record<string, string>,
  seed: Record<string, string>,
): HomeRef[] {
  const out: HomeRef[] = [];
  const taken = new Set<string>();
  let neutral = 0;
  // Git keeps refs as paths: `x/wip` and `x/wip/a` cannot both be. A name inside a name
  // taken gets that part renamed (`wip-2/a`); a name taken, or holding one, a suffix.
  const claim = (wanted: string) => {
    let name = wanted;
    for (let n = 2;; n++) {
      const holder = [...taken].find((t) => name.startsWith(`${t}/`));
      if (holder !== undefined) name = `${holder}-${n}${name.slice(holder.length)}`;
      else if ([...taken].some((t) => t === name || t.startsWith(`${name}/`))) {
        name = `${wanted}-${n}`;
      } else break;
    }
    taken.add(name);
    return name;
  };
  const entries = Object.entries(gateRefs).toSorted(([a], [b]) => a.localeCompare(b));
  // The wip ref claims its name first, so a branch called "wip" becomes "wip-2".
  for (const [ref, sha] of entries.filter(([ref]) => ref === WIP_REF)) {
    out.push({ gate: ref, home: claim(`${branchPrefix(instance)}wip`), sha });
  }
  // Work inside a submodule: `.../submodule/<its path>`.
  for (const [ref, sha] of entries) {
    const path = submoduleOf(ref);
    if (path === undefined) continue;
    const part = safeRefPart(path) ? path : `unnamed-${++neutral}`;
    out.push({
      gate: ref,
      home: claim(`${branchPrefix(instance)}submodule/${part}`),
      sha,
      submodule: path,
    });
  }
  // Commits the agent left on a detached HEAD, on no branch: `.../head`.
  if (gateRefs[HEAD_REF]) {
    out.push({
      gate: HEAD_REF,
      home: claim(`${branchPrefix(instance)}head`),
      sha: gateRefs[HEAD_REF],
      detached: true,
    });
  }
  // The stashes the agent left: `.../stash/N`.
  for (const [ref, sha] of entries) {
    const n = ref.startsWith(STASH_REFS) ? ref.slice(STASH_REFS.length) : "";
    if (!/^(?:0|[1-9][0-9]{0,3})$/.test(n)) continue;
    out.push({ gate: ref, home: claim(`${branchPrefix(instance)}stash/${n}`), sha, stash: true });
  }
  for (const [ref, sha] of entries) {
    if (ref === WIP_REF || seed[ref] === sha) continue;
    const m = /^refs\/(heads|tags)\/(.+)$/.exec(ref);
    if (!m) continue;
    const part = safeRefPart(m[2]!) ? m[2]! : `unnamed-${++neutral}`;
    const prefix = m[1] === "heads" ? branchPrefix(instance) : `refs/tags/bot-bottle/${instance}/`;
    out.push({ gate: ref, home: claim(`${prefix}${part}`), sha });
  }
  return out;
}

/** A host ref name without `refs/heads/` or `refs/tags/`, as people type it. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, "");
}
