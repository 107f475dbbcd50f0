// Yjs messages in parts (yjs/parts.ts) from a hostile client: parts out of
// order, past their total or the limits, fetches of another connection's
// messages, and an outbox that overflows while an honest provider waits.
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest, type TestContext } from "../../src/test/index.js";
import { TenonYjsProvider, type YjsConnection, yjsActor } from "../../src/yjs/index.js";
import {
	OUTBOX_STALE_MS,
	Outbox,
	readPartNotice,
	UPLOAD_IDLE_MS,
	Uploads,
} from "../../src/yjs/parts.js";
import { noiseText, textUpdateMessage } from "./fixtures.js";

const KiB = 1024;
const MiB = 1024 * KiB;
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

const noise = (bytes: number) => noiseText(bytes, 7);

/** Ann's provider on "doc", after she pasted 600 KiB and it was sent (or refused). */
async function pasteAsAnn(t: TestContext<typeof registry>) {
	const writer = t.client.small.getOrCreate("doc", { params: { user: "ann" } }).connect();
	const doc = new Y.Doc();
	const provider = new TenonYjsProvider(doc, writer);
	await provider.whenSynced();
	doc.getText("text").insert(0, noise(600 * KiB));
	await provider.flushed();
	return { writer, doc, provider };
}

describe("yjs messages in parts", () => {
	it("refuses malformed, stale, repeated or oversized parts, and keeps serving", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.small.getOrCreate("doc", { params: { user: "ann" } }).connect();
		const P = 32 * KiB;
		const full = new Uint8Array(P).fill(1);
		const refused = (group: string, code: string) => expect.objectContaining({ group, code });
		const invalid = refused("request", "invalid_yjs_message");
		// A part of another size than 32 KiB (but the last), at an offset that is no
		// multiple of it or past the total, not bytes, a bad id or total.
		for (const [id, offset, total, bytes] of [
			[1, 0, 2 * P, new Uint8Array(1000)],
			[1, 1000, 2 * P, full],
			[1, 2 * P, 2 * P, full],
			[1, P, P + 10, new Uint8Array(9)],
			[1, 0, 10, "x"],
			[0, 0, P, full],
			[1.5, 0, P, full],
			[1, 0, -1, full],
			[1, 0, "10", full],
		] as const)
			await expect(
				conn.yjsSyncPart(id, offset, total as number, bytes as Uint8Array),
			).rejects.toEqual(invalid);
		await expect(conn.yjsSyncPart(1, 0, 2048 * KiB, full)).rejects.toEqual(
			refused("message", "incoming_too_long"),
		);
		// A part of an earlier upload (still in flight after a refusal) starts nothing.
		expect(await conn.yjsSyncPart(3, 0, 2 * P, full)).toBeNull();
		await expect(conn.yjsSyncPart(2, P, 2 * P, full)).rejects.toEqual(invalid);
		// A part sent twice ends its upload.
		expect(await conn.yjsSyncPart(4, 0, 2 * P, full)).toBeNull();
		await expect(conn.yjsSyncPart(4, 0, 2 * P, full)).rejects.toEqual(invalid);
		await expect(conn.yjsSyncPart(4, P, 2 * P, full)).rejects.toEqual(invalid);
		// Parts that do not make a sync message fail as a whole message would.
		expect(await conn.yjsSyncPart(5, 0, P + 10, full)).toBeNull();
		await expect(conn.yjsSyncPart(5, P, P + 10, new Uint8Array(10))).rejects.toEqual(invalid);
		// Over HTTP there are no parts: the whole message fits a body.
		await expect(
			t.client.small.getOrCreate("doc", { params: { user: "ann" } }).yjsSyncPart(1, 0, P, full),
		).rejects.toEqual(invalid);
		// A connection that may only read sends no megabytes.
		const guest = t.client.small.getOrCreate("doc", { params: { user: "guest" } }).connect();
		await expect(guest.yjsSyncPart(1, 0, 512 * KiB, full)).rejects.toEqual(
			refused("auth", "forbidden"),
		);
		// Half-sent uploads of several connections count against one actor limit.
		const others = [1, 2, 3].map(() =>
			t.client.small.getOrCreate("doc", { params: { user: "bob" } }).connect(),
		);
		let fullError: unknown;
		try {
			for (const other of others)
				for (let offset = 0; offset < 640 * KiB; offset += P)
					await other.yjsSyncPart(1, offset, 1024 * KiB, full);
		} catch (error) {
			fullError = error;
		}
		expect(fullError).toEqual(refused("limit", "yjs_uploads_full"));
		// A connection that goes frees what it half sent; an honest upload goes through,
		// answered by the part that completes it (the others answer null).
		for (const other of others) await other.dispose();
		const message = textUpdateMessage(noise(200 * KiB));
		const answers: (Uint8Array[] | null)[] = [];
		for (let offset = 0; offset < message.byteLength; offset += P)
			answers.push(
				await conn.yjsSyncPart(
					10,
					offset,
					message.byteLength,
					message.subarray(offset, offset + P),
				),
			);
		expect(answers.at(-1)).toEqual([]);
		expect(answers.slice(0, -1).every((answer) => answer === null)).toBe(true);
		expect(await conn.length()).toBe(200 * KiB);
		for (const c of [conn, guest]) await c.dispose();
	});

	it("keeps a large message for its own connection only, and a provider recovers when it is gone", async () => {
		await using t = await setupTest(registry);
		const { writer, doc, provider } = await pasteAsAnn(t);
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
		// Asking again at once is refused: each large answer costs an encoding of the document.
		await expect(thief.yjsSync(encoding.toUint8Array(step1))).rejects.toEqual(
			expect.objectContaining({ group: "limit", code: "yjs_too_many_syncs" }),
		);
		// A provider whose message went before it fetched it syncs again and gets it.
		const reader = t.client.small.getOrCreate("doc", { params: { user: "bob" } }).connect();
		let fetches = 0;
		const unlucky: YjsConnection = {
			yjsSync: (message) => reader.yjsSync(message),
			yjsAwareness: (update) => reader.yjsAwareness(update),
			yjsSyncPart: (upload, offset, total, bytes) =>
				reader.yjsSyncPart(upload, offset, total, bytes),
			yjsSyncFetch: async (id, offset) => {
				// Before the first fetch, a second later, a new answer on this connection
				// replaces this one (a connection has one answer it asked for waiting).
				if (fetches++ === 0) {
					await new Promise((resolve) => setTimeout(resolve, 1_100));
					await reader.yjsSync(encoding.toUint8Array(step1));
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
		// A state vector of made-up clients means the same as an empty one: the same
		// answer, counted once.
		const stranger = new Y.Doc();
		stranger.clientID = 12345;
		stranger.getText("text").insert(0, "x");
		const strangerStep1 = encoding.createEncoder();
		syncProtocol.writeSyncStep1(strangerStep1, stranger);
		const thief2 = t.client.small.getOrCreate("doc", { params: { user: "eve" } }).connect();
		const [shared] = await thief2.yjsSync(encoding.toUint8Array(strangerStep1));
		expect(readPartNotice(shared as Uint8Array)?.total).toBe(kept?.total);
		// Another answer that does not fit the 1 MiB outbox is refused to the one who
		// asked while what waits is fresh: it pushes out nobody else's (here the
		// writer's, which asked for the document too and has not fetched it).
		const [writersNotice] = await writer.yjsSync(encoding.toUint8Array(step1));
		const otherStep1 = encoding.createEncoder();
		encoding.writeVarUint(otherStep1, syncProtocol.messageYjsSyncStep1);
		encoding.writeVarUint8Array(otherStep1, Y.encodeStateVector(new Map([[doc.clientID, 1]])));
		await expect(thief.yjsSync(encoding.toUint8Array(otherStep1))).rejects.toEqual(
			expect.objectContaining({ group: "limit", code: "yjs_outbox_full" }),
		);
		// Fetched, the writer's answer leaves the outbox.
		const writers = readPartNotice(writersNotice as Uint8Array);
		for (let offset = 0; offset < (writers?.total ?? 0); offset += 512 * KiB)
			await writer.yjsSyncFetch(writers?.id as number, offset);
		// Once the connections holding them go, what they left goes too, and the answer fits.
		await thief.dispose();
		await thief2.dispose();
		await reader.dispose();
		const late = t.client.small.getOrCreate("doc", { params: { user: "cy" } }).connect();
		const [answer] = await late.yjsSync(encoding.toUint8Array(otherStep1));
		expect(readPartNotice(answer as Uint8Array)?.total).toBeGreaterThan(600 * KiB);
		await late.dispose();
		readerProvider.destroy();
		provider.destroy();
		await writer.dispose();
	});

	it("a provider refused for a passing limit sends its edit again once there is room", async () => {
		await using t = await setupTest(registry);
		// Another connection holds most of the actor's room for half-sent messages.
		const hog = t.client.small.getOrCreate("doc", { params: { user: "bob" } }).connect();
		const chunk = new Uint8Array(32 * KiB).fill(3);
		// (all but its last part: 992 KiB of the 1536 KiB).
		for (let offset = 0; offset < 992 * KiB; offset += chunk.byteLength)
			await hog.yjsSyncPart(1, offset, 1024 * KiB, chunk);
		const { writer, provider } = await pasteAsAnn(t);
		expect(await writer.length()).toBe(0);
		await hog.dispose();
		// The provider syncs again a second later; the actor asks for what it lacks.
		await expect.poll(() => writer.length(), { timeout: 5_000 }).toBe(600 * KiB);
		provider.destroy();
		await writer.dispose();
	});

	it("gives idle uploads' room and stale outbox messages' room to others", () => {
		let now = 0;
		const clock = () => now;
		const limits = { maxMessageBytes: 4 * MiB, maxUploadingBytes: 64 * KiB, maxOutboxBytes: MiB };
		const uploads = new Uploads(limits, clock);
		const part = new Uint8Array(32 * KiB);
		expect(uploads.add("a", 1, 0, 1 * MiB, part)).toBeUndefined();
		expect(uploads.add("a", 1, 32 * KiB, 1 * MiB, part)).toBeUndefined();
		expect(() => uploads.add("b", 1, 0, 1 * MiB, part)).toThrow(/at once/);
		now += UPLOAD_IDLE_MS + 1;
		expect(uploads.add("b", 2, 0, 1 * MiB, part)).toBeUndefined();
		// "a" lost its upload: its next part starts nothing.
		expect(() => uploads.add("a", 1, 64 * KiB, 1 * MiB, part)).toThrow(/earlier upload/);
		// Nor does a part every 29 s hold the room: past 30 s, under 16 KiB/s gives it up.
		now += 29_000;
		expect(uploads.add("b", 2, 32 * KiB, 1 * MiB, part)).toBeUndefined();
		expect(() => uploads.add("c", 1, 0, 1 * MiB, part)).toThrow(/at once/);
		now += 2_000;
		// (A refused upload's id is used up: the retry takes the next one.)
		expect(uploads.add("c", 2, 0, 1 * MiB, part)).toBeUndefined();

		const outbox = new Outbox(limits, clock);
		const big = () => new Uint8Array(600 * KiB);
		const kept = readPartNotice(outbox.put("idle", big(), false));
		// Fresh: another connection's answer is refused rather than push it out.
		expect(() => outbox.put("other", big(), false)).toThrow(/wait to be fetched/);
		now += OUTBOX_STALE_MS + 1;
		const fetched = readPartNotice(outbox.put("other", big(), false));
		expect(() => outbox.fetch("idle", kept?.id, 0)).toThrow(/no longer kept/);
		// Fetching keeps a message fresh; an update passed on makes room regardless.
		now += OUTBOX_STALE_MS + 1;
		expect(outbox.fetch("other", fetched?.id, 0).byteLength).toBe(512 * KiB);
		// Parts come once, in order: fetching one again keeps nothing fresh.
		expect(() => outbox.fetch("other", fetched?.id, 0)).toThrow(/out of order/);
		expect(() => outbox.put("third", big(), false)).toThrow(/wait to be fetched/);
		outbox.put("third", big(), true);
		expect(() => outbox.fetch("other", fetched?.id, 512 * KiB)).toThrow(/no longer kept/);
	});
});
