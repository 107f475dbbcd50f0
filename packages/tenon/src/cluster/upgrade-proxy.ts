import type { IncomingMessage } from "node:http";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import type { UpgradeDecision } from "../server/websocket.js";
import { isConnectFailure, ownerAddress } from "./forward.js";
import {
	CALL_DEPTH_HEADER,
	CLUSTER_HEADERS,
	FORWARDED_FOR_HEADER,
	FORWARDED_HOST_HEADER,
	FORWARDED_INTERNAL_HEADER,
	HOPS_HEADER,
	PEER_HEADER,
} from "./headers.js";

/**
 * Passes a WebSocket upgrade through to the node that owns the actor: opens
 * a TCP connection to it, replays the upgrade request (with the hop header),
 * then pipes bytes both ways. Frames, sub-protocols and close codes pass
 * unchanged. If the owner cannot be reached (or has no address yet) before
 * `retryUntil`, `retry` is called (after a short pause) to decide again: the
 * owner may have died and the actor may now be taken over here; after it,
 * `giveUp` answers the client.
 */
export function passUpgradeThrough(
	req: IncomingMessage,
	socket: Duplex,
	head: Buffer,
	target: Omit<Extract<UpgradeDecision, { kind: "proxy" }>, "kind">,
	retry: () => void,
	giveUp: () => void,
): void {
	const notReached = () => {
		if (Date.now() < target.retryUntil) setTimeout(retry, 200);
		else giveUp();
	};
	const url = ownerAddress(target.address);
	if (url === undefined) {
		notReached();
		return;
	}
	const upstream = connect({
		host: url.hostname,
		port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
	});
	let connected = false;
	let release: (() => void) | undefined;
	upstream.once("connect", () => {
		connected = true;
		if (socket.destroyed) {
			upstream.destroy();
			return;
		}
		// The pipe counts as one of this node's sockets (and its client's) while it lasts.
		release = target.hold();
		const lines = [`${req.method ?? "GET"} ${req.url ?? "/"} HTTP/1.1`];
		const raw = req.rawHeaders;
		for (let i = 0; i + 1 < raw.length; i += 2) {
			const name = (raw[i] as string).toLowerCase();
			// Never pass on what a client claims in the cluster's own headers.
			if (name === "host" || CLUSTER_HEADERS.includes(name)) continue;
			lines.push(`${raw[i]}: ${raw[i + 1]}`);
		}
		// The Host the client sent, so the owner shows actor code the URL it asked for.
		const entryHost = target.entryHost ?? req.headers.host;
		if (entryHost !== undefined)
			lines.push(`${FORWARDED_HOST_HEADER}: ${entryHost.replace(/[\r\n]/g, "")}`);
		lines.push(
			`Host: ${url.host}`,
			`${HOPS_HEADER}: ${target.hops}`,
			`${PEER_HEADER}: ${target.peerSecret}`,
		);
		if (target.internal) lines.push(`${FORWARDED_INTERNAL_HEADER}: 1`);
		if (target.callDepth > 0) lines.push(`${CALL_DEPTH_HEADER}: ${target.callDepth}`);
		if (target.forwardedFor !== undefined)
			lines.push(`${FORWARDED_FOR_HEADER}: ${target.forwardedFor.replace(/[\r\n]/g, "")}`);
		upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
		if (head.byteLength > 0) upstream.write(head);
		upstream.pipe(socket);
		socket.pipe(upstream);
	});
	upstream.on("error", (error) => {
		if (!connected && isConnectFailure(error)) notReached();
		else socket.destroy();
	});
	upstream.on("close", () => {
		if (connected) socket.destroy();
	});
	socket.on("close", () => {
		upstream.destroy();
		release?.();
		release = undefined;
	});
	socket.on("error", () => upstream.destroy());
}
