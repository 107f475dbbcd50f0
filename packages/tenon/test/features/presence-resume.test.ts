// Presence lives with the socket (ConnSocket.presence). When a connection
// resumed on a new socket, the old socket's presence was dropped without
// telling the others; when the connection then went without setting presence
// again, no leave was sent: the others showed the departed connection for
// good, while a newcomer's snapshot did not have it (a review, 2026-11-26).
// The presence moves with the connection to its new socket.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const room = actor({
	state: {},
	createConnState: (_c, params: { name: string }) => ({ name: params?.name ?? "anon" }),
	presence: { identify: (conn) => ({ name: conn.state.name }) },
	actions: { ping: () => "pong" },
});
const registry = setup({ use: { room }, logLevel: "silent" });

describe("presence across a resume", () => {
	it("a connection that resumed and then left is gone from everyone's presence", async () => {
		await using t = await setupTest(registry);
		const bob = t.client.room.getOrCreate("r", { params: { name: "bob" } }).connect();
		let bobSees: ReadonlyMap<string, unknown> = new Map();
		bob.onPresence((all) => {
			bobSees = all;
		});
		const url = `${t.url.replace(/^http/, "ws")}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=r`;
		const params = `rivet_conn_params.${encodeURIComponent(JSON.stringify({ name: "eve" }))}`;
		const token = `rivet_conn_token.${"e".repeat(40)}`;
		const first = await rawSocket(url, ["rivet", "rivet_encoding.json", params, token]);
		await expect.poll(() => first.decoded().length).toBe(1);
		const connectionId = first.decoded()[0].body.val.connectionId as string;
		first.ws.send(
			JSON.stringify({
				body: { tag: "ActionRequest", val: { id: 1, name: "tenon.presence", args: [{ x: 1 }] } },
			}),
		);
		await expect.poll(() => bobSees.has(connectionId)).toBe(true);
		// Eve resumes on a new socket (the old one is closed: conn.resumed_elsewhere)...
		const second = await rawSocket(url, [
			"rivet",
			"rivet_encoding.json",
			params,
			token,
			`rivet_conn.${connectionId}`,
		]);
		await expect.poll(() => second.decoded().length).toBe(1);
		await first.closed;
		// Still there for everyone, a newcomer too.
		const dave = t.client.room.getOrCreate("r", { params: { name: "dave" } }).connect();
		let daveSees: ReadonlyMap<string, unknown> = new Map();
		dave.onPresence((all) => {
			daveSees = all;
		});
		await expect.poll(() => daveSees.has(connectionId)).toBe(true);
		expect(bobSees.has(connectionId)).toBe(true);
		await dave.dispose();
		// ...and leaves for good.
		second.ws.close();
		await second.closed;
		await t.settle();
		// A newcomer does not see Eve.
		const carol = t.client.room.getOrCreate("r", { params: { name: "carol" } }).connect();
		let carolSees: ReadonlyMap<string, unknown> | undefined;
		carol.onPresence((all) => {
			carolSees = all;
		});
		await expect.poll(() => carolSees !== undefined).toBe(true);
		await new Promise((resolve) => setTimeout(resolve, 300));
		const bobStillSeesEve = bobSees.has(connectionId);
		const carolSeesEve = carolSees?.has(connectionId);
		await bob.dispose();
		await carol.dispose();
		expect({ bobStillSeesEve, carolSeesEve }).toEqual({
			bobStillSeesEve: false,
			carolSeesEve: false,
		});
	}, 20_000);
});
