// A wake reads its queue's message headers, not their bodies (queue-message.ts): a record is
// read again when a receive takes it. Until 2026-11-29 every wake read every record whole and
// kept it: an attacker probe woke 4 actors with full queues of 65 KB messages with 4 small
// calls, and the server's resident memory grew by 580 MB. Records stored before then (one CBOR
// map) are still read, and written in the new format when they change.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/common/logger.js";
import { actor, memoryDriver, queue, setup } from "../../src/index.js";
import { cborEncode } from "../../src/protocol/encoding.js";

import {
	encodeMessage,
	loadStoredQueue,
	MESSAGE_RANGE,
	messageKey,
	QUEUE_META_KEY,
	StoredMessage,
} from "../../src/runtime/queue-records.js";
import type { StorageDriver } from "../../src/storage/interfaces.js";
import { setupTest } from "../../src/test/index.js";
import { wrapGets } from "../helpers/controllable-storage.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const inbox = actor({
	state: {},
	queues: { items: queue<string>() },
	actions: {
		fill: async (c, count: number, length: number) => {
			for (let i = 0; i < count; i++) await c.queue.send("items", `${i}:`.padEnd(length, "x"));
			return c.queue.size;
		},
		size: (c) => c.queue.size,
		/** Two receives at once: each takes its own message. */
		takeTwo: async (c) => {
			const [a, b] = await Promise.all([
				c.queue.tryNext({ names: ["items"] }),
				c.queue.tryNext({ names: ["items"] }),
			]);
			return [a?.body.split(":")[0], b?.body.split(":")[0], c.queue.size];
		},
	},
	options: { maxQueueSize: 200, maxQueueMessageSize: 70_000 },
});

/**
 * Memory the process holds: JS objects and byte arrays. V8 frees the bytes of collected byte
 * arrays on a thread of its own, after the collection: read at once on a loaded machine, the
 * wake's transient reads (18 MB, garbage) were still counted (a CI run).
 */
async function held(): Promise<number> {
	let last = Number.POSITIVE_INFINITY;
	for (let i = 0; i < 10; i++) {
		gc();
		await new Promise((resolve) => setTimeout(resolve, 50));
		const usage = process.memoryUsage();
		const now = usage.heapUsed + usage.arrayBuffers;
		if (Math.abs(now - last) < 256 * 1024) return now;
		last = now;
	}
	return last;
}

describe("a wake", () => {
	it("reads headers only: 3 actors with 100 messages of 60 KB each hold a few MB, not 18", async () => {
		await using t = await setupTest(setup({ use: { inbox } }));
		const keys = ["a", "b", "c"];
		for (const key of keys)
			expect(await t.client.inbox.getOrCreate(key).fill(100, 60_000)).toBe(100);
		await t.restart();
		// The stopped server's memory goes first (measured at once, it was freed between the two
		// readings, and the test passed on the code it guards against: a review).
		for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 50));
		const before = await held();
		for (const key of keys) expect(await t.client.inbox.getOrCreate(key).size()).toBe(100);
		const grown = (await held()) - before;
		expect(grown).toBeLessThan(4 * 1024 * 1024);
		// Each body is read when a receive takes it, two receives at once take two.
		expect(await t.client.inbox.getOrCreate("a").takeTwo()).toEqual(["0", "1", 98]);
		expect(await t.client.inbox.getOrCreate("a").takeTwo()).toEqual(["2", "3", 96]);
	}, 60_000);
});

const worker = actor({
	state: {},
	queues: { jobs: queue<string>() },
	actions: {
		add: (c, body: string) => c.queue.send("jobs", body),
		take: async (c) => (await c.queue.tryNext({ names: ["jobs"] }))?.body,
		/** Takes one completable and fails: its delivery stays counted. */
		fail: async (c) => {
			await c.queue.tryNext({ names: ["jobs"], completable: true });
			throw new Error("this job fails");
		},
		dead: async (c) => (await c.queue.deadLetters()).map((letter) => letter.body),
	},
	options: { maxQueueDeliveries: 2 },
});

/** Overwrites the stored records of `worker` "w"'s messages (the server stopped). */
async function overwrite(driver: StorageDriver, records: [seq: number, value: Uint8Array][]) {
	const handles = await driver.open();
	const [record] = await handles.directory.list("default", "worker");
	if (record === undefined) throw new Error("no worker stored");
	const fence = await handles.placement.acquire(record.actorId);
	await handles.store.commit([
		{
			actorId: record.actorId,
			fence,
			puts: records.map(([seq, value]) => [messageKey(seq), value]),
			deletes: [],
		},
	]);
	const stored = await handles.store.list(record.actorId, MESSAGE_RANGE);
	await handles.close();
	return { stored };
}

describe("records stored before 2026-11-29 (one CBOR map)", () => {
	it("are handed out, set aside and counted as before, and rewritten in the new format", async () => {
		const driver = memoryDriver();
		{
			await using t = await setupTest(setup({ use: { worker } }), { storage: driver });
			const w = t.client.worker.getOrCreate("w");
			for (const body of ["one", "two", "three", "four"]) await w.add(body);
		}
		await overwrite(driver, [
			[1, cborEncode({ n: "jobs", b: "legacy one", t: 1_000 })],
			[2, cborEncode({ n: "jobs", b: "legacy two", t: 1_000, d: 2 })],
			[3, cborEncode({ n: "jobs", b: "legacy three", t: 1_000, d: 1 })],
		]);
		{
			await using t = await setupTest(setup({ use: { worker }, logLevel: "silent" }), {
				storage: driver,
			});
			const w = t.client.worker.getOrCreate("w");
			expect(await w.take()).toBe("legacy one");
			// "legacy two" was delivered twice (maxQueueDeliveries): set aside, body and all.
			await expect(w.fail()).rejects.toThrow();
			expect(await w.dead()).toEqual(["legacy two"]);
		}
		const { stored } = await overwrite(driver, []);
		// "legacy three", delivered once more, in the new format; "four" as written.
		expect(stored.map(([, value]) => value[0])).toEqual([0xff, 0xff]);
		const three = StoredMessage.fromRecord(3, (stored[0] as [Uint8Array, Uint8Array])[1], true);
		expect([three.deliveries, three.body]).toEqual([2, "legacy three"]);
		{
			await using t = await setupTest(setup({ use: { worker }, logLevel: "silent" }), {
				storage: driver,
			});
			const w = t.client.worker.getOrCreate("w");
			expect(await w.take()).toBe("four");
			expect(await w.dead()).toEqual(["legacy two", "legacy three"]);
		}
	});
});

describe("loadStoredQueue", () => {
	it("reads 64 records at a time and keeps only the run provider's claims", async () => {
		const handles = await memoryDriver().open();
		const actorId = "queue-pages";
		const puts: [Uint8Array, Uint8Array][] = [[QUEUE_META_KEY, cborEncode({ nextSeq: 151 })]];
		for (let seq = 1; seq <= 150; seq++) {
			const message = StoredMessage.create(seq, "jobs", { seq }, 1_000);
			if (seq % 50 === 0) {
				message.claimed = true;
				message.deliveries = 1;
			}
			puts.push([messageKey(seq), encodeMessage(message)]);
		}
		await handles.store.commit([{ actorId, fence: 1, puts, deletes: [] }]);
		const limits: (number | undefined)[] = [];
		const list = handles.store.list.bind(handles.store);
		handles.store.list = (id, range, options) => {
			limits.push(options?.limit);
			return list(id, range, options);
		};
		const loaded = await loadStoredQueue(handles.store, actorId);
		expect(loaded.messages.map((message) => message.seq)).toEqual(
			Array.from({ length: 150 }, (_, i) => i + 1),
		);
		// Three pages of messages, one (empty) of dead letters.
		expect(limits).toEqual([64, 64, 64, 64]);
		const attached = loaded.messages.filter((message) => message.attached);
		expect(attached.map((message) => [message.seq, message.body])).toEqual([
			[50, { seq: 50 }],
			[100, { seq: 100 }],
			[150, { seq: 150 }],
		]);
		expect(() => loaded.messages[0]?.body).toThrow(/not read/);
		// A body's binary parts are its own: changing one changes nothing stored (a review).
		const binary = StoredMessage.create(1, "jobs", { bytes: Uint8Array.of(1, 2, 3) }, 1_000);
		(binary.body as { bytes: Uint8Array }).bytes[0] = 9;
		binary.deliveries = 1;
		const stored = StoredMessage.fromRecord(1, binary.record, true);
		expect(stored.body).toEqual({ bytes: Uint8Array.of(1, 2, 3) });
		await handles.close();
	});
});

const racer = actor({
	state: {},
	queues: { jobs: queue<string>(), dq: queue<string>() },
	actions: {
		add: (c, name: "jobs" | "dq", body: string) => c.queue.send(name, body),
		/** Takes one completable from dq and fails: its delivery stays counted (1 = maxQueueDeliveries). */
		failDq: async (c) => {
			await c.queue.tryNext({ names: ["dq"], completable: true });
			throw new Error("fails");
		},
		/**
		 * Three receives at once after a wake: the first reads a dead letter (set aside once read),
		 * the second reads "m1" to take it, the third waits. The dead letter's read ends a step
		 * before m1's and serves the waiting receivers.
		 */
		three: async (c, completable: boolean) => {
			void c.queue.next({ names: ["dq"], timeout: 60_000 }).catch(() => {});
			const a = c.queue.next({ names: ["jobs"], completable, timeout: 60_000 });
			const w = c.queue.next({ names: ["jobs"], completable, timeout: 60_000 });
			const early = new Promise((resolve) => setTimeout(() => resolve("still waiting"), 200));
			return [
				await Promise.race([a.then((m) => m?.body ?? "resolved empty"), early]),
				await Promise.race([w.then((m) => m?.body ?? "resolved empty"), early]),
			];
		},
	},
	options: { maxQueueDeliveries: 1 },
});

describe("a message whose record is being read", () => {
	// A review, 2026-11-29: freed a few microtasks before it was handed out, a completable one
	// went to two receivers, and a plain one taken by the other left a waiting receive with [].
	for (const completable of [true, false])
		it(`goes to one receiver only, the others wait (${completable ? "completable" : "plain"})`, async () => {
			await using t = await setupTest(setup({ use: { racer }, logLevel: "silent" }));
			const r = t.client.racer.getOrCreate("r");
			await r.add("dq", "poison");
			await expect(r.failDq()).rejects.toThrow();
			await r.add("jobs", "m1");
			await t.restart();
			const got = await t.client.racer.getOrCreate("r").three(completable);
			expect(got.sort()).toEqual(["m1", "still waiting"]);
		});
});

const drainer = actor({
	state: {},
	queues: { jobs: queue<number>() },
	actions: {
		add: async (c, count: number) => {
			for (let i = 0; i < count; i++) await c.queue.send("jobs", i);
		},
		/** Takes every message, one receive each, as a worker's loop does. */
		drain: async (c) => {
			const got: number[] = [];
			for (;;) {
				const message = await c.queue.tryNext({ names: ["jobs"] });
				if (message === undefined) return got;
				got.push(message.body);
			}
		},
		/** Two receives at once: the first's read is slow, the second takes what it read ahead. */
		two: async (c) => {
			const [a, b] = await Promise.all([
				c.queue.tryNext({ names: ["jobs"] }),
				c.queue.tryNext({ names: ["jobs"] }),
			]);
			return [a?.body, b?.body, c.queue.size];
		},
	},
	options: { maxQueueSize: 200 },
});

describe("draining a queue after a wake", () => {
	it("reads the records 17 at a time, not one store read per message", async () => {
		const counted = wrapGets(memoryDriver(), "counted", (actorId, keys, get) => {
			// Reads of message records (area 0x04, tag 0x01).
			if (keys.some((key) => key[0] === 0x04 && key[1] === 0x01)) reads.push(keys.length);
			return get(actorId, keys);
		});
		const reads: number[] = [];
		await using t = await setupTest(setup({ use: { drainer } }), { storage: counted });
		await t.client.drainer.getOrCreate("d").add(100);
		await t.restart();
		reads.length = 0;
		const got = await t.client.drainer.getOrCreate("d").drain();
		expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i));
		expect(reads.length).toBeLessThanOrEqual(Math.ceil(100 / 17) + 1);
		expect(reads.reduce((sum, keys) => sum + keys, 0)).toBe(100);
	});
});

it("a record read ahead and taken meanwhile by another receive is not reported missing", async () => {
	// A review of the read-ahead: the slow read saw the other receive's delete and logged the
	// message's record as missing (and dropped it, a second time).
	let slowNext = false;
	const slow = wrapGets(memoryDriver(), "slow", async (actorId, keys, get) => {
		const values = await get(actorId, keys);
		if (slowNext && keys.length > 1) {
			slowNext = false;
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		return values;
	});
	const logged: string[] = [];
	const registry = setup({
		use: { drainer },
		logger: createLogger({ level: "error", sink: (_level, message) => logged.push(message) }),
	});
	await using t = await setupTest(registry, { storage: slow });
	await t.client.drainer.getOrCreate("p").add(3);
	await t.restart();
	slowNext = true;
	expect(await t.client.drainer.getOrCreate("p").two()).toEqual([0, 1, 1]);
	expect(logged).toEqual([]);
});

const mixed = actor({
	state: {},
	queues: { a: queue<string>(), b: queue<string>() },
	actions: {
		fill: async (c, count: number) => {
			for (let i = 0; i < count; i++) {
				await c.queue.send("a", `${i}`);
				await c.queue.send("b", `${i}:`.padEnd(60_000, "x"));
			}
		},
		drainA: async (c) => {
			let taken = 0;
			while (await c.queue.tryNext({ names: ["a"] })) taken++;
			return taken;
		},
	},
	options: { maxQueueSize: 400, maxQueueMessageSize: 70_000 },
});

it("reads ahead only the queues a receive takes from (another's records stayed in memory)", async () => {
	await using t = await setupTest(setup({ use: { mixed } }));
	const keys = ["x", "y", "z"];
	for (const key of keys) await t.client.mixed.getOrCreate(key).fill(100);
	await t.restart();
	for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 50));
	const before = await held();
	for (const key of keys) expect(await t.client.mixed.getOrCreate(key).drainA()).toBe(100);
	expect((await held()) - before).toBeLessThan(4 * 1024 * 1024);
}, 60_000);
