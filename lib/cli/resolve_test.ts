import assert from "node:assert/strict";
import { SubnetTakenError } from "../errors.ts";
import type { BottlePlan } from "../plan/types.ts";
import type { CommandContext } from "./command.ts";
import { bringUpPlanned } from "./resolve.ts";

const ctx = { env: {}, signal: new AbortController().signal } as unknown as CommandContext;
const planWith = (subnet: string) =>
  ({ instance: "claude-ab12cd", networks: { internal: { subnet } } }) as unknown as BottlePlan;

Deno.test("bringUpPlanned(): a subnet taken since planning is planned around, keeping the bottle's name", async () => {
  const tried: string[] = [];
  const replans: { runId: string; avoid: string[] }[] = [];
  const result = await bringUpPlanned(ctx, planWith("10.213.0.0/28"), {
    mode: "up",
    stack: new AsyncDisposableStack(),
  }, {
    // deno-lint-ignore require-await
    bringUp: async (plan) => {
      tried.push(plan.networks.internal.subnet);
      if (tried.length < 3) throw new SubnetTakenError(plan.networks.internal.subnet);
      return {} as never;
    },
    // deno-lint-ignore require-await
    resolvePlan: async (_ctx, again) => {
      replans.push(structuredClone(again!));
      return { loaded: {} as never, plan: planWith(`10.213.0.${16 * replans.length}/28`) };
    },
  });
  assert.deepEqual(tried, ["10.213.0.0/28", "10.213.0.16/28", "10.213.0.32/28"]);
  assert.deepEqual(replans, [
    { runId: "ab12cd", avoid: ["10.213.0.0/28"] },
    { runId: "ab12cd", avoid: ["10.213.0.0/28", "10.213.0.16/28"] },
  ]);
  assert.equal(result.plan.networks.internal.subnet, "10.213.0.32/28");
});

Deno.test("bringUpPlanned(): any other failure is not retried", async () => {
  let calls = 0;
  await assert.rejects(
    bringUpPlanned(ctx, planWith("10.213.0.0/28"), {
      mode: "up",
      stack: new AsyncDisposableStack(),
    }, {
      // deno-lint-ignore require-await
      bringUp: async () => {
        calls++;
        throw new Error("no engine");
      },
      resolvePlan: () => Promise.reject(new Error("not called")),
    }),
    /no engine/,
  );
  assert.equal(calls, 1);
});
