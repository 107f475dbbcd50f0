// A provider's `synced` is false while its connection is down, and `on("sync")` tells each
// change (as y-websocket's `sync` event). Before 2026-11-29 `synced` stayed true from the
// first sync on, and the example editor showed "synced" offline.
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { TenonYjsProvider, yjsActor } from "../../src/yjs/index.js";

const note = yjsActor({});
const registry = setup({ use: { note }, logLevel: "silent" });

describe("a provider's sync state", () => {
	it("turns false when its connection closes and true after the sync that follows the reconnect", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.note.getOrCreate("sync-state").connect();
		const provider = new TenonYjsProvider(new Y.Doc(), conn);
		const seen: boolean[] = [];
		const stop = provider.on("sync", (synced) => {
			seen.push(synced);
			if (seen.length === 1) throw new Error("a listener that throws stops nothing");
		});
		const reported: unknown[] = [];
		const onUncaught = (error: unknown) => reported.push(error);
		process.on("uncaughtException", onUncaught);
		try {
			await provider.whenSynced();
			expect([provider.synced, seen]).toEqual([true, [true]]);
			const atClose: boolean[] = [];
			conn.onClose(() => atClose.push(provider.synced));
			await t.restart();
			expect(atClose).toEqual([false]);
			await expect.poll(() => seen).toEqual([true, false, true]);
			expect(provider.synced).toBe(true);
			expect(reported).toHaveLength(1);
			// Removed: told nothing more.
			stop();
			await t.restart();
			await expect.poll(() => provider.synced).toBe(true);
			expect(seen).toEqual([true, false, true]);
			expect(atClose).toEqual([false, false]);
			// y-websocket's other name for it, and false once destroyed.
			const synced: boolean[] = [];
			provider.on("synced", (value) => synced.push(value));
			provider.destroy();
			expect([provider.synced, synced]).toEqual([false, [false]]);
		} finally {
			process.off("uncaughtException", onUncaught);
			provider.destroy();
			await conn.dispose();
		}
	}, 30_000);
});
