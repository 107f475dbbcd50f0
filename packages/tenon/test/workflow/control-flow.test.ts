import { describe, expect, it } from "vitest";
import { actor, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import {
	CriticalError,
	type TryBlockResult,
	type TryStepResult,
	workflow,
} from "../../src/workflow/index.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

/** External side effects of the tests, by actor key. */
const effects = new Map<string, string[]>();
function effect(key: string, what: string): void {
	const list = effects.get(key) ?? [];
	list.push(what);
	effects.set(key, list);
}

const timeouts = actor({
	state: { outcome: null as TryStepResult<string> | null },
	actions: { outcome: (c) => c.state.outcome },
	run: workflow(async (ctx) => {
		const outcome = await ctx.tryStep({
			name: "slow",
			timeout: 1_000,
			run: () => new Promise<string>(() => {}),
		});
		await ctx.step("record", (c) => {
			c.state.outcome = outcome;
		});
	}),
});

const retryTimeouts = actor({
	state: { attempts: 0, done: false },
	actions: { status: (c) => c.state },
	run: workflow(async (ctx) => {
		await ctx.step({
			name: "sometimes-slow",
			timeout: 500,
			retryOnTimeout: true,
			retryBackoffBase: 10,
			run: (c) => {
				c.state.attempts++;
				return c.state.attempts < 2 ? new Promise<void>(() => {}) : undefined;
			},
		});
		await ctx.step("done", (c) => {
			c.state.done = true;
		});
	}),
});

const saga = actor({
	state: { status: "new", log: [] as string[] },
	actions: { status: (c) => c.state },
	run: workflow(async (ctx) => {
		await ctx.step("validate", (c) => {
			c.state.log.push("validate");
		});
		await ctx.rollbackCheckpoint("order");
		await ctx.step({
			name: "reserve",
			run: (c) => {
				c.state.log.push("reserve");
				effect(c.key[0] as string, "reserve");
				return "res-1";
			},
			rollback: (c, reservation) => {
				c.state.log.push(`release:${reservation}`);
				effect(c.key[0] as string, "release");
			},
		});
		await ctx.step({
			name: "charge",
			run: (c) => {
				c.state.log.push("charge");
				return "ch-1";
			},
			rollback: (c, charge) => {
				c.state.log.push(`refund:${charge}`);
			},
		});
		await ctx.step({
			name: "ship",
			maxRetries: 0,
			run: (c) => {
				if (c.key[0] === "fails") throw new CriticalError("no courier");
				c.state.log.push("ship");
			},
		});
		await ctx.step("done", (c) => {
			c.state.status = "shipped";
		});
	}),
});

const tryBlocks = actor({
	state: { result: null as TryBlockResult<string> | null, compensated: [] as string[] },
	actions: { status: (c) => c.state },
	run: workflow(async (ctx) => {
		const result = await ctx.try("payment", async (block) => {
			await block.rollbackCheckpoint("start");
			await block.step({
				name: "authorize",
				run: () => "auth-1",
				rollback: (c, auth) => {
					c.state.compensated.push(auth);
				},
			});
			await block.step({
				name: "capture",
				maxRetries: 0,
				run: () => {
					throw new Error("card declined");
				},
			});
			return "paid";
		});
		await ctx.step("record", (c) => {
			c.state.result = result;
		});
	}),
});

const joins = actor({
	state: { summary: null as Record<string, number> | null, runs: {} as Record<string, number> },
	actions: { status: (c) => c.state },
	run: workflow(async (ctx) => {
		const count = (name: string) => (c: { state: { runs: Record<string, number> } }) => {
			c.state.runs[name] = (c.state.runs[name] ?? 0) + 1;
			return name.length;
		};
		const summary = await ctx.join("fetch", {
			users: { run: (b) => b.step("users", count("users")) },
			orders: {
				run: async (b) => {
					await b.sleep("slow-orders", 5_000);
					return b.step("orders", count("orders"));
				},
			},
			revenue: { run: (b) => b.step("revenue", count("revenue")) },
		});
		await ctx.step("save", (c) => {
			c.state.summary = summary;
		});
	}),
});

const races = actor({
	state: { outcome: "" },
	queues: { bids: queue<{ amount: number }>() },
	actions: { outcome: (c) => c.state.outcome },
	run: workflow(async (ctx) => {
		const { winner, value } = await ctx.race("bid-or-expire", [
			{
				name: "bid",
				run: async (b) => (await b.queue.next("wait-bid", { names: ["bids"] })).body.amount,
			},
			{
				name: "expire",
				run: async (b) => {
					await b.sleep("deadline", 10_000);
					return 0;
				},
			},
		]);
		await ctx.step("finalize", (c) => {
			c.state.outcome = `${winner}:${value}`;
		});
	}),
});

const registry = setup({ use: { timeouts, retryTimeouts, saga, tryBlocks, joins, races } });

describe("workflow control flow", () => {
	it("times out a step on the test clock; tryStep returns the failure as data", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.timeouts.getOrCreate("t");
		await handle.outcome();
		await tick();
		await t.clock.advance(999);
		await tick();
		expect(await handle.outcome()).toBeNull();
		await t.clock.advance(1);
		await expect
			.poll(() => handle.outcome())
			.toMatchObject({
				ok: false,
				failure: { kind: "timeout", stepName: "slow", attempts: 1 },
			});
	});

	it("retries a timed-out attempt when retryOnTimeout is set", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.retryTimeouts.getOrCreate("t");
		await handle.status();
		await tick();
		await t.clock.advance(500);
		await tick();
		await t.clock.advance(10);
		await expect.poll(() => handle.status()).toEqual({ attempts: 2, done: true });
	});

	it("runs rollback compensations newest first when a later step fails (saga)", async () => {
		await using t = await setupTest(registry);
		const ok = t.client.saga.getOrCreate("works");
		await expect.poll(async () => (await ok.status()).status).toBe("shipped");
		expect((await ok.status()).log).toEqual(["validate", "reserve", "charge", "ship"]);

		const failing = t.client.saga.getOrCreate("fails");
		await failing.status();
		await t.settle();
		await expect
			.poll(async () => (await failing.status()).log)
			.toEqual(["validate", "reserve", "charge", "refund:ch-1", "release:res-1"]);
		await t.settle();
		const history = await t.workflowHistory(failing);
		expect(history.status).toBe("failed");
		expect(history.error?.message).toContain("no courier");
		const rolledBack = history.entries.filter((e) => e.rolledBackAt !== undefined);
		expect(rolledBack.map((e) => e.name)).toEqual(["reserve", "charge"]);
		// Compensations are journaled: a restart does not run them again.
		await t.restart();
		await failing.status();
		expect(effects.get("fails")).toEqual(["reserve", "release"]);
	});

	it("try returns a block's step failure as data after rolling the block back", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.tryBlocks.getOrCreate("p");
		await expect
			.poll(async () => (await handle.status()).result)
			.toMatchObject({
				ok: false,
				failure: {
					source: "step",
					name: "payment/capture",
					error: { message: "card declined" },
					step: { kind: "exhausted", attempts: 1 },
				},
			});
		expect((await handle.status()).compensated).toEqual(["auth-1"]);
	});

	it("join runs branches concurrently and does not rerun finished branches after a restart", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.joins.getOrCreate("j");
		await expect.poll(async () => (await handle.status()).runs).toEqual({ users: 1, revenue: 1 });
		await t.restart();
		await t.clock.advance(5_000);
		await expect
			.poll(async () => (await handle.status()).summary)
			.toEqual({ users: 5, orders: 6, revenue: 7 });
		expect((await handle.status()).runs).toEqual({ users: 1, revenue: 1, orders: 1 });
		await t.settle();
		const history = await t.workflowHistory(handle);
		expect(history.entries.map((e) => e.location)).toEqual([
			"fetch",
			"fetch.users/users",
			"fetch.orders/slow-orders",
			"fetch.orders/orders",
			"fetch.revenue/revenue",
			"save",
		]);
	});

	it("race: a message beats the deadline; the loser's timer is cancelled", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.races.getOrCreate("bid");
		await handle.outcome();
		await handle.send("bids", { amount: 42 });
		await expect.poll(() => handle.outcome()).toBe("bid:42");
		await t.clock.advance(20_000);
		await tick();
		expect(await handle.outcome()).toBe("bid:42");
	});

	it("race: the deadline wins when no message comes, even across a sleep", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.races.getOrCreate("none");
		await handle.outcome();
		await t.restart();
		await t.clock.advance(10_000);
		await expect.poll(() => handle.outcome()).toBe("expire:0");
		// The recorded winner stands: a late message is not taken by the race.
		await handle.send("bids", { amount: 1 });
		await t.restart();
		expect(await handle.outcome()).toBe("expire:0");
	});
});
