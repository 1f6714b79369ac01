/**
 * @module
 * Reading the lines a commit adds from `git diff-tree -p -U0` output.
 */

/** One added line, located in the new version of its file. */
export interface AddedLine {
  file: string;
  line: number;
  text: string;
}

/** Parses a zero-context patch into its added lines. Binary files add none. */
export function addedLines(patch: string): AddedLine[] {
  const out: AddedLine[] = [];
  let file: string | undefined;
  let next = 0;
  for (const raw of patch.split("\n")) {
    if (raw.startsWith("diff --git ")) {
      file = undefined;
    } else if (raw.startsWith("+++ ")) {
      const target = raw.slice(4);
      file = target === "/dev/null" ? undefined : unquote(target).replace(/^b\//, "");
    } else if (raw.startsWith("@@ ")) {
      const m = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
      next = m ? Number(m[1]) : 0;
    } else if (raw.startsWith("+") && file !== undefined) {
      out.push({ file, line: next, text: raw.slice(1) });
      next++;
    }
  }
  return out;
}

function unquote(path: string): string {
  if (!path.startsWith('"')) return path;
  try {
    return JSON.parse(path);
  } catch {
    return path.slice(1, -1);
  }
}

/** Glob match for protected paths: `**` crosses directories, `*` and `?` do not. */
export function globMatch(glob: string, path: string): boolean {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      re += glob[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += glob[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`).test(path);
}
