import * as decoding from "lib0/decoding";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import {
	MAX_AWARENESS_CLIENTS_PER_CONNECTION,
	MAX_AWARENESS_STATE_BYTES,
} from "../../src/yjs/awareness-guard.js";
import { TenonYjsProvider, yjsActor } from "../../src/yjs/index.js";
import { awarenessOf, note, rawAwareness, updateMessage } from "./fixtures.js";

const registry = setup({ use: { note }, logLevel: "silent" });

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** The client ids an awareness update (a snapshot) holds. */
function idsOf(update: Uint8Array | null): number[] {
	if (update === null) return [];
	const decoder = decoding.createDecoder(update);
	const ids: number[] = [];
	for (let n = decoding.readVarUint(decoder); n > 0; n--) {
		ids.push(decoding.readVarUint(decoder));
		decoding.readVarUint(decoder);
		decoding.readVarUint8Array(decoder);
	}
	return ids;
}

describe("hostile yjs traffic", () => {
	it("drops changes whose dependencies the document lacks, and asks the client for them", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.note.getOrCreate("gaps", { params: { user: "ann" } }).connect();
		const doc = new Y.Doc();
		const provider = new TenonYjsProvider(doc, conn);
		await provider.whenSynced();
		doc.getText("text").insert(0, "kept");
		await provider.flushed();
		// A fresh client's second change, without its first: it depends on what never comes.
		const source = new Y.Doc();
		source.getText("text").insert(0, "first");
		const before = Y.encodeStateVector(source);
		source.getText("text").insert(5, " second");
		const orphan = Y.encodeStateAsUpdate(source, before);
		for (let i = 0; i < 50; i++) {
			const replies = await conn.yjsSync(updateMessage(orphan));
			// The server's step 1 (type 0): the client may send what the server lacks.
			expect(replies.map((reply) => reply[0])).toEqual([0]);
		}
		expect(await conn.text()).toBe("kept");
		// The honest client's edits go on; the document is intact and still opens.
		doc.getText("text").insert(4, "!");
		await provider.flushed();
		const reader = t.client.note.getOrCreate("gaps", { params: { user: "bob" } }).connect();
		const readerDoc = new Y.Doc();
		const readerProvider = new TenonYjsProvider(readerDoc, reader);
		await readerProvider.whenSynced();
		expect(readerDoc.getText("text").toString()).toBe("kept!");
		provider.destroy();
		readerProvider.destroy();
		await conn.dispose();
		await reader.dispose();
	});

	it("lets a connection change only its own awareness clients, few and small", async () => {
		await using t = await setupTest(registry);
		const ann = t.client.note.getOrCreate("cursors", { params: { user: "ann" } }).connect();
		const bob = t.client.note.getOrCreate("cursors", { params: { user: "bob" } }).connect();
		await ann.yjsAwareness(awarenessOf(1001, { user: { name: "ann" } }));
		// Bob may neither rename nor remove Ann's cursor.
		for (const spoof of [
			awarenessOf(1001, { user: { name: "ann (send me your password)" } }, 2),
			awarenessOf(1001, null, 2),
		])
			await expect(bob.yjsAwareness(spoof)).rejects.toMatchObject({
				group: "auth",
				code: "yjs_client_in_use",
				metadata: { client: 1001, retryAfterMs: 1_000 },
			});
		await ann.yjsAwareness(awarenessOf(1001, { user: { name: "ann" }, cursor: 3 }, 2));
		// A state over the limit, and more clients than a connection may announce.
		await expect(
			bob.yjsAwareness(awarenessOf(2001, { pad: "x".repeat(MAX_AWARENESS_STATE_BYTES) })),
		).rejects.toMatchObject({ group: "message", code: "incoming_too_long" });
		// Counted in UTF-8 bytes: 3,000 characters of three bytes each are over 8 KiB (they
		// passed when characters were counted, a review, 2026-11-27).
		await expect(
			bob.yjsAwareness(awarenessOf(2001, { pad: "\u20ac".repeat(3_000) })),
		).rejects.toMatchObject({ group: "message", code: "incoming_too_long" });
		// Editor bindings (y-codemirror, y-prosemirror) put `user.color` into a style attribute:
		// one that is not a color would restyle every reader's page (a review, 2026-11-27).
		for (const color of [
			"red;position:fixed;inset:0;background:url(https://evil.example/x.png)",
			"url(x.png)",
			"#fff; z-index: 9",
		])
			await expect(
				bob.yjsAwareness(awarenessOf(2001, { user: { name: "bob", color } })),
			).rejects.toMatchObject({ group: "request", code: "invalid_yjs_message" });
		await expect(
			bob.yjsAwareness(awarenessOf(2001, { user: { color: "#5b6cf0", colorLight: "x;y" } })),
		).rejects.toMatchObject({ code: "invalid_yjs_message" });
		// Not a string: y-codemirror turns it into text all the same (an array of one string).
		for (const color of [["red;background:url(//evil.example/x)"], { toString: 1 }, 7])
			await expect(bob.yjsAwareness(awarenessOf(2001, { user: { color } }))).rejects.toMatchObject({
				code: "invalid_yjs_message",
			});
		// A state y-protocols would fail on (a byte-order mark before its JSON) after a good one:
		// refused whole, nothing of it applied.
		const bom = Uint8Array.of(0xef, 0xbb, 0xbf, ...json({ user: { name: "x" } }));
		await expect(
			bob.yjsAwareness(
				rawAwareness([
					[2101, 1, json({ user: { name: "ok" } })],
					[2102, 1, bom],
				]),
			),
		).rejects.toMatchObject({ code: "invalid_yjs_message" });
		expect(idsOf(await ann.yjsAwarenessSnapshot())).not.toContain(2101);
		for (const color of [
			"#5b6cf0",
			"#5b6cf033",
			"rgb(1, 2, 3)",
			"hsl(120deg 50% 50% / 0.2)",
			"teal",
		])
			await bob.yjsAwareness(
				awarenessOf(2001, { user: { name: "bob", color, colorLight: color } }),
			);
		await bob.yjsAwareness(awarenessOf(2001, null, 2));
		for (let i = 0; i < MAX_AWARENESS_CLIENTS_PER_CONNECTION; i++)
			await bob.yjsAwareness(awarenessOf(2001 + i, { user: { name: "bob" } }));
		await expect(
			bob.yjsAwareness(awarenessOf(3001, { user: { name: "bob" } })),
		).rejects.toMatchObject({ group: "limit", code: "too_many_awareness_clients" });
		// When Bob goes, his clients are free again; Ann's stay hers.
		await bob.dispose();
		const carol = t.client.note.getOrCreate("cursors", { params: { user: "carol" } }).connect();
		await carol.yjsAwareness(awarenessOf(2001, { user: { name: "carol" } }, 5));
		await expect(carol.yjsAwareness(awarenessOf(1001, null, 9))).rejects.toMatchObject({
			code: "yjs_client_in_use",
		});
		await ann.dispose();
		await carol.dispose();
	});

	it("a client that connects later sees the cursors and names of those already there", async () => {
		// Found by the same probe: the snapshot was sent before the client subscribed, and dropped.
		await using t = await setupTest(registry);
		const annConn = t.client.note.getOrCreate("late", { params: { user: "ann" } }).connect();
		const annDoc = new Y.Doc();
		const ann = new TenonYjsProvider(annDoc, annConn);
		await ann.whenSynced();
		ann.awareness.setLocalStateField("user", { name: "ann" });
		await expect.poll(async () => (await annConn.yjsAwarenessSnapshot()) !== null).toBe(true);
		const bobConn = t.client.note.getOrCreate("late", { params: { user: "bob" } }).connect();
		const bob = new TenonYjsProvider(new Y.Doc(), bobConn);
		await bob.whenSynced();
		await expect
			.poll(
				() =>
					(bob.awareness.getStates().get(annDoc.clientID) as { user?: { name: string } })?.user
						?.name,
			)
			.toBe("ann");
		ann.destroy();
		bob.destroy();
		await annConn.dispose();
		await bobConn.dispose();
	});

	it("with awarenessUser, the others see a cursor under the name its connection was given", async () => {
		// A client names itself in awareness; an editor shows that name by its cursor and in
		// "also here". With the option, the server's word wins (a review, 2026-11-27).
		const named = yjsActor({
			createConnState: (_c, params: { user: string }) => ({ user: params?.user ?? "guest" }),
			awarenessUser: (conn) => ({ name: conn.state.user }),
		});
		await using t = await setupTest(setup({ use: { named }, logLevel: "silent" }));
		const eveConn = t.client.named.getOrCreate("doc", { params: { user: "eve" } }).connect();
		const eveDoc = new Y.Doc();
		const eve = new TenonYjsProvider(eveDoc, eveConn);
		await eve.whenSynced();
		const bobConn = t.client.named.getOrCreate("doc", { params: { user: "bob" } }).connect();
		const bob = new TenonYjsProvider(new Y.Doc(), bobConn);
		await bob.whenSynced();
		eve.awareness.setLocalStateField("user", { name: "boss", color: "#e5484d" });
		const seen = () =>
			(bob.awareness.getStates().get(eveDoc.clientID) as { user?: unknown } | undefined)?.user;
		await expect.poll(seen).toEqual({ name: "eve", color: "#e5484d" });
		// An entry y-protocols does not apply (a new client at clock 0) beside one it does: the
		// stamp encoded every id, and threw for the one with no clock (a review, 2026-11-27).
		await eveConn.yjsAwareness(
			rawAwareness([
				[eveDoc.clientID, 50, json({ user: { name: "boss" }, cursor: 1 })],
				[7777, 0, json({ user: { name: "ghost" } })],
			]),
		);
		await expect
			.poll(() => (bob.awareness.getStates().get(eveDoc.clientID) as { cursor?: number })?.cursor)
			.toBe(1);
		// A client that connects later gets the stamped state in its snapshot too.
		const annConn = t.client.named.getOrCreate("doc", { params: { user: "ann" } }).connect();
		const ann = new TenonYjsProvider(new Y.Doc(), annConn);
		await ann.whenSynced();
		await expect
			.poll(() => (ann.awareness.getStates().get(eveDoc.clientID) as { user?: unknown })?.user)
			.toEqual({ name: "eve" });
		for (const provider of [eve, bob, ann]) provider.destroy();
		for (const conn of [eveConn, bobConn, annConn]) await conn.dispose();
	});

	it("refuses updates of many clients, subdocuments, and messages past the limit over HTTP", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.note.getOrCreate("shapes", { params: { user: "ann" } }).connect();
		// Changes of 17 clients in one update (an attacker's way to make Yjs's conflict resolution quadratic).
		const many = Y.mergeUpdates(
			Array.from({ length: 17 }, (_, i) => {
				const doc = new Y.Doc();
				doc.getText("text").insert(0, String(i));
				return Y.encodeStateAsUpdate(doc);
			}),
		);
		await expect(conn.yjsSync(updateMessage(many))).rejects.toMatchObject({
			group: "limit",
			code: "yjs_update_too_complex",
		});
		const withSubdoc = new Y.Doc();
		withSubdoc.getArray("a").insert(0, [new Y.Doc()]);
		await expect(
			conn.yjsSync(updateMessage(Y.encodeStateAsUpdate(withSubdoc))),
		).rejects.toMatchObject({
			group: "request",
			code: "invalid_yjs_message",
		});
		// Over HTTP a body may be larger than a message in parts: the same 4 MiB limit.
		const huge = new Uint8Array(5 * 1024 * 1024);
		huge[0] = 2;
		await expect(
			t.client.note.getOrCreate("shapes", { params: { user: "ann" } }).yjsSync(huge),
		).rejects.toMatchObject({ group: "message", code: "incoming_too_long" });
		// Nothing of it was applied; the document still takes honest edits.
		expect(await conn.text()).toBe("");
		const doc = new Y.Doc();
		doc.getText("text").insert(0, "fine");
		await conn.yjsSync(updateMessage(Y.encodeStateAsUpdate(doc)));
		expect(await conn.text()).toBe("fine");
		await conn.dispose();
	});
});
