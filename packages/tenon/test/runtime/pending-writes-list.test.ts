// A list made while the turn's commit is in flight, answered by a store that read from
// before that commit (PostgreSQL's snapshot): the deleted key came back, because the
// buffered delete was looked for in the layers as they were after the read, and the
// commit had landed meanwhile (a review, 2026-11-26; 4 to 5 of 40 runs on PostgreSQL).
import { describe, expect, it } from "vitest";
import type { WriteBatch } from "../../src/runtime/actor-writer.js";
import { PendingWrites } from "../../src/runtime/pending-writes.js";
import type { ActorStore, Entry } from "../../src/storage/interfaces.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array) => new TextDecoder().decode(value);

/** A store whose list answers with `rows` (read before the commit) when `answer` is called. */
function storeAnsweringLater(rows: Entry[]) {
	let answer: () => void = () => {};
	const store = {
		list: () =>
			new Promise<Entry[]>((resolve) => {
				answer = () => resolve(rows);
			}),
	} as unknown as ActorStore;
	return { store, answer: () => answer() };
}

const batch = (): WriteBatch => ({ puts: [], deletes: [], deleteRanges: [] });
const range = { start: bytes("p:"), end: bytes("p;") };

describe("PendingWrites.list across a commit that lands during the read", () => {
	it("does not bring back a key deleted before the read", async () => {
		const rows: Entry[] = [
			[bytes("p:1"), bytes("one")],
			[bytes("p:2"), bytes("two")],
		];
		const { store, answer } = storeAnsweringLater(rows);
		const writes = new PendingWrites(store, "actor", () => {});
		writes.delete(bytes("p:1"));
		writes.deleteRange({ start: bytes("p:2"), end: bytes("p:3") });
		writes.put(bytes("p:3"), bytes("three"));
		writes.collect(batch()); // the commit starts
		const listed = writes.list(range);
		writes.put(bytes("p:4"), bytes("four")); // written while the store is read
		writes.committed(); // ... and the commit lands before the store answers
		answer();
		expect((await listed).map(([key, value]) => [text(key), text(value)])).toEqual([
			["p:3", "three"],
			["p:4", "four"],
		]);
	});

	it("a write made during the read wins over the store and older layers", async () => {
		const { store, answer } = storeAnsweringLater([[bytes("p:1"), bytes("stored")]]);
		const writes = new PendingWrites(store, "actor", () => {});
		writes.put(bytes("p:2"), bytes("older"));
		const listed = writes.list(range);
		writes.collect(batch());
		writes.delete(bytes("p:2"));
		writes.put(bytes("p:1"), bytes("newer"));
		answer();
		expect((await listed).map(([key, value]) => [text(key), text(value)])).toEqual([
			["p:1", "newer"],
		]);
	});
});
