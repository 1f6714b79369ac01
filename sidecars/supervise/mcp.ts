/**
 * @module
 * The supervise MCP server (streamable HTTP, the official SDK) on the bundle's
 * internal address. Its tools let the agent ask; none lets it answer. Each call waits
 * for a person's answer, up to a timeout the tool descriptions state.
 */

import { McpServer } from "npm:@modelcontextprotocol/sdk@1.32.2/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/server/webStandardStreamableHttp.js";
import { z } from "npm:zod@4.6.7";
import { parseHostPattern } from "../../lib/manifest/hosts.ts";
import type { SuperviseQueue, SuperviseRequest } from "./queue.ts";

/** What approving a request changes in the running bottle. */
export interface SuperviseEffects {
  /** Adds `host` to the running allowlist. */
  allowHost(host: string): void;
  /** Lets the gate accept the next push of `commit` to `repo` despite its findings. */
  allowPush(repo: string, commit: string): Promise<void>;
}

type ToolResult = { content: { type: "text"; text: string }[]; isError?: boolean };

function result(r: SuperviseRequest, approved: string): ToolResult {
  const comment = r.answer?.comment ? ` Comment from the person: ${r.answer.comment}` : "";
  const text = r.status === "approved"
    ? `approved. ${approved}${comment}`
    : r.status === "answered"
    ? `answer: ${r.answer?.comment ?? ""}`
    : r.status === "denied"
    ? `denied.${comment}`
    : `no answer within the timeout (request ${r.id} stays on record); carry on without it or ask again later.`;
  return {
    content: [{ type: "text", text }],
    isError: r.status === "denied" || r.status === "expired",
  };
}

function buildServer(
  queue: SuperviseQueue,
  effects: SuperviseEffects,
  timeoutMs: number,
): McpServer {
  const server = new McpServer({ name: "bot-bottle-supervise", version: "1.0.0" });
  const minutes = Math.round(timeoutMs / 60_000);
  const waits =
    `The call waits for a person on the host to answer, for up to ${minutes} minute(s).`;

  server.registerTool("request_egress", {
    description: `Ask a person to allow this bottle to reach a host the proxy blocked. ${waits} ` +
      "If approved, the host is allowed at once for the rest of this bottle's life.",
    inputSchema: {
      host: z.string().describe("Host name, such as docs.example.com (optionally host:port)"),
      reason: z.string().min(1).describe("Why the work needs this host"),
    },
  }, async ({ host, reason }: { host: string; reason: string }) => {
    const parsed = parseHostPattern(host);
    if (typeof parsed === "string") {
      return {
        content: [{ type: "text", text: `"${host}" is not a host: ${parsed}` }],
        isError: true,
      };
    }
    const r = await queue.create("egress", reason, { host });
    const answered = await queue.wait(r.id, timeoutMs);
    if (answered.status === "approved") effects.allowHost(host);
    return result(answered, `"${host}" is now allowed.`);
  });

  server.registerTool(
    "ask",
    {
      description:
        `Ask the person supervising this bottle a question (a decision you should not take alone). ${waits}`,
      inputSchema: {
        question: z.string().min(1),
        choices: z.array(z.string()).optional().describe(
          "Possible answers, if the question has a fixed set",
        ),
        reason: z.string().optional().describe("Context for the person"),
      },
    },
    async (
      { question, choices, reason }: { question: string; choices?: string[]; reason?: string },
    ) => {
      const r = await queue.create("ask", reason ?? "", {
        question,
        ...(choices ? { choices } : {}),
      });
      return result(await queue.wait(r.id, timeoutMs), "");
    },
  );

  server.registerTool("request_push_override", {
    description:
      `Ask a person to let the git gate accept a push it refused, naming the commit. ${waits} ` +
      "If approved, push the same commit again.",
    inputSchema: {
      repo: z.string().min(1).describe("The gate entry name (the NAME in git://.../NAME.git)"),
      commit: z.string().regex(/^[0-9a-f]{7,40}$/).describe("The refused commit"),
      reason: z.string().min(1).describe("Why the finding is a false positive or acceptable"),
    },
  }, async ({ repo, commit, reason }: { repo: string; commit: string; reason: string }) => {
    const r = await queue.create("push-override", reason, { repo, commit });
    const answered = await queue.wait(r.id, timeoutMs);
    if (answered.status === "approved") await effects.allowPush(repo, commit);
    return result(answered, `Push commit ${commit} to ${repo} again.`);
  });
  return server;
}

/** Serves the MCP endpoint (stateless: one server and transport per request). */
export function startMcpServer(
  options: {
    hostname: string;
    port: number;
    queue: SuperviseQueue;
    effects: SuperviseEffects;
    timeoutMs: number;
  },
): Deno.HttpServer {
  return Deno.serve(
    { hostname: options.hostname, port: options.port, onListen: () => {} },
    async (req) => {
      const server = buildServer(options.queue, options.effects, options.timeoutMs);
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      await server.connect(transport);
      try {
        return await transport.handleRequest(req);
      } finally {
        // Stateless: nothing outlives the request.
        queueMicrotask(() => void server.close());
      }
    },
  );
}
