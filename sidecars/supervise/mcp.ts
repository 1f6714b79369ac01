/**
 * @module
 * The supervise MCP server (streamable HTTP, the official SDK) on the bundle's
 * internal address. Its tools let the agent ask; none lets it answer. Each call waits
 * for a person's answer, up to a timeout the tool descriptions state.
 */

import type * as SdkModule from "./sdk.ts";
import { parseHostPattern } from "../../lib/net/hosts.ts";
import type { SuperviseQueue, SuperviseRequest } from "./queue.ts";

/** What approving a request changes in the running bottle. */
export interface SuperviseEffects {
  /** Adds `host` to the running allowlist. */
  allowHost(host: string): void;
  /** The gate entries (repositories) of this bottle. */
  repos: readonly string[];
  /** The gate's own record of a refused push of `commit` to `ref` in `repo`, if any. */
  refusal(repo: string, commit: string, ref: string): Promise<GateRefusal | undefined>;
  /**
   * Lets the gate accept one push of exactly `commit` to `ref` in `repo` despite its
   * findings; its protected paths too only when the person was shown them.
   */
  allowPush(repo: string, ref: string, commit: string, protectedPaths: boolean): Promise<void>;
}

/** What the gate recorded when it refused a push (never the secret). */
export interface GateRefusal {
  findings: string[];
  protectedPaths: string[];
}

/** Requests waiting for a person, per bottle; more are refused until some are answered. */
export const MAX_PENDING = 10;

/** The MCP SDK and zod. */
type Sdk = typeof SdkModule;

let sdk: Promise<Sdk> | undefined;

/** Not a literal: the bundle's module graph (resolved before it starts) stops here. */
const SDK_MODULE = new URL("./sdk.ts", import.meta.url).href;

/**
 * Loads the MCP SDK (once). Loading it takes about a quarter of a second, most of the
 * bundle's own start: the bundle says it is ready first and loads this after (or on
 * the first request, whichever comes first).
 */
export function loadSdk(): Promise<Sdk> {
  sdk ??= import(SDK_MODULE) as Promise<Sdk>;
  return sdk;
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
  { McpServer, z }: Sdk,
  queue: SuperviseQueue,
  effects: SuperviseEffects,
  timeoutMs: number,
): SdkModule.McpServer {
  // Field limits: what the agent writes is shown to a person, so it is kept readable.
  const REASON = z.string().min(1).max(2000);
  const server = new McpServer({ name: "bot-bottle-supervise", version: "1.0.0" });
  const minutes = Math.round(timeoutMs / 60_000);
  const waits =
    `The call waits for a person on the host to answer, for up to ${minutes} minute(s).`;

  const busy = (): ToolResult | undefined =>
    queue.pending() >= MAX_PENDING
      ? {
        content: [{
          type: "text",
          text:
            `${MAX_PENDING} requests already wait for a person; wait for their answers before asking again.`,
        }],
        isError: true,
      }
      : undefined;
  const refuse = (text: string): ToolResult => ({
    content: [{ type: "text", text }],
    isError: true,
  });

  server.registerTool("request_egress", {
    description: `Ask a person to allow this bottle to reach a host the proxy blocked. ${waits} ` +
      "If approved, the host is allowed at once for the rest of this bottle's life.",
    inputSchema: {
      host: z.string().max(260).describe(
        "Host name, such as docs.example.com (optionally host:port)",
      ),
      reason: REASON.describe("Why the work needs this host"),
    },
  }, async ({ host, reason }: { host: string; reason: string }) => {
    const parsed = parseHostPattern(host);
    if (typeof parsed === "string") return refuse(`"${host}" is not a host: ${parsed}`);
    const full = busy();
    if (full) return full;
    // The person is shown, and approves, the host as parsed, not as the agent wrote it.
    const canonical = `${parsed.kind === "wildcard" ? "*." : ""}${parsed.host}${
      parsed.port !== undefined ? `:${parsed.port}` : ""
    }`;
    host = canonical;
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
        question: z.string().min(1).max(4000),
        choices: z.array(z.string().min(1).max(200)).max(20).optional().describe(
          "Possible answers, if the question has a fixed set",
        ),
        reason: z.string().max(2000).optional().describe("Context for the person"),
      },
    },
    async (
      { question, choices, reason }: { question: string; choices?: string[]; reason?: string },
    ) => {
      const full = busy();
      if (full) return full;
      const r = await queue.create("ask", reason ?? "", {
        question,
        ...(choices ? { choices } : {}),
      });
      return result(await queue.wait(r.id, timeoutMs), "");
    },
  );

  server.registerTool("request_push_override", {
    description:
      `Ask a person to let the git gate accept one push it refused: the full commit id, the ref, the repository. ${waits} ` +
      "If approved, push exactly that commit to that ref again (once).",
    inputSchema: {
      repo: z.string().min(1).max(64).describe(
        "The gate entry name (the NAME in git://.../NAME.git)",
      ),
      ref: z.string().min(1).max(255).describe("The refused ref, such as refs/heads/main"),
      commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/).describe(
        "The refused commit's full id (40 hex digits)",
      ),
      reason: REASON.describe("Why the finding is a false positive or acceptable"),
    },
  }, async (
    { repo, ref, commit, reason }: { repo: string; ref: string; commit: string; reason: string },
  ) => {
    if (!effects.repos.includes(repo)) {
      return refuse(
        `"${repo}" is not a repository of this gate (known: ${effects.repos.join(", ") || "none"})`,
      );
    }
    const fullRef = ref.startsWith("refs/") ? ref : `refs/heads/${ref}`;
    const refused = await effects.refusal(repo, commit, fullRef);
    if (!refused) {
      return refuse(
        `the gate has not refused a push of ${commit} to ${fullRef} in ${repo}; push it first`,
      );
    }
    const full = busy();
    if (full) return full;
    const r = await queue.create("push-override", reason, {
      repo,
      ref: fullRef,
      commit,
      findings: refused.findings,
      protectedPaths: refused.protectedPaths,
    });
    const answered = await queue.wait(r.id, timeoutMs);
    if (answered.status === "approved") {
      await effects.allowPush(repo, fullRef, commit, refused.protectedPaths.length > 0);
    }
    return result(answered, `Push commit ${commit} to ${fullRef} in ${repo} again (once).`);
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
      const sdk = await loadSdk();
      const server = buildServer(sdk, options.queue, options.effects, options.timeoutMs);
      const transport = new sdk.Transport({
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
