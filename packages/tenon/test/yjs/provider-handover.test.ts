// A new provider for the same document on a new connection (React's pattern in
// collaboration.md: a token refresh gives a new connection, the effect a new provider) shows
// its user's cursor to the others at once. Before 2026-11-29 (a walkthrough in Chromium) the
// cursor vanished for everyone for tens of seconds to minutes: the new provider's new
// Awareness restarted its clock under the same client id (peers ignore a clock they saw
// passed), its first announce was refused as `auth/forbidden` while the old connection still
// held the id, and not tried again; and each destroyed provider left its Awareness's timer.
import { describe, expect, it } from "vitest";
import { encodeAwarenessUpdate } from "y-protocols/awareness";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { TenonYjsProvider, yjsActor } from "../../src/yjs/index.js";

const note = yjsActor({});
const registry = setup({ use: { note }, logLevel: "silent" });

describe("a provider replaced on the same document", () => {
	it("its user's cursor stays visible to the others after the handover", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("handover");
		const watcherDoc = new Y.Doc();
		const watcher = new TenonYjsProvider(watcherDoc, handle.connect());
		await watcher.whenSynced();
		const cursorOf = (client: number) =>
			(watcher.awareness.getStates().get(client) as { cursor?: number } | undefined)?.cursor;

		const doc = new Y.Doc();
		const first = handle.connect();
		const old = new TenonYjsProvider(doc, first);
		await old.whenSynced();
		// Many moves: the clock the others saw runs well ahead of a new Awareness's.
		for (let cursor = 1; cursor <= 12; cursor++) {
			old.awareness.setLocalStateField("cursor", cursor);
			await expect.poll(() => cursorOf(doc.clientID)).toBe(cursor);
		}
		let oldDestroyed = false;
		old.awareness.on("destroy", () => {
			oldDestroyed = true;
		});

		// The handover, as the React effect and the hook's cache do it: the old provider goes,
		// the new one starts on a new connection, and the old connection closes a moment later.
		old.destroy();
		expect(oldDestroyed).toBe(true);
		const second = handle.connect();
		const replacement = new TenonYjsProvider(doc, second);
		setTimeout(() => void first.dispose(), 50);
		replacement.awareness.setLocalStateField("cursor", 100);
		await replacement.whenSynced();
		// Sent again a second after the refusal (the old connection had the id): well before
		// the 15 s renewal.
		await expect.poll(() => cursorOf(doc.clientID), { timeout: 4_000 }).toBe(100);
		replacement.awareness.setLocalStateField("cursor", 101);
		await expect.poll(() => cursorOf(doc.clientID), { timeout: 2_000 }).toBe(101);

		replacement.destroy();
		watcher.destroy();
		await second.dispose();
	}, 20_000);

	// A walkthrough (2026-11-29): an editor whose connection was down still showed the others
	// "also here", their cursors where they were.
	it("drops the others' cursors while its connection is down, and shows them again after", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("offline");
		const watcherDoc = new Y.Doc();
		const watcher = new TenonYjsProvider(watcherDoc, handle.connect());
		const otherDoc = new Y.Doc();
		const other = new TenonYjsProvider(otherDoc, handle.connect());
		await Promise.all([watcher.whenSynced(), other.whenSynced()]);
		other.awareness.setLocalStateField("cursor", 7);
		const cursorOf = () =>
			(watcher.awareness.getStates().get(otherDoc.clientID) as { cursor?: number } | undefined)
				?.cursor;
		await expect.poll(cursorOf).toBe(7);
		const removed: number[] = [];
		watcher.awareness.on("change", ({ removed: gone }: { removed: number[] }) => {
			removed.push(...gone);
		});
		// A relay sharing the awareness encodes every update (y-websocket does): it threw when
		// the clocks went before the update was told (a review, 2026-11-29).
		const relayErrors: unknown[] = [];
		watcher.awareness.on(
			"update",
			(changes: { added: number[]; updated: number[]; removed: number[] }) => {
				try {
					encodeAwarenessUpdate(watcher.awareness, [
						...changes.added,
						...changes.updated,
						...changes.removed,
					]);
				} catch (error) {
					relayErrors.push(error);
				}
			},
		);
		await t.restart();
		expect(removed).toContain(otherDoc.clientID);
		expect(relayErrors).toEqual([]);
		await expect.poll(cursorOf, { timeout: 10_000 }).toBe(7);
		watcher.destroy();
		other.destroy();
	}, 30_000);
});
