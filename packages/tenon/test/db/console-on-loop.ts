// The SQL console where no worker thread can start: its reads run on the event
// loop, with the loop's bounds (db/console-guards.ts LOOP_BOUNDS).
import { InspectThread } from "../../src/db/inspect-thread.js";
import { AREA } from "../../src/storage/actor-keys.js";
import type { Entry } from "../../src/storage/interfaces.js";

/** An empty database as stored: its size, 0 (its console answers what needs no table). */
export const empty = async (): Promise<Entry[]> => [
	[Uint8Array.of(AREA.SQLITE, 0x00), new Uint8Array(8)],
];

/** The answer to `sql` on the loop (2 s limit), or what it threw, with the time it took. */
export async function onLoop(sql: string): Promise<{ value: unknown; error: unknown; ms: number }> {
	const thread = new InspectThread(1_000, 30_000, () => undefined);
	const started = performance.now();
	try {
		const value = await thread.run({ op: "query", sql, limit: 100, timeoutMs: 2_000 }, empty);
		return { value, error: undefined, ms: performance.now() - started };
	} catch (error) {
		return { value: undefined, error, ms: performance.now() - started };
	} finally {
		await thread.close();
	}
}
