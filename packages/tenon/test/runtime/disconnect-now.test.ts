// `conn.disconnect()` ends the connection for the actor at once: `c.conns` no longer lists it
// and `onDisconnect` runs, whether or not its client answers the close. Before 2026-11-29 both
// waited for the client's side of the close handshake: a client that paused reading stayed in
// `c.conns` (and received broadcasts) until the close timed out, and a test that checked
// `c.conns` once its client had gone idle failed under load.
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const left: string[] = [];

const room = actor({
	state: {},
	createConnState: (_c, params: { name?: string } | undefined) => ({ name: params?.name ?? "?" }),
	onDisconnect: (_c, conn) => {
		left.push(conn.state.name);
	},
	actions: {
		kick: (c, name: string) => {
			for (const conn of c.conns.values()) if (conn.state.name === name) conn.disconnect("kicked");
		},
		online: (c) => [...c.conns.values()].map((conn) => conn.state.name),
	},
});

it("a disconnected connection leaves c.conns at once, though its client does not answer the close", async () => {
	await using t = await setupTest(setup({ use: { room }, logLevel: "silent" }));
	const admin = t.client.room.getOrCreate("r", { params: { name: "admin" } }).connect();
	const params = encodeURIComponent(JSON.stringify({ name: "mute" }));
	const mute = await rawSocket(
		`${t.url.replace(/^http/, "ws")}/gateway/room/connect?rvt-method=getOrCreate&rvt-key=r`,
		["rivet", "rivet_encoding.json", `rivet_conn_params.${params}`],
	);
	await expect.poll(() => admin.online()).toEqual(expect.arrayContaining(["admin", "mute"]));
	// The client reads nothing more: it never answers the server's close frame.
	(mute.ws as unknown as { _socket: { pause(): void } })._socket.pause();
	await admin.kick("mute");
	await expect.poll(() => admin.online()).toEqual(["admin"]);
	expect(left).toEqual(["mute"]);
	mute.ws.terminate();
	await admin.dispose();
});
