// Actor actions as MCP tools over Streamable HTTP. Stateless: every HTTP
// request gets a fresh MCP server and transport, so a tool call carries its
// own credential (the Authorization header) and nothing is kept between
// requests. The handler only translates: the actors' own auth hooks decide who
// may do what, through an ordinary Tenon client.

import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
	CallToolRequestSchema,
	type CallToolResult,
	ErrorCode,
	ListToolsRequestSchema,
	McpError,
	type Tool,
	type ToolAnnotations,
} from "@modelcontextprotocol/sdk/types.js";
import { describeIssues, type StandardSchemaV1 } from "../actor/schema.js";
import { createLogger, type Logger, moduleLogger } from "../common/logger.js";
import { bytesToBase64, concatBytes } from "../protocol/bytes.js";
import { ActorError, errors } from "../protocol/errors.js";

/** Default limit of an MCP request body: 256 KiB. */
const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
/** How deep tool arguments may nest; deeper input is refused before any walk recurses. */
const MAX_ARGUMENT_DEPTH = 64;
/** How deep a result may nest when it is turned into JSON (Tenon's plain-data limit). */
const MAX_RESULT_DEPTH = 512;
/** The JSON-RPC error code the SDK's transport uses for HTTP-level refusals. */
const HTTP_REFUSAL = -32000;
/** MCP tool names: 1 to 128 of these characters (MCP spec, "Tool names"). */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** What a tool call knows beside its input. */
export interface McpToolContext {
	/** The tool's name, as the MCP client called it. */
	readonly tool: string;
	/**
	 * Aborted when the MCP client goes away before the answer (or cancels the
	 * call on this HTTP request). Pass it on to calls that take a signal.
	 */
	readonly signal: AbortSignal;
}

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

/** Options of {@link mcpHandler}. */
export interface McpHandlerOptions<C, P = McpBearerParams, T = Record<string, unknown>> {
	/** The server name MCP clients see. */
	name: string;
	/** The server version MCP clients see. */
	version: string;
	/** The URL path the MCP endpoint answers on. Default `/mcp`. */
	path?: string;
	/** The Tenon client the tools call actors through (`createClient<typeof registry>(url)`). */
	client: C;
	/** The tools, by name (1 to 128 of `A-Z a-z 0-9 _ . -`). */
	tools: { [K in keyof T]: McpToolDefinition<T[K], C, P> };
	/**
	 * Connection params from the MCP HTTP request (its body already read),
	 * passed to every tool call. Default: `{ token }` from `Authorization:
	 * Bearer <token>` (undefined without one). Called per tool call; an
	 * `ActorError` it throws becomes the call's error result.
	 */
	params?(request: Request): P;
	/** Largest request body, in bytes; larger ones get HTTP 413. Default 256 KiB. */
	maxBodyBytes?: number;
	/** Where failures that are not `ActorError`s are logged. Default: Tenon's stderr logger. */
	logger?: Logger;
}

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

/** A tool ready to serve: what tools/list shows and how to check its arguments. */
interface CompiledTool<C, P> {
	readonly listing: Tool;
	/** The published JSON Schema, the root of its `$ref`s. */
	readonly jsonSchema: Record<string, unknown>;
	readonly definition: McpToolDefinition<unknown, C, P>;
}

/** One argument problem, in the shape Tenon's `request/invalid_args` carries. */
type ArgumentIssue = { message: string; path: string };

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
 * const client = createClient<typeof registry>("http://127.0.0.1:6420");
 * await registry.start({
 *   fallback: mcpHandler({
 *     name: "counters",
 *     version: "1.0.0",
 *     client,
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
export function mcpHandler<C, T, P = McpBearerParams>(
	options: McpHandlerOptions<C, P, T>,
): (request: Request) => Promise<Response | undefined> {
	const path = options.path ?? "/mcp";
	if (!path.startsWith("/"))
		throw new Error(`mcpHandler: path must start with "/" (got "${path}")`);
	const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
	if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
		throw new Error(`mcpHandler: maxBodyBytes must be a positive integer (got ${maxBodyBytes})`);
	}
	const logger = moduleLogger(options.logger ?? createLogger(), "mcp");
	// The mapped type only exists for inference; inside, every tool's input is unknown.
	const definitions = options.tools as unknown as Record<string, McpToolDefinition<unknown, C, P>>;
	const tools = new Map<string, CompiledTool<C, P>>();
	for (const [name, definition] of Object.entries(definitions)) {
		tools.set(name, compileTool(name, definition));
	}
	const listings = [...tools.values()].map((tool) => tool.listing);
	// Without a `params` option, P is McpBearerParams (its default), which bearerParams returns.
	const paramsOf = options.params ?? (bearerParams as (request: Request) => P);

	async function callTool(
		tool: CompiledTool<C, P>,
		args: unknown,
		request: Request,
		signal: AbortSignal,
	): Promise<CallToolResult> {
		const name = tool.listing.name;
		try {
			const issues = unknownProperties(args, tool.jsonSchema);
			const validated = await tool.definition.input["~standard"].validate(args);
			if (validated.issues !== undefined) issues.push(...describeIssues(validated.issues));
			if (issues.length > 0 || validated.issues !== undefined) {
				return invalidArguments(name, issues);
			}
			const result = await tool.definition.call(
				options.client,
				validated.value,
				paramsOf(request),
				{ tool: name, signal },
			);
			return successResult(result);
		} catch (error) {
			if (isActorError(error)) return errorResult(error);
			logger.error("mcp tool failed", { tool: name, error });
			return errorResult(errors.internal());
		}
	}

	/** A server for one HTTP request: `refused` holds the calls whose arguments were quarantined. */
	function serverFor(request: Request, refused: Map<string | number, ArgumentIssue[]>): Server {
		const server = new Server(
			{ name: options.name, version: options.version },
			{ capabilities: { tools: {} } },
		);
		server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listings }));
		server.setRequestHandler(CallToolRequestSchema, (call, extra) => {
			const tool = tools.get(call.params.name);
			if (tool === undefined) {
				throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${call.params.name}`);
			}
			const quarantined = refused.get(extra.requestId);
			if (quarantined !== undefined) return invalidArguments(tool.listing.name, quarantined);
			// Stateless: a `notifications/cancelled` arrives on another HTTP request (and
			// server), so a disconnect of this request is what ends the call.
			const signal = AbortSignal.any([extra.signal, request.signal]);
			return callTool(tool, call.params.arguments ?? {}, request, signal);
		});
		return server;
	}

	return async (request) => {
		if (new URL(request.url).pathname !== path) return undefined;
		// Stateless: no session to resume or delete and no server-initiated stream (GET).
		if (request.method !== "POST") {
			return jsonRpcError(405, HTTP_REFUSAL, "Method not allowed: use POST", {
				allow: "POST",
			});
		}
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
		const text = new TextDecoder().decode(bytes);
		let body: unknown;
		try {
			body = JSON.parse(text);
		} catch {
			return jsonRpcError(400, ErrorCode.ParseError, "Parse error: invalid JSON");
		}
		// JSON.parse keeps `__proto__` as an own key, but the SDK's parsing copies
		// objects by assignment, which would turn it into a prototype: such keys
		// never reach the SDK. In tool arguments they become an error result.
		const refused = quarantineArguments(body);
		if (hasProtoKey(body)) {
			return jsonRpcError(400, ErrorCode.InvalidRequest, "Invalid request: __proto__ key");
		}
		const server = serverFor(request, refused);
		const transport = new WebStandardStreamableHTTPServerTransport({
			sessionIdGenerator: undefined,
			enableJsonResponse: true,
		});
		await server.connect(transport);
		try {
			// With JSON responses, this resolves once every request in the body is answered.
			return await transport.handleRequest(request, { parsedBody: body });
		} finally {
			await server.close();
		}
	};
}

/**
 * Reads a request body of at most `limit` bytes; undefined when it is longer.
 * A longer body is left unread, not cancelled: on Node 20, cancelling a body
 * that `Readable.toWeb` made while data is still arriving throws an uncaught
 * "Controller is already closed"; left alone, Node discards the rest once
 * the (connection-closing) answer is sent.
 */
async function readBodyWithin(request: Request, limit: number): Promise<Uint8Array | undefined> {
	if (Number(request.headers.get("content-length")) > limit) return undefined;
	if (request.body === null) return new Uint8Array(0);
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let total = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		total += value.byteLength;
		if (total > limit) {
			reader.releaseLock();
			return undefined;
		}
		chunks.push(value);
	}
	return concatBytes(...chunks);
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

/** The input JSON Schema a Standard JSON Schema library produces (draft 2020-12, MCP's default). */
function standardJsonSchema(name: string, schema: StandardSchemaV1): Record<string, unknown> {
	const standard: unknown = schema["~standard"];
	const converter = isRecord(standard) ? standard.jsonSchema : undefined;
	if (!isRecord(converter) || typeof converter.input !== "function") {
		throw new Error(
			`mcpHandler: tool "${name}": the input schema has no Standard JSON Schema (~standard.jsonSchema); use a library that has one (zod >= 4.2) or set inputJsonSchema`,
		);
	}
	const jsonSchema: unknown = converter.input({ target: "draft-2020-12" });
	if (!isRecord(jsonSchema)) throw new Error(`mcpHandler: tool "${name}": bad JSON Schema`);
	return jsonSchema;
}

// JSON Schema keywords whose values are schemas: maps of them, lists of them, single ones.
const SCHEMA_MAPS = new Set([
	"properties",
	"patternProperties",
	"$defs",
	"definitions",
	"dependentSchemas",
]);
const SCHEMA_LISTS = new Set(["anyOf", "oneOf", "allOf", "prefixItems"]);
const SCHEMA_VALUES = new Set([
	"items",
	"additionalItems",
	"additionalProperties",
	"unevaluatedProperties",
	"unevaluatedItems",
	"propertyNames",
	"contains",
	"not",
	"if",
	"then",
	"else",
]);

/**
 * A copy of `schema` in which every object that lists `properties` and says
 * nothing about others (`additionalProperties`, `patternProperties`) refuses
 * them, so the published schema says what the handler enforces. Members of
 * an `allOf` stay open: each only lists its share of the properties.
 */
function closeObjects(schema: unknown, inAllOf: boolean): unknown {
	if (Array.isArray(schema)) return schema.map((item) => closeObjects(item, inAllOf));
	if (!isRecord(schema)) return schema;
	const out: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(schema)) {
		if (key === "__proto__") continue;
		if (SCHEMA_MAPS.has(key) && isRecord(value)) {
			const map: Record<string, unknown> = {};
			for (const [name, item] of Object.entries(value)) {
				if (name !== "__proto__") map[name] = closeObjects(item, false);
			}
			out[key] = map;
		} else if (SCHEMA_LISTS.has(key) || SCHEMA_VALUES.has(key)) {
			out[key] = closeObjects(value, key === "allOf");
		} else {
			out[key] = value;
		}
	}
	const open =
		"additionalProperties" in schema ||
		"patternProperties" in schema ||
		"unevaluatedProperties" in schema;
	if (!inAllOf && isRecord(schema.properties) && !open) out.additionalProperties = false;
	return out;
}

/**
 * Properties of `value` that `schema` does not declare, as issues. A key is
 * known when a branch that applies to objects lists it, matches it with
 * `patternProperties`, allows others (`additionalProperties` not false) or
 * says nothing about properties at all. Branches of `anyOf`/`oneOf` are
 * pooled: the Standard Schema then decides which one the value is.
 */
function unknownProperties(value: unknown, root: Record<string, unknown>): ArgumentIssue[] {
	const issues: ArgumentIssue[] = [];
	walkKnown(value, [root], root, "", issues, 0);
	return issues;
}

function walkKnown(
	value: unknown,
	schemas: unknown[],
	root: Record<string, unknown>,
	path: string,
	issues: ArgumentIssue[],
	depth: number,
): void {
	if (typeof value !== "object" || value === null || depth > MAX_ARGUMENT_DEPTH) return;
	const views: Record<string, unknown>[] = [];
	for (const schema of schemas) expandBranches(schema, root, views, 0);
	if (Array.isArray(value)) {
		const arrays = views.filter((view) => admitsType(view, "array"));
		value.forEach((item, index) => {
			const children = arrays.flatMap((view) => itemSchemas(view, index));
			walkKnown(item, children, root, `${path}[${index}]`, issues, depth + 1);
		});
		return;
	}
	const objects = views.filter((view) => admitsType(view, "object"));
	if (objects.length === 0) return;
	for (const [key, item] of Object.entries(value)) {
		const childPath = path === "" ? key : `${path}.${key}`;
		const children: unknown[] = [];
		let known = false;
		for (const view of objects) {
			const found = propertySchemas(view, key);
			if (found === undefined) continue;
			known = true;
			children.push(...found);
		}
		if (!known) {
			if (issues.length < 20)
				issues.push({ message: `Unknown property '${key}'`, path: childPath });
			continue;
		}
		walkKnown(item, children, root, childPath, issues, depth + 1);
	}
}

/** The schemas that apply to property `key` under `view`, or undefined when `view` refuses it. */
function propertySchemas(view: Record<string, unknown>, key: string): unknown[] | undefined {
	const { properties, patternProperties, additionalProperties } = view;
	const declaresKeys = properties !== undefined || patternProperties !== undefined;
	if (isRecord(properties) && Object.hasOwn(properties, key)) return [properties[key]];
	const matched: unknown[] = [];
	if (isRecord(patternProperties)) {
		for (const [pattern, schema] of Object.entries(patternProperties)) {
			if (matchesPattern(pattern, key)) matched.push(schema);
		}
	}
	if (matched.length > 0) return matched;
	if (additionalProperties !== undefined && additionalProperties !== false) {
		return [additionalProperties];
	}
	// A branch that says nothing about properties (`{}`, `{ type: "object" }`) takes any.
	return !declaresKeys && additionalProperties === undefined ? [] : undefined;
}

/** Compiled `patternProperties` patterns (they come from the tools' schemas; null when invalid). */
const patterns = new Map<string, RegExp | null>();

function matchesPattern(pattern: string, key: string): boolean {
	let regex = patterns.get(pattern);
	if (regex === undefined) {
		try {
			regex = new RegExp(pattern, "u");
		} catch {
			regex = null;
		}
		patterns.set(pattern, regex);
	}
	return regex?.test(key) ?? false;
}

/** The schemas of array item `index` under `view` (2020-12 `prefixItems`/`items`, or draft-07 tuples). */
function itemSchemas(view: Record<string, unknown>, index: number): unknown[] {
	const { prefixItems, items, additionalItems } = view;
	if (Array.isArray(prefixItems) && index < prefixItems.length) return [prefixItems[index]];
	if (Array.isArray(items)) return index < items.length ? [items[index]] : [additionalItems];
	return [items];
}

/** True unless `view` has a `type` that excludes `type`. */
function admitsType(view: Record<string, unknown>, type: "object" | "array"): boolean {
	const declared = view.type;
	if (declared === undefined) return true;
	return Array.isArray(declared) ? declared.includes(type) : declared === type;
}

/** Adds `schema` and, flattened, its `$ref` target and `anyOf`/`oneOf`/`allOf` branches to `views`. */
function expandBranches(
	schema: unknown,
	root: Record<string, unknown>,
	views: Record<string, unknown>[],
	hops: number,
): void {
	// Bounded so a `$ref` cycle ends; real schemas nest combinators a few levels at most.
	if (!isRecord(schema) || hops > 32 || views.length > 256) return;
	const branches: unknown[] = [];
	if (typeof schema.$ref === "string") branches.push(resolveRef(schema.$ref, root));
	for (const keyword of ["anyOf", "oneOf", "allOf"]) {
		const list = schema[keyword];
		if (Array.isArray(list)) branches.push(...list);
	}
	// A pure combinator or reference says nothing itself: only its branches count.
	const onlyCombines =
		branches.length > 0 &&
		schema.properties === undefined &&
		schema.patternProperties === undefined &&
		schema.additionalProperties === undefined &&
		schema.items === undefined &&
		schema.prefixItems === undefined;
	if (!onlyCombines) views.push(schema);
	for (const branch of branches) expandBranches(branch, root, views, hops + 1);
}

/** A local `$ref` (`#`, `#/$defs/Name`); anything else resolves to an open schema. */
function resolveRef(ref: string, root: Record<string, unknown>): unknown {
	if (ref === "#") return root;
	if (!ref.startsWith("#/")) return {};
	let node: unknown = root;
	for (const raw of ref.slice(2).split("/")) {
		const segment = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
		if (!isRecord(node) || !Object.hasOwn(node, segment)) return {};
		node = node[segment];
	}
	return node;
}

/**
 * Takes the arguments out of every `tools/call` in `body` that hold a
 * `__proto__` key or nest too deep, and returns those calls' issues by
 * request id (their arguments become `{}` for the SDK, never the actor).
 */
function quarantineArguments(body: unknown): Map<string | number, ArgumentIssue[]> {
	const refused = new Map<string | number, ArgumentIssue[]>();
	for (const message of Array.isArray(body) ? body : [body]) {
		if (!isRecord(message) || message.method !== "tools/call") continue;
		const { id, params } = message;
		if (typeof id !== "string" && typeof id !== "number") continue;
		if (!isRecord(params) || !Object.hasOwn(params, "arguments")) continue;
		const issue = argumentHazard(params.arguments);
		if (issue === undefined) continue;
		refused.set(id, [issue]);
		params.arguments = {};
	}
	return refused;
}

/** A `__proto__` key or nesting beyond MAX_ARGUMENT_DEPTH in `value` (walked without recursion). */
function argumentHazard(value: unknown): ArgumentIssue | undefined {
	const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: "", depth: 0 }];
	for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
		if (typeof next.value !== "object" || next.value === null) continue;
		if (next.depth >= MAX_ARGUMENT_DEPTH) {
			return { message: `Nested deeper than ${MAX_ARGUMENT_DEPTH} levels`, path: next.path };
		}
		for (const [key, item] of Object.entries(next.value)) {
			const path = next.path === "" ? key : `${next.path}.${key}`;
			if (key === "__proto__") return { message: "A __proto__ key is not allowed", path };
			stack.push({ value: item, path, depth: next.depth + 1 });
		}
	}
	return undefined;
}

/** True when a `__proto__` own key occurs anywhere in `value` (walked without recursion). */
function hasProtoKey(value: unknown): boolean {
	const stack: unknown[] = [value];
	for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
		if (typeof next !== "object" || next === null) continue;
		for (const [key, item] of Object.entries(next)) {
			if (key === "__proto__") return true;
			stack.push(item);
		}
	}
	return false;
}

function successResult(value: unknown): CallToolResult {
	const json = toJsonValue(value, 0) ?? null;
	return {
		content: [{ type: "text", text: JSON.stringify(json) }],
		structuredContent: isRecord(json) ? json : { result: json },
	};
}

function invalidArguments(tool: string, issues: ReadonlyArray<ArgumentIssue>): CallToolResult {
	const lines = issues.map(
		(issue) => `\n- ${issue.path === "" ? "(input)" : issue.path}: ${issue.message}`,
	);
	return {
		isError: true,
		content: [
			{
				type: "text",
				text: `request/invalid_args: Invalid arguments for tool '${tool}'${lines.join("")}`,
			},
		],
	};
}

function errorResult(error: ActorError | ActorErrorLike): CallToolResult {
	let text = `${error.group}/${error.code}: ${error.message}`;
	if (error.metadata !== undefined) {
		const metadata = JSON.stringify(toJsonValue(error.metadata, 0) ?? null);
		text += `\n${metadata.length > 2_000 ? `${metadata.slice(0, 2_000)}…` : metadata}`;
	}
	return { isError: true, content: [{ type: "text", text }] };
}

/** An ActorError, also from another copy of Tenon's client (so not `instanceof`). */
interface ActorErrorLike extends Error {
	readonly group: string;
	readonly code: string;
	readonly metadata?: unknown;
}

function isActorError(error: unknown): error is ActorErrorLike {
	if (error instanceof ActorError) return true;
	return (
		error instanceof Error &&
		typeof (error as Partial<ActorErrorLike>).group === "string" &&
		typeof (error as Partial<ActorErrorLike>).code === "string"
	);
}

/**
 * A value as JSON a model can read: bigints as decimal strings, bytes as
 * base64, Dates as ISO strings, Maps as objects, Sets as arrays; undefined,
 * functions and symbols are left out (null inside arrays).
 */
function toJsonValue(value: unknown, depth: number): unknown {
	switch (typeof value) {
		case "string":
		case "boolean":
			return value;
		case "number":
			return Number.isFinite(value) ? value : null;
		case "bigint":
			return value.toString();
		case "undefined":
		case "function":
		case "symbol":
			return undefined;
		case "object":
			break;
	}
	if (value === null) return null;
	if (depth > MAX_RESULT_DEPTH) throw new Error(`result nested deeper than ${MAX_RESULT_DEPTH}`);
	const items = (list: Iterable<unknown>) =>
		Array.from(list, (item) => toJsonValue(item, depth + 1) ?? null);
	if (Array.isArray(value) || value instanceof Set) return items(value);
	if (value instanceof Uint8Array) return bytesToBase64(value);
	if (value instanceof ArrayBuffer) return bytesToBase64(new Uint8Array(value));
	if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
	const entries = value instanceof Map ? [...value] : Object.entries(value);
	const out: Record<string, unknown> = {};
	for (const [key, item] of entries) {
		const name = String(key);
		const json = toJsonValue(item, depth + 1);
		if (name !== "__proto__" && json !== undefined) out[name] = json;
	}
	return out;
}

/** A JSON-RPC error response outside any request (id null), as the SDK's transport writes them. */
function jsonRpcError(
	status: number,
	code: number,
	message: string,
	headers: Record<string, string> = {},
): Response {
	return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
		status,
		headers: { "content-type": "application/json", ...headers },
	});
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}
