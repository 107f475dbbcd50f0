import { memoryDriver, setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, it } from "vitest";
import { jobWorker, MAX_REMEMBERED } from "./job-worker.js";

const registry = setup({ use: { jobWorker }, logLevel: "silent" });

describe("job worker example", () => {
	it("processes jobs in order and answers waiting senders", async () => {
		await using t = await setupTest(registry);
		const worker = t.client.jobWorker.getOrCreate("w");
		await worker.send("jobs", { id: "a", size: 1 });
		await worker.send("jobs", { id: "b", size: 2 });
		const result = await worker.send("jobs", { id: "c", size: 3 }, { wait: true, timeout: 5_000 });
		expect(result.status).toBe("completed");
		expect(result.response).toMatchObject({ id: "c", checksum: expect.any(Number) });
		expect(await worker.processed()).toEqual(["a", "b", "c"]);
		expect(await worker.backlog()).toBe(0);
	});

	it("is woken by a queue message while asleep, and counts a redelivered job once", async () => {
		await using t = await setupTest(registry, { storage: memoryDriver() });
		const worker = t.client.jobWorker.getOrCreate("sleepy");
		await worker.send("jobs", { id: "first", size: 1 });
		await expect.poll(() => worker.processed()).toEqual(["first"]);
		await t.clock.advance(10_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await worker.send("jobs", { id: "second", size: 1 });
		await expect.poll(() => worker.processed()).toEqual(["first", "second"]);
		// The same job again (as after a redelivery) is answered, not redone.
		const again = await worker.send(
			"jobs",
			{ id: "first", size: 1 },
			{ wait: true, timeout: 1_000 },
		);
		expect(again.status).toBe("completed");
		expect(await worker.processed()).toEqual(["first", "second"]);
	});

	// Results were kept by the sender's job id alone: one sender set the result another sender
	// of the same id got, for a job never run (an attacker probe, 2026-11-28).
	it("answers each job with its own result, whoever sent the same id before", async () => {
		await using t = await setupTest(registry);
		const worker = t.client.jobWorker.getOrCreate("shared");
		const wait = { wait: true, timeout: 5_000 } as const;
		const first = await worker.send("jobs", { id: "invoice-42", size: 1 }, wait);
		const second = await worker.send("jobs", { id: "invoice-42", size: 99 }, wait);
		expect(second.response?.checksum).not.toBe(first.response?.checksum);
		// The same job again is answered from what was kept.
		const again = await worker.send("jobs", { id: "invoice-42", size: 99 }, wait);
		expect(again.response).toEqual(second.response);
		expect(await worker.processed()).toEqual(["invoice-42", "invoice-42"]);
	});

	it("refuses malformed jobs when they are sent, so the worker never sees them", async () => {
		await using t = await setupTest(registry);
		const worker = t.client.jobWorker.getOrCreate("strict");
		const send = worker.send as unknown as (name: string, body: unknown) => Promise<unknown>;
		for (const body of [
			null,
			{ id: 1, size: 1 },
			{ id: "x" },
			{ id: "x", size: 1e9 },
			{ id: "x", size: 1, note: "a".repeat(1_000) },
			// Regression (an attacker probe, 2026-11-24): it poisoned the worker's state.
			{ id: "__proto__", size: 1 },
		]) {
			await expect(send("jobs", body)).rejects.toMatchObject({
				group: "queue",
				code: "invalid_message",
			});
		}
		await worker.send("jobs", { id: "ok", size: 1 });
		await worker.send("jobs", { id: "constructor", size: 1 });
		await expect.poll(() => worker.processed()).toEqual(["ok", "constructor"]);
	});

	it("remembers the last MAX_REMEMBERED jobs, not every job a client ever sent", async () => {
		await using t = await setupTest(registry);
		const worker = t.client.jobWorker.getOrCreate("bounded");
		const sent = MAX_REMEMBERED + 50;
		for (let i = 0; i < sent; i++) await worker.send("jobs", { id: `job-${i}`, size: 0 });
		await expect
			.poll(async () => (await worker.processed()).at(-1), { timeout: 20_000 })
			.toBe(`job-${sent - 1}`);
		const processed = await worker.processed();
		expect(processed).toHaveLength(MAX_REMEMBERED);
		expect(processed[0]).toBe("job-50");
	}, 60_000);
});
