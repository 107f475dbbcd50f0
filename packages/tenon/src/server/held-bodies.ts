import { ActorError } from "../protocol/errors.js";

/**
 * Bytes of HTTP request bodies the node holds at once: read (as they
 * arrive) and not yet answered. A body's read slot
 * (`maxConcurrentRequestBodies`) goes back once it is read, and a call that
 * waits (on a service, a queue, its turn) keeps its body meanwhile: 256
 * connections of one address each carrying 20 MiB to such an action held
 * 5 GiB, and a cluster probe saw 40 bodies of 19 MB hold 2.2 GB
 * (2026-11-27). Counted per request (its `holder`, any object that lives as
 * long as the request), let go when the request is answered; and per client
 * address where per-address limits apply, so that one address cannot take
 * the node's whole budget and have everyone else refused.
 *
 * Bytes count as they arrive, not as a `content-length` declares them: a
 * body declaring 512 KiB and sending ten bytes held the whole reservation
 * for as long as it dripped (a review, 2026-11-28). A request counts its
 * largest body once: in a cluster, the node it reached reads the same body
 * again for each try (each try its own `Request`), which counted it a time
 * per try, 25 times in a failover (the same review).
 *
 * A WebSocket action call's frame counts too, from its arrival until the
 * action returns ({@link hold}, {@link release}): 32 connections sending 128
 * calls of 60 KB each to an action that waits grew the heap by 491 MB, and
 * an address's 256 connections would have held 2 GiB (a review of the
 * availability findings, 2026-11-29).
 */
export class HeldBodies {
	readonly #node: Budget;
	readonly #maxPerAddress: number;
	readonly #byAddress = new Map<string, Budget>();
	readonly #byHolder = new WeakMap<object, { bytes: number; address: string | undefined }>();

	constructor(max: number, maxPerAddress = max) {
		this.#node = new Budget(max);
		this.#maxPerAddress = maxPerAddress;
	}

	/** Bytes held now. */
	get bytes(): number {
		return this.#node.bytes;
	}

	/** Bytes held now for `address`. */
	bytesOf(address: string): number {
		return this.#byAddress.get(address)?.bytes ?? 0;
	}

	/**
	 * One body of `holder`'s request (from `address`, when per-address limits
	 * apply) has arrived up to `read` bytes: what passes the most its request
	 * counts already is counted, or `limit/overloaded` is thrown when it does
	 * not fit the node's budget or the address's share. A request fits
	 * whatever its size when no other request holds any (a budget below
	 * `maxHttpBodyBytes` refuses no body for good).
	 */
	arrived(holder: object, read: number, address?: string): void {
		const held = this.#byHolder.get(holder);
		const own = held?.bytes ?? 0;
		const more = read - own;
		if (more <= 0) return;
		const share = address === undefined ? undefined : this.#shareOf(address);
		this.#node.check(more, own);
		share?.check(more, own);
		this.#node.bytes += more;
		if (share !== undefined) share.bytes += more;
		this.#byHolder.set(holder, { bytes: read, address });
	}

	/** `holder`'s request was answered: the bodies it read count no longer. */
	letGo(holder: object): void {
		const held = this.#byHolder.get(holder);
		if (held === undefined) return;
		this.#byHolder.delete(holder);
		this.#node.bytes -= held.bytes;
		if (held.address === undefined) return;
		const share = this.#byAddress.get(held.address);
		if (share === undefined) return;
		share.bytes -= held.bytes;
		// Forgotten once empty: the map holds the addresses holding bodies only.
		if (share.bytes <= 0) this.#byAddress.delete(held.address);
	}

	/**
	 * A WebSocket action call of `bytes` (its frame) from `address` (when
	 * per-address limits apply) waits or runs: counted until {@link release},
	 * or `limit/overloaded` is thrown when it does not fit (a call fits
	 * whatever its size when nothing else is held, as a body does).
	 */
	hold(bytes: number, address?: string): void {
		const share = address === undefined ? undefined : this.#byAddress.get(address);
		this.#node.check(bytes, 0);
		if (address === undefined) {
			this.#node.bytes += bytes;
			return;
		}
		if (share === undefined) this.#byAddress.set(address, new Budget(this.#maxPerAddress, bytes));
		else {
			share.check(bytes, 0);
			share.bytes += bytes;
		}
		this.#node.bytes += bytes;
	}

	/** The call {@link hold} counted returned: its bytes count no longer. */
	release(bytes: number, address?: string): void {
		this.#node.bytes -= bytes;
		if (address === undefined) return;
		const share = this.#byAddress.get(address);
		if (share === undefined) return;
		share.bytes -= bytes;
		if (share.bytes <= 0) this.#byAddress.delete(address);
	}

	#shareOf(address: string): Budget {
		let share = this.#byAddress.get(address);
		if (share === undefined) {
			share = new Budget(this.#maxPerAddress);
			this.#byAddress.set(address, share);
		}
		return share;
	}
}

/** Bytes held against one limit. */
class Budget {
	constructor(
		readonly max: number,
		public bytes = 0,
	) {}

	/**
	 * Throws `limit/overloaded` when `more` bytes do not fit: past the
	 * limit, with other requests' bytes held (`own` are the asker's).
	 */
	check(more: number, own: number): void {
		if (this.bytes - own > 0 && this.bytes + more > this.max) throw bodiesHeld(this.max);
	}
}

function bodiesHeld(max: number): ActorError {
	return new ActorError(
		"limit",
		"overloaded",
		`The server holds ${max} bytes of requests already (bodies and WebSocket calls not yet answered, for this client or in all); retry shortly`,
		{ limit: max, retryAfter: 1_000 },
	);
}
