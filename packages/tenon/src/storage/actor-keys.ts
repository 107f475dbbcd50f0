// Layout of an actor's keys in the ActorStore. One leading byte per area, so
// each area is a prefix range and everything an actor owns sits under its id.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Area prefixes. Values are part of the storage format: never renumber. */
export const AREA = {
	/** Actor metadata (initialized marker, state shape). */
	META: 0x01,
	/** State, one entry per top-level key (or one entry for non-object state). */
	STATE: 0x02,
	/** User KV (`c.kv`). */
	KV: 0x03,
	/** Queue messages. */
	QUEUE: 0x04,
	/** Schedules and cron jobs. */
	SCHEDULE: 0x05,
	/** Workflow journal. */
	WORKFLOW: 0x06,
	/** SQLite pages. */
	SQLITE: 0x07,
	/** Connections (id, params, conn state, subscriptions), so they survive sleep and restarts. */
	CONN: 0x08,
	/** Turn history for the inspector's time travel (only with the `turnHistory` option). */
	HISTORY: 0x09,
	/** A summary of each turn history record (no state): the history's list, read without the states. */
	TURNS: 0x0a,
} as const;

/** The actor's metadata record. */
export const META_KEY = Uint8Array.of(AREA.META, 0x01);

/** Longest top-level state key we store (bytes); LMDB keys are limited. */
export const MAX_STATE_KEY_BYTES = 1024;

/** A key in `area` named by a string (its UTF-8 after the area byte). */
function namedKey(area: number, name: string): Uint8Array {
	const bytes = encoder.encode(name);
	const key = new Uint8Array(1 + bytes.length);
	key[0] = area;
	key.set(bytes, 1);
	return key;
}

/** The name of a key made by {@link namedKey}. */
function nameOf(key: Uint8Array): string {
	return decoder.decode(key.subarray(1));
}

/** Storage key of a top-level state property (`""` is the whole state in value mode). */
export function stateKey(property: string): Uint8Array {
	return namedKey(AREA.STATE, property);
}

/** The top-level property of a state storage key. */
export function statePropertyOf(key: Uint8Array): string {
	return nameOf(key);
}

/** The range holding all state entries. */
export const STATE_RANGE = { start: Uint8Array.of(AREA.STATE), end: Uint8Array.of(AREA.STATE + 1) };

/** Metadata stored at {@link META_KEY}. */
export interface ActorMeta {
	/** Storage format version. */
	v: 1;
	/** `object`: one entry per top-level key, in `keys` order; `value`: one entry. */
	shape: "object" | "value";
	/** Top-level key order for `object` state. */
	keys?: string[];
}

/** Storage key of a connection's record. */
export function connKey(connId: string): Uint8Array {
	return namedKey(AREA.CONN, connId);
}

/** The connection id of a connection record's key. */
export function connIdOf(key: Uint8Array): string {
	return nameOf(key);
}

/** The range holding all connection records. */
export const CONN_RANGE = { start: Uint8Array.of(AREA.CONN), end: Uint8Array.of(AREA.CONN + 1) };

/** Storage key of turn history record `seq` (big-endian, so keys sort by sequence). */
export function historyKey(seq: number): Uint8Array {
	const key = new Uint8Array(9);
	key[0] = AREA.HISTORY;
	new DataView(key.buffer).setBigUint64(1, BigInt(seq));
	return key;
}

/** The sequence number of a turn history key. */
export function historySeqOf(key: Uint8Array): number {
	return Number(new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(1));
}

/** The range holding the turn history. */
export const HISTORY_RANGE = {
	start: Uint8Array.of(AREA.HISTORY),
	end: Uint8Array.of(AREA.HISTORY + 1),
};

/** Storage key of the summary of turn history record `seq` (big-endian, as {@link historyKey}). */
export function turnSummaryKey(seq: number): Uint8Array {
	const key = historyKey(seq);
	key[0] = AREA.TURNS;
	return key;
}

/** The range holding the turn history's summaries. */
export const TURNS_RANGE = { start: Uint8Array.of(AREA.TURNS), end: Uint8Array.of(AREA.TURNS + 1) };
