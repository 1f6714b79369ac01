/**
 * @module
 * Provisioning, written once for every backend over the `Guest` interface (copy a file
 * in, run a command): the bottle's CA, the prompt, skills, the working tree, the
 * gitconfig, the agent CLI's settings (from its profile) and the MCP registration. Each step runs as the
 * user who owns what it writes, so the guest needs no capability.
 */

import { join, posix } from "node:path";
import type { Guest, LaunchedBottle } from "../backend/types.ts";
import { BackendError } from "../errors.ts";
import { log } from "../log.ts";
import { timed } from "../timings.ts";
import type { BottlePlan, ProvisionStep } from "../plan/types.ts";
import { writeTreeTar } from "../tar.ts";
import { GUEST_ARCHIVE, preparedArchive, UNPACK_SCRIPT } from "../workspace/mod.ts";

/** SHA-256 fingerprint of a PEM certificate, as `AB:CD:...`. */
export async function certificateFingerprint(pem: string): Promise<string> {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/** Trusts the PEM at $1 system-wide: the CA bundle file (curl, git, openssl) and the hashed directory. */
const TRUST_CA = 'set -e; cat "$1" >> /etc/ssl/certs/ca-certificates.crt; ' +
  'ln -sf "$1" /etc/ssl/certs/bot-bottle-ca.pem; ' +
  'ln -sf /etc/ssl/certs/bot-bottle-ca.pem "/etc/ssl/certs/$(openssl x509 -hash -noout -in "$1").0"';

async function must(
  guest: Guest,
  what: string,
  argv: string[],
  user: "root" | "agent" = "agent",
): Promise<string> {
  const r = await guest.exec(argv, { user, timeout: "10m" });
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
  bottle: LaunchedBottle,
  staging: string,
  prepared: string,
): Promise<void> {
  const guest = bottle.guest;
  switch (step.kind) {
    case "ca": {
      const pem = await bottle.caCertificate();
      const file = join(staging, "ca.crt");
      await Deno.writeTextFile(file, pem);
      await guest.putFile(file, step.guestPath, { user: "root", mode: 0o644 });
      // What update-ca-certificates would do for one certificate, without rebuilding the
      // whole store (seconds): add it to the bundle file and link it by subject hash.
      await must(guest, "the CA", ["sh", "-c", TRUST_CA, "sh", step.guestPath], "root");
      log.info(`Bottle CA sha256 fingerprint: ${await certificateFingerprint(pem)}`);
      return;
    }
    case "prompt": {
      const file = join(staging, "prompt.txt");
      await Deno.writeTextFile(file, step.text, { mode: 0o600 });
      await must(guest, "the prompt's folder", ["mkdir", "-p", posix.dirname(step.guestPath)]);
      await guest.putFile(file, step.guestPath, { user: "agent", mode: 0o600 });
      return;
    }
    case "skill":
      await copyTree(guest, step.source, step.guestPath, staging, `skill-${step.name}`);
      return;
    case "workspace": {
      // Selected, scanned and packed before the bottle started (lib/workspace).
      log.step(`Copying ${step.source} to ${step.guestPath}`);
      await guest.putFile(preparedArchive(prepared), GUEST_ARCHIVE, { user: "agent", mode: 0o600 });
      await must(guest, "the workspace", [
        "sh",
        "-c",
        UNPACK_SCRIPT,
        "sh",
        step.guestPath,
        GUEST_ARCHIVE,
      ]);
      return;
    }
    case "gitconfig": {
      const file = join(staging, "gitconfig");
      await Deno.writeTextFile(file, step.content);
      await guest.putFile(file, step.guestPath, { user: "agent", mode: 0o644 });
      return;
    }
    case "agent-config": {
      const dirs = [...new Set(step.files.map((f) => posix.dirname(f.path)))];
      if (dirs.length) await must(guest, "the agent's config folders", ["mkdir", "-p", ...dirs]);
      for (const [i, f] of step.files.entries()) {
        const local = join(staging, `agent-config-${i}`);
        await Deno.writeTextFile(local, f.content, { mode: 0o600 });
        await guest.putFile(local, f.path, { user: "agent", mode: f.mode });
      }
      return;
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

/**
 * Applies every provisioning step of the plan. Steps write different places, so they
 * run side by side; only a command that edits what another step wrote (`mcp`, which
 * edits the agent's config) waits for the rest.
 */
export async function provision(
  plan: BottlePlan,
  bottle: LaunchedBottle,
  staging: string,
): Promise<void> {
  log.step("Provisioning the agent");
  const run = (step: ProvisionStep, i: number) =>
    timed(`provision:${step.kind}`, () => {
      log.debug(`provision: ${step.kind}`);
      // Each step stages under its own name; the workspace archive was prepared before.
      return applyStep(step, bottle, join(staging, `${i}`), staging);
    });
  const steps = plan.provisioning.map((step, i) => [step, i] as const);
  for (const [, i] of steps) await Deno.mkdir(join(staging, `${i}`));
  await Promise.all(steps.filter(([s]) => s.kind !== "mcp").map(([s, i]) => run(s, i)));
  for (const [s, i] of steps.filter(([s]) => s.kind === "mcp")) await run(s, i);
}
