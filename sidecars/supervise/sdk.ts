/**
 * @module
 * The MCP SDK and zod, for the supervise server (`mcp.ts`). Imported by a path the
 * module graph cannot follow, so that the bundle's start neither resolves nor loads
 * these npm packages (about a tenth of a second of it); the image build caches them by
 * naming this file.
 */

export { McpServer } from "npm:@modelcontextprotocol/sdk@1.32.2/server/mcp.js";
export { WebStandardStreamableHTTPServerTransport as Transport } from "npm:@modelcontextprotocol/sdk@1.32.2/server/webStandardStreamableHttp.js";
export { z } from "npm:zod@4.6.7";
