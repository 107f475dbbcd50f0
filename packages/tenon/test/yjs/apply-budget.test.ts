// The event loop's time spent applying clients' Yjs updates is budgeted per
// connection, per actor and per process (apply-budget.ts): an attacker probe
// blocked the loop for seconds with updates of conflicting inserts, and a
// stream of them would have blocked it all the time.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { ApplyBudget, TimeBucket } from "../../src/yjs/apply-budget.js";
import { TenonYjsProvider, type YjsConnection, yjsActor } from "../../src/yjs/index.js";
import { conflictingInserts, updateMessage } from "./fixtures.js";

function smallEdit(text: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getText("other").insert(0, text);
	return updateMessage(Y.encodeStateAsUpdate(doc));
}

describe("the apply budget", () => {
	it("refills a bucket with time, lets one charge overdraw it, and says how long to wait", () => {
		let now = 0;
		const bucket = new TimeBucket(100, 50, () => now);
		expect(bucket.waitMs()).toBe(0);
		bucket.charge(60);
		expect(bucket.waitMs()).toBe(0);
		bucket.charge(90); // 100 - 150 = -50: 1 s at 50 ms/s
		expect(bucket.waitMs()).toBe(1_001);
		now = 500;
		expect(bucket.waitMs()).toBe(501);
		now = 1_001;
		expect(bucket.waitMs()).toBe(0);
		now = 1_000_000; // never more than the burst
		bucket.charge(120);
		expect(bucket.waitMs()).toBe(401);
		// A debt can be capped (the process's bucket owes at most its burst).
		const capped = new TimeBucket(100, 100, () => now, 100);
		capped.charge(10_000);
		expect(capped.level).toBe(-100);
		expect(() => new TimeBucket(10, 0, () => now)).toThrow(TypeError);
		expect(() => new TimeBucket(Number.NaN, 10, () => now)).toThrow(TypeError);
	});

	it("charges the connection, the actor and the process, and forgets a connection that left", () => {
		let now = 0;
		const clock = () => now;
		const process = new TimeBucket(1_000, 100, clock);
		const budget = new ApplyBudget(
			{ connection: { burstMs: 10, perSecondMs: 10 }, actor: { burstMs: 100, perSecondMs: 10 } },
			clock,
			process,
		);
		const spend = (connId: string | undefined, ms: number) =>
			budget.measure(connId, () => {
				now += ms;
			});
		spend("a", 30);
		expect(() => budget.admit("a")).toThrow(expect.objectContaining({ code: "yjs_busy" }));
		try {
			budget.admit("a");
		} catch (error) {
			expect(error).toMatchObject({ group: "limit", metadata: { retryAfterMs: 2_001 } });
		}
		// Another connection, and a call over HTTP, have their own share of the actor's.
		expect(() => budget.admit("b")).not.toThrow();
		expect(() => budget.admit(undefined)).not.toThrow();
		spend("b", 80);
		// The actor's 100 ms are gone: everyone waits.
		expect(() => budget.admit("c")).toThrow(expect.objectContaining({ code: "yjs_busy" }));
		expect(() => budget.admit(undefined)).toThrow(expect.objectContaining({ code: "yjs_busy" }));
		// The process's bucket was charged too (1,000 - 110).
		expect(process.waitMs()).toBe(0);
		// A connection that left is forgotten (the actor's bucket refills meanwhile).
		const actorOnly = new ApplyBudget(
			{ connection: { burstMs: 10, perSecondMs: 1 }, actor: { burstMs: 10_000, perSecondMs: 10 } },
			clock,
			new TimeBucket(10_000, 10, clock),
		);
		actorOnly.measure("a", () => {
			now += 30;
		});
		expect(() => actorOnly.admit("a")).toThrow(expect.objectContaining({ code: "yjs_busy" }));
		actorOnly.drop("a");
		expect(() => actorOnly.admit("a")).not.toThrow();
		now += 1_000_000;
		// A failed apply is charged as well.
		expect(() =>
			budget.measure("d", () => {
				now += 50;
				throw new Error("bad update");
			}),
		).toThrow("bad update");
		expect(() => budget.admit("d")).toThrow(expect.objectContaining({ code: "yjs_busy" }));
	});

	it("withholds an empty process share only from the actors that used most of theirs", () => {
		let now = 0;
		const clock = () => now;
		const process = new TimeBucket(100, 10, clock, 100);
		const rates = {
			connection: { burstMs: 10_000, perSecondMs: 10 },
			actor: { burstMs: 1_000, perSecondMs: 10 },
		};
		const busy = new ApplyBudget(rates, clock, process);
		const quiet = new ApplyBudget(rates, clock, process);
		busy.measure(undefined, () => {
			now += 600; // past half of its own, and all of the process's
		});
		expect(process.waitMs()).toBeGreaterThan(0);
		expect(() => busy.admit("x")).toThrow(expect.objectContaining({ code: "yjs_busy" }));
		expect(() => quiet.admit("y")).not.toThrow();
	});

	it("learns a document's cost per item, refuses an update that would take too long, and forgets slowly", () => {
		let now = 0;
		const clock = () => now;
		const budget = new ApplyBudget(undefined, clock, new TimeBucket(1e9, 1e9, clock));
		// Nothing learnt yet: any size passes (the first costly update shows the cost).
		expect(() => budget.checkCost(1_000_000)).not.toThrow();
		// 4,000 items in 2,005 ms (5 ms are forgiven as noise): half a millisecond each.
		budget.measure(
			undefined,
			() => {
				now += 2_005;
			},
			() => 4_000,
		);
		expect(() => budget.checkCost(400)).not.toThrow(); // 200 ms
		try {
			budget.checkCost(4_000);
			expect.unreachable();
		} catch (error) {
			expect(error).toMatchObject({
				group: "limit",
				code: "yjs_update_too_complex",
				metadata: { limitMs: 250, estimatedMs: 2_000 },
			});
		}
		// A cheaper measurement does not lower it; time does (halving every 10 min).
		budget.measure(
			undefined,
			() => {
				now += 2;
			},
			() => 4_000,
		);
		expect(() => budget.checkCost(1_000)).toThrow(/about 500 ms/);
		now += 1_200_000;
		expect(() => budget.checkCost(1_000)).not.toThrow(); // 125 ms
		// A small update's time teaches nothing, nor a few milliseconds of noise.
		const fresh = new ApplyBudget(undefined, clock, new TimeBucket(1e9, 1e9, clock));
		fresh.measure(
			undefined,
			() => {
				now += 50;
			},
			() => 63,
		);
		fresh.measure(
			undefined,
			() => {
				now += 4.9;
			},
			() => 64,
		);
		expect(() => fresh.checkCost(100_000)).not.toThrow();
	});

	it("suspects a document whose small updates are slow twice within a minute, not once", () => {
		let now = 0;
		const clock = () => now;
		const budget = new ApplyBudget(undefined, clock, new TimeBucket(1e9, 1e9, clock));
		const slowSmall = () =>
			budget.measure(
				undefined,
				() => {
					now += 60;
				},
				() => 3,
			);
		expect(budget.isCostly(1, 0)).toBe(false);
		// Once: a pause of the process (or a log folded into a snapshot) teaches nothing.
		slowSmall();
		expect(budget.isCostly(1, 0)).toBe(false);
		now += 120_000;
		slowSmall();
		expect(budget.isCostly(1, 0)).toBe(false);
		// Again within a minute: its updates are checked on a copy first.
		now += 30_000;
		slowSmall();
		expect(budget.isCostly(1, 0)).toBe(true);
		// Refusals still come from the learnt cost of large updates only.
		expect(() => budget.checkCost(1_000)).not.toThrow();
	});

	it("refuses a connection whose updates took its share, while another still edits", async () => {
		const tight = yjsActor({
			// Any update overdraws the connection's bucket; it refills in hours.
			applyBudget: {
				connection: { burstMs: 0.001, perSecondMs: 0.001 },
				actor: { burstMs: 60_000, perSecondMs: 1_000 },
			},
			actions: {
				text: (c) => c.vars.document.doc.getText("other").toString(),
				inserted: (c) => c.vars.document.doc.getText("text").length,
			},
		});
		await using t = await setupTest(setup({ use: { tight }, logLevel: "silent" }));
		const attacker = t.client.tight.getOrCreate("doc").connect();
		const honest = t.client.tight.getOrCreate("doc").connect();
		await attacker.yjsSync(updateMessage(conflictingInserts(300, 1)));
		expect(await honest.inserted()).toBe(15 * 300);
		await expect(attacker.yjsSync(updateMessage(conflictingInserts(300, 2)))).rejects.toMatchObject(
			{
				group: "limit",
				code: "yjs_busy",
				metadata: { retryAfterMs: expect.any(Number) },
			},
		);
		// Refused before it was applied: a small edit from the same connection waits too.
		await expect(attacker.yjsSync(smallEdit("no"))).rejects.toMatchObject({ code: "yjs_busy" });
		// Nothing of the refused updates reached the document.
		expect(await honest.inserted()).toBe(15 * 300);
		await honest.yjsSync(smallEdit("still editing"));
		expect(await honest.text()).toBe("still editing");
		await attacker.dispose();
		await honest.dispose();
	});

	it("refuses everyone on an actor whose updates took its share, over HTTP too", async () => {
		const tight = yjsActor({
			applyBudget: { actor: { burstMs: 0.001, perSecondMs: 0.001 } },
			actions: { text: (c) => c.vars.document.doc.getText("other").toString() },
		});
		await using t = await setupTest(setup({ use: { tight }, logLevel: "silent" }));
		const handle = t.client.tight.getOrCreate("doc");
		await handle.yjsSync(updateMessage(conflictingInserts(300, 1)));
		await expect(handle.yjsSync(updateMessage(conflictingInserts(300, 2)))).rejects.toMatchObject({
			group: "limit",
			code: "yjs_busy",
		});
		// Over HTTP a step 1 (which may cost an encoding of the document) waits too.
		await expect(handle.yjsSync(new Uint8Array([0, 1, 0]))).rejects.toMatchObject({
			code: "yjs_busy",
		});
		const other = t.client.tight.getOrCreate("doc").connect();
		await expect(other.yjsSync(smallEdit("later"))).rejects.toMatchObject({ code: "yjs_busy" });
		// Over a connection it does not: a provider refused as busy syncs again with one.
		expect((await other.yjsSync(new Uint8Array([0, 1, 0]))).length).toBe(2);
		// Another document is not affected.
		const elsewhere = t.client.tight.getOrCreate("other-doc").connect();
		await elsewhere.yjsSync(smallEdit("fine"));
		expect(await elsewhere.text()).toBe("fine");
		await other.dispose();
		await elsewhere.dispose();
	});

	it("a provider refused as busy syncs again after the wait it was told, not its backoff", async () => {
		const brief = yjsActor({
			// Any update overdraws the connection's bucket, which refills in milliseconds.
			applyBudget: {
				connection: { burstMs: 0.001, perSecondMs: 20 },
				actor: { burstMs: 60_000, perSecondMs: 1_000 },
			},
			actions: { text: (c) => c.vars.document.doc.getText("text").toString() },
		});
		await using t = await setupTest(setup({ use: { brief }, logLevel: "silent" }));
		const writer = t.client.brief.getOrCreate("doc").connect();
		const refusals: unknown[] = [];
		// The connection as the provider sees it, with its refusals recorded.
		const watched = new Proxy(writer, {
			get(target, property) {
				const value = Reflect.get(target, property);
				if (property !== "yjsSync" || typeof value !== "function") return value;
				return (message: Uint8Array) =>
					target.yjsSync(message).catch((error: unknown) => {
						refusals.push(error);
						throw error;
					});
			},
		}) as unknown as YjsConnection;
		const doc = new Y.Doc();
		const provider = new TenonYjsProvider(doc, watched);
		await provider.whenSynced();
		// The bucket refills within milliseconds: on a busy machine the edit may come after
		// that, and is not refused; then it is tried again (a race of the test, not the provider).
		let tookMs = Number.POSITIVE_INFINITY;
		for (let attempt = 0; attempt < 5 && refusals.length === 0; attempt++) {
			await writer.yjsSync(smallEdit(`spend ${attempt}`)).catch(() => {});
			const started = performance.now();
			doc.getText("text").insert(0, `${attempt}`);
			await expect
				.poll(async () => (await writer.text()).startsWith(`${attempt}`), {
					timeout: 5_000,
					interval: 20,
				})
				.toBe(true);
			tookMs = performance.now() - started;
		}
		expect(refusals).toContainEqual(expect.objectContaining({ code: "yjs_busy" }));
		// Its backoff starts at a second; the server asked for a few milliseconds.
		expect(tookMs).toBeLessThan(900);
		provider.destroy();
		await writer.dispose();
	});
});
