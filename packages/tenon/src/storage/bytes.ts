/** Byte-wise comparison, as LMDB and PostgreSQL `bytea` order keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
	const length = Math.min(a.length, b.length);
	for (let i = 0; i < length; i++) {
		const diff = (a[i] as number) - (b[i] as number);
		if (diff !== 0) return diff;
	}
	return a.length - b.length;
}

/**
 * A copy of `bytes` in memory of its own. Not `bytes.slice()`: on a Node
 * `Buffer`, `slice` is a view of the same memory, and a store that kept it
 * would change when its caller reused the buffer.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
	return new Uint8Array(bytes);
}

/**
 * The smallest key greater than every key starting with `prefix`, or
 * `undefined` when no such key exists (the prefix is all 0xff).
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
	const end = copyBytes(prefix);
	for (let i = end.length - 1; i >= 0; i--) {
		if ((end[i] as number) < 0xff) {
			end[i] = (end[i] as number) + 1;
			return end.subarray(0, i + 1);
		}
	}
	return undefined;
}

/** True when `key` lies in `[start, end)`. */
export function inRange(
	key: Uint8Array,
	start: Uint8Array | undefined,
	end: Uint8Array | undefined,
): boolean {
	if (start !== undefined && compareBytes(key, start) < 0) return false;
	if (end !== undefined && compareBytes(key, end) >= 0) return false;
	return true;
}

/** Lowercase hex of bytes (map keys in the memory driver). */
export function toHex(bytes: Uint8Array): string {
	let out = "";
	for (let i = 0; i < bytes.length; i++) out += (bytes[i] as number).toString(16).padStart(2, "0");
	return out;
}
