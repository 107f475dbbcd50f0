// What the server keeps for each open WebSocket, built so that nothing
// long-lived captures the upgrade that opened it: classes and module-level
// functions instead of closures inside the upgrade handler, which would keep
// the whole upgrade (its Request, headers, URL, caller) alive with the socket.

import type { Limits } from "../protocol/limits.js";
import { type Rate, RateLimiter } from "./rate-limit.js";
import type { RequestGuard } from "./request-guard.js";
import type { WebSocketHandler } from "./websocket.js";

/** Event-loop time (ms a second) a connection's frames may take to decode; `false`: unlimited. */
export interface DecodeTimeRates {
	perConnection: Rate | false;
	perAddress: Rate | false;
}

/** The node's open sockets: how many, and per client address where limits apply. */
export class SocketCounts {
	open = 0;
	readonly #byAddress = new Map<string, number>();
	#nextId = 0;
	readonly #guard: RequestGuard;
	readonly #limits: Limits;
	/** Messages per connection (undefined: unlimited). */
	readonly messageRates: RateLimiter | undefined;
	/** Decode time per connection and per address, in ms (undefined: unlimited). */
	readonly #decodeTimes: RateLimiter | undefined;
	readonly #addressDecodeTimes: RateLimiter | undefined;

	constructor(
		guard: RequestGuard,
		limits: Limits,
		perConnection: Rate | false,
		decodeTime: DecodeTimeRates = { perConnection: false, perAddress: false },
	) {
		this.#guard = guard;
		this.#limits = limits;
		const limiter = (rate: Rate | false) =>
			rate === false ? undefined : new RateLimiter(rate, undefined, limits.maxConnections);
		this.messageRates = limiter(perConnection);
		this.#decodeTimes = limiter(decodeTime.perConnection);
		this.#addressDecodeTimes = limiter(decodeTime.perAddress);
	}

	/** Open sockets of `address`. */
	ofAddress(address: string): number {
		return this.#byAddress.get(address) ?? 0;
	}

	/** Counts a newly opened socket; returns its slot (released when it closes). */
	take(address: string | undefined, trusted: boolean): SocketSlot {
		this.open++;
		const counted = !trusted && this.#guard.limitsAddress(address) ? address : undefined;
		if (counted !== undefined) this.#byAddress.set(counted, this.ofAddress(counted) + 1);
		return new SocketSlot(this, String(this.#nextId++), counted, trusted ? undefined : address);
	}

	/** A socket closed. */
	release(slot: SocketSlot): void {
		this.open--;
		const counted = slot.countedAddress;
		if (counted !== undefined) {
			const left = this.ofAddress(counted) - 1;
			if (left <= 0) this.#byAddress.delete(counted);
			else this.#byAddress.set(counted, left);
		}
		this.messageRates?.forget(slot.id);
		this.#decodeTimes?.forget(slot.id);
	}

	/** Takes one message from a socket's rates (its own, then its address's): 0, or ms to wait. */
	throttle(slot: SocketSlot): number {
		const wait = this.messageRates?.take(slot.id) ?? 0;
		if (wait > 0 || slot.rateAddress === undefined) return wait;
		try {
			this.#guard.spend(slot.rateAddress);
			return 0;
		} catch (error) {
			return (error as { metadata?: { retryAfter?: number } }).metadata?.retryAfter ?? 1000;
		}
	}

	/**
	 * Charges `ms` of decoding to a socket's decode time (its own, and its
	 * address's where per-address limits apply): 0, or the ms to stop
	 * reading it for.
	 */
	chargeDecode(slot: SocketSlot, ms: number): number {
		const own = this.#decodeTimes?.charge(slot.id, ms) ?? 0;
		const address = slot.rateAddress;
		if (this.#addressDecodeTimes === undefined || !this.#guard.limitsAddress(address)) return own;
		return Math.max(own, this.#addressDecodeTimes.charge(address, ms));
	}

	get limits(): Limits {
		return this.#limits;
	}
}

/** One open socket's place in {@link SocketCounts}. */
export class SocketSlot {
	readonly #counts: SocketCounts;
	readonly id: string;
	/** The address its socket counts against, when per-address limits apply. */
	readonly countedAddress: string | undefined;
	/** The address whose message rate it spends (untrusted sockets only). */
	readonly rateAddress: string | undefined;
	#released = false;

	constructor(
		counts: SocketCounts,
		id: string,
		countedAddress: string | undefined,
		rateAddress: string | undefined,
	) {
		this.#counts = counts;
		this.id = id;
		this.countedAddress = countedAddress;
		this.rateAddress = rateAddress;
	}

	/** Takes one message from the rates: 0, or the ms to wait before retrying. */
	throttle(): number {
		return this.#counts.throttle(this);
	}

	/** Charges `ms` spent decoding a frame: 0, or the ms to stop reading the socket for. */
	chargeDecode(ms: number): number {
		return this.#counts.chargeDecode(this, ms);
	}

	release(): void {
		if (this.#released) return;
		this.#released = true;
		this.#counts.release(this);
	}
}

/** What a socket's events drive: its session. */
interface Session {
	onMessage(data: string | Uint8Array): void;
	onClose(code: number, reason: string): void;
}

/** The adapter's handler for one socket: messages to the session; on close, the slot goes too. */
class SlotHandler implements WebSocketHandler {
	readonly #session: Session;
	readonly #slot: SocketSlot;

	constructor(session: Session, slot: SocketSlot) {
		this.#session = session;
		this.#slot = slot;
	}

	onMessage(data: string | Uint8Array): void {
		this.#session.onMessage(data);
	}

	onClose(code: number, reason: string): void {
		this.#slot.release();
		this.#session.onClose(code, reason);
	}
}

/** The adapter's handler for one socket (see {@link SlotHandler}). */
export function socketHandler(session: Session, slot: SocketSlot): WebSocketHandler {
	return new SlotHandler(session, slot);
}
