import { cborDecode } from "../protocol/encoding.js";
import { type ActorMeta, META_KEY, STATE_RANGE, statePropertyOf } from "../storage/actor-keys.js";
import type { ActorStore } from "../storage/interfaces.js";

/** An actor's persisted state, as loaded on wake. */
export type LoadedState =
	| { initialized: false }
	| { initialized: true; shape: "object" | "value"; state: unknown };

/**
 * Reads the actor's metadata and state from the store. `beforeDecoding` is
 * told the stored state's size first, and may throw (the inspector's bound).
 */
export async function loadState(
	store: ActorStore,
	actorId: string,
	beforeDecoding?: (storedBytes: number) => void,
): Promise<LoadedState> {
	const [metaBytes] = await store.get(actorId, [META_KEY]);
	if (metaBytes === undefined) return { initialized: false };
	const meta = cborDecode(metaBytes) as ActorMeta;
	const entries = await store.list(actorId, STATE_RANGE);
	if (beforeDecoding !== undefined) {
		let storedBytes = 0;
		for (const [, value] of entries) storedBytes += value.byteLength;
		beforeDecoding(storedBytes);
	}
	if (meta.shape === "value") {
		const entry = entries.find(([key]) => key.length === 1);
		return { initialized: true, shape: "value", state: entry ? cborDecode(entry[1]) : undefined };
	}
	const byKey = new Map<string, unknown>();
	for (const [key, value] of entries) byKey.set(statePropertyOf(key), cborDecode(value));
	const state: Record<string, unknown> = {};
	// Restore the original key order, then anything the order list missed.
	for (const key of meta.keys ?? []) if (byKey.has(key)) setKey(state, key, byKey.get(key));
	for (const [key, value] of byKey) if (!Object.hasOwn(state, key)) setKey(state, key, value);
	return { initialized: true, shape: "object", state };
}

/**
 * Sets a top-level key as an own property: stored data never sets the
 * state's prototype. A `__proto__` key (stored by a write after an `await`
 * before 2026-11-26, when only the writing turn refused one) is defined, not
 * assigned: assigned, it became the state's prototype, and whatever it held
 * (`{ isAdmin: true }`) was read through every missing key.
 */
function setKey(state: Record<string, unknown>, key: string, value: unknown): void {
	if (key === "__proto__")
		Object.defineProperty(state, key, {
			value,
			writable: true,
			enumerable: true,
			configurable: true,
		});
	else state[key] = value;
}
