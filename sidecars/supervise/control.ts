/**
 * @module
 * The supervise control API, on the bundle's loopback only: the agent cannot reach
 * it, so only the host (through `docker exec`) can list requests and answer them.
 */

import type { Decision, SuperviseQueue } from "./queue.ts";

/** The loopback port of the control API. */
export const CONTROL_PORT = 9101;

/** Serves GET /requests and POST /requests/ID {decision, comment} on 127.0.0.1. */
export function startControl(queue: SuperviseQueue): Deno.HttpServer {
  return Deno.serve(
    { hostname: "127.0.0.1", port: CONTROL_PORT, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      if (req.method === "GET" && url.pathname === "/requests") return Response.json(queue.list());
      const m = /^\/requests\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
      if (req.method === "POST" && m) {
        let body: { decision?: string; comment?: string };
        try {
          body = await req.json();
        } catch {
          return Response.json({ error: "body must be JSON" }, { status: 400 });
        }
        if (!["approved", "denied", "answered"].includes(body.decision ?? "")) {
          return Response.json({ error: "decision must be approved, denied or answered" }, {
            status: 400,
          });
        }
        try {
          return Response.json(
            await queue.answer(m[1]!, body.decision as Decision, body.comment ?? ""),
          );
        } catch (error) {
          return Response.json({ error: (error as Error).message }, { status: 409 });
        }
      }
      return Response.json({ error: "not found" }, { status: 404 });
    },
  );
}
