// The event loop's time spent applying clients' Yjs updates is budgeted per
// connection, per actor and per process (apply-budget.ts): an attacker probe
// blocked the loop for seconds with updates of conflicting inserts, and a
// stream of them would have blocked it all the time.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { ApplyBudget, TimeBucket } from "../../src/yjs/apply-budget.js";
import { yjsActor } from "../../src/yjs/index.js";
import { updateMessage } from "./fixtures.js";

/** Changes of 15 clients each typing at the start of the same text: costly to merge. */
function conflictingInserts(perClient: number, seed: number): Uint8Array {
	return Y.mergeUpdates(
		Array.from({ length: 15 }, (_, i) => {
			const doc = new Y.Doc();
			doc.clientID = seed * 100 + i;
			const text = doc.getText("text");
			for (let k = 0; k < perClient; k++) text.insert(0, "x");
			return Y.encodeStateAsUpdate(doc);
		}),
	);
}

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
		now += 1_000_000;
		budget.drop("a");
		expect(() => budget.admit("a")).not.toThrow();
		// A failed apply is charged as well.
		expect(() =>
			budget.measure("d", () => {
				now += 50;
				throw new Error("bad update");
			}),
		).toThrow("bad update");
		expect(() => budget.admit("d")).toThrow(expect.objectContaining({ code: "yjs_busy" }));
	});

	it("refuses a connection whose updates took its share, while another still edits", async () => {
		const tight = yjsActor({
			applyBudget: {
				connection: { burstMs: 5, perSecondMs: 1 },
				actor: { burstMs: 60_000, perSecondMs: 1_000 },
			},
			actions: { text: (c) => c.vars.document.doc.getText("other").toString() },
		});
		await using t = await setupTest(setup({ use: { tight }, logLevel: "silent" }));
		const attacker = t.client.tight.getOrCreate("doc").connect();
		const honest = t.client.tight.getOrCreate("doc").connect();
		let refusal: unknown;
		for (let i = 0; i < 40 && refusal === undefined; i++) {
			try {
				await attacker.yjsSync(updateMessage(conflictingInserts(300, i + 1)));
			} catch (error) {
				refusal = error;
			}
		}
		expect(refusal).toMatchObject({ group: "limit", code: "yjs_busy" });
		expect(
			(refusal as { metadata: { retryAfterMs: number } }).metadata.retryAfterMs,
		).toBeGreaterThan(0);
		// Refused before it was applied: a small edit from the same connection waits too.
		await expect(attacker.yjsSync(smallEdit("no"))).rejects.toMatchObject({ code: "yjs_busy" });
		await honest.yjsSync(smallEdit("still editing"));
		expect(await honest.text()).toBe("still editing");
		await attacker.dispose();
		await honest.dispose();
	});

	it("refuses everyone on an actor whose updates took its share, over HTTP too", async () => {
		const tight = yjsActor({
			applyBudget: { actor: { burstMs: 5, perSecondMs: 1 } },
			actions: { text: (c) => c.vars.document.doc.getText("other").toString() },
		});
		await using t = await setupTest(setup({ use: { tight }, logLevel: "silent" }));
		const handle = t.client.tight.getOrCreate("doc");
		let refusal: unknown;
		for (let i = 0; i < 40 && refusal === undefined; i++) {
			try {
				await handle.yjsSync(updateMessage(conflictingInserts(300, i + 1)));
			} catch (error) {
				refusal = error;
			}
		}
		expect(refusal).toMatchObject({ group: "limit", code: "yjs_busy" });
		const other = t.client.tight.getOrCreate("doc").connect();
		await expect(other.yjsSync(smallEdit("later"))).rejects.toMatchObject({ code: "yjs_busy" });
		// Another document is not affected.
		const elsewhere = t.client.tight.getOrCreate("other-doc").connect();
		await elsewhere.yjsSync(smallEdit("fine"));
		expect(await elsewhere.text()).toBe("fine");
		await other.dispose();
		await elsewhere.dispose();
	});
});
