// Time travel for the inspector: the last N committed turns of an actor, each
// with what ran it and the state it left, written with the turn's own commit
// under the HISTORY area so the record survives restarts. Only built when the
// actor's `turnHistory` option is above 0: with it off, the hot path pays one
// optional call on `undefined` and allocates nothing.

import type { FireInfo } from "../actor/schedule.js";
import type { Clock } from "../common/clock.js";
import { cborDecode, cborEncode } from "../protocol/encoding.js";
import {
	AREA,
	HISTORY_RANGE,
	historyKey,
	historySeqOf,
	TURNS_RANGE,
	turnSummaryKey,
} from "../storage/actor-keys.js";
import type { ActorStore } from "../storage/interfaces.js";
import type { WriteBatch, WriteSource } from "./actor-writer.js";

/** What ran a recorded turn. */
export type TurnOrigin =
	| { kind: "action"; name: string; connId: string }
	| { kind: "timer"; name: string; timer: FireInfo["kind"]; id: string }
	| { kind: "queue" }
	| { kind: "workflow"; step?: string }
	| {
			kind: "inspector";
			operation: "edit" | "restore" | "replay";
			who: string;
			/** restore, replay: the recorded turn whose state was set. */
			fromSeq?: number;
			/** replay: the workflow step the work starts again from. */
			step?: string;
	  }
	| { kind: "background" };

/** One recorded commit: the turns it groups, and the state they left. */
export interface TurnRecord {
	seq: number;
	/** When the commit was collected (ms). */
	at: number;
	origins: TurnOrigin[];
	/** The state after the turn (absent when it was larger than {@link MAX_SNAPSHOT_BYTES}). */
	state?: unknown;
	stateOmitted?: true;
}

/**
 * A record without its state: what the history's list shows. Kept beside
 * each record, so listing 100 turns reads a few KB, not up to 25 MB of
 * states (the inspector's list was polled every 1.5 s: about a quarter of
 * the loop for one open tab, an attacker probe).
 */
export type TurnSummary = Omit<TurnRecord, "state">;

/** Largest state snapshot kept per turn (encoded bytes); larger ones record the turn alone. */
export const MAX_SNAPSHOT_BYTES = 256 * 1024;
/** Origins kept per commit: a burst of concurrent turns is summarized, not stored in full. */
const MAX_ORIGINS = 16;

/** What the history reads of its actor. */
export interface TurnHistoryDeps {
	readonly limit: number;
	readonly clock: Clock;
	/** The state without proxies. */
	rawState(): unknown;
	/** Increases on every state mutation. */
	changeCount(): number;
}

/**
 * Records each commit that changed the state (a write source placed after the
 * state's, so it sees what the commit holds) and trims the oldest records.
 */
export class TurnHistory implements WriteSource {
	readonly #deps: TurnHistoryDeps;
	#nextSeq = 1;
	#recordedChange = 0;
	#origins: TurnOrigin[] = [];
	/** An audited turn is pending: it is recorded even if the state did not change. */
	#mustRecord = false;

	constructor(deps: TurnHistoryDeps) {
		this.#deps = deps;
	}

	/** Continues the sequence of the records already stored. */
	async load(store: ActorStore, actorId: string): Promise<void> {
		const [last] = await store.list(actorId, HISTORY_RANGE, { reverse: true, limit: 1 });
		if (last !== undefined) this.#nextSeq = historySeqOf(last[0]) + 1;
		this.#recordedChange = this.#deps.changeCount();
	}

	/** A turn starts: the mark {@link end} compares with (no allocation). */
	begin(): number {
		return this.#deps.changeCount();
	}

	/**
	 * An action (or a timer calling one) ended; it is recorded as an origin
	 * when the state changed since `mark` (a concurrent turn's change may count).
	 */
	end(mark: number, name: string, connId: string, fire: FireInfo | undefined): void {
		if (this.#deps.changeCount() === mark) return;
		this.note(
			fire === undefined
				? { kind: "action", name, connId }
				: { kind: "timer", name, timer: fire.kind, id: fire.id },
		);
	}

	/** Any other turn's origin (recorded if the state changes). */
	note(origin: TurnOrigin): void {
		if (this.#origins.length < MAX_ORIGINS) this.#origins.push(origin);
	}

	/**
	 * The inspector's operations: recorded with the commit that holds them even
	 * when the state stayed the same (a replay that keeps the state), so their
	 * origin is not attributed to a later turn's change.
	 */
	audit(origin: TurnOrigin): void {
		this.note(origin);
		this.#mustRecord = true;
	}

	get hasChanges(): boolean {
		return this.#mustRecord || this.#deps.changeCount() !== this.#recordedChange;
	}

	collect(batch: WriteBatch): void {
		this.#mustRecord = false;
		this.#recordedChange = this.#deps.changeCount();
		const origins = this.#origins.length > 0 ? this.#origins : inferOrigins(batch);
		this.#origins = [];
		const seq = this.#nextSeq++;
		const record: TurnSummary = { seq, at: this.#deps.clock.now(), origins };
		let bytes = cborEncode({ ...record, state: this.#deps.rawState() });
		if (bytes.byteLength > MAX_SNAPSHOT_BYTES) {
			record.stateOmitted = true;
			bytes = cborEncode(record);
		}
		batch.puts.push([historyKey(seq), bytes], [turnSummaryKey(seq), cborEncode(record)]);
		const oldest = seq - this.#deps.limit;
		if (oldest >= 1)
			batch.deleteRanges.push(
				{ start: historyKey(0), end: historyKey(oldest + 1) },
				{ start: turnSummaryKey(0), end: turnSummaryKey(oldest + 1) },
			);
	}
}

/** What ran a commit no turn announced: read from the areas it writes (each workflow step once). */
function inferOrigins(batch: WriteBatch): TurnOrigin[] {
	const origins: TurnOrigin[] = [];
	const steps = new Set<string>();
	for (const [key, value] of batch.puts) {
		if (key[0] !== AREA.WORKFLOW || key[1] !== 0x01 || origins.length === MAX_ORIGINS) continue;
		let step: string | undefined;
		try {
			const entry = cborDecode(value) as { name?: unknown };
			if (typeof entry.name === "string") step = entry.name;
		} catch {
			// Not an entry we can read: still a workflow step.
		}
		if (steps.has(step ?? "")) continue;
		steps.add(step ?? "");
		origins.push(step === undefined ? { kind: "workflow" } : { kind: "workflow", step });
	}
	if (origins.length > 0) return origins;
	const queue = (key: Uint8Array) => key[0] === AREA.QUEUE;
	if (batch.puts.some(([key]) => queue(key)) || batch.deletes.some(queue))
		return [{ kind: "queue" }];
	return [{ kind: "background" }];
}

/** The stored turn history of an actor, oldest first. */
export async function readTurnHistory(store: ActorStore, actorId: string): Promise<TurnRecord[]> {
	const entries = await store.list(actorId, HISTORY_RANGE);
	return entries.map(([, value]) => cborDecode(value) as TurnRecord);
}

/**
 * The stored turn history without its states, oldest first. Records
 * written before summaries were (2026-11-25) are read whole, once each list.
 */
export async function readTurnSummaries(
	store: ActorStore,
	actorId: string,
): Promise<TurnSummary[]> {
	const summaries = (await store.list(actorId, TURNS_RANGE)).map(
		([, value]) => cborDecode(value) as TurnSummary,
	);
	const first = summaries[0]?.seq;
	const [oldest] = await store.list(actorId, HISTORY_RANGE, { limit: 1 });
	if (oldest === undefined || (first !== undefined && historySeqOf(oldest[0]) >= first))
		return summaries;
	const older = await store.list(actorId, {
		start: HISTORY_RANGE.start,
		end: first === undefined ? HISTORY_RANGE.end : historyKey(first),
	});
	return [
		...older.map(([, value]) => {
			const { state: _state, ...summary } = cborDecode(value) as TurnRecord;
			return summary;
		}),
		...summaries,
	];
}

/** One stored record, or undefined. */
export async function readTurn(
	store: ActorStore,
	actorId: string,
	seq: number,
): Promise<TurnRecord | undefined> {
	const [value] = await store.get(actorId, [historyKey(seq)]);
	return value === undefined ? undefined : (cborDecode(value) as TurnRecord);
}
