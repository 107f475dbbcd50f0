import type { RunHost, RunQueue, RunStorage } from "../actor/run-host.js";
import type { RunControl } from "./actor-run.js";
import type { PendingWrites } from "./pending-writes.js";
import type { QueueManager } from "./queue-manager.js";
import type { ActionHolder } from "./queue-records.js";

/** The parts of an awake actor a run provider's host is made of. */
export interface RunHostParts
	extends Pick<
		RunHost,
		| "actorId"
		| "log"
		| "clock"
		| "abortSignal"
		| "context"
		| "attemptContext"
		| "track"
		| "toRaw"
		| "persist"
		| "writesDurable"
		| "failed"
	> {
	readonly writes: PendingWrites;
	readonly queue: QueueManager;
}

/**
 * The {@link RunHost} a run provider (a workflow) gets for one run (after a
 * wake, a failure or a halt): `holder` holds what the run receives.
 */
export function createRunHost(
	parts: RunHostParts,
	control: RunControl,
	holder: ActionHolder,
): RunHost {
	const { writes, queue } = parts;
	const view = queue.providerView(holder);
	/** Its `beforeFinalCommit` callbacks run: they write for the stop's final commit, ended or not. */
	let writingFinal = false;
	const runQueue: RunQueue = {
		nextBatch: (options) => {
			// Receiving again: it took back what it kept from earlier runs and lives.
			queue.leases.restored(holder);
			return view.nextBatch(options);
		},
		// Code a failed run left running (its holder ended) takes over and gives back nothing.
		lease: (id) => queue.leases.takeOver(id, holder),
		restored: () => queue.leases.restored(holder),
		release: (ids) => {
			if (!holder.ended) queue.leases.releaseMessages(ids, holder);
		},
		giveBack: (messages) => queue.giveBack(messages, holder),
	};
	return {
		actorId: parts.actorId,
		log: parts.log,
		clock: parts.clock,
		abortSignal: parts.abortSignal,
		context: parts.context,
		attemptContext: (attempt, signal) => parts.attemptContext(attempt, signal),
		// A halted run's leftover code (a race's losing branch) wrote entries a replay had
		// removed back into its journal (a review, 2026-11-26): an ended run writes nothing.
		storage: runStorageOf(writes, () => holder.ended && !writingFinal),
		queue: runQueue,
		track: (work) => parts.track(work),
		persist: () => parts.persist(),
		writesDurable: () => parts.writesDurable(),
		toRaw: (value) => parts.toRaw(value),
		failed: () => parts.failed?.(),
		// Nor does it tell the actor it is idle or when to wake it: the run after it does.
		setIdle: (idle) => {
			if (!holder.ended) control.setIdle(idle);
		},
		setWakeAt: (at) => {
			if (!holder.ended) control.setWakeAt(at);
		},
		beforeFinalCommit: (fn) =>
			control.beforeFinalCommit(() => {
				writingFinal = true;
				try {
					fn();
				} finally {
					writingFinal = false;
				}
			}),
	};
}

/**
 * The actor's buffered writes as a run provider sees them (they commit with
 * the next turn); writes are dropped once `ended()` (a run that failed or
 * halted: its code left running must not change what the next run reads).
 */
export function runStorageOf(
	writes: PendingWrites,
	ended: () => boolean = () => false,
): RunStorage {
	return {
		get: (keys) => writes.get(keys),
		list: (range) => writes.list(range),
		put: (key, value) => {
			if (!ended()) writes.put(key, value);
		},
		delete: (key) => {
			if (!ended()) writes.delete(key);
		},
		deleteRange: (range) => {
			if (!ended()) writes.deleteRange(range);
		},
	};
}
