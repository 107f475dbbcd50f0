import type { ActorWebSocket } from "../../actor/context.js";
import { callSafely } from "../../common/call-safely.js";
import type { ActorCore } from "../actor-core.js";
import { closeReason, isSendableCloseCode } from "./close-codes.js";

/** The socket a raw WebSocket writes to (the server's side of it). */
export interface RawSocketTransport {
	send(data: string | Uint8Array): void;
	close(code: number, reason: string): void;
}

// biome-ignore lint/suspicious/noExplicitAny: WebSocket event objects are the platform's (MessageEvent, CloseEvent); listeners read what they need.
type Listener = (event: any) => void;

/**
 * The actor's side of a raw WebSocket. Sends go through the output gate:
 * each frame leaves once the writes made before it are durable, in order.
 */
export class RawWebSocketImpl implements ActorWebSocket {
	readonly url: string;
	readyState: 0 | 1 | 2 | 3 = 1;
	readonly #core: ActorCore;
	readonly #transport: RawSocketTransport;
	readonly #listeners = { message: new Set<Listener>(), close: new Set<Listener>() };
	#held: { generation: number; data: string | Uint8Array }[] = [];

	/** True when the socket hibernated and the handler runs again for it after a wake. */
	readonly restored: boolean;

	constructor(core: ActorCore, url: string, transport: RawSocketTransport, restored: boolean) {
		this.#core = core;
		this.url = url;
		this.#transport = transport;
		this.restored = restored;
	}

	send(data: string | Uint8Array | ArrayBuffer): void {
		if (this.readyState !== 1) return;
		const frame = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
		const generation = this.#core.outputGeneration();
		if (generation <= this.#core.durableGeneration && this.#held.length === 0) {
			this.#transport.send(frame);
			return;
		}
		this.#held.push({ generation, data: frame });
		void this.#core.whenDurable(generation).then(
			() => this.#flush(),
			() => {
				this.#held = [];
			},
		);
	}

	#flush(): void {
		const durable = this.#core.durableGeneration;
		while (
			this.#held.length > 0 &&
			(this.#held[0] as { generation: number }).generation <= durable
		) {
			const next = this.#held.shift() as { data: string | Uint8Array };
			if (this.readyState === 1 || this.readyState === 2) this.#transport.send(next.data);
		}
	}

	close(code = 1000, reason = ""): void {
		// As a browser's WebSocket does, a code no close frame may carry is refused where it
		// is given; a reason too long for the frame is cut to fit.
		if (!isSendableCloseCode(code)) throw new RangeError(`${code} is not a WebSocket close code`);
		if (this.readyState >= 2) return;
		this.readyState = 2;
		const generation = this.#core.outputGeneration();
		void this.#core.whenDurable(generation).then(
			() => {
				this.#flush();
				this.#transport.close(code, closeReason(reason));
			},
			() => this.#transport.close(1011, "core.internal_error"),
		);
	}

	addEventListener(type: "message" | "close", listener: Listener): void {
		this.#listeners[type].add(listener);
	}

	removeEventListener(type: "message" | "close", listener: Listener): void {
		this.#listeners[type].delete(listener);
	}

	#dispatch(type: "message" | "close", event: unknown): void {
		for (const listener of [...this.#listeners[type]]) {
			callSafely(
				() => listener(event),
				(error) => this.#core.log.error(`raw WebSocket ${type} listener threw`, { error }),
			);
		}
	}

	/** A frame arrived from the client. */
	receive(data: string | Uint8Array): void {
		if (this.readyState === 1) this.#dispatch("message", { data });
	}

	/** The socket closed. */
	closed(code: number, reason: string): void {
		if (this.readyState === 3) return;
		this.readyState = 3;
		this.#held = [];
		this.#dispatch("close", { code, reason });
	}
}
