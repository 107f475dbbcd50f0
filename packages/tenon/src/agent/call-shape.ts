// A model's tool calls made fit to journal and to pair with their results: text well
// formed, ids unique. Pure functions of the calls (turn.ts uses them).
import type { ToolCallRequest } from "./model.js";

/**
 * `call` with its id, name and arguments made well formed (half of a
 * surrogate pair as U+FFFD): the journal refuses such text, and a model's
 * call holding one failed the conversation's workflow, so no later prompt
 * ran, even after a restart (an attacker probe, 2026-11-27). A field that is
 * not a string is left to the checks that refuse it.
 */
export function wellFormedCall(call: ToolCallRequest): ToolCallRequest {
	// Not even an object (a ChatModel's bug): a call of nothing, refused by the budget's check.
	if (typeof call !== "object" || call === null) return {} as ToolCallRequest;
	const { id, name, arguments: text } = call;
	if (isWellFormedText(id) && isWellFormedText(name) && isWellFormedText(text)) return call;
	return {
		...call,
		id: wellFormedText(id),
		name: wellFormedText(name),
		arguments: wellFormedText(text),
	};
}

const isWellFormedText = (value: unknown) => typeof value !== "string" || value.isWellFormed();
const wellFormedText = <T>(value: T): T =>
	(typeof value === "string" ? value.toWellFormed() : value) as T;

/**
 * The calls with ids made unique (a later one given an id already used gets
 * `~2`, `~3`...): the model's history pairs each result with its call by id,
 * and a second call named like the first lost its result there.
 */
export function uniqueIds(calls: ToolCallRequest[]): ToolCallRequest[] {
	const used = new Set<string>();
	return calls.map((call) => {
		let id = call.id;
		for (let n = 2; used.has(id); n++) id = `${call.id}~${n}`;
		used.add(id);
		return id === call.id ? call : { ...call, id };
	});
}
