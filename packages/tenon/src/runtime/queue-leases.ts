// Who holds which of an actor's queue messages: completing a message (only
// its holder may), and releasing what a holder that failed held (an action,
// or one run of the `run` handler), or what a workflow's replay removed.

import type { StandardSchemaV1 } from "../actor/schema.js";
import { describeIssues } from "../actor/schema.js";
import type { Clock } from "../common/clock.js";
import { queueErrors } from "./queue-errors.js";
import { type HeldBack, holdBack } from "./queue-holds.js";
import type { WaitingReceivers } from "./queue-receivers.js";
import type { QueueHolder, StoredMessage } from "./queue-records.js";
import { messageView } from "./queue-views.js";

/** What the leases need from their queue. */
export interface LeaseDeps {
	/** The queue's stored messages, oldest first (its own list: changed in place). */
	readonly messages: StoredMessage[];
	readonly clock: Clock;
	readonly receivers: WaitingReceivers;
	/** Hands out released messages held back after a failed run when they are due. */
	readonly holds: HeldBack;
	/** Hands available messages to waiting receivers. */
	deliver(): void;
	/** The queue's reply schema, if any. */
	replySchema(name: string): StandardSchemaV1 | undefined;
	/** `message` was completed with `reply`: removed, and its waiting sender answered. */
	completed(message: StoredMessage, reply: unknown): void;
}

export class QueueLeases {
	readonly #deps: LeaseDeps;
	/** Completions of messages runs of the `run` handler received. */
	runCompletions = 0;

	constructor(deps: LeaseDeps) {
		this.#deps = deps;
	}

	/** Views of `messages` received by `holder` (completable: with a `complete` only it may call). */
	// biome-ignore lint/suspicious/noExplicitAny: queue views return the message types the actor's declarations give; the public ActorQueue interface types them.
	views(messages: StoredMessage[], completable: boolean, holder: QueueHolder): any[] {
		return messages.map((message) =>
			messageView(
				message,
				completable ? (response?: unknown) => this.complete(message, response, holder) : undefined,
			),
		);
	}

	/**
	 * Leases a stored message again after a restart (a workflow received it
	 * with `completable: true` before the crash), so it is not delivered to
	 * anyone else. Returns its completion, or undefined if it is gone.
	 */
	takeOver(id: string): { complete(response?: unknown): Promise<void> } | undefined {
		const message = this.#deps.messages.find((candidate) => String(candidate.seq) === id);
		if (message === undefined) return undefined;
		message.leased = true;
		message.holder = "other";
		return { complete: (response?: unknown) => this.complete(message, response, "other") };
	}

	/**
	 * The `run` loop or an action failed: the messages it received with
	 * `completable: true` and did not complete become available again (their
	 * delivery counts stay, so one that fails every consumer becomes a dead
	 * letter). After the `run` loop (restarted at once) each is held back a
	 * while (queue-holds.ts) while the messages behind it go on; after an
	 * action (its caller decides when to try again) it is available at once.
	 * One being completed (its reply schema awaited) is left to that. Before
	 * 2026-11-26 an action's stayed leased until the actor stopped.
	 */
	releaseHolder(holder: QueueHolder): void {
		// An action's (or a run's) code failed: it takes nothing more, and what it waits for ends.
		if (typeof holder === "object") {
			holder.ended = true;
			this.#deps.receivers.endHolder(holder);
		}
		const held: StoredMessage[] = [];
		for (const message of this.#deps.messages) {
			if (!message.leased || message.holder !== holder) continue;
			// Being completed: that completion decides. Still being handed out: given back
			// when it arrives (its holder ended, see #handOver).
			if (message.completing) message.releaseAfterCompleting = true;
			else if (!message.handingOut) held.push(message);
		}
		this.#release(held, holder);
	}

	/**
	 * The messages `ids` (held by hooks or run providers), when they are still
	 * held and not being completed, are available again: a workflow's replay
	 * removed the work that received them.
	 */
	releaseMessages(ids: readonly string[]): void {
		const wanted = new Set(ids);
		const held = this.#deps.messages.filter(
			(message) =>
				wanted.has(String(message.seq)) &&
				message.leased &&
				message.holder === "other" &&
				!message.completing &&
				!message.handingOut,
		);
		this.#release(held, "other");
	}

	/** Makes `messages` (leased by `holder`) available again: see releaseHolder. */
	#release(messages: StoredMessage[], holder: QueueHolder): void {
		if (messages.length === 0) return;
		const now = this.#deps.clock.now();
		for (const message of messages) {
			message.leased = false;
			message.holder = undefined;
			if (isRun(holder)) holdBack(message, now);
		}
		if (isRun(holder)) this.#deps.holds.arm(this.#deps.messages);
		else this.#deps.deliver();
	}

	/**
	 * Completes `message` for `holder`: refused unless it still holds it (an
	 * action that timed out and failed later had its lease released, and
	 * another receiver may hold the message now).
	 */
	async complete(message: StoredMessage, response: unknown, holder: QueueHolder): Promise<void> {
		const held = () =>
			message.leased && message.holder === holder && this.#deps.messages.includes(message);
		if (message.completing || !held()) throw queueErrors.alreadyCompleted();
		const schema = this.#deps.replySchema(message.name);
		let reply = response;
		if (schema) {
			// Marked while its schema is awaited: a second complete() meanwhile is the
			// second, not another first (both were answered "completed" before).
			message.completing = true;
			let valid = false;
			try {
				const result = await schema["~standard"].validate(response);
				if (result.issues)
					throw queueErrors.invalidReply(message.name, describeIssues(result.issues));
				reply = result.value;
				valid = true;
			} finally {
				message.completing = false;
				// Its holder failed meanwhile (see releaseHolder): released now, not kept for good.
				if (!valid && message.releaseAfterCompleting && held()) this.#release([message], holder);
				message.releaseAfterCompleting = false;
			}
			if (!held()) throw queueErrors.alreadyCompleted();
		}
		if (message.holder !== undefined && isRun(message.holder)) this.runCompletions++;
		this.#deps.completed(message, reply);
	}
}

/** The holder is one run of the `run` handler. */
function isRun(holder: QueueHolder): boolean {
	return typeof holder === "object" && holder.run === true;
}
