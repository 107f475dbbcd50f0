import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import { Awareness, encodeAwarenessUpdate } from "y-protocols/awareness";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { TenonYjsProvider, yjsActor } from "../../src/yjs/index.js";
import { forgedInsert, stateOf, updateMessage } from "./fixtures.js";

/** A shared note; `serverClientId` says the id the actor's own edits use. */
const note = yjsActor({
	createConnState: (_c, params: { user: string }) => ({ user: params?.user ?? "guest" }),
	canEdit: (c) => c.conn.state.user !== "guest",
	actions: {
		text: (c) => c.vars.document.text(),
		serverClientId: (c) => c.vars.document.doc.clientID,
	},
});

const registry = setup({ use: { note }, logLevel: "silent" });

/** An update of one GC struct of `client` from `clock`, `length` clocks long. */
function gcUpdate(client: number, clock: number, length: number): Uint8Array {
	const encoder = encoding.createEncoder();
	for (const n of [1, 1, client, clock]) encoding.writeVarUint(encoder, n);
	encoding.writeUint8(encoder, 0); // a GC struct
	encoding.writeVarUint(encoder, length);
	encoding.writeVarUint(encoder, 0); // an empty delete set
	return encoding.toUint8Array(encoder);
}

describe("Yjs client ids belong to the connection that writes under them", () => {
	it("refuses another connection's GC or items under a connected editor's id; the editor's edits still apply", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("claims", { params: { user: "ann" } });
		const victimConn = handle.connect();
		const attacker = t.client.note.getOrCreate("claims", { params: { user: "eve" } }).connect();
		const doc = new Y.Doc();
		doc.clientID = 4242;
		const provider = new TenonYjsProvider(doc, victimConn);
		await provider.whenSynced();
		doc.getText("text").insert(0, "one");
		await provider.flushed();
		const state = Y.getState(doc.store, 4242);
		// A GC of 2^40 clocks past what the victim wrote, and an item at its next clock.
		await expect(
			attacker.yjsSync(updateMessage(gcUpdate(4242, state, 2 ** 40))),
		).rejects.toMatchObject({
			group: "auth",
			code: "yjs_client_in_use",
			metadata: { client: 4242 },
		});
		const server = Y.encodeStateAsUpdate(doc);
		await expect(
			attacker.yjsSync(updateMessage(forgedInsert(server, 4242, "forged "))),
		).rejects.toMatchObject({ code: "yjs_client_in_use" });
		// The victim's next edit lands.
		doc.getText("text").insert(3, " two");
		await provider.flushed();
		expect(await handle.text()).toBe("one two");
		// Resending what the document already has of the victim is no write.
		await attacker.yjsSync(updateMessage(Y.encodeStateAsUpdate(doc)));
		// The attacker writes under its own id as any editor does.
		await attacker.yjsSync(updateMessage(forgedInsert(Y.encodeStateAsUpdate(doc), 777, "eve: ")));
		expect(await handle.text()).toBe("eve: one two");
		provider.destroy();
		await victimConn.dispose();
		await attacker.dispose();
	});

	it("frees a connection's ids when it goes; an HTTP call writes only under ids no connection uses, and claims none", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("http", { params: { user: "ann" } });
		const first = handle.connect();
		await first.yjsSync(updateMessage(forgedInsert(new Uint8Array([0, 0]), 5151, "a")));
		// Over HTTP, under the connected client's id: refused.
		const base = Y.encodeStateAsUpdate(new Y.Doc());
		await expect(handle.yjsSync(updateMessage(gcUpdate(5151, 1, 1_000)))).rejects.toMatchObject({
			code: "yjs_client_in_use",
		});
		// Over HTTP under a new id: applied, and the id stays nobody's.
		await handle.yjsSync(updateMessage(forgedInsert(base, 6161, "h")));
		const second = handle.connect();
		await second.yjsSync(updateMessage(forgedInsert(await stateOf(handle), 6161, "s")));
		// The first connection goes: its id is free for a client that reconnects without resuming.
		await first.dispose();
		await expect
			.poll(async () => {
				try {
					await second.yjsSync(updateMessage(forgedInsert(await stateOf(handle), 5151, "b")));
					return "applied";
				} catch (error) {
					return (error as { code?: string }).code;
				}
			})
			.toBe("applied");
		expect((await handle.text()).split("").sort().join("")).toBe("abhs");
		await second.dispose();
	});

	it("an id a connection announced in its awareness is its own before its first edit, and an id written under cannot be announced by another", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("announced", { params: { user: "ann" } });
		const victimConn = handle.connect();
		const attacker = t.client.note.getOrCreate("announced", { params: { user: "eve" } }).connect();
		const doc = new Y.Doc();
		doc.clientID = 9191;
		const provider = new TenonYjsProvider(doc, victimConn);
		await provider.whenSynced();
		// The cursor goes out on connect: others learn the id before any edit under it.
		provider.awareness.setLocalStateField("user", { name: "ann" });
		await expect
			.poll(async () => {
				try {
					await attacker.yjsSync(updateMessage(gcUpdate(9191, 0, 2 ** 40)));
					return "applied";
				} catch (error) {
					return (error as { code?: string }).code;
				}
			})
			.toBe("yjs_client_in_use");
		doc.getText("text").insert(0, "mine");
		await provider.flushed();
		expect(await handle.text()).toBe("mine");
		// The attacker writes under its own id; the victim cannot announce a cursor under it.
		await attacker.yjsSync(updateMessage(forgedInsert(await stateOf(handle), 3131, "!")));
		const sneaky = new Y.Doc();
		sneaky.clientID = 3131;
		const borrowed = new Awareness(sneaky);
		borrowed.setLocalState({ user: { name: "not eve" } });
		await expect(
			victimConn.yjsAwareness(encodeAwarenessUpdate(borrowed, [3131])),
		).rejects.toMatchObject({ code: "yjs_client_in_use" });
		borrowed.destroy();
		provider.destroy();
		await victimConn.dispose();
		await attacker.dispose();
	});

	it("refuses changes under the actor's own client id", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("own", { params: { user: "ann" } });
		const conn = handle.connect();
		const serverClient = await handle.serverClientId();
		await expect(conn.yjsSync(updateMessage(gcUpdate(serverClient, 0, 10)))).rejects.toMatchObject({
			code: "yjs_client_in_use",
		});
		await conn.dispose();
	});
});
