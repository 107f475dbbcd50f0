// Public entry point of `tenon/mcp`: chosen actor actions as MCP tools over
// Streamable HTTP (needs the optional peer @modelcontextprotocol/sdk), so an
// external agent can drive actors, behind the actors' own auth hooks.

export {
	type McpFetchHandler,
	type McpServerFetchHandler,
	mcpHandler,
	mcpTool,
} from "./mcp-handler.js";
export type {
	McpBearerParams,
	McpCallerInfo,
	McpHandlerBaseOptions,
	McpHandlerOptions,
	McpServerHandlerOptions,
	McpToolContext,
	McpToolDefinition,
} from "./mcp-types.js";
export { MAX_CALLS_PER_REQUEST } from "./request-bounds.js";
