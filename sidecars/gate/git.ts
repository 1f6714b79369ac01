/**
 * @module
 * Running git in the bundle, with failures that name the call and quote git.
 */

/** Output of a git call. */
export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Variables every git call of this module adds to the environment it inherits (in the
 * hook, git's own: GIT_DIR, the quarantine). Tests set it instead of the process's
 * environment, which test files running side by side share.
 */
let added: Record<string, string> | undefined;

/** Sets (or, with nothing, clears) the variables every git call here adds. */
export function setGitEnv(env?: Record<string, string>): void {
  added = env;
}

/** The environment for one git call: `env` over the added variables. */
export function gitEnv(env?: Record<string, string>): Record<string, string> | undefined {
  return added || env ? { ...added, ...env } : undefined;
}

/** Runs `git ARGS` (in `cwd`); never throws on exit code. */
export async function git(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<GitResult> {
  const r = await new Deno.Command("git", {
    args,
    cwd: options.cwd,
    env: gitEnv(options.env),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, stdout: d.decode(r.stdout), stderr: d.decode(r.stderr) };
}

/**
 * Runs `git ARGS` with `input` on its stdin, written while its output is read (git stops
 * reading once its output pipe is full); never throws on exit code.
 */
export async function gitWithInput(args: string[], input: string): Promise<GitResult> {
  const child = new Deno.Command("git", {
    args,
    env: gitEnv(),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Taken before `output()`, which would otherwise close stdin.
  const writer = child.stdin.getWriter();
  const writing = writer.write(new TextEncoder().encode(input)).then(() => writer.close()).then(
    () => undefined,
    (error: Error) => error,
  );
  const r = await child.output();
  const failed = await writing;
  const d = new TextDecoder();
  const result = { code: r.code, stdout: d.decode(r.stdout), stderr: d.decode(r.stderr) };
  if (failed && result.code === 0) throw failed;
  return result;
}

/** Runs git and returns stdout; throws an Error naming `what` on failure. */
export async function gitOk(
  what: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const r = await git(args, options);
  if (r.code !== 0) throw new Error(`${what}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Points the mirror's HEAD at upstream's default branch, so clones check it out. */
export async function followUpstreamHead(repo: string): Promise<void> {
  const r = await git(["ls-remote", "--symref", "upstream", "HEAD"], { cwd: repo });
  const m = /^ref: (refs\/heads\/\S+)\tHEAD$/m.exec(r.stdout);
  if (r.code === 0 && m) await git(["symbolic-ref", "HEAD", m[1]!], { cwd: repo });
}
