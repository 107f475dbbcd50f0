// TCP connections a node takes: in all (`limits.maxSockets`, Node's own `server.maxConnections`)
// and per client address (`limits.maxSocketsPerAddress`). WebSockets had their limits at the
// upgrade, but a plain connection counted nowhere: one address holding thousands of idle or
// keep-alive connections took every descriptor the process may open (20,000 here, 2026-11-27),
// and every other client's connection then waited in the kernel's backlog and timed out.

import type { Server } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../common/logger.js";

/** Refusals are logged at most this often, with their count since the last log (ms). */
const REFUSALS_LOGGED_EVERY_MS = 60_000;

export interface SocketLimits {
	maxSockets: number;
	maxSocketsPerAddress: number;
}

/**
 * Limits the connections `server` accepts. `limitKey` says what a peer counts under (undefined:
 * not limited per address). A connection past a limit is closed as soon as it is accepted,
 * before anything is read from it, and `logger` hears of it (a warning a minute at most).
 */
export function limitSockets(
	server: Server,
	limits: SocketLimits,
	limitKey: (address: string | undefined) => string | undefined,
	logger?: Logger,
): void {
	const refusals = { node: 0, address: 0, loggedAt: Number.NEGATIVE_INFINITY };
	const refused = (limit: "node" | "address") => {
		refusals[limit]++;
		const now = performance.now();
		if (logger === undefined || now - refusals.loggedAt < REFUSALS_LOGGED_EVERY_MS) return;
		logger.warn("connections refused at a limit", {
			maxSockets: refusals.node,
			maxSocketsPerAddress: refusals.address,
		});
		refusals.node = refusals.address = 0;
		refusals.loggedAt = now;
	};
	if (limits.maxSockets > 0 && Number.isFinite(limits.maxSockets)) {
		server.maxConnections = limits.maxSockets;
		server.on("drop", () => refused("node"));
	}
	const perAddress = limits.maxSocketsPerAddress;
	if (!(perAddress > 0) || !Number.isFinite(perAddress)) return;
	const open = new Map<string, number>();
	server.on("connection", (socket: Socket) => {
		const key = limitKey(socket.remoteAddress);
		if (key === undefined) return;
		const count = open.get(key) ?? 0;
		if (count >= perAddress) {
			socket.destroy();
			refused("address");
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
