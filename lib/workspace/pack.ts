/**
 * @module
 * Packing the working tree for the agent and the git gate. The agent gets the selected
 * files plus a `.git` holding only the history's pack (see history.ts), branches, tags,
 * HEAD and the index, with a config bot-bottle writes (its origin is the gate): never the
 * host's hooks, config or credentials. The gate gets the same pack and refs as its seed,
 * and the blobs kept from the agent beside them, so it scans only what the agent adds
 * (and serves no fetch when it holds such blobs). A directory outside git first gets a
 * baseline repository in bot-bottle's state directory, and is then packed the same way.
 */

import { join } from "node:path";
import { BUNDLE_UID, gateRepo } from "../../sidecars/bundle/config.ts";
import { BotBottleError } from "../errors.ts";
import { captureRaw, shell } from "../shell.ts";
import { TarWriter } from "../tar.ts";
import { firstSecretInFile, type Selection, type WorkspaceLocation } from "./select.ts";
import { log } from "../log.ts";
import { type CarriedHistory, inProgressTips, packHistory } from "./history.ts";
import type { CleanContents } from "./verdicts.ts";

/** Where a packed workspace's git data comes from. */
export interface GitSource {
  /** Directory holding HEAD and the index (a worktree's own git directory). */
  gitDir: string;
  /** Directory holding objects and refs. */
  commonDir: string;
  /** The index to carry (a copy, possibly marked), or undefined when there is none. */
  index?: string;
  /** `extensions.objectformat`, when the repository is not SHA-1. */
  objectFormat?: string;
}

/** What packing produced. */
export interface PackedWorkspace {
  /** Archive unpacked into the agent's workspace directory. */
  agentTar: string;
  /** Archive unpacked into the bundle's state directory (the gate's seed repository). */
  seedTar: string;
  /** The refs the gate starts with (the host's branches and tags). */
  seed: Record<string, string>;
  /** HEAD of the host repository: `ref: refs/heads/x` or a commit. */
  head: string;
  /** Blobs of the history left out because they hold a secret. */
  historyLeftOut: CarriedHistory["leftOut"];
}

async function git(cwd: string, args: string[], env: Record<string, string> = {}) {
  const $ = await shell();
  return await captureRaw($`git -C ${cwd} ${args}`.env(env), "10m");
}

async function gitOut(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = await git(cwd, args, env);
  if (r.code !== 0) {
    throw new BotBottleError(`git ${args[0]} in "${cwd}" failed: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** The host's branches and tags, `ref -> object`. */
export async function listRefs(gitDir: string): Promise<Record<string, string>> {
  const out = await gitOut(gitDir, [
    "for-each-ref",
    "--format=%(objectname) %(refname)",
    "refs/heads",
    "refs/tags",
  ]);
  const refs: Record<string, string> = {};
  for (const line of out.split("\n").filter(Boolean)) {
    const space = line.indexOf(" ");
    refs[line.slice(space + 1)] = line.slice(0, space);
  }
  return refs;
}

/** A `packed-refs` file for `refs` (no peeled lines, which git does not require). */
export function packedRefs(refs: Record<string, string>): string {
  return Object.entries(refs).toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([ref, sha]) => `${sha} ${ref}\n`).join("");
}

function quoteSubsection(name: string): string {
  return name.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
}

/**
 * The promisor remote of an agent's repository whose history lacks blobs holding a
 * secret: no repository, so that git fetches nothing and says, in the path it could not
 * read, why the file version is missing.
 */
export const HELD_BACK = {
  name: "bot-bottle-held-back",
  url: "/bot-bottle: this file version holds a secret and stayed out of the bottle",
};

/**
 * The agent's `.git/config`: origin is the gate's workspace repository (the work comes
 * home from there), and each manifest git entry is a remote by its name (its upstream
 * URL, which the agent's gitconfig sends through the gate). Nothing of the host's config.
 */
export function agentGitConfig(
  gateUrl: string,
  head: string,
  refs: Record<string, string>,
  objectFormat?: string,
  remotes: { name: string; url: string }[] = [],
  partial = false,
): string {
  const lines = [
    "# Written by bot-bottle. origin is the bottle's git gate: what you push there is",
    "# scanned and comes home to the host repository under refs/heads/bot-bottle/.",
    "[core]",
    `\trepositoryformatversion = ${objectFormat || partial ? 1 : 0}`,
    "\tfilemode = true",
    "\tbare = false",
    "\tlogallrefupdates = true",
  ];
  if (objectFormat || partial) {
    lines.push("[extensions]");
    if (objectFormat) lines.push(`\tobjectformat = ${objectFormat}`);
    // Blobs holding a secret stayed out: git takes them for ones a promisor remote
    // would give, and its error names why (see HELD_BACK).
    if (partial) lines.push(`\tpartialClone = ${HELD_BACK.name}`);
  }
  lines.push(
    '[remote "origin"]',
    `\turl = ${gateUrl}`,
    "\tfetch = +refs/heads/*:refs/remotes/origin/*",
  );
  if (partial) {
    lines.push(`[remote "${HELD_BACK.name}"]`, `\turl = ${HELD_BACK.url}`, "\tpromisor = true");
    // No delta search in packs it makes: a push of a new version of a file whose old
    // version stayed out would read that version as a delta base, and fail.
    lines.push("[pack]", "\twindow = 0");
  }
  for (const r of remotes.filter((r) => r.name !== "origin")) {
    lines.push(
      `[remote "${quoteSubsection(r.name)}"]`,
      `\turl = ${r.url}`,
      `\tfetch = +refs/heads/*:refs/remotes/${r.name}/*`,
    );
  }
  const current = /^ref: refs\/heads\/(.+)$/.exec(head.trim())?.[1];
  if (current && refs[`refs/heads/${current}`]) {
    lines.push(
      `[branch "${quoteSubsection(current)}"]`,
      "\tremote = origin",
      `\tmerge = refs/heads/${current}`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Makes a baseline repository for a directory outside git: a bare repository at
 * `homeRepo` holding one commit of the selected files, and an index matching it.
 */
export async function baselineRepository(
  location: WorkspaceLocation,
  selection: Selection,
  homeRepo: string,
  staging: string,
): Promise<GitSource> {
  await Deno.mkdir(homeRepo, { recursive: true, mode: 0o700 });
  await gitOut(homeRepo, ["init", "--quiet", "--bare", "--initial-branch=main"]);
  const index = join(staging, "baseline.index");
  const env = { GIT_DIR: homeRepo, GIT_WORK_TREE: location.root, GIT_INDEX_FILE: index };
  const list = new TextEncoder().encode(selection.paths.map((p) => `${p}\0`).join(""));
  const $ = await shell();
  const add = await captureRaw(
    $`git -C ${location.root} update-index --add -z --stdin`.env(env).stdin(list),
    "10m",
  );
  if (add.code !== 0) {
    throw new BotBottleError(
      `Making a baseline of "${location.root}" failed: ${add.stderr.trim()}`,
    );
  }
  const tree = (await gitOut(location.root, ["write-tree"], env)).trim();
  const who = {
    GIT_AUTHOR_NAME: "bot-bottle",
    GIT_AUTHOR_EMAIL: "baseline@bot-bottle.invalid",
    GIT_COMMITTER_NAME: "bot-bottle",
    GIT_COMMITTER_EMAIL: "baseline@bot-bottle.invalid",
  };
  const commit = (await gitOut(location.root, [
    "commit-tree",
    tree,
    "-m",
    `bot-bottle: baseline of ${location.root}`,
  ], { ...env, ...who })).trim();
  await gitOut(homeRepo, ["update-ref", "refs/heads/main", commit]);
  return { gitDir: homeRepo, commonDir: homeRepo, index };
}

/** The git source of a repository work tree, with the index marked for what was left out. */
export async function repositorySource(
  location: WorkspaceLocation,
  selection: Selection,
  staging: string,
): Promise<GitSource> {
  const { gitDir, commonDir } = location.git!;
  try {
    await Deno.stat(join(commonDir, "objects", "info", "alternates"));
    throw new BotBottleError(
      `--cwd: "${location.root}" borrows objects from another repository (objects/info/alternates), which a bottle cannot carry`,
      { hint: "Run `git repack -a -d` there to make the repository self-contained" },
    );
  } catch (error) {
    if (error instanceof BotBottleError) throw error;
  }
  const format = await git(commonDir, ["config", "--get", "extensions.objectformat"]);
  const source: GitSource = {
    gitDir,
    commonDir,
    ...(format.code === 0 && format.stdout.trim() ? { objectFormat: format.stdout.trim() } : {}),
  };
  const index = join(staging, "index");
  try {
    await Deno.copyFile(join(gitDir, "index"), index);
  } catch {
    return source; // a repository with nothing staged yet has no index
  }
  const $ = await shell();
  // A split index (core.splitIndex) keeps part of itself in the git directory, which does
  // not go in: the copy is made whole. Never split again (that would write a shared index
  // into your repository).
  const whole = await captureRaw(
    $`git -C ${location.root} -c core.splitIndex=false update-index --no-split-index`
      .env({ GIT_INDEX_FILE: index }),
    "5m",
  );
  if (whole.code !== 0) {
    throw new BotBottleError(
      `Reading the index of "${location.root}" failed: ${whole.stderr.trim()}`,
    );
  }
  if (selection.trackedLeftOut.length > 0) {
    // Tracked files that stay out are marked so that the agent's git does not see
    // them as deleted (and commit their deletion).
    const list = new TextEncoder().encode(selection.trackedLeftOut.map((p) => `${p}\0`).join(""));
    const r = await captureRaw(
      $`git -C ${location.root} -c core.splitIndex=false update-index --skip-worktree -z --stdin`
        .env({ GIT_INDEX_FILE: index }).stdin(list),
      "5m",
    );
    if (r.code !== 0) {
      throw new BotBottleError(`Marking left-out files in the index failed: ${r.stderr.trim()}`);
    }
  }
  return { ...source, index };
}

/** A merge, cherry-pick, revert or rebase in progress, as git keeps it in the git directory. */
const IN_PROGRESS = [
  "MERGE_HEAD",
  "MERGE_MODE",
  "MERGE_MSG",
  "CHERRY_PICK_HEAD",
  "REVERT_HEAD",
  "REBASE_HEAD",
  "ORIG_HEAD",
  "AUTO_MERGE",
  "rebase-merge",
  "rebase-apply",
  "sequencer",
];

/** The regular files under `dir`, at any depth (links not followed). */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await filesUnder(path));
    else if (e.isFile) out.push(path);
  }
  return out;
}

/**
 * Carries a merge, cherry-pick, revert or rebase in progress into the agent as it is, so
 * that the commit resolving it is one (a merge keeps both parents) and a rebase can go
 * on. Each piece is scanned like any file (message drafts, a rebase's patch), and stays
 * out whole if anything in it holds a secret.
 */
async function carryInProgress(gitDir: string, agent: TarWriter): Promise<void> {
  for (const name of IN_PROGRESS) {
    const path = join(gitDir, name);
    const info = await Deno.lstat(path).catch(() => undefined);
    if (!info?.isFile && !info?.isDirectory) continue;
    let found: { rule: string } | undefined;
    for (const file of info.isFile ? [path] : await filesUnder(path)) {
      found = await firstSecretInFile(file);
      if (found) break;
    }
    if (found) {
      log.warn(`Left out of the agent: .git/${name} (rule ${found.rule})`);
      continue;
    }
    await agent.path(`.git/${name}`, path);
    if (info.isDirectory) await agent.tree(path, `.git/${name}`);
  }
}

/**
 * Writes the agent's archive and the gate's seed archive into `staging`. The agent's
 * `.git` gets refs/remotes/origin/* matching the gate, so `git status` compares with it.
 */
export async function packWorkspace(
  location: WorkspaceLocation,
  selection: Selection,
  source: GitSource,
  options: {
    staging: string;
    gateUrl: string;
    gateName: string;
    /** The manifest's git entries, as remotes of the agent's repository. */
    remotes?: { name: string; url: string }[];
    /** Contents found clean (the history's blobs it holds are not scanned again). */
    clean?: CleanContents;
    /** How many packs the history is made in (by default, by its size: see `packHistory`). */
    historyParts?: number;
  },
): Promise<PackedWorkspace> {
  const refs = await listRefs(source.commonDir);
  const head = (await Deno.readTextFile(join(source.gitDir, "HEAD"))).trim();
  const encoder = new TextEncoder();
  // The history that goes in: what the refs, HEAD, the index and a merge or rebase in
  // progress reach, less the blobs holding a secret.
  const tips = [
    ...new Set([
      ...Object.values(refs),
      ...(/^[0-9a-f]{40,64}$/.test(head) ? [head] : []),
      ...await inProgressTips(source.gitDir, IN_PROGRESS),
    ]),
  ];
  const history = await packHistory(source.commonDir, tips, {
    ...(source.index ? { index: source.index } : {}),
    include: selection.included,
    dir: join(options.staging, "history"),
    ...(options.clean ? { clean: options.clean } : {}),
    ...(options.historyParts ? { parts: options.historyParts } : {}),
  });
  const partial = history.leftOut.length > 0;
  /**
   * The packs into `objects/pack` of a tar: the agent's (a promisor pack when blobs
   * stayed out of it), and for the gate also those blobs.
   */
  const packInto = async (tar: TarWriter, objects: string, gate: boolean) => {
    const mode = gate ? 0o700 : 0o755;
    await tar.dir(objects, mode);
    await tar.dir(`${objects}/pack`, mode);
    for (
      const pack of [...history.packs, ...(gate && history.heldBack ? [history.heldBack] : [])]
    ) {
      await tar.path(`${objects}/pack/${pack.name}.pack`, pack.pack);
      await tar.path(`${objects}/pack/${pack.name}.idx`, pack.idx);
    }
    if (partial && !gate) {
      for (const pack of history.packs) {
        await tar.bytes(`${objects}/pack/${pack.name}.promisor`, new Uint8Array());
      }
    }
  };

  const agentTar = join(options.staging, "workspace.tar");
  const agent = await TarWriter.create(agentTar);
  try {
    for (const path of selection.paths) await agent.path(path, join(location.root, path));
    await agent.dir(".git");
    await agent.bytes(".git/HEAD", encoder.encode(`${head}\n`));
    await carryInProgress(source.gitDir, agent);
    const remotes: Record<string, string> = {};
    for (const [ref, sha] of Object.entries(refs)) {
      if (ref.startsWith("refs/heads/")) {
        remotes[`refs/remotes/origin/${ref.slice("refs/heads/".length)}`] = sha;
      }
    }
    await agent.bytes(".git/packed-refs", encoder.encode(packedRefs({ ...refs, ...remotes })));
    await agent.bytes(
      ".git/config",
      encoder.encode(
        agentGitConfig(
          options.gateUrl,
          head,
          refs,
          source.objectFormat,
          options.remotes,
          partial,
        ),
      ),
    );
    for (const dir of [".git/refs", ".git/refs/heads", ".git/refs/tags", ".git/hooks"]) {
      await agent.dir(dir);
    }
    if (source.index) await agent.path(".git/index", source.index);
    for (const extra of ["shallow", "info/exclude"]) {
      try {
        await Deno.lstat(join(source.commonDir, extra));
        if (extra.includes("/")) await agent.dir(".git/info");
        await agent.path(`.git/${extra}`, join(source.commonDir, extra));
      } catch { /* not there */ }
    }
    await packInto(agent, ".git/objects", false);
  } catch (error) {
    agent.abort();
    throw error;
  }
  await agent.finish();

  // The seed unpacks into the bundle's state directory, owned by the bundle's user.
  const seedTar = join(options.staging, "seed.tar");
  const repo = gateRepo(options.gateName).replace(/^\/var\/lib\/bot-bottle\//, "");
  const seed = await TarWriter.create(seedTar, { uid: BUNDLE_UID, gid: BUNDLE_UID });
  try {
    await seed.dir(repo.split("/")[0]!, 0o700);
    await seed.dir(repo, 0o700);
    await seed.bytes(`${repo}/HEAD`, encoder.encode(`${head}\n`), 0o600);
    await seed.bytes(`${repo}/packed-refs`, encoder.encode(packedRefs(refs)), 0o600);
    for (const dir of ["refs", "refs/heads", "refs/tags"]) await seed.dir(`${repo}/${dir}`, 0o700);
    if (source.objectFormat || partial) {
      const config = [
        "[core]",
        `\trepositoryformatversion = ${source.objectFormat ? 1 : 0}`,
        "\tbare = true",
        ...(source.objectFormat ? ["[extensions]", `\tobjectformat = ${source.objectFormat}`] : []),
        // The gate holds the blobs kept from the agent: no fetch may hand them over (a
        // clone into an empty directory would).
        ...(partial ? ["[daemon]", "\tuploadpack = false"] : []),
      ];
      await seed.bytes(`${repo}/config`, encoder.encode(config.join("\n") + "\n"), 0o600);
    }
    try {
      await Deno.lstat(join(source.commonDir, "shallow"));
      await seed.path(`${repo}/shallow`, join(source.commonDir, "shallow"));
    } catch { /* not shallow */ }
    await packInto(seed, `${repo}/objects`, true);
  } catch (error) {
    seed.abort();
    throw error;
  }
  await seed.finish();
  return { agentTar, seedTar, seed: refs, head, historyLeftOut: history.leftOut };
}
