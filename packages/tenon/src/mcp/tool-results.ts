// What a tool call answers: the action's output as JSON a model can read, or
// an error result (Tenon's group/code, message and metadata, each cut to
// 2,000 characters).

import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { cutText } from "../common/text-cut.js";
import { bytesToBase64 } from "../protocol/bytes.js";
import { ActorError, errors } from "../protocol/errors.js";
import { type ArgumentIssue, isRecord } from "./tool-arguments.js";

/** How deep a result may nest when it is turned into JSON (Tenon's plain-data limit). */
const MAX_RESULT_DEPTH = 512;

/**
 * The result of tool `tool`: its JSON text, and the same as structured
 * content. Past `maxBytes` of JSON text, an error result instead: a result
 * is sent twice (text and structured), and a batch of ten calls whose
 * actions returned 5 MB each made a 100 MB answer, and 760 MB of memory,
 * from one small request (an attacker probe, 2026-11-26).
 */
export function successResult(value: unknown, tool: string, maxBytes: number): CallToolResult {
	const json = toJsonValue(value, 0) ?? null;
	const text = JSON.stringify(json);
	// A UTF-16 unit is one to three UTF-8 bytes: the text is encoded only when its length leaves doubt.
	if (text.length > maxBytes || (text.length * 3 > maxBytes && utf8Length(text) > maxBytes))
		return errorResult(errors.outgoingTooLong(`The result of tool '${tool}'`, maxBytes));
	return {
		content: [{ type: "text", text }],
		structuredContent: isRecord(json) ? json : { result: json },
	};
}

function utf8Length(text: string): number {
	return new TextEncoder().encode(text).byteLength;
}

export function invalidArguments(
	tool: string,
	issues: ReadonlyArray<ArgumentIssue>,
): CallToolResult {
	// Cut: a path and a message can quote the caller's keys (20 unknown keys of 12,000
	// characters came back twice each, 480 KB, a probe, 2026-11-29).
	const clip = (text: string) => (text.length > 200 ? `${cutText(text, 200)}…` : text);
	const lines = issues.map(
		(issue) => `\n- ${issue.path === "" ? "(input)" : clip(issue.path)}: ${clip(issue.message)}`,
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

/** The most of an error's message, and of its metadata's JSON, an error result shows. */
const MAX_ERROR_TEXT = 2_000;

/** `text` cut to {@link MAX_ERROR_TEXT} (never inside a surrogate pair), marked when cut. */
const shown = (text: string) =>
	text.length > MAX_ERROR_TEXT ? `${cutText(text, MAX_ERROR_TEXT)}…` : cutText(text);

/**
 * An actor's error as a tool's error result: its message and metadata cut
 * alike (a 200 KB message an action's UserError echoed from its input came
 * back whole to the agent's model before 2026-11-27, while the metadata was cut).
 */
export function errorResult(error: ActorError | ActorErrorLike): CallToolResult {
	let text = `${error.group}/${error.code}: ${shown(error.message)}`;
	if (error.metadata !== undefined)
		text += `\n${shown(JSON.stringify(toJsonValue(error.metadata, 0) ?? null))}`;
	return { isError: true, content: [{ type: "text", text }] };
}

/** An ActorError, also from another copy of Tenon's client (so not `instanceof`). */
interface ActorErrorLike extends Error {
	readonly group: string;
	readonly code: string;
	readonly metadata?: unknown;
}

export function isActorError(error: unknown): error is ActorErrorLike {
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
