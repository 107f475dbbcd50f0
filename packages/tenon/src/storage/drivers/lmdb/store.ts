import { createHash } from "node:crypto";
import { concatBytes } from "../../../protocol/bytes.js";
import { cborDecode, cborEncode } from "../../../protocol/encoding.js";
import { compareBytes, inRange, prefixEnd } from "../../bytes.js";
import type {
	ActorStore,
	CommitItem,
	CommitResult,
	Entry,
	KeyRange,
	ListOptions,
} from "../../interfaces.js";
import { asPlainBytes, type LmdbEnv } from "./env.js";

const encoder = new TextEncoder();

/** LMDB refuses keys longer than this. */
const LMDB_MAX_KEY = 1978;
/** Bytes of a long key kept in order in its spill key (then a SHA-256). */
const SPILL_PREFIX = 1900;

/** Every key of an actor starts with its id's bytes (ids have a fixed length). */
function actorPrefix(actorId: string): Uint8Array {
	return encoder.encode(actorId);
}

function isLong(absoluteKey: Uint8Array): boolean {
	return absoluteKey.byteLength > LMDB_MAX_KEY;
}

/**
 * The `data-long` key of a key too long for LMDB: its first 1900 bytes (so
 * spill keys sort like the keys they stand for, up to that point) and a
 * SHA-256 of the whole key (so different keys never collide). The whole key
 * is stored in the value, and listings re-sort by it.
 */
function spillKey(absoluteKey: Uint8Array): Uint8Array {
	const digest = createHash("sha256").update(absoluteKey).digest();
	return concatBytes(absoluteKey.subarray(0, SPILL_PREFIX), new Uint8Array(digest));
}

interface Bounds {
	start: Uint8Array;
	end: Uint8Array;
}

function absoluteRange(prefix: Uint8Array, range: KeyRange): Bounds {
	return {
		start: range.start === undefined ? prefix : concatBytes(prefix, range.start),
		// Actor ids are base-36 text, so the prefix never ends in 0xff.
		end:
			range.end === undefined ? (prefixEnd(prefix) as Uint8Array) : concatBytes(prefix, range.end),
	};
}

/** The spill-key range that can hold long keys inside `bounds`. */
function spillRange(bounds: Bounds): Bounds {
	const start = bounds.start.subarray(0, SPILL_PREFIX);
	const head = bounds.end.subarray(0, SPILL_PREFIX);
	// Every spill key whose first 1900 bytes equal `head` may still be below `end`.
	const end = bounds.end.byteLength > SPILL_PREFIX ? (prefixEnd(head) ?? bounds.end) : head;
	return { start, end };
}

/**
 * LMDB {@link ActorStore}. A batch of commits runs in one write transaction
 * (group commit) whose promise resolves once it is synced to disk; `flushed`
 * is awaited as well, so durability holds whatever the environment's sync mode.
 *
 * Keys longer than LMDB's limit (1978 bytes with the actor id) are kept in a
 * second database and merged into listings, so actor keys of any length keep
 * exact byte order.
 */
export class LmdbStore implements ActorStore {
	/** LMDB has one writer: one transaction at a time, as large as the load makes it. */
	readonly commitConcurrency = 1;
	readonly #env: LmdbEnv;

	constructor(env: LmdbEnv) {
		this.#env = env;
	}

	#getOne(absoluteKey: Uint8Array): Uint8Array | undefined {
		if (!isLong(absoluteKey)) return asPlainBytes(this.#env.data.get(absoluteKey));
		const stored = this.#env.dataLong.get(spillKey(absoluteKey));
		if (stored === undefined) return undefined;
		const [fullKey, value] = cborDecode(stored) as [Uint8Array, Uint8Array];
		return compareBytes(fullKey, absoluteKey) === 0 ? asPlainBytes(value) : undefined;
	}

	async get(actorId: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
		const prefix = actorPrefix(actorId);
		return keys.map((key) => this.#getOne(concatBytes(prefix, key)));
	}

	/** Long keys inside `bounds`, as absolute entries, in key order. */
	#longEntries(bounds: Bounds): Entry[] {
		const range = spillRange(bounds);
		const out: Entry[] = [];
		for (const { value } of this.#env.dataLong.getRange({ start: range.start, end: range.end })) {
			const [fullKey, stored] = cborDecode(value) as [Uint8Array, Uint8Array];
			if (inRange(fullKey, bounds.start, bounds.end))
				out.push([asPlainBytes(fullKey), asPlainBytes(stored)]);
		}
		return out.sort((a, b) => compareBytes(a[0], b[0]));
	}

	async list(actorId: string, range: KeyRange, options: ListOptions = {}): Promise<Entry[]> {
		const prefix = actorPrefix(actorId);
		const bounds = absoluteRange(prefix, range);
		const limit = options.limit ?? Number.POSITIVE_INFINITY;
		if (limit <= 0) return [];
		const long = this.#longEntries(bounds);
		if (options.reverse) long.reverse();
		const out: Entry[] = [];
		const push = (key: Uint8Array, value: Uint8Array) => {
			// Copy the key: lmdb-js may reuse its key buffer between iterations.
			out.push([Uint8Array.prototype.slice.call(key, prefix.length), asPlainBytes(value)]);
		};
		// lmdb-js treats `end` as exclusive in both directions, so a reverse scan
		// starts at our (exclusive) end and stops by hand below our start.
		const iterable = options.reverse
			? this.#env.data.getRange({ start: bounds.end, exclusiveStart: true, reverse: true })
			: this.#env.data.getRange({ start: bounds.start, end: bounds.end });
		let next = 0;
		const before = (a: Uint8Array, b: Uint8Array) =>
			options.reverse ? compareBytes(a, b) > 0 : compareBytes(a, b) < 0;
		for (const { key, value } of iterable) {
			if (options.reverse && compareBytes(key, bounds.start) < 0) break;
			while (next < long.length && before((long[next] as Entry)[0], key) && out.length < limit) {
				const [longKey, longValue] = long[next++] as Entry;
				push(longKey, longValue);
			}
			if (out.length >= limit) break;
			push(key, value);
			if (out.length >= limit) break;
		}
		while (next < long.length && out.length < limit) {
			const [longKey, longValue] = long[next++] as Entry;
			push(longKey, longValue);
		}
		return out;
	}

	async commit(batch: readonly CommitItem[]): Promise<CommitResult[]> {
		const env = this.#env;
		const results = await env.root.transaction(() => batch.map((item) => this.#apply(item)));
		await env.root.flushed;
		return results;
	}

	/**
	 * Commits on the calling thread and returns once synced. Cheaper in
	 * latency than {@link commit} (no hand-off to the write thread and back),
	 * but blocks the event loop for the sync: the pipeline uses it only when
	 * nothing else is being committed.
	 */
	commitSync(batch: readonly CommitItem[]): CommitResult[] {
		return this.#env.root.transactionSync(() => batch.map((item) => this.#apply(item)));
	}

	/** Applies one item inside the current write transaction. */
	#apply(item: CommitItem): CommitResult {
		const env = this.#env;
		const currentFence = env.fences.get(item.actorId) ?? 0;
		if (item.fence < currentFence) return { ok: false, reason: "fenced", currentFence };
		if (item.fence !== currentFence) env.fences.putSync(item.actorId, item.fence);
		const prefix = actorPrefix(item.actorId);
		if (item.clear) this.#deleteRange(prefix, {});
		for (const range of item.deleteRanges ?? []) this.#deleteRange(prefix, range);
		for (const key of item.deletes) {
			const absolute = concatBytes(prefix, key);
			if (isLong(absolute)) env.dataLong.removeSync(spillKey(absolute));
			else env.data.removeSync(absolute);
		}
		for (const [key, value] of item.puts) {
			const absolute = concatBytes(prefix, key);
			if (isLong(absolute)) env.dataLong.putSync(spillKey(absolute), cborEncode([absolute, value]));
			else env.data.putSync(absolute, value);
		}
		if (item.alarm !== undefined) this.#setAlarm(item.actorId, item.alarm);
		return { ok: true };
	}

	#deleteRange(prefix: Uint8Array, range: KeyRange): void {
		const bounds = absoluteRange(prefix, range);
		// Collect first: removing while iterating a cursor is not supported.
		const keys = [...this.#env.data.getKeys({ start: bounds.start, end: bounds.end })];
		for (const key of keys) this.#env.data.removeSync(key);
		for (const [fullKey] of this.#longEntries(bounds))
			this.#env.dataLong.removeSync(spillKey(fullKey));
	}

	#setAlarm(actorId: string, at: number | null): void {
		const env = this.#env;
		const previous = env.alarmsByActor.get(actorId);
		if (previous !== undefined) env.alarmsByTime.removeSync([previous, actorId]);
		if (at === null) {
			env.alarmsByActor.removeSync(actorId);
		} else {
			env.alarmsByActor.putSync(actorId, at);
			env.alarmsByTime.putSync([at, actorId], "");
		}
	}
}
