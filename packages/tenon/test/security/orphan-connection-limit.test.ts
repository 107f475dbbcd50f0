// maxConnectionsPerActor counts connections that wait to be resumed after a restart
// (orphans): they were not counted, so new connections filled the actor to its limit while
// they waited and their clients' resumes then took it past it (a note, 2026-11-26).
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { type RawSocket, rawSocket } from "../helpers/raw.js";

const room = actor({
	state: {},
	createConnState: () => ({}),
	actions: { online: (c) => c.conns.size },
});
const registry = setup({
	use: { room },
	logLevel: "silent",
	limits: { maxConnectionsPerActor: 2 },
});

const TOKEN = "t".repeat(32);

/** A bare client (no reconnect logic): connection `id` with its token resumes one. */
function open(url: string, id?: string): Promise<RawSocket> {
	const ws = `${url.replace(/^http/, "ws")}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=r`;
	const protocols = ["rivet", "rivet_encoding.json", `rivet_conn_token.${TOKEN}`];
	if (id !== undefined) protocols.push(`rivet_conn.${id}`);
	return rawSocket(ws, protocols);
}

function initOf(socket: RawSocket): { connectionId: string } | undefined {
	return socket.decoded().find((m) => m.body?.tag === "Init")?.body.val;
}

describe("maxConnectionsPerActor and connections awaiting their clients after a restart", () => {
	it("counts them: a new connection is refused, their own clients resume", async () => {
		await using t = await setupTest(registry);
		const first = await open(t.url);
		const second = await open(t.url);
		await expect.poll(() => initOf(first) !== undefined && initOf(second) !== undefined).toBe(true);
		const ids = [initOf(first)?.connectionId, initOf(second)?.connectionId] as string[];
		await t.restart();
		await first.closed;
		await second.closed;
		// Both stored connections wait for their clients: a third client is one too many.
		const third = await open(t.url);
		let refused: unknown;
		void third.closed.then((how) => {
			refused = how;
		});
		await expect
			.poll(() => (initOf(third) === undefined ? refused : "opened"))
			.toEqual({ code: 1013, reason: "limit.too_many_connections" });
		// Their clients come back: both resume (a resume takes no new place).
		const resumed = await Promise.all(ids.map((id) => open(t.url, id)));
		await expect.poll(() => resumed.map((socket) => initOf(socket)?.connectionId)).toEqual(ids);
		expect(await t.client.room.getOrCreate("r").online()).toBe(2);
		for (const socket of resumed) socket.ws.close();
	});
});
