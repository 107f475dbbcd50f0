import { describe, expect, it } from "vitest";
import { CommitPipeline } from "../../src/storage/commit-pipeline.js";
import { memoryDriver } from "../../src/storage/drivers/memory/index.js";
import type { ActorStore, CommitItem } from "../../src/storage/interfaces.js";

function recording(store: ActorStore): { store: ActorStore; batches: number[] } {
	const batches: number[] = [];
	return {
		batches,
		store: {
			get: (id, keys) => store.get(id, keys),
			list: (id, range, options) => store.list(id, range, options),
			commit(batch) {
				batches.push(batch.length);
				return store.commit(batch);
			},
		},
	};
}

const item = (actorId: string, fence = 1): CommitItem => ({
	actorId,
	fence,
	puts: [[Uint8Array.of(1), Uint8Array.of(2)]],
	deletes: [],
});

describe("CommitPipeline (group commit)", () => {
	it("tells every listener of a batch, in order, even when one of them throws", async () => {
		const handles = await memoryDriver().open();
		const pipeline = new CommitPipeline(handles.store);
		const heard: string[] = [];
		const uncaught: unknown[] = [];
		const onUncaught = (error: unknown) => uncaught.push(error);
		process.on("uncaughtException", onUncaught);
		try {
			for (const name of ["a", "b", "c"]) {
				pipeline.enqueue(item(name), {
					committed: (result) => {
						heard.push(`${name}:${result.ok}`);
						if (name === "b") throw new Error("a listener's bug");
					},
					failed: () => heard.push(`${name}:failed`),
				});
			}
			await pipeline.drain();
			expect(heard).toEqual(["a:true", "b:true", "c:true"]);
			// The listener's error is not swallowed: it is thrown on its own, after the batch.
			await new Promise((resolve) => setImmediate(resolve));
			expect(uncaught).toEqual([new Error("a listener's bug")]);
		} finally {
			process.off("uncaughtException", onUncaught);
		}
	});

	it("sends everything submitted in one turn as one batch", async () => {
		const handles = await memoryDriver().open();
		const { store, batches } = recording(handles.store);
		const pipeline = new CommitPipeline(store);
		const results = await Promise.all(
			Array.from({ length: 50 }, (_, i) => pipeline.submit(item(`actor${i}`))),
		);
		expect(results.every((r) => r.ok)).toBe(true);
		expect(batches).toEqual([50]);
		expect(pipeline.batches).toBe(1);
		expect(pipeline.items).toBe(50);
	});

	it("returns each item's own result, fenced or not", async () => {
		const handles = await memoryDriver().open();
		await handles.store.commit([item("fenced", 9)]);
		const pipeline = new CommitPipeline(handles.store);
		const [a, b, c] = await Promise.all([
			pipeline.submit(item("one")),
			pipeline.submit(item("fenced", 1)),
			pipeline.submit(item("two")),
		]);
		expect([a?.ok, b, c?.ok]).toEqual([
			true,
			{ ok: false, reason: "fenced", currentFence: 9 },
			true,
		]);
	});

	it("rejects every item of a batch the store failed", async () => {
		const failing: ActorStore = {
			get: async () => [],
			list: async () => [],
			commit: async () => {
				throw new Error("disk full");
			},
		};
		const pipeline = new CommitPipeline(failing);
		const outcomes = await Promise.allSettled([
			pipeline.submit(item("a")),
			pipeline.submit(item("b")),
		]);
		expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
	});

	it("drains: resolves once everything submitted has been committed", async () => {
		const handles = await memoryDriver().open();
		const pipeline = new CommitPipeline(handles.store);
		const pending = pipeline.submit(item("later"));
		expect(pipeline.idle).toBe(false);
		await pipeline.drain();
		expect(pipeline.idle).toBe(true);
		expect((await pending).ok).toBe(true);
	});

	it("collects a late item when the batch is sent, so writes made after submit join it", async () => {
		const handles = await memoryDriver().open();
		const pipeline = new CommitPipeline(handles.store);
		const puts: [Uint8Array, Uint8Array][] = [[Uint8Array.of(1), Uint8Array.of(1)]];
		const committed = pipeline.submit(() => ({ actorId: "late", fence: 1, puts, deletes: [] }));
		// Written after the commit was requested, in a later microtask and callback.
		await Promise.resolve();
		puts.push([Uint8Array.of(2), Uint8Array.of(2)]);
		expect((await committed).ok).toBe(true);
		expect(await handles.store.get("late", [Uint8Array.of(1), Uint8Array.of(2)])).toEqual([
			Uint8Array.of(1),
			Uint8Array.of(2),
		]);
	});

	it("rejects only the late item whose collection failed; null commits nothing", async () => {
		const handles = await memoryDriver().open();
		const { store, batches } = recording(handles.store);
		const pipeline = new CommitPipeline(store);
		const outcomes = await Promise.allSettled([
			pipeline.submit(() => {
				throw new Error("state is not storable");
			}),
			pipeline.submit(() => null),
			pipeline.submit(item("fine")),
		]);
		expect(outcomes.map((o) => o.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
		expect(batches).toEqual([1]);
	});
});
