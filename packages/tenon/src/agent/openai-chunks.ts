// OpenAI `chat.completion.chunk` payloads folded into model events, with
// every field of the server's JSON checked (it is untrusted input).

import { cutBeforeWord, cutText } from "../common/text-cut.js";
import { ModelError, type ModelEvent } from "./model.js";

/** The limits a stream's chunks are held to. */
export interface ChunkLimits {
	readonly maxOutputBytes: number;
	readonly maxToolCalls: number;
}

interface PartialToolCall {
	id: string;
	name: string;
	arguments: string[];
}

/** Folds `chat.completion.chunk` payloads into events. */
export class CompletionState {
	readonly #settings: ChunkLimits;
	#outputBytes = 0;
	readonly #calls = new Map<number, PartialToolCall>();
	#lastCallIndex: number | undefined;
	#highestCallIndex = -1;
	/** `undefined` until the choice finishes. */
	finishReason: string | undefined;
	usage: { promptTokens: number; completionTokens: number } | undefined;
	sawDone = false;

	constructor(settings: ChunkLimits) {
		this.#settings = settings;
	}

	/** True once the answer is complete: the choice finished or `[DONE]` arrived. */
	get finished(): boolean {
		return this.finishReason !== undefined || this.sawDone;
	}

	/** Handles one SSE `data` payload, queueing the events it completes. */
	accept(data: string, out: ModelEvent[]): void {
		if (data.trim() === "[DONE]") {
			this.sawDone = true;
			this.#flushCalls(out);
			return;
		}
		const chunk = parseUntrusted(data);
		if (!isRecord(chunk)) throw badStream("a stream chunk is not a JSON object");
		const error = own(chunk, "error");
		if (error !== undefined && error !== null)
			throw badStream(
				`the server reported an error mid-stream: ${cutBeforeWord(errorText(error), 2_000)}`,
			);
		this.#acceptUsage(own(chunk, "usage"));
		const choices = own(chunk, "choices");
		if (choices === undefined || choices === null) return;
		if (!Array.isArray(choices)) throw badStream("`choices` is not an array");
		for (const choice of choices) {
			if (!isRecord(choice)) throw badStream("a choice is not an object");
			const index = own(choice, "index");
			// Only the first choice is asked for; others (n > 1) are ignored.
			if (index === undefined || index === 0) this.#acceptChoice(choice, out);
		}
	}

	#acceptChoice(choice: Record<string, unknown>, out: ModelEvent[]): void {
		if (this.finishReason !== undefined) return;
		const delta = own(choice, "delta");
		if (delta !== undefined && delta !== null) {
			if (!isRecord(delta)) throw badStream("`delta` is not an object");
			const content = optionalString(delta, "content", "delta.content");
			if (content !== undefined && content !== "") {
				this.#count(content);
				out.push({ type: "text", delta: content });
			}
			const toolCalls = own(delta, "tool_calls");
			if (toolCalls !== undefined && toolCalls !== null) {
				if (!Array.isArray(toolCalls)) throw badStream("`delta.tool_calls` is not an array");
				for (const fragment of toolCalls) this.#acceptToolFragment(fragment);
			}
		}
		const finishReason = optionalString(choice, "finish_reason", "finish_reason");
		if (finishReason !== undefined) {
			this.finishReason = finishReason;
			this.#flushCalls(out);
		}
	}

	#acceptToolFragment(fragment: unknown): void {
		if (!isRecord(fragment)) throw badStream("a tool call fragment is not an object");
		const id = optionalString(fragment, "id", "tool_calls[].id");
		const fn = own(fragment, "function");
		if (fn !== undefined && fn !== null && !isRecord(fn))
			throw badStream("`tool_calls[].function` is not an object");
		const name = isRecord(fn) ? optionalString(fn, "name", "function.name") : undefined;
		const args = isRecord(fn) ? optionalString(fn, "arguments", "function.arguments") : undefined;
		const index = this.#fragmentIndex(own(fragment, "index"), id);
		let call = this.#calls.get(index);
		if (call === undefined) {
			if (this.#calls.size >= this.#settings.maxToolCalls)
				throw new ModelError(
					"model_output_too_large",
					`The model asked for more than ${this.#settings.maxToolCalls} tool calls`,
					{ limit: this.#settings.maxToolCalls },
				);
			call = { id: "", name: "", arguments: [] };
			this.#calls.set(index, call);
		}
		this.#lastCallIndex = index;
		this.#highestCallIndex = Math.max(this.#highestCallIndex, index);
		// The id and name come in the first fragment; some servers repeat them later.
		if (id !== undefined && call.id === "") {
			this.#count(id);
			call.id = id;
		}
		if (name !== undefined && call.name === "") {
			this.#count(name);
			call.name = name;
		}
		if (args !== undefined && args !== "") {
			this.#count(args);
			call.arguments.push(args);
		}
	}

	/** The call a fragment belongs to. */
	#fragmentIndex(index: unknown, id: string | undefined): number {
		if (typeof index === "number") {
			if (!Number.isSafeInteger(index) || index < 0)
				throw badStream("`tool_calls[].index` is not a non-negative integer");
			return index;
		}
		if (index !== undefined && index !== null)
			throw badStream("`tool_calls[].index` is not a number");
		// Some OpenAI-compatible servers leave `index` out: a fragment then
		// continues the previous call unless it brings a new id.
		if (this.#lastCallIndex === undefined) return 0;
		const last = this.#calls.get(this.#lastCallIndex);
		if (id !== undefined && id !== "" && last !== undefined && last.id !== "" && last.id !== id)
			return this.#highestCallIndex + 1;
		return this.#lastCallIndex;
	}

	#flushCalls(out: ModelEvent[]): void {
		const indexes = [...this.#calls.keys()].sort((a, b) => a - b);
		for (const index of indexes) {
			const call = this.#calls.get(index);
			if (call === undefined) continue;
			if (call.id === "" || call.name === "")
				throw badStream(`tool call ${index} came without an id or a function name`);
			out.push({
				type: "tool_call",
				call: { id: call.id, name: call.name, arguments: call.arguments.join("") },
			});
		}
		this.#calls.clear();
		this.#lastCallIndex = undefined;
	}

	#acceptUsage(usage: unknown): void {
		// Usage is informative only, so a malformed one is ignored rather than fatal.
		if (!isRecord(usage)) return;
		const promptTokens = own(usage, "prompt_tokens");
		const completionTokens = own(usage, "completion_tokens");
		if (isCount(promptTokens) && isCount(completionTokens))
			this.usage = { promptTokens, completionTokens };
	}

	#count(text: string): void {
		this.#outputBytes += utf8.encode(text).byteLength;
		if (this.#outputBytes > this.#settings.maxOutputBytes)
			throw new ModelError(
				"model_output_too_large",
				`The model's output exceeds ${this.#settings.maxOutputBytes} bytes`,
				{ limit: this.#settings.maxOutputBytes },
			);
	}
}

const utf8 = new TextEncoder();

/** JSON.parse for server data: bad JSON is a `model_bad_stream`, `__proto__` keys are dropped. */
export function parseUntrusted(text: string): unknown {
	try {
		return JSON.parse(text, dropProtoKeys);
	} catch {
		throw badStream(`a chunk is not valid JSON: ${preview(text)}`);
	}
}

/** A JSON.parse reviver that removes every `__proto__` key. */
export function dropProtoKeys(key: string, value: unknown): unknown {
	return key === "__proto__" ? undefined : value;
}

/** Reads an own property only, so nothing from a prototype ever counts as server data. */
function own(record: Record<string, unknown>, key: string): unknown {
	return Object.hasOwn(record, key) ? record[key] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
	return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** A string field that may be absent or null; any other type is a bad stream. */
function optionalString(
	record: Record<string, unknown>,
	key: string,
	label: string,
): string | undefined {
	const value = own(record, key);
	if (value === undefined || value === null) return undefined;
	if (typeof value !== "string") throw badStream(`\`${label}\` is not a string`);
	return value;
}

export function badStream(reason: string): ModelError {
	return new ModelError("model_bad_stream", `The model stream is malformed: ${reason}`);
}

/** The message of an OpenAI-style `{ error: { message } }` (or `{ message }`, or a string). */
export function errorText(value: unknown): string {
	let current = value;
	// A few levels cover every real shape; a loop (not recursion) keeps a
	// deeply nested hostile body from exhausting the stack.
	for (let depth = 0; depth < 4; depth++) {
		if (typeof current === "string") return current;
		if (!isRecord(current)) break;
		const message = own(current, "message");
		if (typeof message === "string") return message;
		const error = own(current, "error");
		if (error === undefined || error === null) break;
		current = error;
	}
	// Not JSON.stringify: it recurses, and the value may be nested without limit.
	return typeof current === "object" && current !== null ? "(no message)" : String(current);
}

/** Server text shortened and flattened to one line, for an error message. */
export function preview(text: string): string {
	const flat = text.replace(/\s+/g, " ").trim();
	// Before a word: redacted later, a key the cut crossed would show its head.
	return flat.length > 500 ? `${cutBeforeWord(flat, 500)}...` : cutText(flat);
}
