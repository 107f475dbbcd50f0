import { describe, expect, it } from "vitest";
import { Awareness, encodeAwarenessUpdate } from "y-protocols/awareness";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { TenonYjsProvider, yjsActor } from "../../src/yjs/index.js";
import { forgedInsert, stateOf, updateMessage } from "./fixtures.js";

const note = yjsActor({
	createConnState: (_c, params: { user: string }) => ({ user: params?.user ?? "guest" }),
	actions: { text: (c) => c.vars.document.text() },
	// Idle documents sleep (the default is 30 s; shortened for the test).
	options: { sleepTimeout: 1_000 },
});
/** Connections that do not hibernate: they are not stored, and neither are their claims. */
const awakeNote = yjsActor({
	createConnState: (_c, params: { user: string }) => ({ user: params?.user ?? "guest" }),
	actions: {
		claims: async (c) =>
			(await c.kv.list("yjs/claims/", { keyType: "text", type: "text" })).map(([id]) => id),
		/** What an earlier version stored for a connection that no longer exists. */
		leaveStaleClaim: async (c, client: number) => {
			await c.kv.put("yjs/claims/gone-conn", JSON.stringify({ writers: [client], awareness: [] }));
		},
	},
	options: { hibernateConnections: false },
});
const registry = setup({ use: { note, awakeNote }, logLevel: "silent" });

async function outcomeOf(call: () => Promise<unknown>): Promise<string> {
	try {
		await call();
		return "applied";
	} catch (error) {
		return (error as { code?: string }).code ?? String(error);
	}
}

describe("claims across a sleep", () => {
	it("refuses edits forged under a still-connected editor's client id after the document slept", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("sleepy", { params: { user: "ann" } });
		const victimConn = handle.connect();
		const attacker = t.client.note.getOrCreate("sleepy", { params: { user: "eve" } }).connect();
		const doc = new Y.Doc();
		doc.clientID = 4242;
		const provider = new TenonYjsProvider(doc, victimConn);
		await provider.whenSynced();
		doc.getText("text").insert(0, "one");
		await provider.flushed();
		// While awake: refused.
		expect(
			await outcomeOf(() =>
				attacker.yjsSync(
					updateMessage(forgedInsert(Y.encodeStateAsUpdate(doc), 4242, "ann: I quit. ")),
				),
			),
		).toBe("yjs_client_in_use");
		// Nobody does anything for a while: the actor sleeps, both sockets stay open (hibernated).
		await t.clock.advance(2_000);
		await t.settle();
		await expect.poll(() => t.awakeActors()).toBe(0);
		expect(victimConn.connStatus).toBe("connected");
		// The same forged item under the victim's id, after the wake.
		const outcome = await outcomeOf(async () =>
			attacker.yjsSync(updateMessage(forgedInsert(await stateOf(handle), 4242, "ann: I quit. "))),
		);
		const text = await handle.text();
		provider.destroy();
		await victimConn.dispose();
		await attacker.dispose();
		expect({ outcome, text }).toEqual({ outcome: "yjs_client_in_use", text: "one" });
	}, 20_000);

	it("refuses changing a still-connected client's awareness (cursor/name) after the document slept", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("sleepy-aw", { params: { user: "ann" } });
		const victimConn = handle.connect();
		const attacker = t.client.note.getOrCreate("sleepy-aw", { params: { user: "eve" } }).connect();
		const victimDoc = new Y.Doc();
		victimDoc.clientID = 777;
		const victimAw = new Awareness(victimDoc);
		victimAw.setLocalState({ user: { name: "ann" } });
		await victimConn.yjsAwareness(encodeAwarenessUpdate(victimAw, [777]));
		const fake = new Y.Doc();
		fake.clientID = 777;
		const fakeAw = new Awareness(fake);
		for (let i = 0; i < 5; i++) fakeAw.setLocalState({ user: { name: "ann (impersonated)" }, i });
		expect(await outcomeOf(() => attacker.yjsAwareness(encodeAwarenessUpdate(fakeAw, [777])))).toBe(
			"yjs_client_in_use",
		);
		await t.clock.advance(2_000);
		await t.settle();
		await expect.poll(() => t.awakeActors()).toBe(0);
		const outcome = await outcomeOf(() =>
			attacker.yjsAwareness(encodeAwarenessUpdate(fakeAw, [777])),
		);
		victimAw.destroy();
		fakeAw.destroy();
		await victimConn.dispose();
		await attacker.dispose();
		expect(outcome).toBe("yjs_client_in_use");
	}, 20_000);

	it("lets the ids go with the connection: after it left and the document slept, they are free", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("sleepy-gone", { params: { user: "ann" } });
		const leaving = handle.connect();
		const doc = new Y.Doc();
		doc.clientID = 5151;
		const provider = new TenonYjsProvider(doc, leaving);
		await provider.whenSynced();
		doc.getText("text").insert(0, "one");
		await provider.flushed();
		provider.destroy();
		await leaving.dispose();
		await t.settle();
		await t.clock.advance(2_000);
		await t.settle();
		await expect.poll(() => t.awakeActors()).toBe(0);
		// The same client, back on a new connection (a reload): its id is its own again.
		const back = t.client.note.getOrCreate("sleepy-gone", { params: { user: "ann" } }).connect();
		const outcome = await outcomeOf(async () =>
			back.yjsSync(updateMessage(forgedInsert(await stateOf(handle), 5151, "two "))),
		);
		expect(outcome).toBe("applied");
		expect(await handle.text()).toBe("two one");
		await back.dispose();
	}, 20_000);

	it("connections that do not hibernate store no claims, and a stale record is deleted at wake", async () => {
		// Restored for a connection that no longer existed, a record locked its client out
		// for good (a review, 2026-11-26).
		await using t = await setupTest(registry);
		const handle = t.client.awakeNote.getOrCreate("no-store", { params: { user: "ann" } });
		const conn = handle.connect();
		const doc = new Y.Doc();
		doc.clientID = 4343;
		const provider = new TenonYjsProvider(doc, conn);
		await provider.whenSynced();
		doc.getText("text").insert(0, "one");
		await provider.flushed();
		expect(await handle.claims()).toEqual([]);
		await handle.leaveStaleClaim(6161);
		provider.destroy();
		await conn.dispose();
		await t.restart();
		const back = t.client.awakeNote.getOrCreate("no-store", { params: { user: "ann" } }).connect();
		const outcome = await outcomeOf(async () =>
			back.yjsSync(updateMessage(forgedInsert(await stateOf(handle), 6161, "two "))),
		);
		expect(outcome).toBe("applied");
		expect(await handle.claims()).toEqual([]);
		await back.dispose();
	}, 20_000);
});
