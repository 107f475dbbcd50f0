import type { ActorQueue, QueueDecls, ReceiveOptions } from "../actor/queues.js";
import type { ReceiveGate } from "../actor/run-host.js";
import { describeIssues, type StandardSchemaV1 } from "../actor/schema.js";
import { assertStorable } from "../common/storable.js";
import { cborEncode } from "../protocol/encoding.js";
import { errors } from "../protocol/errors.js";
import type { ActorCore } from "./actor-core.js";
import type { PendingWrites } from "./pending-writes.js";
import { DeadLetters } from "./queue-dead-letters.js";
import { queueErrors } from "./queue-errors.js";
import { HandOuts, handOver } from "./queue-handouts.js";
import { HeldBack, heldUntil } from "./queue-holds.js";
import { QueueLeases } from "./queue-leases.js";
import { GateRetries, WaitingReceivers } from "./queue-receivers.js";
import {
	type ActionHolder,
	encodeMessage,
	isProvider,
	messageKey,
	QUEUE_META_KEY,
	type QueueHolder,
	StoredMessage,
	type StoredQueue,
} from "./queue-records.js";
import {
	insertInOrder,
	putBack,
	type ReadDeps,
	readAhead,
	readThenTake,
	rewriteRecord,
	selectMessages,
} from "./queue-selection.js";
import { QueueSenders, type SendWait } from "./queue-senders.js";
import { HeldQueueView } from "./queue-views.js";

export type { QueueHolder } from "./queue-records.js";

export type { QueueSendResult, SendWait } from "./queue-senders.js";

/**
 * `c.queue`: durable per-actor queues. Messages are stored under area 0x04
 * through the actor's buffered writes (so an enqueue commits with the turn).
 * A plain receive removes the message; a completable one keeps it stored
 * until `complete()`, so a crash before completion redelivers it. A message
 * delivered `maxQueueDeliveries` times without completion becomes a dead
 * letter instead of being delivered again.
 */
/** The declarations of an actor without queues (shared: never written). */
const NO_DECLARATIONS: QueueDecls = Object.freeze({});

export class QueueManager {
	readonly #core: ActorCore;
	readonly #writes: PendingWrites;
	readonly #declarations: QueueDecls;
	/** Stored dead letters (listed and deleted through the views). */
	readonly dead: DeadLetters;
	// Shared with the leases (queue-leases.ts): changed in place, never replaced.
	readonly #messages: StoredMessage[];
	#nextSeq: number;
	readonly #receivers: WaitingReceivers;
	/** Made on the first waiting send. */
	readonly #senders: QueueSenders;
	/** The view of hooks (made on first use). */
	#view: ActorQueue<QueueDecls> | undefined;
	/** Delivers messages held back after a failed run when they are due (see QueueLeases.releaseHolder). */
	readonly #holds: HeldBack;
	/** When taken messages may be handed out (queue-handouts.ts). */
	readonly #handOuts: HandOuts;
	/** Who holds which message, completions and releases (queue-leases.ts). */
	readonly leases: QueueLeases;
	/** Plain messages whose careful hand-out counted a delivery (given back, it is taken off). */
	readonly #countedPlain = new WeakSet<StoredMessage>();
	/** Receives a gate refused are served again once it frees. */
	readonly #gateRetries = new GateRetries(() => this.#deliver());
	/** What reading records a wake left in storage needs (queue-selection.ts). */
	readonly #reads: ReadDeps;

	/** Told when messages are stored or removed (the actor's alarm may change). */
	#alarm: { alarmChanged(): void } | undefined;

	/**
	 * `stored`: what the actor's queues hold in storage (read on wake, see
	 * loadStoredQueue); `provider`: the actor's `run` is a run provider (its
	 * stored claims stay its own, see QueueLeases.restoreClaims).
	 */
	constructor(
		core: ActorCore,
		writes: PendingWrites,
		declarations: QueueDecls | undefined,
		stored: StoredQueue,
		provider: boolean,
	) {
		this.#core = core;
		this.#writes = writes;
		this.#declarations = declarations ?? NO_DECLARATIONS;
		this.#nextSeq = stored.nextSeq;
		this.#messages = stored.messages;
		this.dead = new DeadLetters(writes, core, stored.deadLetters);
		this.#reads = {
			writes,
			log: core.log,
			forget: (message) => this.#forget(message),
			present: (message) => this.#messages.includes(message),
			deliver: () => this.#deliver(),
			gateRetries: this.#gateRetries,
		};
		this.#senders = new QueueSenders(core);
		this.#holds = new HeldBack(core.clock, () => this.#deliver());
		this.#receivers = new WaitingReceivers(core.clock, core.abortSignal, () => core.maybeIdle());
		this.leases = new QueueLeases({
			messages: this.#messages,
			clock: core.clock,
			receivers: this.#receivers,
			holds: this.#holds,
			deliver: () => this.#deliver(),
			replySchema: (name) => this.#schema(name).complete,
			completed: (message, reply) => {
				this.#remove(message);
				this.#senders.completed(message.seq, reply);
				core.maybeIdle();
			},
			rewrite: (message) => rewriteRecord(this.#reads, message),
		});
		this.leases.restoreClaims(provider);
		this.#handOuts = new HandOuts(
			{ persist: () => core.persist(), writeMeta: () => this.#writeMeta() },
			stored.dirty,
		);
	}

	/** The metadata record: the next sequence number, and the hand-outs' mark. */
	#writeMeta(): void {
		this.#writes.put(
			QUEUE_META_KEY,
			cborEncode(
				this.#handOuts?.dirty
					? { nextSeq: this.#nextSeq, dirty: true }
					: { nextSeq: this.#nextSeq },
			),
		);
	}

	/** Registers who is told of changes to the stored messages (the actor's timers, which own its alarm). */
	onChange(alarm: { alarmChanged(): void }): void {
		this.#alarm = alarm;
	}

	/** When the oldest stored message was enqueued, if any. */
	get oldestCreatedAt(): number | undefined {
		return this.#messages[0]?.createdAt;
	}

	/** When the earliest message held back after a failed run is due, if any (not stored). */
	get heldUntil(): number | undefined {
		return heldUntil(this.#messages);
	}

	get size(): number {
		return this.#messages.length;
	}

	/** Dead letters stored. */
	get deadLetterCount(): number {
		return this.dead.size;
	}

	/** True while `holder` waits to receive (a run of the `run` handler blocked on the queue is idle). */
	waiting(holder: QueueHolder): boolean {
		return this.#receivers.waiting(holder);
	}

	#schema(name: string): {
		message?: StandardSchemaV1 | undefined;
		complete?: StandardSchemaV1 | undefined;
	} {
		const declaration = this.#declarations[name];
		if (declaration === undefined || !Object.hasOwn(this.#declarations, name))
			throw queueErrors.notFound(name);
		return declaration;
	}

	/**
	 * Validates and stores a message. With `wait`, the completion waiter is
	 * registered in the same step, before any receiver can complete it.
	 */
	async enqueue(
		name: string,
		body: unknown,
		wait?: SendWait,
	): Promise<{ seq: number; completion: Promise<unknown> | undefined }> {
		const schema = this.#schema(name).message;
		let value = body;
		if (schema) {
			// A schema that answers at once is not awaited: the message is then written
			// while the send is called, so a reply the caller returns without awaiting the
			// send still waits for it to be durable (the output gate reads the writes made
			// so far).
			const checked = schema["~standard"].validate(body);
			const result = checked instanceof Promise ? await checked : checked;
			if (result.issues) throw queueErrors.invalidMessage(name, describeIssues(result.issues));
			value = result.value;
		}
		value = this.#core.toRaw(value);
		assertStorable(value, `queue.${name}`);
		const message = StoredMessage.create(this.#nextSeq, name, value, this.#core.clock.now());
		const encoded = encodeMessage(message);
		const limit = this.#core.options.maxQueueMessageSize;
		if (encoded.byteLength > limit) throw queueErrors.tooLarge(encoded.byteLength, limit);
		if (this.#messages.length >= this.#core.options.maxQueueSize)
			throw queueErrors.full(this.#core.options.maxQueueSize);
		this.#nextSeq++;
		this.#writes.put(messageKey(message.seq), encoded);
		this.#writeMeta();
		this.#messages.push(message);
		this.#core.metrics.queueMessages("enqueued", 1);
		const completion = wait === undefined ? undefined : this.#senders.wait(message.seq, wait);
		this.#alarm?.alarmChanged();
		this.#deliver();
		return { seq: message.seq, completion };
	}

	async send(name: string, body: unknown): Promise<void> {
		await this.enqueue(name, body);
	}

	#matches(message: StoredMessage, names: ReadonlySet<string> | undefined): boolean {
		return (
			!message.leased &&
			(names === undefined || names.has(message.name)) &&
			!message.loading &&
			(message.notBefore === 0 || message.notBefore <= this.#core.clock.now())
		);
	}

	/**
	 * Takes up to `count` available messages for a receiver: at once, or a
	 * promise of them when they are handed out carefully (queue-handouts.ts)
	 * or their records are read first (a wake reads none, see StoredMessage).
	 */
	#take(
		names: ReadonlySet<string> | undefined,
		completable: boolean,
		count: number,
		holder: QueueHolder,
		gate?: ReceiveGate,
	): StoredMessage[] | Promise<StoredMessage[]> {
		const { taken, dead } = selectMessages(
			this.#messages,
			(message) => this.#matches(message, names),
			count,
			this.#core.options.maxQueueDeliveries,
		);
		// Records in memory (the usual case: enqueued while awake, or read ahead) are taken at once.
		if (dead.every((m) => m.attached) && taken.every((m) => m.attached))
			return this.#takeSelected(taken, dead, completable, holder, gate);
		const unread = [...dead, ...taken].filter((message) => !message.attached);
		unread.push(...readAhead(this.#messages, unread, names));
		return readThenTake(this.#reads, { taken, dead, unread }, gate, (taking, dying) =>
			this.#takeSelected(taking, dying, completable, holder),
		);
	}

	/** Hands out `taken` and sets `dead` aside, their records in memory (see #take). */
	#takeSelected(
		taken: StoredMessage[],
		dead: StoredMessage[],
		completable: boolean,
		holder: QueueHolder,
		gate?: ReceiveGate,
	): StoredMessage[] | Promise<StoredMessage[]> {
		for (const message of dead) {
			this.#remove(message);
			this.dead.setAside(message);
			this.#senders.deadLettered(
				message.seq,
				queueErrors.deadLettered(message.name, message.deliveries),
			);
		}
		this.#core.metrics.queueMessages("dead_lettered", dead.length);
		if (taken.length === 0) return taken;
		// A race's branch that may not keep them takes none (its delivery counted, a careful
		// hand-out's count commits before a give-back could undo it: dead-lettered after
		// maxQueueDeliveries crashes, a SIGKILL test): it is tried again once the gate frees.
		if (gate !== undefined && !gate.tryHold()) {
			this.#gateRetries.after(gate);
			return [];
		}
		this.#core.metrics.queueMessages("delivered", taken.length);
		const careful = this.#handOuts.begin();
		// A plain message handed out carefully is counted and stays stored until then; its
		// removal then commits with the turn it is handed out in, as one handed out at once.
		const removeLater: StoredMessage[] = [];
		for (const message of taken) {
			if (completable) {
				message.leased = true;
				message.holder = holder;
				// The run provider's claim is stored: it outlives a restart (QueueLeases.restoreClaims).
				message.claimed = isProvider(holder);
				// Counted, so a message that crashes its consumer (or, handed out
				// carefully, the process) is set aside after maxQueueDeliveries attempts.
				message.deliveries++;
				this.#writes.put(messageKey(message.seq), encodeMessage(message));
			} else if (careful) {
				this.#forget(message);
				message.deliveries++;
				this.#countedPlain.add(message);
				this.#writes.put(messageKey(message.seq), encodeMessage(message));
				removeLater.push(message);
			} else {
				this.#remove(message);
			}
		}
		if (!careful) {
			gate?.release();
			return taken;
		}
		for (const message of taken) message.handingOut = true;
		return this.#handOuts
			.whenDurable(taken)
			.then((messages) => {
				for (const message of removeLater) this.#writes.delete(messageKey(message.seq));
				return messages;
			})
			.finally(() => gate?.release());
	}

	/**
	 * The run provider's run `holder` gives back what a receive handed it and
	 * it never used (the views it got; a race's losing branch, see
	 * workflow/waits.ts): as if never handed out, plain ones too. Done in the
	 * turn they were handed out in, a plain one's removal never commits.
	 * Nothing for one completed or given back since, or from an ended run.
	 */
	giveBack(views: readonly object[], holder: ActionHolder): void {
		if (holder.ended) return;
		for (const view of views) {
			const given = this.leases.handedOut(view);
			if (given !== undefined) this.#putBack([given.message], given.completable, holder);
		}
	}

	/** Puts messages handed out to `holder` back where they were, their delivery counts as before. */
	#putBack(messages: StoredMessage[], completable: boolean, holder: QueueHolder): void {
		if (messages.length === 0) return;
		putBack(messages, completable, holder, this.#messages, this.#countedPlain, this.#writes);
		this.#alarm?.alarmChanged();
		this.#deliver();
	}

	/** Drops `message` from memory only (the stored one goes later). */
	#forget(message: StoredMessage): void {
		const index = this.#messages.indexOf(message);
		if (index >= 0) this.#messages.splice(index, 1);
		this.#alarm?.alarmChanged();
	}

	#remove(message: StoredMessage): void {
		this.#forget(message);
		this.#writes.delete(messageKey(message.seq));
	}

	#deliver(): void {
		for (const receiver of this.#receivers.snapshot()) {
			if (!this.#messages.some((message) => this.#matches(message, receiver.names))) continue;
			const messages = this.#take(
				receiver.names,
				receiver.completable,
				receiver.count,
				receiver.holder,
				receiver.gate,
			);
			if (Array.isArray(messages)) {
				if (messages.length === 0) continue;
				receiver.cleanup();
				receiver.resolve(messages);
			} else {
				receiver.cleanup();
				const { completable, holder } = receiver;
				const putBack = (given: StoredMessage[]) => this.#putBack(given, completable, holder);
				handOver(messages, holder, receiver.signal, putBack).then(
					receiver.resolve,
					receiver.reject,
				);
			}
		}
	}

	/** A view of the queues for an action: its own leases, released if it fails. */
	actionView(): HeldQueueView {
		return new HeldQueueView(this, "action");
	}

	/** `c.queue` of hooks: what they receive stays theirs until the actor stops. */
	get view(): ActorQueue<QueueDecls> {
		this.#view ??= new HeldQueueView(this, "other");
		return this.#view;
	}

	/** The queue of one run of the run provider (a workflow): what it receives completable it claims. */
	providerView(holder: ActionHolder): HeldQueueView {
		return new HeldQueueView(this, holder);
	}

	/** Receives messages for `holder` (waiting for them when `wait`). */
	receive(
		options: ReceiveOptions<string> & { count?: number; gate?: ReceiveGate },
		wait: boolean,
		holder: QueueHolder = "other",
	): Promise<StoredMessage[]> {
		const names = options.names === undefined ? undefined : new Set(options.names);
		for (const name of names ?? []) this.#schema(name);
		const completable = options.completable === true;
		const count = options.count ?? 1;
		// NaN passed Math.max and took every message (a review, 2026-11-26).
		if (!Number.isInteger(count) || count < 1)
			throw queueErrors.invalidOptions(`count must be an integer >= 1 (got ${String(count)})`);
		// The caller's own signal, already aborted, takes nothing (a plain message was removed).
		if (options.signal?.aborted) return Promise.reject(options.signal.reason);
		// Code left running after its holder failed takes nothing, and a receive that would
		// wait is parked, not answered at once (a loop around it would spin: a review).
		const ended = typeof holder === "object" && holder.ended;
		const ready = ended ? [] : this.#take(names, completable, count, holder, options.gate);
		if (!Array.isArray(ready)) {
			const putBack = (given: StoredMessage[]) => this.#putBack(given, completable, holder);
			return handOver(ready, holder, options.signal, putBack);
		}
		if (ready.length > 0 || !wait) return Promise.resolve(ready);
		const spec = {
			holder,
			names,
			completable,
			count,
			signal: options.signal,
			gate: options.gate,
			timeout: options.timeout,
		};
		return ended ? this.#receivers.park(spec) : this.#receivers.wait(spec);
	}

	/** True once the actor started to stop (receives end). */
	get stopping(): boolean {
		return this.#core.abortSignal.aborted;
	}

	/**
	 * Puts dead letter `id` back on its queue, checked against `maxQueueSize`
	 * in the same step (a full queue refuses it with `queue/full` and keeps
	 * the dead letter). Before 2026-11-26 it went past the limit.
	 */
	async retryDeadLetter(id: string): Promise<boolean> {
		const letter = await this.dead.take(id, (dead) => {
			const limit = this.#core.options.maxQueueSize;
			if (this.#messages.length >= limit) throw queueErrors.full(limit);
			const message = StoredMessage.create(dead.seq, dead.name, dead.body, dead.createdAt);
			this.#writes.put(messageKey(message.seq), encodeMessage(message));
			insertInOrder(this.#messages, message);
		});
		if (letter === undefined) return false;
		this.#alarm?.alarmChanged();
		this.#deliver();
		return true;
	}

	/** The queue as one run of the `run` handler sees it: see QueueLeases.releaseHolder. */
	newRunView(): HeldQueueView {
		return new HeldQueueView(this, "run");
	}

	/**
	 * A graceful stop's final commit comes next (after its stop hook, which
	 * may still receive): the next life hands out at once.
	 */
	stoppedCleanly(): void {
		this.#handOuts.stoppedCleanly();
	}

	/** The actor is stopping: waiting receivers end, waiting senders learn it stopped. */
	close(): void {
		this.closeReceivers();
		this.answerSenders();
	}

	/** The actor is stopping: waiting receivers end (its stop hook may still receive). */
	closeReceivers(): void {
		this.#holds.close();
		this.#receivers.close(() => errors.actorStopped());
	}

	/**
	 * The stop hook ran: senders still waiting are answered `timedOut`, as is
	 * any that starts waiting later (`destroyed`: they fail with `actor/not_found`). After the hook, so that a completion it
	 * makes answers its sender `completed` (before 2026-11-26 the senders were
	 * answered before it, and a message the hook completed was told `timedOut`).
	 */
	answerSenders(destroyed = false): void {
		this.#senders.close(destroyed ? errors.actorNotFound() : undefined);
	}
}
