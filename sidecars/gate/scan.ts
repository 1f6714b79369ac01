/**
 * @module
 * The secret scanner the git gate runs on every line a push adds (and the proxy's DLP
 * will reuse): secretlint's recommended preset in-process, our own rules (drawn from
 * gitleaks; they catch what secretlint wants more context for, such as a bare AWS key
 * id or a private key header), and the bottle's own credential values. A finding
 * names the rule, never the secret.
 */

import { secretlint } from "./secretlint.ts";

/** One rule: a name and a pattern for a secret on one line. */
export interface SecretRule {
  id: string;
  description: string;
  pattern: RegExp;
}

/** The built-in rules. Documentation examples (ending in EXAMPLE) are not findings. */
export const RULES: readonly SecretRule[] = [
  {
    id: "aws-access-key-id",
    description: "AWS access key ID",
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/,
  },
  {
    id: "aws-secret-access-key",
    description: "AWS secret access key",
    pattern: /aws.{0,20}(?:secret|private).{0,20}['"\s:=]+[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/i,
  },
  {
    id: "private-key",
    description: "private key",
    pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/,
  },
  {
    id: "github-token",
    description: "GitHub token",
    pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b/,
  },
  {
    id: "github-fine-grained-token",
    description: "GitHub fine-grained token",
    pattern: /\bgithub_pat_[A-Za-z0-9_]{82}\b/,
  },
  {
    id: "gitlab-token",
    description: "GitLab personal access token",
    pattern: /\bglpat-[A-Za-z0-9_-]{20}\b/,
  },
  { id: "slack-token", description: "Slack token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  {
    id: "slack-webhook",
    description: "Slack webhook URL",
    pattern: /https:\/\/hooks\.slack\.com\/services\/T[A-Za-z0-9_]+\/B[A-Za-z0-9_]+\/[A-Za-z0-9_]+/,
  },
  {
    id: "anthropic-api-key",
    description: "Anthropic API key",
    pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/,
  },
  {
    id: "openai-api-key",
    description: "OpenAI API key",
    pattern: /\bsk-[A-Za-z0-9_-]{10,}T3BlbkFJ[A-Za-z0-9_-]{10,}/,
  },
  { id: "google-api-key", description: "Google API key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  {
    id: "stripe-secret-key",
    description: "Stripe secret key",
    pattern: /\b(?:sk|rk)_live_[0-9a-zA-Z]{24,}\b/,
  },
  { id: "npm-token", description: "npm access token", pattern: /\bnpm_[A-Za-z0-9]{36}\b/ },
  {
    id: "url-password",
    description: "password in a URL",
    pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"]+:[^\s/:@'"$]{3,}@[A-Za-z0-9.-]+/i,
  },
];

/** One line of a file (or message), located. */
export interface AddedLine {
  file: string;
  line: number;
  text: string;
}

/** A secret found on a line. */
export interface Finding {
  rule: string;
  description: string;
}

/**
 * The findings on one line: built-in rules, then any of `values` (the bottle's own
 * credentials) appearing verbatim.
 */
export function scanLine(line: string, values: readonly string[] = []): Finding[] {
  const findings: Finding[] = [];
  for (const rule of RULES) {
    const m = rule.pattern.exec(line);
    if (m && !/EXAMPLE/.test(m[0])) findings.push({ rule: rule.id, description: rule.description });
  }
  for (const value of values) {
    if (value.length >= 8 && line.includes(value)) {
      findings.push({ rule: "bottle-credential", description: "a secret of this bottle" });
    }
  }
  return findings;
}

/** A finding located in a commit's added lines. */
export interface LocatedFinding extends Finding {
  file: string;
  line: number;
}

/**
 * Scans every added line: each file's added lines are linted together by secretlint
 * (so multi-line rules see their context) and line by line by our rules. Findings of
 * both are merged, one per rule and line.
 */
export async function scanAdded(
  added: readonly AddedLine[],
  values: readonly string[] = [],
  options: { secretlint?: boolean } = {},
): Promise<LocatedFinding[]> {
  const out = new Map<string, LocatedFinding>();
  const add = (f: LocatedFinding) => out.set(`${f.file}:${f.line}:${f.rule}`, f);
  const byFile = Map.groupBy(added, (a) => a.file);
  for (const [file, lines] of byFile) {
    for (const l of lines) {
      for (const f of scanLine(l.text, values)) add({ ...f, file, line: l.line });
    }
    if (options.secretlint === false) continue;
    for (const hit of await secretlint(file, lines.map((l) => l.text).join("\n"))) {
      const source = lines[hit.line - 1];
      if (source) {
        add({ rule: hit.rule, description: "secret (secretlint)", file, line: source.line });
      }
    }
  }
  return [...out.values()].toSorted((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}
