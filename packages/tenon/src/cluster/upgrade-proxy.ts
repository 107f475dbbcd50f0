import type { IncomingMessage } from "node:http";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import type { UpgradeDecision } from "../server/websocket.js";
import { isConnectFailure } from "./forward.js";
import {
	CLUSTER_HEADERS,
	FORWARDED_FOR_HEADER,
	FORWARDED_INTERNAL_HEADER,
	HOPS_HEADER,
	PEER_HEADER,
} from "./headers.js";

/**
 * Passes a WebSocket upgrade through to the node that owns the actor: opens
 * a TCP connection to it, replays the upgrade request (with the hop header),
 * then pipes bytes both ways. Frames, sub-protocols and close codes pass
 * unchanged. If the owner cannot be reached before `retryUntil`, `retry` is
 * called (after a short pause) to decide again: the owner may have died and
 * the actor may now be taken over here.
 */
export function passUpgradeThrough(
	req: IncomingMessage,
	socket: Duplex,
	head: Buffer,
	target: Omit<Extract<UpgradeDecision, { kind: "proxy" }>, "kind">,
	retry: () => void,
): void {
	const url = new URL(target.address);
	const upstream = connect({
		host: url.hostname,
		port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
	});
	let connected = false;
	upstream.once("connect", () => {
		connected = true;
		const lines = [`${req.method ?? "GET"} ${req.url ?? "/"} HTTP/1.1`];
		const raw = req.rawHeaders;
		for (let i = 0; i + 1 < raw.length; i += 2) {
			const name = (raw[i] as string).toLowerCase();
			// Never pass on what a client claims in the cluster's own headers.
			if (name === "host" || CLUSTER_HEADERS.includes(name)) continue;
			lines.push(`${raw[i]}: ${raw[i + 1]}`);
		}
		lines.push(
			`Host: ${url.host}`,
			`${HOPS_HEADER}: ${target.hops}`,
			`${PEER_HEADER}: ${target.peerSecret}`,
		);
		if (target.internal) lines.push(`${FORWARDED_INTERNAL_HEADER}: 1`);
		if (target.forwardedFor !== undefined)
			lines.push(`${FORWARDED_FOR_HEADER}: ${target.forwardedFor.replace(/[\r\n]/g, "")}`);
		upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
		if (head.byteLength > 0) upstream.write(head);
		upstream.pipe(socket);
		socket.pipe(upstream);
	});
	upstream.on("error", (error) => {
		if (!connected && isConnectFailure(error) && Date.now() < target.retryUntil) {
			setTimeout(retry, 200);
			return;
		}
		socket.destroy();
	});
	upstream.on("close", () => {
		if (connected) socket.destroy();
	});
	socket.on("close", () => upstream.destroy());
	socket.on("error", () => upstream.destroy());
}
