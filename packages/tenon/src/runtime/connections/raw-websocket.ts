import type {
	ActorWebSocket,
	ActorWebSocketCloseEvent,
	ActorWebSocketEvent,
	ActorWebSocketMessageEvent,
} from "../../actor/context.js";
import { callSafely } from "../../common/call-safely.js";
import type { ActorCore } from "../actor-core.js";
import { closeReason, isSendableCloseCode } from "./close-codes.js";

/** The socket a raw WebSocket writes to (the server's side of it). */
export interface RawSocketTransport {
	send(data: string | Uint8Array): void;
	close(code: number, reason: string): void;
	/**
	 * Optional: counts `bytes` of a frame held while the actor sleeps or wakes with the
	 * server's held request bytes (throws `limit/overloaded` past them) until {@link releaseBytes}.
	 */
	holdBytes?(bytes: number): void;
	releaseBytes?(bytes: number): void;
}

// biome-ignore lint/suspicious/noExplicitAny: each event type's listener takes its own event.
type Listener = (event: any) => void;

type EventType = "open" | "message" | "close" | "error";
const EVENT_TYPES: readonly string[] = ["open", "message", "close", "error"];

/**
 * The actor's side of a raw WebSocket. Sends go through the output gate:
 * each frame leaves once the writes made before it are durable, in order.
 */
export class RawWebSocketImpl implements ActorWebSocket {
	readonly CONNECTING = 0 as const;
	readonly OPEN = 1 as const;
	readonly CLOSING = 2 as const;
	readonly CLOSED = 3 as const;
	readonly url: string;
	readonly protocol: string;
	readonly extensions = "";
	readonly bufferedAmount = 0;
	#binaryType: "nodebuffer" | "arraybuffer" = "nodebuffer";
	readyState: 0 | 1 | 2 | 3 = 1;
	onopen: ((event: ActorWebSocketEvent) => void) | null = null;
	onmessage: ((event: ActorWebSocketMessageEvent) => void) | null = null;
	onclose: ((event: ActorWebSocketCloseEvent) => void) | null = null;
	onerror: ((event: ActorWebSocketEvent) => void) | null = null;
	readonly #core: ActorCore;
	readonly #transport: RawSocketTransport;
	readonly #listeners: Record<EventType, Set<Listener>> = {
		open: new Set(),
		message: new Set(),
		close: new Set(),
		error: new Set(),
	};
	#held: { generation: number; data: string | Uint8Array }[] = [];

	/** True when the socket hibernated and the handler runs again for it after a wake. */
	readonly restored: boolean;

	constructor(
		core: ActorCore,
		url: string,
		transport: RawSocketTransport,
		restored: boolean,
		protocol = "",
	) {
		this.#core = core;
		this.url = url;
		this.#transport = transport;
		this.restored = restored;
		this.protocol = protocol;
	}

	send(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): void {
		if (this.readyState !== 1) return;
		const frame =
			typeof data === "string" || data instanceof Uint8Array
				? data
				: ArrayBuffer.isView(data)
					? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
					: new Uint8Array(data);
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

	addEventListener(type: string, listener: Listener): void {
		if (EVENT_TYPES.includes(type) && typeof listener === "function")
			this.#listeners[type as EventType].add(listener);
	}

	removeEventListener(type: string, listener: Listener): void {
		if (EVENT_TYPES.includes(type)) this.#listeners[type as EventType].delete(listener);
	}

	dispatchEvent(event: { type: string }): boolean {
		if (EVENT_TYPES.includes(event.type)) this.#dispatch(event.type as EventType, event);
		return true;
	}

	#dispatch(type: EventType, event: object): void {
		const handler = this[`on${type}`] as Listener | null;
		const listeners =
			handler === null ? [...this.#listeners[type]] : [...this.#listeners[type], handler];
		for (const listener of listeners) {
			callSafely(
				() => listener(event),
				(error) => this.#core.log.error(`raw WebSocket ${type} listener threw`, { error }),
			);
		}
	}

	/** `onWebSocket` returned for a new socket: its `open` listeners run, before any message. */
	opened(): void {
		if (this.readyState === 1) this.#dispatch("open", { type: "open", target: this });
	}

	/** A frame arrived from the client. */
	receive(data: string | Uint8Array): void {
		if (this.readyState !== 1) return;
		this.#dispatch("message", { type: "message", data: this.#binary(data), target: this });
	}

	get binaryType(): "nodebuffer" | "arraybuffer" {
		return this.#binaryType;
	}

	/** As a browser's WebSocket does, a value it does not know is ignored. */
	set binaryType(value: "nodebuffer" | "arraybuffer") {
		if (value === "nodebuffer" || value === "arraybuffer") this.#binaryType = value;
	}

	/** `data` as `binaryType` asks (text stays a string). */
	#binary(data: string | Uint8Array): string | Uint8Array | ArrayBuffer {
		if (typeof data === "string" || this.#binaryType === "nodebuffer") return data;
		return data.slice().buffer;
	}

	/** The socket closed (with 1006: it was lost, and `error` comes first, as in a browser). */
	closed(code: number, reason: string): void {
		if (this.readyState === 3) return;
		this.readyState = 3;
		this.#held = [];
		if (code === 1006) this.#dispatch("error", { type: "error", target: this });
		this.#dispatch("close", { type: "close", code, reason, wasClean: code !== 1006, target: this });
	}
}
