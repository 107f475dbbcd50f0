// The verifier's worker keeps a mirror of each document it checked, fed with
// what the actor applies after (apply-verifier.ts, apply-worker.ts): a
// document's next costly update is checked without encoding the document on
// the event loop again. Mirrors are dropped for room and whenever they may
// differ from the document; the documents that used the worker least are
// served first.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { ApplyVerifier, type DocumentMirror, workerTimeOf } from "../../src/yjs/apply-verifier.js";
import { yjsActor } from "../../src/yjs/index.js";
import { worstStallDuring } from "../helpers/loop-stalls.js";
import { expectRefusedUnblocked, syncDecided, updateMessage } from "./fixtures.js";
import { handBuilt, type ItemSpec } from "./hostile-shapes.js";

/** A document of `chars` characters in one text, and an edit of it by another client. */
/** A document of `items` inserts of `chars` characters, and an edit of it. */
function docAndEdit(chars: number, seed = 1, items = 1) {
	const doc = new Y.Doc();
	doc.clientID = seed;
	for (let i = 0; i < items; i++) doc.getText("text").insert(0, "x".repeat(chars));
	const edit = new Y.Doc();
	edit.clientID = seed + 1_000;
	Y.applyUpdate(edit, Y.encodeStateAsUpdate(doc));
	edit.getText("text").insert(0, "hello");
	return { doc, edit: Y.encodeStateAsUpdate(edit, Y.encodeStateVector(doc)) };
}

/** A state callback that counts the copies made of `doc`. */
function counted(doc: Y.Doc) {
	const copies = { made: 0 };
	const state = () => {
		copies.made++;
		return Y.encodeStateAsUpdate(doc);
	};
	return { copies, state };
}

/** One million characters in one item of client 1, then half a million deletions splitting it (seconds in Yjs). */
const bigItem = () =>
	handBuilt([
		{ client: 1, items: [{ parent: "t", content: new Y.ContentString("x".repeat(1_000_000)) }] },
	]);
const splitting = () =>
	handBuilt([], [[1, Array.from({ length: 500_000 }, (_, i) => [2 * i, 1] as [number, number])]]);

describe("a document's mirror on the verifier's worker", () => {
	it("is made once, fed with the updates applied after it, and made anew after a refusal", async () => {
		const verifier = new ApplyVerifier();
		try {
			const mirror = verifier.mirror();
			const { doc, edit } = docAndEdit(1_000, 3);
			const { copies, state } = counted(doc);
			await mirror.verify(state, edit, 250);
			expect(copies.made).toBe(1);
			Y.applyUpdate(doc, edit);
			// The actor applies an update it did not check: the mirror gets it.
			const big = bigItem();
			Y.applyUpdate(doc, big);
			mirror.applied(big, false);
			// Slow only where the big item is: the mirror has it, so it is refused, with no new copy.
			await expect(mirror.verify(state, splitting(), 250)).rejects.toMatchObject({
				code: "yjs_update_too_complex",
			});
			expect(copies.made).toBe(1);
			// That worker was stopped mid-apply: the next check makes a copy again, and is kept.
			const small = handBuilt([
				{ client: 7, items: [{ parent: "n", content: new Y.ContentString("a") }] },
			]);
			await mirror.verify(state, small, 250);
			expect(copies.made).toBe(2);
			Y.applyUpdate(doc, small);
			await mirror.verify(state, small, 250);
			expect(copies.made).toBe(2);
		} finally {
			await verifier.close();
		}
	}, 30_000);

	it("is made from the updates a document was loaded from, and its first check then makes no copy", async () => {
		const verifier = new ApplyVerifier();
		try {
			const doc = new Y.Doc();
			doc.clientID = 4;
			const big = bigItem();
			Y.applyUpdate(doc, big);
			const { copies, state } = counted(doc);
			const mirror = verifier.mirror();
			mirror.seed([big]);
			// Slow only where the big item is: the seeded mirror has it.
			await expect(mirror.verify(state, splitting(), 250)).rejects.toMatchObject({
				code: "yjs_update_too_complex",
			});
			expect(copies.made).toBe(0);
			// Seeds go ahead of the checks after them: two wait at most, a third is not made.
			const three = [1, 2, 3].map((seed) => docAndEdit(1_000, 10 * seed));
			const counts = three.map(({ doc }) => counted(doc));
			const seeded = three.map(({ doc }) => {
				const handle = verifier.mirror();
				handle.seed([Y.encodeStateAsUpdate(doc)]);
				return handle;
			});
			for (const [i, handle] of seeded.entries())
				await handle.verify(counts[i]!.state, three[i]!.edit, 250);
			expect(counts.map(({ copies }) => copies.made)).toEqual([0, 0, 1]);
		} finally {
			await verifier.close();
		}
	}, 30_000);

	it("is dropped when Yjs cannot apply an update to it, and when closed", async () => {
		const verifier = new ApplyVerifier();
		try {
			const mirror = verifier.mirror();
			const { doc, edit } = docAndEdit(100);
			const { copies, state } = counted(doc);
			await mirror.verify(state, edit, 250);
			const broken = handBuilt([
				{
					client: 5,
					items: [
						{ parent: "t", content: new Y.ContentString("a") },
						{
							origin: Y.createID(5, 0),
							right: Y.createID(5, 9),
							content: new Y.ContentString("b"),
						},
					],
				},
			]);
			await expect(mirror.verify(state, broken, 250)).rejects.toMatchObject({
				code: "invalid_yjs_message",
			});
			await mirror.verify(state, edit, 250);
			expect(copies.made).toBe(2);
			mirror.close();
			const again = verifier.mirror();
			await again.verify(state, edit, 250);
			expect(copies.made).toBe(3);
		} finally {
			await verifier.close();
		}
	});

	it("is dropped for room, least recently used first; a document over the keep limit is copied each time", async () => {
		const one = docAndEdit(3_000, 1);
		const two = docAndEdit(3_000, 2);
		const size = Y.encodeStateAsUpdate(one.doc).byteLength;
		// Room for one of them (and the copy being made), not two.
		const verifier = new ApplyVerifier(undefined, { budgetBytes: size * 1.5, keepBytes: size * 2 });
		try {
			const first = counted(one.doc);
			const second = counted(two.doc);
			const a = verifier.mirror();
			const b = verifier.mirror();
			await a.verify(first.state, one.edit, 250);
			await a.verify(first.state, one.edit, 250);
			expect(first.copies.made).toBe(1);
			await b.verify(second.state, two.edit, 250);
			// b's copy took a's room.
			await a.verify(first.state, one.edit, 250);
			expect(first.copies.made).toBe(2);
			expect(second.copies.made).toBe(1);
		} finally {
			await verifier.close();
		}
		const small = new ApplyVerifier(undefined, { keepBytes: size / 2 });
		try {
			const first = counted(one.doc);
			const a = small.mirror();
			for (let i = 0; i < 3; i++) await a.verify(first.state, one.edit, 250);
			expect(first.copies.made).toBe(3);
		} finally {
			await small.close();
		}
	});
});

describe("the worker's memory", () => {
	// Each shape: about 15 MB as a copy from a few hundred KB encoded. Kept by
	// bytes alone (or, for JSON values, by their count), ten of them filled a
	// worker of 160 MiB, which ran out of memory.
	const shapes: [string, (doc: Y.Doc) => void][] = [
		[
			"nested maps",
			(doc) => doc.getArray("a").push(Array.from({ length: 40_000 }, () => new Y.Map())),
		],
		[
			"a JSON value of objects",
			(doc) => doc.getArray("a").push([Array.from({ length: 500_000 }, () => ({}))]),
		],
	];
	it.each(shapes)(
		"keeps mirrors within half its heap as they hold it, not as they encode (%s)",
		async (_name, fill) => {
			const source = new Y.Doc();
			fill(source);
			const state = Y.encodeStateAsUpdate(source);
			source.destroy();
			const edit = handBuilt([
				{ client: 9, items: [{ parent: "t", content: new Y.ContentString("hi") }] },
			]);
			const verifier = new ApplyVerifier(undefined, { heapMb: 160 });
			try {
				const refused: string[] = [];
				for (let round = 0; round < 2; round++)
					for (const mirror of Array.from({ length: 10 }, () => verifier.mirror()))
						await mirror
							.verify(() => state.slice(), edit, 2_000)
							.catch((error: Error) => {
								refused.push(error.message);
							});
				expect(refused).toEqual([]);
			} finally {
				await verifier.close();
			}
		},
		60_000,
	);
});

describe("the verifier's queue between documents", () => {
	it("serves the documents that used the worker least first, and when full refuses the heaviest", async () => {
		const verifier = new ApplyVerifier();
		try {
			// 20,000 items: a check copies them, several ms of the worker. (A document of one
			// item took 0.5 ms: a loaded machine pausing the loop longer than that while the
			// jobs were queued put a heavy one ahead of "fresh", which ranks by time waited too.)
			const { doc, edit } = docAndEdit(1, 1, 20_000);
			const state = () => Y.encodeStateAsUpdate(doc);
			const tiny = docAndEdit(1, 7);
			// Nine documents that have used the worker (no mirrors kept, so each check copies).
			// Their first checks are of a tiny document: first checks count together against
			// the newcomers' allowance, which "fresh" must not find used up.
			const heavy: DocumentMirror[] = [];
			for (let i = 0; i < 9; i++) {
				const mirror = verifier.mirror();
				await mirror.verify(() => Y.encodeStateAsUpdate(tiny.doc), tiny.edit, 5_000);
				mirror.close();
				for (let round = 0; round < 2; round++) await mirror.verify(state, edit, 5_000);
				heavy.push(mirror);
			}
			const done: string[] = [];
			const track = (name: string, mirror: DocumentMirror) =>
				mirror.verify(state, edit, 5_000).then(
					() => done.push(name),
					(error: { code?: string }) => done.push(`${name}: ${error.code}`),
				);
			// One runs, eight wait: the queue is full. A document that never used the worker comes last.
			const all = heavy.map((mirror, i) => track(`heavy ${i}`, mirror));
			const fresh = verifier.mirror();
			all.push(track("fresh", fresh));
			await Promise.all(all);
			// It was let in (a heavy one was refused in its place), and served next.
			expect(done.filter((outcome) => outcome.endsWith("yjs_busy"))).toHaveLength(1);
			expect(done.slice(0, 3)).toContain("fresh");
			expect(done.indexOf("fresh")).toBeLessThanOrEqual(2);
		} finally {
			await verifier.close();
		}
	});
});

describe("checks that fail", () => {
	it("are charged the worker time they took, so failing updates do not jump the queue", async () => {
		const verifier = new ApplyVerifier();
		try {
			// 20,000 items: the failing check copies them, several ms of the worker charged to it
			// (a one-item document's 0.5 ms was less than a loaded machine's pause between
			// queueing "failing again" and "fresh", which rank by time waited too).
			const { doc, edit } = docAndEdit(1, 1, 20_000);
			const state = () => Y.encodeStateAsUpdate(doc);
			// Yjs throws placing it: an item whose right neighbour is a later clock of its own client.
			const broken = handBuilt([
				{
					client: 5,
					items: [
						{ parent: "t", content: new Y.ContentString("a") },
						{
							origin: Y.createID(5, 0),
							right: Y.createID(5, 9),
							content: new Y.ContentString("b"),
						},
					],
				},
			]);
			const failing = verifier.mirror();
			const error = await failing.verify(state, broken, 5_000).catch((caught: unknown) => caught);
			expect(error).toMatchObject({ code: "invalid_yjs_message" });
			expect(workerTimeOf(error)).toBeGreaterThan(0);
			const done: string[] = [];
			const track = (name: string, mirror: DocumentMirror, update: Uint8Array) =>
				mirror.verify(state, update, 5_000).then(
					() => done.push(name),
					() => done.push(name),
				);
			// One runs; of the two waiting, the one that never used the worker goes first.
			await Promise.all([
				track("first", verifier.mirror(), edit),
				track("failing again", failing, broken),
				track("fresh", verifier.mirror(), edit),
			]);
			expect(done).toEqual(["first", "fresh", "failing again"]);
		} finally {
			await verifier.close();
		}
	});
});

describe("mirrors behind a real actor", () => {
	it("refuses an update that is slow only because of what was applied after the mirror was made", async () => {
		const doc = yjsActor({
			limits: { maxDocumentBytes: 128 * 1024 * 1024 },
			actions: { stateVector: (c) => Y.encodeStateVector(c.vars.document.doc) },
		});
		await using t = await setupTest(setup({ use: { doc }, logLevel: "silent" }));
		const handle = t.client.doc.getOrCreate("mirrored");
		// A costly update first (100 items, one per key): the worker makes the document's mirror.
		const first = new Y.Doc();
		first.clientID = 50;
		for (let i = 0; i < 100; i++) first.getMap("settings").set(`key ${i}`, i);
		await syncDecided(handle, updateMessage(Y.encodeStateAsUpdate(first)));
		// One item (cheap, applied at once, passed on to the mirror), then its splitting.
		await syncDecided(handle, updateMessage(bigItem()));
		await expectRefusedUnblocked(handle, updateMessage(splitting()));
	}, 30_000);

	it("checks an update again when the server's own edits change the document during its check", async () => {
		const doc = yjsActor({
			limits: { maxDocumentBytes: 128 * 1024 * 1024 },
			actions: {
				clientId: (c) => c.vars.document.doc.clientID,
				/** Syncs `message` and, while it is on the worker, edits the document (as any action may). */
				syncWhileEditing: async (c, message: Uint8Array) => {
					const synced = c.vars.document.sync(message, c.conn.id, true, false);
					c.vars.document.doc.getArray("log").push(["edited during the check"]);
					return synced;
				},
				keys: (c) => c.vars.document.doc.getMap("settings").size,
			},
		});
		await using t = await setupTest(setup({ use: { doc }, logLevel: "silent" }));
		const handle = t.client.doc.getOrCreate("raced");
		const server = await handle.clientId();
		// A costly update beside an edit: checked again on a fresh copy, then applied.
		const settings = new Y.Doc();
		settings.clientID = 50;
		for (let i = 0; i < 100; i++) settings.getMap("settings").set(`key ${i}`, i);
		await handle.syncWhileEditing(updateMessage(Y.encodeStateAsUpdate(settings)));
		expect(await handle.keys()).toBe(100);
		// Inserts in a forced order hanging on the item the next edit makes: cheap
		// where it is missing (the check began before it), seconds where it is.
		const n = 8_000;
		const value = (v: number) => new Y.ContentAny([v]);
		const one: ItemSpec[] = [{ origin: Y.createID(server, 1), content: value(-2) }];
		for (let i = 1; i <= n; i++)
			one.push(
				i === 1
					? { parent: "log", content: value(i) }
					: { origin: Y.createID(1, i - 1), content: value(i) },
			);
		const two: ItemSpec[] = [{ origin: Y.createID(1, n), content: value(-1) }];
		for (let j = 0; j < n; j++) two.push({ parent: "log", content: value(j) });
		const hanging = handBuilt([
			{ client: 1, items: one },
			{ client: 2, items: two },
		]);
		const worst = await worstStallDuring(async () => {
			await expect(handle.syncWhileEditing(updateMessage(hanging))).rejects.toMatchObject({
				code: "yjs_update_too_complex",
			});
		});
		expect(worst).toBeLessThan(400);
	}, 30_000);

	it("makes a large document's mirror when it wakes, from what it read", async () => {
		const doc = yjsActor({
			limits: { maxDocumentBytes: 128 * 1024 * 1024 },
			actions: {
				nap: (c) => c.sleep(),
				stateVector: (c) => Y.encodeStateVector(c.vars.document.doc),
			},
		});
		await using t = await setupTest(setup({ use: { doc }, logLevel: "silent" }));
		const handle = t.client.doc.getOrCreate("woken");
		// Over 1 MiB, in one item (cheap: applied at once), then stored; the actor sleeps.
		const large = handBuilt([
			{ client: 1, items: [{ parent: "t", content: new Y.ContentString("x".repeat(1_200_000)) }] },
		]);
		await syncDecided(handle, updateMessage(large));
		await handle.nap();
		await new Promise((resolve) => setTimeout(resolve, 200));
		await expectRefusedUnblocked(handle, updateMessage(splitting()));
	}, 30_000);

	it("applies a costly update while the app's own timer keeps editing the document", async () => {
		// Re-checking on every change during a check let edits every 10 ms (or once a
		// second, on a 10 MB document) keep an honest update out for good (a review).
		let timer: ReturnType<typeof setInterval> | undefined;
		const doc = yjsActor({
			actions: {
				startStamping: (c) => {
					const { document } = c.vars;
					timer ??= setInterval(() => document.doc.getArray("log").push([1]), 5);
				},
				stopStamping: (c) => {
					clearInterval(timer);
					return c.vars.document.doc.getArray("log").length;
				},
				keys: (c) => c.vars.document.doc.getMap("settings").size,
				/** Setup only: the app imports a large document itself. */
				importDoc: (c, update: Uint8Array) => Y.applyUpdate(c.vars.document.doc, update),
			},
		});
		await using t = await setupTest(setup({ use: { doc }, logLevel: "silent" }));
		const handle = t.client.doc.getOrCreate("stamped");
		// 150,000 map keys: a copy of it takes a few hundred ms to make.
		const large = new Y.Doc();
		large.clientID = 7;
		large.transact(() => {
			for (let i = 0; i < 150_000; i++) large.getMap("big").set(`k${i}`, i);
		});
		await handle.importDoc(Y.encodeStateAsUpdate(large));
		await handle.startStamping();
		let stamps = 0;
		try {
			for (let round = 0; round < 5; round++) {
				const settings = new Y.Doc();
				settings.clientID = 50 + round;
				for (let i = 0; i < 100; i++) settings.getMap("settings").set(`key ${round} ${i}`, i);
				await syncDecided(handle, updateMessage(Y.encodeStateAsUpdate(settings)));
			}
		} finally {
			stamps = await handle.stopStamping();
		}
		expect(stamps).toBeGreaterThan(10);
		expect(await handle.keys()).toBe(500);
	}, 20_000);

	it("passes on the edits an app's observer makes in response to a checked update", async () => {
		const doc = yjsActor({
			limits: { maxDocumentBytes: 128 * 1024 * 1024 },
			actions: {
				/** The server's edits come from this client; the first change to "settings" adds a big item. */
				react: (c) => {
					const { doc } = c.vars.document;
					doc.getMap("settings").observe(() => {
						const text = doc.getText("t");
						if (text.length === 0) text.insert(0, "x".repeat(1_000_000));
					});
					return doc.clientID;
				},
				stateVector: (c) => Y.encodeStateVector(c.vars.document.doc),
			},
		});
		await using t = await setupTest(setup({ use: { doc }, logLevel: "silent" }));
		const handle = t.client.doc.getOrCreate("observed");
		const server = await handle.react();
		// Costly (100 keys): checked on the mirror, applied, and the observer's edit follows it.
		const first = new Y.Doc();
		first.clientID = 50;
		for (let i = 0; i < 100; i++) first.getMap("settings").set(`key ${i}`, i);
		await syncDecided(handle, updateMessage(Y.encodeStateAsUpdate(first)));
		// Splitting the observer's item is slow only where the item is: on the mirror too.
		const split = handBuilt(
			[],
			[[server, Array.from({ length: 500_000 }, (_, i) => [2 * i, 1] as [number, number])]],
		);
		await expectRefusedUnblocked(handle, updateMessage(split));
	}, 30_000);
});
