import assert from "node:assert/strict";
import { BackendError } from "../errors.ts";
import {
  callError,
  cpArgs,
  createArgs,
  deleteArgs,
  egressEventsArgs,
  execArgs,
  lsArgs,
  parseMachine,
  startArgs,
  statusArgs,
  stopArgs,
  versionArgs,
} from "./cli.ts";

Deno.test("createArgs() names the machine with --name and puts the workload after --", () => {
  assert.deepEqual(
    createArgs({
      name: "bb-agent",
      image: "/cache/images/agent-0123456789abcdef.tar",
      labels: { "bot-bottle.bottle": "claude-ab12cd", "bot-bottle.role": "agent" },
      env: { HTTPS_PROXY: "http://10.213.0.2:3128", HOME: "/home/node" },
      allowCidrs: ["10.213.0.2/32"],
      dns: "10.213.0.2",
      command: ["sleep", "infinity"],
    }),
    [
      "machine",
      "create",
      "--name",
      "bb-agent",
      "--image",
      "/cache/images/agent-0123456789abcdef.tar",
      "--label",
      "bot-bottle.bottle=claude-ab12cd",
      "--label",
      "bot-bottle.role=agent",
      "-e",
      "HTTPS_PROXY=http://10.213.0.2:3128",
      "-e",
      "HOME=/home/node",
      "--allow-cidr",
      "10.213.0.2/32",
      "--dns",
      "10.213.0.2",
      "--",
      "sleep",
      "infinity",
    ],
  );
});

Deno.test("createArgs() passes resources and workdir, and no -- without a command", () => {
  const argv = createArgs({
    name: "m",
    image: "/a.tar",
    labels: {},
    env: {},
    workdir: "/w",
    cpus: 2,
    memMiB: 2048,
    allowCidrs: [],
  });
  assert.deepEqual(argv, [
    "machine",
    "create",
    "--name",
    "m",
    "--image",
    "/a.tar",
    "-w",
    "/w",
    "--cpus",
    "2",
    "--mem",
    "2048",
  ]);
});

Deno.test("createArgs() refuses a registry reference (a pull the allow-list would block)", () => {
  for (const image of ["bot-bottle-agent:abc", "./agent.tar", "agent.tar"]) {
    assert.throws(
      () => createArgs({ name: "m", image, labels: {}, env: {}, allowCidrs: [] }),
      BackendError,
    );
  }
});

Deno.test("the lifecycle calls use --name flags and delete always has -f", () => {
  assert.deepEqual(startArgs("m"), ["machine", "start", "--name", "m"]);
  assert.deepEqual(stopArgs("m"), ["machine", "stop", "--name", "m"]);
  assert.deepEqual(deleteArgs("m"), ["machine", "delete", "--name", "m", "-f"]);
  assert.deepEqual(statusArgs("m"), ["machine", "status", "--name", "m", "--json"]);
  assert.deepEqual(lsArgs(), ["machine", "ls", "--json"]);
  assert.deepEqual(egressEventsArgs("m"), ["machine", "egress-events", "--name", "m", "--json"]);
  assert.deepEqual(versionArgs(), ["--version"]);
});

Deno.test("execArgs() puts options before -- and the command after it", () => {
  assert.deepEqual(execArgs("m", ["claude", "-p", "--x"], {}), [
    "machine",
    "exec",
    "--name",
    "m",
    "--",
    "claude",
    "-p",
    "--x",
  ]);
  assert.deepEqual(
    execArgs("m", ["sh"], {
      env: { HOME: "/home/node" },
      workdir: "/home/node/workspace",
      timeout: "10m",
      interactive: true,
      tty: true,
    }),
    [
      "machine",
      "exec",
      "--name",
      "m",
      "-e",
      "HOME=/home/node",
      "-w",
      "/home/node/workspace",
      "--timeout",
      "10m",
      "-i",
      "-t",
      "--",
      "sh",
    ],
  );
});

Deno.test("cpArgs() copies a file to MACHINE:/path with mode, uid and gid", () => {
  assert.deepEqual(
    cpArgs("/stage/prompt.txt", "m", "/home/node/p.txt", {
      mode: 0o600,
      uid: 1000,
      gid: 1000,
    }),
    [
      "machine",
      "cp",
      "--mode",
      "600",
      "--uid",
      "1000",
      "--gid",
      "1000",
      "/stage/prompt.txt",
      "m:/home/node/p.txt",
    ],
  );
  assert.deepEqual(cpArgs("/a", "m", "/b"), ["machine", "cp", "/a", "m:/b"]);
  assert.throws(() => cpArgs("/a", "m", "relative/b"), BackendError);
});

Deno.test("callError() names the call and quotes smolvm's stderr", () => {
  const e = callError(["machine", "start", "--name", "m"], 1, "Error: machine 'm' not found\n");
  assert.match(
    e.message,
    /^smolvm machine start failed \(exit 1\):\n {2}Error: machine 'm' not found$/,
  );
  assert.equal(e.hint, "The call was: smolvm machine start --name m");
});

Deno.test("parseMachine() reads labels as an object or as k=v strings", () => {
  assert.deepEqual(
    parseMachine({ name: "m", state: "running", labels: { a: "1" }, created_at: 0 }),
    { name: "m", state: "running", labels: { a: "1" }, created: "1970-01-01T00:00:00.000Z" },
  );
  assert.deepEqual(parseMachine({ name: "m", labels: ["a=1=2", "junk"] }).labels, { a: "1=2" });
  assert.equal(parseMachine({ name: "m" }).state, "unknown");
});
