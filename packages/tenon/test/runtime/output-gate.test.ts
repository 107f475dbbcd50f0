import { describe, expect, it } from "vitest";
import { ActorError, actor, event, memoryDriver, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { controllableStorage, turns } from "../helpers/controllable-storage.js";

const counter = actor({
	state: { count: 0 },
	events: { changed: event<number>() },
	actions: {
		increment: (c, by: number) => {
			c.state.count += by;
			c.broadcast("changed", c.state.count);
			return c.state.count;
		},
		get: (c) => c.state.count,
		read: () => "no writes",
	},
});

const relaxedCounter = actor({
	state: { count: 0 },
	actions: {
		increment: (c) => ++c.state.count,
	},
	options: { durability: "relaxed", stateSaveInterval: 1_000 },
});

const registry = setup({ use: { counter, relaxedCounter }, logLevel: "silent" });

describe("output gate", () => {
	it("holds an HTTP reply until its write is durable", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		const handle = t.client.counter.getOrCreate("gate");
		expect(await handle.increment(1)).toBe(1);

		storage.hold();
		let replied = false;
		const pending = handle.increment(1).then((value) => {
			replied = true;
			return value;
		});
		await expect.poll(() => storage.held).toBeGreaterThan(0);
		await turns(50);
		expect(replied).toBe(false);
		storage.release();
		expect(await pending).toBe(2);
	});

	it("holds connection replies and events until durable, in order", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		const conn = t.client.counter.getOrCreate("events").connect();
		const seen: string[] = [];
		conn.on("changed", (count) => seen.push(`event:${count}`));
		expect(await conn.increment(1)).toBe(1);
		await expect.poll(() => seen).toEqual(["event:1"]);

		storage.hold();
		const reply = conn.increment(1).then((count) => seen.push(`reply:${count}`));
		await expect.poll(() => storage.held).toBeGreaterThan(0);
		await turns(50);
		expect(seen).toEqual(["event:1"]);
		storage.release();
		await reply;
		// The event was produced before the reply, and both waited for the same commit.
		await expect.poll(() => seen).toEqual(["event:1", "event:2", "reply:2"]);
		await conn.dispose();
	});

	it("does not hold replies of actions that wrote nothing when nothing is pending", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		const handle = t.client.counter.getOrCreate("reads");
		await handle.increment(1);
		storage.hold();
		expect(await handle.read()).toBe("no writes");
		storage.release();
	});

	it("resets the actor to its last durable state when a commit fails", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		const handle = t.client.counter.getOrCreate("failing");
		expect(await handle.increment(5)).toBe(5);

		storage.failNext(1);
		const failure = await handle.increment(1).catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(ActorError);
		expect(failure).toMatchObject({ group: "core", code: "internal_error" });
		// The failed write never became durable, so nobody ever sees 6.
		expect(await handle.get()).toBe(5);
		expect(await handle.increment(1)).toBe(6);
	});

	it("closes connections of a reset actor; they reconnect to the durable state", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		const conn = t.client.counter.getOrCreate("reset-conn").connect();
		expect(await conn.increment(3)).toBe(3);
		storage.failNext(1);
		await expect(conn.increment(1)).rejects.toMatchObject({
			group: "core",
			code: "internal_error",
		});
		await expect.poll(() => conn.connStatus).toBe("connected");
		expect(await conn.get()).toBe(3);
		await conn.dispose();
	});

	it("releases replies at once in relaxed mode and saves on the interval", async () => {
		const storage = controllableStorage(memoryDriver());
		await using t = await setupTest(registry, { storage: storage.driver });
		const handle = t.client.relaxedCounter.getOrCreate("fast");
		await handle.increment();
		await t.settle();
		const before = storage.commits;
		storage.hold();
		expect(await handle.increment()).toBe(2);
		expect(storage.commits).toBe(before);
		storage.release();
		await t.clock.advance(1_000);
		await t.settle();
		expect(storage.commits).toBe(before + 1);
	});
});
