// Awareness (cursors, names) a connection sends goes to every connection of
// the document, and a snapshot of everyone's is one call: the count and size
// of a connection's own states were bounded, their rate not. One reader
// sending 8 KiB cursors as fast as it could, in a document of 100
// connections, made the server send 200 MB a second and kept the event loop
// 90% busy; one asking for a 640 KB snapshot again and again kept it 95% busy
// (an attacker probe, 2026-11-26). What a connection's awareness makes the
// server send is charged to its bucket and the actor's (awareness-fanout.ts);
// past them, `limit/yjs_awareness_too_fast`, and the provider sends its latest
// state after the wait.
import { describe, expect, it } from "vitest";
import { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { TenonYjsProvider } from "../../src/yjs/index.js";
import { type RawSocket, rawSocket } from "../helpers/raw.js";
import { note, rawAwareness } from "./fixtures.js";

const registry = setup({ use: { note }, logLevel: "silent" });
const subscribe = JSON.stringify({
	body: { tag: "SubscriptionRequest", val: { eventName: "yjsAwareness", subscribe: true } },
});

/**
 * `count` raw connections to the document, open (their Init came: an open socket whose
 * connect hooks still ran was not counted yet, and a crowd smaller than asked for let more
 * through on a loaded machine), subscribed to awareness and not reading.
 */
async function listeners(url: string, count: number): Promise<RawSocket[]> {
	const sockets: RawSocket[] = [];
	for (let i = 0; i < count; i++) {
		const socket = await rawSocket(url, []);
		socket.ws.send(subscribe);
		sockets.push(socket);
	}
	await expect
		.poll(() => sockets.every((socket) => socket.decoded().some((m) => m.body?.tag === "Init")))
		.toBe(true);
	return sockets;
}

/** Counts what `calls` settle with: `ok`, or the error's `group/code`. */
async function outcomes(calls: Promise<unknown>[]): Promise<Map<string, number>> {
	const counts = new Map<string, number>();
	for (const result of await Promise.allSettled(calls)) {
		const key =
			result.status === "fulfilled"
				? "ok"
				: `${(result.reason as { group?: string }).group}/${(result.reason as { code?: string }).code}`;
		counts.set(key, (counts.get(key) ?? 0) + 1);
	}
	return counts;
}

describe("awareness floods", () => {
	it("sends a connection's awareness to a crowd at a bounded rate", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace("http", "ws")}/gateway/note/connect?rvt-method=getOrCreate&rvt-key=crowd`;
		const crowd = await listeners(url, 60);
		// A reader: it may not edit, but may show a cursor.
		const eve = t.client.note.getOrCreate("crowd", { params: { user: "guest" } }).connect();
		const pad = "x".repeat(8_000);
		const sent: Promise<unknown>[] = [];
		const started = performance.now();
		for (let clock = 1; clock <= 200; clock++)
			sent.push(eve.yjsAwareness(rawAwareness([[4242, clock, JSON.stringify({ pad, clock })]])));
		const counts = await outcomes(sent);
		// Each went to 61 connections, 0.5 MB: a burst of 4 MiB passes about 8, and the bucket's
		// refill (2 MiB a second) about 4 a second more (before, all 200: 100 MB sent for one
		// connection's cursor).
		const seconds = (performance.now() - started) / 1000;
		expect(counts.get("ok") ?? 0).toBeGreaterThan(0);
		expect(counts.get("ok") ?? 0).toBeLessThan(12 + 4 * seconds);
		expect(counts.get("limit/yjs_awareness_too_fast")).toBe(200 - (counts.get("ok") ?? 0));
		// A refusal says how long to wait (one taken from the burst: a call made after it could
		// come once the bucket refilled, on a loaded machine).
		const refused = (await Promise.allSettled(sent)).find((result) => result.status === "rejected")
			?.reason as unknown;
		expect(refused).toMatchObject({ group: "limit", code: "yjs_awareness_too_fast" });
		expect(
			(refused as { metadata: { retryAfterMs: number } }).metadata.retryAfterMs,
		).toBeGreaterThan(0);
		for (const socket of crowd) socket.ws.terminate();
		await eve.dispose();
	}, 30_000);

	it("answers a connection's snapshots of a crowd's awareness at a bounded rate", async () => {
		await using t = await setupTest(registry);
		const members = [];
		for (let i = 0; i < 20; i++) {
			const member = t.client.note
				.getOrCreate("snapshots", { params: { user: `u${i}` } })
				.connect();
			const states: [number, number, string][] = [0, 1, 2, 3].map((k) => [
				10_000 + i * 10 + k,
				1,
				JSON.stringify({ pad: "y".repeat(8_000) }),
			]);
			await member.yjsAwareness(rawAwareness(states));
			members.push(member);
		}
		const eve = t.client.note.getOrCreate("snapshots", { params: { user: "guest" } }).connect();
		const started = performance.now();
		const counts = await outcomes(Array.from({ length: 60 }, () => eve.yjsAwarenessSnapshot()));
		// 640 KB each: a burst of 4 MiB answers about 6, the refill about 3 a second more
		// (before, all 60: 38 MB).
		const seconds = (performance.now() - started) / 1000;
		expect(counts.get("ok") ?? 0).toBeGreaterThan(0);
		expect(counts.get("ok") ?? 0).toBeLessThan(10 + 4 * seconds);
		expect(counts.get("limit/yjs_awareness_too_fast")).toBe(60 - (counts.get("ok") ?? 0));
		// Another connection asks for its own: not refused for eve's.
		const newcomer = t.client.note.getOrCreate("snapshots", { params: { user: "ann" } }).connect();
		expect((await newcomer.yjsAwarenessSnapshot())?.byteLength).toBeGreaterThan(600_000);
		for (const member of members) await member.dispose();
		await eve.dispose();
		await newcomer.dispose();
	}, 30_000);

	it("lets a provider refused for its rate send its latest state after the wait", async () => {
		await using t = await setupTest(registry);
		const url = `${t.url.replace("http", "ws")}/gateway/note/connect?rvt-method=getOrCreate&rvt-key=latest`;
		const crowd = await listeners(url, 60);
		const ann = new TenonYjsProvider(
			new Y.Doc(),
			t.client.note.getOrCreate("latest", { params: { user: "ann" } }).connect(),
		);
		const bobDoc = new Y.Doc();
		const bob = new TenonYjsProvider(
			bobDoc,
			t.client.note.getOrCreate("latest", { params: { user: "bob" } }).connect(),
			{ awareness: new Awareness(bobDoc) },
		);
		await ann.whenSynced();
		await bob.whenSynced();
		const pad = "z".repeat(8_000);
		for (let n = 1; n <= 100; n++) ann.awareness.setLocalState({ pad, n });
		await expect
			.poll(() => (bob.awareness.getStates().get(ann.doc.clientID) as { n?: number })?.n, {
				timeout: 10_000,
			})
			.toBe(100);
		ann.destroy();
		bob.destroy();
		for (const socket of crowd) socket.ws.terminate();
	}, 30_000);
});
