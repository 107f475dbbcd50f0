// What a wake reads from the actor store. A new actor has nothing stored (its
// first commit writes its state's metadata with everything else), so creating
// one reads that metadata and nothing more; an actor with stored data gets all
// of it back after sleeping: queue messages, timers and its state.
import { expect, it } from "vitest";
import { actor, memoryDriver, queue, setup } from "../../src/index.js";
import type { ActorStore, StorageDriver } from "../../src/storage/interfaces.js";
import { setupTest } from "../../src/test/index.js";

/** The memory driver, counting the actor store's reads and the range deletes it is sent. */
function countingDriver(): {
	driver: StorageDriver;
	reads: { get: number; list: number };
	rangeDeletes: number[];
} {
	const inner = memoryDriver();
	const reads = { get: 0, list: 0 };
	const rangeDeletes: number[] = [];
	const wrap = (store: ActorStore): ActorStore => ({
		get: (actorId, keys) => {
			reads.get++;
			return store.get(actorId, keys);
		},
		list: (actorId, range, options) => {
			reads.list++;
			return store.list(actorId, range, options);
		},
		commit: (batch) => {
			for (const item of batch) rangeDeletes.push(item.deleteRanges?.length ?? 0);
			return store.commit(batch);
		},
	});
	return {
		reads,
		rangeDeletes,
		driver: {
			name: "counting(memory)",
			async open() {
				const handles = await inner.open();
				return { ...handles, store: wrap(handles.store) };
			},
		},
	};
}

const keeper = actor({
	state: { count: 0 },
	queues: { jobs: queue<string>() },
	actions: {
		touch: () => "awake",
		bump: (c) => ++c.state.count,
		count: (c) => c.state.count,
		remind: async (c) => {
			await c.schedule.after(60_000, "bump");
		},
		reminders: async (c) => (await c.schedule.list()).length,
		take: async (c) => (await c.queue.tryNext())?.body ?? null,
		nap: (c) => {
			c.sleep();
			return "napping";
		},
	},
});

it("creating an actor reads only its metadata; waking a stored one loads its queue, timers and state", async () => {
	const { driver, reads } = countingDriver();
	await using t = await setupTest(setup({ use: { keeper }, logLevel: "silent" }), {
		storage: driver,
	});
	const handle = t.client.keeper.getOrCreate("k");
	reads.get = 0;
	reads.list = 0;
	expect(await handle.touch()).toBe("awake");
	expect(reads).toEqual({ get: 1, list: 0 });

	expect(await handle.bump()).toBe(1);
	await handle.remind();
	await handle.send("jobs", "kept while asleep");
	expect(await handle.nap()).toBe("napping");
	await t.settle();
	expect(t.awakeActors()).toBe(0);

	reads.list = 0;
	expect(await handle.count()).toBe(1);
	expect(reads.list).toBeGreaterThan(0);
	expect(await handle.reminders()).toBe(1);
	expect(await handle.take()).toBe("kept while asleep");
});

it("waking an actor that never used queues or timers reads no range of theirs", async () => {
	const { driver, reads } = countingDriver();
	await using t = await setupTest(setup({ use: { keeper }, logLevel: "silent" }), {
		storage: driver,
	});
	const handle = t.client.keeper.getOrCreate("plain");
	expect(await handle.bump()).toBe(1);
	expect(await handle.nap()).toBe("napping");
	await t.settle();
	expect(t.awakeActors()).toBe(0);

	reads.list = 0;
	expect(await handle.count()).toBe(1);
	// Its state, its cron jobs and its connections: not its queue messages,
	// dead letters or timers (each written with a record a point read finds).
	expect(reads.list).toBe(3);
});

const shifter = actor({
	createState: (): number | { value: number } => 1,
	actions: {
		read: (c) => c.state,
		toObject: (c) => {
			c.state = { value: 2 };
		},
		nap: (c) => c.sleep(),
	},
});

it("a new actor's first commit deletes no range; a change of the state's shape replaces it whole", async () => {
	const { driver, rangeDeletes } = countingDriver();
	await using t = await setupTest(setup({ use: { shifter }, logLevel: "silent" }), {
		storage: driver,
	});
	const handle = t.client.shifter.getOrCreate("s");
	expect(await handle.read()).toBe(1);
	await t.settle();
	expect(rangeDeletes).toEqual([0]);

	await handle.toObject();
	await t.settle();
	expect(rangeDeletes).toEqual([0, 1]);
	await handle.nap();
	await t.settle();
	expect(t.awakeActors()).toBe(0);
	// The old value is gone, not read back beside the new keys.
	expect(await handle.read()).toEqual({ value: 2 });
});
