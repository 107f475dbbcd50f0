// TCP connections a node takes: in all (`limits.maxSockets`, Node's own `server.maxConnections`)
// and per client address (`limits.maxSocketsPerAddress`). WebSockets had their limits at the
// upgrade, but a plain connection counted nowhere: one address holding thousands of idle or
// keep-alive connections took every descriptor the process may open (20,000 here, 2026-11-27),
// and every other client's connection then waited in the kernel's backlog and timed out.

import type { Server } from "node:http";
import type { Socket } from "node:net";

export interface SocketLimits {
	maxSockets: number;
	maxSocketsPerAddress: number;
}

/**
 * Limits the connections `server` accepts. `limitKey` says what a peer counts under (undefined:
 * not limited per address). A connection past a limit is closed as soon as it is accepted,
 * before anything is read from it.
 */
export function limitSockets(
	server: Server,
	limits: SocketLimits,
	limitKey: (address: string | undefined) => string | undefined,
): void {
	if (limits.maxSockets > 0 && Number.isFinite(limits.maxSockets))
		server.maxConnections = limits.maxSockets;
	const perAddress = limits.maxSocketsPerAddress;
	if (!(perAddress > 0) || !Number.isFinite(perAddress)) return;
	const open = new Map<string, number>();
	server.on("connection", (socket: Socket) => {
		const key = limitKey(socket.remoteAddress);
		if (key === undefined) return;
		const count = open.get(key) ?? 0;
		if (count >= perAddress) {
			socket.destroy();
			return;
		}
		open.set(key, count + 1);
		socket.once("close", () => {
			const left = (open.get(key) ?? 1) - 1;
			if (left === 0) open.delete(key);
			else open.set(key, left);
		});
	});
}
