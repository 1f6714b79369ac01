/**
 * @module
 * The plan as people read it. The JSON form is the plan object itself.
 */

import { profile } from "../agents/mod.ts";
import { describeHeader } from "../credentials.ts";
import type { BottlePlan, ProvisionStep } from "./types.ts";

function describeStep(step: ProvisionStep): string {
  switch (step.kind) {
    case "ca":
      return `trust the bottle's CA at ${step.guestPath} (update-ca-certificates, NODE_EXTRA_CA_CERTS)`;
    case "prompt":
      return `system prompt (${step.text.length} characters) at ${step.guestPath}, mode 600`;
    case "skill":
      return `skill "${step.name}" from ${step.source} to ${step.guestPath}`;
    case "workspace":
      return `working tree ${step.source} to ${step.guestPath} (scanned for secrets first)`;
    case "gitconfig":
      return `gitconfig at ${step.guestPath} sending upstreams to the git gate`;
    case "mcp":
      return `register MCP server "${step.name}" at ${step.url} (${
        step.argv.slice(0, 3).join(" ")
      })`;
    case "agent-config":
      return [
        `${profile(step.agent).title} settings (${
          step.files.map((f) => f.path).join(", ")
        }): onboarding done`,
        step.permissions === "unattended" ? "no permission prompts" : "asks before commands",
        ...(step.placeholders.length ? [`placeholder in ${step.placeholders.join(", ")}`] : []),
      ].join(", ");
  }
}

/** Renders the plan as aligned text sections. */
export function renderPlanText(plan: BottlePlan): string {
  const lines: string[] = [];
  const section = (title: string) => lines.push("", `${title}:`);
  const item = (text: string) => lines.push(`  ${text}`);

  lines.push(
    `Bottle "${plan.instance}" for agent "${plan.agent}" (${
      profile(plan.agentKind).title
    }, bottle policy "${plan.bottle}")`,
  );
  lines.push(`Backend: ${plan.backend}`);

  section("Images");
  item(`agent   ${plan.images.agent}`);
  item(`bundle  ${plan.images.bundle}`);

  section("Networks");
  item(
    `internal  ${plan.networks.internal.name}  ${plan.networks.internal.subnet} (no route out${
      plan.networks.internal.hostReachable ? "; the host routes the VM's traffic to the bundle" : ""
    })`,
  );
  item(
    `egress    ${plan.networks.egress.name}` +
      (plan.networks.egress.external ? " (existing, from BOT_BOTTLE_EGRESS_NETWORK)" : ""),
  );
  item(`bundle    ${plan.bundle.name}  ${plan.bundle.address}  proxy :${plan.bundle.ports.proxy}`);
  item(
    plan.guest.vm
      ? `agent     ${plan.guest.name}  microVM; may reach only ${
        plan.guest.vm.allowCidrs.join(", ")
      }; resolver ${plan.guest.vm.dns}`
      : `agent     ${plan.guest.name}  ${plan.guest.address}  (internal network only)`,
  );

  section("Egress allowlist");
  if (plan.egress.allow.length === 0) item("(none: every outbound request is refused)");
  for (const host of plan.egress.allow) {
    item(
      plan.egress.passthrough.includes(host) ? `${host}  (passthrough: tunnelled unscanned)` : host,
    );
  }
  if (plan.egress.allow.length > 0) {
    item(
      "(HTTPS to every host above is intercepted and scanned, except passthrough hosts)",
    );
  }

  if (plan.egress.allowPrivate.length > 0) {
    item(`(names may resolve to private ranges: ${plan.egress.allowPrivate.join(", ")})`);
  }

  item(
    `(DLP: ${
      plan.egress.dlp === "block"
        ? "requests carrying a secret are blocked"
        : "secrets in requests are only logged"
    })`,
  );

  if (plan.publicValues.length > 0) {
    // Declared public, yet shown by their start only: a real secret put there by mistake
    // should not land in a terminal's scrollback or a CI log.
    item(
      `(not secrets, declared public: ${
        plan.publicValues.map((v) => `${v.slice(0, 6)}... (${v.length} characters)`).join(", ")
      })`,
    );
  }

  section("Routes (credentials injected by the proxy)");
  if (plan.egress.routes.length === 0) item("(none)");
  for (const route of plan.egress.routes) {
    item(route.host);
    for (const h of route.headers) {
      item(`  ${h.name}: from ${describeHeader(h.value)}${h.set ? "" : "  (NOT SET)"}`);
    }
    if (route.agentEnv.length) {
      item(`  the agent holds a placeholder in ${route.agentEnv.join(", ")}`);
    }
    if (route.model && plan.egress.dlp === "block") {
      item("  the agent's model: a secret in its conversation is cut out, not sent");
    }
  }

  section("Git gate");
  if (plan.git.length === 0) item("(none)");
  for (const g of plan.git) {
    item(`${g.name}: ${g.upstream} -> ${g.gateUrl}`);
    item(`  key ${g.identityFile} (bundle only), known_hosts ${g.knownHosts}`);
    const rules = [
      g.allowForcePush ? "force-push allowed" : "no force-push",
      g.allowDelete ? "branch deletion allowed" : "no branch deletion",
      ...(g.protectedPaths.length ? [`protected: ${g.protectedPaths.join(", ")}`] : []),
    ];
    item(`  ${rules.join("; ")}`);
  }

  section("Workspace (--cwd)");
  const ws = plan.workspace;
  if (!ws) item("(none: the agent starts in its home directory)");
  else {
    item(
      ws.kind === "git"
        ? `${ws.root} (git repository) -> ${ws.guestPath}`
        : `${ws.root} (not a git repository: copied whole) -> ${ws.guestPath}`,
    );
    item(
      ws.kind === "git"
        ? "  carries tracked files, untracked files .gitignore does not exclude, and .git (the objects its refs, HEAD and index reach, and refs; no hooks or config)"
        : "  carries every file; a baseline commit of them is made first",
    );
    item(
      ws.kind === "git"
        ? "  files and file versions in the history holding a secret are left out and listed"
        : "  files holding a secret are left out and listed",
    );
    if (ws.include.length > 0) item(`  also carried (--include): ${ws.include.join(", ")}`);
    item(`  origin is the git gate: ${ws.gate.url}`);
    item(
      `  ${
        [
          ws.gate.allowForcePush ? "force-push allowed" : "no force-push",
          ...(ws.gate.protectedPaths.length
            ? [`protected: ${ws.gate.protectedPaths.join(", ")}`]
            : []),
        ].join("; ")
      }; secrets refused`,
    );
    item(`  work comes home to ${ws.home.repo} as ${ws.home.refPrefix}<branch>`);
  }

  section("Supervise");
  item(plan.supervise.enabled ? `MCP server at ${plan.supervise.url}` : "off");

  section("Provisioning");
  plan.provisioning.forEach((step, i) => item(`${i + 1}. ${describeStep(step)}`));

  section("Guest");
  item(`user ${plan.guest.user}, home ${plan.guest.home}, workdir ${plan.guest.workdir}`);
  item(
    plan.permissions === "unattended"
      ? "permissions: unattended (the agent runs commands without asking; the bottle is the guard)"
      : "permissions: ask (the agent asks before running commands)",
  );
  for (const [k, v] of Object.entries(plan.guest.env).toSorted(([a], [b]) => a.localeCompare(b))) {
    item(`${k}=${v}`);
  }
  item(`command: ${plan.guest.command.map(shellQuote).join(" ")}`);

  if (plan.problems.length > 0) {
    section("Problems (start would fail)");
    for (const p of plan.problems) item(p);
  }
  return lines.join("\n");
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
