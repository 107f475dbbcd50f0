// What an attacker probe of the inspector found (2026-11-28), on a real
// server: the queue view answered every body whole (1,000 bodies of 64 KiB
// control characters: 393 MB, the loop held 5 s per view); a Map with an
// object key (which CBOR carries) made the state unreadable in JSON and a
// broadcast to a JSON connection throw; saving the JSON view of a state
// holding a Map or a Date, even unchanged, broke the actor's code.
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { db } from "../../src/db/index.js";
import { actor, event, queue, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { ADMIN_TOKEN, INSPECTOR_TOKEN } from "./fixture.js";

const bag = actor({
	state: { value: null as unknown },
	createConnState: (_c, params: { note?: string } | undefined) => ({ note: params?.note ?? "" }),
	events: { changed: event<unknown>() },
	queues: { tasks: queue<string>() },
	actions: {
		set: (c, value: unknown) => {
			c.state.value = value;
			c.broadcast("changed", value);
		},
		kind: (c) => Object.prototype.toString.call(c.state.value),
	},
});
const table = actor({
	state: {},
	db: db({ onMigrate: (database) => database.execute("CREATE TABLE t (v TEXT)") }),
	actions: {
		/** `rows` rows of a million control characters each. */
		fill: async (c, rows: number) => {
			for (let i = 0; i < rows; i++)
				await c.db.execute("INSERT INTO t (v) VALUES (?)", "\u0001".repeat(1_000_000));
		},
	},
});
const registry = setup({
	use: { bag, table },
	admin: { token: ADMIN_TOKEN },
	inspector: { token: INSPECTOR_TOKEN },
	logLevel: "silent",
});
const reader = { authorization: `Bearer ${INSPECTOR_TOKEN}` };
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };

describe("inspector: hostile values", () => {
	it("shows the oldest 100 queue messages, their bodies as previews", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.bag.getOrCreate("queue");
		const body = "\u0001".repeat(60_000);
		for (let i = 0; i < 120; i++) await handle.send("tasks", body);
		const id = await handle.resolve();
		const response = await fetch(`${t.url}/inspector/actors/${id}/queue`, { headers: reader });
		const text = await response.text();
		// Whole, 120 bodies of 60,000 control characters were 43 MB of JSON.
		expect(text.length).toBeLessThan(5_000_000);
		const view = JSON.parse(text) as {
			messages: { body: string; cut: boolean }[];
			more: { messages: boolean };
		};
		expect(view.messages).toHaveLength(100);
		expect(view.more.messages).toBe(true);
		expect(view.messages[0]).toMatchObject({ cut: true });
		// The view's fields, not the queue's own bookkeeping (a review, 2026-11-28).
		expect(Object.keys(view.messages[0] ?? {}).sort()).toEqual(
			["body", "createdAt", "cut", "deliveries", "id", "name"].sort(),
		);
		expect(view.messages[0]?.body).toMatch(/…\(\+\d+ chars\)$/);
	});

	it("shows connections' states as previews", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.bag.getOrCreate("conns", { params: { note: "n".repeat(3_000) } });
		const conn = handle.connect();
		await conn.kind();
		const id = await handle.resolve();
		const view = (await (
			await fetch(`${t.url}/inspector/actors/${id}/connections`, { headers: reader })
		).json()) as { connections: { state: { note: string }; stateCut: boolean }[]; more: boolean };
		expect(view.connections[0]?.stateCut).toBe(true);
		expect(view.connections[0]?.state.note.length).toBeLessThan(1_000);
		expect(view.more).toBe(false);
		await conn.dispose();
	});

	it("bounds a row page by its JSON, not its raw characters", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.table.getOrCreate("escapes");
		await handle.fill(20);
		const id = await handle.resolve();
		const response = await fetch(`${t.url}/inspector/actors/${id}/db/rows?table=t&limit=100`, {
			headers: reader,
		});
		const text = await response.text();
		// 20 million control characters were 120 MB of JSON; a page held about 16 MiB of it, and
		// since 2026-11-29 each value is a preview (db/inspector-row-previews.test.ts).
		expect(text.length).toBeLessThan(1_000_000);
		expect(JSON.parse(text)).toMatchObject({ truncated: false });
	}, 60_000);

	it("shows, and sends to JSON connections, a Map whose key is an object", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.bag.getOrCreate("map-keys");
		const listener = setupJsonListener(t.url);
		await listener.ready;
		await handle.set(
			new Map<unknown, string>([
				[{ toString: 1 }, "x"],
				["__proto__", "y"],
				[["a", "b"], "z"],
			]),
		);
		// A `__proto__` key stays a key (a literal here would set the prototype); a key `String`
		// writes is written so, as before.
		expect(await listener.next).toEqual(
			JSON.parse('{"[object]": "x", "__proto__": "y", "a,b": "z"}'),
		);
		const id = await handle.resolve();
		const state = await fetch(`${t.url}/inspector/actors/${id}/state`, { headers: reader });
		expect(state.status).toBe(200);
		listener.close();
	});

	it("refuses to edit a state whose JSON view would lose a Map or a Date, and keeps it", async () => {
		await using t = await setupTest(registry);
		const handle = t.client.bag.getOrCreate("lossy");
		await handle.set({ map: new Map([["a", 1]]) });
		const id = await handle.resolve();
		const url = `${t.url}/inspector/actors/${id}/state`;
		const shown = (await (await fetch(url, { headers: reader })).json()) as { state: unknown };
		const saved = await fetch(url, {
			method: "PUT",
			headers: admin,
			body: JSON.stringify({ state: shown.state }),
		});
		expect(saved.status).toBe(400);
		expect(await saved.json()).toMatchObject({
			group: "inspector",
			code: "state_not_editable",
			metadata: { path: "state.value.map", what: "a Map" },
		});
		await handle.set({ counts: new Int32Array([1, 2, 3]) });
		expect(
			(
				await fetch(url, {
					method: "PUT",
					headers: admin,
					body: JSON.stringify({ state: { value: { counts: { 0: 1, 1: 2, 2: 3 } } } }),
				})
			).status,
		).toBe(400);
		expect(await handle.kind()).toBe("[object Object]");
		await handle.set({ when: new Date(0) });
		expect(
			(
				await fetch(url, {
					method: "PUT",
					headers: admin,
					body: JSON.stringify({ state: { value: { when: "1970-01-01T00:00:00.000Z" } } }),
				})
			).status,
		).toBe(400);
		expect(await handle.kind()).toBe("[object Object]");
		// Plain data stays editable.
		await handle.set({ plain: [1, "two"] });
		const edited = await fetch(url, {
			method: "PUT",
			headers: admin,
			body: JSON.stringify({ state: { value: { plain: [3] } } }),
		});
		expect(edited.status).toBe(200);
	});
});

/** A raw JSON WebSocket subscribed to `changed` on the `map-keys` bag: its next event's argument. */
function setupJsonListener(base: string) {
	const url = new URL(
		`/gateway/bag/connect?rvt-method=getOrCreate&rvt-key=map-keys`,
		base.replace(/^http/, "ws"),
	);
	const ws = new WebSocket(url, ["rivet", "rivet_encoding.json"]);
	let resolveNext: (value: unknown) => void = () => {};
	const next = new Promise<unknown>((resolve) => (resolveNext = resolve));
	const ready = new Promise<void>((resolve) => {
		ws.on("message", (data) => {
			const frame = JSON.parse(String(data)) as {
				body: { tag: string; val: { name?: string; args?: unknown[] } };
			};
			if (frame.body.tag === "Init") {
				ws.send(
					JSON.stringify({
						body: { tag: "SubscriptionRequest", val: { eventName: "changed", subscribe: true } },
					}),
				);
				setTimeout(resolve, 100);
			}
			if (frame.body.tag === "Event") resolveNext(frame.body.val.args?.[0]);
		});
	});
	return { ready, next, close: () => ws.close() };
}
