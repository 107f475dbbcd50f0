// A connection sends at most `maxInFlightActions` calls the server has not
// answered: a burst of 300 calls had 172 refused with limit/too_many_in_flight
// by a server's per-connection limit (a walkthrough, 2026-11-28). Later calls
// wait, in order; an aborted call still counts until the server answers it,
// as the server still runs it and counts it.
import { describe, expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

let gate: Promise<void> = Promise.resolve();
let openGate = () => {};
const closeGate = () => {
	gate = new Promise((resolve) => {
		openGate = resolve;
	});
};

/** `slow` calls running (not in state: a reply waits for the writes made before it). */
let slowRunning = 0;

const log = actor({
	state: { seen: [] as number[], waiting: 0, mostWaiting: 0 },
	actions: {
		add: async (c, n: number) => {
			c.state.waiting++;
			c.state.mostWaiting = Math.max(c.state.mostWaiting, c.state.waiting);
			await new Promise((resolve) => setTimeout(resolve, 1));
			c.state.waiting--;
			c.state.seen.push(n);
			return n;
		},
		slow: async () => {
			slowRunning++;
			await gate;
			slowRunning--;
			return "slow";
		},
		stats: (c) => ({ seen: c.state.seen, mostWaiting: c.state.mostWaiting }),
	},
});

const registryWith = (maxInFlightActionsPerConnection?: number) =>
	setup({
		use: { log },
		logLevel: "silent",
		...(maxInFlightActionsPerConnection === undefined
			? {}
			: { limits: { maxInFlightActionsPerConnection } }),
	});

describe("calls in flight on a connection", () => {
	it("a burst of 300 calls is answered in full, sent in order, never more than 128 at once", async () => {
		await using t = await setupTest(registryWith());
		const client = createClient<ReturnType<typeof registryWith>>({ endpoint: t.url });
		const conn = client.log.getOrCreate("burst").connect();
		const numbers = Array.from({ length: 300 }, (_, i) => i);
		expect(await Promise.all(numbers.map((n) => conn.add(n)))).toEqual(numbers);
		const stats = await conn.stats();
		expect(stats.seen).toHaveLength(300);
		expect(stats.mostWaiting).toBeLessThanOrEqual(128);
		expect(stats.mostWaiting).toBeGreaterThan(1);
		await client.dispose();
	});

	it("keeps to a server's lower limit when told it, and counts aborted calls until they are answered", async () => {
		await using t = await setupTest(registryWith(4));
		const client = createClient<ReturnType<typeof registryWith>>({
			endpoint: t.url,
			maxInFlightActions: 4,
		});
		const conn = client.log.getOrCreate("low").connect();
		closeGate();
		const aborter = new AbortController();
		const slow = Array.from({ length: 4 }, () =>
			conn.action({ name: "slow", args: [], signal: aborter.signal }).catch((error) => error),
		);
		await expect.poll(() => slowRunning).toBe(4);
		aborter.abort(new Error("gave up"));
		for (const outcome of await Promise.all(slow))
			expect(outcome).toMatchObject({ message: "gave up" });
		// The four still run on the server: these wait for them instead of being refused.
		const later = Promise.all([1, 2, 3, 4, 5, 6].map((n) => conn.add(n)));
		await new Promise((resolve) => setTimeout(resolve, 50));
		openGate();
		expect(await later).toEqual([1, 2, 3, 4, 5, 6]);
		await client.dispose();
	});

	it("refuses a limit that is not a positive integer", () => {
		expect(() => createClient({ endpoint: "http://127.0.0.1:1", maxInFlightActions: 0 })).toThrow(
			/maxInFlightActions/,
		);
	});

	it("a call whose arguments cannot be encoded fails alone, queued or sent at once (a review)", async () => {
		await using t = await setupTest(registryWith());
		const client = createClient<ReturnType<typeof registryWith>>({ endpoint: t.url });
		const conn = client.log.getOrCreate("unencodable").connect();
		const circular: { self?: unknown } = {};
		circular.self = circular;
		// Queued before the connection opens, then sent at once on an open one.
		const before = conn.add(circular as unknown as number);
		const after = conn.add(1);
		await expect(before).rejects.toBeInstanceOf(Error);
		expect(await after).toBe(1);
		await expect(conn.add(circular as unknown as number)).rejects.toBeInstanceOf(Error);
		expect(await conn.add(2)).toBe(2);
		await client.dispose();
	});

	it("aborting thousands of queued calls with one signal costs time linear in them (a review)", async () => {
		await using t = await setupTest(registryWith());
		const client = createClient<ReturnType<typeof registryWith>>({ endpoint: t.url });
		const conn = client.log.getOrCreate("aborts").connect();
		const aborter = new AbortController();
		// Queued: the connection is not open yet.
		const calls = Array.from({ length: 20_000 }, (_, n) =>
			conn.action({ name: "add", args: [n], signal: aborter.signal }).catch(() => "aborted"),
		);
		const started = performance.now();
		aborter.abort();
		const outcomes = await Promise.all(calls);
		expect(performance.now() - started).toBeLessThan(1_000);
		expect(outcomes.every((outcome) => outcome === "aborted")).toBe(true);
		expect(await conn.add(5)).toBe(5);
		await client.dispose();
	});
});
