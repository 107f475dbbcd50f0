import type { ToolCallRequest } from "./model.js";

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
	readonly #over = new WeakSet<ToolCallRequest>();

	constructor(readonly max: number) {}

	/** What of `text` fits after `length` characters of the answer's text. */
	textRoom(text: string, length: number): string {
		return length + text.length <= this.max ? text : text.slice(0, Math.max(0, this.max - length));
	}

	/** True when an answer's text of `length` characters has used the budget up. */
	textFull(length: number): boolean {
		return length >= this.max;
	}

	/**
	 * The call as the answer keeps it, after `textLength` characters of text:
	 * within the budget as it came; past it, shortened, its arguments dropped.
	 */
	call(call: ToolCallRequest, textLength: number): ToolCallRequest {
		const size = call.id.length + call.name.length + call.arguments.length;
		if (textLength + this.#calls + size <= this.max) {
			this.#calls += size;
			return call;
		}
		const kept = {
			id: call.id.slice(0, MAX_KEPT_ID),
			name: call.name.slice(0, MAX_KEPT_NAME),
			arguments: "{}",
		};
		this.#over.add(kept);
		return kept;
	}

	/** Why `call` does not run, if {@link call} dropped its arguments. */
	refusal(call: ToolCallRequest): string | undefined {
		if (!this.#over.has(call)) return undefined;
		return `its arguments did not fit the answer's ${this.max} characters (they are not kept)`;
	}
}

const MAX_KEPT_ID = 64;
const MAX_KEPT_NAME = 128;
