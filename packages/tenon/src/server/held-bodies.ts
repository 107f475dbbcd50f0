import { ActorError } from "../protocol/errors.js";

/**
 * Bytes of HTTP request bodies the node holds at once: read (or being read,
 * as declared by `content-length`) and not yet answered. A body's read slot
 * (`maxConcurrentRequestBodies`) goes back once it is read, and a call that
 * waits (on a service, a queue, its turn) keeps its body meanwhile: 256
 * connections of one address each carrying 20 MiB to such an action held
 * 5 GiB, and a cluster probe saw 40 bodies of 19 MB hold 2.2 GB
 * (2026-11-27). Counted per request (its `holder`, any object that lives as
 * long as the request), let go when the request is answered.
 */
export class HeldBodies {
	readonly #max: number;
	#bytes = 0;
	readonly #byHolder = new WeakMap<object, number>();

	constructor(max: number) {
		this.#max = max;
	}

	/** Bytes held now. */
	get bytes(): number {
		return this.#bytes;
	}

	/**
	 * Reserves `declared` bytes for a body `holder`'s request is about to
	 * read, or throws `limit/overloaded` past the budget. A request's bodies
	 * fit whatever their size when no other request holds any (a budget
	 * below `maxHttpBodyBytes` refuses no body for good).
	 */
	reserve(declared: number, holder?: object): void {
		if (this.#othersHold(holder) && this.#bytes + declared > this.#max) throw bodiesHeld(this.#max);
		this.#bytes += declared;
	}

	/**
	 * A body was read: `read` bytes, held by `holder` until {@link letGo}
	 * (without one, they count no longer), in place of its reservation; or
	 * `limit/overloaded` when they do not fit (a body that declared less
	 * than it sent, or no length at all: chunked, or a `Request` made in process).
	 */
	read(holder: object | undefined, declared: number, read: number): void {
		this.#bytes -= declared;
		if (holder === undefined) return;
		if (read > declared && this.#othersHold(holder) && this.#bytes + read > this.#max)
			throw bodiesHeld(this.#max);
		this.#bytes += read;
		this.#byHolder.set(holder, (this.#byHolder.get(holder) ?? 0) + read);
	}

	/**
	 * Other requests than `holder`'s hold bodies (its own do not refuse it:
	 * a request sent on to another node reads its body again for each try).
	 */
	#othersHold(holder: object | undefined): boolean {
		const own = holder === undefined ? 0 : (this.#byHolder.get(holder) ?? 0);
		return this.#bytes - own > 0;
	}

	/** A read ended without a body: its reservation goes. */
	unreserve(declared: number): void {
		this.#bytes -= declared;
	}

	/** `holder`'s request was answered: the bodies it read count no longer. */
	letGo(holder: object): void {
		const bytes = this.#byHolder.get(holder);
		if (bytes === undefined) return;
		this.#byHolder.delete(holder);
		this.#bytes -= bytes;
	}
}

function bodiesHeld(max: number): ActorError {
	return new ActorError(
		"limit",
		"overloaded",
		`The server holds ${max} bytes of request bodies already; retry shortly`,
		{ limit: max, retryAfter: 1_000 },
	);
}
