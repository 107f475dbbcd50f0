// The log of a Yjs document is folded into a snapshot every `compactEvery`
// updates, and a fold encodes and rewrites the whole document: every 100
// one-character edits of a 12 MB document wrote 12.6 MB (4,000 times their
// bytes) and blocked the loop 130 ms, and one editor sending edits as fast as
// it could kept the server writing 28 MB a second (an attacker probe,
// 2026-11-26). A large document now logs more updates between folds, so each
// pays for at most 4 KiB of the snapshot (document-log.ts, compactAfter).
import * as encoding from "lib0/encoding";
import { expect, it } from "vitest";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { createClient } from "../../src/client/index.js";
import { memoryDriver, setup } from "../../src/index.js";
import type { StorageDriver } from "../../src/storage/interfaces.js";
import { setupTest } from "../../src/test/index.js";
import { yjsActor } from "../../src/yjs/index.js";
import { wrapCommits } from "../helpers/controllable-storage.js";
import { noiseText } from "../yjs/fixtures.js";

const note = yjsActor({
	canEdit: () => true,
	actions: { text: (c) => c.vars.document.text() },
	options: { sleepTimeout: 60_000 },
});
const registry = setup({ use: { note }, logLevel: "silent" });

/** A driver that counts the bytes its commits put. */
function counting(inner: StorageDriver): { driver: StorageDriver; written(): number } {
	let written = 0;
	const driver = wrapCommits(inner, "counting", (batch, commit) => {
		for (const { puts } of batch)
			for (const [key, value] of puts) written += key.byteLength + value.byteLength;
		return commit(batch);
	});
	return { driver, written: () => written };
}

function updateMessage(update: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	syncProtocol.writeUpdate(encoder, update);
	return encoding.toUint8Array(encoder);
}

it("one-character edits of a 3 MB document do not rewrite it every 100 edits", async () => {
	const storage = counting(memoryDriver());
	await using t = await setupTest(registry, { storage: storage.driver });
	const handle = t.client.note.getOrCreate("big");
	const doc = new Y.Doc();
	const edit = async (text: string) => {
		const before = Y.encodeStateVector(doc);
		doc.getText("text").insert(0, text);
		await handle.yjsSync(updateMessage(Y.encodeStateAsUpdate(doc, before)));
	};
	for (let i = 0; i < 3; i++) await edit(noiseText(1024 * 1024, i + 1));
	// The first fold (the log held no snapshot): 3 updates and 97 edits.
	for (let i = 0; i < 97; i++) await edit("x");
	const folded = storage.written();
	expect(folded).toBeGreaterThan(6 * 1024 * 1024);
	// The next fold of a 3 MB snapshot comes after 768 updates.
	for (let i = 0; i < 250; i++) await edit("y");
	// About 20 KB (the edits and their commits); 6.3 MB before (a fold per 100 edits).
	expect(storage.written() - folded).toBeLessThan(300 * 1024);
	// A longer log, replayed on wake.
	await t.restart();
	const reader = createClient<typeof registry>({ endpoint: t.url });
	const stored = await reader.note.getOrCreate("big").text();
	expect(stored === doc.getText("text").toString()).toBe(true);
	await reader.dispose();
}, 15_000);
