import { errors, toErrorPayload } from "../protocol/errors.js";
import type { ActorInstance } from "../runtime/actor-instance.js";
import { closeCodeFor, closeReason } from "../runtime/connection-hub.js";
import type { RawWebSocketImpl } from "../runtime/raw-websocket.js";
import type { Runtime } from "../runtime/runtime.js";
import type { GatewayRequest } from "./gateway.js";
import type { ServerWebSocket, WebSocketHandler } from "./websocket.js";

/** Frames a client may send before the actor has taken the socket. */
const MAX_EARLY_FRAMES = 256;

/**
 * One `/websocket/*` socket: resolves (and wakes) the actor and hands the
 * socket to its `onWebSocket`. Frames that arrive first are buffered.
 */
export class RawWebSocketSession implements WebSocketHandler {
	readonly #runtime: Runtime;
	readonly #socket: ServerWebSocket;
	#state: "opening" | "open" | "closed" = "opening";
	#early: (string | Uint8Array)[] = [];
	#instance: ActorInstance | undefined;
	#raw: RawWebSocketImpl | undefined;

	constructor(runtime: Runtime, socket: ServerWebSocket) {
		this.#runtime = runtime;
		this.#socket = socket;
	}

	start(gateway: GatewayRequest, url: string, params: unknown): void {
		void this.#open(gateway, url, params);
	}

	reject(error: unknown): void {
		const payload = toErrorPayload(error, this.#runtime.exposeInternalErrors);
		this.#socket.close(closeCodeFor(payload), closeReason(`${payload.group}.${payload.code}`));
		this.#state = "closed";
	}

	#isClosed(): boolean {
		return this.#state === "closed";
	}

	async #open(gateway: GatewayRequest, url: string, params: unknown): Promise<void> {
		let instance: ActorInstance;
		try {
			instance = await this.#runtime.host.instanceForTarget(gateway.namespace, gateway.target);
		} catch (error) {
			if (!this.#isClosed()) this.reject(error);
			return;
		}
		if (this.#isClosed()) return;
		const raw = await instance.openRawWebSocket(url, params, {
			send: (data) => this.#socket.send(data),
			close: (code, reason) => this.#socket.close(code, reason),
		});
		if (raw === undefined) {
			this.#state = "closed";
			return;
		}
		this.#instance = instance;
		this.#raw = raw;
		if (this.#isClosed()) {
			instance.rawSocketClosed(raw, 1006, "");
			return;
		}
		this.#state = "open";
		const early = this.#early;
		this.#early = [];
		for (const frame of early) raw.receive(frame);
	}

	onMessage(data: string | Uint8Array): void {
		switch (this.#state) {
			case "opening":
				if (this.#early.length >= MAX_EARLY_FRAMES) {
					this.reject(
						errors.invalid(
							`more than ${MAX_EARLY_FRAMES} messages before the actor took the socket`,
						),
					);
					return;
				}
				this.#early.push(data);
				return;
			case "open":
				this.#raw?.receive(data);
				return;
			case "closed":
				return;
		}
	}

	onClose(code: number, reason: string): void {
		this.#state = "closed";
		this.#early = [];
		if (this.#instance && this.#raw) this.#instance.rawSocketClosed(this.#raw, code, reason);
	}
}
