import { ActorError } from "../protocol/errors.js";

/**
 * Bytes of HTTP request bodies the node holds at once: read (or being read,
 * as declared by `content-length`) and not yet answered. A body's read slot
 * (`maxConcurrentRequestBodies`) goes back once it is read, and a call that
 * waits (on a service, a queue, its turn) keeps its body meanwhile: 256
 * connections of one address each carrying 20 MiB to such an action held
 * 5 GiB, and a cluster probe saw 40 bodies of 19 MB hold 2.2 GB
 * (2026-11-27). Counted per request (its `holder`, any object that lives as
 * long as the request), let go when the request is answered; and per client
 * address where per-address limits apply, so that one address cannot take
 * the node's whole budget and have everyone else refused.
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
	 * Reserves `declared` bytes for a body `holder`'s request (from `address`,
	 * when per-address limits apply) is about to read, or throws
	 * `limit/overloaded` past the node's budget or the address's share. A
	 * request's bodies fit whatever their size when no other request holds
	 * any (a budget below `maxHttpBodyBytes` refuses no body for good).
	 */
	reserve(declared: number, holder?: object, address?: string): void {
		const own = this.#ownOf(holder);
		const share = address === undefined ? undefined : this.#shareOf(address);
		this.#node.check(declared, own);
		share?.check(declared, own);
		this.#node.bytes += declared;
		if (share !== undefined) share.bytes += declared;
	}

	/**
	 * A body was read: `read` bytes, held by `holder` until {@link letGo}
	 * (without one, they count no longer), in place of its reservation; or
	 * `limit/overloaded` when they do not fit (a body that declared less
	 * than it sent, or no length at all: chunked, or a `Request` made in process).
	 */
	read(holder: object | undefined, declared: number, read: number, address?: string): void {
		this.unreserve(declared, address);
		if (holder === undefined) return;
		const own = this.#ownOf(holder);
		const share = address === undefined ? undefined : this.#shareOf(address);
		if (read > declared) {
			this.#node.check(read, own);
			share?.check(read, own);
		}
		this.#node.bytes += read;
		if (share !== undefined) share.bytes += read;
		this.#byHolder.set(holder, { bytes: own + read, address });
	}

	/** A read ended without a body: its reservation goes. */
	unreserve(declared: number, address?: string): void {
		this.#node.bytes -= declared;
		if (address !== undefined) this.#give(address, declared);
	}

	/** `holder`'s request was answered: the bodies it read count no longer. */
	letGo(holder: object): void {
		const held = this.#byHolder.get(holder);
		if (held === undefined) return;
		this.#byHolder.delete(holder);
		this.#node.bytes -= held.bytes;
		if (held.address !== undefined) this.#give(held.address, held.bytes);
	}

	/** What `holder`'s request holds already (its own bytes never refuse it). */
	#ownOf(holder: object | undefined): number {
		return holder === undefined ? 0 : (this.#byHolder.get(holder)?.bytes ?? 0);
	}

	#shareOf(address: string): Budget {
		let share = this.#byAddress.get(address);
		if (share === undefined) {
			share = new Budget(this.#maxPerAddress);
			this.#byAddress.set(address, share);
		}
		return share;
	}

	/** Gives `bytes` back to `address`'s share, forgotten once empty (the map holds holders only). */
	#give(address: string, bytes: number): void {
		const share = this.#byAddress.get(address);
		if (share === undefined) return;
		share.bytes -= bytes;
		if (share.bytes <= 0) this.#byAddress.delete(address);
	}
}

/** Bytes held against one limit. */
class Budget {
	bytes = 0;

	constructor(readonly max: number) {}

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
		`The server holds ${max} bytes of request bodies already (for this client or in all); retry shortly`,
		{ limit: max, retryAfter: 1_000 },
	);
}
