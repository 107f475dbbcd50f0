import { describe, expect, it } from "vitest";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { yjsActor } from "../../src/yjs/index.js";
import { rawAwareness } from "./fixtures.js";

const note = yjsActor({
	actions: {
		awarenessCount: (c) => c.vars.document.awareness.states.size,
		awarenessMeta: (c) => c.vars.document.awareness.meta.size,
	},
});
const registry = setup({ use: { note }, logLevel: "silent" });

describe("awareness updates apply whole or not at all", () => {
	it("a refused awareness update leaves nothing behind, and one connection holds at most 4 awareness states", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("aw-partial");
		const attacker = handle.connect();
		const big = JSON.stringify({ user: { name: "x".repeat(8_000) } });
		const codes = new Set<string>();
		let next = 1_000_000;
		for (let i = 0; i < 40; i++) {
			const update = rawAwareness([
				[next++, 1, big],
				[next++, 1, big],
				[next++, 1, big],
				[next++, 1, "{not json"],
			]);
			try {
				await attacker.yjsAwareness(update);
				codes.add("applied");
			} catch (error) {
				codes.add(`${(error as { group?: string }).group}/${(error as { code?: string }).code}`);
			}
		}
		// Every one was refused as malformed...
		expect([...codes]).toEqual(["request/invalid_yjs_message"]);
		const held = await handle.awarenessCount();
		const snapshot = await attacker.yjsAwarenessSnapshot();
		await attacker.dispose();
		const afterLeave = await handle.awarenessCount();
		// ...so nothing of them may stay: no states, no snapshot, nothing after the connection went.
		expect({ held, snapshotBytes: snapshot?.byteLength ?? 0, afterLeave }).toEqual({
			held: 0,
			snapshotBytes: 0,
			afterLeave: 0,
		});
	}, 20_000);

	it("one connection's refused updates cannot make everyone's awareness snapshot too large to send", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("aw-deny");
		const attacker = handle.connect();
		const big = JSON.stringify({ user: { name: "x".repeat(8_000) } });
		let next = 2_000_000;
		for (let i = 0; i < 60; i++)
			await attacker
				.yjsAwareness(
					rawAwareness([
						[next++, 1, big],
						[next++, 1, big],
						[next++, 1, big],
						[next++, 1, "{"],
					]),
				)
				.catch(() => {});
		// An honest client opening the document asks for everyone's cursors.
		const honest = handle.connect();
		let outcome = "ok";
		try {
			await honest.yjsAwarenessSnapshot();
		} catch (error) {
			outcome = `${(error as { group?: string }).group}/${(error as { code?: string }).code}`;
		}
		await attacker.dispose();
		await honest.dispose();
		expect(outcome).toBe("ok");
	}, 20_000);

	it("an update naming more clients than a connection may announce is refused before any is read", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.note.getOrCreate("aw-many");
		const conn = handle.connect();
		const entries = [1, 2, 3, 4, 5].map((n): [number, number, string] => [3_000_000 + n, 1, "{}"]);
		await expect(conn.yjsAwareness(rawAwareness(entries))).rejects.toMatchObject({
			group: "limit",
			code: "too_many_awareness_clients",
		});
		expect(await handle.awarenessCount()).toBe(0);
		await conn.dispose();
	});
});
