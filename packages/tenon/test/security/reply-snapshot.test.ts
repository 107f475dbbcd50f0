// Regression: HTTP replies (and queue completion answers) were encoded after
// the output gate, from live references into state, so a reply could carry
// what a later turn wrote before that write was durable. Each reply is now
// encoded at the end of its own turn, before the gate.
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage } from "../helpers/controllable-storage.js";

let laterTurnRan = false;

const list = actor({
	state: { items: [] as string[] },
	queues: { jobs: queue<string, string[]>() },
	actions: {
		pushAndGet: (c, item: string) => {
			c.state.items.push(item);
			return c.state.items;
		},
		push: (c, item: string) => {
			c.state.items.push(item);
			laterTurnRan = true;
			return true;
		},
		items: (c) => c.state.items,
		size: (c) => c.queue.size,
		finishJob: async (c) => {
			const job = await c.queue.tryNext({ completable: true });
			if (job === undefined) return false;
			c.state.items.push(job.body);
			await job.complete(c.state.items);
			return true;
		},
	},
});

const registry = setup({ use: { list }, logLevel: "silent" });

describe("a reply shows its own turn, never a later one that is not durable yet", () => {
	it("over HTTP", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		// Disposed first: held commits must go through before the server stops.
		using _ = { [Symbol.dispose]: () => storage.release() };
		const handle = t.client.list.getOrCreate("http");
		await handle.items();
		laterTurnRan = false;
		storage.hold();
		const first = handle.pushAndGet("a");
		await expect.poll(() => storage.held).toBe(1);
		const later = handle.push("b");
		await expect.poll(() => laterTurnRan).toBe(true);
		// Only the first turn's commit is durable; "b" is not.
		storage.releaseOne();
		expect(await first).toEqual(["a"]);
		storage.release();
		await later;
		expect(await handle.items()).toEqual(["a", "b"]);
	});

	it("in a queue completion answer", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		// Disposed first: held commits must go through before the server stops.
		using _ = { [Symbol.dispose]: () => storage.release() };
		const handle = t.client.list.getOrCreate("queue");
		await handle.items();
		laterTurnRan = false;
		const sent = handle.send("jobs", "a", { wait: true });
		await expect.poll(() => handle.size()).toBe(1);
		storage.hold();
		const finished = handle.finishJob();
		// The job's delivery is durable before it is handed out (queue-manager.ts, #handOut).
		await expect.poll(() => storage.held).toBe(1);
		storage.releaseOne();
		// Then the completing turn's commit.
		await expect.poll(() => storage.held).toBe(1);
		const later = handle.push("b");
		await expect.poll(() => laterTurnRan).toBe(true);
		// Only the completing turn's commit is durable; "b" is not.
		storage.releaseOne();
		expect(await sent).toEqual({ status: "completed", response: ["a"] });
		storage.release();
		expect(await finished).toBe(true);
		await later;
	});
});
