/**
 * @module
 * The bundle's configuration, and the one place where credential values are read
 * from the host environment and the bottle's CA is made. The result goes to the bundle
 * only; it is never logged, printed, written to the host's disk or passed to the guest
 * (the guest gets the CA's certificate alone).
 */

import type { BundleConfig } from "../../sidecars/bundle/config.ts";
import { renderHeader } from "../credentials.ts";
import { BotBottleError } from "../errors.ts";
import { makeAuthority } from "../net/x509.ts";
import type { BottlePlan } from "../plan/types.ts";

/** How long a supervise tool call waits for a person (the agent is told). */
export const SUPERVISE_TIMEOUT_MS = 10 * 60_000;

/** Builds the bundle config for `plan`, reading route values from `env`. */
export async function bundleConfig(
  plan: BottlePlan,
  env: Record<string, string | undefined>,
): Promise<BundleConfig> {
  const routes = plan.egress.routes.map((route) => {
    const secrets: string[] = [];
    const headers = Object.fromEntries(route.headers.map((h) => {
      const rendered = renderHeader(h.value, env, (name) =>
        new BotBottleError(
          `Route "${route.host}" header "${h.name}": host variable ${name} is not set`,
          { exitCode: 2, hint: `export ${name}=... before starting the bottle` },
        ));
      if (/[\r\n]/.test(rendered.value)) {
        throw new BotBottleError(
          `Route "${route.host}" header "${h.name}": a host variable holds a line break, which no HTTP header may carry`,
          { exitCode: 2 },
        );
      }
      secrets.push(...rendered.secrets);
      return [h.name, rendered.value];
    }));
    // DLP and echo scrubbing cover the rendered value and each raw token in it.
    return {
      host: route.host,
      headers,
      secrets: [...new Set(secrets)].filter((v) => v.length >= 8),
      ...(route.model ? { redact: true } : {}),
    };
  });
  let upstreamCa: string | undefined;
  if (env.BOT_BOTTLE_UPSTREAM_CA) {
    try {
      upstreamCa = await Deno.readTextFile(env.BOT_BOTTLE_UPSTREAM_CA);
    } catch (error) {
      throw new BotBottleError(
        `BOT_BOTTLE_UPSTREAM_CA "${env.BOT_BOTTLE_UPSTREAM_CA}" cannot be read: ${
          (error as Error).message
        }`,
        { exitCode: 2 },
      );
    }
  }
  const git = [];
  for (const entry of plan.git) {
    const read = async (what: string, path: string) => {
      try {
        return await Deno.readTextFile(path);
      } catch (error) {
        throw new BotBottleError(
          `Git entry "${entry.name}": ${what} "${path}" cannot be read: ${
            (error as Error).message
          }`,
          {
            exitCode: 2,
          },
        );
      }
    };
    git.push({
      name: entry.name,
      upstream: entry.upstream,
      identity: await read("identity file", entry.identityFile),
      knownHosts: await read("known_hosts file", entry.knownHosts),
      allowForcePush: entry.allowForcePush,
      allowDelete: entry.allowDelete,
      protectedPaths: entry.protectedPaths,
    });
  }
  const secretValues = plan.egress.secrets.map((name) => {
    const value = env[name];
    if (!value) {
      throw new BotBottleError(`DLP secret: host variable ${name} is not set`, { exitCode: 2 });
    }
    return value;
  });
  refusePublicCredentials(plan, [
    ...routes.flatMap((r) => [
      ...Object.values(r.headers).map((v) => ({ where: `route "${r.host}"`, value: v })),
      ...r.secrets.map((v) => ({ where: `route "${r.host}"`, value: v })),
    ]),
    ...secretValues.map((value, i) => ({
      where: `egress.secrets ${plan.egress.secrets[i]}`,
      value,
    })),
  ]);
  const ca = await makeAuthority(`bot-bottle ${plan.instance} CA`);
  return {
    instance: plan.instance,
    listenAddress: plan.bundle.address,
    ports: plan.bundle.ports,
    ca: { certPem: ca.certPem, keyPem: ca.keyPem },
    egress: {
      allow: plan.egress.allow,
      passthrough: plan.egress.passthrough,
      routes,
      allowPrivate: plan.egress.allowPrivate,
      dlp: plan.egress.dlp,
      secretValues,
      ...(upstreamCa ? { upstreamCa } : {}),
    },
    git,
    ...(plan.workspace
      ? {
        workspace: {
          allowForcePush: plan.workspace.gate.allowForcePush,
          protectedPaths: plan.workspace.gate.protectedPaths,
        },
      }
      : {}),
    supervise: { enabled: plan.supervise.enabled, timeoutMs: SUPERVISE_TIMEOUT_MS },
    publicValues: plan.publicValues,
  };
}

/**
 * A value declared public that holds one of the bottle's credentials would let that
 * credential out unseen: refused, naming where the credential comes from, never it.
 */
function refusePublicCredentials(
  plan: BottlePlan,
  credentials: { where: string; value: string }[],
): void {
  for (const [i, open] of plan.publicValues.entries()) {
    const held = credentials.find((c) => c.value.length >= 8 && open.includes(c.value));
    if (held) {
      throw new BotBottleError(
        `public_values[${i}] of bottle "${plan.bottle}" holds the credential of ${held.where}; a credential is never public`,
        { exitCode: 2, hint: "remove it from public_values" },
      );
    }
  }
}
