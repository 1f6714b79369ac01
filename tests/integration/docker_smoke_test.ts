/**
 * The engine path, proven: a container from the base image stand-in runs, and `plan`
 * creates no docker resource.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import * as docker from "../../lib/docker/cli.ts";
import {
  ENGINE_SOCKET,
  ENGINE_STDIN_MAX,
  engineExec,
  engineSocket,
  useCliOnly,
} from "../../lib/docker/engine.ts";
import { $, capture, captureRaw } from "../shell.ts";
import { ROOT, runBotBottle, tempDir } from "../helpers.ts";
import { saveAuditLog } from "../../lib/backend/bundle.ts";
import { DockerGuest } from "../../lib/backend/docker.ts";
import { filesTar } from "../../lib/tar.ts";
import { randomBytes } from "../../lib/bytes.ts";
import { LABEL_BOTTLE, LABEL_ROLE } from "../../lib/constants.ts";
import { AUDIT_PATH, STATE_DIR } from "../../sidecars/bundle/config.ts";
import { dockerTest, READ_ONLY_DOCKER, recordingDocker } from "./docker.ts";

dockerTest("a container from debian:bookworm-slim runs and reports its OS", async () => {
  const name = `bot-bottle-smoke-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const r = await captureRaw(
      $`docker run --name ${name} --label bot-bottle.test=smoke --network none debian:bookworm-slim cat /etc/os-release`,
      "2m",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /VERSION_CODENAME=bookworm/);
  } finally {
    await captureRaw($`docker rm --force ${name}`);
  }
});

dockerTest("plan creates no container, network or volume", async () => {
  await using docker = await recordingDocker();
  for (const format of ["text", "json"]) {
    const r = await runBotBottle(["plan", "claude", "--cwd", "--format", format], {
      env: {
        ...docker.env,
        BOT_BOTTLE_MANIFEST: join(ROOT, "examples/bot-bottle.yaml"),
        ANTHROPIC_API_KEY: "x",
      },
    });
    assert.equal(r.code, 0, r.stderr);
  }
  const calls = await docker.calls();
  assert.deepEqual(calls.filter((c) => !READ_ONLY_DOCKER.test(c)), [], calls.join("\n"));
});

dockerTest(
  "the engine socket and the CLI make the same networks (internal, no host address)",
  async () => {
    // The test task grants the socket, as the tool's own flags do: both paths are compared.
    assert.equal(engineSocket(Deno.env.toObject()), ENGINE_SOCKET, "the socket path is not in use");
    const id = crypto.randomUUID().slice(0, 8);
    const shape = async (name: string) => {
      const [n] = JSON.parse((await captureRaw($`docker network inspect ${name}`)).stdout);
      return {
        internal: n.Internal,
        options: n.Options,
        subnets: n.IPAM.Config.map((c: { Subnet: string }) => c.Subnet),
        labels: n.Labels,
        attachable: n.Attachable,
        driver: n.Driver,
      };
    };
    const made: string[] = [];
    try {
      const shapes = [];
      for (const [via, subnet] of [["api", "10.250.7.0/28"], ["cli", "10.250.7.16/28"]] as const) {
        const name = `bot-bottle-test-${via}-${id}`;
        made.push(name);
        const make = async () => {
          await docker.networkCreate(name, {
            internal: true,
            subnet,
            labels: { "bot-bottle.test": "1" },
            driverOptions: { "com.docker.network.bridge.inhibit_ipv4": "true" },
          });
          assert.ok(await docker.networkExists(name));
          assert.ok((await docker.networkSubnets()).includes(subnet));
        };
        await (via === "cli" ? withoutEngine(make) : make());
        const { subnets, ...rest } = await shape(name);
        assert.deepEqual(subnets, [subnet]);
        shapes.push(rest);
      }
      assert.deepEqual(shapes[0], shapes[1]);
      assert.equal(shapes[0]!.internal, true);
      assert.equal(shapes[0]!.options["com.docker.network.bridge.inhibit_ipv4"], "true");
      // A taken subnet is refused by either path with the engine's "overlaps" reason.
      await assert.rejects(
        () =>
          docker.networkCreate(`bot-bottle-test-dup-${id}`, {
            internal: true,
            subnet: "10.250.7.0/28",
            labels: { "bot-bottle.test": "1" },
          }),
        /overlap/i,
      );
      assert.equal(await docker.networkExists(`bot-bottle-test-none-${id}`), false);
    } finally {
      for (const name of made) await captureRaw($`docker network rm ${name}`);
    }
  },
);

dockerTest(
  "the engine socket and the CLI make the same containers (hardening, limits, address) and start them",
  async () => {
    assert.equal(engineSocket(Deno.env.toObject()), ENGINE_SOCKET, "the socket path is not in use");
    const id = crypto.randomUUID().slice(0, 8);
    const network = `bot-bottle-test-net-${id}`;
    await docker.networkCreate(network, {
      internal: true,
      subnet: "10.250.8.0/28",
      labels: { "bot-bottle.test": "1" },
    });
    const made: string[] = [];
    const shape = async (name: string) => {
      const [c] = JSON.parse((await captureRaw($`docker inspect ${name}`)).stdout);
      const h = c.HostConfig;
      return {
        config: {
          image: c.Config.Image,
          labels: c.Config.Labels,
          user: c.Config.User,
          hostname: c.Config.Hostname,
          workdir: c.Config.WorkingDir,
          // The CLI does not keep the order of --env flags (nor need it).
          env: c.Config.Env.filter((e: string) => e.startsWith("BB_")).sort(),
          cmd: c.Config.Cmd,
          stdin: [c.Config.OpenStdin, c.Config.StdinOnce, c.Config.AttachStdin],
        },
        host: {
          capDrop: h.CapDrop,
          capAdd: h.CapAdd,
          securityOpt: h.SecurityOpt,
          init: h.Init,
          privileged: h.Privileged,
          pids: h.PidsLimit,
          memory: h.Memory,
          swap: h.MemorySwap,
          sysctls: h.Sysctls,
          dns: h.Dns,
          networkMode: h.NetworkMode,
        },
        address: c.NetworkSettings.Networks[network]?.IPAMConfig,
      };
    };
    try {
      const shapes = [];
      for (const [via, ip] of [["api", "10.250.8.5"], ["cli", "10.250.8.6"]] as const) {
        const name = `bot-bottle-test-${via}-${id}`;
        made.push(name);
        const make = async () => {
          await docker.containerCreate({
            name,
            image: "debian:bookworm-slim",
            labels: { "bot-bottle.test": "1" },
            network,
            ip,
            user: "1000:1000",
            hostname: "bottle",
            workdir: "/tmp",
            env: { BB_A: "1", BB_B: "x=y" },
            dns: ["10.250.8.2"],
            hardened: true,
            limits: { pids: 512, memoryBytes: 512 * 1024 ** 2 },
            sysctls: { "net.ipv4.ip_unprivileged_port_start": "53" },
            interactive: true,
            command: ["sleep", "infinity"],
          });
        };
        await (via === "cli" ? withoutEngine(make) : make());
        const { address, ...rest } = await shape(name);
        assert.deepEqual(address, { IPv4Address: ip });
        shapes.push(rest);
      }
      assert.deepEqual(shapes[0], shapes[1]);
      assert.deepEqual(shapes[0]!.host.capDrop, ["ALL"]);
      assert.deepEqual(shapes[0]!.host.securityOpt, ["no-new-privileges"]);
      assert.equal(shapes[0]!.host.init, true);
      assert.equal(shapes[0]!.host.pids, 512);
      // Each started the way it was made; starting one that runs already is no error.
      for (const [i, via] of (["api", "cli"] as const).entries()) {
        const start = () => docker.containerStart(made[i]!);
        for (let time = 0; time < 2; time++) await (via === "cli" ? withoutEngine(start) : start());
        const running = await capture(
          "inspect",
          $`docker inspect --format ${"{{.State.Running}}"} ${made[i]!}`,
        );
        assert.equal(running.trim(), "true", via);
      }
      for (const via of ["api", "cli"]) {
        const start = () => docker.containerStart(`bot-bottle-test-missing-${id}`);
        await assert.rejects(
          via === "cli" ? withoutEngine(start) : start(),
          new RegExp(`docker start bot-bottle-test-missing-${id} failed`),
          via,
        );
      }
    } finally {
      for (const name of made) await captureRaw($`docker rm --force ${name}`);
      await captureRaw($`docker network rm ${network}`);
    }
  },
);

dockerTest(
  "docker exec through the engine socket and through the CLI: same output and codes",
  async () => {
    assert.equal(engineSocket(Deno.env.toObject()), ENGINE_SOCKET, "the socket path is not in use");
    const name = `bot-bottle-test-exec-${crypto.randomUUID().slice(0, 8)}`;
    await capture(
      "test container",
      $`docker run --detach --name ${name} --label bot-bottle.test=1 --network none debian:bookworm-slim sleep infinity`,
    );
    await using dir = await tempDir();
    // Over 3 MiB, of random bytes (no pattern a short read could pass for).
    const inFile = { path: join(dir.path, "in"), size: 48 * 65536 + 7 };
    const content = randomBytes(inFile.size);
    await Deno.writeFile(inFile.path, content);
    const cases: [string, string[], docker.ExecSpec][] = [
      ["output on both streams and an exit code", [
        "sh",
        "-c",
        'echo out; echo err >&2; printf "%s" "$A"; exit 3',
      ], { env: { A: "x=y é" } }],
      ["user and working directory", ["sh", "-c", "id -u; pwd"], {
        user: "1000:1000",
        workdir: "/tmp",
      }],
      // More output than a pipe holds, on both streams at once.
      ["much output", ["sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' a; seq 1 50000 >&2"], {}],
      ["no such command", ["/no/such/binary"], {}],
      ["out of time", ["sleep", "5"], { timeout: "1s" }],
      // Input up to ENGINE_STDIN_MAX goes through the engine too: read, and never read.
      ["small input, read", ["sh", "-c", "wc -c; head -c 5 /etc/hostname >/dev/null"], {
        stdin: new Uint8Array(ENGINE_STDIN_MAX).fill(98),
      }],
      ["small input, never read", ["sh", "-c", "echo ignored; exit 5"], {
        stdin: new Uint8Array(ENGINE_STDIN_MAX).fill(98),
      }],
      ["empty input", ["cat"], { stdin: new Uint8Array(0) }],
      // A file of any size is streamed in, for a command that drains its input.
      ["a file streamed in", ["sh", "-c", "wc -c; md5sum"], { stdinFile: inFile.path }],
      ["a file streamed in, drained after a failed write", [
        "sh",
        "-c",
        "if cat > /nonexistent/x; then :; else cat > /dev/null; exit 4; fi",
      ], { stdinFile: inFile.path }],
    ];
    try {
      for (const [what, argv, spec] of cases) {
        const api = await docker.execCapture(name, argv, spec);
        const cli = await withoutEngine(() => docker.execCapture(name, argv, spec));
        assert.equal(api.code, cli.code, `${what}: ${JSON.stringify([api, cli]).slice(0, 500)}`);
        if (what === "no such command") {
          assert.ok(api.code === 126 || api.code === 127, JSON.stringify(api));
          assert.match(api.stdout + api.stderr, /no such file|not found/i);
        } else {
          assert.ok(api.stdout === cli.stdout && api.stderr === cli.stderr, what);
        }
      }
      const first = await docker.execCapture(name, cases[0]![1], cases[0]![2]);
      assert.deepEqual(first, { code: 3, stdout: "out\nx=y é", stderr: "err\n" });
      // The engine path itself takes input (execCapture could have fallen back to the CLI).
      const direct = await engineExec(ENGINE_SOCKET, name, ["sh", "-c", "cat; echo"], {
        stdin: new TextEncoder().encode("piped in"),
        timeoutMs: 60_000,
      });
      assert.deepEqual(direct, { code: 0, stdout: "piped in\n", stderr: "" });
      await assert.rejects(
        engineExec(ENGINE_SOCKET, name, ["true"], {
          stdin: new Uint8Array(ENGINE_STDIN_MAX + 1),
          timeoutMs: 60_000,
        }),
        /goes through the CLI/,
      );
      // Larger input goes through the CLI (see engine.ts), also where it is never read.
      const big = new Uint8Array(1024 * 1024).fill(97);
      const read = await docker.execCapture(name, ["sh", "-c", "wc -c"], { stdin: big });
      assert.deepEqual(read, { code: 0, stdout: `${big.length}\n`, stderr: "" });
      const streamed = await docker.execCapture(name, ["md5sum"], { stdinFile: inFile.path });
      const md5 = (await captureRaw($`md5sum ${inFile.path}`)).stdout.split(" ")[0];
      assert.deepEqual(streamed, { code: 0, stdout: `${md5}  -\n`, stderr: "" });
      // Output straight into a file, both ways: the same bytes, code and stderr.
      for (const via of ["api", "cli"]) {
        const file = join(dir.path, `out-${via}`);
        const argv = ["sh", "-c", "seq 1 300000; echo err >&2; exit 2"];
        const r = await (via === "cli"
          ? withoutEngine(() =>
            docker.execToFile(name, argv, file)
          )
          : docker.execToFile(name, argv, file));
        assert.deepEqual(r, { code: 2, stdout: "", stderr: "err\n" }, via);
        const text = await Deno.readTextFile(file);
        assert.equal(text.length, 1988895, via);
        assert.ok(text.startsWith("1\n2\n") && text.endsWith("\n300000\n"), via);
        assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600, via);
      }
      // A stopped container: a failed call, as the CLI reports it.
      await capture("stop", $`docker stop --time 0 ${name}`);
      const stopped = await docker.execCapture(name, ["true"]);
      assert.equal(stopped.code, 1);
      assert.match(stopped.stderr, /not running/i);
    } finally {
      await captureRaw($`docker rm --force ${name}`);
    }
  },
);

dockerTest(
  "files into containers through the engine socket and through the CLI: a guest's file, an archive",
  async () => {
    assert.equal(engineSocket(Deno.env.toObject()), ENGINE_SOCKET, "the socket path is not in use");
    const id = crypto.randomUUID().slice(0, 8);
    const running = `bot-bottle-test-put-${id}`;
    const created = `bot-bottle-test-seed-${id}`;
    await capture(
      "test container",
      $`docker run --detach --name ${running} --label bot-bottle.test=1 --network none --cap-drop ALL debian:bookworm-slim sleep infinity`,
    );
    await capture(
      "created container",
      $`docker create --name ${created} --label bot-bottle.test=1 debian:bookworm-slim true`,
    );
    await using dir = await tempDir();
    try {
      const source = join(dir.path, "source");
      const bytes = randomBytes(40 * 65536 + 3);
      await Deno.writeFile(source, bytes);
      const md5 = (await captureRaw($`md5sum ${source}`)).stdout.split(" ")[0];
      const guest = new DockerGuest(running);
      for (const via of ["api", "cli"]) {
        const target = `/tmp/put-${via}`;
        const put = () => guest.putFile(source, target, { user: "agent", mode: 0o640 });
        await (via === "cli" ? withoutEngine(put) : put());
        const seen = await docker.execCapture(running, [
          "sh",
          "-c",
          'stat -c "%u:%g %a %s" "$1"; md5sum < "$1"',
          "sh",
          target,
        ], { user: "1000:1000" });
        assert.equal(seen.stdout, `1000:1000 640 ${bytes.length}\n${md5}  -\n`, via);
        // A write that fails ends at once, with the reason (the input is drained, so the
        // engine does not hold the stream open until the exec's timeout).
        const fail = () => guest.putFile(source, "/nonexistent/x", { user: "agent", mode: 0o600 });
        await assert.rejects(
          via === "cli" ? withoutEngine(fail) : fail(),
          /Copying to .*\/nonexistent\/x failed \(exit 1\): .*(nonexistent|No such file)/s,
          via,
        );
      }
      // An archive into a created container (the bundle's seed), both ways.
      for (const via of ["api", "cli"]) {
        const tar = join(dir.path, `seed-${via}.tar`);
        await Deno.writeFile(
          tar,
          filesTar([{ name: `seed-${via}/a.txt`, data: bytes.subarray(0, 100_000), mode: 0o600 }]),
        );
        const copy = () => docker.copyTarFileInto(created, "/tmp", tar);
        await (via === "cli" ? withoutEngine(copy) : copy());
      }
      const out = join(dir.path, "out");
      await docker.copyOut(created, "/tmp", out);
      for (const via of ["api", "cli"]) {
        const back = await Deno.readFile(join(out, `seed-${via}`, "a.txt"));
        assert.deepEqual(back, bytes.subarray(0, 100_000), via);
      }
      await assert.rejects(
        docker.copyTarFileInto(created, "/nonexistent", join(dir.path, "seed-api.tar")),
        /docker cp into .*:\/nonexistent failed:/,
      );
    } finally {
      await captureRaw($`docker rm --force ${running} ${created}`);
    }
  },
);

/** Runs `fn` with the engine socket shortcut off (every call through the CLI). */
async function withoutEngine<T>(fn: () => Promise<T>): Promise<T> {
  useCliOnly(true);
  try {
    return await fn();
  } finally {
    useCliOnly(false);
  }
}

dockerTest(
  "an attached start through the engine socket and through the CLI: input, ready line, detach, failure",
  async () => {
    assert.equal(engineSocket(Deno.env.toObject()), ENGINE_SOCKET, "the socket path is not in use");
    const id = crypto.randomUUID().slice(0, 8);
    const made: string[] = [];
    const start = async (via: string, script: string, timeoutMs = 30_000) => {
      const name = `bot-bottle-test-attach-${via}-${made.length}-${id}`;
      made.push(name);
      const run = async () => {
        await docker.containerCreate({
          name,
          image: "debian:bookworm-slim",
          labels: { "bot-bottle.test": "1" },
          network: "none",
          interactive: true,
          command: ["sh", "-c", script],
        });
        const lines: string[] = [];
        const result = await docker.startAttached(
          name,
          new TextEncoder().encode("secret-config\n"),
          (line) => {
            lines.push(line);
            return line === "ready";
          },
          { timeoutMs },
        );
        return { result, lines };
      };
      return { name, ...(await (via === "cli" ? withoutEngine(run) : run())) };
    };
    try {
      for (const via of ["api", "cli"]) {
        // The input arrives whole and closed; at the ready line the start returns and the
        // container runs on.
        const up = await start(
          via,
          'read c; echo "got $c"; cat >/dev/null; echo closed; echo noise >&2; echo ready; sleep 60',
        );
        assert.deepEqual(up.result, { ready: true }, via);
        assert.deepEqual(up.lines, ["got secret-config", "closed", "ready"], via);
        const state = await captureRaw(
          $`docker inspect --format ${"{{.State.Running}}"} ${up.name}`,
        );
        assert.equal(state.stdout.trim(), "true", `${via}: the container runs on`);
        // One that ends first: not ready, with its last lines, from both streams.
        const failed = await start(via, "echo starting; echo 'it broke' >&2; exit 3");
        assert.equal(failed.result.ready, false, via);
        assert.ok(!failed.result.ready && failed.result.why === "ended", via);
        // Both streams' lines (their order between streams is not kept).
        const output = !failed.result.ready ? failed.result.output.split("\n").sort() : [];
        assert.deepEqual(output, ["it broke", "starting"], `${via}: ${JSON.stringify(failed)}`);
        // One that never says it: not ready, timed out.
        const slow = await start(via, "sleep 60", 1500);
        assert.ok(!slow.result.ready && slow.result.why === "timeout", via);
      }
    } finally {
      for (const name of made) await captureRaw($`docker rm --force ${name}`);
    }
  },
);

dockerTest(
  "lookups by label and removals through the engine socket and through the CLI agree",
  async () => {
    assert.equal(engineSocket(Deno.env.toObject()), ENGINE_SOCKET, "the socket path is not in use");
    const tag = crypto.randomUUID().slice(0, 8);
    const label = `bot-bottle.test-lookup=${tag}`;
    const made = async () => {
      const name = `bot-bottle-test-lookup-${tag}`;
      await capture(
        "volume",
        $`docker volume create --label ${label} --label ${"bot-bottle.test=1"} ${`${name}-v`}`,
      );
      await capture(
        "network",
        $`docker network create --internal --label ${label} --label ${"bot-bottle.test=1"} ${`${name}-n`}`,
      );
      const runs: [string, string[]][] = [["run", ["sleep", "infinity"]], ["done", ["true"]]];
      for (const [suffix, command] of runs) {
        await capture(
          "container",
          $`docker run --detach --name ${`${name}-${suffix}`} --label ${label} --label ${"a.comma=x,y"} --label ${"bot-bottle.test=1"} --network ${`${name}-n`} debian:bookworm-slim ${command}`,
        );
      }
      await capture("wait", $`docker wait ${`${name}-done`}`);
      return name;
    };
    const name = await made();
    try {
      const sorted = <T extends { name: string }>(xs: T[]) =>
        xs.toSorted((a, b) => a.name.localeCompare(b.name));
      const api = {
        containers: sorted(await docker.containersByLabel(label)),
        networks: await docker.networksByLabel(label),
        volumes: await docker.volumesByLabel(label),
      };
      const cli = await withoutEngine(async () => ({
        containers: sorted(await docker.containersByLabel(label)),
        networks: await docker.networksByLabel(label),
        volumes: await docker.volumesByLabel(label),
      }));
      assert.deepEqual(api.containers.map((c) => [c.name, c.state]), [
        [`${name}-done`, "exited"],
        [`${name}-run`, "running"],
      ]);
      assert.deepEqual(
        api.containers.map(({ id, name, state, created }) => ({ id, name, state, created })),
        cli.containers.map(({ id, name, state, created }) => ({ id, name, state, created })),
      );
      assert.match(api.containers[0]!.created!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      // Several labels: containers with all of them.
      const both = [label, "a.comma"];
      assert.equal((await docker.containersByLabel(both)).length, 2);
      assert.equal((await withoutEngine(() => docker.containersByLabel(both))).length, 2);
      assert.deepEqual(await docker.containersByLabel([label, "no.such.label"]), []);
      // The engine gives the labels as they are; the CLI's text splits a value at a comma.
      assert.equal(api.containers[0]!.labels["a.comma"], "x,y");
      assert.equal(api.containers[0]!.labels["bot-bottle.test-lookup"], tag);
      assert.equal(cli.containers[0]!.labels["bot-bottle.test-lookup"], tag);
      assert.deepEqual(api.networks, cli.networks);
      assert.equal(api.networks.length, 1);
      assert.deepEqual(api.volumes, [`${name}-v`]);
      assert.deepEqual(api.volumes, cli.volumes);

      // Removal through the socket: running or not, and again once gone.
      await docker.containersRemove(api.containers.map((c) => c.id));
      await docker.containersRemove(api.containers.map((c) => c.id));
      await docker.networksRemove(api.networks.map((n) => n.id));
      await docker.networksRemove(api.networks.map((n) => n.id));
      await docker.volumesRemove(api.volumes);
      await docker.volumesRemove(api.volumes);
      assert.deepEqual(await docker.containersByLabel(label), []);
      assert.deepEqual(await docker.networksByLabel(label), []);
      assert.deepEqual(await docker.volumesByLabel(label), []);
      // Nothing by that label left for the CLI's view either.
      assert.deepEqual(await withoutEngine(() => docker.containersByLabel(label)), []);
      // A removal the engine refuses fails as the CLI's does, naming the call.
      const again = await made();
      await assert.rejects(
        docker.networksRemove([`${again}-n`]),
        /docker network rm .* failed:.*(active endpoints|in use)/s,
      );
    } finally {
      const left = await withoutEngine(() => docker.containersByLabel(label));
      await captureRaw($`docker rm --force --volumes ${left.map((c) => c.id)}`);
      await captureRaw($`docker network rm ${`${name}-n`}`);
      await captureRaw($`docker volume rm --force ${`${name}-v`}`);
    }
  },
);

dockerTest(
  "the audit log is saved whole from a running bundle (printed) and a stopped one (copied)",
  async () => {
    const instance = `test-audit-${crypto.randomUUID().slice(0, 8)}`;
    const name = `bot-bottle-${instance}-bundle`;
    // Not ASCII, no newline at the end: the bytes must come home as written.
    const text = '{"kind":"egress","host":"é.example"}\n'.repeat(3000) + '{"last":"ü"}';
    await using dir = await tempDir();
    try {
      await capture(
        "bundle stand-in",
        $`docker run --detach --name ${name} --label ${`${LABEL_BOTTLE}=${instance}`} --label ${`${LABEL_ROLE}=bundle`} --label ${"bot-bottle.test=1"} --network none debian:bookworm-slim sleep infinity`,
      );
      await capture(
        "write the log",
        $`docker exec -i ${name} sh -c ${`mkdir -p ${STATE_DIR} && cat > ${AUDIT_PATH}`}`.stdin(
          new TextEncoder().encode(text),
        ),
      );
      const saved = join(dir.path, `${instance}.jsonl`);
      // The engine's events say how: one exec, no copy.
      const since = (Date.now() / 1000).toFixed(3);
      await saveAuditLog(instance, dir.path);
      assert.equal(await Deno.readTextFile(saved), text);
      const events = await capture(
        "events",
        $`docker events --since ${since} --until ${
          (Date.now() / 1000 + 1).toFixed(3)
        } --filter ${`container=${name}`} --format ${"{{.Action}}"}`,
      );
      assert.deepEqual(
        events.split("\n").filter((e) => /^(exec_create|archive-path|extract)/.test(e))
          .map((e) => e.split(":")[0]),
        ["exec_create"],
        events,
      );
      assert.equal((await Deno.stat(saved)).mode! & 0o777, 0o600);
      await Deno.remove(saved);
      await capture("stop", $`docker stop --time 0 ${name}`);
      await saveAuditLog(instance, dir.path);
      assert.equal(await Deno.readTextFile(saved), text);
    } finally {
      await captureRaw($`docker rm --force ${name}`);
    }
  },
);
