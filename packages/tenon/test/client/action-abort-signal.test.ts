// AbortSignals given to calls on a connection: many calls can share one
// signal, each call stops listening to it once it settled, and an abort still
// rejects the calls that have not.
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

let release: (() => void) | undefined;

const counter = actor({
	state: { count: 0 },
	actions: {
		get: (c) => c.state.count,
		fail: () => {
			throw new Error("no");
		},
		wait: async () => {
			await new Promise<void>((resolve) => {
				release = resolve;
			});
			return "done";
		},
	},
});

const registry = setup({ use: { counter }, logLevel: "silent" });

describe("AbortSignal on connection actions", () => {
	it("connection actions sharing an AbortSignal leave no abort listener behind", async () => {
		await using t = await setupTest(registry);
		const controller = new AbortController();
		const conn = t.client.counter.getOrCreate("shared").connect();
		// Past 10 listeners Node warns (MaxListenersExceededWarning).
		for (let i = 0; i < 20; i++)
			await conn.action({ name: "get", args: [], signal: controller.signal });
		for (let i = 0; i < 5; i++)
			await expect(
				conn.action({ name: "fail", args: [], signal: controller.signal }),
			).rejects.toThrow();
		expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
		await conn.dispose();
	});

	it("a call that failed with its connection leaves no abort listener behind", async () => {
		await using t = await setupTest(registry);
		const controller = new AbortController();
		const conn = t.client.counter.getOrCreate("disposed").connect();
		const pending = conn.action({ name: "get", args: [], signal: controller.signal });
		const settled = pending.catch((error: unknown) => error);
		await conn.dispose();
		expect(await settled).toMatchObject({ group: "client", code: "disposed" });
		expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
	});

	it("an abort still rejects a call in flight and one still queued", async () => {
		await using t = await setupTest(registry);
		const controller = new AbortController();
		const conn = t.client.counter.getOrCreate("abort").connect();
		await conn.get();
		const inFlight = conn.action({ name: "wait", args: [], signal: controller.signal });
		await expect.poll(() => release).toBeDefined();
		const queuedConn = t.client.counter.getOrCreate("abort").connect();
		// Called before its connection opened: queued.
		const queued = queuedConn.action({ name: "get", args: [], signal: controller.signal });
		controller.abort(new Error("stop"));
		await expect(inFlight).rejects.toThrow("stop");
		await expect(queued).rejects.toThrow("stop");
		release?.();
		await conn.dispose();
		await queuedConn.dispose();
	});
});
