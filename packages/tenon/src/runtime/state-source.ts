import { assertStorable, NotStorableError } from "../common/storable.js";
import { cborEncode } from "../protocol/encoding.js";
import { type ActorMeta, META_KEY, STATE_RANGE, stateKey } from "../storage/actor-keys.js";
import type { WriteBatch, WriteSource } from "./actor-writer.js";
import type { StateTracker } from "./state-tracker.js";
import { BAD_STATE_KEY, isStorableStateKey, refuseProtoKey } from "./state-write-checks.js";

/**
 * Turns state changes into writes: only the top-level keys that changed are
 * re-encoded, plus the metadata record when the shape or key order changed.
 */
export class StateWriteSource implements WriteSource {
	readonly #tracker: StateTracker;
	#storedShape: "object" | "value" | undefined;

	constructor(tracker: StateTracker, storedShape: "object" | "value" | undefined) {
		this.#tracker = tracker;
		this.#storedShape = storedShape;
	}

	get hasChanges(): boolean {
		return this.#tracker.hasChanges;
	}

	collect(batch: WriteBatch): void {
		const tracker = this.#tracker;
		const changes = tracker.takeChanges();
		const shape = tracker.objectMode ? "object" : "value";
		try {
			// A write outside user code that storage would not keep as it is.
			const refused = tracker.takeRefusal();
			if (refused !== undefined) throw refused;
			if (shape !== this.#storedShape) {
				// The shape changed (or is written for the first time): rewrite all of it.
				// A first write has nothing to delete: the metadata record is written in
				// the same batch as the state it describes, so an actor without it has no
				// state stored (and the range delete made its store scan for keys).
				if (this.#storedShape !== undefined) batch.deleteRanges.push(STATE_RANGE);
				this.#writeAll(batch, shape);
				this.#storedShape = shape;
				return;
			}
			if (shape === "value") {
				assertStorable(tracker.raw, "state", "encodable");
				batch.puts.push([stateKey(""), cborEncode(tracker.raw)]);
				return;
			}
			const raw = tracker.raw as Record<string, unknown>;
			for (const key of changes.keys) {
				if (Object.hasOwn(raw, key))
					batch.puts.push([this.#keyFor(key), this.#encode(raw[key], key)]);
				else batch.deletes.push(stateKey(key));
			}
			if (changes.keysChanged) batch.puts.push([META_KEY, cborEncode(this.#meta())]);
		} catch (error) {
			// Nothing of this turn reached storage; keep the changes so the
			// failure is reported, and let the writer reset the actor.
			tracker.markAllDirty();
			throw error;
		}
	}

	#writeAll(batch: WriteBatch, shape: "object" | "value"): void {
		const raw = this.#tracker.raw;
		if (shape === "value") {
			assertStorable(raw, "state", "encodable");
			batch.puts.push([stateKey(""), cborEncode(raw)]);
		} else {
			for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
				batch.puts.push([this.#keyFor(key), this.#encode(value, key)]);
			}
		}
		batch.puts.push([META_KEY, cborEncode(this.#meta())]);
	}

	#keyFor(property: string): Uint8Array {
		// `__proto__` after an await, unchecked until here, was stored before
		// 2026-11-26, and became the state's prototype at the next wake.
		refuseProtoKey(property);
		if (!isStorableStateKey(property)) throw new NotStorableError(property, BAD_STATE_KEY);
		return stateKey(property);
	}

	#encode(value: unknown, property: string): Uint8Array {
		assertStorable(value, `state.${property}`, "encodable");
		return cborEncode(value);
	}

	#meta(): ActorMeta {
		if (!this.#tracker.objectMode) return { v: 1, shape: "value" };
		return { v: 1, shape: "object", keys: Object.keys(this.#tracker.raw as object) };
	}
}
