// How long a race branch that took messages keeps its race: until it waits again or its code
// ends, not one turn. A claim of one turn ended while the claimer's careful step (each step
// after a crash, and a life's first) waited for its commit: the sibling took its own message
// and lost the race, so a completable one was counted once per iteration and dead-lettered
// with no kill at all, and a plain one was lost (a review, 2026-11-26). On memory storage,
// LMDB after a reset, and a second runtime taking over after a "crash".
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { actor, lmdbDriver, memoryDriver, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { workflow } from "../../src/workflow/index.js";
import { controllableStorage } from "../helpers/controllable-storage.js";

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Lets the workflow run: settles commits and turns until nothing is left. */
async function drain(t: { settle(): Promise<void> }): Promise<void> {
	for (let i = 0; i < 5; i++) await t.settle();
}

/** "a": receive, handle in a step, complete. "b": receive, think (sleep), handle, complete. */
const stepped = actor({
	state: { handled: [] as string[], touched: 0 },
	queues: { a: queue<string>(), b: queue<string>() },
	actions: {
		warm: (c) => c.queue.send("a", "warm"),
		touch: (c) => {
			c.state.touched++;
		},
		load: async (c) => {
			for (let i = 0; i < 8; i++) await c.queue.send("a", `a${i}`);
			await c.queue.send("b", "b0");
		},
		report: async (c) => ({
			handled: c.state.handled,
			dead: (await c.queue.deadLetters()).map((letter) => letter.body as string),
		}),
	},
	run: workflow(async (ctx) => {
		await ctx.loop("serve", async (loop) => {
			await loop.race("first", [
				{
					name: "a",
					run: async (b) => {
						const m = await b.queue.next("wait-a", { names: ["a"], completable: true });
						await b.step("handle-a", (c) => {
							c.state.handled.push(m.body);
						});
						await m.complete();
					},
				},
				{
					name: "b",
					run: async (b) => {
						const m = await b.queue.next("wait-b", { names: ["b"], completable: true });
						await b.sleep("think", 1_000);
						await b.step("handle-b", (c) => {
							c.state.handled.push(m.body);
						});
						await m.complete();
					},
				},
			]);
		});
	}),
});

/** "a": receive plain, handle in a step, return. "b": receive plain, return (handled after). */
const plainStepped = actor({
	state: { handled: [] as string[] },
	queues: { a: queue<string>(), b: queue<string>() },
	actions: {
		warm: (c) => c.queue.send("b", "warm"),
		sendBoth: async (c, i: number) => {
			await c.queue.send("a", `a${i}`);
			await c.queue.send("b", `b${i}`);
		},
		report: (c) => ({ handled: c.state.handled, size: c.queue.size }),
	},
	run: workflow(async (ctx) => {
		await ctx.loop("serve", async (loop) => {
			const { winner, value } = await loop.race("first", [
				{
					name: "a",
					run: async (b) => {
						const m = await b.queue.next("wait-a", { names: ["a"] });
						await b.step("handle-a", (c) => {
							c.state.handled.push(m.body);
						});
						return m.body;
					},
				},
				{
					name: "b",
					run: async (b) => (await b.queue.next("wait-b", { names: ["b"] })).body,
				},
			]);
			await loop.step("record", (c) => {
				if (winner === "b") c.state.handled.push(value);
			});
		});
	}),
});

const registry = setup({ use: { stepped, plainStepped }, logLevel: "silent" });
type Test = Awaited<ReturnType<typeof setupTest<typeof registry>>>;

/** Eight messages for "a", then one for "b": "b0" waits for the backlog, then is handled. */
async function drainBacklog(t: Test, handle: ReturnType<Test["client"]["stepped"]["getOrCreate"]>) {
	await handle.load();
	await expect
		.poll(async () => (await handle.report()).handled.filter((body) => /^a\d/.test(body)), {
			timeout: 5_000,
		})
		.toHaveLength(8);
	await drain(t);
	await t.clock.advance(1_000);
	await drain(t);
	return handle.report();
}

describe("a race branch that took messages keeps its race until it waits or ends", () => {
	it("completable, after a crash (a second runtime takes over): nothing dead-lettered", async () => {
		const storage = memoryDriver();
		const t1 = await setupTest(registry, { storage });
		await t1.client.stepped.getOrCreate("s").warm();
		await drain(t1);
		await using t2 = await setupTest(registry, { storage });
		const handle = t2.client.stepped.getOrCreate("s");
		await handle.report();
		await drain(t2);
		await t1.stop().catch(() => undefined);
		const { handled, dead } = await drainBacklog(t2, handle);
		expect(dead).toEqual([]);
		expect(handled).toContain("b0");
	});

	it("completable, after a reset (LMDB, one failed commit): nothing dead-lettered", async () => {
		const dir = mkdtempSync(join(tmpdir(), "tenon-race-claims-"));
		dirs.push(dir);
		const storage = controllableStorage(lmdbDriver({ path: dir }));
		await using t = await setupTest(registry, { storage: storage.driver });
		const handle = t.client.stepped.getOrCreate("s");
		await handle.warm();
		await drain(t);
		storage.failNext(1);
		await handle.touch().catch(() => undefined); // its commit fails: the actor resets
		await drain(t);
		await expect
			.poll(() =>
				handle.touch().then(
					() => true,
					() => false,
				),
			)
			.toBe(true);
		await drain(t);
		const { handled, dead } = await drainBacklog(t, handle);
		expect(dead).toEqual([]);
		expect(handled).toContain("b0");
	});

	it.each([
		["without", false],
		["after", true],
	])("plain, %s a crash: no acknowledged message is lost", async (_when, crash) => {
		const storage = memoryDriver();
		const t1 = await setupTest(registry, { storage });
		let t = t1;
		let handle = t1.client.plainStepped.getOrCreate("p");
		await handle.warm();
		await drain(t1);
		if (crash) {
			t = await setupTest(registry, { storage });
			handle = t.client.plainStepped.getOrCreate("p");
			await handle.report();
			await drain(t);
			await t1.stop().catch(() => undefined);
		}
		try {
			for (let i = 0; i < 5; i++) {
				await handle.sendBoth(i);
				await drain(t);
			}
			const { handled, size } = await handle.report();
			expect(size).toBe(0);
			const sent = ["warm", ...[0, 1, 2, 3, 4].flatMap((i) => [`a${i}`, `b${i}`])];
			expect([...handled].sort()).toEqual(sent.sort());
		} finally {
			await t.stop().catch(() => undefined);
			await t1.stop().catch(() => undefined);
		}
	});
});
