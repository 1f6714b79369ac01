/**
 * @module
 * Puts the strict fake `smolvm` (tests/fixtures/fake_smolvm.ts) on a PATH of its own,
 * with a state directory whose `calls.jsonl` records every call. Disposing removes the
 * directories and any machine container the product failed to delete (the tests check
 * for those before that).
 */

import { join } from "node:path";
import { $, captureRaw } from "../shell.ts";
import { ROOT } from "../helpers.ts";

/**
 * The image cache the smolvm tests share (`BOT_BOTTLE_CACHE_DIR`): the agent image is
 * saved for smolvm (1.4 GB, the larger part of such a test) by the first `up` of any
 * test file, and reused by the others and by later runs, as a user's later bottles
 * reuse it. Archives are kept by image ID, and a new one replaces the old.
 */
export const SMOLVM_IMAGE_CACHE: string = join(
  Deno.env.get("TMPDIR") ?? "/tmp",
  "bot-bottle-test-image-cache",
);

/** The fake on PATH, its state, and what it was asked. */
export interface FakeSmolvm extends AsyncDisposable {
  /** Environment that puts the fake first on PATH. */
  env: Record<string, string>;
  state: string;
  /** Every argv the fake received, in order. */
  calls(): Promise<string[][]>;
  /** Containers standing in for machines, by machine name. */
  containers(): Promise<string[]>;
}

/** Installs the fake in a temporary bin directory. */
export async function fakeSmolvm(): Promise<FakeSmolvm> {
  const root = await Deno.makeTempDir({ prefix: "bot-bottle-fake-smolvm-" });
  const bin = join(root, "bin");
  const state = join(root, "state");
  await Deno.mkdir(bin);
  await Deno.mkdir(state);
  const script = join(bin, "smolvm");
  await Deno.writeTextFile(
    script,
    `#!/bin/sh\nexec "${Deno.execPath()}" run --quiet --no-config --allow-all "${
      join(ROOT, "tests/fixtures/fake_smolvm.ts")
    }" "$@"\n`,
  );
  await Deno.chmod(script, 0o755);
  const containers = async () =>
    (await captureRaw(
      $`docker ps --all --filter ${`label=fake-smolvm.state=${state}`} --format ${'{{.Label "fake-smolvm.machine"}}'}`,
    )).stdout.split("\n").filter(Boolean);
  return {
    env: { PATH: `${bin}:${Deno.env.get("PATH") ?? ""}`, FAKE_SMOLVM_STATE: state },
    state,
    async calls() {
      const text = await Deno.readTextFile(join(state, "calls.jsonl")).catch(() => "");
      return text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    },
    containers,
    async [Symbol.asyncDispose]() {
      for (const name of await containers()) {
        await captureRaw($`docker rm --force ${`fake-smolvm-${name}`}`);
      }
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}
