// Two holes an attacker probe found (2026-11-28):
// - half-sent uploads were limited per document only: one editor with 16
//   connections to each of 8 notes held 524 MiB of them. Every document of
//   the process now shares one budget (upload-budget.ts).
// - a read-only connection could announce, as its awareness client, the id
//   of a client that wrote to the document (every writer's id is in it): the
//   claim (stored, so across restarts too) refused that writer's edits when it
//   came back on a new connection. A reader may not announce a writer's id.
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import { Awareness, encodeAwarenessUpdate } from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { Uploads } from "../../src/yjs/parts.js";
import { UploadBudget } from "../../src/yjs/upload-budget.js";
import { note } from "./fixtures.js";

const KiB = 1024;
const MiB = 1024 * KiB;

describe("half-sent uploads of every document", () => {
	it("share one budget: past it a part is refused, and closing gives the bytes back", () => {
		const budget = new UploadBudget(96 * KiB);
		const limits = { maxMessageBytes: 4 * MiB, maxUploadingBytes: 64 * KiB, maxOutboxBytes: MiB };
		const [first, second] = [
			new Uploads(limits, Date.now, budget),
			new Uploads(limits, Date.now, budget),
		];
		const part = new Uint8Array(32 * KiB);
		expect(first.add("a", 1, 0, MiB, part)).toBeUndefined();
		expect(first.add("a", 1, 32 * KiB, MiB, part)).toBeUndefined();
		expect(second.add("b", 1, 0, MiB, part)).toBeUndefined();
		// Each document is under its own 64 KiB; together they are at the budget.
		expect(() => second.add("c", 1, 0, MiB, part)).toThrow(
			expect.objectContaining({ group: "limit", code: "yjs_uploads_full" }),
		);
		expect(budget.total).toBe(96 * KiB);
		first.drop("a");
		expect(budget.total).toBe(32 * KiB);
		expect(second.add("c", 2, 0, MiB, part)).toBeUndefined();
		second.dropAll();
		expect(budget.total).toBe(0);
	});
});

const registry = setup({ use: { note }, logLevel: "silent" });

function updateMessage(update: Uint8Array): Uint8Array {
	const out = encoding.createEncoder();
	syncProtocol.writeUpdate(out, update);
	return encoding.toUint8Array(out);
}

describe("a read-only connection's awareness", () => {
	it("may not announce a client that wrote to the document, and the writer's edits go on", async () => {
		await using t = await setupTest(registry);
		const writerDoc = new Y.Doc();
		let writer = t.client.note.getOrCreate("n", { params: { user: "ada" } }).connect();
		writerDoc.getText("text").insert(0, "ada wrote this. ");
		await writer.yjsSync(updateMessage(Y.encodeStateAsUpdate(writerDoc)));
		await writer.dispose();

		const reader = t.client.note.getOrCreate("n", { params: { user: "guest" } }).connect();
		const readerAwareness = new Awareness(new Y.Doc());
		readerAwareness.clientID = writerDoc.clientID;
		readerAwareness.setLocalState({ cursor: null });
		await expect(
			reader.yjsAwareness(encodeAwarenessUpdate(readerAwareness, [writerDoc.clientID])),
		).rejects.toMatchObject({ group: "auth", code: "forbidden" });
		// Its own client, which wrote nothing, is fine.
		const own = new Awareness(new Y.Doc());
		own.setLocalState({ cursor: 1 });
		await reader.yjsAwareness(encodeAwarenessUpdate(own, [own.clientID]));

		// The writer comes back on a new connection with an edit made offline.
		const before = Y.encodeStateVector(writerDoc);
		writerDoc.getText("text").insert(writerDoc.getText("text").length, "And offline.");
		writer = t.client.note.getOrCreate("n", { params: { user: "ada" } }).connect();
		await writer.yjsSync(updateMessage(Y.encodeStateAsUpdate(writerDoc, before)));
		expect(await writer.text()).toBe("ada wrote this. And offline.");
		await reader.dispose();
		await writer.dispose();
	});
});
