/**
 * @module
 * Provisioning, written once for every backend over the `Guest` interface (copy a file
 * in, run a command): the bottle's CA, the prompt, skills, the working tree, the
 * gitconfig, the agent CLI's settings (from its profile) and the MCP registration. Each step runs as the
 * user who owns what it writes, so the guest needs no capability.
 */

import { join, posix } from "node:path";
import type { Guest } from "../backend/types.ts";
import { BackendError } from "../errors.ts";
import { log } from "../log.ts";
import { timed } from "../timings.ts";
import type { BottlePlan, ProvisionStep } from "../plan/types.ts";
import { filesTar, writeTreeTar } from "../tar.ts";
import { GUEST_ARCHIVE, preparedArchive, sizeText, UNPACK_SCRIPT } from "../workspace/mod.ts";

/** SHA-256 fingerprint of a PEM certificate, as `AB:CD:...`. */
export async function certificateFingerprint(pem: string): Promise<string> {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/**
 * Writes the PEM on stdin to $1 and trusts it system-wide: the CA bundle file (curl, git,
 * openssl) and the hashed directory. One exec, what update-ca-certificates would do for
 * one certificate without rebuilding the whole store (seconds).
 */
const TRUST_CA = 'set -e; umask 022; cat > "$1"; chmod 644 "$1"; ' +
  'cat "$1" >> /etc/ssl/certs/ca-certificates.crt; ' +
  'ln -sf "$1" /etc/ssl/certs/bot-bottle-ca.pem; ' +
  'ln -sf /etc/ssl/certs/bot-bottle-ca.pem "/etc/ssl/certs/$(openssl x509 -hash -noout -in "$1").0"';

async function must(
  guest: Guest,
  what: string,
  argv: string[],
  user: "root" | "agent" = "agent",
  stdin?: string,
): Promise<string> {
  const r = await guest.exec(argv, {
    user,
    timeout: "10m",
    ...(stdin !== undefined ? { stdin: new TextEncoder().encode(stdin) } : {}),
  });
  if (r.code !== 0) {
    throw new BackendError(
      `Provisioning ${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`,
    );
  }
  return r.stdout;
}

/** Carries a host directory into the guest as one archive unpacked there. */
async function copyTree(
  guest: Guest,
  source: string,
  dest: string,
  staging: string,
  label: string,
): Promise<void> {
  const archive = join(staging, `${label}.tar`);
  const stats = await writeTreeTar(source, archive);
  log.debug(`${label}: ${stats.files} files, ${stats.bytes} bytes`);
  const guestArchive = `/tmp/bot-bottle-${label}.tar`;
  await guest.putFile(archive, guestArchive, { user: "agent", mode: 0o600 });
  await must(guest, label, [
    "sh",
    "-c",
    'mkdir -p "$1" && tar -xf "$2" -C "$1" --no-same-owner && rm -f "$2"',
    "sh",
    dest,
    guestArchive,
  ]);
  await Deno.remove(archive);
}

async function applyStep(
  step: ProvisionStep,
  guest: Guest,
  staging: string,
  prepared: string,
  caCert: string,
): Promise<ProvisionResult | void> {
  switch (step.kind) {
    case "ca":
      await must(guest, "the CA", ["sh", "-c", TRUST_CA, "sh", step.guestPath], "root", caCert);
      log.info(`Bottle CA sha256 fingerprint: ${await certificateFingerprint(caCert)}`);
      return;
    case "prompt":
    case "gitconfig":
    case "agent-config":
      // Written together by writeAgentFiles().
      return;
    case "skill":
      await copyTree(guest, step.source, step.guestPath, staging, `skill-${step.name}`);
      return;
    case "workspace": {
      // Selected, scanned and packed before the bottle started (lib/workspace).
      const archive = preparedArchive(prepared);
      // Its size: a large repository takes a while here, with nothing else to show.
      const size = sizeText((await Deno.stat(archive)).size);
      log.step(`Copying ${step.source} to ${step.guestPath} (${size})`);
      await guest.putFile(archive, GUEST_ARCHIVE, { user: "agent", mode: 0o600 });
      const out = await must(guest, "the workspace", [
        "sh",
        "-c",
        UNPACK_SCRIPT,
        "sh",
        step.guestPath,
        GUEST_ARCHIVE,
      ]);
      // Read before the agent ever ran in the guest, so it can be trusted at exit.
      const baseline = /^baseline ([0-9a-f]{40,64})$/m.exec(out)?.[1];
      return baseline ? { baseline } : {};
    }
    case "mcp": {
      const r = await guest.exec(step.argv, { user: "agent", timeout: "2m" });
      // The bottle works without it; the agent just cannot ask for approval.
      if (r.code !== 0) {
        log.warn(`Registering MCP server "${step.name}" failed: ${(r.stderr || r.stdout).trim()}`);
      }
      return;
    }
  }
}

/** Step kinds whose files writeAgentFiles() writes in one go. */
const WRITTEN_TOGETHER = new Set<ProvisionStep["kind"]>(["prompt", "gitconfig", "agent-config"]);

/** The small files the agent owns (prompt, gitconfig, the CLI's settings): path, text, mode. */
function agentFiles(
  steps: readonly ProvisionStep[],
): { path: string; content: string; mode: number }[] {
  return steps.flatMap((step) => {
    switch (step.kind) {
      case "prompt":
        return [{ path: step.guestPath, content: step.text, mode: 0o600 }];
      case "gitconfig":
        return [{ path: step.guestPath, content: step.content, mode: 0o644 }];
      case "agent-config":
        return step.files.map((f) => ({ path: f.path, content: f.content, mode: f.mode }));
      default:
        return [];
    }
  });
}

/**
 * Writes the agent's small files in one exec: an archive on stdin unpacked by the agent
 * user, who thereby owns every file and the folders tar makes for them.
 */
async function writeAgentFiles(
  guest: Guest,
  files: { path: string; content: string; mode: number }[],
): Promise<void> {
  if (files.length === 0) return;
  const encoder = new TextEncoder();
  const tar = filesTar(files.map((f) => ({
    name: posix.relative("/", f.path),
    data: encoder.encode(f.content),
    mode: f.mode,
  })));
  const r = await guest.exec(["tar", "-x", "-p", "--no-same-owner", "-f", "-", "-C", "/"], {
    user: "agent",
    timeout: "2m",
    stdin: tar,
  });
  if (r.code !== 0) {
    throw new BackendError(
      `Provisioning the agent's files (${
        files.map((f) => f.path).join(", ")
      }) failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`,
    );
  }
}

/**
 * Applies every provisioning step; none needs the bundle running: the bottle's CA
 * (`caCert`, the PEM the host made) trusted as root, the agent's small files in one
 * exec, skills and the working tree beside them; a command that edits what another
 * step wrote (`mcp`) waits for the rest.
 */
/** What provisioning learnt that the host keeps. */
export interface ProvisionResult {
  /**
   * The commit recording the user's own uncommitted work, made in the guest as the
   * workspace went in (see `BASELINE_SCRIPT`), when there was some.
   */
  baseline?: string;
}

export async function provisionGuest(
  plan: BottlePlan,
  guest: Guest,
  staging: string,
  caCert: string,
): Promise<ProvisionResult> {
  log.step("Provisioning the agent");
  const run = (step: ProvisionStep, i: number) =>
    timed(`provision:${step.kind}`, () => {
      log.debug(`provision: ${step.kind}`);
      // Each step stages under its own name; the workspace archive was prepared before.
      return applyStep(step, guest, join(staging, `${i}`), staging, caCert);
    });
  const steps = plan.provisioning.map((step, i) => [step, i] as const);
  for (const [, i] of steps) await Deno.mkdir(join(staging, `${i}`));
  const [, ...results] = await Promise.all([
    timed("provision:files", () => writeAgentFiles(guest, agentFiles(plan.provisioning))),
    ...steps.filter(([s]) => !WRITTEN_TOGETHER.has(s.kind) && s.kind !== "mcp")
      .map(([s, i]) => run(s, i)),
  ]);
  for (const [s, i] of steps.filter(([s]) => s.kind === "mcp")) await run(s, i);
  return Object.assign({}, ...results.filter((r) => r));
}
