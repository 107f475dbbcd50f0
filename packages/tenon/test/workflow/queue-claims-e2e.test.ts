// A workflow's completable receives end to end: across restarts, resets (a
// failed commit), a crash (a second runtime on the same storage) and
// inspector replays, with waiting senders. Each message is processed and
// completed once, and each sender answered once.
import { describe, expect, it } from "vitest";
import { actor, memoryDriver, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { Loop, workflow } from "../../src/workflow/index.js";
import { controllableStorage } from "../helpers/controllable-storage.js";

const ADMIN = "replay-admin-token-0123456789";
const READER = "replay-reader-token-0123456789";
const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

async function post(url: string, body: unknown) {
	const response = await fetch(url, { method: "POST", headers: admin, body: JSON.stringify(body) });
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Receives completable, records it, sleeps, completes. */
const holding = actor({
	state: { got: [] as string[] },
	queues: { jobs: queue<string, string>() },
	actions: { read: (c) => c.state.got, size: (c) => c.queue.size },
	run: workflow(async (ctx) => {
		const message = await ctx.queue.next("take", { names: ["jobs"], completable: true });
		await ctx.step("record", (c) => {
			c.state.got.push(String(message?.body));
		});
		await ctx.sleep("pause", 60_000);
		await message?.complete(`done:${message.body}`);
	}),
});

/** A loop of the same; "stop" ends it. */
const server = actor({
	state: { got: [] as string[] },
	queues: { jobs: queue<string, string>() },
	actions: {
		read: (c) => c.state.got,
		size: (c) => c.queue.size,
		steal: async (c) => {
			const m = await c.queue.tryNext({ completable: true });
			if (m === undefined) return null;
			await m.complete("stolen");
			return m.body;
		},
	},
	run: workflow(async (ctx) => {
		await ctx.loop({
			name: "serve",
			historyPruneInterval: 2,
			historySize: 1,
			run: async (loop) => {
				const message = await loop.queue.next("take", { names: ["jobs"], completable: true });
				await loop.step("record", (c) => {
					c.state.got.push(message.body);
				});
				await loop.sleep("pause", 1_000);
				await message.complete(`done:${message.body}`);
				return message.body === "stop" ? Loop.break(undefined) : Loop.continue(undefined);
			},
		});
	}),
});

const registry = setup({
	use: { holding, server },
	admin: { token: ADMIN },
	inspector: { token: READER },
	logLevel: "silent",
});

describe("a workflow's completable receives", () => {
	it("replay after the receive: the waiting sender is answered once, message completed once", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.holding.getOrCreate("r1");
		const answer = handle.send("jobs", "first", { wait: true, timeout: 200_000 });
		await expect.poll(() => handle.read()).toEqual(["first"]);
		await t.settle();
		const actorId = await handle.resolve();
		const replay = await post(`${t.url}/inspector/actors/${actorId}/workflow/replay`, {
			path: [1],
		});
		expect(replay).toMatchObject({ status: 200, body: { from: "record" } });
		await expect.poll(() => handle.read()).toEqual(["first", "first"]);
		await t.settle();
		await t.clock.advance(60_000);
		expect(await answer).toEqual({ status: "completed", response: "done:first" });
		expect(await handle.size()).toBe(0);
	});

	it("replay before the receive: the waiting sender is answered once", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.holding.getOrCreate("r0");
		const answer = handle.send("jobs", "first", { wait: true, timeout: 200_000 });
		await expect.poll(() => handle.read()).toEqual(["first"]);
		await t.settle();
		const actorId = await handle.resolve();
		const replay = await post(`${t.url}/inspector/actors/${actorId}/workflow/replay`, {
			path: [0],
		});
		expect(replay).toMatchObject({ status: 200 });
		await expect.poll(() => handle.read()).toEqual(["first", "first"]);
		await t.settle();
		await t.clock.advance(60_000);
		expect(await answer).toEqual({ status: "completed", response: "done:first" });
		expect(await handle.size()).toBe(0);
	});

	it("loop across restarts: each message recorded once, queue drained, late senders answered", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.server.getOrCreate("l1");
		const answers: Promise<unknown>[] = [];
		for (const body of ["a", "b", "c", "d", "e"])
			answers.push(handle.send("jobs", body, { wait: true, timeout: 500_000 }));
		for (let i = 0; i < 30; i++) {
			await t.settle();
			await t.clock.advance(500);
			if (i % 4 === 1) await t.restart();
			if ((await handle.size()) === 0) break;
		}
		await handle.send("jobs", "stop");
		for (let i = 0; i < 10; i++) {
			await t.settle();
			await t.clock.advance(1_000);
		}
		expect(await handle.read()).toEqual(["a", "b", "c", "d", "e", "stop"]);
		expect(await handle.size()).toBe(0);
		expect(await handle.steal()).toBe(null);
		const settled = await Promise.all(answers);
		for (const a of settled)
			expect(["completed", "timedOut"]).toContain((a as { status: string }).status);
	}, 60_000);

	it("loop across resets (failed commits): each message recorded once", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		const handle = t.client.server.getOrCreate("l2");
		await handle.read();
		for (const body of ["a", "b", "c", "d"]) await handle.send("jobs", body);
		for (let i = 0; i < 40; i++) {
			await t.settle();
			if (i % 3 === 1) storage.failNext(1);
			await t.clock.advance(500);
			await handle.read().catch(() => undefined);
			if ((await handle.size().catch(() => 1)) === 0) break;
		}
		await handle.send("jobs", "stop");
		for (let i = 0; i < 10; i++) {
			await t.settle();
			await t.clock.advance(1_000);
			await handle.read().catch(() => undefined);
		}
		const got = await handle.read();
		// Steps are journaled with their writes: a reset may repeat nothing that committed.
		expect(got).toEqual(["a", "b", "c", "d", "stop"]);
		expect(await handle.size()).toBe(0);
	}, 60_000);
});

describe("a workflow's completable receives after a crash (a second runtime on the same storage)", () => {
	it("loop: each message recorded once in the durable state, queue drained", async () => {
		const storage = memoryDriver();
		const t1 = await setupTest(registry, { storage });
		const h1 = t1.client.server.getOrCreate("c1");
		await h1.read();
		for (const body of ["a", "b", "c"]) await h1.send("jobs", body);
		await t1.settle();
		await t1.clock.advance(1_000); // a completed; b received, pausing
		await t1.settle();
		await expect.poll(() => h1.read()).toEqual(["a", "b"]);
		// The process "dies": a second runtime takes over the storage (the first is fenced).
		await using t2 = await setupTest(registry, { storage });
		const h2 = t2.client.server.getOrCreate("c1");
		const got0 = await h2.read();
		for (let i = 0; i < 10; i++) {
			await t2.settle();
			await t2.clock.advance(1_000);
		}
		await h2.send("jobs", "stop");
		for (let i = 0; i < 5; i++) {
			await t2.settle();
			await t2.clock.advance(1_000);
		}
		await t1.stop().catch(() => undefined);
		expect({ got0, got: await h2.read(), size: await h2.size() }).toEqual({
			got0: ["a", "b"],
			got: ["a", "b", "c", "stop"],
			size: 0,
		});
	}, 60_000);
});
