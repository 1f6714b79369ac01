/**
 * @module
 * Bringing a planned bottle up: refuse a plan with problems before creating anything,
 * build missing images, launch through the backend, provision. Everything created is
 * registered on the caller's stack.
 */

import { backendFor, requireAvailable } from "../backend/mod.ts";
import type { Backend, Guest, LaunchedBottle } from "../backend/types.ts";
import { BotBottleError, InterruptedError } from "../errors.ts";
import { buildCaSource, ensureImages } from "../images/build.ts";
import { log } from "../log.ts";
import type { BottlePlan } from "../plan/types.ts";
import { provisionGuest } from "../provision/mod.ts";
import { refuseSecretsGoingIn } from "../provision/secrets.ts";
import { setPublicValues } from "../secrets/mod.ts";
import { phaseTimings, timed } from "../timings.ts";
import { bringHome, forgetRecord, noteBaseline, prepareWorkspace } from "../workspace/mod.ts";
import { bundleConfig } from "./config.ts";
import { probeGuest, selfTest } from "./selftest.ts";
import { cacheDir } from "../state.ts";
import { logsDir } from "../logs.ts";
import { savedRefusals } from "../refusals.ts";

/** A bottle that is up and provisioned. */
export interface UpBottle {
  backend: Backend;
  bottle: LaunchedBottle;
}

/** Brings `plan` up; `stack` owns everything the backend creates. */
export async function bringUp(
  plan: BottlePlan,
  options: {
    env: Record<string, string | undefined>;
    mode: "start" | "up";
    stack: AsyncDisposableStack;
    signal: AbortSignal;
  },
): Promise<UpBottle> {
  if (plan.problems.length > 0) {
    throw new BotBottleError(
      `Bottle for "${plan.agent}" cannot start:\n  ${plan.problems.join("\n  ")}`,
      { exitCode: 2, hint: `Run \`bot-bottle plan ${plan.agent}\` to see the whole plan` },
    );
  }
  const backend = backendFor(plan.backend);
  // Every scan in this process (the prompt, skills, a --cwd tree, the work coming home)
  // spares the values the person declared public.
  setPublicValues(plan.publicValues);
  // The engine check, the credential values and what goes into the agent (read and
  // checked before anything is created or built) while the images are looked up.
  const ready = (async () => {
    await refuseSecretsGoingIn(plan);
    await timed("engine", () => requireAvailable(backend));
    return await bundleConfig(plan, options.env);
  })();
  // Awaited below; until then a failure must not count as unhandled.
  ready.catch(() => {});

  // Staged copies (prompt, archives) live only while they are copied in.
  const staging = await Deno.makeTempDir({ prefix: "bot-bottle-stage-" });
  let bottle: LaunchedBottle;
  // Disposed last: the record says where the work goes until the bottle is gone.
  if (plan.workspace) options.stack.defer(() => forgetRecord(options.env, plan.instance));
  try {
    // What the containers need (images, the config, a --cwd workspace) is made while the
    // backend creates the bottle's networks.
    const setup = (async () => {
      await timed("images", () =>
        ensureImages(plan.images, {
          kind: plan.agentKind,
          buildCa: buildCaSource(undefined, options.env),
          signal: options.signal,
          lockDir: cacheDir(options.env),
          ready,
        }));
      const config = await ready;
      if (options.signal.aborted) throw options.signal.reason ?? new InterruptedError("SIGINT");
      const workspace = plan.workspace
        ? await timed("workspace", () => prepareWorkspace(plan, options.env, staging))
        : undefined;
      return { config, ...(workspace ? { bundleSeed: workspace.seedTar } : {}) };
    })();
    // The backend awaits it (and reports its error); never an unhandled rejection.
    setup.catch(() => {});
    log.step(`Starting bottle ${plan.instance} (${plan.backend})`);
    // Disposed after the bottle is removed (its audit log saved): what the bottle refused.
    if (options.mode === "start") {
      options.stack.defer(async () => {
        const told = await savedRefusals(logsDir(options.env), plan.instance);
        if (told) log.info(told);
      });
    }
    // The self-test's probes start once the guest runs and wait inside it for the proxy
    // (the bundle may still be starting), so they end about when the bundle is ready.
    const guestUp = Promise.withResolvers<Guest>();
    const probed = guestUp.promise.then((guest) =>
      timed("self-test", () => probeGuest(plan, guest))
    );
    // Awaited below; a launch that fails first leaves it unread.
    probed.catch(() => {});
    bottle = await backend.launch(plan, setup, {
      ...options,
      // The CA (made on the host), files, skills and the tree go in while the bundle is
      // still starting.
      onGuest: async (guest) => {
        guestUp.resolve(guest);
        const { config } = await setup;
        const provisioned = await timed(
          "provision",
          () => provisionGuest(plan, guest, staging, config.ca.certPem),
        );
        if (plan.workspace && provisioned.baseline) {
          await noteBaseline(options.env, plan.instance, provisioned.baseline);
        }
      },
    });
    // Fail closed: the agent gets the bottle only if the bottle holds.
    await selfTest(plan, bottle, probed);
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
  if (options.env.BOT_BOTTLE_TIMINGS === "1") {
    log.info(`timings: ${JSON.stringify(phaseTimings())}`);
  }
  log.info(
    "Self-test passed: the proxy answers, outside names do not resolve, the host is not reachable",
  );
  // Disposed before the bottle is removed: what the agent did comes home first.
  if (plan.workspace) {
    options.stack.defer(async () => {
      await bringHome(options.env, plan.instance, await backend.homeAccess(plan.instance));
    });
  }
  if (options.signal.aborted) throw options.signal.reason ?? new InterruptedError("SIGINT");
  return { backend, bottle };
}
