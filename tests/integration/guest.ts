/**
 * Looking inside a running bottle from a test: run a command in its agent, and prove a
 * secret is nowhere there (no process environment, no file, no `docker inspect`).
 */

import assert from "node:assert/strict";
import { $, captureRaw } from "../shell.ts";

/** Runs `script` with sh in the agent container of bottle `name`, as `user`. */
export async function agentExec(
  name: string,
  user: string,
  script: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return await captureRaw(
    $`docker exec --user ${user} ${`bot-bottle-${name}-agent`} sh -c ${script}`,
    "3m",
  );
}

/** Asserts that `secret` is in no process environment, file or inspect output of the bottle. */
export async function assertNowhereInGuest(
  name: string,
  secret: string,
  what: string,
): Promise<void> {
  for (const user of ["0:0", "1000:1000"]) {
    const env = await agentExec(
      name,
      user,
      "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'",
    );
    assert.match(env.stdout, /HTTPS_PROXY=http:\/\//, `environments were readable as ${user}`);
    assert.ok(!env.stdout.includes(secret), `${what} in a process environment (as ${user})`);
  }
  const files = await agentExec(
    name,
    "0:0",
    `grep -rlF -e ${
      JSON.stringify(secret)
    } /etc /tmp /var /opt /usr/local /root /home 2>/dev/null; echo scanned`,
  );
  assert.equal(files.stdout.trim(), "scanned", `${what} found in: ${files.stdout}`);
  for (const container of [`bot-bottle-${name}-agent`, `bot-bottle-${name}-bundle`]) {
    const inspect = await captureRaw($`docker inspect ${container}`);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.ok(!inspect.stdout.includes(secret), `${what} in docker inspect of ${container}`);
  }
}
