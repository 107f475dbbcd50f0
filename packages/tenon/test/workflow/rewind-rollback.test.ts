// A replay (the inspector's "replay from step") is refused once any step's
// compensation ran: its recorded result no longer holds. Also once one
// started (the process may have died in it, its effects partly undone) or
// failed, which a review of 2026-11-26 found replayable.
import { describe, expect, it } from "vitest";
import type { RunStorage } from "../../src/actor/run-host.js";
import { cborEncode } from "../../src/protocol/encoding.js";
import type { Entry, KeyRange } from "../../src/storage/interfaces.js";
import { entryKey, type JournalEntry, putStatus, readJournal } from "../../src/workflow/journal.js";
import { replayRefusals, rewindJournal } from "../../src/workflow/rewind.js";

/** A journal in memory: one completed step at [0], `reserve` as given at [1]. */
function journalWith(reserve: Partial<JournalEntry>): RunStorage {
	const data = new Map<string, Entry>();
	const id = (key: Uint8Array) => Buffer.from(key).toString("hex");
	const within = (key: Uint8Array, range: KeyRange) =>
		(range.start === undefined || id(key) >= id(range.start)) &&
		(range.end === undefined || id(key) < id(range.end));
	const storage: RunStorage = {
		get: async (keys) => keys.map((key) => data.get(id(key))?.[1]),
		list: async (range) =>
			[...data.values()]
				.filter(([key]) => within(key, range))
				.sort(([a], [b]) => (id(a) < id(b) ? -1 : 1)),
		put: (key, value) => void data.set(id(key), [key, value]),
		delete: (key) => void data.delete(id(key)),
		deleteRange: (range) => {
			for (const [k, [key]] of data) if (within(key, range)) data.delete(k);
		},
	};
	putStatus(storage, { v: 1, status: "failed", startedAt: 1, finishedAt: 2 });
	const step = (name: string): JournalEntry => ({
		kind: "step",
		name,
		status: "completed",
		createdAt: 1,
		attempts: 1,
	});
	storage.put(entryKey([0]), cborEncode(step("first")));
	storage.put(entryKey([1]), cborEncode({ ...step("reserve"), ...reserve }));
	return storage;
}

const error = { name: "Error", message: "cannot release" };

describe("workflow replay and compensations", () => {
	it("replays a journal whose compensations never started", async () => {
		await expect(rewindJournal(journalWith({}), { path: [1] })).resolves.toMatchObject({
			from: "reserve",
		});
	});

	it.each([
		["ran", { rolledBackAt: 5 }],
		["started (the process may have died in it)", { rollingBack: true, rollbackCrashes: 1 }],
		["failed", { rollbackError: error }],
	])("refuses once a compensation %s", async (_what, reserve) => {
		await expect(rewindJournal(journalWith(reserve), { path: [0] })).rejects.toMatchObject({
			group: "workflow",
			code: "replay_refused",
			metadata: { reason: "rolled_back", path: [1] },
		});
		// Every position says so, as the inspector shows it.
		const storage = journalWith(reserve);
		const { entries } = await readJournal({ get: storage.get, list: storage.list });
		const refusals = replayRefusals(entries);
		expect([...refusals.keys()]).toEqual([0, 1]);
		expect(refusals.get(0)).toMatchObject({ reason: "rolled_back", path: [1] });
	});
});
