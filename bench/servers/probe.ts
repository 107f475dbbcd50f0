// The benchmark's probe inside a server process (not part of Tenon): its
// memory, and a clock on its WebSockets that times a broadcast from the
// server's side. Imported by the Tenon and floor servers, so both are
// measured the same way.

import { createServer } from "node:http";
import * as wsModule from "ws";
import { WebSocket } from "ws";
import { monotonicMs, type ServerFanout } from "../lib/fanout-protocol.js";
import type { TracingMode } from "../systems/types.js";

let armed = false;
let round: ServerFanout = { triggerAt: null, firstWriteAt: null, lastWriteAt: null, writes: 0 };

/**
 * Wraps `ws`'s `Sender#sendFrame` and `WebSocket#emit` so an armed round
 * records when the trigger arrived and when the frames left. Both servers use
 * the `ws` package, and every frame either writes reaches its socket through
 * `sendFrame`, the last step of `WebSocket#send` (the floor's path) and the
 * one Tenon's Node adapter calls with a broadcast frame it framed once for all
 * sockets: the same wrapper measures both. Unarmed, it costs one branch per call.
 */
function installSocketClock(): void {
	// `ws` exports its Sender (untyped in @types/ws).
	const sender = (wsModule as unknown as { Sender: { prototype: unknown } }).Sender.prototype as {
		sendFrame: (...args: unknown[]) => void;
	};
	const proto = WebSocket.prototype as unknown as {
		emit: (event: string | symbol, ...args: unknown[]) => boolean;
	};
	const sendFrame = sender.sendFrame;
	const emit = proto.emit;
	sender.sendFrame = function (this: unknown, ...args: unknown[]) {
		if (!armed) return sendFrame.apply(this, args);
		const before = monotonicMs();
		sendFrame.apply(this, args);
		round.firstWriteAt ??= before;
		round.lastWriteAt = monotonicMs();
		round.writes++;
	};
	proto.emit = function (this: WebSocket, event: string | symbol, ...args: unknown[]) {
		if (armed && event === "message" && round.triggerAt === null) round.triggerAt = monotonicMs();
		return emit.call(this, event, ...args);
	};
}

/**
 * Starts the probe's HTTP server on loopback and returns its URL:
 * - `GET /` (any other path): `process.memoryUsage()` (after a GC when `--expose-gc`) and
 *   `cpu`, the server's `process.cpuUsage()`;
 * - `POST /fanout`: arms the socket clock for one round;
 * - `GET /fanout`: the round as {@link ServerFanout}, and disarms;
 * - `POST /tracing/on`, `/tracing/context`, `/tracing/off`: `setTracing` (servers that have it).
 */
export async function startProbe(
	options: { setTracing?: (mode: TracingMode) => void } = {},
): Promise<string> {
	installSocketClock();
	const probe = createServer((req, res) => {
		res.setHeader("content-type", "application/json");
		const tracing = /^\/tracing\/(on|context|off)$/.exec(req.url ?? "");
		if (req.method === "POST" && tracing) {
			if (options.setTracing === undefined) res.statusCode = 404;
			else options.setTracing(tracing[1] as TracingMode);
			res.end("{}");
			return;
		}
		if (req.url === "/fanout") {
			if (req.method === "POST") {
				round = { triggerAt: null, firstWriteAt: null, lastWriteAt: null, writes: 0 };
				armed = true;
				res.end("{}");
			} else {
				armed = false;
				res.end(JSON.stringify(round));
			}
			return;
		}
		(globalThis as { gc?: () => void }).gc?.();
		res.end(JSON.stringify({ ...process.memoryUsage(), cpu: process.cpuUsage() }));
	});
	// Short-lived runner requests: do not keep the server from exiting.
	probe.unref();
	await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
	return `http://127.0.0.1:${(probe.address() as { port: number }).port}`;
}
