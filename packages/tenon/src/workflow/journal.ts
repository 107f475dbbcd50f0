import type { RunStorage } from "../actor/run-host.js";
import { assertStorable } from "../common/storable.js";
import { cborDecode, cborEncode } from "../protocol/encoding.js";
import { AREA } from "../storage/actor-keys.js";
import type { Entry as StoredEntry } from "../storage/interfaces.js";
import type { StepFailureKind, WorkflowErrorInfo } from "./errors.js";
import type { EntryKind, WorkflowStatus } from "./types.js";

// Journal layout in the actor's store (area 0x06):
//   06 00            -> status record (state, output or error, timestamps)
//   06 01 <path>     -> one entry; <path> is the entry's position as u32
//                       big-endian segments: the ordinal of each call within
//                       its scope, with one more segment per nested scope
//                       (loop iteration, join/race branch index, try block).
//   06 02            -> the life mark: a life of the actor is running steps
//                       (written before its first step attempt, deleted when
//                       it stops gracefully; still there after a crash).
//   06 03            -> the last code error (halt) `onError` heard, so a
//                       wake that halts on the same one does not report it
//                       again (a hook that kills the process would do so at
//                       every start).
//   06 04 <path>     -> the state a loop iteration started with, kept for the
//                       iterations with steps whose compensation may still
//                       run (<path> is the loop's path and the iteration): a
//                       rollback replays them to find their compensations.
//   06 05            -> the code error that halted the last run (its code
//                       does not match its journal, or misuses the API),
//                       deleted when a run starts: the status record still
//                       says `running`, and the history reads `halted` from this.
// Big-endian segments make a scope's entries one contiguous key range, so a
// loop prunes finished iterations with one range delete.

const STATUS_KEY = Uint8Array.of(AREA.WORKFLOW, 0x00);
const ENTRY_PREFIX = [AREA.WORKFLOW, 0x01] as const;
const ENTRY_RANGE = {
	start: Uint8Array.of(AREA.WORKFLOW, 0x01),
	end: Uint8Array.of(AREA.WORKFLOW, 0x02),
};
const LIFE_KEY = Uint8Array.of(AREA.WORKFLOW, 0x02);
const HALT_KEY = Uint8Array.of(AREA.WORKFLOW, 0x03);
const INPUT_PREFIX = [AREA.WORKFLOW, 0x04] as const;
const HALTED_KEY = Uint8Array.of(AREA.WORKFLOW, 0x05);
const INPUT_RANGE = {
	start: Uint8Array.of(AREA.WORKFLOW, 0x04),
	end: Uint8Array.of(AREA.WORKFLOW, 0x05),
};

/** A recorded queue message of a `queue.next` entry. */
export interface JournalMessage {
	id: string;
	name: string;
	body: unknown;
	createdAt: number;
	/** Received with `completable: true`. */
	completable: boolean;
	/** `complete()` was called. */
	completed: boolean;
	/**
	 * Given back to the queue uncompleted: received by a race's losing branch
	 * (see givenBackByLosers in branches.ts); no longer the workflow's.
	 */
	givenBack?: boolean;
}

/** The state of one branch of a join or race. */
export interface BranchRecord {
	status: "pending" | "completed" | "failed";
	output?: unknown;
	error?: WorkflowErrorInfo;
}

/** One journal entry. Fields beyond the first five depend on the kind. */
export interface JournalEntry {
	kind: EntryKind;
	name: string;
	/**
	 * `running`: a step's attempt `attempts` started and was made durable first
	 * (careful attempts, see WorkflowEngine.beginAttempt); found so after a
	 * crash, the process died during it.
	 */
	status: "pending" | "running" | "retrying" | "completed" | "failed";
	createdAt: number;
	completedAt?: number;
	/** step: attempts made; retrying: when the next one may start. */
	attempts?: number;
	/** step: of its attempts, those the process died in (kept only with `maxCrashes`). */
	crashes?: number;
	retryAt?: number;
	error?: WorkflowErrorInfo;
	failure?: StepFailureKind;
	/** step, loop, try, join, race: the result. */
	output?: unknown;
	/** step: completed with a `rollback` function (its compensation may run). */
	compensable?: boolean;
	/** step: when its compensation completed. */
	rolledBackAt?: number;
	/**
	 * step: its compensation was made durable as running before it ran
	 * (careful, see WorkflowEngine.compensate); found so after a crash, the
	 * process died during it.
	 */
	rollingBack?: boolean;
	/** step: crashes counted during its compensation so far. */
	rollbackCrashes?: number;
	/**
	 * step: its compensation failed (it threw, or the process died in it too
	 * often). Recorded before `onError` hears it: a rollback that reaches it
	 * again stops there at once, without running or reporting it again.
	 */
	rollbackError?: WorkflowErrorInfo;
	/** loop: the next iteration and the loop state. */
	iteration?: number;
	state?: unknown;
	/**
	 * loop: iterations it pruned had received queue messages that are gone
	 * (an inspector replay from before the loop is refused).
	 */
	consumedPruned?: boolean;
	/**
	 * loop: iterations it pruned held a checkpoint of its rollback frame (a
	 * rollback treats the loop as a checkpoint before its iterations).
	 */
	checkpointPruned?: boolean;
	/** sleep, message with timeout: when the wait ends. */
	deadline?: number;
	messages?: JournalMessage[];
	/** join, race: branch names in declaration order, with their state. */
	branches?: Record<string, BranchRecord>;
	winner?: string;
	/** version_check: the resolved version. */
	version?: number;
	/** removed: the kind of the entry it replaces. */
	originalKind?: EntryKind;
}

/** The status record. */
export interface JournalStatus {
	v: 1;
	status: WorkflowStatus;
	startedAt: number;
	finishedAt?: number;
	output?: unknown;
	error?: WorkflowErrorInfo;
}

/** The storage key of the entry at `path`. */
export function entryKey(path: readonly number[]): Uint8Array {
	return pathKey(ENTRY_PREFIX, path);
}

function pathKey(prefix: readonly number[], path: readonly number[]): Uint8Array {
	const key = new Uint8Array(2 + 4 * path.length);
	key.set(prefix, 0);
	const view = new DataView(key.buffer);
	path.forEach((segment, i) => {
		view.setUint32(2 + 4 * i, segment);
	});
	return key;
}

/** The path of an entry's storage key. */
export function pathOfKey(key: Uint8Array): number[] {
	const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
	const path: number[] = [];
	for (let offset = 2; offset + 4 <= key.byteLength; offset += 4) path.push(view.getUint32(offset));
	return path;
}

const pathId = (path: readonly number[]): string => path.join(",");

/** Deletes the entries at top-level positions `ordinal` and after, nested scopes included. */
export function deleteEntriesFrom(writes: Pick<RunStorage, "deleteRange">, ordinal: number): void {
	// Big-endian paths: everything from [ordinal] to the end of the area is one key range.
	writes.deleteRange({ start: entryKey([ordinal]), end: ENTRY_RANGE.end });
	writes.deleteRange({ start: pathKey(INPUT_PREFIX, [ordinal]), end: INPUT_RANGE.end });
}

/**
 * A copy of a journaled value, as a replay reads it back: what workflow code
 * gets, so that it never holds the actor's live state (a step returning
 * `c.state.items` handed it over: a review, 2026-11-26) nor the journal's own
 * entry, and the first run sees what a replay sees (an ArrayBuffer comes back
 * as a Uint8Array, -0 as 0).
 */
export function copyOf<T>(value: T): T {
	return value === undefined ? value : (cborDecode(cborEncode(value)) as T);
}

/** True when `entry` is a completed step whose compensation has not run (it may have failed). */
export function awaitsCompensation(entry: JournalEntry): boolean {
	return (
		entry.kind === "step" &&
		entry.status === "completed" &&
		entry.compensable === true &&
		entry.rolledBackAt === undefined
	);
}

/** True when `entry` received queue messages that were taken off the queue for good. */
export function consumedMessages(entry: JournalEntry): boolean {
	return (
		entry.consumedPruned === true ||
		(entry.messages ?? []).some((message) => !message.completable || message.completed)
	);
}

/** Writes the status record. Throws if a value in it cannot be stored. */
export function putStatus(writes: Pick<RunStorage, "put">, status: JournalStatus): void {
	assertStorable(status, "workflow result");
	writes.put(STATUS_KEY, cborEncode(status));
}

/** Deletes the last halt `onError` heard (see the layout above): a run that goes on may halt there again. */
export function clearHaltReported(writes: Pick<RunStorage, "delete">): void {
	writes.delete(HALT_KEY);
}

/** Reads a journal from storage (all entries and the status record). */
export async function readJournal(reader: {
	get(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
	list(range: { start: Uint8Array; end: Uint8Array }): Promise<StoredEntry[]>;
}): Promise<{
	status: JournalStatus | undefined;
	/** The code error that halted the last run, if no run started since. */
	halted: WorkflowErrorInfo | undefined;
	entries: { path: number[]; entry: JournalEntry; bytes: number }[];
	bytes: number;
}> {
	const [statusBytes, haltedBytes] = await reader.get([STATUS_KEY, HALTED_KEY]);
	const stored = await reader.list(ENTRY_RANGE);
	let bytes = statusBytes?.byteLength ?? 0;
	const entries = stored.map(([key, value]) => {
		bytes += key.byteLength + value.byteLength;
		return {
			path: pathOfKey(key),
			entry: cborDecode(value) as JournalEntry,
			bytes: key.byteLength + value.byteLength,
		};
	});
	return {
		status: statusBytes === undefined ? undefined : (cborDecode(statusBytes) as JournalStatus),
		halted: haltedBytes === undefined ? undefined : (cborDecode(haltedBytes) as WorkflowErrorInfo),
		entries,
		bytes,
	};
}

/**
 * A workflow's journal in memory, written through the actor's buffered
 * writes so each change commits with the turn that made it.
 */
export class Journal {
	readonly #writes: RunStorage;
	readonly #entries = new Map<string, { path: number[]; entry: JournalEntry }>();
	/** Highest ordinal recorded directly under each scope path. */
	readonly #lastOrdinal = new Map<string, number>();
	/** The entries that {@link awaitsCompensation}. */
	readonly #compensable = new Map<string, number[]>();
	/** Loop iterations' input states (see the layout above), by the iteration's path. */
	readonly #inputs = new Map<string, { path: number[]; state: unknown }>();
	status: JournalStatus | undefined;
	/** The life mark was stored when the journal was loaded: the life before did not stop gracefully. */
	lifeMarked = false;
	/** The last halt `onError` heard (see the layout above). */
	haltReported: WorkflowErrorInfo | undefined;
	/** The code error that halted the last run, as loaded (see the layout above). */
	halted: WorkflowErrorInfo | undefined;

	private constructor(writes: RunStorage) {
		this.#writes = writes;
	}

	static async load(writes: RunStorage): Promise<Journal> {
		const journal = new Journal(writes);
		const { status, halted, entries } = await readJournal({
			get: (keys) => writes.get(keys),
			list: (range) => writes.list(range),
		});
		journal.status = status;
		journal.halted = halted;
		for (const { path, entry } of entries) journal.#index(path, entry);
		for (const [key, value] of await writes.list(INPUT_RANGE)) {
			const path = pathOfKey(key);
			journal.#inputs.set(pathId(path), { path, state: cborDecode(value) });
		}
		const [life, halt] = await writes.get([LIFE_KEY, HALT_KEY]);
		journal.lifeMarked = life !== undefined;
		journal.haltReported = halt === undefined ? undefined : (cborDecode(halt) as WorkflowErrorInfo);
		return journal;
	}

	/** Writes (`true`) or deletes the life mark (see the layout above). */
	markLife(running: boolean): void {
		if (running) this.#writes.put(LIFE_KEY, Uint8Array.of(1));
		else this.#writes.delete(LIFE_KEY);
	}

	/** Records (`info`) or forgets the code error that halted the run (see the layout above). */
	setHalted(info: WorkflowErrorInfo | undefined): void {
		if (info === undefined) {
			if (this.halted !== undefined) this.#writes.delete(HALTED_KEY);
		} else this.#writes.put(HALTED_KEY, cborEncode(info));
		this.halted = info;
	}

	/** Records the halt `onError` is about to hear. */
	setHaltReported(halt: WorkflowErrorInfo): void {
		this.#writes.put(HALT_KEY, cborEncode(halt));
		this.haltReported = halt;
	}

	/** Forgets the last halt heard (the run ended). */
	clearHaltReported(): void {
		if (this.haltReported === undefined) return;
		clearHaltReported(this.#writes);
		this.haltReported = undefined;
	}

	/** Every entry, in journal order. */
	all(): IterableIterator<{ path: number[]; entry: JournalEntry }> {
		return this.#entries.values();
	}

	get(path: readonly number[]): JournalEntry | undefined {
		return this.#entries.get(pathId(path))?.entry;
	}

	/** True if the scope at `scopePath` has an entry at `ordinal` or later. */
	hasEntryFrom(scopePath: readonly number[], ordinal: number): boolean {
		const last = this.#lastOrdinal.get(pathId(scopePath));
		return last !== undefined && last >= ordinal;
	}

	/** Records (or replaces) the entry at `path`. Throws if a value in it cannot be stored. */
	put(path: readonly number[], entry: JournalEntry): void {
		assertStorable(entry, `workflow entry '${entry.name}'`);
		this.#writes.put(entryKey(path), cborEncode(entry));
		this.#index([...path], entry);
	}

	setStatus(status: JournalStatus): void {
		putStatus(this.#writes, status);
		this.status = status;
	}

	/** The paths of the entries under `prefix` that {@link awaitsCompensation}. */
	compensableUnder(prefix: readonly number[]): number[][] {
		const found: number[][] = [];
		for (const path of this.#compensable.values()) if (isPrefix(prefix, path)) found.push(path);
		return found;
	}

	/** True if some entry {@link awaitsCompensation}. */
	get hasCompensable(): boolean {
		return this.#compensable.size > 0;
	}

	/** Records the state iteration `iteration` of the loop at `loopPath` started with. */
	putIterationInput(loopPath: readonly number[], iteration: number, state: unknown): void {
		const path = [...loopPath, iteration];
		assertStorable(state, "workflow loop state");
		this.#writes.put(pathKey(INPUT_PREFIX, path), cborEncode(state));
		this.#inputs.set(pathId(path), { path, state });
	}

	/** Forgets an iteration's input state: none of its steps awaits compensation any more. */
	deleteIterationInput(loopPath: readonly number[], iteration: number): void {
		const path = [...loopPath, iteration];
		if (!this.#inputs.delete(pathId(path))) return;
		this.#writes.delete(pathKey(INPUT_PREFIX, path));
	}

	/** The recorded input states of the loop at `loopPath`'s iterations, in iteration order. */
	iterationInputs(loopPath: readonly number[]): { iteration: number; state: unknown }[] {
		const depth = loopPath.length;
		const found: { iteration: number; state: unknown }[] = [];
		for (const { path, state } of this.#inputs.values()) {
			if (path.length === depth + 1 && isPrefix(loopPath, path))
				found.push({ iteration: path[depth] as number, state });
		}
		return found.sort((a, b) => a.iteration - b.iteration);
	}

	/**
	 * Deletes the iterations before `before` of the loop at `loopPath`, except
	 * those in `keep`. Returns the iterations deleted, and whether they had
	 * consumed queue messages.
	 */
	pruneIterations(
		loopPath: readonly number[],
		before: number,
		keep: ReadonlySet<number> = new Set(),
	): { pruned: number[]; consumed: boolean } {
		const depth = loopPath.length;
		const doomed = (path: readonly number[]) =>
			path.length > depth &&
			isPrefix(loopPath, path) &&
			(path[depth] as number) < before &&
			!keep.has(path[depth] as number);
		const iterations = new Set<number>();
		let consumed = false;
		for (const [id, { path, entry }] of this.#entries) {
			if (!doomed(path)) continue;
			iterations.add(path[depth] as number);
			consumed ||= consumedMessages(entry);
			this.#entries.delete(id);
			this.#compensable.delete(id);
		}
		for (const [id, { path }] of this.#inputs) {
			if (!doomed(path)) continue;
			iterations.add(path[depth] as number);
			this.#inputs.delete(id);
		}
		for (const id of this.#lastOrdinal.keys()) {
			if (doomed(id === "" ? [] : id.split(",").map(Number))) this.#lastOrdinal.delete(id);
		}
		const pruned = [...iterations].sort((a, b) => a - b);
		// One range delete per run of consecutive iterations (one in all when nothing is kept).
		for (let i = 0; i < pruned.length; ) {
			let j = i;
			while (j + 1 < pruned.length && pruned[j + 1] === (pruned[j] as number) + 1) j++;
			for (const prefix of [ENTRY_PREFIX, INPUT_PREFIX]) {
				this.#writes.deleteRange({
					start: pathKey(prefix, [...loopPath, pruned[i] as number]),
					end: pathKey(prefix, [...loopPath, (pruned[j] as number) + 1]),
				});
			}
			i = j + 1;
		}
		return { pruned, consumed };
	}

	#index(path: number[], entry: JournalEntry): void {
		const id = pathId(path);
		this.#entries.set(id, { path, entry });
		if (awaitsCompensation(entry)) this.#compensable.set(id, path);
		else this.#compensable.delete(id);
		const scope = pathId(path.slice(0, -1));
		const ordinal = path[path.length - 1] as number;
		const last = this.#lastOrdinal.get(scope);
		if (last === undefined || ordinal > last) this.#lastOrdinal.set(scope, ordinal);
	}
}

/** True when `path` is `prefix` or lies under it (an entry of that scope, or nested in it). */
export function isPrefix(prefix: readonly number[], path: readonly number[]): boolean {
	for (let i = 0; i < prefix.length; i++) if (prefix[i] !== path[i]) return false;
	return true;
}

/**
 * The ids of the queue messages `entries` received with `completable: true`
 * and did not complete nor give back: the ones the workflow still holds.
 */
export function uncompletedMessageIds(entries: Iterable<{ entry: JournalEntry }>): string[] {
	const ids: string[] = [];
	for (const { entry } of entries) {
		if (entry.kind !== "message" || entry.messages === undefined) continue;
		for (const message of entry.messages)
			if (message.completable && !message.completed && message.givenBack !== true)
				ids.push(message.id);
	}
	return ids;
}
