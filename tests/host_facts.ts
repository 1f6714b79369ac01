/**
 * Host facts for planning in unit tests: a fixed run id, home and manifest directory,
 * no paths or subnets in use, images already tagged.
 */

import type { HostFacts } from "../lib/plan/types.ts";

export function hostFacts(overrides: Partial<HostFacts> = {}): HostFacts {
  return {
    runId: "abc123",
    env: {},
    home: "/home/u",
    manifestDir: "/proj",
    paths: {},
    usedSubnets: [],
    images: { agent: "bot-bottle-agent:000000000000", bundle: "bot-bottle-bundle:111111111111" },
    ...overrides,
  };
}
