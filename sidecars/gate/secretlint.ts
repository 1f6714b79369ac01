/**
 * @module
 * secretlint's recommended preset, run in-process. Its messages quote what they found,
 * so only the rule id and the location are ever used.
 */

import { lintSource } from "npm:@secretlint/core@13.0.7";
import { creator as recommended } from "npm:@secretlint/secretlint-rule-preset-recommend@13.0.7";

/** A secretlint finding: rule id and 1-based line in the linted text. */
export interface SecretlintHit {
  rule: string;
  line: number;
}

const CONFIG = {
  rules: [{ id: "@secretlint/secretlint-rule-preset-recommend", rule: recommended }],
};

/** Lints `content` as if it were the file `path`. */
export async function secretlint(path: string, content: string): Promise<SecretlintHit[]> {
  const result = await lintSource({
    source: { filePath: `/scan/${path}`, content, contentType: "text" },
    options: { config: CONFIG },
  });
  return result.messages.map((m) => ({
    rule: String(m.ruleId).replace(/^@secretlint\/secretlint-rule-/, "secretlint/"),
    line: m.loc?.start?.line ?? 1,
  }));
}
