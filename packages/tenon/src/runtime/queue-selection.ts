// Which stored messages a receive takes, reading the records a wake left in
// storage (queue-message.ts) before they are handed out, and putting back what
// was handed out and not used.

import type { ReceiveGate } from "../actor/run-host.js";
import type { ActorCore } from "./actor-core.js";
import type { PendingWrites } from "./pending-writes.js";
import type { GateRetries } from "./queue-receivers.js";
import {
	encodeMessage,
	messageKey,
	type QueueHolder,
	type StoredMessage,
} from "./queue-records.js";

/**
 * Up to `count` messages `matches` accepts, in order: `taken` to hand out, `dead` to set
 * aside (delivered `maxDeliveries` times). A message a failed batch held is taken alone
 * (StoredMessage.alone).
 */
export function selectMessages(
	messages: readonly StoredMessage[],
	matches: (message: StoredMessage) => boolean,
	count: number,
	maxDeliveries: number,
): { taken: StoredMessage[]; dead: StoredMessage[] } {
	const taken: StoredMessage[] = [];
	const dead: StoredMessage[] = [];
	for (const message of messages) {
		if (taken.length >= count) break;
		if (!matches(message)) continue;
		if (message.deliveries >= maxDeliveries) dead.push(message);
		else if (message.alone && taken.length > 0) break;
		else {
			taken.push(message);
			if (message.alone) break;
		}
	}
	return { taken, dead };
}

/** Puts `message` back in sequence order, so it keeps its place among older messages. */
export function insertInOrder(messages: StoredMessage[], message: StoredMessage): void {
	const index = messages.findIndex((other) => other.seq > message.seq);
	if (index === -1) messages.push(message);
	else messages.splice(index, 0, message);
}

/**
 * Puts messages handed out to `holder` back in `messages` (stored), their delivery counts as
 * before: completable ones are released, plain ones put back in order (`countedPlain`: those
 * whose careful hand-out counted a delivery).
 */
export function putBack(
	given: readonly StoredMessage[],
	completable: boolean,
	holder: QueueHolder,
	messages: StoredMessage[],
	countedPlain: WeakSet<StoredMessage>,
	writes: PendingWrites,
): void {
	for (const message of given) {
		if (completable) {
			// Nothing else touches one being handed out; checked all the same (written back
			// after it went elsewhere, a dead letter was stored twice: a review).
			if (!message.leased || message.holder !== holder || message.completing) continue;
			message.leased = false;
			message.holder = undefined;
			message.claimed = false;
			message.deliveries--;
		} else {
			if (messages.includes(message)) continue;
			insertInOrder(messages, message);
			if (countedPlain.delete(message)) message.deliveries--;
		}
		writes.put(messageKey(message.seq), encodeMessage(message));
	}
}

/** Records read beside those a receive takes (see {@link readAhead}). */
const READ_AHEAD = 16;

/**
 * The next unread messages of queues `names` (all: undefined) after the last of `reading` (at
 * most {@link READ_AHEAD}): read with
 * them, so a loop draining a queue after a wake makes a store read per 17 messages, not per
 * message (on PostgreSQL, a round trip each). They stay in memory until taken: at most 16
 * records (1 MiB with the default `maxQueueMessageSize`).
 */
export function readAhead(
	messages: readonly StoredMessage[],
	reading: readonly StoredMessage[],
	names: ReadonlySet<string> | undefined,
): StoredMessage[] {
	const last = reading.reduce((seq, message) => Math.max(seq, message.seq), 0);
	const ahead: StoredMessage[] = [];
	for (const message of messages) {
		if (ahead.length >= READ_AHEAD) break;
		// Of the queues this receive takes from only: another queue's records stayed in memory
		// for good when its messages were interleaved (16 MB over 3 actors: a review).
		if (names !== undefined && !names.has(message.name)) continue;
		if (message.seq > last && !message.attached && !message.loading) ahead.push(message);
	}
	return ahead;
}

/**
 * Reads the stored records of `messages` (through the actor's buffered writes) into them.
 * Returns those whose record is not stored (none, unless storage lost it).
 */
export async function readRecords(
	writes: PendingWrites,
	messages: readonly StoredMessage[],
): Promise<StoredMessage[]> {
	const values = await writes.get(messages.map((message) => messageKey(message.seq)));
	const missing: StoredMessage[] = [];
	messages.forEach((message, i) => {
		const value = values[i];
		if (value === undefined) missing.push(message);
		else if (!message.attached) message.attach(value);
	});
	return missing;
}

/** What {@link readThenTake} needs of its queue. */
export interface ReadDeps {
	readonly writes: PendingWrites;
	readonly log: ActorCore["log"];
	/** Drops a message from memory (its record is gone). */
	forget(message: StoredMessage): void;
	/** The message is still stored (in the queue's memory). */
	present(message: StoredMessage): boolean;
	/** Serves waiting receivers. */
	deliver(): void;
	readonly gateRetries: GateRetries;
}

/**
 * Reads the records of `unread` (messages a wake left in storage, see StoredMessage), then
 * `take`s the selection. Nothing else takes them meanwhile (`loading`: the queue's matching
 * and QueueLeases.takeOver skip them). A race's branch that may not keep them reads none and
 * is served again once its gate frees; else it holds its gate until they are handed out.
 * Dead letters alone are set aside once read, and `[]` is returned: the receiver waits on.
 */
export function readThenTake(
	deps: ReadDeps,
	selection: { taken: StoredMessage[]; dead: StoredMessage[]; unread: StoredMessage[] },
	gate: ReceiveGate | undefined,
	take: (
		taken: StoredMessage[],
		dead: StoredMessage[],
	) => StoredMessage[] | Promise<StoredMessage[]>,
): StoredMessage[] | Promise<StoredMessage[]> {
	const { taken, dead, unread } = selection;
	if (taken.length > 0 && gate !== undefined && !gate.tryHold()) {
		deps.gateRetries.after(gate);
		return [];
	}
	const selected = [...dead, ...taken];
	for (const message of selected) message.loading = true;
	const reading = readRecords(deps.writes, unread).then((missing) => {
		for (const message of missing) {
			// Gone meanwhile (one read ahead, taken by another receive and deleted): nothing lost.
			if (!deps.present(message)) continue;
			deps.log.error("a stored queue message's record is missing: dropped", {
				queue: message.name,
				id: String(message.seq),
			});
			deps.forget(message);
		}
	});
	// Taken in the same step that frees them: freed in a `finally` before it, a message was
	// free for a few microtasks, and another receiver took it too (a review, 2026-11-29).
	const free = () => {
		for (const message of selected) message.loading = false;
	};
	const failed = (error: unknown) => {
		free();
		// Receivers that waited while these were read are served again.
		deps.deliver();
		throw error;
	};
	const stored = (messages: StoredMessage[]) => messages.filter(deps.present);
	if (taken.length === 0) {
		reading
			.then(() => {
				free();
				void take([], stored(dead)); // nothing taken: handed out at once (an array)
				deps.deliver();
			}, failed)
			.catch((error: unknown) =>
				deps.log.error("reading queue messages to set aside failed", { error }),
			);
		return [];
	}
	return reading
		.then(() => {
			free();
			return take(stored(taken), stored(dead));
		}, failed)
		.finally(() => gate?.release());
}

/**
 * Stores `message`'s record again (its claim changed). A record a wake left in storage is
 * read first (see StoredMessage), and written if the message is still stored then.
 */
export function rewriteRecord(deps: ReadDeps, message: StoredMessage): void {
	const write = () => deps.writes.put(messageKey(message.seq), encodeMessage(message));
	if (message.attached) {
		write();
		return;
	}
	void readRecords(deps.writes, [message]).then(
		() => {
			if (message.attached && deps.present(message)) write();
		},
		(error: unknown) => deps.log.error("reading a queue message failed", { error }),
	);
}
