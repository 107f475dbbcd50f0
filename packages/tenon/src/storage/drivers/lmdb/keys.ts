import { createHash } from "node:crypto";
import { concatBytes } from "../../../protocol/bytes.js";
import { prefixEnd } from "../../bytes.js";
import type { KeyRange } from "../../interfaces.js";

const encoder = new TextEncoder();

/** LMDB refuses keys longer than this. */
export const LMDB_MAX_KEY = 1978;
/** Bytes of a long key kept in order in its spill key (then a SHA-256). */
export const SPILL_PREFIX = 1900;

/** Every key of an actor starts with its id's bytes (ids have a fixed length). */
export function actorPrefix(actorId: string): Uint8Array {
	return encoder.encode(actorId);
}

/** True when an absolute key is too long for LMDB and lives in `data-long`. */
export function isLong(absoluteKey: Uint8Array): boolean {
	return absoluteKey.byteLength > LMDB_MAX_KEY;
}

/**
 * The `data-long` key of a key too long for LMDB: its first 1900 bytes (so
 * spill keys sort like the keys they stand for, up to that point) and a
 * SHA-256 of the whole key (so different keys never collide). The whole key
 * is stored in the value, and listings re-sort by it.
 */
export function spillKey(absoluteKey: Uint8Array): Uint8Array {
	const digest = createHash("sha256").update(absoluteKey).digest();
	return concatBytes([absoluteKey.subarray(0, SPILL_PREFIX), new Uint8Array(digest)]);
}

/** A half-open range of absolute keys. */
export interface Bounds {
	start: Uint8Array;
	end: Uint8Array;
}

/** The absolute bounds of an actor-relative range. */
export function absoluteRange(prefix: Uint8Array, range: KeyRange): Bounds {
	return {
		start: range.start === undefined ? prefix : concatBytes([prefix, range.start]),
		// Actor ids are base-36 text, so the prefix never ends in 0xff.
		end:
			range.end === undefined
				? (prefixEnd(prefix) as Uint8Array)
				: concatBytes([prefix, range.end]),
	};
}

/** The spill-key range that can hold long keys inside `bounds`. */
export function spillRange(bounds: Bounds): Bounds {
	const start = bounds.start.subarray(0, SPILL_PREFIX);
	const head = bounds.end.subarray(0, SPILL_PREFIX);
	// Every spill key whose first 1900 bytes equal `head` may still be below `end`.
	const end = bounds.end.byteLength > SPILL_PREFIX ? (prefixEnd(head) ?? bounds.end) : head;
	return { start, end };
}
