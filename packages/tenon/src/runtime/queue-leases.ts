// Who holds which of an actor's queue messages: completing a message (only
// its holder may), and releasing what a holder that failed held (an action,
// or one run of the `run` handler), or what a workflow's replay removed; and
// the run provider's claims, which outlive a restart.

import type { StandardSchemaV1 } from "../actor/schema.js";
import { describeIssues } from "../actor/schema.js";
import type { Clock } from "../common/clock.js";
import { queueErrors } from "./queue-errors.js";
import { type HeldBack, holdBack as holdBackMessage } from "./queue-holds.js";
import type { WaitingReceivers } from "./queue-receivers.js";
import {
	type ActionHolder,
	isProvider,
	providerHolder,
	type QueueHolder,
	type StoredMessage,
} from "./queue-records.js";
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
	/** Stores `message`'s record again (its claim changed). */
	rewrite(message: StoredMessage): void;
}

export class QueueLeases {
	readonly #deps: LeaseDeps;
	/** Completions of messages runs of the `run` handler received. */
	runCompletions = 0;
	/** The run provider's claims from an earlier life it has not taken over yet. */
	readonly #unrestored = new Set<StoredMessage>();
	/** What the run provider was handed, by the views it got: it may give them back unused. */
	readonly #handedOut = new WeakMap<object, { message: StoredMessage; completable: boolean }>();

	constructor(deps: LeaseDeps) {
		this.#deps = deps;
	}

	/**
	 * After a load: the messages the run provider claimed in an earlier life
	 * stay its own (leased) when the actor's `run` is a provider, until its
	 * run takes them over or says it does not ({@link restored}); else they
	 * are available. Before 2026-11-26 every message was available after a
	 * load, and an action that woke the actor took a message the workflow had
	 * journaled, before the workflow took it back: both processed it.
	 */
	restoreClaims(provider: boolean): void {
		const loaded = providerHolder();
		for (const message of this.#deps.messages) {
			if (!message.claimed) continue;
			if (!provider) {
				message.claimed = false;
				continue;
			}
			message.leased = true;
			message.holder = loaded;
		}
	}

	/** Views of `messages` received by `holder` (completable: with a `complete` only it may call). */
	// biome-ignore lint/suspicious/noExplicitAny: queue views return the message types the actor's declarations give; the public ActorQueue interface types them.
	views(messages: StoredMessage[], completable: boolean, holder: QueueHolder): any[] {
		return messages.map((message) => {
			const view = messageView(
				message,
				completable ? (response?: unknown) => this.complete(message, response, holder) : undefined,
			);
			if (isProvider(holder)) this.#handedOut.set(view, { message, completable });
			return view;
		});
	}

	/** The message behind a view the run provider got, once (see QueueManager.giveBack). */
	handedOut(view: object): { message: StoredMessage; completable: boolean } | undefined {
		const given = this.#handedOut.get(view);
		this.#handedOut.delete(view);
		return given;
	}

	/**
	 * A run of the run provider starts (after a wake, a failed run, or a halt
	 * for a replay) as `holder`: what earlier runs hold becomes its own to
	 * take over, as its journal lists it; the rest goes back at
	 * {@link restored} (a replay's rewound journal no longer lists it, or it
	 * was never journaled). Code an earlier run left running (its holder
	 * ended) completes none of it. A completion such code has in flight
	 * decides its message: done if it succeeds, this run's if it fails.
	 */
	reclaim(holder: ActionHolder): void {
		for (const message of this.#deps.messages) {
			if (!message.leased || !isProvider(message.holder) || message.holder === holder) continue;
			// Still being handed out to an earlier run: given back when it arrives (its holder ended).
			if (message.handingOut) continue;
			this.#unrestored.add(message);
			if (message.completing) message.successor = holder;
			else message.holder = holder;
		}
	}

	/**
	 * The run provider's run `holder` takes back a message it received with
	 * `completable: true` in an earlier run or life (its journal lists it).
	 * Returns its completion, or undefined when it is gone or another holder
	 * has it (a message stored before claims were, taken meanwhile: it is not
	 * taken from that holder), or when `holder` ended (code a failed run left
	 * running). A message an earlier run is completing stays that
	 * completion's; if it fails, the message is `holder`'s, and if it
	 * succeeds, completing it again does nothing.
	 */
	takeOver(
		id: string,
		holder: ActionHolder,
	): { complete(response?: unknown): Promise<void> } | undefined {
		if (holder.ended) return undefined;
		const message = this.#deps.messages.find((candidate) => String(candidate.seq) === id);
		if (message === undefined || message.handingOut || message.loading) return undefined;
		if (message.leased && !isProvider(message.holder)) return undefined;
		this.#unrestored.delete(message);
		if (message.completing && message.holder !== holder) {
			message.successor = holder;
			message.releaseAfterCompleting = false;
			return {
				complete: async (response?: unknown) => {
					// That completion decides first (it may fail, and the message be this run's).
					while (message.completing) await message.checked;
					// Gone: the earlier run's completion answered it.
					if (this.#deps.messages.includes(message)) await this.complete(message, response, holder);
				},
			};
		}
		message.leased = true;
		message.holder = holder;
		if (!message.claimed) {
			message.claimed = true;
			this.#deps.rewrite(message);
		}
		return { complete: (response?: unknown) => this.complete(message, response, holder) };
	}

	/**
	 * The run provider's run `holder` took over what it holds from earlier
	 * runs and lives: the claims it left (received before a crash that came
	 * before its journal recorded them, or removed by a replay) go back to the
	 * queue. Nothing, from a run that ended.
	 */
	restored(holder: ActionHolder): void {
		if (holder.ended || this.#unrestored.size === 0) return;
		const left: StoredMessage[] = [];
		for (const message of this.#unrestored) {
			if (!message.leased || !this.#deps.messages.includes(message)) continue;
			if (message.holder === holder) left.push(message);
			else if (message.successor === holder) {
				// An earlier run's completion in flight: given back if it fails.
				message.successor = undefined;
				message.releaseAfterCompleting = true;
			}
		}
		this.#unrestored.clear();
		this.#releaseSettled(left, false);
	}

	/** `holder`'s code failed or halted: it takes nothing more, and what it waits for ends. */
	endHolder(holder: ActionHolder): void {
		holder.ended = true;
		this.#deps.receivers.endHolder(holder);
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
		if (typeof holder === "object") this.endHolder(holder);
		const held = this.#deps.messages.filter(
			(message) => message.leased && message.holder === holder,
		);
		// Which of several failed it is not known: each is handed out alone from now on.
		if (held.length > 1) for (const message of held) message.alone = true;
		this.#releaseSettled(held, isRun(holder));
	}

	/**
	 * Releases `messages` but those being completed (that completion decides,
	 * and gives it back if it fails) or still being handed out (given back
	 * when it arrives: its holder ended, or its receive's signal aborted; see
	 * QueueManager.#handOver).
	 */
	#releaseSettled(messages: StoredMessage[], holdBack: boolean): void {
		const settled: StoredMessage[] = [];
		for (const message of messages) {
			if (message.completing) {
				message.releaseAfterCompleting = true;
				message.successor = undefined;
			} else if (!message.handingOut) settled.push(message);
		}
		this.#release(settled, holdBack);
	}

	/**
	 * The messages `ids` (held by the run provider; by its run `holder` when
	 * given), when they are still held and not being completed, are available
	 * again: a workflow's replay removed the work that received them, or the
	 * workflow ended.
	 */
	releaseMessages(ids: readonly string[], holder?: ActionHolder): void {
		const wanted = new Set(ids);
		const held = this.#deps.messages.filter(
			(message) =>
				wanted.has(String(message.seq)) &&
				message.leased &&
				isProvider(message.holder) &&
				(holder === undefined || message.holder === holder || message.successor === holder),
		);
		this.#releaseSettled(held, false);
	}

	/** Makes `messages` available again (`holdBack`: after a failed `run`, see releaseHolder). */
	#release(messages: StoredMessage[], holdBack: boolean): void {
		if (messages.length === 0) return;
		const now = this.#deps.clock.now();
		for (const message of messages) {
			message.leased = false;
			message.holder = undefined;
			if (message.claimed) {
				message.claimed = false;
				this.#deps.rewrite(message);
			}
			if (holdBack) holdBackMessage(message, now);
		}
		if (holdBack) this.#deps.holds.arm(this.#deps.messages);
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
		// An ended holder's code (it failed) completes nothing more.
		const ended = typeof holder === "object" && holder.ended;
		if (ended || message.completing || !held()) throw queueErrors.alreadyCompleted();
		const schema = this.#deps.replySchema(message.name);
		let reply = response;
		if (schema) {
			// Marked while its schema is awaited: a second complete() meanwhile is the
			// second, not another first (both were answered "completed" before).
			message.completing = true;
			let checked = () => {};
			message.checked = new Promise<void>((resolve) => {
				checked = resolve;
			});
			let valid = false;
			try {
				const result = await schema["~standard"].validate(response);
				if (result.issues)
					throw queueErrors.invalidReply(message.name, describeIssues(result.issues));
				reply = result.value;
				valid = true;
			} finally {
				message.completing = false;
				message.checked = undefined;
				checked();
				const successor = message.successor;
				if (!valid && held()) {
					// A later run of the run provider holds it now (see reclaim).
					if (successor !== undefined) message.holder = successor;
					// Its holder failed meanwhile (see releaseHolder): released now, not kept for good.
					else if (message.releaseAfterCompleting) this.#release([message], isRun(holder));
				}
				message.successor = undefined;
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
