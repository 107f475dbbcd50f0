// A storage driver wrapper for tests: holds commits until released (to watch
// the output gate) or fails them (to exercise the reset path). It wraps a
// real driver; only the timing and failure of commits are under test control.
import type {
	ActorStore,
	CommitItem,
	CommitResult,
	StorageDriver,
} from "../../src/storage/interfaces.js";

interface HeldCommit {
	run(): void;
}

/** Test control over a wrapped driver's commits. */
export interface ControllableStorage {
	readonly driver: StorageDriver;
	/** Commits wait until `release()`. */
	hold(): void;
	/** Lets held and future commits through. */
	release(): void;
	/** Lets the oldest held commit through; later ones stay held. */
	releaseOne(): void;
	/** The next `n` commit calls reject with an I/O-like error. */
	failNext(n: number): void;
	/** Commit calls fail no more (what `failNext` asked for that did not happen yet is dropped). */
	stopFailing(): void;
	/** Commit calls seen so far. */
	readonly commits: number;
	/** Commit calls waiting right now. */
	readonly held: number;
}

/**
 * `inner` with its store's commits going through `commit` (given the real
 * store's commit for the batch); reads go straight to the real store.
 */
export function wrapCommits(
	inner: StorageDriver,
	name: string,
	commit: (batch: readonly CommitItem[], next: ActorStore["commit"]) => Promise<CommitResult[]>,
): StorageDriver {
	const wrap = (store: ActorStore): ActorStore => ({
		get: (actorId, keys) => store.get(actorId, keys),
		list: (actorId, range, options) => store.list(actorId, range, options),
		commit: (batch) => commit(batch, (items) => store.commit(items)),
	});
	return {
		name: `${name}(${inner.name})`,
		async open() {
			const handles = await inner.open();
			return { ...handles, store: wrap(handles.store) };
		},
	};
}

/**
 * `inner` with its store's `get` going through `get` (given the real store's `get`); the rest of
 * the store is the real one's, unchanged.
 */
export function wrapGets(
	inner: StorageDriver,
	name: string,
	get: (
		actorId: string,
		keys: readonly Uint8Array[],
		next: ActorStore["get"],
	) => ReturnType<ActorStore["get"]>,
): StorageDriver {
	return {
		name: `${name}(${inner.name})`,
		async open(context) {
			const handles = await inner.open(context);
			const next = handles.store.get.bind(handles.store);
			handles.store.get = (actorId, keys) => get(actorId, keys, next);
			return handles;
		},
	};
}

export function controllableStorage(inner: StorageDriver): ControllableStorage {
	let holding = false;
	let failures = 0;
	let commits = 0;
	let waiting: HeldCommit[] = [];

	const driver = wrapCommits(inner, "controllable", (batch, commit): Promise<CommitResult[]> => {
		commits++;
		if (failures > 0) {
			failures--;
			return Promise.reject(new Error("simulated disk failure"));
		}
		if (!holding) return commit(batch);
		return new Promise<CommitResult[]>((resolve, reject) => {
			waiting.push({ run: () => commit(batch).then(resolve, reject) });
		});
	});

	return {
		driver,
		hold() {
			holding = true;
		},
		release() {
			holding = false;
			const ready = waiting;
			waiting = [];
			for (const commit of ready) commit.run();
		},
		releaseOne() {
			waiting.shift()?.run();
		},
		failNext(n: number) {
			failures += n;
		},
		stopFailing() {
			failures = 0;
		},
		get commits() {
			return commits;
		},
		get held() {
			return waiting.length;
		},
	};
}

/** Waits `n` event-loop turns (to show that something does NOT happen). */
export async function turns(n = 20): Promise<void> {
	for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}
