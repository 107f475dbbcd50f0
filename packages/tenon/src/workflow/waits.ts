import type { RunQueue, RunQueueMessage } from "../actor/run-host.js";
import { MAX_DATE_MS } from "../common/clock.js";
import type { WorkflowContextImpl } from "./context.js";
import type { WorkflowEngine } from "./engine.js";
import { EvictedError, givenBackError, invalidWorkflowUse, ReplayEndError } from "./errors.js";
import { copyOf, type JournalEntry, type JournalMessage } from "./journal.js";
import { receiveGateOf, waitsInRaces } from "./race-gate.js";
import type { Scope } from "./scope.js";
import type { WorkflowNextOptions } from "./types.js";

/** `ctx.sleep` / `ctx.sleepUntil`: the deadline is journaled, so replay waits for the same moment. */
export async function durableSleep(
	engine: WorkflowEngine,
	ctx: WorkflowContextImpl,
	name: string,
	deadlineFrom: (now: number) => number,
): Promise<void> {
	const scope = ctx.scope;
	const { path, entry: recorded } = scope.claim("sleep", name);
	if (recorded?.status === "completed") return;
	// Replayed only to learn compensations: the first run got no further.
	if (scope.replayOnly) throw new ReplayEndError();
	let entry = recorded;
	if (entry?.deadline === undefined) {
		const now = engine.now();
		const deadline = deadlineFrom(now);
		if (!Number.isFinite(deadline)) throw invalidWorkflowUse(`sleep '${name}' needs a finite time`);
		entry = { kind: "sleep", name, status: "pending", createdAt: now, deadline };
		engine.journal.put(path, entry);
	}
	const deadline = entry.deadline as number;
	if (deadline > engine.now()) {
		waitsInRaces(scope.seats);
		await engine.delayUntil(deadline, scope.signal);
	}
	scope.check();
	engine.journal.put(path, { ...entry, status: "completed", completedAt: engine.now() });
}

type ReceiveOptions = WorkflowNextOptions<string> & { count?: number };

/**
 * A wait's deadline `timeout` ms from now, within what a `Date` holds: `Infinity` was
 * journaled and stored as the actor's alarm (an attacker probe, 2026-11-29); a wait that
 * long is a wait with no end, as without a timeout.
 */
function deadlineIn(engine: { now(): number }, timeout: number): number {
	return Math.min(MAX_DATE_MS, engine.now() + timeout);
}

function checkReceiveOptions(name: string, options: ReceiveOptions): void {
	if (typeof options !== "object" || options === null) {
		throw invalidWorkflowUse(`queue wait '${name}': options must be an object`);
	}
	const { timeout, count, names } = options;
	if (timeout !== undefined && (typeof timeout !== "number" || !(timeout >= 0))) {
		throw invalidWorkflowUse(`queue wait '${name}': timeout must be a number of ms >= 0`);
	}
	if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
		throw invalidWorkflowUse(`queue wait '${name}': count must be an integer >= 1`);
	}
	if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== "string"))) {
		throw invalidWorkflowUse(`queue wait '${name}': names must be a list of queue names`);
	}
}

/**
 * `ctx.queue.next` / `nextBatch`: waits for messages (durably: the actor may
 * sleep, and a timeout's deadline is journaled), then journals them in the
 * same commit that removes them from the queue. Replay returns the same
 * messages. Completable messages stay stored until `complete()`, which is
 * journaled too, so replay does not complete them twice. In a race, what a
 * branch may not keep goes back unjournaled (see {@link receiveForScope}).
 */
export async function receive(
	engine: WorkflowEngine,
	ctx: WorkflowContextImpl,
	name: string,
	options: ReceiveOptions = {},
	batch: boolean,
): Promise<unknown> {
	checkReceiveOptions(name, options);
	const scope = ctx.scope;
	const { path, entry: recorded } = scope.claim("message", name);
	if (recorded?.status === "completed") {
		// Replayed, it holds its race as it did (a sibling's new messages then go back).
		if ((recorded.messages?.length ?? 0) > 0 && !scope.replayOnly) claimRaces(scope);
		return views(engine, path, recorded, batch);
	}
	// Replayed only to learn compensations: the first run got no further.
	if (scope.replayOnly) throw new ReplayEndError();
	let entry: JournalEntry = recorded ?? {
		kind: "message",
		name,
		status: "pending",
		createdAt: engine.now(),
		...(options.timeout === undefined ? {} : { deadline: deadlineIn(engine, options.timeout) }),
	};
	// Code deployed while the run waited here added a timeout: it runs from now (the wait's
	// entry, written when it began, had none, and the run would wait for good: a review).
	if (recorded !== undefined && recorded.deadline === undefined && options.timeout !== undefined) {
		entry = { ...recorded, deadline: deadlineIn(engine, options.timeout) };
		engine.journal.put(path, entry);
	}
	// Journaled as the wait begins (as a sleep is), timeout or not: code deployed while a run
	// waits here replays against it. Without it, a getVersion placed before the wait gave the
	// waiting run the new version, and a step inserted there was taken without a word (a
	// walkthrough, 2026-11-28).
	if (recorded === undefined) engine.journal.put(path, entry);
	const completable = options.completable === true;
	const received = await receiveForScope(engine, scope, entry.deadline, {
		count: batch ? (options.count ?? 1) : 1,
		signal: scope.signal,
		...(options.names === undefined ? {} : { names: options.names }),
		...(completable ? { completable: true } : {}),
	});
	const messages: JournalMessage[] = received.map((message) => {
		if (message.complete) engine.leased.set(message.id, { complete: message.complete });
		return {
			id: message.id,
			name: message.name,
			body: engine.host.toRaw(message.body),
			createdAt: message.createdAt,
			completable,
			completed: false,
		};
	});
	entry = { ...entry, status: "completed", completedAt: engine.now(), messages };
	engine.journal.put(path, entry);
	return views(engine, path, entry, batch);
}

/**
 * Waits for messages the scope may keep: in a race, a branch takes none while
 * a sibling that got messages holds the race (race-gate.ts); what reaches it
 * all the same (the race was decided meanwhile, or a provider ignored the
 * gate) goes back to the queue untouched, never journaled, and it waits
 * again, from the next turn.
 */
async function receiveForScope(
	engine: WorkflowEngine,
	scope: Scope,
	deadline: number | undefined,
	options: Omit<Parameters<RunQueue["nextBatch"]>[0], "timeout">,
): Promise<RunQueueMessage[]> {
	const queue = engine.host.queue;
	const gate = receiveGateOf(scope.seats);
	for (;;) {
		waitsInRaces(scope.seats);
		const end = engine.beginWait(deadline);
		let received: RunQueueMessage[];
		try {
			received = await queue.nextBatch({
				...options,
				...(deadline === undefined ? {} : { timeout: Math.max(0, deadline - engine.now()) }),
				...(gate === undefined ? {} : { gate }),
			});
		} catch (error) {
			if (engine.evicted.aborted) throw new EvictedError();
			throw error;
		} finally {
			end();
		}
		if (received.length === 0) return received;
		// Its race was decided meanwhile (another branch won): the result would be thrown away.
		if (scope.signal.aborted && !engine.evicted.aborted) {
			queue.giveBack(received);
			throw scope.signal.reason;
		}
		const held = scope.seats.find((seat) => !seat.gate.mayKeep(seat.branch));
		if (held === undefined) {
			claimRaces(scope);
			return received;
		}
		queue.giveBack(received);
		await held.gate.free();
		scope.check();
	}
}

/** The scope received messages: it holds each race it is a branch of until it waits or ends. */
function claimRaces(scope: Scope): void {
	for (const seat of scope.seats) seat.gate.claim(seat.branch);
}

function views(
	engine: WorkflowEngine,
	path: readonly number[],
	entry: JournalEntry,
	batch: boolean,
): unknown {
	const list = (entry.messages ?? []).map((record) => {
		const view = {
			id: record.id,
			name: record.name,
			// A copy: code that changes it must not change the journal's record.
			body: copyOf(record.body),
			createdAt: record.createdAt,
		};
		if (!record.completable) return view;
		return {
			...view,
			complete: (response?: unknown) => completeMessage(engine, path, record, response),
		};
	});
	return batch ? list : list[0];
}

async function completeMessage(
	engine: WorkflowEngine,
	path: readonly number[],
	record: JournalMessage,
	response: unknown,
): Promise<void> {
	// Completed before (this is a replay): the sender already has its answer.
	if (record.completed) return;
	// Its race branch lost, and it went back to the queue: another receiver has it now.
	if (record.givenBack === true) throw givenBackError();
	const live = engine.leased.get(record.id);
	if (live) {
		await live.complete(response);
		engine.leased.delete(record.id);
	}
	record.completed = true;
	const entry = engine.journal.get(path);
	if (entry !== undefined) engine.journal.put(path, entry);
}
