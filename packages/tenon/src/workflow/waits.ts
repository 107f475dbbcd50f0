import type { WorkflowContextImpl } from "./context.js";
import type { WorkflowEngine } from "./engine.js";
import { EvictedError, invalidWorkflowUse } from "./errors.js";
import type { JournalEntry, JournalMessage } from "./journal.js";
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
	let entry = recorded;
	if (entry?.deadline === undefined) {
		const now = engine.now();
		const deadline = deadlineFrom(now);
		if (!Number.isFinite(deadline)) throw invalidWorkflowUse(`sleep '${name}' needs a finite time`);
		entry = { kind: "sleep", name, status: "pending", createdAt: now, deadline };
		engine.journal.put(path, entry);
	}
	const deadline = entry.deadline as number;
	if (deadline > engine.now()) await engine.delayUntil(deadline, scope.signal);
	scope.check();
	engine.journal.put(path, { ...entry, status: "completed", completedAt: engine.now() });
}

type ReceiveOptions = WorkflowNextOptions<string> & { count?: number };

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
 * journaled too, so replay does not complete them twice.
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
	if (recorded?.status === "completed") return views(engine, path, recorded, batch);
	let entry: JournalEntry = recorded ?? {
		kind: "message",
		name,
		status: "pending",
		createdAt: engine.now(),
		...(options.timeout === undefined ? {} : { deadline: engine.now() + options.timeout }),
	};
	if (recorded === undefined && entry.deadline !== undefined) engine.journal.put(path, entry);
	const completable = options.completable === true;
	const end = engine.beginWait(entry.deadline);
	let received: {
		id: string;
		name: string;
		body: unknown;
		createdAt: number;
		complete?: (response?: unknown) => Promise<void>;
	}[];
	try {
		received = await engine.host.queue.nextBatch({
			count: batch ? (options.count ?? 1) : 1,
			signal: scope.signal,
			...(options.names === undefined ? {} : { names: options.names }),
			...(completable ? { completable: true } : {}),
			...(entry.deadline === undefined
				? {}
				: { timeout: Math.max(0, entry.deadline - engine.now()) }),
		});
	} catch (error) {
		if (engine.evicted.aborted) throw new EvictedError();
		throw error;
	} finally {
		end();
	}
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
			body: record.body,
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
	const live = engine.leased.get(record.id);
	if (live) {
		await live.complete(response);
		engine.leased.delete(record.id);
	}
	record.completed = true;
	const entry = engine.journal.get(path);
	if (entry !== undefined) engine.journal.put(path, entry);
}
