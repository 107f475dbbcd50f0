// Editor bindings resolve the others' `cursor: { anchor, head }` as Yjs relative positions,
// read from the JSON as it came: a head without `item` crashed y-codemirror.next's cursor plugin
// on every reader's page, and all other cursors disappeared until a reload (an attacker probe,
// 2026-11-29). Malformed positions are refused; with `awarenessUser`, the states passed on carry
// every field of their positions.
import * as decoding from "lib0/decoding";
import { describe, expect, it } from "vitest";
import { setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { yjsActor } from "../../src/yjs/index.js";
import { awarenessOf } from "./fixtures.js";

const named = yjsActor({
	createConnState: (_c, params: { user: string }) => ({ user: params.user }),
	awarenessUser: (conn) => ({ name: conn.state.user }),
});
const plain = yjsActor({});
const registry = setup({ use: { named, plain }, logLevel: "silent" });

/** The states an awareness snapshot holds, by client id. */
function statesOf(update: Uint8Array | null): Map<number, unknown> {
	const states = new Map<number, unknown>();
	if (update === null) return states;
	const decoder = decoding.createDecoder(update);
	for (let n = decoding.readVarUint(decoder); n > 0; n--) {
		const id = decoding.readVarUint(decoder);
		decoding.readVarUint(decoder);
		states.set(id, JSON.parse(decoding.readVarString(decoder)));
	}
	return states;
}

const codemirror = {
	anchor: { type: null, tname: "text", item: { client: 7, clock: 3 }, assoc: 0 },
	head: { type: null, tname: "text", item: null, assoc: -1 },
};

describe("awareness cursors", () => {
	it("refuses positions no binding can resolve, takes the bindings' own and other shapes", async () => {
		await using t = await setupTest(registry);
		const eve = t.client.named.getOrCreate("d", { params: { user: "eve" } }).connect();
		for (const cursor of [
			{ anchor: codemirror.anchor, head: { assoc: 0 } },
			{ anchor: codemirror.anchor, head: { tname: null, item: null, type: null, assoc: 0 } },
			{ anchor: codemirror.anchor },
			{ anchor: { tname: 7, assoc: 0 }, head: codemirror.head },
			{ anchor: { item: { client: -1, clock: 0 } }, head: codemirror.head },
			{ anchor: { item: { client: "1", clock: 0 } }, head: codemirror.head },
			{ anchor: { tname: "text", assoc: 0.5 }, head: codemirror.head },
			{ anchor: "text", head: codemirror.head },
		])
			await expect(eve.yjsAwareness(awarenessOf(501, { cursor }))).rejects.toMatchObject({
				group: "request",
				code: "invalid_yjs_message",
			});
		let clock = 1;
		for (const cursor of [
			codemirror,
			// y-prosemirror's JSON leaves nulls out.
			{
				anchor: { type: { client: 1, clock: 0 }, item: { client: 7, clock: 3 } },
				head: { tname: "prosemirror" },
			},
			{ x: 10, y: 20 },
			null,
		])
			await eve.yjsAwareness(awarenessOf(501, { cursor }, clock++));
		await eve.dispose();
	});

	it("passes on every field of a position where the server writes the states (awarenessUser)", async () => {
		await using t = await setupTest(registry);
		const eve = t.client.named.getOrCreate("e", { params: { user: "eve" } }).connect();
		const ann = t.client.named.getOrCreate("e", { params: { user: "ann" } }).connect();
		await eve.yjsAwareness(
			awarenessOf(601, {
				cursor: { anchor: { tname: "text" }, head: { item: { client: 7, clock: 3 }, assoc: 1 } },
			}),
		);
		expect(statesOf(await ann.yjsAwarenessSnapshot()).get(601)).toEqual({
			cursor: {
				anchor: { type: null, tname: "text", item: null, assoc: 0 },
				head: { type: null, tname: null, item: { client: 7, clock: 3 }, assoc: 1 },
			},
			user: { name: "eve" },
		});
		await eve.dispose();
		await ann.dispose();
	});

	// A review of the first version: only actors with awarenessUser wrote the states again, and
	// a `yjsActor({})` passed `{ tname }` positions on as they came, which crash y-codemirror.next.
	it("passes on every field of a position without awarenessUser too", async () => {
		await using t = await setupTest(registry);
		const eve = t.client.plain.getOrCreate("f").connect();
		const ann = t.client.plain.getOrCreate("f").connect();
		const passed: Uint8Array[] = [];
		ann.on("yjsAwareness", (update) => passed.push(update));
		await ann.yjsAwarenessSnapshot();
		const partial = { anchor: { tname: "codemirror" }, head: { tname: "codemirror" } };
		await eve.yjsAwareness(awarenessOf(701, { cursor: partial }));
		const whole = { type: null, tname: "codemirror", item: null, assoc: 0 };
		const expected = { cursor: { anchor: whole, head: whole } };
		expect(statesOf(await ann.yjsAwarenessSnapshot()).get(701)).toEqual(expected);
		await expect.poll(() => passed.length).toBeGreaterThan(0);
		expect(statesOf(passed.at(-1) ?? null).get(701)).toEqual(expected);
		// A whole one passes as it came.
		await eve.yjsAwareness(awarenessOf(701, { cursor: { anchor: whole, head: whole }, n: 1 }, 2));
		await expect.poll(() => statesOf(passed.at(-1) ?? null).get(701)).toMatchObject({ n: 1 });
		await eve.dispose();
		await ann.dispose();
	});
});
