// Two checks every state test of refused writes makes: a refused write fails its own turn only
// (a good write in the same commit stays), and one made after an await is refused by the
// commit, which leaves the actor as it was stored. For an actor with the actions `bad(how)`
// and `badLater(how)` (the write, before or after an await), `add(n)` (a good write, the new
// count) and `read()` (what state holds).
import { expect } from "vitest";

interface RefusingConn {
	bad(how: string): Promise<unknown>;
	add(n: number): Promise<unknown>;
	read(): Promise<unknown>;
	dispose(): Promise<void>;
}

/** The handle of such an actor. */
export interface RefusingActor {
	add(n: number): Promise<unknown>;
	read(): Promise<unknown>;
	badLater(how: string): Promise<unknown>;
	connect(): RefusingConn;
}

const REFUSED = { group: "state", code: "not_serializable" };

/**
 * Each of `bad`, sent over a connection with a good write in the same commit: the bad one
 * fails, the good one stays, and what state holds is `untouched(good writes)` before and
 * after a restart (`again` gives the handle anew after it).
 */
export async function expectRefusedAlone(
	t: { restart(): Promise<void> },
	again: () => RefusingActor,
	bad: readonly string[],
	untouched: (count: number) => unknown,
): Promise<void> {
	const conn = again().connect();
	let count = 0;
	for (const how of bad) {
		// Both frames arrive together, so both turns would share one commit.
		const [refused, good] = await Promise.allSettled([conn.bad(how), conn.add(1)]);
		expect(refused, how).toMatchObject({ status: "rejected", reason: REFUSED });
		expect(good, how).toEqual({ status: "fulfilled", value: ++count });
	}
	const before = await conn.read();
	await conn.dispose();
	expect(before).toEqual(untouched(count));
	await t.restart();
	expect(await again().read()).toEqual(before);
}

/**
 * Each of `bad`, written after an await: the commit refuses it and the actor is reset to
 * what was stored (`untouched(1)`, after one good write), before and after a restart.
 */
export async function expectRefusedByCommit(
	t: { restart(): Promise<void> },
	again: () => RefusingActor,
	bad: readonly string[],
	untouched: (count: number) => unknown,
): Promise<void> {
	const handle = again();
	expect(await handle.add(1)).toBe(1);
	for (const how of bad) {
		await expect(handle.badLater(how), how).rejects.toMatchObject(REFUSED);
		// The actor was reset to what was stored (or never changed).
		expect(await handle.read(), how).toEqual(untouched(1));
	}
	await t.restart();
	expect(await again().read()).toEqual(untouched(1));
}
