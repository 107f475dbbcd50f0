import type { Entry } from "../storage/interfaces.js";
import { type ConsoleBounds, LOOP_BOUNDS, ReadOnlyQueryError } from "./console-guards.js";
import { queryOf, rowsOf, schemaOf } from "./inspect-snapshot.js";

// What the inspector asks of a copy of an actor's database, and how the copy
// travels to the worker thread that answers (inspect-thread.ts).

/** The most WebAssembly memory a worker keeps between reads (bytes); past it, it is ended. */
export const WORKER_KEPT_MEMORY_BYTES = 256 * 1024 * 1024;

/** The most memory the worker's SQLite may grow to: past it a query answers "out of memory". */
export const WORKER_SQLITE_MEMORY_BYTES = 512 * 1024 * 1024;

/** One read of the inspector: the schema, a page of a table's rows, or a console statement. */
export type InspectRequest =
	| { op: "schema"; timeoutMs: number }
	| { op: "rows"; table: string; limit: number; offset: number; timeoutMs: number }
	| { op: "query"; sql: string; limit: number; timeoutMs: number };

/**
 * Answers `request` on a copy of the database stored as `entries`, in this
 * thread; `onOpened` is called once the copy is open (its time limit runs from there).
 * `bounds`: the loop's unless this thread can be terminated (see {@link ConsoleBounds}).
 */
export function answer(
	request: InspectRequest,
	entries: readonly Entry[],
	onOpened?: () => void,
	bounds: ConsoleBounds = LOOP_BOUNDS,
): Promise<unknown> {
	switch (request.op) {
		case "schema":
			return schemaOf(entries, request.timeoutMs, onOpened);
		case "rows": {
			const { table, limit, offset, timeoutMs } = request;
			return rowsOf(entries, table, limit, offset, timeoutMs, onOpened);
		}
		case "query":
			return queryOf(entries, request.sql, request.limit, request.timeoutMs, onOpened, bounds);
	}
}

/**
 * A database's entries in one buffer, to be transferred, not cloned: a stored
 * value may be a view into a larger buffer (a page of the store's reads), and
 * a structured clone copies a view's whole buffer, once per entry.
 */
export interface PackedEntries {
	bytes: ArrayBuffer;
	/** Per entry: where its key ends and where its value ends (each starts where the last ended). */
	ends: Float64Array<ArrayBuffer>;
}

/** Bytes copied between two turns of the event loop while packing (a 100 MiB copy held it 0.4 s). */
const PACK_SLICE_BYTES = 8 * 1024 * 1024;

/** Packs `entries`, letting the event loop turn after every {@link PACK_SLICE_BYTES} copied. */
export async function packEntries(entries: readonly Entry[]): Promise<PackedEntries> {
	let size = 0;
	for (const [key, value] of entries) size += key.byteLength + value.byteLength;
	const bytes = new Uint8Array(size);
	const ends = new Float64Array(entries.length * 2);
	let at = 0;
	let sliceEnd = PACK_SLICE_BYTES;
	for (let i = 0; i < entries.length; i++) {
		const [key, value] = entries[i] as Entry;
		bytes.set(key, at);
		at += key.byteLength;
		ends[2 * i] = at;
		bytes.set(value, at);
		at += value.byteLength;
		ends[2 * i + 1] = at;
		if (at >= sliceEnd) {
			sliceEnd = at + PACK_SLICE_BYTES;
			await new Promise((resolve) => setImmediate(resolve));
		}
	}
	return { bytes: bytes.buffer, ends };
}

export function unpackEntries({ bytes, ends }: PackedEntries): Entry[] {
	const entries: Entry[] = [];
	let at = 0;
	for (let i = 0; i < ends.length; i += 2) {
		const keyEnd = ends[i] as number;
		const valueEnd = ends[i + 1] as number;
		entries.push([
			new Uint8Array(bytes, at, keyEnd - at),
			new Uint8Array(bytes, keyEnd, valueEnd - keyEnd),
		]);
		at = valueEnd;
	}
	return entries;
}

/** A refusal as it crosses between threads (an Error's class does not survive a clone). */
export interface FailedAnswer {
	reason?: ReadOnlyQueryError["reason"];
	message: string;
}

export function failureOf(error: unknown): FailedAnswer {
	if (error instanceof ReadOnlyQueryError) return { reason: error.reason, message: error.message };
	return { message: error instanceof Error ? error.message : String(error) };
}

export function errorOf(failure: FailedAnswer): Error {
	return failure.reason === undefined
		? new Error(failure.message)
		: new ReadOnlyQueryError(failure.reason, failure.message);
}
