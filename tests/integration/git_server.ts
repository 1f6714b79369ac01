/**
 * @module
 * A real git server over SSH for the git gate's tests: a container on a hermetic
 * network (alias `git.fake.test`) with the gate's public key authorized and a bare
 * repository holding one commit.
 */

import { join } from "node:path";
import { sha256Hex } from "../../lib/images/tags.ts";
import { $, capture, captureRaw } from "../shell.ts";
import { ROOT } from "../helpers.ts";

/** A running git server and the files a manifest entry needs. */
export interface GitServer extends AsyncDisposable {
  container: string;
  host: string;
  /** The gate's private key on the host. */
  identityFile: string;
  /** known_hosts naming the server's real host key. */
  knownHostsFile: string;
  /** known_hosts naming some other key for the same host. */
  wrongKnownHostsFile: string;
  /** `git log --format=%s BRANCH` in the server's repository. */
  log(repo: string, branch?: string): Promise<string[]>;
  /** Runs a shell script on the server as the repositories' owner; returns its stdout. */
  run(script: string): Promise<string>;
}

async function image(): Promise<string> {
  const dockerfile = await Deno.readTextFile(join(ROOT, "tests/fixtures/sshd/Dockerfile"));
  const tag = `bot-bottle-test-sshd:${(await sha256Hex(dockerfile)).slice(0, 12)}`;
  if ((await captureRaw($`docker image inspect ${tag}`)).code !== 0) {
    await capture(
      "build the test sshd image",
      $`docker build --quiet --tag ${tag} ${join(ROOT, "tests/fixtures/sshd")}`,
      "10m",
    );
  }
  return tag;
}

/** Starts the server on `network` with a repository `repo`.git holding one commit. */
export async function startGitServer(
  network: string,
  dir: string,
  repo = "project",
): Promise<GitServer> {
  const host = "git.fake.test";
  const container = `bot-bottle-test-sshd-${crypto.randomUUID().slice(0, 8)}`;
  const cleanup = async () => void await captureRaw($`docker rm --force ${container}`);
  try {
    await capture(
      "start the git server",
      $`docker run --detach --name ${container} --label bot-bottle.test=1 --network ${network} --network-alias ${host} ${await image()}`,
    );
    const identityFile = join(dir, "gate_key");
    await capture(
      "gate key",
      $`ssh-keygen -q -t ed25519 -N ${""} -C bot-bottle-gate -f ${identityFile}`,
    );
    await capture(
      "other key",
      $`ssh-keygen -q -t ed25519 -N ${""} -C impostor -f ${join(dir, "impostor")}`,
    );
    const exec = (script: string, stdin?: Uint8Array) => {
      const cmd = $`docker exec --interactive ${container} sh -c ${script}`;
      return capture(`git server: ${script.slice(0, 40)}`, stdin ? cmd.stdin(stdin) : cmd);
    };
    await exec(
      "cat > /home/git/.ssh/authorized_keys && chown git:git /home/git/.ssh/authorized_keys && chmod 600 /home/git/.ssh/authorized_keys",
      await Deno.readFile(`${identityFile}.pub`),
    );
    await exec(
      `set -e; git init -q --bare -b main /home/git/${repo}.git; t=$(mktemp -d); cd $t; git init -q -b main; ` +
        `echo '# upstream project' > README.md; git add README.md; ` +
        `git -c user.name=up -c user.email=up@x.invalid commit -qm 'upstream: first'; ` +
        `git push -q /home/git/${repo}.git main; chown -R git:git /home/git/${repo}.git`,
    );
    let hostKey = "";
    for (let i = 0; i < 50 && !hostKey; i++) {
      hostKey =
        (await captureRaw($`docker exec ${container} cat /etc/ssh/ssh_host_ed25519_key.pub`)).stdout
          .trim();
      if (!hostKey) await new Promise((r) => setTimeout(r, 100));
    }
    const keyPart = (line: string) => line.split(" ").slice(0, 2).join(" ");
    const knownHostsFile = join(dir, "known_hosts");
    await Deno.writeTextFile(knownHostsFile, `${host} ${keyPart(hostKey)}\n`);
    const wrongKnownHostsFile = join(dir, "wrong_known_hosts");
    await Deno.writeTextFile(
      wrongKnownHostsFile,
      `${host} ${keyPart(await Deno.readTextFile(join(dir, "impostor.pub")))}\n`,
    );
    return {
      container,
      host,
      identityFile,
      knownHostsFile,
      wrongKnownHostsFile,
      async log(name: string, branch = "main") {
        const r = await captureRaw(
          $`docker exec --user git ${container} git -C ${`/home/git/${name}.git`} log --format=%s ${branch}`,
        );
        return r.code === 0 ? r.stdout.trim().split("\n") : [];
      },
      async run(script: string) {
        return await capture(
          "git server script",
          $`docker exec --user git ${container} sh -c ${script}`,
        );
      },
      [Symbol.asyncDispose]: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
