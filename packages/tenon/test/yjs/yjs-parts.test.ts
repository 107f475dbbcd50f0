// Yjs messages in parts (yjs/parts.ts) from a hostile client: parts out of
// order, past their total or the limits, fetches of another connection's
// messages, and an outbox that overflows while an honest provider waits.
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { TenonYjsProvider, type YjsConnection, yjsActor } from "../../src/yjs/index.js";
import { readPartNotice } from "../../src/yjs/parts.js";

const KiB = 1024;
const small = yjsActor({
	createConnState: (_c, params: { user: string }) => ({ user: params?.user ?? "guest" }),
	canEdit: (c) => c.conn.state.user !== "guest",
	limits: {
		maxMessageBytes: 1024 * KiB,
		maxUploadingBytes: 1536 * KiB,
		maxOutboxBytes: 1024 * KiB,
	},
	actions: { length: (c) => c.vars.document.text().length },
});
const registry = setup({ use: { small }, logLevel: "silent" });

function updateMessage(text: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getText("text").insert(0, text);
	const encoder = encoding.createEncoder();
	syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(doc));
	return encoding.toUint8Array(encoder);
}

function noise(bytes: number): string {
	let out = "";
	for (let x = 7; out.length < bytes; x = (x * 1103515245 + 12345) % 2147483648)
		out += x.toString(36);
	return out.slice(0, bytes);
}

describe("yjs messages in parts", () => {
	it("refuses parts out of order, past their total or the limits, and keeps serving", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.small.getOrCreate("doc", { params: { user: "ann" } }).connect();
		const part = new Uint8Array(1000).fill(1);
		const refused = (group: string, code: string) => expect.objectContaining({ group, code });
		// Past the total announced, and parts that overlap (found once the bytes add up).
		await expect(conn.yjsSyncPart(3500, 4000, part)).rejects.toEqual(
			refused("request", "invalid_yjs_message"),
		);
		await conn.yjsSyncPart(0, 2500, part);
		await conn.yjsSyncPart(500, 2500, part);
		await expect(conn.yjsSyncPart(2000, 2500, part.subarray(0, 500))).rejects.toEqual(
			refused("request", "invalid_yjs_message"),
		);
		// Not bytes, a total that is not a positive integer, past the largest message.
		for (const [offset, total, bytes] of [
			[0, 10, "x"],
			[0, -1, part],
			[0, 1.5, part],
			[0, "10", part],
		] as const)
			await expect(conn.yjsSyncPart(offset, total as number, bytes as Uint8Array)).rejects.toEqual(
				refused("request", "invalid_yjs_message"),
			);
		await expect(conn.yjsSyncPart(0, 2048 * KiB, part)).rejects.toEqual(
			refused("message", "incoming_too_long"),
		);
		// Parts that do not make a sync message fail as a whole message would.
		await conn.yjsSyncPart(0, 2000, part);
		await expect(conn.yjsSyncPart(1000, 2000, part)).rejects.toEqual(
			refused("request", "invalid_yjs_message"),
		);
		// Over HTTP there are no parts: the whole message fits a body.
		await expect(
			t.client.small.getOrCreate("doc", { params: { user: "ann" } }).yjsSyncPart(0, 10, part),
		).rejects.toEqual(refused("request", "invalid_yjs_message"));
		// Half-sent uploads of several connections count against one actor limit.
		const others = [1, 2, 3].map(() =>
			t.client.small.getOrCreate("doc", { params: { user: "bob" } }).connect(),
		);
		const chunk = new Uint8Array(32 * KiB).fill(2);
		let full: unknown;
		try {
			for (const other of others)
				for (let offset = 0; offset < 640 * KiB; offset += chunk.byteLength)
					await other.yjsSyncPart(offset, 1024 * KiB, chunk);
		} catch (error) {
			full = error;
		}
		expect(full).toEqual(refused("limit", "yjs_uploads_full"));
		// A connection that goes frees what it half sent; an honest upload goes through.
		for (const other of others) await other.dispose();
		const message = updateMessage(noise(200 * KiB));
		let replies: Uint8Array[] = [];
		for (let offset = 0; offset < message.byteLength; offset += 32 * KiB)
			replies = await conn.yjsSyncPart(
				offset,
				message.byteLength,
				message.subarray(offset, offset + 32 * KiB),
			);
		expect(replies).toEqual([]);
		expect(await conn.length()).toBe(200 * KiB);
		await conn.dispose();
	});

	it("keeps a large message for its own connection only, and a provider recovers when it is gone", async () => {
		await using t = await setupTest(registry);
		const writer = t.client.small.getOrCreate("doc", { params: { user: "ann" } }).connect();
		const doc = new Y.Doc();
		const provider = new TenonYjsProvider(doc, writer);
		await provider.whenSynced();
		doc.getText("text").insert(0, noise(600 * KiB));
		await provider.flushed();
		// A client asks for the whole document: a notice, not the bytes.
		const thief = t.client.small.getOrCreate("doc", { params: { user: "eve" } }).connect();
		const step1 = encoding.createEncoder();
		syncProtocol.writeSyncStep1(step1, new Y.Doc());
		const [notice] = await thief.yjsSync(encoding.toUint8Array(step1));
		const kept = readPartNotice(notice as Uint8Array);
		expect(kept?.total).toBeGreaterThan(600 * KiB);
		// Another connection cannot fetch it; an id never given out is gone too.
		await expect(writer.yjsSyncFetch(kept?.id as number, 0)).rejects.toEqual(
			expect.objectContaining({ group: "request", code: "yjs_part_gone" }),
		);
		await expect(thief.yjsSyncFetch(999, 0)).rejects.toEqual(
			expect.objectContaining({ group: "request", code: "yjs_part_gone" }),
		);
		await expect(thief.yjsSyncFetch(kept?.id as number, -1)).rejects.toEqual(
			expect.objectContaining({ group: "request", code: "invalid_yjs_message" }),
		);
		// Never fetched: two more requests overflow the 1 MiB outbox and the first goes.
		await thief.yjsSync(encoding.toUint8Array(step1));
		await thief.yjsSync(encoding.toUint8Array(step1));
		await expect(thief.yjsSyncFetch(kept?.id as number, 0)).rejects.toEqual(
			expect.objectContaining({ code: "yjs_part_gone" }),
		);
		// A provider whose message went before it fetched it syncs again and gets it.
		const reader = t.client.small.getOrCreate("doc", { params: { user: "bob" } }).connect();
		let fetches = 0;
		const unlucky: YjsConnection = {
			yjsSync: (message) => reader.yjsSync(message),
			yjsAwareness: (update) => reader.yjsAwareness(update),
			yjsSyncPart: (offset, total, bytes) => reader.yjsSyncPart(offset, total, bytes),
			yjsSyncFetch: async (id, offset) => {
				// The first fetch comes after two other large messages pushed this one out.
				if (fetches++ === 0) {
					await thief.yjsSync(encoding.toUint8Array(step1));
					await thief.yjsSync(encoding.toUint8Array(step1));
				}
				return reader.yjsSyncFetch(id, offset);
			},
			on: (name, callback) => reader.on(name, callback),
			onOpen: (callback) => reader.onOpen(callback),
			get connStatus() {
				return reader.connStatus;
			},
		};
		const copy = new Y.Doc();
		const readerProvider = new TenonYjsProvider(copy, unlucky);
		await readerProvider.whenSynced();
		expect(copy.getText("text").length).toBe(600 * KiB);
		expect(fetches).toBeGreaterThan(2);
		readerProvider.destroy();
		provider.destroy();
		for (const conn of [writer, thief, reader]) await conn.dispose();
	});

	it("a provider refused for a passing limit sends its edit again once there is room", async () => {
		await using t = await setupTest(registry);
		// Another connection holds most of the actor's room for half-sent messages.
		const hog = t.client.small.getOrCreate("doc", { params: { user: "bob" } }).connect();
		const chunk = new Uint8Array(32 * KiB).fill(3);
		// (all but its last part: 992 KiB of the 1536 KiB).
		for (let offset = 0; offset < 992 * KiB; offset += chunk.byteLength)
			await hog.yjsSyncPart(offset, 1024 * KiB, chunk);
		const writer = t.client.small.getOrCreate("doc", { params: { user: "ann" } }).connect();
		const doc = new Y.Doc();
		const provider = new TenonYjsProvider(doc, writer);
		await provider.whenSynced();
		doc.getText("text").insert(0, noise(600 * KiB));
		await provider.flushed();
		expect(await writer.length()).toBe(0);
		await hog.dispose();
		// The provider syncs again a second later; the actor asks for what it lacks.
		await expect.poll(() => writer.length(), { timeout: 5_000 }).toBe(600 * KiB);
		provider.destroy();
		await writer.dispose();
	});
});
