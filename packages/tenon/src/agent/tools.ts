import { describeIssues, type StandardSchemaV1 } from "../actor/schema.js";
import type { Client } from "../client/types.js";
import { findNotPlain } from "../protocol/plain-data.js";
import type { ModelTool } from "./model.js";
import { type Redactor, redactedCut } from "./redact.js";

/** How much harm a tool call can do: `high` calls wait for a person's confirmation. */
export type ToolRisk = "low" | "high";

/** Who asked, as the actor established it (never what the model says). */
export interface Requester {
	/** A stable id of the user (from `identify`, i.e. from the connection's verified state). */
	readonly id: string;
	readonly [field: string]: unknown;
}

/** What a tool call runs with: identity from the actor and the connection that started the turn. */
export interface ToolContext {
	/** The conversation actor's id. */
	readonly actorId: string;
	/** The conversation's key. */
	readonly conversation: readonly string[];
	/** The user whose prompt started this turn. */
	readonly requester: Requester;
	/** Aborted when the turn is stopped or the tool's time is up. */
	readonly signal: AbortSignal;
	/**
	 * A client for other actors (`c.client()` of the agent): act on the
	 * requester's behalf with credentials the server makes for them, never
	 * with anything the model wrote.
	 */
	client<R>(): Client<R>;
}

/** A tool an agent's model may call. */
export interface AgentTool<Input = unknown> {
	readonly name: string;
	/** What the model reads to decide when to call it. */
	readonly description: string;
	/**
	 * The arguments, checked before the tool runs (make it strict: extra
	 * properties refused). Its JSON Schema (Standard JSON Schema, e.g. zod 4)
	 * is what the model sees, unless `jsonSchema` is given.
	 */
	readonly input: StandardSchemaV1<unknown, Input>;
	readonly jsonSchema?: object;
	/** `high`: the call waits for a confirmation from an authorized connection. Default `low`. */
	readonly risk?: ToolRisk;
	/** Longest a call may run (ms). Default 30 000. */
	readonly timeoutMs?: number;
	/**
	 * Runs the call. Its result goes back to the model as JSON text (a string
	 * as it is; a Map, Set, BigInt or cycle written out faithfully), redacted
	 * and capped at `maxToolResultChars`.
	 */
	execute(input: Input, context: ToolContext): unknown | Promise<unknown>;
}

/**
 * Defines a tool (identity for typing: the input type comes from the schema).
 *
 * @example
 * const refund = defineTool({
 *   name: "refund_order",
 *   description: "Refund an order of the signed-in user",
 *   input: z.object({ orderId: z.string() }).strict(),
 *   risk: "high",
 *   execute: ({ orderId }, { requester }) => orders.refund(requester.id, orderId),
 * });
 */
export function defineTool<Input>(tool: AgentTool<Input>): AgentTool<Input> {
	if (!/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name))
		throw new Error(`tool name '${tool.name}' must be 1-64 characters of a-z, A-Z, 0-9, _ or -`);
	return tool;
}

/** The JSON Schema the model sees for a tool. */
export function toolJsonSchema(tool: AgentTool<unknown>): object {
	if (tool.jsonSchema !== undefined) return tool.jsonSchema;
	const standard = (
		tool.input["~standard"] as { jsonSchema?: { input(options: { target: string }): object } }
	).jsonSchema;
	if (standard === undefined)
		throw new Error(
			`tool '${tool.name}': its schema has no JSON Schema (Standard JSON Schema); give jsonSchema`,
		);
	const schema = { ...standard.input({ target: "draft-2020-12" }) } as Record<string, unknown>;
	delete schema.$schema;
	return schema;
}

/** The tools as the model sees them. */
export function modelTools(tools: readonly AgentTool<unknown>[]): ModelTool[] {
	return tools.map((tool) => ({
		name: tool.name,
		description: tool.description,
		parameters: toolJsonSchema(tool),
	}));
}

/**
 * A name the model wrote, as a refusal quotes it: controls and format characters (bidi
 * overrides, zero-width ones) as `\u{…}`. Quoted as written, `"\u202Eteled"` showed as
 * `delete` in the transcript and the inspector (an attacker probe, 2026-11-28).
 */
function shownName(name: string): string {
	return name.replace(
		/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu,
		(char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`,
	);
}

/** The outcome of checking a model's tool call. */
export type CheckedCall =
	| { ok: true; tool: AgentTool<unknown>; input: unknown }
	| { ok: false; error: string };

/**
 * Checks a tool call as the model wrote it: a known tool, arguments that
 * are a JSON object (no `__proto__`, plain data), that pass the tool's
 * schema. Anything else is refused with a reason the model reads. Give the
 * `redactor` that the reason will go through: text quoted from the call (a
 * tool's name, a schema's issues) is redacted before it is cut.
 */
export async function checkToolCall(
	tools: readonly AgentTool<unknown>[],
	name: string,
	rawArguments: string,
	redactor?: Redactor,
): Promise<CheckedCall> {
	const tool = tools.find((candidate) => candidate.name === name);
	if (tool === undefined)
		return { ok: false, error: `no tool named '${shownName(redactedCut(name, redactor, 64))}'` };
	let parsed: unknown;
	try {
		parsed = JSON.parse(rawArguments === "" ? "{}" : rawArguments, (key, value) => {
			if (key === "__proto__") throw PROTO_KEY;
			return value;
		});
	} catch (error) {
		// Not JSON.parse's message: V8 quotes the text around the fault in it, which
		// showed part of a secret there (an attacker probe, 2026-11-28).
		return {
			ok: false,
			error:
				error === PROTO_KEY
					? "arguments are not valid JSON (a '__proto__' key)"
					: "arguments are not valid JSON",
		};
	}
	if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
		return { ok: false, error: "arguments must be a JSON object" };
	const notPlain = findNotPlain(parsed, "arguments");
	if (notPlain !== undefined) return { ok: false, error: `${notPlain.path} is ${notPlain.what}` };
	const result = await tool.input["~standard"].validate(parsed);
	if (result.issues)
		return {
			ok: false,
			error: `invalid arguments: ${redactedCut(issuesText(result.issues), redactor, 2_000)}`,
		};
	return { ok: true, tool, input: result.value };
}

/** What a `__proto__` key in a call's arguments throws out of `JSON.parse`. */
const PROTO_KEY = new SyntaxError("a '__proto__' key");

/**
 * A schema's issues as the model reads them, `path: message` joined by `; `:
 * as JSON inside the result's JSON they reached the model escaped three
 * times (`[{\\"message\\"...`, a docs walkthrough, 2026-11-28).
 */
function issuesText(issues: Parameters<typeof describeIssues>[0]): string {
	return describeIssues(issues)
		.map(({ path, message }) => (path === "" ? message : `${path}: ${message}`))
		.join("; ");
}
