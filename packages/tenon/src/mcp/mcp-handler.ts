// Actor actions as MCP tools over Streamable HTTP. Stateless: every HTTP
// request gets a fresh MCP server and transport, so a tool call carries its
// own credential (the Authorization header) and nothing is kept between
// requests. The handler only translates: the actors' own auth hooks decide who
// may do what, through a Tenon client (the server's own, made for the MCP caller,
// or one of the app's).

import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
	CallToolRequestSchema,
	type CallToolResult,
	ErrorCode,
	ListToolsRequestSchema,
	McpError,
	PingRequestSchema,
	type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { describeIssues } from "../actor/schema.js";
import type { Client } from "../client/types.js";
import { createLogger, moduleLogger } from "../common/logger.js";
import { cutText } from "../common/text-cut.js";
import { errors } from "../protocol/errors.js";
import { invalidParams, malformedCalls, repeatedRequests } from "./invalid-params.js";
import type {
	McpBearerParams,
	McpCallerInfo,
	McpHandlerBaseOptions,
	McpToolDefinition,
} from "./mcp-types.js";
import {
	hasRepeatedIds,
	jsonRpcError,
	MAX_BODY_DEPTH,
	nestsWithin,
	readBodyWithin,
	whenAborted,
	withoutCancellations,
} from "./request-body.js";
import { envelopeProblem, quarantineArguments } from "./request-bounds.js";
import {
	type ArgumentIssue,
	closeObjects,
	standardJsonSchema,
	unknownProperties,
} from "./tool-arguments.js";
import { errorResult, invalidArguments, isActorError, successResult } from "./tool-results.js";

/** Default limit of an MCP request body: 256 KiB. */
const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
/** Default limit of one tool result, as JSON text: 1 MiB. */
const DEFAULT_MAX_RESULT_BYTES = 1024 * 1024;
/** The JSON-RPC error code the SDK's transport uses for HTTP-level refusals. */
const HTTP_REFUSAL = -32000;
/** MCP tool names: 1 to 128 of these characters (MCP spec, "Tool names"). */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Defines a tool outside {@link mcpHandler}, typed against the client: annotate
 * `call`'s `client` parameter and the input is inferred from the schema, so a
 * call that does not fit the registry's actions does not compile. (Inside
 * `mcpHandler({ tools })` no helper is needed: the handler infers both.)
 *
 * @example
 * const increment = mcpTool({
 *   description: "Adds to a counter and returns the new count",
 *   input: z.object({ key: z.string(), by: z.number().int() }),
 *   call: (client: Client<typeof registry>, { key, by }, params) =>
 *     client.counter.getOrCreate(key, { params }).increment(by),
 * });
 */
export function mcpTool<Input, C, P = McpBearerParams>(
	definition: McpToolDefinition<Input, C, P>,
): McpToolDefinition<Input, C, P> {
	return definition;
}

/** What {@link mcpHandler} returns: a fetch-style handler, a server's `fallback` as it is. */
export type McpFetchHandler = (
	request: Request,
	info?: McpCallerInfo,
) => Promise<Response | undefined>;

/** The handler given the `registry`: it needs the server's `FallbackInfo` (its `callerClient`). */
export type McpServerFetchHandler = (
	request: Request,
	info: McpCallerInfo,
) => Promise<Response | undefined>;

/** A tool ready to serve: what tools/list shows and how to check its arguments. */
interface CompiledTool<C, P> {
	readonly listing: Tool;
	/** The published JSON Schema, the root of its `$ref`s. */
	readonly jsonSchema: Record<string, unknown>;
	readonly definition: McpToolDefinition<unknown, C, P>;
}

/**
 * An MCP endpoint (Streamable HTTP, stateless, JSON responses) that exposes
 * actor actions as tools. Returns a fetch-style handler that answers
 * `options.path` and returns undefined for every other path, so it fits
 * `registry.start({ fallback })` or any router.
 *
 * Errors an actor raises (`user/unauthorized` from its auth hook,
 * `actor/not_found`) become tool results with `isError: true` and the text
 * `group/code: message`; invalid arguments (schema issues, undeclared
 * properties, `__proto__` keys) become `request/invalid_args` results and
 * never reach the actor. Results come back as JSON text and as
 * `structuredContent` (objects as they are, anything else as `{ result }`).
 *
 * @example
 * await registry.start({
 *   fallback: mcpHandler({
 *     name: "counters",
 *     version: "1.0.0",
 *     registry, // calls the server's actors in-process, for the MCP caller
 *     tools: {
 *       increment: {
 *         description: "Adds to a counter and returns the new count",
 *         input: z.object({ key: z.string(), by: z.number().int() }),
 *         call: (client, { key, by }, params) =>
 *           client.counter.getOrCreate(key, { params }).increment(by),
 *       },
 *     },
 *   }),
 * });
 */
// One signature for both forms: with overloads, a type error inside a tool was reported
// against the other form ("'registry' does not exist in type ...", a review).
export function mcpHandler<C = never, T = Record<string, unknown>, P = McpBearerParams, R = never>(
	options: McpHandlerBaseOptions<[R] extends [never] ? C : Client<R>, P, T> &
		({ client: C; registry?: undefined } | { registry: R; client?: undefined }),
): [R] extends [never] ? McpFetchHandler : McpServerFetchHandler {
	const path = options.path ?? "/mcp";
	const ownClient = options.client as C | undefined;
	if (ownClient === undefined && !("registry" in options && options.registry !== undefined))
		throw new Error(
			"mcpHandler: give it a `client`, or the `registry` to call the server's actors for the caller",
		);
	/** The client of one request's tool calls: the handler's own, or the server's made for the caller. */
	const clientFor = (caller: McpCallerInfo): C => {
		if (ownClient !== undefined) return ownClient;
		if (caller.callerClient === undefined)
			throw new Error(
				"mcpHandler({ registry }) serves only as a server's fallback (or with its FallbackInfo)",
			);
		return caller.callerClient() as C;
	};
	if (!path.startsWith("/"))
		throw new Error(`mcpHandler: path must start with "/" (got "${path}")`);
	const maxBodyBytes = positiveInteger(
		"maxBodyBytes",
		options.maxBodyBytes,
		DEFAULT_MAX_BODY_BYTES,
	);
	const maxResultBytes = positiveInteger(
		"maxResultBytes",
		options.maxResultBytes,
		DEFAULT_MAX_RESULT_BYTES,
	);
	const logger = moduleLogger(options.logger ?? createLogger(), "mcp");
	// The mapped type only exists for inference; inside, every tool's input is unknown.
	const definitions = options.tools as unknown as Record<string, McpToolDefinition<unknown, C, P>>;
	const tools = new Map<string, CompiledTool<C, P>>();
	for (const [name, definition] of Object.entries(definitions)) {
		tools.set(name, compileTool(name, definition));
	}
	const listings = [...tools.values()].map((tool) => tool.listing);
	// Without a `params` option, P is McpBearerParams (its default), which bearerParams returns.
	const paramsOf =
		options.params ?? (bearerParams as unknown as (request: Request, caller: McpCallerInfo) => P);

	async function callTool(
		tool: CompiledTool<C, P>,
		args: unknown,
		request: Request,
		caller: McpCallerInfo,
		signal: AbortSignal,
	): Promise<CallToolResult> {
		const name = tool.listing.name;
		try {
			// Checking the arguments is the caller's decode time, as parsing the body is.
			const decodeTime = caller.decodeTime;
			const check = () => {
				const issues = unknownProperties(args, tool.jsonSchema);
				return { issues, validating: tool.definition.input["~standard"].validate(args) };
			};
			const { issues, validating } = decodeTime === undefined ? check() : decodeTime.timed(check);
			const validated = await validating;
			if (validated.issues !== undefined) issues.push(...describeIssues(validated.issues));
			if (issues.length > 0 || validated.issues !== undefined) {
				return invalidArguments(name, issues);
			}
			// A caller gone while the arguments were checked: no client is made (nor call started).
			if (signal.aborted) return errorResult(errors.internal());
			const result = await tool.definition.call(
				clientFor(caller),
				validated.value,
				paramsOf(request, caller),
				{ tool: name, signal, remoteAddress: caller.remoteAddress, clientKey: caller.clientKey },
			);
			return successResult(result, name, maxResultBytes);
		} catch (error) {
			// The handler's own client's failures (an endpoint down: its host, port and path) are
			// not the caller's to read (a probe, 2026-11-29): an internal error, logged.
			if (isActorError(error) && error.group !== "client") return errorResult(error);
			// A call whose caller left fails as its client is disposed: no one's error.
			if (signal.aborted)
				logger.debug("mcp tool ended after its caller left", { tool: name, error });
			else logger.error("mcp tool failed", { tool: name, error });
			return errorResult(errors.internal());
		}
	}

	/**
	 * A server for one HTTP request: `refused` holds the calls whose arguments
	 * were quarantined, `malformed` the requests whose params were not their
	 * method's (each made a `ping`, answered "Invalid params" here).
	 */
	function serverFor(
		request: Request,
		caller: McpCallerInfo,
		refused: Map<string | number, ArgumentIssue[]>,
		malformed: Map<string | number, string>,
	): Server {
		const server = new Server(
			{ name: options.name, version: options.version },
			{ capabilities: { tools: {} } },
		);
		server.setRequestHandler(PingRequestSchema, (_ping, extra) => {
			const problem = malformed.get(extra.requestId);
			if (problem !== undefined) throw new McpError(ErrorCode.InvalidParams, problem);
			return {};
		});
		server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listings }));
		server.setRequestHandler(CallToolRequestSchema, (call, extra) => {
			const tool = tools.get(call.params.name);
			if (tool === undefined) {
				// Cut: the name is the caller's, up to the whole body (a 200 KB name came back whole).
				const name = call.params.name;
				throw new McpError(
					ErrorCode.InvalidParams,
					`Unknown tool: ${name.length > 128 ? `${cutText(name, 128)}…` : name}`,
				);
			}
			const quarantined = refused.get(extra.requestId);
			if (quarantined !== undefined) return invalidArguments(tool.listing.name, quarantined);
			// Stateless: a `notifications/cancelled` arrives on another HTTP request (and
			// server), so a disconnect of this request is what ends the call.
			const signal = AbortSignal.any([extra.signal, request.signal]);
			return callTool(tool, call.params.arguments ?? {}, request, caller, signal);
		});
		return server;
	}

	const handler: McpFetchHandler = async (request, info) => {
		if (new URL(request.url).pathname !== path) return undefined;
		const caller: McpCallerInfo = info ?? { remoteAddress: undefined, clientKey: undefined };
		// Stateless: no session to resume or delete and no server-initiated stream (GET).
		if (request.method !== "POST") {
			return jsonRpcError(405, HTTP_REFUSAL, "Method not allowed: use POST", {
				allow: "POST",
			});
		}
		// Bounded: the SDK answered a 5,000-character version with all of it (a probe, 2026-11-29).
		const version = request.headers.get("mcp-protocol-version");
		if (version !== null && !/^[\w.-]{1,32}$/.test(version)) {
			return jsonRpcError(400, HTTP_REFUSAL, "Bad Request: Unsupported protocol version");
		}
		// The body's parsing and checks are charged to the caller's address, as an action's
		// body is: 40 KB bodies took a second of the loop every second, never refused (a probe).
		await caller.decodeTime?.ready();
		const bytes = await readBodyWithin(request, maxBodyBytes);
		if (bytes === undefined) {
			// The rest of the body stays unread: the connection cannot carry another request.
			return jsonRpcError(
				413,
				HTTP_REFUSAL,
				`The request body exceeds the limit of ${maxBodyBytes} bytes`,
				{ connection: "close" },
			);
		}
		const checked =
			caller.decodeTime === undefined
				? checkBody(bytes)
				: caller.decodeTime.timed(() => checkBody(bytes));
		if (checked instanceof Response) return checked;
		const { body, refused, malformed } = checked;
		const server = serverFor(request, caller, refused, malformed);
		const transport = new WebStandardStreamableHTTPServerTransport({
			sessionIdGenerator: undefined,
			enableJsonResponse: true,
		});
		await server.connect(transport);
		// A caller that goes away gets no answer, and nothing of its request is kept.
		const gone = whenAborted(
			request.signal,
			() => new Response(null, { status: 499, statusText: "Client Closed Request" }),
		);
		try {
			// With JSON responses, this resolves once every request in the body is answered.
			return await Promise.race([
				transport.handleRequest(request, { parsedBody: body }),
				gone.promise,
			]);
		} finally {
			gone.dispose();
			await server.close();
		}
	};
	// Both forms answer alike; the registry's needs the server's FallbackInfo (typed required).
	return handler as never;
}

/**
 * The body parsed and checked before the SDK sees it: an error response, or
 * the requests with the calls whose arguments were refused (`refused`) and
 * the requests whose params were not their method's (`malformed`).
 */
function checkBody(bytes: Uint8Array):
	| Response
	| {
			body: unknown;
			refused: Map<string | number, ArgumentIssue[]>;
			malformed: Map<string | number, string>;
	  } {
	const text = new TextDecoder().decode(bytes);
	if (!nestsWithin(text, MAX_BODY_DEPTH)) {
		return jsonRpcError(
			400,
			ErrorCode.InvalidRequest,
			`Invalid request: nested deeper than ${MAX_BODY_DEPTH} levels`,
		);
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		return jsonRpcError(400, ErrorCode.ParseError, "Parse error: invalid JSON");
	}
	// JSON-RPC 2.0: an empty batch is one Invalid Request (it was accepted, 202, a probe).
	if (Array.isArray(parsed) && parsed.length === 0) {
		return jsonRpcError(400, ErrorCode.InvalidRequest, "Invalid request: empty batch");
	}
	const body = withoutCancellations(parsed);
	// Only cancellations: notifications, which are accepted with no answer.
	if (body === undefined) return new Response(null, { status: 202 });
	// JSON.parse keeps `__proto__` as an own key, but the SDK's parsing copies
	// objects by assignment, which would turn it into a prototype: such keys
	// never reach the SDK. In tool arguments they become an error result.
	const malformed = malformedCalls(body);
	const { refused, checked } = quarantineArguments(body);
	// The rest of the body (all but the arguments checked above) is bounded
	// before the SDK walks it: large or deep, it blocked the loop.
	const envelope = envelopeProblem(body, checked);
	if (envelope !== undefined) return jsonRpcError(400, ErrorCode.InvalidRequest, envelope);
	// A batch naming two requests alike got one answer for both, while both ran.
	if (hasRepeatedIds(body)) {
		return jsonRpcError(
			400,
			ErrorCode.InvalidRequest,
			"Invalid request: two requests of a batch have the same id",
		);
	}
	invalidParams(body, malformed);
	repeatedRequests(body, malformed);
	return { body, refused, malformed };
}

/** `{ token }` from `Authorization: Bearer <token>`, else undefined. */
function bearerParams(request: Request): McpBearerParams {
	const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
	return match?.[1] === undefined ? undefined : { token: match[1] };
}

function compileTool<C, P>(
	name: string,
	definition: McpToolDefinition<unknown, C, P>,
): CompiledTool<C, P> {
	if (!TOOL_NAME.test(name)) {
		throw new Error(`mcpHandler: tool name "${name}" must be 1-128 of A-Z a-z 0-9 _ . -`);
	}
	const source = definition.inputJsonSchema ?? standardJsonSchema(name, definition.input);
	if (source.type !== "object") {
		throw new Error(
			`mcpHandler: tool "${name}" needs an object input schema (e.g. z.object({...})): MCP arguments are a JSON object`,
		);
	}
	const jsonSchema = closeObjects(source, false) as Record<string, unknown>;
	const listing: Tool = {
		name,
		description: definition.description,
		inputSchema: jsonSchema as Tool["inputSchema"],
		...(definition.title === undefined ? {} : { title: definition.title }),
		...(definition.annotations === undefined ? {} : { annotations: definition.annotations }),
	};
	return { listing, jsonSchema, definition };
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
	if (value === undefined) return fallback;
	if (!Number.isSafeInteger(value) || value <= 0)
		throw new Error(`mcpHandler: ${name} must be a positive integer (got ${value})`);
	return value;
}
