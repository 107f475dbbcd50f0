import type { LogOp } from "./log-record.js";

/** A key's newest value in an overlay; `null` when it was deleted. */
export interface OverlaySlot {
	/** The key, relative to the actor. */
	key: Uint8Array;
	value: Uint8Array | null;
}

/** The key bytes of a {@link keyString}. */
export function keyBytes(name: string): Uint8Array {
	const out = new Uint8Array(name.length);
	for (let i = 0; i < name.length; i++) out[i] = name.charCodeAt(i);
	return out;
}

/**
 * A Latin-1 string of a key's bytes: one code unit per byte, so Map lookups
 * work and JavaScript's string order is the keys' byte order.
 */
export function keyString(key: Uint8Array): string {
	return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
}

/**
 * Writes that are in the commit log (durable) but not yet in LMDB: the
 * newest value per key, fence and alarm. Reads consult overlays before LMDB;
 * a checkpoint applies one to LMDB in a single synced transaction.
 */
export class OverlayLayer {
	/**
	 * actorId -> key string -> newest value (`null`: deleted). The key itself
	 * is its string ({@link keyBytes}): no copy of its bytes is kept.
	 */
	readonly data = new Map<string, Map<string, Uint8Array | null>>();
	/** actorId -> highest accepted fence. */
	readonly fences = new Map<string, number>();
	/** actorId -> alarm time, or `null` when cleared. */
	readonly alarms = new Map<string, number | null>();
	/** Approximate bytes held (keys and values), to bound memory. */
	bytes = 0;

	get empty(): boolean {
		return this.data.size === 0 && this.fences.size === 0 && this.alarms.size === 0;
	}

	/** Records one blind write. */
	apply(op: LogOp): void {
		switch (op.kind) {
			case "put":
				this.#slot(op.actorId, op.key, op.value);
				break;
			case "delete":
				this.#slot(op.actorId, op.key, null);
				break;
			case "fence":
				this.fences.set(op.actorId, op.fence);
				break;
			case "alarm":
				this.alarms.set(op.actorId, op.at);
				break;
		}
	}

	/** Takes over every write of a newer layer (which then must not be used). */
	absorb(newer: OverlayLayer): void {
		if (this.empty) {
			for (const [actorId, slots] of newer.data) this.data.set(actorId, slots);
		} else {
			for (const [actorId, slots] of newer.data) {
				const mine = this.data.get(actorId);
				if (mine === undefined) this.data.set(actorId, slots);
				else for (const [name, value] of slots) mine.set(name, value);
			}
		}
		for (const [actorId, fence] of newer.fences) this.fences.set(actorId, fence);
		for (const [actorId, at] of newer.alarms) this.alarms.set(actorId, at);
		this.bytes += newer.bytes;
	}

	#slot(actorId: string, key: Uint8Array, value: Uint8Array | null): void {
		let slots = this.data.get(actorId);
		if (slots === undefined) {
			slots = new Map();
			this.data.set(actorId, slots);
		}
		slots.set(keyString(key), value);
		this.bytes += 32 + key.byteLength + (value?.byteLength ?? 0);
	}
}
