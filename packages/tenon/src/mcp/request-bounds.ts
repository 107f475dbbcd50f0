// How much an MCP request body may hold once parsed: tool calls per request,
// values in their arguments, and the size and depth of everything else. A
// call past its share is quarantined (answered as a tool error); a request
// past its envelope's bounds is refused whole.

import { cutText } from "../common/text-cut.js";
import {
	type ArgumentIssue,
	argumentHazard,
	isRecord,
	MAX_ARGUMENT_VALUES,
	MAX_ENVELOPE_DEPTH,
	MAX_ENVELOPE_VALUES,
	walkValues,
} from "./tool-arguments.js";

/** Tool calls one HTTP request (a JSON-RPC batch) may carry; the rest are refused. */
export const MAX_CALLS_PER_REQUEST = 10;

/**
 * Takes the arguments out of every `tools/call` in `body` that hold a
 * `__proto__` key, nest too deep or pass the request's share of values, and
 * returns those calls' issues by request id (their arguments become `{}` for
 * the SDK, never the actor), and the arguments it walked and left in place.
 */
export function quarantineArguments(body: unknown): {
	refused: Map<string | number, ArgumentIssue[]>;
	checked: Set<unknown>;
} {
	const refused = new Map<string | number, ArgumentIssue[]>();
	const checked = new Set<unknown>();
	let calls = 0;
	// Every value walked counts, refused or not: each call's walk stops at what is left.
	let left = MAX_ARGUMENT_VALUES;
	for (const message of Array.isArray(body) ? body : [body]) {
		if (!isRecord(message) || message.method !== "tools/call") continue;
		const { id, params } = message;
		if (typeof id !== "string" && typeof id !== "number") continue;
		if (!isRecord(params)) continue;
		// A batch is one request to the rate limits: past a few calls, it multiplied them
		// (an attacker probe ran an action 400 times where 4 requests were allowed).
		if (++calls > MAX_CALLS_PER_REQUEST) {
			refused.set(id, [
				{ message: `At most ${MAX_CALLS_PER_REQUEST} tool calls in one request`, path: "" },
			]);
			params.arguments = {};
			continue;
		}
		if (!Object.hasOwn(params, "arguments")) continue;
		const { issue, values } = argumentHazard(params.arguments, left);
		left = Math.max(0, left - values);
		if (issue === undefined) {
			checked.add(params.arguments);
			continue;
		}
		refused.set(id, [issue]);
		params.arguments = {};
	}
	return { refused, checked };
}

/**
 * Why the rest of `body` (all but the tool arguments in `checked`, which
 * {@link quarantineArguments} walked already) is refused, as the message of
 * an "Invalid request" answer; undefined when it stays within
 * `MAX_ENVELOPE_VALUES` values, `MAX_ENVELOPE_DEPTH` levels and holds no
 * `__proto__` key. That rest is small in MCP; large or deep, it blocked the
 * loop for 0.3 to 0.6 s without a token before any check refused it (an
 * attacker probe, 2026-11-26).
 */
export function envelopeProblem(body: unknown, checked: Set<unknown>): string | undefined {
	const envelope = walkValues(body, {
		maxValues: MAX_ENVELOPE_VALUES,
		maxDepth: MAX_ENVELOPE_DEPTH,
		skip: checked,
	}).issue;
	if (envelope === undefined) return undefined;
	const where = envelope.path === "" ? "" : ` (at ${cutText(envelope.path, 200)})`;
	return envelope.message.startsWith("A __proto__")
		? "Invalid request: __proto__ key"
		: `Invalid request: ${envelope.message} outside tool arguments${where}`;
}
