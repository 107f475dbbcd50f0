// Costly Yjs updates are applied to a copy of the document on a worker
// thread first (apply-verifier.ts): shapes an attacker probe found blocking
// the loop for 0.7 to 4 s are refused without blocking it; the worker's queue
// is bounded and survives what it cannot run; and answers to step 1s, which
// walk the whole document, are made at a bounded rate (document.ts,
// step2-answers.ts).
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { ApplyVerifier } from "../../src/yjs/apply-verifier.js";
import { yjsActor } from "../../src/yjs/index.js";
import { expectRefusedUnblocked, replica, syncDecided, updateMessage } from "./fixtures.js";
import { handBuilt, hostileShapes } from "./hostile-shapes.js";

describe("updates tried on a copy first", () => {
	const shapes = Object.entries(hostileShapes);

	it.each(shapes)(
		"refuses %s without blocking the loop, and keeps serving",
		async (_name, make) => {
			const doc = yjsActor({
				// Room for what half a million deletions may add: the copy, not the size, refuses them here.
				limits: { maxDocumentBytes: 128 * 1024 * 1024 },
				actions: { stateVector: (c) => Y.encodeStateVector(c.vars.document.doc) },
			});
			await using t = await setupTest(setup({ use: { doc }, logLevel: "silent" }));
			const handle = t.client.doc.getOrCreate("target");
			const updates = make();
			const last = updates.pop() as Uint8Array;
			for (const update of updates) await syncDecided(handle, updateMessage(update));
			// Applied directly, each of these blocked the loop for 0.5 to 5 s here.
			await expectRefusedUnblocked(handle, updateMessage(last));
			const small = new Y.Doc();
			small.getText("notes").insert(0, "still served");
			await syncDecided(handle, updateMessage(Y.encodeStateAsUpdate(small)));
		},
	);

	it("times an update on a worker, abandons one past the limit, and refuses one Yjs cannot apply", async () => {
		const verifier = new ApplyVerifier();
		try {
			const doc = new Y.Doc();
			doc.getText("text").insert(0, "hello");
			const state = Y.encodeStateAsUpdate(doc);
			const edit = new Y.Doc();
			Y.applyUpdate(edit, state);
			edit.getText("text").insert(5, " world");
			const cheap = Y.encodeStateAsUpdate(edit, Y.encodeStateVector(doc));
			const timed = await verifier.verify(() => state, cheap, 250);
			expect(timed.applyMs).toBeLessThan(250);
			expect(timed.totalMs).toBeGreaterThanOrEqual(timed.applyMs);
			const [costly] = (hostileShapes["map values with no origin"] as () => Uint8Array[])();
			await expect(
				verifier.verify(() => new Uint8Array(0), costly as Uint8Array, 50),
			).rejects.toMatchObject({
				code: "yjs_update_too_complex",
				metadata: { limitMs: 50 },
			});
			// A new worker takes the next one.
			expect(
				(await verifier.verify(() => Y.encodeStateAsUpdate(doc), cheap, 250)).applyMs,
			).toBeLessThan(250);
			// An item whose right neighbour is a later clock of its own client: Yjs throws while placing it.
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
			await expect(verifier.verify(() => new Uint8Array(0), broken, 250)).rejects.toMatchObject({
				code: "invalid_yjs_message",
			});
		} finally {
			await verifier.close();
		}
	});
});

describe("the verifier's queue", () => {
	it("stops trying after three workers that could not load Yjs, refusing their updates meanwhile", async () => {
		const verifier = new ApplyVerifier("/nowhere/yjs.cjs");
		try {
			const update = Y.encodeStateAsUpdate(new Y.Doc());
			expect(verifier.available).toBe(true);
			for (let i = 0; i < 3; i++)
				await expect(verifier.verify(() => new Uint8Array(0), update, 250)).rejects.toMatchObject({
					code: "yjs_update_too_complex",
				});
			// Updates go on without the copy (the estimates alone guard them).
			expect(verifier.available).toBe(false);
		} finally {
			await verifier.close();
		}
	});

	it("refuses past eight waiting, and goes on after a job whose copy cannot be made", async () => {
		const verifier = new ApplyVerifier();
		try {
			const update = Y.encodeStateAsUpdate(new Y.Doc());
			const jobs = Array.from({ length: 12 }, () =>
				verifier
					.verify(() => new Uint8Array(0), update, 250)
					.then(
						() => "checked",
						(error: { code?: string }) => error.code,
					),
			);
			const results = await Promise.all(jobs);
			// One on the worker, eight waiting, three refused as busy.
			expect(results.filter((r) => r === "yjs_busy").length).toBe(3);
			expect(results.filter((r) => r === "checked").length).toBe(9);
			const failing = verifier.verify(
				() => {
					throw new Error("no copy");
				},
				update,
				250,
			);
			const after = verifier.verify(() => new Uint8Array(0), update, 250);
			await expect(failing).rejects.toMatchObject({ code: "yjs_update_too_complex" });
			await expect(after).resolves.toMatchObject({ applyMs: expect.any(Number) });
		} finally {
			await verifier.close();
		}
	});

	it("ranks the documents it has not checked before as one, so new ones cannot crowd out one in use", async () => {
		const verifier = new ApplyVerifier();
		const outcome = (check: Promise<unknown>) =>
			check.then(
				() => "checked",
				(error: { code?: string }) => error.code,
			);
		try {
			// A document in use: the worker checked an update of it once.
			const base = new Y.Doc();
			base.getText("text").insert(0, "in use");
			const state = () => Y.encodeStateAsUpdate(base);
			const edit = (text: string) => {
				const copy = new Y.Doc();
				Y.applyUpdate(copy, state());
				copy.getText("text").insert(0, text);
				return Y.encodeStateAsUpdate(copy, Y.encodeStateVector(base));
			};
			const inUse = verifier.mirror();
			await inUse.verify(state, edit("a"), 250);
			// An attacker's slow updates, each to a document the worker never saw: each
			// takes its whole limit on the worker.
			const [slow] = (hostileShapes["map values with no origin"] as () => Uint8Array[])();
			const attack = (count: number) =>
				Array.from({ length: count }, () =>
					outcome(verifier.verify(() => new Uint8Array(0), slow as Uint8Array, 150)),
				);
			// Past the newcomers' share (500 ms lately), new documents rank as one.
			expect(await Promise.all(attack(4))).toEqual(Array(4).fill("yjs_update_too_complex"));
			// The queue full of them, then the document in use sends an edit: it goes ahead
			// of them (before, each new document ranked first and it was refused as busy).
			const flood = attack(12);
			const honest = await outcome(inUse.verify(state, edit("b"), 250));
			expect(honest).toBe("checked");
			const refused = (await Promise.all(flood)).filter((result) => result === "yjs_busy");
			expect(refused.length).toBeGreaterThanOrEqual(4);
		} finally {
			await verifier.close();
		}
	}, 60_000);
});

describe("answers to a step 1", () => {
	it("are made anew at most 20 times a second per document, and shared by clients that ask alike", async () => {
		const doc = yjsActor({});
		await using t = await setupTest(setup({ use: { doc }, logLevel: "silent" }));
		const handle = t.client.doc.getOrCreate("asked");
		const source = new Y.Doc();
		for (let c = 0; c < 40; c++) {
			const client = replica(source, 1_000 + c);
			client.getText("text").insert(0, `edit ${c} `);
			await syncDecided(handle, updateMessage(Y.encodeStateAsUpdate(client)));
		}
		const stepOne = (clients: number[]) => {
			const vector = new Map(clients.map((client) => [client, 1] as [number, number]));
			const message = encoding.createEncoder();
			encoding.writeVarUint(message, syncProtocol.messageYjsSyncStep1);
			const sv = encoding.createEncoder();
			encoding.writeVarUint(sv, vector.size);
			for (const [client, clock] of vector) {
				encoding.writeVarUint(sv, client);
				encoding.writeVarUint(sv, clock);
			}
			encoding.writeVarUint8Array(message, encoding.toUint8Array(sv));
			return encoding.toUint8Array(message);
		};
		// The same state vector again and again: one answer, kept.
		const same = await Promise.allSettled(
			Array.from({ length: 30 }, () => handle.yjsSync(stepOne([1_000]))),
		);
		expect(same.filter((outcome) => outcome.status === "rejected")).toEqual([]);
		// Thirty different ones at once: past 20, refused until the next second.
		const different = await Promise.allSettled(
			Array.from({ length: 30 }, (_, i) => handle.yjsSync(stepOne([1_000 + i, 1_010]))),
		);
		const refused = different.filter((outcome) => outcome.status === "rejected");
		expect(refused.length).toBeGreaterThan(0);
		for (const outcome of refused)
			expect((outcome as PromiseRejectedResult).reason).toMatchObject({
				code: "yjs_too_many_syncs",
				metadata: { retryAfterMs: expect.any(Number) },
			});
	});
});
