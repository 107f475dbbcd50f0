import { randomUUID } from "node:crypto";
import type { AgentToken } from "./types.js";

/**
 * The answer streaming now: its text so far (for clients that join or come
 * back mid-stream) and the tokens not sent yet. Tokens that arrive within
 * one turn of the event loop leave as one event, so a fast model costs one
 * broadcast per batch rather than one per token, whatever the number of
 * connections.
 */
export class LiveAnswer {
	#text = "";
	#unsent = "";
	#unsentOffset = 0;
	#scheduled = false;
	#closed = false;

	/** This attempt at the answer (see AgentMessageStart.attempt). */
	readonly attempt = randomUUID().slice(0, 8);

	constructor(
		readonly messageId: string,
		readonly turnId: string,
		private readonly send: (token: AgentToken) => void,
	) {}

	get text(): string {
		return this.#text;
	}

	append(text: string): void {
		if (text === "" || this.#closed) return;
		if (this.#unsent === "") this.#unsentOffset = this.#text.length;
		this.#text += text;
		this.#unsent += text;
		if (this.#scheduled) return;
		this.#scheduled = true;
		setImmediate(() => {
			this.#scheduled = false;
			this.flush();
		});
	}

	/** Sends what is waiting now. */
	flush(): void {
		if (this.#unsent === "" || this.#closed) return;
		const token: AgentToken = {
			messageId: this.messageId,
			attempt: this.attempt,
			offset: this.#unsentOffset,
			text: this.#unsent,
		};
		this.#unsent = "";
		this.send(token);
	}

	/** Sends the rest and takes no more. */
	close(): void {
		this.flush();
		this.#closed = true;
	}
}
