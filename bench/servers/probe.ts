// The benchmark's probe inside a server process (not part of Tenon): its
// memory, and a clock on its WebSockets that times a broadcast from the
// server's side. Imported by the Tenon and floor servers, so both are
// measured the same way.

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { getHeapSpaceStatistics } from "node:v8";
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

/** Kernel fields of /proc/self/{smaps_rollup,status} in bytes (Linux only; empty elsewhere). */
function procFields(file: string): Record<string, number> {
	const out: Record<string, number> = {};
	try {
		for (const line of readFileSync(file, "utf8").split("\n")) {
			const match = /^(\w+):\s+(\d+) kB/.exec(line);
			if (match) out[match[1] as string] = Number(match[2]) * 1024;
		}
	} catch {
		// Not Linux: the process's own numbers are still there.
	}
	return out;
}

/** `process.memoryUsage()`, V8's heap spaces, and what the kernel counts as resident. */
function memoryDetail() {
	const status = procFields("/proc/self/status");
	return {
		usage: process.memoryUsage(),
		spaces: getHeapSpaceStatistics().map((space) => ({
			name: space.space_name,
			size: space.space_size,
			used: space.space_used_size,
			physical: space.physical_space_size,
		})),
		smaps: procFields("/proc/self/smaps_rollup"),
		rssAnon: status.RssAnon ?? 0,
		rssFile: status.RssFile ?? 0,
	};
}

/**
 * Starts the probe's HTTP server on loopback and returns its URL:
 * - `GET /` (any other path): `process.memoryUsage()` (after a GC when `--expose-gc`) and
 *   `cpu`, the server's `process.cpuUsage()`;
 * - `GET /memory-detail`: the same, with V8's heap spaces and the kernel's
 *   view of the process (`/proc/self/smaps_rollup`, `/proc/self/status`), to
 *   tell the JS heap from what else is resident (bench/memory-breakdown.ts);
 * - `POST /fanout`: arms the socket clock for one round;
 * - `GET /fanout`: the round as {@link ServerFanout}, and disarms;
 * - `POST /tracing/on`, `/tracing/sampled`, `/tracing/context`, `/tracing/off`: `setTracing`
 *   (servers that have it);
 * - `POST /flush-spans`: `flushSpans` (records the spans a server holds for a batch; the same
 *   round trip in every mode, so a block of calls timed with it carries its spans' cost).
 */
export async function startProbe(
	options: { setTracing?: (mode: TracingMode) => void; flushSpans?: () => void } = {},
): Promise<string> {
	installSocketClock();
	const probe = createServer((req, res) => {
		res.setHeader("content-type", "application/json");
		const tracing = /^\/tracing\/(on|sampled|context|off)$/.exec(req.url ?? "");
		if (req.method === "POST" && tracing) {
			if (options.setTracing === undefined) res.statusCode = 404;
			else options.setTracing(tracing[1] as TracingMode);
			res.end("{}");
			return;
		}
		if (req.method === "POST" && req.url === "/flush-spans") {
			options.flushSpans?.();
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
		if (req.url === "/memory-detail?gc=last-resort") {
			// V8's most thorough collection (it compacts every page it can), to tell
			// fragmentation from live objects.
			(globalThis as { gc?: (options: object) => void }).gc?.({
				type: "major",
				execution: "sync",
				flavor: "last-resort",
			});
			res.end(JSON.stringify(memoryDetail()));
			return;
		}
		if (req.url === "/memory-detail") {
			res.end(JSON.stringify(memoryDetail()));
			return;
		}
		res.end(JSON.stringify({ ...process.memoryUsage(), cpu: process.cpuUsage() }));
	});
	// Short-lived runner requests: do not keep the server from exiting.
	probe.unref();
	await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
	return `http://127.0.0.1:${(probe.address() as { port: number }).port}`;
}
