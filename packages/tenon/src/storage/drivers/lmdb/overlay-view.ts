import { concatBytes } from "../../../protocol/bytes.js";
import { compareBytes, copyBytes, inRange } from "../../bytes.js";
import type { DueAlarm, Entry, KeyRange, ListOptions } from "../../interfaces.js";
import type { LmdbEnv } from "./env.js";
import { absoluteRange, actorPrefix } from "./keys.js";
import { readData, scanData } from "./lmdb-data.js";
import { keyBytes, keyString, type OverlayLayer, type OverlaySlot } from "./overlay.js";

/**
 * Reads actor data, fences and alarms as LMDB plus overlays of writes not yet
 * checkpointed into it (newest overlay first): point reads check the
 * overlays first, ordered scans merge both. With no overlays it reads LMDB
 * alone.
 */
export class OverlayView {
	readonly #env: LmdbEnv;
	readonly #layers: () => readonly OverlayLayer[];
	readonly #fences: FenceCache | undefined;

	/** `fences`: fences already read or written, kept by the one writer of `env`. */
	constructor(env: LmdbEnv, layers: () => readonly OverlayLayer[], fences?: FenceCache) {
		this.#env = env;
		this.#layers = layers;
		this.#fences = fences;
	}

	/** One actor's value for a relative key. */
	get(actorId: string, key: Uint8Array): Uint8Array | undefined {
		let name: string | undefined;
		for (const layer of this.#layers()) {
			const slots = layer.data.get(actorId);
			if (slots === undefined) continue;
			name ??= keyString(key);
			const value = slots.get(name);
			// A copy: the overlay's bytes must not change if the caller writes into them.
			if (value !== undefined) return value === null ? undefined : copyBytes(value);
		}
		return readData(this.#env, concatBytes([actorPrefix(actorId), key]));
	}

	/** The highest fence accepted for an actor (0 when none). */
	fence(actorId: string): number {
		for (const layer of this.#layers()) {
			const fence = layer.fences.get(actorId);
			if (fence !== undefined) return fence;
		}
		const cache = this.#fences;
		if (cache === undefined) return this.#env.fences.get(actorId) ?? 0;
		let fence = cache.get(actorId);
		if (fence === undefined) {
			fence = this.#env.fences.get(actorId) ?? 0;
			cache.remember(actorId, fence);
		}
		return fence;
	}

	/** An actor's alarm. */
	alarm(actorId: string): number | undefined {
		for (const layer of this.#layers()) {
			const at = layer.alarms.get(actorId);
			if (at !== undefined) return at ?? undefined;
		}
		return this.#env.alarmsByActor.get(actorId);
	}

	/** Entries of one actor in `range` (relative keys), in key order or reverse. */
	list(actorId: string, range: KeyRange, options: ListOptions = {}): Entry[] {
		const limit = options.limit ?? Number.POSITIVE_INFINITY;
		const out: Entry[] = [];
		if (limit <= 0) return out;
		const reverse = options.reverse === true;
		const prefix = actorPrefix(actorId);
		const pending = this.#overlaySlots(actorId, range, reverse);
		const stored = scanData(this.#env, absoluteRange(prefix, range), reverse);
		let next = stored.next();
		let index = 0;
		while (out.length < limit) {
			const slot = pending[index];
			const storedKey = next.done ? undefined : next.value[0].subarray(prefix.length);
			if (slot === undefined && storedKey === undefined) break;
			const order =
				slot === undefined
					? 1
					: storedKey === undefined
						? -1
						: compareBytes(slot.key, storedKey) * (reverse ? -1 : 1);
			if (order <= 0) {
				// The overlay is newer than LMDB: it wins on an equal key.
				index++;
				if (order === 0) next = stored.next();
				// The key is made for this call (from its string); the value is the overlay's.
				if (slot?.value != null) out.push([slot.key, copyBytes(slot.value)]);
			} else if (!next.done) {
				out.push([storedKey as Uint8Array, next.value[1]]);
				next = stored.next();
			}
		}
		stored.return(undefined);
		return out;
	}

	/** Every relative key of one actor in `range` (for range deletes). */
	keys(actorId: string, range: KeyRange): Uint8Array[] {
		return this.list(actorId, range).map(([key]) => key);
	}

	/** The overlays' newest slots of one actor inside `range`, sorted. */
	#overlaySlots(actorId: string, range: KeyRange, reverse: boolean): OverlaySlot[] {
		const layers = this.#layers();
		if (layers.length === 0) return [];
		const merged = new Map<string, OverlaySlot>();
		// Oldest first, so newer layers overwrite.
		for (let i = layers.length - 1; i >= 0; i--) {
			for (const [name, value] of (layers[i] as OverlayLayer).data.get(actorId) ?? []) {
				const key = keyBytes(name);
				if (inRange(key, range.start, range.end)) merged.set(name, { key, value });
			}
		}
		const names = [...merged.keys()].sort();
		if (reverse) names.reverse();
		return names.map((name) => merged.get(name) as OverlaySlot);
	}

	/**
	 * Pending alarms in `(at, actorId)` order, starting at `from` (inclusive).
	 * An actor whose alarm an overlay changed is read from the overlay only.
	 */
	*alarmsFrom(from: readonly [number, string?]): Generator<DueAlarm> {
		const overridden = new Map<string, number | null>();
		const layers = this.#layers();
		for (let i = layers.length - 1; i >= 0; i--)
			for (const [actorId, at] of (layers[i] as OverlayLayer).alarms) overridden.set(actorId, at);
		const start = { at: from[0], actorId: from[1] ?? "" };
		const pending: DueAlarm[] = [];
		for (const [actorId, at] of overridden)
			if (at !== null && compareAlarms({ at, actorId }, start) >= 0) pending.push({ at, actorId });
		pending.sort(compareAlarms);
		let index = 0;
		for (const key of this.#env.alarmsByTime.getKeys({
			start: from[1] === undefined ? [from[0]] : [from[0], from[1]],
		})) {
			const stored = { at: key[0] as number, actorId: key[1] as string };
			if (overridden.has(stored.actorId)) continue;
			while (index < pending.length && compareAlarms(pending[index] as DueAlarm, stored) < 0)
				yield pending[index++] as DueAlarm;
			yield stored;
		}
		while (index < pending.length) yield pending[index++] as DueAlarm;
	}
}

/**
 * The fences of the actors committed lately, so a commit's fence check does
 * not read LMDB (a read transaction and a decode: about 3 µs of the warm
 * action's profile). Only for the single writer of a data directory (the
 * commit log holds its lock): every fence it writes passes {@link remember}
 * when its record is synced, so an entry is never older than LMDB and the
 * overlays. Bounded: the actor that committed least lately goes first.
 */
export class FenceCache {
	readonly #fences = new Map<string, number>();
	readonly #max: number;

	constructor(max = 4_096) {
		this.#max = max;
	}

	get(actorId: string): number | undefined {
		return this.#fences.get(actorId);
	}

	remember(actorId: string, fence: number): void {
		// Moved to the newest end (a Map keeps a key where it was first set): an actor
		// that keeps committing stays, whatever number of others commit once.
		if (!this.#fences.delete(actorId) && this.#fences.size >= this.#max) {
			const oldest = this.#fences.keys().next().value as string;
			this.#fences.delete(oldest);
		}
		this.#fences.set(actorId, fence);
	}
}

function compareAlarms(a: DueAlarm, b: DueAlarm): number {
	if (a.at !== b.at) return a.at < b.at ? -1 : 1;
	return a.actorId < b.actorId ? -1 : a.actorId > b.actorId ? 1 : 0;
}
