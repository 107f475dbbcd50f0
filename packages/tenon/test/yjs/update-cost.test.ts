// Before an update is applied, the items of the document its inserts would
// make Yjs scan are counted (update-cost.ts). An attacker's second update of
// conflicting inserts to a new document blocked the loop for about 2 s:
// the learnt cost per item only knew the first one's, which was cheap.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import {
	ApplyBudget,
	MAX_CONFLICT_VISITS,
	MAX_UPDATE_MS,
	TimeBucket,
} from "../../src/yjs/apply-budget.js";
import { ApplyVerifier } from "../../src/yjs/apply-verifier.js";
import { ActorDocument } from "../../src/yjs/document.js";
import { yjsActor } from "../../src/yjs/index.js";
import {
	conflictVisits,
	deletedItems,
	extraWeight,
	growthBound,
} from "../../src/yjs/update-cost.js";
import { worstStallDuring } from "../helpers/loop-stalls.js";
import { conflictingInserts, replica, syncDecided, updateMessage } from "./fixtures.js";

/**
 * Applies `update` and returns the items Yjs's conflict loop visited, at
 * most: the loop adds each to two sets, and the rest of an apply adds few
 * (about one per insert). Counting calls is the one way to see the loop's
 * work from outside; the prototype is restored at once.
 */
function applyCountingVisits(doc: Y.Doc, update: Uint8Array): number {
	const add = Set.prototype.add;
	let adds = 0;
	Set.prototype.add = function (this: Set<unknown>, value: unknown) {
		adds++;
		return add.call(this, value);
	};
	try {
		Y.applyUpdate(doc, update);
	} finally {
		Set.prototype.add = add;
	}
	return adds / 2;
}

const structsOf = (update: Uint8Array) => Y.decodeUpdate(update).structs;

/**
 * What an estimate must cover of the visits counted: all but the update's
 * scans of its own inserts (16 per insert at most, for 16 clients) and the
 * few other sets an apply fills (deletions).
 */
function expectCovers(estimate: number, visited: number, update: Uint8Array): void {
	const { structs, ds } = Y.decodeUpdate(update);
	let deleted = 0;
	for (const list of ds.clients.values()) for (const range of list) deleted += range.len;
	expect(estimate).toBeGreaterThanOrEqual(visited - 16 * structs.length - deleted - 1);
}

describe("the conflict scan estimate", () => {
	it("counts what new clients typing at one place make every later insert there scan", () => {
		const doc = new Y.Doc();
		const first = conflictingInserts(40, 1);
		// The first batch meets an empty text: nothing of the document to scan.
		expect(conflictVisits(doc, structsOf(first))).toBe(0);
		applyCountingVisits(doc, first);
		for (const seed of [2, 3]) {
			const next = conflictingInserts(40, seed);
			const estimate = conflictVisits(doc, structsOf(next));
			const visited = applyCountingVisits(doc, next);
			expectCovers(estimate, visited, next);
			// Close to it, not a wild overestimate: 600 inserts each scanning the earlier ones.
			expect(estimate).toBeLessThanOrEqual(visited * 1.1);
			expect(estimate).toBeGreaterThanOrEqual(600 * 600 * (seed - 1));
		}
	});

	it("counts the same after an origin inside the text, and a map key's history", () => {
		const doc = new Y.Doc();
		doc.getText("text").insert(0, "ab");
		const base = replica(doc, 1);
		for (let round = 1; round <= 3; round++) {
			// Clients that never saw the earlier rounds.
			const updates = Array.from({ length: 15 }, (_, i) => {
				const client = replica(base, round * 100 + i);
				const text = client.getText("text");
				// Typed at one place, backwards: every insert's origin is "a".
				for (let k = 0; k < 30; k++) text.insert(1, "x");
				client.getMap("m").set("k", round * 100 + i);
				return Y.encodeStateAsUpdate(client, Y.encodeStateVector(base));
			});
			const update = Y.mergeUpdates(updates);
			const estimate = conflictVisits(doc, structsOf(update));
			const visited = applyCountingVisits(doc, update);
			expectCovers(estimate, visited, update);
			if (round > 1) expect(estimate).toBeGreaterThanOrEqual(450 * 450 * (round - 1));
		}
	});

	it("counts little for honest edits, merged offline work and concurrent typing included", () => {
		const server = new Y.Doc();
		const text = server.getText("text");
		text.insert(0, "hello world ".repeat(200));
		for (let i = 0; i < 300; i++) text.insert(i * 7, "z");
		const before = Y.encodeStateVector(server);
		// One client works offline: prepends, types forwards, types backwards at one place, pastes.
		const offline = replica(server, 4_000_000_001);
		const own = offline.getText("text");
		for (let i = 0; i < 500; i++) own.insert(0, "p");
		for (let i = 0; i < 500; i++) own.insert(1_000 + i, "f");
		for (let i = 0; i < 500; i++) own.insert(2_000, "b");
		own.insert(3_000, "pasted ".repeat(5_000));
		offline.getMap("settings").set("theme", "dark");
		// Meanwhile others typed at the same places.
		const other = replica(server, 7);
		other.getText("text").insert(0, "Q");
		other.getText("text").insert(1_000, "R");
		other.getText("text").insert(2_000 - 500, "S");
		other.getMap("settings").set("theme", "light");
		Y.applyUpdate(server, Y.encodeStateAsUpdate(other, before));
		const update = Y.encodeStateAsUpdate(offline, before);
		const structs = structsOf(update).length;
		const estimate = conflictVisits(server, structsOf(update));
		const visited = applyCountingVisits(server, update);
		expectCovers(estimate, visited, update);
		expect(estimate).toBeLessThanOrEqual(2 * structs);
		// A paste into a large document scans nothing.
		const paste = replica(server, 9);
		paste.getText("text").insert(5, "x".repeat(100_000));
		expect(
			conflictVisits(server, structsOf(Y.encodeStateAsUpdate(paste, Y.encodeStateVector(server)))),
		).toBe(0);
	});

	it("covers what Yjs scans for random concurrent edits", () => {
		const edit = fc.record({
			client: fc.integer({ min: 0, max: 4 }),
			// Mostly near the start, where concurrent inserts meet.
			at: fc.oneof(fc.nat({ max: 2 }), fc.nat()),
			text: fc.string({ minLength: 1, maxLength: 4 }),
			repeat: fc.integer({ min: 1, max: 20 }),
			kind: fc.constantFrom("insert", "insert", "remove", "set"),
			sync: fc.boolean(),
		});
		let scanned = 0;
		fc.assert(
			fc.property(fc.array(edit, { minLength: 1, maxLength: 60 }), (edits) => {
				const server = new Y.Doc();
				server.getText("text").insert(0, "shared start");
				// The last client never saw the shared start: its first inserts conflict with it.
				const clients = [11, 5, 23, 2].map((id) => replica(server, id));
				clients.push(replica(new Y.Doc(), 3));
				for (const step of edits) {
					const client = clients[step.client] as Y.Doc;
					const text = client.getText("text");
					for (let r = 0; r < step.repeat; r++) {
						const at = step.at % (text.length + 1);
						if (step.kind === "remove" && text.length > 0) text.delete(at % text.length, 1);
						else if (step.kind === "set") client.getMap("map").set(step.text, r);
						else text.insert(at, step.text);
					}
					if (!step.sync) continue;
					// It sends what the server lacks, then gets everything back.
					const update = Y.encodeStateAsUpdate(client, Y.encodeStateVector(server));
					const estimate = conflictVisits(server, structsOf(update));
					const visited = applyCountingVisits(server, update);
					expectCovers(estimate, visited, update);
					scanned = Math.max(scanned, visited);
					Y.applyUpdate(client, Y.encodeStateAsUpdate(server, Y.encodeStateVector(client)));
				}
			}),
			{ numRuns: 200 },
		);
		// The runs did make Yjs scan (the property was not met by nothing to cover).
		expect(scanned).toBeGreaterThan(50);
	});

	it("refuses, before applying it, a second costly update to each new document", async () => {
		const doc = yjsActor({
			actions: { length: (c) => c.vars.document.doc.getText("text").length },
		});
		await using t = await setupTest(setup({ use: { doc }, logLevel: "silent" }));
		const started = performance.now();
		// Before: each new document took one ~2 s stall (the learnt cost knew the cheap first update only).
		for (const key of ["a", "b", "c"]) {
			const handle = t.client.doc.getOrCreate(key);
			await syncDecided(handle, updateMessage(conflictingInserts(300, 1)));
			await expect(
				syncDecided(handle, updateMessage(conflictingInserts(300, 2))),
			).rejects.toMatchObject({
				group: "limit",
				code: "yjs_update_too_complex",
				metadata: { limit: MAX_CONFLICT_VISITS, estimatedVisits: expect.any(Number) },
			});
			expect(await handle.length()).toBe(15 * 300);
		}
		expect(performance.now() - started).toBeLessThan(3_000);
	});

	it("leaves an update of 10,000 structs or more to the copy, without decoding it on the loop", async () => {
		const doc = yjsActor({
			actions: { length: (c) => c.vars.document.doc.getText("text").length },
		});
		await using t = await setupTest(setup({ use: { doc }, logLevel: "silent" }));
		const handle = t.client.doc.getOrCreate("large");
		await syncDecided(handle, updateMessage(conflictingInserts(300, 1)));
		// 10,500 inserts: the estimate above would refuse them (estimatedVisits); the copy's time does.
		const worst = await worstStallDuring(() =>
			expect(syncDecided(handle, updateMessage(conflictingInserts(700, 2)))).rejects.toMatchObject({
				group: "limit",
				code: "yjs_update_too_complex",
				metadata: { limitMs: MAX_UPDATE_MS },
			}),
		);
		expect(worst).toBeLessThan(400);
		expect(await handle.length()).toBe(15 * 300);
	});

	it("estimates an update of 10,000 structs or more on the loop when no worker can check it", async () => {
		// A verifier whose workers cannot load Yjs: after three, it is off.
		const verifier = new ApplyVerifier("/nowhere/yjs.cjs");
		for (let i = 0; i < 3; i++)
			await verifier.verify(() => new Uint8Array(0), new Uint8Array(2), 250).catch(() => {});
		expect(verifier.available).toBe(false);
		const doc = actor({
			state: {},
			createVars: async (c) => ({
				document: await ActorDocument.load(c.kv, 50, new ApplyBudget(), Infinity, verifier),
			}),
			actions: {
				sync: (c, message: Uint8Array) => c.vars.document.sync(message, c.conn.id, true),
				length: (c) => c.vars.document.doc.getText("text").length,
			},
		});
		await using t = await setupTest(setup({ use: { doc }, logLevel: "silent" }));
		const handle = t.client.doc.getOrCreate("no-worker");
		await handle.sync(updateMessage(conflictingInserts(300, 1)));
		// Without the copy, the estimate is all there is: it refuses what blocked the loop ~10 s.
		await expect(handle.sync(updateMessage(conflictingInserts(700, 2)))).rejects.toMatchObject({
			code: "yjs_update_too_complex",
			metadata: { limit: MAX_CONFLICT_VISITS, estimatedVisits: expect.any(Number) },
		});
		expect(await handle.length()).toBe(15 * 300);
		await verifier.close();
	});

	it("holds costly updates for the process's share, whichever document they are for", () => {
		let now = 0;
		const clock = () => now;
		const process = new TimeBucket(100, 10, clock, 100);
		const spender = new ApplyBudget(undefined, clock, process);
		spender.measure(undefined, () => {
			now += 150; // all of the process's share
		});
		const fresh = new ApplyBudget(undefined, clock, process);
		// Its own buckets are full, and small edits go on.
		expect(() => fresh.admit("c")).not.toThrow();
		expect(() => fresh.checkUpdate(3, 0)).not.toThrow();
		expect(() => fresh.checkUpdate(64, 0)).toThrow(expect.objectContaining({ code: "yjs_busy" }));
		expect(() => fresh.checkUpdate(2, 20_000)).toThrow(
			expect.objectContaining({ code: "yjs_busy", metadata: { retryAfterMs: expect.any(Number) } }),
		);
		expect(() => fresh.checkUpdate(2, MAX_CONFLICT_VISITS + 1)).toThrow(
			expect.objectContaining({ code: "yjs_update_too_complex" }),
		);
		now += 20_000;
		expect(() => fresh.checkUpdate(64, 20_000)).not.toThrow();
	});
});

describe("what an update can cost and add, counted before it is applied", () => {
	it("counts the items a deleted range covers, not one per range", () => {
		const doc = new Y.Doc();
		const text = doc.getText("text");
		// Items that do not merge: each typed before the last.
		doc.transact(() => {
			for (let i = 0; i < 20_000; i++) text.insert(0, "x");
		});
		const before = Y.encodeStateVector(doc);
		const copy = replica(doc, 77);
		copy.getText("text").delete(0, 20_000);
		const update = Y.encodeStateAsUpdate(copy, before);
		// A few bytes: one range.
		expect(update.byteLength).toBeLessThan(40);
		expect(deletedItems(doc, Y.decodeUpdate(update).ds)).toBeGreaterThanOrEqual(20_000);
	});

	it("bounds what an update adds to the document, splits of its items included", () => {
		const doc = new Y.Doc();
		doc.getText("text").insert(0, "abcdefghij".repeat(2_000));
		const copy = replica(doc, 78);
		// Every other character deleted, and inserts in the middle of the one long item.
		for (let i = 0; i < 5_000; i++) copy.getText("text").delete(i * 2, 1);
		for (let i = 0; i < 200; i++) copy.getText("text").insert(i * 40 + 7, "+");
		const update = Y.encodeStateAsUpdate(copy, Y.encodeStateVector(doc));
		const { structs, ds } = Y.decodeUpdate(update);
		let ranges = 0;
		for (const list of ds.clients.values()) ranges += list.length;
		const sizeBefore = Y.encodeStateAsUpdate(doc).byteLength;
		Y.applyUpdate(doc, update);
		const grew = Y.encodeStateAsUpdate(doc).byteLength - sizeBefore;
		// The update's own bytes are far from it: the splits are what grows.
		expect(grew).toBeGreaterThan(2 * update.byteLength);
		expect(growthBound(update, structs.length, ranges)).toBeGreaterThanOrEqual(grew);
	});

	it("counts the scans of an item the document has in part", () => {
		const server = new Y.Doc();
		server.getText("text").insert(0, "base");
		const a = replica(server, 10);
		a.getText("text").insert(4, "0123456789");
		const first = Y.encodeStateAsUpdate(a, Y.encodeStateVector(server));
		expect(Y.decodeUpdate(first).structs.length).toBe(1);
		// The server has the first half of a's item (the same client typing the same, so far)...
		const aHalf = replica(server, 10);
		aHalf.getText("text").insert(4, "01234");
		Y.applyUpdate(server, Y.encodeStateAsUpdate(aHalf, Y.encodeStateVector(server)));
		// ...and 40 others typed right after it.
		for (let c = 0; c < 40; c++) {
			const other = replica(server, 100 + c);
			other.getText("text").insert(9, "y");
			Y.applyUpdate(server, Y.encodeStateAsUpdate(other, Y.encodeStateVector(server)));
		}
		// Now the whole item again: its second half goes after "4", where the others typed.
		const estimate = conflictVisits(server, Y.decodeUpdate(first).structs);
		const visited = applyCountingVisits(server, first);
		expectCovers(estimate, visited, first);
		expect(estimate).toBeGreaterThan(0);
	});
});

describe("items that stand for more work than their count", () => {
	it("weighs many JSON values in one item, a format mark in a long nested text, and a deleted or replaced subtree", () => {
		const server = new Y.Doc();
		const root = server.getMap("root");
		const list = new Y.Array<number>();
		const text = new Y.Text();
		const short = new Y.Text();
		root.set("list", list);
		root.set("text", text);
		root.set("short", short);
		root.set("plain", 1);
		server.transact(() => {
			for (let i = 0; i < 30_000; i++) list.insert(0, [i]);
			for (let i = 0; i < 100; i++) text.insert(0, "x".repeat(100));
			short.insert(0, "a short paragraph");
		});
		const before = Y.encodeStateVector(server);
		const weigh = (edit: (doc: Y.Doc) => void) => {
			const client = replica(server, 500);
			edit(client);
			const { structs, ds } = Y.decodeUpdate(Y.encodeStateAsUpdate(client, before));
			return extraWeight(server, structs, ds);
		};
		// Hostile or heavy: each is worth a check on a copy (64 items or more).
		expect(
			weigh((doc) => (doc.getMap("root").get("text") as Y.Text).format(0, 5, { bold: true })),
		).toBeGreaterThanOrEqual(64);
		expect(weigh((doc) => doc.getMap("root").set("list", 0))).toBeGreaterThanOrEqual(64);
		// A client that never saw the key sets it (no origin): its stated parent is looked at.
		const stranger = new Y.Doc();
		stranger.clientID = 0xfffffff;
		stranger.getMap("root").set("list", 0);
		const unseen = Y.decodeUpdate(Y.encodeStateAsUpdate(stranger));
		expect(extraWeight(server, unseen.structs, unseen.ds)).toBeGreaterThanOrEqual(64);
		// A drawing stroke of 200 points is not costly.
		expect(
			weigh((doc) => doc.getArray("strokes").push(Array.from({ length: 200 }, (_, i) => [i, i]))),
		).toBeLessThan(64);
		expect(weigh((doc) => doc.getMap("root").delete("list"))).toBeGreaterThanOrEqual(64);
		expect(
			weigh((doc) => doc.getArray("values").insert(0, [Array.from({ length: 1_000 }, () => [])])),
		).toBe(0);
		const many = new Y.Doc();
		many.getArray("values").insert(
			0,
			Array.from({ length: 100_000 }, () => []),
		);
		expect(
			extraWeight(
				server,
				Y.decodeUpdate(Y.encodeStateAsUpdate(many)).structs,
				Y.decodeUpdate(Y.encodeStateAsUpdate(many)).ds,
			),
		).toBeGreaterThanOrEqual(1_000);
		// Honest edits weigh nothing more.
		expect(
			weigh((doc) => (doc.getMap("root").get("short") as Y.Text).format(0, 5, { bold: true })),
		).toBe(0);
		expect(weigh((doc) => doc.getMap("root").set("plain", 2))).toBe(0);
		expect(weigh((doc) => (doc.getMap("root").get("text") as Y.Text).insert(50, "typed"))).toBe(0);
	});
});
