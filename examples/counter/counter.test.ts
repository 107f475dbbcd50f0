import { setup } from "tenon";
import { setupTest } from "tenon/test";
import { describe, expect, expectTypeOf, it } from "vitest";
import { counter } from "./counter.js";

const registry = setup({ use: { counter } });

describe("counter example", () => {
	it("increments over HTTP with typed results", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.counter.getOrCreate(["a"]);
		expectTypeOf(handle.increment).toEqualTypeOf<(by?: number) => Promise<number>>();
		expect(await handle.increment(2)).toBe(2);
		expect(await handle.increment(3)).toBe(5);
		expect(await handle.get()).toBe(5);
		expect(await t.client.counter.getOrCreate(["b"]).get()).toBe(0);
	});

	it("increments over a connection and delivers events to subscribers only", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.counter.getOrCreate("shared");
		const listening = handle.connect();
		const silent = handle.connect();
		const seen: number[] = [];
		listening.on("changed", (count) => {
			expectTypeOf(count).toEqualTypeOf<number>();
			seen.push(count);
		});
		let silentEvents = 0;
		silent.onOpen(() => {});
		// `silent` never subscribes, so the server must not send it events.
		(silent as unknown as { on: (e: string, cb: () => void) => void }).on(
			"other",
			() => silentEvents++,
		);
		expect(await listening.increment(1)).toBe(1);
		expect(await silent.increment(10)).toBe(11);
		await handle.increment(100);
		await expect.poll(() => seen).toEqual([1, 11, 111]);
		expect(silentEvents).toBe(0);
		await listening.dispose();
		await silent.dispose();
	});

	it("answers wrong argument types with a 400, not a crash", async () => {
		await using t = await setupTest(registry);
		const response = await fetch(
			`${t.url}/gateway/counter/action/increment?rvt-method=getOrCreate&rvt-key=typed`,
			{ method: "POST", headers: { "content-type": "application/json" }, body: '{"args":["1"]}' },
		);
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ group: "request", code: "invalid_args" });
		expect(await t.client.counter.getOrCreate("typed").get()).toBe(0);
	});

	it("keeps state across sleep and wake", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.counter.getOrCreate("sleepy");
		await handle.increment(7);
		expect(t.awakeActors()).toBe(1);
		await t.clock.advance(30_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		expect(await handle.get()).toBe(7);
		expect(t.awakeActors()).toBe(1);
	});
});
