// A client's getOrCreate whose creation fails in its first wake (a `createState` that throws
// for the input the client gave, or for none) leaves the key free. Before 2026-11-29 the key
// stayed taken until an operator destroyed the actor (a docs walkthrough: the first snippet of
// actors.md, `createState: (c, input: { owner: string }) => ...`, did it for a getOrCreate
// without input; any client could so break any key). An actor whose failed wake had stored
// something (an `onCreate` that saved, then threw) keeps its key: a new creation would run
// `onCreate` again.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const doc = actor({
	createState: (_c, input: { owner: string } | undefined) => {
		if (typeof input?.owner !== "string") throw new Error("an owner is required");
		return { owner: input.owner };
	},
	actions: { owner: (c) => c.state.owner },
});

let onCreateRuns = 0;
const charged = actor({
	state: { charged: false },
	onCreate: async (c) => {
		onCreateRuns++;
		c.state.charged = true;
		await c.saveState();
		throw new Error("a flaky service after the charge was saved");
	},
	actions: { charged: (c) => c.state.charged },
});

const registry = setup({ use: { doc, charged }, logLevel: "silent" });

describe("a creation whose first wake fails", () => {
	it("frees the key when nothing was stored: the next getOrCreate creates the actor", async () => {
		await using t = await setupTest(registry);
		await expect(t.client.doc.getOrCreate("k2").owner()).rejects.toMatchObject({
			group: "core",
			code: "internal_error",
		});
		const created = t.client.doc.getOrCreate("k2", { createWithInput: { owner: "real" } });
		expect(await created.owner()).toBe("real");
		// Over a connection too (its client tries again meanwhile: a failed wake may pass).
		const conn = t.client.doc.getOrCreate("k3").connect();
		await expect.poll(() => conn.connStatus).not.toBe("connecting");
		await new Promise((resolve) => setTimeout(resolve, 200));
		await conn.dispose();
		expect(
			await t.client.doc.getOrCreate("k3", { createWithInput: { owner: "ann" } }).owner(),
		).toBe("ann");
	});

	it("keeps the key when the failed wake stored something: onCreate does not run twice", async () => {
		await using t = await setupTest(registry);
		onCreateRuns = 0;
		await expect(t.client.charged.getOrCreate("c").charged()).rejects.toMatchObject({
			code: "internal_error",
		});
		expect(onCreateRuns).toBe(1);
		// The saved actor wakes now (onCreate ran once, its save landed): no second charge.
		expect(await t.client.charged.getOrCreate("c").charged()).toBe(true);
		expect(onCreateRuns).toBe(1);
	});
});
