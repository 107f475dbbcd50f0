import { compareBytes, inRange, toHex } from "../storage/bytes.js";
import type { ActorStore, Entry, KeyRange, ListOptions } from "../storage/interfaces.js";
import type { WriteBatch, WriteSource } from "./actor-writer.js";

/** Writes made since the last commit, or being committed now. */
class Layer {
	readonly puts = new Map<string, Entry>();
	readonly deletes = new Map<string, Uint8Array>();
	readonly ranges: KeyRange[] = [];

	get empty(): boolean {
		return this.puts.size === 0 && this.deletes.size === 0 && this.ranges.length === 0;
	}

	/** What this layer says about `key`: a value, deleted, or nothing. */
	lookup(hex: string, key: Uint8Array): { value: Uint8Array | undefined } | undefined {
		const put = this.puts.get(hex);
		if (put) return { value: put[1] };
		if (this.deletes.has(hex)) return { value: undefined };
		for (const range of this.ranges)
			if (inRange(key, range.start, range.end)) return { value: undefined };
		return undefined;
	}
}

/**
 * An actor's buffered writes to its store (KV, queue, schedules): readers see
 * them at once, and they are committed with the next turn's commit. Layers:
 * `pending` (written since the last commit started) over `inFlight` (being
 * committed) over the store.
 */
export class PendingWrites implements WriteSource {
	readonly #store: ActorStore;
	readonly #actorId: string;
	readonly #onChange: () => void;
	/** Created on the first write (most actors write only state). */
	#pending: Layer | undefined;
	#inFlight: Layer | undefined;

	constructor(store: ActorStore, actorId: string, onChange: () => void) {
		this.#store = store;
		this.#actorId = actorId;
		this.#onChange = onChange;
	}

	get hasChanges(): boolean {
		return this.#pending !== undefined && !this.#pending.empty;
	}

	/** The layer to write to; the first write since a commit reports the change. */
	#touch(): Layer {
		if (this.#pending === undefined || this.#pending.empty) this.#onChange();
		this.#pending ??= new Layer();
		return this.#pending;
	}

	put(key: Uint8Array, value: Uint8Array): void {
		const layer = this.#touch();
		const hex = toHex(key);
		layer.deletes.delete(hex);
		layer.puts.set(hex, [key, value]);
	}

	delete(key: Uint8Array): void {
		const layer = this.#touch();
		const hex = toHex(key);
		layer.puts.delete(hex);
		layer.deletes.set(hex, key);
	}

	deleteRange(range: KeyRange): void {
		const layer = this.#touch();
		for (const [hex, [key]] of layer.puts) {
			if (inRange(key, range.start, range.end)) layer.puts.delete(hex);
		}
		layer.ranges.push(range);
	}

	/** Values for `keys`, seeing buffered writes first. */
	async get(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
		const out: (Uint8Array | undefined)[] = new Array(keys.length);
		const missing: number[] = [];
		keys.forEach((key, i) => {
			const hex = toHex(key);
			const hit = this.#pending?.lookup(hex, key) ?? this.#inFlight?.lookup(hex, key);
			if (hit) out[i] = hit.value;
			else missing.push(i);
		});
		if (missing.length > 0) {
			const stored = await this.#store.get(
				this.#actorId,
				missing.map((i) => keys[i] as Uint8Array),
			);
			missing.forEach((index, j) => {
				// A write may have happened while the store was read.
				const key = keys[index] as Uint8Array;
				const hex = toHex(key);
				const hit = this.#pending?.lookup(hex, key) ?? this.#inFlight?.lookup(hex, key);
				out[index] = hit ? hit.value : stored[j];
			});
		}
		return out;
	}

	/** Entries in `range`, merging buffered writes with the store. */
	async list(range: KeyRange, options: ListOptions = {}): Promise<Entry[]> {
		const layers = [this.#pending, this.#inFlight].filter(
			(layer): layer is Layer => layer !== undefined,
		);
		// Ask the store for enough rows to survive buffered deletes.
		const buffered = layers.reduce(
			(n, layer) => n + layer.deletes.size + (layer.ranges.length > 0 ? 1 : 0),
			0,
		);
		const limit = options.limit;
		const storeLimit =
			limit === undefined || layers.some((layer) => layer.ranges.length > 0)
				? undefined
				: limit + buffered;
		const stored = await this.#store.list(this.#actorId, range, {
			...(options.reverse ? { reverse: true } : {}),
			...(storeLimit === undefined ? {} : { limit: storeLimit }),
		});
		// The layers as they are now, newest first, and those the read began with: a commit
		// may have landed while the store was read (its layer gone from #inFlight), and the
		// store may have answered from before it (PostgreSQL's snapshot): a key this turn
		// deleted came back (a review, 2026-11-26).
		const newestFirst: Layer[] = [];
		for (const layer of [this.#pending, this.#inFlight, ...layers])
			if (layer !== undefined && !newestFirst.includes(layer)) newestFirst.push(layer);
		const merged = new Map<string, Entry>();
		for (const entry of stored) {
			const hex = toHex(entry[0]);
			if (!newestFirst.some((layer) => layer.lookup(hex, entry[0]) !== undefined))
				merged.set(hex, entry);
		}
		for (let i = newestFirst.length - 1; i >= 0; i--) {
			const layer = newestFirst[i] as Layer;
			for (const [hex, entry] of layer.puts) {
				if (!inRange(entry[0], range.start, range.end)) continue;
				let newer = false;
				for (let j = 0; j < i && !newer; j++)
					newer = (newestFirst[j] as Layer).lookup(hex, entry[0]) !== undefined;
				if (!newer) merged.set(hex, entry);
			}
		}
		const sorted = [...merged.values()].sort((a, b) => compareBytes(a[0], b[0]));
		if (options.reverse) sorted.reverse();
		return limit === undefined ? sorted : sorted.slice(0, limit);
	}

	collect(batch: WriteBatch): void {
		const layer = this.#pending;
		this.#inFlight = layer;
		this.#pending = undefined;
		if (layer === undefined) return;
		// Loops, not `push(...)`: an action may write more keys than a call
		// can take arguments (200,000 puts threw RangeError here).
		for (const range of layer.ranges) batch.deleteRanges.push(range);
		for (const key of layer.deletes.values()) batch.deletes.push(key);
		for (const entry of layer.puts.values()) batch.puts.push(entry);
	}

	/** The last collected writes are durable: reads may go to the store now. */
	committed(): void {
		this.#inFlight = undefined;
	}
}
