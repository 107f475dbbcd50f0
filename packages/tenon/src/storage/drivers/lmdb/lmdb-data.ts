// Reads and writes of actor data and alarms directly in LMDB, shared by the
// store (which writes inside its own transactions) and the commit log's
// checkpoints (which apply logged writes to LMDB).
import { concatBytes } from "../../../protocol/bytes.js";
import { cborDecode, cborEncode } from "../../../protocol/encoding.js";
import { compareBytes, inRange, prefixEnd } from "../../bytes.js";
import type { Entry } from "../../interfaces.js";
import { asPlainBytes, type LmdbEnv } from "./env.js";
import { actorPrefix, type Bounds, isLong, LMDB_MAX_KEY, spillKey, spillRange } from "./keys.js";
import type { LogOp } from "./log-record.js";

/** The stored value of an absolute key, in `data` or, for a long key, `data-long`. */
export function readData(env: LmdbEnv, absoluteKey: Uint8Array): Uint8Array | undefined {
	if (!isLong(absoluteKey)) return asPlainBytes(env.data.get(absoluteKey));
	const stored = env.dataLong.get(spillKey(absoluteKey));
	if (stored === undefined) return undefined;
	const [fullKey, value] = cborDecode(stored) as [Uint8Array, Uint8Array];
	return compareBytes(fullKey, absoluteKey) === 0 ? asPlainBytes(value) : undefined;
}

/** Long keys inside `bounds`, as absolute entries, in key order. */
function longEntries(env: LmdbEnv, bounds: Bounds): Entry[] {
	const out: Entry[] = [];
	if (!env.mayHoldLongKeys) return out;
	const range = spillRange(bounds);
	for (const { value } of env.dataLong.getRange({ start: range.start, end: range.end })) {
		const [fullKey, stored] = cborDecode(value) as [Uint8Array, Uint8Array];
		if (inRange(fullKey, bounds.start, bounds.end))
			out.push([asPlainBytes(fullKey), asPlainBytes(stored)]);
	}
	return out.sort((a, b) => compareBytes(a[0], b[0]));
}

/**
 * Absolute entries inside `bounds` in key order (or reverse), short and long
 * keys merged. Keys are copies (lmdb-js may reuse its key buffer between
 * iterations), so callers may keep them.
 */
export function* scanData(env: LmdbEnv, bounds: Bounds, reverse: boolean): Generator<Entry> {
	const long = longEntries(env, bounds);
	if (reverse) long.reverse();
	// LMDB takes no key over LMDB_MAX_KEY bytes, bounds included: a scan from a
	// longer bound (a KV prefix near the 2 KiB key limit) threw, and a range
	// delete with one reset the actor. Short keys are scanned within bounds LMDB
	// takes, which hold every short key inside ours, and filtered here.
	const short = shortKeyBounds(bounds);
	// lmdb-js treats `end` as exclusive in both directions, so a reverse scan
	// starts at our (exclusive) end and stops by hand below our start.
	const iterable = reverse
		? env.data.getRange({ start: short.end, exclusiveStart: true, reverse: true })
		: env.data.getRange({ start: short.start, end: short.end });
	const before = (a: Uint8Array, b: Uint8Array) =>
		reverse ? compareBytes(a, b) > 0 : compareBytes(a, b) < 0;
	let next = 0;
	for (const { key, value } of iterable) {
		if (reverse) {
			if (compareBytes(key, bounds.start) < 0) break;
			if (compareBytes(key, bounds.end) >= 0) continue;
		} else {
			if (compareBytes(key, bounds.end) >= 0) break;
			if (compareBytes(key, bounds.start) < 0) continue;
		}
		while (next < long.length && before((long[next] as Entry)[0], key)) yield long[next++] as Entry;
		yield [Uint8Array.prototype.slice.call(key) as Uint8Array, asPlainBytes(value)];
	}
	while (next < long.length) yield long[next++] as Entry;
}

/**
 * Bounds LMDB takes (no key over LMDB_MAX_KEY bytes) holding every short key
 * inside `bounds`: a longer start cut to its first LMDB_MAX_KEY bytes (below
 * it), a longer end past every key that starts with its cut.
 */
function shortKeyBounds(bounds: Bounds): Bounds {
	const { start, end } = bounds;
	return {
		start: start.byteLength > LMDB_MAX_KEY ? start.subarray(0, LMDB_MAX_KEY) : start,
		end:
			end.byteLength > LMDB_MAX_KEY
				? // An absolute key starts with its actor's id (base-36 text), so the cut has a byte below 0xff.
					(prefixEnd(end.subarray(0, LMDB_MAX_KEY)) as Uint8Array)
				: end,
	};
}

/** Writes one value; must run inside a write transaction. */
export function putData(env: LmdbEnv, absoluteKey: Uint8Array, value: Uint8Array): void {
	if (isLong(absoluteKey)) {
		env.mayHoldLongKeys = true;
		env.dataLong.putSync(spillKey(absoluteKey), cborEncode([absoluteKey, value]));
	} else env.data.putSync(absoluteKey, value);
}

/** Deletes one key; must run inside a write transaction. */
export function deleteData(env: LmdbEnv, absoluteKey: Uint8Array): void {
	if (isLong(absoluteKey)) env.dataLong.removeSync(spillKey(absoluteKey));
	else env.data.removeSync(absoluteKey);
}

/** Sets (`at`) or clears (`null`) an actor's alarm; must run inside a write transaction. */
export function setAlarm(env: LmdbEnv, actorId: string, at: number | null): void {
	const previous = env.alarmsByActor.get(actorId);
	if (previous !== undefined) env.alarmsByTime.removeSync([previous, actorId]);
	if (at === null) {
		env.alarmsByActor.removeSync(actorId);
	} else {
		env.alarmsByActor.putSync(actorId, at);
		env.alarmsByTime.putSync([at, actorId], "");
	}
}

/** Applies one blind write of the commit log; must run inside a write transaction. */
export function applyOp(env: LmdbEnv, op: LogOp): void {
	switch (op.kind) {
		case "put":
			putData(env, concatBytes([actorPrefix(op.actorId), op.key]), op.value);
			break;
		case "delete":
			deleteData(env, concatBytes([actorPrefix(op.actorId), op.key]));
			break;
		case "fence":
			env.fences.putSync(op.actorId, op.fence);
			break;
		case "alarm":
			setAlarm(env, op.actorId, op.at);
			break;
	}
}
