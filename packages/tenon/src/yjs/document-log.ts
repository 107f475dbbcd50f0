// How an actor's Yjs document is stored in its KV store (document.ts): the
// last snapshot, in chunks, and the updates logged since, each under its
// sequence number (a large one in chunks too).

export const SNAPSHOT_PREFIX = "yjs/snapshot/";
export const LOG_PREFIX = "yjs/log/";
/** The log is folded into a snapshot once the updates logged in a wake pass this, bytes. */
export const COMPACT_BYTES = 8 * 1024 * 1024;
/**
 * Updates logged between snapshots pay for the next one: at least this many bytes of
 * snapshot per update (see {@link compactAfter}).
 */
export const SNAPSHOT_BYTES_PER_UPDATE = 4 * 1024;

/**
 * How many updates are logged before the log is folded into a snapshot: `compactEvery`, or
 * more for a large document, so that each update pays for at most
 * {@link SNAPSHOT_BYTES_PER_UPDATE} bytes of its encoding and writing. A fold encodes and
 * rewrites the whole document: every 100 one-character edits of a 12 MB document wrote
 * 12.6 MB and blocked the loop 130 ms, 4,000 times their bytes, and one editor typing fast
 * (or a script) kept the server writing 28 MB a second (an attacker probe, 2026-11-26).
 * The log a wake replays is still bounded: by bytes ({@link COMPACT_BYTES}), and to 8,192
 * updates for a document of 32 MiB.
 */
export function compactAfter(compactEvery: number, snapshotBytes: number): number {
	return Math.max(compactEvery, Math.ceil(snapshotBytes / SNAPSHOT_BYTES_PER_UPDATE));
}

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

/** Writes {@link LogWrites} keeps one by one; past it, they are folded into one promise. */
const MAX_HELD_WRITES = 64;

/**
 * The KV writes of the updates logged since a client's sync last took them
 * (to await them in its turn). Edits made only on the server (actions,
 * timers) are taken by nobody: kept one by one, they held a promise per
 * edit for as long as the actor was awake, so past a few they are folded
 * into one promise that settles as they all do (and fails as one does).
 */
export class LogWrites {
	#writes: Promise<void>[] = [];

	add(write: Promise<void>): void {
		this.#writes.push(write);
		if (this.#writes.length >= MAX_HELD_WRITES) this.#writes = [settledTogether(this.#writes)];
	}

	/** The writes so far, as one promise; the list starts again. */
	take(): Promise<void> {
		const writes = this.#writes;
		this.#writes = [];
		return settledTogether(writes);
	}
}

/** Settles when every write has (no array of their results is kept). */
function settledTogether(writes: Promise<void>[]): Promise<void> {
	return Promise.all(writes).then(() => undefined);
}
