import type { ToolCallRequest } from "./model.js";
import { type Redactor, redactedCut } from "./redact.js";

/**
 * What one answer of the model may hold: its text and its tool calls
 * (arguments, ids and names) together at most `max` characters. An answer
 * is stored as one transcript message and sent as one `message` event, so it
 * must fit what a connection carries (`maxOutgoingMessageBytes`, 1 MiB by
 * default, where a character may take up to six bytes of JSON). A model's
 * 1 MiB answer, or a hundred tool calls of 16 KB, was never sent and made
 * `history` fail for every participant (a review, 2026-11-26).
 *
 * The text stops at the budget (the answer is `truncated`); a tool call
 * past it is kept without its arguments, and does not run.
 */
export class AnswerBudget {
	#calls = 0;
	/** Calls kept without their arguments, and why they do not run. */
	readonly #refused = new WeakMap<ToolCallRequest, string>();

	/**
	 * `redactor`: what the answer's calls go through. A call kept without its
	 * arguments has its id and name cut; they are redacted before (cut
	 * first, a secret the cut crossed showed its head: an attacker probe,
	 * 2026-11-28).
	 */
	constructor(
		readonly max: number,
		readonly redactor?: Redactor,
	) {}

	/** Characters the answer's tool calls kept so far take. */
	get callChars(): number {
		return this.#calls;
	}

	/**
	 * What of `text` fits after `length` characters of the answer's text and
	 * the calls kept so far: cut never inside a surrogate pair (an emoji) nor
	 * inside a `[redacted]` marker (a review, 2026-11-26).
	 */
	textRoom(text: string, length: number): string {
		let room = this.max - length - this.#calls;
		if (room >= text.length) return text;
		if (room <= 0) return "";
		const code = text.charCodeAt(room - 1);
		if (code >= 0xd800 && code <= 0xdbff) room--;
		const marker = text.lastIndexOf(REDACTED, room - 1);
		if (marker !== -1 && marker + REDACTED.length > room) room = marker;
		return text.slice(0, room);
	}

	/**
	 * The call as the answer keeps it, after `textLength` characters of text:
	 * within the budget as it came; past it, shortened, its arguments dropped.
	 */
	call(call: ToolCallRequest, textLength: number): ToolCallRequest {
		// Any ChatModel's (a user's adapter): a field that is not text is refused as such.
		const notText = FIELDS.filter((field) => typeof call[field] !== "string");
		if (notText.length > 0) {
			const kept = keptWithout(call, this.redactor);
			const were = notText.length === 1 && notText[0] !== "arguments" ? "was" : "were";
			this.#refused.set(kept, `its ${listed(notText)} ${were} not text`);
			return kept;
		}
		const size = call.id.length + call.name.length + call.arguments.length;
		if (textLength + this.#calls + size <= this.max) {
			this.#calls += size;
			return call;
		}
		const kept = keptWithout(call, this.redactor);
		// Named by what was long: a long name's call was said to have too long arguments.
		// None: the answer's text (and calls before it) filled the budget first.
		const long = FIELDS.filter((field) => call[field].length > KEPT_LENGTH[field]);
		this.#refused.set(
			kept,
			long.length === 0
				? `it did not fit the answer's ${this.max} characters, after the answer's text and calls`
				: `its ${listed(long)} did not fit the answer's ${this.max} characters (not kept)`,
		);
		return kept;
	}

	/** Why `call` does not run, if {@link call} kept it without its arguments. */
	refusal(call: ToolCallRequest): string | undefined {
		return this.#refused.get(call);
	}
}

const REDACTED = "[redacted]";
/** The most of each field a call kept without its arguments keeps ("{}" for the arguments). */
const KEPT_LENGTH = { id: 64, name: 128, arguments: 2 } as const;

const FIELDS = ["id", "name", "arguments"] as const;

/** `call` as an answer keeps a call that does not run: id and name redacted and cut, no arguments. */
function keptWithout(call: ToolCallRequest, redactor: Redactor | undefined): ToolCallRequest {
	const text = (value: unknown, max: number) =>
		typeof value === "string" ? redactedCut(value, redactor, max) : "";
	return {
		id: text(call.id, KEPT_LENGTH.id),
		name: text(call.name, KEPT_LENGTH.name),
		arguments: "{}",
	};
}

/** `["id", "name", "arguments"]` as "id, name and arguments". */
function listed(fields: readonly string[]): string {
	return fields.length < 2
		? (fields[0] ?? "")
		: `${fields.slice(0, -1).join(", ")} and ${fields.at(-1)}`;
}
