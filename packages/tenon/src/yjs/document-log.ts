// How an actor's Yjs document is stored in its KV store (document.ts): the
// last snapshot, in chunks, and the updates logged since, each under its
// sequence number (a large one in chunks too).

export const SNAPSHOT_PREFIX = "yjs/snapshot/";
export const LOG_PREFIX = "yjs/log/";
/** The log is folded into a snapshot once the updates logged in a wake pass this, bytes. */
export const COMPACT_BYTES = 8 * 1024 * 1024;
/** Snapshot chunk size: KV values are limited to 128 KiB. */
export const CHUNK_BYTES = 96 * 1024;

/** The key of the `seq`th logged update (zero-padded, so keys sort in order). */
export function logKey(seq: number): string {
	return `${LOG_PREFIX}${String(seq).padStart(12, "0")}`;
}

/**
 * The logged updates in order, from the log's entries (keys without the
 * prefix): `<seq>` holds an update, `<seq>/<n>` the chunks of a large one.
 */
export function loggedUpdates(
	entries: [string, Uint8Array][],
): { seq: number; update: Uint8Array }[] {
	const updates: { seq: number; parts: Uint8Array[] }[] = [];
	for (const [key, value] of entries) {
		const seq = Number(key.slice(0, 12));
		const last = updates.at(-1);
		if (last !== undefined && last.seq === seq) last.parts.push(value);
		else updates.push({ seq, parts: [value] });
	}
	return updates.map(({ seq, parts }) => ({
		seq,
		update: parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts),
	}));
}

export function concat(parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.byteLength;
	}
	return out;
}
