import { parentPort } from "node:worker_threads";
import { THREAD_BOUNDS } from "./console-guards.js";
import {
	answer,
	failureOf,
	type InspectRequest,
	type PackedEntries,
	unpackEntries,
	WORKER_KEPT_MEMORY_BYTES,
	WORKER_SQLITE_MEMORY_BYTES,
} from "./inspect-request.js";
import { capSqliteMemory, loadSqlite } from "./sqlite.js";

// The worker thread of the inspector's database reads (inspect-thread.ts): says
// `{ ready: true }` once SQLite is loaded, then answers one request at a time:
// `{ started: id }` once its copy of the database is made (its time limit runs
// from there), then `{ id, value }` or `{ id, failure }`.

parentPort?.on(
	"message",
	async (message: { id: number; request: InspectRequest; packed: PackedEntries }) => {
		try {
			const entries = unpackEntries(message.packed);
			const started = () => parentPort?.postMessage({ started: message.id });
			// Ended 1 s past its time limit (inspect-thread.ts): the bounds of one step that only
			// the loop needs are lifted here (console-guards.ts THREAD_BOUNDS).
			const value = await answer(message.request, entries, started, THREAD_BOUNDS);
			parentPort?.postMessage({ id: message.id, value, ...(await retire()) });
		} catch (error) {
			parentPort?.postMessage({ id: message.id, failure: failureOf(error), ...(await retire()) });
		}
	},
);
/** `{ retire: true }` once SQLite's memory grew past what an idle worker may keep (it never shrinks). */
async function retire(): Promise<{ retire?: true }> {
	const { module } = await loadSqlite();
	return module.HEAPU8.byteLength > WORKER_KEPT_MEMORY_BYTES ? { retire: true } : {};
}

// A query's memory is bounded here, not only its time: CTEs used in scalar subqueries, six
// levels of ten, grew SQLite to 1.2 GB before the worker's end (a review, 2026-11-29).
capSqliteMemory(WORKER_SQLITE_MEMORY_BYTES);
await loadSqlite();
parentPort?.postMessage({ ready: true });
