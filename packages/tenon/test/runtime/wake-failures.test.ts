import { describe, expect, it } from "vitest";
import { actor, memoryDriver, setup } from "../../src/index.js";
import type { ActorStore, StorageDriver } from "../../src/storage/interfaces.js";
import { setupTest } from "../../src/test/index.js";

let failWakes = 0;
let creates = 0;

const flaky = actor({
	createState: () => {
		creates++;
		return { wakes: 0 };
	},
	onWake: (c) => {
		if (failWakes > 0) {
			failWakes--;
			throw new Error("dependency unavailable");
		}
		c.state.wakes++;
	},
	connState: { messages: [] as string[] },
	actions: {
		wakes: (c) => c.state.wakes,
		note: (c, text: string) => {
			c.conn.state.messages.push(text);
			return c.conn.state.messages;
		},
	},
});

let hangWakes = false;
let onCreates = 0;

/** Saves while waking, then (with `hangWakes`) never finishes: the wake times out. */
const stalled = actor({
	state: { log: [] as string[] },
	onCreate: () => {
		onCreates++;
	},
	onWake: async (c) => {
		c.state.log.push("woke");
		if (!hangWakes) return;
		// Sent now; it fails once the wake is abandoned (the commit itself lands).
		c.saveState().catch(() => {});
		await new Promise(() => {});
	},
	actions: { log: (c) => c.state.log },
	options: { wakeTimeout: 150 },
});

let lateSave: string | undefined;
let lateStarted = false;

/** Goes on after its wake timed out, and saves: the save must fail, not wait forever. */
const late = actor({
	state: { n: 0 },
	onWake: async (c) => {
		lateStarted = true;
		await new Promise((resolve) => setTimeout(resolve, 250));
		c.state.n++;
		try {
			await c.saveState();
			lateSave = "saved";
		} catch (error) {
			lateSave = (error as { code?: string }).code ?? "failed";
		}
	},
	actions: { n: (c) => c.state.n },
	options: { wakeTimeout: 100 },
});

const registry = setup({ use: { flaky, stalled, late }, logLevel: "silent" });

/**
 * The memory driver whose commits wait while held. `hold` returns a release
 * function and a promise of the first commit that arrived held.
 */
function holdingDriver(): {
	driver: StorageDriver;
	hold: () => { release: () => void; arrived: Promise<void> };
} {
	const inner = memoryDriver();
	let held: { promise: Promise<void>; arrived: () => void } | undefined;
	const wrap = (store: ActorStore): ActorStore => ({
		get: (actorId, keys) => store.get(actorId, keys),
		list: (actorId, range, options) => store.list(actorId, range, options),
		commit: async (batch) => {
			if (held !== undefined) {
				held.arrived();
				await held.promise;
			}
			return store.commit(batch);
		},
	});
	return {
		hold() {
			let release!: () => void;
			let arrived!: () => void;
			const promise = new Promise<void>((resolve) => {
				release = resolve;
			});
			const arrival = new Promise<void>((resolve) => {
				arrived = resolve;
			});
			held = { promise, arrived };
			return {
				arrived: arrival,
				release: () => {
					held = undefined;
					release();
				},
			};
		},
		driver: {
			name: "holding(memory)",
			async open() {
				const handles = await inner.open();
				return { ...handles, store: wrap(handles.store) };
			},
		},
	};
}

describe("wake failures and connection state", () => {
	it("fails the request when waking fails, and wakes again on the next one", async () => {
		await using t = await setupTest(registry);
		failWakes = 1;
		creates = 0;
		const handle = t.client.flaky.getOrCreate("f");
		await expect(handle.wakes()).rejects.toMatchObject({ group: "core", code: "internal_error" });
		expect(t.awakeActors()).toBe(0);
		// The failed first wake never committed, so creation runs again.
		expect(await handle.wakes()).toBe(1);
		expect(creates).toBe(2);
		expect(await handle.wakes()).toBe(1);
	});

	it("starts the next instance only once a timed-out wake's commit has landed", async () => {
		const { driver, hold } = holdingDriver();
		await using t = await setupTest(registry, { storage: driver });
		const handle = t.client.stalled.getOrCreate("s");
		hangWakes = true;
		onCreates = 0;
		const { release, arrived } = hold();
		// The wake's save is sent to the store (held there), then the wake times out.
		const first = handle.log();
		const failed = expect(first).rejects.toMatchObject({ code: "hook_timed_out" });
		await arrived;
		await t.clock.advance(200);
		hangWakes = false;
		const next = handle.log();
		await new Promise((resolve) => setTimeout(resolve, 100));
		release();
		await failed;
		// The next instance loads what the first one's commit wrote: the actor is
		// not created twice, and its state is not written over from a blank one.
		expect(await next).toEqual(["woke", "woke"]);
		expect(onCreates).toBe(1);
	});

	it("a save made after the wake timed out fails instead of waiting forever", async () => {
		await using t = await setupTest(registry);
		lateSave = undefined;
		lateStarted = false;
		const call = t.client.late.getOrCreate("l").n();
		const failed = expect(call).rejects.toMatchObject({ code: "hook_timed_out" });
		// The wake's time limit is set before onWake runs: advancing past it then times it out.
		while (!lateStarted) await new Promise((resolve) => setTimeout(resolve, 5));
		await t.clock.advance(200);
		await failed;
		const deadline = Date.now() + 2_000;
		while (lateSave === undefined && Date.now() < deadline)
			await new Promise((resolve) => setTimeout(resolve, 20));
		expect(lateSave).toBe("hook_timed_out");
	});

	it("clones a static connState for each connection", async () => {
		await using t = await setupTest(registry);
		const a = t.client.flaky.getOrCreate("c").connect();
		const b = t.client.flaky.getOrCreate("c").connect();
		expect(await a.note("from a")).toEqual(["from a"]);
		expect(await b.note("from b")).toEqual(["from b"]);
		expect(await a.note("again")).toEqual(["from a", "again"]);
		await a.dispose();
		await b.dispose();
	});
});
