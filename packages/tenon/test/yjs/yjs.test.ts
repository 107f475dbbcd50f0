// Yjs documents held by actors: many clients editing concurrently converge;
// updates are checked before they touch the document; the log is compacted
// and the document comes back the same after a restart.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createClient } from "../../src/client/index.js";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { TenonYjsProvider } from "../../src/yjs/index.js";
import { note } from "./fixtures.js";

const registry = setup({ use: { note }, logLevel: "silent" });

/** A deterministic pseudo-random source (so a failure can be replayed). */
function random(seed: number): () => number {
	let x = seed;
	return () => {
		x = (x * 1103515245 + 12345) % 2147483648;
		return x / 2147483648;
	};
}

describe("yjs documents", () => {
	it("20 clients editing one document concurrently converge to the same text", async () => {
		await using t = await setupTest(registry);
		const clients = Array.from({ length: 20 }, (_, i) => {
			const doc = new Y.Doc();
			const conn = t.client.note.getOrCreate("shared", { params: { user: `u${i}` } }).connect();
			return { doc, conn, provider: new TenonYjsProvider(doc, conn) };
		});
		await Promise.all(clients.map((client) => client.provider.whenSynced()));
		const next = random(42);
		// Every client inserts and deletes at random places, all at once.
		for (let round = 0; round < 10; round++) {
			for (const [i, client] of clients.entries()) {
				const text = client.doc.getText("text");
				const at = Math.floor(next() * (text.length + 1));
				if (text.length > 10 && next() < 0.3) text.delete(Math.min(at, text.length - 1), 1);
				else text.insert(at, `${String.fromCharCode(97 + i)}${round}`);
			}
			await new Promise((resolve) => setImmediate(resolve));
		}
		await Promise.all(clients.map((client) => client.provider.flushed()));
		const server = await t.client.note.getOrCreate("shared", { params: { user: "reader" } }).text();
		await expect
			.poll(() => new Set(clients.map((client) => client.doc.getText("text").toString())).size)
			.toBe(1);
		expect(clients[0]?.doc.getText("text").toString()).toBe(server);
		expect(server.length).toBeGreaterThan(100);
		for (const client of clients) {
			client.provider.destroy();
			await client.conn.dispose();
		}
	});

	it("checks updates before they touch the document, and lets only editors edit", async () => {
		await using t = await setupTest(registry);
		const writer = t.client.note.getOrCreate("guarded", { params: { user: "ann" } }).connect();
		const doc = new Y.Doc();
		const provider = new TenonYjsProvider(doc, writer);
		await provider.whenSynced();
		doc.getText("text").insert(0, "intact");
		await provider.flushed();
		// Garbage, a truncated update, a message of an unknown type, and not bytes at all.
		for (const bad of [
			Uint8Array.of(),
			Uint8Array.of(2, 50, 1, 2),
			Uint8Array.of(9, 0),
			"text" as never,
		]) {
			await expect(writer.yjsSync(bad)).rejects.toMatchObject({
				group: "request",
				code: "invalid_yjs_message",
			});
		}
		// A guest may read but not write.
		const guest = t.client.note.getOrCreate("guarded", { params: { user: "guest" } }).connect();
		const guestDoc = new Y.Doc();
		const guestProvider = new TenonYjsProvider(guestDoc, guest);
		await guestProvider.whenSynced();
		expect(guestDoc.getText("text").toString()).toBe("intact");
		const other = new Y.Doc();
		other.getText("text").insert(0, "vandalism");
		const encoder = await import("lib0/encoding");
		const sync = await import("y-protocols/sync");
		const message = encoder.createEncoder();
		sync.writeUpdate(message, Y.encodeStateAsUpdate(other));
		await expect(guest.yjsSync(encoder.toUint8Array(message))).rejects.toMatchObject({
			group: "auth",
			code: "forbidden",
		});
		expect(await writer.text()).toBe("intact");
		provider.destroy();
		guestProvider.destroy();
		await writer.dispose();
		await guest.dispose();
	});

	it("compacts its log and comes back the same after sleep and restart", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.note.getOrCreate("long", { params: { user: "ann" } }).connect();
		const doc = new Y.Doc();
		const provider = new TenonYjsProvider(doc, conn);
		await provider.whenSynced();
		for (let i = 0; i < 120; i++) {
			doc.getText("text").insert(doc.getText("text").length, `${i},`);
			await provider.flushed();
		}
		const expected = doc.getText("text").toString();
		await t.clock.advance(1_000);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
		await t.restart();
		const reader = createClient<typeof registry>({ endpoint: t.url });
		expect(await reader.note.getOrCreate("long", { params: { user: "bob" } }).text()).toBe(
			expected,
		);
		// 120 updates, folded every 50: a snapshot and the 20 updates since.
		const keys = await reader.note.getOrCreate("long", { params: { user: "bob" } }).storedKeys();
		expect(keys.filter((key) => key.startsWith("snapshot/")).length).toBeGreaterThan(0);
		expect(keys.filter((key) => key.startsWith("log/")).length).toBeLessThan(50);
		await reader.dispose();
		provider.destroy();
		await conn.dispose();
	});
});
