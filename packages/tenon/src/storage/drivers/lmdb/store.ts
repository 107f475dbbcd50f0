import { concatBytes } from "../../../protocol/bytes.js";
import { compareBytes, prefixEnd } from "../../bytes.js";
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

/** Every key of an actor starts with its id's bytes (ids have a fixed length). */
function actorPrefix(actorId: string): Uint8Array {
	return encoder.encode(actorId);
}

function absoluteRange(
	prefix: Uint8Array,
	range: KeyRange,
): { start: Uint8Array; end: Uint8Array } {
	return {
		start: range.start === undefined ? prefix : concatBytes(prefix, range.start),
		// Actor ids are base-36 text, so the prefix never ends in 0xff.
		end:
			range.end === undefined ? (prefixEnd(prefix) as Uint8Array) : concatBytes(prefix, range.end),
	};
}

/**
 * LMDB {@link ActorStore}. A batch of commits runs in one write transaction
 * (group commit), then waits for `flushed`: with `overlappingSync` a commit
 * is visible before it is on disk, and only `flushed` means durable.
 */
export class LmdbStore implements ActorStore {
	readonly #env: LmdbEnv;

	constructor(env: LmdbEnv) {
		this.#env = env;
	}

	async get(actorId: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
		const prefix = actorPrefix(actorId);
		return keys.map((key) => asPlainBytes(this.#env.data.get(concatBytes(prefix, key))));
	}

	async list(actorId: string, range: KeyRange, options: ListOptions = {}): Promise<Entry[]> {
		const prefix = actorPrefix(actorId);
		const { start, end } = absoluteRange(prefix, range);
		const limit = options.limit ?? Number.POSITIVE_INFINITY;
		const out: Entry[] = [];
		if (limit <= 0) return out;
		// lmdb-js treats `end` as exclusive in both directions, so a reverse scan
		// starts at our (exclusive) end and stops by hand below our start.
		const iterable = options.reverse
			? this.#env.data.getRange({ start: end, exclusiveStart: true, reverse: true })
			: this.#env.data.getRange({ start, end });
		for (const { key, value } of iterable) {
			if (options.reverse && compareBytes(key, start) < 0) break;
			// Copy the key: lmdb-js may reuse its key buffer between iterations.
			out.push([Uint8Array.prototype.slice.call(key, prefix.length), asPlainBytes(value)]);
			if (out.length >= limit) break;
		}
		return out;
	}

	async commit(batch: readonly CommitItem[]): Promise<CommitResult[]> {
		const env = this.#env;
		const results = await env.root.transaction(() => batch.map((item) => this.#apply(item)));
		await env.root.flushed;
		return results;
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
		for (const key of item.deletes) env.data.removeSync(concatBytes(prefix, key));
		for (const [key, value] of item.puts) env.data.putSync(concatBytes(prefix, key), value);
		if (item.alarm !== undefined) this.#setAlarm(item.actorId, item.alarm);
		return { ok: true };
	}

	#deleteRange(prefix: Uint8Array, range: KeyRange): void {
		const { start, end } = absoluteRange(prefix, range);
		// Collect first: removing while iterating a cursor is not supported.
		const keys = [...this.#env.data.getKeys({ start, end })];
		for (const key of keys) this.#env.data.removeSync(key);
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
