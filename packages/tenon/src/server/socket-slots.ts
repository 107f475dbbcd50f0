// What the server keeps for each open WebSocket, built so that nothing
// long-lived captures the upgrade that opened it: classes and module-level
// functions instead of closures inside the upgrade handler, which would keep
// the whole upgrade (its Request, headers, URL, caller) alive with the socket.

import { checkRate, TokenBucket } from "../common/token-bucket.js";
import type { Limits } from "../protocol/limits.js";
import type { AddressDecodeTime } from "./decode-time.js";
import type { HeldBodies } from "./held-bodies.js";
import type { Rate } from "./rate-limit.js";
import type { RequestGuard } from "./request-guard.js";
import type { WebSocketHandler } from "./websocket.js";

/** Event-loop time (ms a second) a connection's frames may take to decode; `false`: unlimited. */
export interface DecodeTimeRates {
	perConnection: Rate | false;
	/** Each address's, shared with its HTTP bodies (undefined: unlimited). */
	perAddress: AddressDecodeTime | undefined;
}

/** The node's open sockets: how many, and per client address where limits apply. */
export class SocketCounts {
	open = 0;
	readonly #byAddress = new Map<string, number>();
	/** Of those, connections waiting for their clients (see {@link holdAddress}). */
	readonly #heldByAddress = new Map<string, number>();
	#nextId = 0;
	readonly #guard: RequestGuard;
	readonly #limits: Limits;
	/** Messages per connection (false: unlimited); each slot keeps its own bucket. */
	readonly messageRate: Rate | false;
	/** Decode time per connection, in ms (false: unlimited); each slot keeps its own bucket. */
	readonly decodeRate: Rate | false;
	/** Decode time per address, in ms (undefined: unlimited). */
	readonly #addressDecodeTimes: AddressDecodeTime | undefined;
	/** The bytes of requests held, shared with HTTP bodies (undefined: not counted). */
	readonly held: HeldBodies | undefined;

	constructor(
		guard: RequestGuard,
		limits: Limits,
		perConnection: Rate | false,
		decodeTime: DecodeTimeRates = { perConnection: false, perAddress: undefined },
		held?: HeldBodies,
	) {
		this.held = held;
		this.#guard = guard;
		this.#limits = limits;
		// Checked here, where a bad option is reported, not at a socket's first frame.
		for (const rate of [perConnection, decodeTime.perConnection])
			if (rate !== false) checkRate(rate);
		this.messageRate = perConnection;
		this.decodeRate = decodeTime.perConnection;
		this.#addressDecodeTimes = decodeTime.perAddress;
	}

	/** Open sockets of `address`. */
	ofAddress(address: string): number {
		return this.#byAddress.get(address) ?? 0;
	}

	/**
	 * Counts a newly opened socket; returns its slot (released when it
	 * closes). `limited`: per-address limits apply to it (its count, message
	 * rate and decode time go to `address`). `rated`: the message rate per
	 * connection applies (not to a link from another node, whose messages
	 * that node admitted under the client's rate: see cluster/conn-links.ts).
	 */
	take(address: string | undefined, limited: boolean, rated = true): SocketSlot {
		this.open++;
		// Its address's key, made once (an IPv6 address counts by its /64).
		const counted = limited ? this.#guard.limitKey(address) : undefined;
		if (counted !== undefined) this.#byAddress.set(counted, this.ofAddress(counted) + 1);
		return new SocketSlot(this, String(this.#nextId++), counted, counted, rated);
	}

	/** A socket closed. */
	release(slot: SocketSlot): void {
		this.open--;
		if (slot.countedAddress !== undefined) this.#forgetOne(slot.countedAddress);
	}

	/**
	 * Counts one more against `counted` (an address key; undefined: nothing)
	 * until the returned function is called: a connection whose socket was lost
	 * and that waits for its client (keepLost in runtime/connections/conn-restore.ts).
	 * It costs what an open connection does (a slot of its actor, the actor awake),
	 * and counted only while its socket was open, one address that never held
	 * more sockets than its limit kept every slot of an actor, or the node's
	 * awake actors, waiting 30 s at a time (an attacker probe, 2026-11-28).
	 */
	holdAddress(counted: string | undefined): () => void {
		if (counted === undefined) return () => {};
		this.#byAddress.set(counted, this.ofAddress(counted) + 1);
		this.#heldByAddress.set(counted, (this.#heldByAddress.get(counted) ?? 0) + 1);
		let held = true;
		return () => {
			if (!held) return;
			held = false;
			this.#forgetOne(counted);
			const left = (this.#heldByAddress.get(counted) ?? 1) - 1;
			if (left <= 0) this.#heldByAddress.delete(counted);
			else this.#heldByAddress.set(counted, left);
		};
	}

	/** True while connections wait for their clients counted against `counted` ({@link holdAddress}). */
	holdsFor(counted: string): boolean {
		return this.#heldByAddress.has(counted);
	}

	#forgetOne(counted: string): void {
		const left = this.ofAddress(counted) - 1;
		if (left <= 0) this.#byAddress.delete(counted);
		else this.#byAddress.set(counted, left);
	}

	/** Takes one message from `address`'s rate: 0, or ms to wait. */
	throttleAddress(address: string): number {
		try {
			this.#guard.spend(address);
			return 0;
		} catch (error) {
			return (error as { metadata?: { retryAfter?: number } }).metadata?.retryAfter ?? 1000;
		}
	}

	/** Charges `ms` of decoding to `address` where per-address limits apply: 0, or ms to wait. */
	chargeAddressDecode(address: string | undefined, ms: number, now: number): number {
		return this.#addressDecodeTimes?.charge(address, ms, now) ?? 0;
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
	/** The address key whose message rate and decode time it spends (where per-address limits apply). */
	readonly rateAddress: string | undefined;
	#released = false;
	/** The message rate per connection applies to it. */
	readonly #rated: boolean;
	/** Its message rate and decode time, made at first use (hibernating sockets keep none). */
	#messages: TokenBucket | undefined;
	#decodeTime: TokenBucket | undefined;

	constructor(
		counts: SocketCounts,
		id: string,
		countedAddress: string | undefined,
		rateAddress: string | undefined,
		rated = true,
	) {
		this.#counts = counts;
		this.#rated = rated;
		this.id = id;
		this.countedAddress = countedAddress;
		this.rateAddress = rateAddress;
	}

	/**
	 * Takes one message from the rates (its own, then its address's): 0, or
	 * the ms to wait before retrying. `now`: `performance.now()`.
	 */
	throttle(now = performance.now()): number {
		const rate = this.#rated ? this.#counts.messageRate : false;
		if (rate !== false) {
			this.#messages ??= new TokenBucket(rate, now);
			const wait = this.#messages.take(now);
			if (wait > 0) return wait;
		}
		return this.rateAddress === undefined ? 0 : this.#counts.throttleAddress(this.rateAddress);
	}

	/**
	 * Charges `ms` spent decoding a frame, ending at `now`, to its decode time
	 * and its address's: 0, or the ms to stop reading the socket for.
	 */
	chargeDecode(ms: number, now: number): number {
		const rate = this.#counts.decodeRate;
		let own = 0;
		if (rate !== false) {
			this.#decodeTime ??= new TokenBucket(rate, now);
			own = this.#decodeTime.charge(ms, now);
		}
		return Math.max(own, this.#counts.chargeAddressDecode(this.rateAddress, ms, now));
	}

	/** See {@link SocketCounts.holdAddress}: this socket's address, where it is counted. */
	holdAddress(): () => void {
		return this.#counts.holdAddress(this.countedAddress);
	}

	/**
	 * An action call of `bytes` arrived on the socket and waits or runs: counted
	 * with the node's held request bodies and its address's share
	 * (`limit/overloaded` thrown past them) until {@link releaseCall}.
	 */
	holdCall(bytes: number): void {
		// Not a link's (another node relays its client's calls): the client's address is not
		// known here, and one client filled this node's budget for everyone (a review). The
		// node that relays them counts them (cluster/conn-links.ts).
		if (this.#rated) this.#counts.held?.hold(heldCallBytes(bytes), this.countedAddress);
	}

	/** The call {@link holdCall} counted returned (also after the socket closed). */
	releaseCall(bytes: number): void {
		if (this.#rated) this.#counts.held?.release(heldCallBytes(bytes), this.countedAddress);
	}

	release(): void {
		if (this.#released) return;
		this.#released = true;
		this.#counts.release(this);
	}
}

/**
 * The least a call (or a frame held for a waking actor) counts: some of what it holds while it
 * waits or runs besides its frame (its message, the action's context and promises). Counted at
 * its frame's 78 bytes, a call held about 3.6 KB of heap, and sockets closed and opened again
 * (each gets its 128 calls) piled up 13,440 of them, 48 MB, before 1 MiB was counted (an
 * attacker probe, 2026-11-29). At 2 KiB, what an address's open connections may have in flight
 * (256 connections of 128 calls) fits its 64 MiB share: 4 KiB refused half of that (a review).
 */
const MIN_HELD_CALL_BYTES = 2 * 1024;

function heldCallBytes(bytes: number): number {
	return Math.max(bytes, MIN_HELD_CALL_BYTES);
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
