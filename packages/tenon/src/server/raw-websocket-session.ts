import { errors, toErrorPayload } from "../protocol/errors.js";
import {
	type ActorGateway,
	type Caller,
	closeCodeOf,
	closeReason,
	type OpenRawSocket,
} from "../runtime/actor-gateway.js";
import type { GatewayRequest } from "./gateway.js";
import { closeForFault, type ServerWebSocket, type WebSocketHandler } from "./websocket.js";

/** Frames a client may send before the actor has taken the socket. */
const MAX_EARLY_FRAMES = 256;
/**
 * Bytes of them held (or one largest message, when `maxRawWebSocketMessageBytes` is more):
 * 256 frames of 1 MiB let one socket behind slow connect hooks hold 256 MiB.
 */
const MAX_EARLY_BYTES = 1024 * 1024;

/** What a raw session spends from its socket's limits (a SocketSlot, see socket-slots.ts). */
export interface RawSessionRates {
	/** Takes one message from the rate limits: 0, or the ms to wait before retrying. */
	throttle(): number;
	/** Counts `bytes` held for the actor (asleep or waking); throws `limit/overloaded` past the budget. */
	holdCall(bytes: number): void;
	releaseCall(bytes: number): void;
}

const UNLIMITED: RawSessionRates = { throttle: () => 0, holdCall: () => {}, releaseCall: () => {} };

/**
 * One `/websocket/*` socket: resolves (and wakes) the actor and hands the
 * socket to its `onWebSocket`. Frames that arrive first are buffered.
 */
export class RawWebSocketSession implements WebSocketHandler {
	readonly #actors: ActorGateway;
	readonly #socket: ServerWebSocket;
	#state: "opening" | "open" | "closed" = "opening";
	#early: (string | Uint8Array)[] = [];
	/** Bytes of the frames that arrived before the actor took the socket. */
	#earlyBytes = 0;
	#raw: OpenRawSocket | undefined;
	readonly #rates: RawSessionRates;

	constructor(actors: ActorGateway, socket: ServerWebSocket, rates: RawSessionRates = UNLIMITED) {
		this.#actors = actors;
		this.#socket = socket;
		this.#rates = rates;
	}

	/** Opens the socket to the actor for `caller` (`createdHere`: the upgrade created the actor). */
	start(gateway: GatewayRequest, url: string, caller: Caller, createdHere = false): void {
		void this.#open(gateway, url, caller, createdHere);
	}

	reject(error: unknown): void {
		const payload = toErrorPayload(error, this.#actors.exposeInternalErrors);
		this.#socket.close(
			closeCodeOf(error, payload),
			closeReason(`${payload.group}.${payload.code}`),
		);
		this.#state = "closed";
	}

	#isClosed(): boolean {
		return this.#state === "closed";
	}

	async #open(
		gateway: GatewayRequest,
		url: string,
		caller: Caller,
		createdHere: boolean,
	): Promise<void> {
		let raw: OpenRawSocket | undefined;
		try {
			if (this.#isClosed()) return;
			raw = await this.#actors.openRawSocket(
				{ namespace: gateway.namespace, target: gateway.target },
				url,
				caller,
				{
					send: (data) => this.#socket.send(data),
					close: (code, reason) => this.#socket.close(code, reason),
					holdBytes: (bytes) => this.#rates.holdCall(bytes),
					releaseBytes: (bytes) => this.#rates.releaseCall(bytes),
				},
				createdHere,
			);
		} catch (error) {
			if (!this.#isClosed()) this.reject(error);
			return;
		}
		if (raw === undefined) {
			this.#state = "closed";
			return;
		}
		this.#raw = raw;
		if (this.#isClosed()) {
			raw.closed(1006, "");
			return;
		}
		this.#state = "open";
		const early = this.#early;
		this.#early = [];
		for (const frame of early) raw.receive(frame);
	}

	onMessage(data: string | Uint8Array): void {
		const limit = this.#actors.limits.maxRawWebSocketMessageBytes;
		const size = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
		if (size > limit) {
			closeForFault(this.#socket, 1009, "message.incoming_too_long");
			this.onClose(1009, "message.incoming_too_long");
			return;
		}
		// A raw socket has no error frames: over its rate, it is closed ("try again later").
		if (this.#rates.throttle() > 0) {
			closeForFault(this.#socket, 1013, "limit.rate_limited");
			this.onClose(1013, "limit.rate_limited");
			return;
		}
		switch (this.#state) {
			case "opening":
				this.#earlyBytes += size;
				if (
					this.#early.length >= MAX_EARLY_FRAMES ||
					this.#earlyBytes > Math.max(MAX_EARLY_BYTES, limit)
				) {
					this.reject(
						errors.invalid(
							`more than ${MAX_EARLY_FRAMES} messages or ${MAX_EARLY_BYTES} bytes before the actor took the socket`,
						),
					);
					this.#early = [];
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
		this.#raw?.closed(code, reason);
	}
}
