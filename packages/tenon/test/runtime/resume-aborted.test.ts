// Regression (an attacker probe, 2026-11-27): a resume whose socket closed while the connect
// hooks ran still took the connection. Its old socket, still working, was closed with
// `conn.resumed_elsewhere`, and since the new socket was gone the connection was closed for
// good: onDisconnect ran, the record was deleted, and the client's next resume got a new
// connection with new conn state. After a restart, one resume cut short deleted a stored
// connection at once instead of leaving it to wait `connectionResumeTimeout`. Now a resume
// whose socket is gone by then leaves the connection as it was.

import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { rawSocket } from "../helpers/raw.js";

const log: string[] = [];
const desk = actor({
	state: {},
	createConnState: (_c, params: { name: string }) => ({ name: params.name, count: 0 }),
	// Slow enough for a client to go away while it runs.
	onBeforeConnect: async () => {
		await new Promise((resolve) => setTimeout(resolve, 50));
	},
	onConnect: (c, conn) => {
		log.push(`connect:${(conn.state as { name: string }).name}`);
		void c;
	},
	onDisconnect: (c, conn) => {
		log.push(`disconnect:${(conn.state as { name: string }).name}`);
		void c;
	},
	actions: {
		bump: (c) => ++(c.conn.state as { count: number }).count,
	},
});
const registry = setup({ use: { desk }, logLevel: "silent" });

const call = (id: number) =>
	JSON.stringify({ body: { tag: "ActionRequest", val: { id, name: "bump", args: [] } } });

type Drop = "reset" | "close frame" | "frame over the limit";

/** A client frame (masked, with a zero key: the payload as it is). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
	const length = payload.byteLength;
	const head =
		length < 126
			? Buffer.from([0x80 | opcode, 0x80 | length])
			: Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigLength(length)]);
	return Buffer.concat([head, Buffer.alloc(4), payload]);
}

function bigLength(length: number): Buffer {
	const bytes = Buffer.alloc(8);
	bytes.writeBigUInt64BE(BigInt(length));
	return bytes;
}

/**
 * Opens a socket with these protocols and, once the upgrade is answered, drops it: a TCP reset,
 * a close frame, or a frame over the server's limit (the server then closes it, 1009). For the
 * last two the TCP connection stays open, as a client that never answers the close leaves it:
 * `ws` reports such a close only when TCP ends (up to 30 s later), which left the window open.
 */
async function openAndDrop(url: string, protocols: string[], how: Drop): Promise<() => void> {
	const target = new URL(url);
	const socket = connect({ host: target.hostname, port: Number(target.port), allowHalfOpen: true });
	socket.on("error", () => {});
	await new Promise<void>((resolve) => socket.once("connect", resolve));
	socket.write(
		`GET ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: ${randomBytes(16).toString("base64")}\r\nsec-websocket-protocol: ${protocols.join(", ")}\r\n\r\n`,
	);
	await new Promise<void>((resolve) => socket.once("data", () => resolve()));
	if (how === "reset") socket.resetAndDestroy();
	else if (how === "close frame") socket.write(clientFrame(0x8, Buffer.from([0x03, 0xe8])));
	else socket.write(clientFrame(0x1, Buffer.alloc(70 * 1024, 0x78)));
	return () => socket.destroy();
}

describe("a resume whose socket closes while the connect hooks run", () => {
	for (const [when, how] of [
		["while the old socket is open", "reset"],
		["while the old socket is open", "close frame"],
		["while the old socket is open", "frame over the limit"],
		["after a restart", "reset"],
		["after a restart", "close frame"],
	] as const) {
		it(`leaves the connection as it was (${when}, ${how})`, async () => {
			log.length = 0;
			await using t = await setupTest(registry);
			const url = () =>
				`${t.url.replace(/^http/, "ws")}/gateway/desk/connect?rvt-method=getOrCreate&rvt-key=d`;
			const protocols = [
				"rivet",
				"rivet_encoding.json",
				`rivet_conn_params.${encodeURIComponent(JSON.stringify({ name: "alice" }))}`,
				`rivet_conn_token.${"s".repeat(40)}`,
			];
			const first = await rawSocket(url(), protocols);
			await expect.poll(() => first.decoded().length).toBe(1);
			const connectionId = first.decoded()[0].body.val.connectionId as string;
			first.ws.send(call(1));
			await expect.poll(() => first.decoded().length).toBe(2);
			expect(first.decoded()[1].body.val.output).toBe(1);
			const resuming = [...protocols, `rivet_conn.${connectionId}`];
			if (when === "after a restart") {
				first.ws.terminate();
				await t.restart();
			}
			const release = await openAndDrop(url(), resuming, how);
			await new Promise((resolve) => setTimeout(resolve, 300));
			if (when === "while the old socket is open") {
				// The old socket still works, on the same connection.
				first.ws.send(call(2));
				await expect.poll(() => first.decoded().length).toBe(3);
				expect(first.decoded()[2].body.val.output).toBe(2);
				expect(log).toEqual(["connect:alice"]);
			}
			const again = await rawSocket(url(), resuming);
			await expect.poll(() => again.decoded().length).toBe(1);
			expect(again.decoded()[0].body).toMatchObject({ tag: "Init", val: { connectionId } });
			again.ws.send(call(3));
			await expect.poll(() => again.decoded().length).toBe(2);
			expect(again.decoded()[1].body.val.output).toBe(when === "after a restart" ? 2 : 3);
			expect(log).toEqual(["connect:alice"]);
			if (when === "while the old socket is open")
				expect(await first.closed).toEqual({ code: 1000, reason: "conn.resumed_elsewhere" });
			again.ws.close();
			release();
		});
	}
});
