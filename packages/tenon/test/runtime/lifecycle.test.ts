import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

/** Hook calls, shared with the test (actors run in the same process). */
const calls: string[] = [];

const tracked = actor({
	createState: (c, input: { label: string } | undefined) => {
		calls.push(`createState:${input?.label ?? "none"}:${c.key.join("/")}`);
		// Who is waking: its id and name, and its logger (made when first read).
		if (c.actorId === "" || c.name !== "tracked" || typeof c.log.info !== "function")
			throw new Error("createState got no identity");
		return { label: input?.label ?? "none", wakes: 0 };
	},
	createVars: () => {
		calls.push("createVars");
		return { wokeAt: Date.now(), scratch: new Map<string, number>() };
	},
	onCreate: (c, input) => {
		calls.push(`onCreate:${input?.label ?? "none"}`);
		c.state.label = `${c.state.label}!`;
	},
	onWake: (c) => {
		// Its vars are there (they were undefined in onWake before 2026-11-28: a walkthrough).
		calls.push(`onWake:${c.vars.scratch instanceof Map}`);
		c.state.wakes++;
	},
	onSleep: (c) => {
		calls.push(`onSleep:${c.abortSignal.aborted}`);
	},
	onDestroy: () => {
		calls.push("onDestroy");
	},
	actions: {
		info: (c) => ({
			label: c.state.label,
			wakes: c.state.wakes,
			name: c.name,
			key: c.key,
			id: c.actorId,
		}),
		touchVars: (c) => {
			c.vars.scratch.set("n", (c.vars.scratch.get("n") ?? 0) + 1);
			return c.vars.scratch.get("n");
		},
		sleepNow: (c) => {
			c.sleep();
			return "sleeping";
		},
		destroyNow: (c) => {
			c.destroy();
			return "destroying";
		},
		hold: (c, ms: number) => {
			void c.keepAwake(new Promise((resolve) => setTimeout(resolve, ms)));
			return "held";
		},
	},
	options: { sleepTimeout: 10_000 },
});

const insomniac = actor({
	state: { n: 0 },
	actions: { poke: (c) => ++c.state.n },
	options: { noSleep: true, sleepTimeout: 10 },
});

const registry = setup({ use: { tracked, insomniac } });

describe("lifecycle", () => {
	it("runs createState and onCreate once, then createVars and onWake on every wake", async () => {
		await using t = await setupTest(registry);
		calls.length = 0;
		const handle = t.client.tracked.getOrCreate(["org", "a"], {
			createWithInput: { label: "hello" },
		});
		expect(await handle.info()).toMatchObject({
			label: "hello!",
			wakes: 1,
			name: "tracked",
			key: ["org", "a"],
		});
		expect(calls).toEqual([
			"createState:hello:org/a",
			"onCreate:hello",
			"createVars",
			"onWake:true",
		]);

		calls.length = 0;
		await t.clock.advance(10_000);
		await t.settle();
		expect(calls).toEqual(["onSleep:true"]);
		expect(t.awakeActors()).toBe(0);

		calls.length = 0;
		expect(await handle.info()).toMatchObject({ label: "hello!", wakes: 2 });
		expect(calls).toEqual(["createVars", "onWake:true"]);
	});

	it("recreates vars on each wake and never persists them", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.tracked.getOrCreate("vars");
		expect(await handle.touchVars()).toBe(1);
		expect(await handle.touchVars()).toBe(2);
		await t.clock.advance(10_000);
		await t.settle();
		expect(await handle.touchVars()).toBe(1);
	});

	it("sleeps on c.sleep() after replying, and wakes on the next request", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.tracked.getOrCreate("explicit");
		await handle.info();
		calls.length = 0;
		expect(await handle.sleepNow()).toBe("sleeping");
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		expect(calls).toEqual(["onSleep:true"]);
		expect((await handle.info()).wakes).toBe(2);
	});

	it("destroys on c.destroy(): onDestroy runs, the key is free and the data gone", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.tracked.getOrCreate("doomed", { createWithInput: { label: "first" } });
		const firstId = (await handle.info()).id;
		calls.length = 0;
		expect(await handle.destroyNow()).toBe("destroying");
		await t.settle();
		expect(calls).toEqual(["onDestroy"]);
		await expect(t.client.tracked.getForId(firstId).info()).rejects.toMatchObject({
			group: "actor",
			code: "not_found",
		});
		await expect(t.client.tracked.get("doomed").info()).rejects.toMatchObject({
			code: "not_found",
		});
		const fresh = await t.client.tracked
			.getOrCreate("doomed", { createWithInput: { label: "second" } })
			.info();
		expect(fresh.id).not.toBe(firstId);
		expect(fresh).toMatchObject({ label: "second!", wakes: 1 });
	});

	it("a call that waits out a destroy is not_found, and does not wake an empty actor", async () => {
		// Regression: a call that found the actor stopping waited for it, then
		// woke it again from the record it had read before the destroy.
		await using t = await setupTest(registry);
		const handle = t.client.tracked.getOrCreate("racing");
		const id = (await handle.info()).id;
		expect(await handle.hold(100)).toBe("held");
		expect(await handle.destroyNow()).toBe("destroying");
		// The destroy waits for the held work; this call arrives while it does.
		await new Promise((resolve) => setImmediate(resolve));
		await expect(t.client.tracked.getForId(id).info()).rejects.toMatchObject({
			group: "actor",
			code: "not_found",
		});
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await expect(t.client.tracked.getForId(id).info()).rejects.toMatchObject({
			code: "not_found",
		});
	});

	it("does not sleep while keepAwake work runs", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.tracked.getOrCreate("busy");
		await handle.hold(200);
		await t.clock.advance(20_000);
		await t.settle();
		expect(t.awakeActors()).toBe(1);
		await new Promise((resolve) => setTimeout(resolve, 250));
		await t.clock.advance(10_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
	});

	it("never sleeps with noSleep", async () => {
		await using t = await setupTest(registry);
		await t.client.insomniac.getOrCreate().poke();
		await t.clock.advance(60_000);
		await t.settle();
		expect(t.awakeActors()).toBe(1);
	});

	it("saves state on a graceful restart", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.tracked.getOrCreate("restart", { createWithInput: { label: "kept" } });
		await handle.info();
		await t.restart();
		expect(await t.client.tracked.getOrCreate("restart").info()).toMatchObject({
			label: "kept!",
			wakes: 2,
		});
	});
});
