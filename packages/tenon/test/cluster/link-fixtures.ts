// A scripted owner node and a held socket as a holder keeps it, for tests of connection links
// (cluster/conn-links.ts) over real sockets.
import { createServer, type Server } from "node:http";
import { afterEach } from "vitest";
import { WebSocketServer } from "ws";
import { createConnectionLinks } from "../../src/cluster/conn-links.js";
import { createLogger } from "../../src/common/logger.js";
import {
	decodeToServer,
	encodeToClient,
	type ToClient,
	type ToServer,
} from "../../src/protocol/messages.js";
import { ConnSocket } from "../../src/runtime/connections/conn-socket.js";
import type { SocketHandle, SocketOwner } from "../../src/runtime/connections/held-socket.js";
import type { ClusterMembership } from "../../src/storage/interfaces.js";

const servers: Server[] = [];
afterEach(() => {
	for (const server of servers.splice(0)) {
		server.closeAllConnections();
		server.close();
	}
});

/** What the owner does with each message it reads on the link. */
export type OwnerScript = (
	message: ToServer,
	reply: (m: ToClient) => void,
	end: (code: number, reason?: string) => void,
) => void;

/** A scripted owner node: accepts a link, answers Init, then follows `script`. */
export async function owner(
	script: OwnerScript,
): Promise<{ address: string; received: ToServer[] }> {
	const received: ToServer[] = [];
	const http = createServer();
	servers.push(http);
	const wss = new WebSocketServer({ server: http });
	wss.on("connection", (ws) => {
		ws.send(encodeToClient("json", { tag: "Init", actorId: "actor-1", connectionId: "conn-1" }));
		ws.on("message", (data: Buffer) => {
			const decoded = decodeToServer("json", data.toString("utf8"), 1024);
			if (!decoded.ok) throw new Error("the holder sent a frame that does not decode");
			received.push(decoded.message);
			script(
				decoded.message,
				(m) => ws.send(encodeToClient("json", m)),
				(code, reason = "actor.hibernating") => ws.close(code, reason),
			);
		});
	});
	await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
	return { address: `http://127.0.0.1:${(http.address() as { port: number }).port}`, received };
}

/** The holder's side: a held `/connect` socket whose client frames are recorded. */
export function heldSocket(budget?: {
	holdCall(bytes: number): void;
	releaseCall(bytes: number): void;
}) {
	const toClient: string[] = [];
	const wakes: SocketHandle[] = [];
	const registry: SocketOwner = { wakeFor: (socket) => wakes.push(socket), forget: () => {} };
	const transport = {
		encoding: "json" as const,
		send: (frame: string | Uint8Array) => toClient.push(String(frame)),
		close: () => {},
		...budget,
	};
	const socket = new ConnSocket("actor-1", transport, registry, 64);
	socket.connId = "conn-1";
	return { socket, toClient, wakes };
}

export function links() {
	const membership = { nodeId: "holder", peerSecret: "s" } as unknown as ClusterMembership;
	return createConnectionLinks(membership, createLogger({ level: "silent" }));
}

export const say = (id: number): ToServer => ({
	tag: "ActionRequest",
	id,
	name: "say",
	args: [id],
});
