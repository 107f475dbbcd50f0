// Requests whose params are not their method's, answered with JSON-RPC's
// "Invalid params" (-32602) naming the problem. Left to the SDK, they got
// -32603, "Internal error", with its whole list of schema issues as the
// message. Each such request is made a `ping`, which the handler's server
// answers with the problem recorded here.

import {
	CallToolRequestSchema,
	InitializeRequestSchema,
	ListToolsRequestSchema,
	PingRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { cutText } from "../common/text-cut.js";
import { isRecord } from "./tool-arguments.js";

/**
 * The `tools/call` requests in `body` whose params are not a tool call's (no
 * params, a name that is not a string, arguments that are not an object, a
 * task: tools do not run as tasks here), by request id; each is made a
 * `ping` that is answered with JSON-RPC's "Invalid params" (-32602). The SDK
 * answered them -32603, "Internal error", with its whole list of schema issues.
 */
export function malformedCalls(body: unknown): Map<string | number, string> {
	const malformed = new Map<string | number, string>();
	for (const message of Array.isArray(body) ? body : [body]) {
		if (!isRecord(message) || message.method !== "tools/call") continue;
		const { id, params } = message;
		if (typeof id !== "string" && typeof id !== "number") continue;
		const problem = !isRecord(params)
			? "Invalid params: a tool call's params are an object"
			: typeof params.name !== "string"
				? "Invalid params: the tool's name is a string"
				: params.arguments !== undefined && !isRecord(params.arguments)
					? "Invalid params: a tool call's arguments are an object"
					: params.task !== undefined
						? "Invalid params: this server does not run tool calls as tasks"
						: undefined;
		if (problem !== undefined) answerInvalidParams(message, id, problem, malformed);
	}
	return malformed;
}

/** Methods a batch may ask once: their answers are large beside the request (the tool list). */
const ONCE_PER_BATCH = new Set(["tools/list", "initialize"]);

/**
 * Each `tools/list` and `initialize` in `body` after the first of its method: answered "Invalid
 * params". A batch of 100 `tools/list` (4.8 KB) was answered with the list 100 times (578 KB),
 * and one address drew 334 MB out of 3 MB in within 5 s: a batch is one request to the rate
 * limits (an attacker probe, 2026-11-29). Tool calls have their own share (request-bounds.ts).
 */
export function repeatedRequests(body: unknown, malformed: Map<string | number, string>): void {
	if (!Array.isArray(body)) return;
	const seen = new Set<string>();
	for (const message of body) {
		if (!isRecord(message) || typeof message.method !== "string") continue;
		const { id, method } = message;
		if (typeof id !== "string" && typeof id !== "number") continue;
		if (!ONCE_PER_BATCH.has(method) || malformed.has(id)) continue;
		if (!seen.has(method)) {
			seen.add(method);
			continue;
		}
		answerInvalidParams(message, id, `Invalid params: one ${method} per batch`, malformed);
	}
}

/** The SDK's schema of each request this server answers, by method. */
const REQUEST_SCHEMAS = new Map<string, { safeParse(value: unknown): SchemaCheck }>([
	["initialize", InitializeRequestSchema],
	["ping", PingRequestSchema],
	["tools/list", ListToolsRequestSchema],
	["tools/call", CallToolRequestSchema],
]);

type SchemaCheck =
	| { success: true }
	| { success: false; error: { issues: readonly { path: PropertyKey[]; message: string }[] } };

/**
 * Requests in `body` whose params do not fit their method's schema (a
 * `cursor` that is not a string, an `initialize` without its fields) are
 * answered "Invalid params" (-32602), naming the first issue: the SDK
 * answered them -32603, "Internal error", with its whole list of schema
 * issues as the message (an attacker probe, 2026-11-26).
 */
export function invalidParams(body: unknown, malformed: Map<string | number, string>): void {
	for (const message of Array.isArray(body) ? body : [body]) {
		if (!isRecord(message) || typeof message.method !== "string") continue;
		const { id } = message;
		if (typeof id !== "string" && typeof id !== "number") continue;
		const schema = REQUEST_SCHEMAS.get(message.method);
		if (schema === undefined || malformed.has(id)) continue;
		const checked = schema.safeParse(message);
		if (checked.success) continue;
		const [issue] = checked.error.issues;
		const where = issue === undefined ? "" : `${issue.path.map(String).join(".")}: `;
		const problem = `Invalid params: ${cutText(`${where}${issue?.message ?? "not this method's"}`, 200)}`;
		answerInvalidParams(message, id, problem, malformed);
	}
}

/**
 * Makes `message` a `ping` that the server answers "Invalid params" with
 * `problem` (one handler answers them all, whatever their method was).
 */
function answerInvalidParams(
	message: Record<string, unknown>,
	id: string | number,
	problem: string,
	malformed: Map<string | number, string>,
): void {
	malformed.set(id, problem);
	message.method = "ping";
	delete message.params;
}
