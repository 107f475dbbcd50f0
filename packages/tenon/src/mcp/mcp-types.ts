// The public types of `tenon/mcp`: what a tool is, what it knows of its call,
// and the handler's options.

import type { ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { StandardSchemaV1 } from "../actor/schema.js";
import type { Client } from "../client/types.js";
import type { Logger } from "../common/logger.js";
import type { FallbackInfo } from "../server/server-core.js";

/** What a tool call knows beside its input. */
export interface McpToolContext {
	/** The tool's name, as the MCP client called it. */
	readonly tool: string;
	/**
	 * Aborted when the MCP client goes away before the answer (or cancels the
	 * call on this HTTP request). Pass it on to calls that take a signal.
	 */
	readonly signal: AbortSignal;
	/**
	 * The MCP caller's address, when the handler is a server's `fallback` (it is
	 * given it). The actors see it too when the handler was given the `registry`;
	 * given a `client`, they see that client's address.
	 */
	readonly remoteAddress: string | undefined;
	/** The key Tenon's per-address limits count the MCP caller under (see `FallbackInfo`). */
	readonly clientKey: string | undefined;
}

/** What the handler knows of the MCP caller beside its request (a server's `FallbackInfo`). */
export type McpCallerInfo = Pick<
	FallbackInfo,
	"remoteAddress" | "clientKey" | "decodeTime" | "callerClient"
>;

/**
 * One MCP tool: its description, its input schema and the actor call it makes.
 *
 * @typeParam Input - what the input schema produces (the validated arguments).
 * @typeParam C - the Tenon client type (`Client<typeof registry>`).
 * @typeParam P - the connection params built from the MCP request.
 */
export interface McpToolDefinition<Input, C = unknown, P = McpBearerParams> {
	/** What the tool does, for the model that decides to call it. */
	description: string;
	/** A human-readable name for UIs. */
	title?: string;
	/** Hints for clients (`readOnlyHint`, `destructiveHint`, ...); never trusted by the server. */
	annotations?: ToolAnnotations;
	/**
	 * Standard Schema of the tool's input (zod etc.); its JSON Schema
	 * (Standard JSON Schema, `~standard.jsonSchema`) is what the MCP client
	 * sees. It must describe an object. Strict: properties the JSON Schema does
	 * not declare are refused, even where the schema itself would strip them.
	 */
	input: StandardSchemaV1<unknown, Input>;
	/**
	 * The input's JSON Schema, for Standard Schema libraries without Standard
	 * JSON Schema support. Default: `input["~standard"].jsonSchema.input()`.
	 */
	inputJsonSchema?: Record<string, unknown>;
	/**
	 * Calls the actor for one tool call. `client` is the handler's Tenon
	 * client, `params` the connection params built from the MCP request (the
	 * caller's credential): pass them on so the actor's auth hooks see them.
	 */
	call(client: C, input: Input, params: P, context: McpToolContext): Promise<unknown>;
}

/** The default connection params: `{ token }` from `Authorization: Bearer <token>`, else undefined. */
export type McpBearerParams = { token: string } | undefined;

/** Options of {@link mcpHandler} but where its tools' client comes from. */
export interface McpHandlerBaseOptions<C, P = McpBearerParams, T = Record<string, unknown>> {
	/** The server name MCP clients see. */
	name: string;
	/** The server version MCP clients see. */
	version: string;
	/** The URL path the MCP endpoint answers on. Default `/mcp`. */
	path?: string;
	/** The tools, by name (1 to 128 of `A-Z a-z 0-9 _ . -`). */
	tools: { [K in keyof T]: McpToolDefinition<T[K], C, P> };
	/**
	 * Connection params from the MCP HTTP request (its body already read),
	 * passed to every tool call. Default: `{ token }` from `Authorization:
	 * Bearer <token>` (undefined without one). Called per tool call; an
	 * `ActorError` it throws becomes the call's error result.
	 */
	params?(request: Request, caller: McpCallerInfo): P;
	/** Largest request body, in bytes; larger ones get HTTP 413. Default 256 KiB. */
	maxBodyBytes?: number;
	/**
	 * Largest result of one tool call, as JSON text in UTF-8 bytes; a larger
	 * one becomes an error result (`message/outgoing_too_long`). Default 1 MiB.
	 */
	maxResultBytes?: number;
	/** Where failures that are not `ActorError`s are logged. Default: Tenon's stderr logger. */
	logger?: Logger;
}

/**
 * Options of {@link mcpHandler} whose tools call actors through a client of
 * your own (`createClient<typeof registry>(url)`): the actors see that client,
 * not the MCP caller (its address, its limits).
 */
export interface McpHandlerOptions<C, P = McpBearerParams, T = Record<string, unknown>>
	extends McpHandlerBaseOptions<C, P, T> {
	/** The Tenon client the tools call actors through. */
	client: C;
}

/**
 * Options of {@link mcpHandler} served as a server's `fallback`, whose tools
 * call that server's actors in-process, for the MCP caller
 * (`FallbackInfo.callerClient`): the actors' hooks see the caller's address,
 * and the calls count against its per-address limits.
 */
export interface McpServerHandlerOptions<R, P = McpBearerParams, T = Record<string, unknown>>
	extends McpHandlerBaseOptions<Client<R>, P, T> {
	/** The registry the server runs: it types the tools' client (nothing else is read of it). */
	registry: R;
	client?: undefined;
}
