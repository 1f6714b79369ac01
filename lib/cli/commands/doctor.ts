/**
 * @module
 * `bot-bottle doctor`: checks that this machine can run bottles and says how to fix
 * what it cannot. Exit code 0 only when the default backend can start a bottle.
 */

import { profile } from "../../agents/mod.ts";
import { MIN_SMOLVM, smolvmHost } from "../../backend/smolvm.ts";
import { headerMistakes } from "../../credentials.ts";
import { imageExists } from "../../docker/cli.ts";
import { processEngineSocket } from "../../docker/engine.ts";
import { BotBottleError } from "../../errors.ts";
import { AGENT_SOURCE, BUNDLE_SOURCE } from "../../images/sources.ts";
import { registryVerdict } from "../../images/registry.ts";
import { imageTag } from "../../images/tags.ts";
import { out } from "../../log.ts";
import { loadManifest, manifestPath } from "../../manifest/read.ts";
import { gatherHostFacts } from "../../plan/facts.ts";
import { chooseBackend, planBottle } from "../../plan/plan.ts";
import { captureRaw, shell } from "../../shell.ts";
import { type Command, type CommandContext, FORMAT_OPTION } from "../command.ts";

/** One check: what it looked at, whether it passed, and the fix when it did not. */
export interface Check {
  name: string;
  ok: boolean;
  /** A check that fails without stopping the default backend. */
  optional?: boolean;
  detail: string;
  fix?: string;
}

const MIN_FREE_GIB = 5;

async function dockerChecks(): Promise<Check[]> {
  const $ = await shell();
  const info = await captureRaw(
    $`docker info --format ${"{{.ServerVersion}} {{.DockerRootDir}}"}`,
    "20s",
  ).catch((e) => ({
    code: 127,
    stdout: "",
    stderr: (e as Error).message,
  }));
  if (info.code !== 0) {
    return [{
      name: "docker engine",
      ok: false,
      detail: (info.stderr.trim().split("\n").at(-1) ?? "") || "docker does not answer",
      fix: "Install Docker and start it (Docker Desktop, or `sudo systemctl start docker`)",
    }];
  }
  const [version, root] = info.stdout.trim().split(" ");
  const socket = processEngineSocket();
  const checks: Check[] = [{
    name: "docker engine",
    ok: true,
    detail: `version ${version}, asked ${
      socket
        ? `over ${socket} (the docker CLI for attached sessions)`
        : "through the docker CLI (another DOCKER_HOST or context)"
    }`,
  }];
  const image = [await imageTag(BUNDLE_SOURCE), "debian:bookworm-slim"];
  let runnable: string | undefined;
  for (const tag of image) if (!runnable && await imageExists(tag)) runnable = tag;
  if (runnable) {
    const run = await captureRaw(
      $`docker run --rm --network none --entrypoint true ${runnable}`,
      "1m",
    );
    checks.push({
      name: "docker can run a container",
      ok: run.code === 0,
      detail: run.code === 0 ? `ran ${runnable}` : run.stderr.trim().split("\n").at(-1) ?? "",
      fix: run.code === 0
        ? undefined
        : "Check that your user may run containers (the docker group, or rootless Docker)",
    });
  } else {
    checks.push({
      name: "docker can run a container",
      ok: true,
      detail: "not tried: no local image yet (bot-bottle build makes them)",
    });
  }
  checks.push(await diskCheck(root ?? "/"));
  return checks;
}

/** Whether images can build here: the npm registry answers, or which CA would make it. */
async function registryCheck(env: Record<string, string | undefined>): Promise<Check> {
  if (env.BOT_BOTTLE_OFFLINE === "1") {
    return {
      name: "npm registry",
      ok: true,
      optional: true,
      detail: "not checked (BOT_BOTTLE_OFFLINE=1)",
    };
  }
  const v = await registryVerdict(env);
  return { name: "npm registry", ok: v.ok, optional: true, detail: v.detail, fix: v.fix };
}

async function diskCheck(path: string): Promise<Check> {
  const $ = await shell();
  const df = await captureRaw($`df -Pk ${path}`, "20s").catch(() => ({
    code: 1,
    stdout: "",
    stderr: "",
  }));
  const line = df.stdout.trim().split("\n")[1];
  const freeKib = Number(line?.split(/\s+/)[3]);
  if (df.code !== 0 || !Number.isFinite(freeKib)) {
    return { name: "free disk", ok: true, optional: true, detail: `unknown for ${path}` };
  }
  const gib = freeKib / 1024 / 1024;
  return {
    name: "free disk",
    ok: gib >= MIN_FREE_GIB,
    detail: `${gib.toFixed(1)} GiB free in ${path}`,
    fix: gib >= MIN_FREE_GIB
      ? undefined
      : `Free at least ${MIN_FREE_GIB} GiB (the agent image is about 1.4 GB): docker system prune`,
  };
}

async function imageChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  for (const source of [AGENT_SOURCE, BUNDLE_SOURCE]) {
    const tag = await imageTag(source);
    const present = await imageExists(tag).catch(() => false);
    checks.push({
      name: `image ${source.repository}`,
      ok: present,
      optional: true,
      detail: present ? `${tag} is current` : `${tag} is not built yet`,
      fix: present ? undefined : "Run `bot-bottle build` (start and up also build it, once)",
    });
  }
  return checks;
}

async function smolvmChecks(): Promise<Check[]> {
  const host = await smolvmHost();
  if (!host.version) {
    return [{
      name: "smolvm",
      ok: false,
      optional: true,
      detail: host.problem ?? "not found on PATH",
      fix: `Install smolvm ${
        MIN_SMOLVM.join(".")
      } or later (Linux with /dev/kvm) for the microVM backend`,
    }];
  }
  return [{
    name: "smolvm",
    ok: host.problem === undefined,
    optional: true,
    detail: host.problem
      ? `${host.version}: ${host.problem}`
      : `${host.version} (KVM access is checked by smolvm when a VM starts)`,
    fix: host.problem === undefined
      ? undefined
      : /older/.test(host.problem)
      ? `Upgrade smolvm to ${MIN_SMOLVM.join(".")} or later`
      : /kvm/i.test(host.problem)
      ? "Enable hardware virtualisation (KVM) and give this user access to /dev/kvm"
      : "Use --backend docker on this machine",
  }];
}

async function manifestChecks(
  ctx: CommandContext,
): Promise<{ checks: Check[]; backend: "docker" | "smolvm" }> {
  const file = manifestPath(ctx.values.manifest as string | undefined, ctx.env.BOT_BOTTLE_MANIFEST);
  let loaded;
  try {
    loaded = await loadManifest(file, ctx.cwd);
  } catch (error) {
    return {
      checks: [{
        name: "manifest",
        ok: false,
        optional: true,
        detail: (error as Error).message.split("\n")[0]!,
        fix: (error as BotBottleError).hint ?? `Fix ${file} (bot-bottle plan shows every problem)`,
      }],
      backend: chooseBackend(undefined, ctx.env.BOT_BOTTLE_BACKEND, "docker"),
    };
  }
  const checks: Check[] = [{ name: "manifest", ok: true, detail: `${file} is valid` }];
  let backend: "docker" | "smolvm" = "docker";
  for (const agent of Object.keys(loaded.manifest.agents)) {
    const facts = await gatherHostFacts(loaded.manifest, loaded.path, agent, {
      env: ctx.env,
      querySubnets: false,
    });
    const plan = planBottle(loaded.manifest, { agent, agentArgs: [] }, facts);
    backend = plan.backend;
    checks.push({
      name: `agent ${agent}`,
      ok: plan.problems.length === 0,
      optional: true,
      detail: plan.problems.length === 0 ? "ready to start" : plan.problems.join("; "),
      fix: plan.problems.length === 0 ? undefined : "Set the variables and files named above",
    });
    // Credentials in the wrong header or shape: read on this host, never printed.
    const mistakes = plan.egress.routes.flatMap((route) =>
      route.headers.flatMap((h) =>
        headerMistakes(
          route.host,
          h.name,
          h.value,
          ctx.env,
          profile(plan.agentKind).credentials.filter((c) => c.host === route.host),
        )
      )
    );
    if (plan.egress.routes.length > 0) {
      checks.push({
        name: `agent ${agent} login`,
        ok: mistakes.length === 0,
        optional: true,
        detail: mistakes.length === 0
          ? `${plan.egress.routes.map((r) => r.host).join(", ")}: headers look right`
          : mistakes.join("; "),
        fix: mistakes.length === 0 ? undefined : "Change the route in the manifest as said above",
      });
    }
  }
  return { checks, backend };
}

export const doctorCommand: Command = {
  name: "doctor",
  summary: "Check that this machine can run bottles, and say how to fix what cannot",
  synopsis: "[--format text|json]",
  description: `
Checks the Docker engine (reachable, its version, can run a container), free disk, the
images, the npm registry images build from (and, behind a TLS-intercepting network, which
CA file would let a build through), smolvm (present, version 1.9+, a supported OS), and the manifest (valid; every agent's route
variables and files present; credentials in the header their agent sends them in, such as a
subscription token in an x-api-key route). Values are read, never printed. Exits 0 only when the default backend can start a bottle.`,
  options: {
    format: FORMAT_OPTION,
  },
  args: { min: 0, max: 0, names: "" },
  async run(ctx) {
    const manifest = await manifestChecks(ctx);
    const docker = await dockerChecks();
    const smolvm = await smolvmChecks();
    const checks = [
      ...docker,
      ...(docker[0]!.ok ? await imageChecks() : []),
      await registryCheck(ctx.env),
      ...smolvm,
      ...manifest.checks,
    ];
    // smolvm checks stop the default backend only when it is the default.
    const required = (c: Check) =>
      !c.optional || (manifest.backend === "smolvm" && c.name === "smolvm");
    const blocking = checks.filter((c) => !c.ok && required(c));
    if (ctx.values.format === "json") {
      out.json({ ok: blocking.length === 0, backend: manifest.backend, checks });
    } else {
      const width = Math.max(...checks.map((c) => c.name.length));
      for (const c of checks) {
        out.line(
          `${c.ok ? "ok  " : required(c) ? "FAIL" : "warn"}  ${c.name.padEnd(width)}  ${c.detail}`,
        );
        if (!c.ok && c.fix) out.line(`      ${"".padEnd(width)}  fix: ${c.fix}`);
      }
      out.line(
        blocking.length === 0
          ? `\nThe ${manifest.backend} backend can start a bottle.`
          : `\nThe ${manifest.backend} backend cannot start a bottle yet.`,
      );
    }
    return blocking.length === 0 ? 0 : 1;
  },
};
