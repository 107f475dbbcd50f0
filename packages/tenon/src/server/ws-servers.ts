// The `ws` servers that accept a Node server's WebSockets, one per message limit, and the
// sweeps over their sockets: the heartbeat, and messages a client leaves unfinished.
import type { IncomingMessage } from "node:http";
import type { WebSocket } from "ws";
import { WebSocketServer } from "ws";
import { wiredOf } from "./wired-socket.js";

export interface WebSocketServersOptions {
	/** The sub-protocol selected for an upgrade request (false: none). */
	handleProtocols(request: IncomingMessage): string | false;
	/** Interval of pings; a peer that misses one is dropped (ms). */
	heartbeatMs: number;
	/** A message left unfinished this long is refused, its socket closed (ms; 0: never). */
	incomingMessageTimeoutMs: number;
}

/**
 * The `ws` servers of one Node server. Each message limit has its own (`ws` takes its frame
 * bound per server): a socket of Tenon's protocol (64 KiB messages) holds at most 128 KiB of a
 * message being received, not the 2 MiB a raw socket's 1 MiB limit needs. An attacker probe
 * (2026-11-29) held 2 MiB of unfinished message on each of an address's 256 sockets.
 */
export class WebSocketServers {
	readonly #servers = new Map<number, WebSocketServer>();
	readonly #options: WebSocketServersOptions;
	readonly #timers: ReturnType<typeof setInterval>[] = [];
	#closed = false;

	constructor(options: WebSocketServersOptions) {
		this.#options = options;
		const heartbeat = setInterval(() => this.#heartbeat(), options.heartbeatMs);
		heartbeat.unref();
		this.#timers.push(heartbeat);
		const timeout = options.incomingMessageTimeoutMs;
		if (timeout > 0) {
			// A message is refused between one and four thirds of the timeout after it began.
			const sweep = setInterval(() => this.#sweepUnfinished(), Math.max(10, timeout / 3));
			sweep.unref();
			this.#timers.push(sweep);
		}
	}

	/**
	 * The server for sockets whose messages are at most `maxMessageBytes`. The caller checks the
	 * exact limit (closing with 1009 and a reason); `ws` refuses frames over twice that before
	 * they are read whole, so memory is bounded whatever a client declares.
	 */
	for(maxMessageBytes: number): WebSocketServer {
		let server = this.#servers.get(maxMessageBytes);
		if (server === undefined) {
			server = new WebSocketServer({
				noServer: true,
				maxPayload: maxMessageBytes * 2,
				// A message of many tiny fragments stays within every byte limit while each
				// fragment costs a frame and a buffer: 16,384 of them at most (1008 past it;
				// `ws`'s own defaults since 8.23, the dependency's floor, set here so they
				// hold whatever `ws` resolves to). test/security/ws-fragments.test.ts.
				maxFragments: 16 * 1024,
				maxBufferedChunks: 256 * 1024,
				handleProtocols: (_offered, request) => this.#options.handleProtocols(request),
			});
			this.#servers.set(maxMessageBytes, server);
			// Made after close() (an upgrade decided late): closed, it answers the upgrade 503.
			if (this.#closed) server.close();
		}
		return server;
	}

	/** Every socket open (or closing). */
	*clients(): Generator<WebSocket> {
		for (const server of this.#servers.values()) yield* server.clients;
	}

	get size(): number {
		let size = 0;
		for (const server of this.#servers.values()) size += server.clients.size;
		return size;
	}

	/** Ends every socket and stops the sweeps. */
	close(): void {
		this.#closed = true;
		for (const timer of this.#timers) clearInterval(timer);
		for (const server of this.#servers.values()) {
			for (const ws of server.clients) ws.terminate();
			server.close();
		}
	}

	#heartbeat(): void {
		for (const ws of this.clients()) {
			const wired = wiredOf(ws);
			if (wired === undefined) continue;
			if (!wired.alive) {
				ws.terminate();
				continue;
			}
			wired.alive = false;
			ws.ping();
		}
	}

	/**
	 * Closes sockets whose client began a message and did not finish it within the timeout: a
	 * part of a frame, or some fragments of a message, holds its bytes until the rest comes,
	 * and a client that never sends it held them for as long as it answered pings. 1013, so
	 * Tenon's client connects again (a very slow link may end here too).
	 */
	#sweepUnfinished(): void {
		const now = Date.now();
		const timeout = this.#options.incomingMessageTimeoutMs;
		for (const ws of this.clients()) {
			const wired = wiredOf(ws);
			if (wired !== undefined && wired.unfinishedFor(now) >= timeout)
				wired.closeUnread(1013, "message.incoming_too_slow");
		}
	}
}
