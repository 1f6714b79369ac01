/**
 * @module
 * The bundle's configuration, and the one place where credential values are read
 * from the host environment. The result goes to the bundle only; it is never logged,
 * printed or passed to the guest.
 */

import type { BundleConfig } from "../../sidecars/bundle/config.ts";
import { BotBottleError } from "../errors.ts";
import type { BottlePlan } from "../plan/types.ts";

/** Builds the bundle config for `plan`, reading route values from `env`. */
export async function bundleConfig(
  plan: BottlePlan,
  env: Record<string, string | undefined>,
): Promise<BundleConfig> {
  const routes = plan.egress.routes.map((route) => ({
    host: route.host,
    headers: Object.fromEntries(route.headers.map((h) => {
      const value = env[h.env];
      if (value === undefined || value === "") {
        throw new BotBottleError(
          `Route "${route.host}" header "${h.name}": host variable ${h.env} is not set`,
          {
            exitCode: 2,
            hint: `export ${h.env}=... before starting the bottle`,
          },
        );
      }
      if (/[\r\n]/.test(value)) {
        throw new BotBottleError(
          `Host variable ${h.env} holds a line break, which no HTTP header may carry`,
          { exitCode: 2 },
        );
      }
      return [h.name, value];
    })),
  }));
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
  return {
    instance: plan.instance,
    listenAddress: plan.bundle.address,
    ports: plan.bundle.ports,
    egress: { allow: plan.egress.allow, routes, ...(upstreamCa ? { upstreamCa } : {}) },
  };
}
