// Regression (a walkthrough, 2026-11-28): one action whose argument was over
// the server's incoming message limit (64 KiB) closed the socket with 1009, as
// it must (the message is not read), and the connection was taken for one
// whose client left: the client reconnected as a new connection, its conn
// state gone. The client is still there; its connection now waits for it and
// resumes, and the oversized call fails with message/incoming_too_long.
import { expect, it } from "vitest";
import { createClient } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const left: string[] = [];
const player = actor({
	state: {},
	createConnState: () => ({ moves: 0 }),
	onDisconnect: (_c, conn) => {
		left.push(conn.id);
	},
	actions: {
		move: (c, _payload: string) => ++c.conn.state.moves,
		me: (c) => ({ id: c.conn.id, moves: c.conn.state.moves }),
	},
});
const registry = setup({ use: { player }, logLevel: "silent" });

it("a connection closed for an oversized message resumes with its conn state", async () => {
	await using t = await setupTest(registry);
	const client = createClient<typeof registry>({
		endpoint: t.url,
		reconnect: { minDelayMs: 20, maxDelayMs: 40 },
	});
	const conn = client.player.getOrCreate("match").connect();
	expect(await conn.move("e4")).toBe(1);
	const before = await conn.me();
	await expect(conn.move("x".repeat(70_000))).rejects.toMatchObject({
		group: "message",
		code: "incoming_too_long",
	});
	// The next call goes out once the connection is back: the same one, its state kept.
	expect(await conn.move("d4")).toBe(2);
	expect(await conn.me()).toEqual({ id: before.id, moves: 2 });
	expect(left).toEqual([]);
	await client.dispose();
});
