import { ActorError } from "../protocol/errors.js";

/**
 * The event loop's time spent on Yjs work that clients cause, on a budget.
 *
 * Yjs applies an update in one synchronous call, and what it costs depends
 * on the document as much as on the update: inserts of many clients at the
 * same place make every later insert there scan them all. Attacker probes
 * blocked the loop for 2 s with one 4 MiB update, and for 2, 5, 7, 9 and
 * 11 s with five 30 KB updates in a row, each of 15 new clients typing at
 * the same place (2026-11-24 and 25). The call cannot be split, nor moved
 * off the loop without a second copy of the document, so two guards apply:
 *
 * - **What the next update would cost.** Before an update is applied, the
 *   items of the document its inserts would make Yjs scan are counted from
 *   the two structures (update-cost.ts); over a million (about 100 ms here),
 *   it is refused (`limit/yjs_update_too_complex`, metadata
 *   `estimatedVisits`). That is what an attacker's second update to a new
 *   document used to get through. Each apply also teaches the actor its
 *   document's cost per item (the highest seen lately, halving every 10 min);
 *   an update whose items at that cost would take over 250 ms is refused too
 *   (metadata `estimatedMs`), for costs the count does not see.
 * - **How often.** The time taken (applies, and the answers to a sync step 1
 *   over HTTP) is charged to buckets that refill with time: the sending connection's
 *   (a tenth of the loop), its actor's (a quarter) and the process's (half,
 *   shared by every Yjs actor). While the connection's or the actor's is
 *   empty, or the process's is and the actor has used more than half of its
 *   own (so a busy document does not lock out the others), work is refused
 *   with `limit/yjs_busy` (metadata `retryAfterMs`); the provider waits that
 *   long and syncs again. While the process's is empty, a costly update (64
 *   items or more, or scans of 10,000) waits whichever actor it is for, so
 *   spreading them over new documents gains nothing; small edits go on.
 *
 * An honest update costs well under a millisecond, a large paste a few.
 */
export interface ApplyBudgetRates {
	/** Milliseconds a bucket holds (a burst), and milliseconds it regains per second. */
	connection: { burstMs: number; perSecondMs: number };
	actor: { burstMs: number; perSecondMs: number };
}

export const DEFAULT_APPLY_RATES: ApplyBudgetRates = {
	connection: { burstMs: 500, perSecondMs: 100 },
	actor: { burstMs: 1_000, perSecondMs: 250 },
};

/** The longest an update may be expected to take (see {@link ApplyBudget.checkCost}). */
export const MAX_UPDATE_MS = 250;

/**
 * Most items of the document Yjs may scan to place an update's inserts
 * (update-cost.ts): about 100 ms here (some 100 ns each).
 */
export const MAX_CONFLICT_VISITS = 1_000_000;

/** An update whose inserts scan this many items (about a millisecond) or more is a costly one. */
const COSTLY_VISITS = 10_000;

/** An update expected to take this long at the learnt cost is a costly one too, ms. */
const COSTLY_ESTIMATE_MS = 20;

/**
 * A learnt cost per item halves in this long. Slowly: a document's costly
 * structure stays (a probe waiting out a 30 s half-life got a 5 s apply
 * through every 100 s); a measurement a pause disturbed passes in minutes.
 */
const COST_HALF_LIFE_MS = 600_000;

/**
 * Updates of fewer items teach the cost per item nothing (their time is
 * mostly noise: a collection pause would refuse honest edits for minutes),
 * nor this much of any time.
 */
const LEARN_MIN_ITEMS = 64;
const NOISE_MS = 5;

/**
 * A smaller update that took this long, the second time within a minute,
 * makes the document a suspect: its updates are checked on a copy first
 * while that cost per item lasts (one pause of the process costs nothing; a
 * pause that comes back costs checks, not refusals).
 */
const SUSPECT_MIN_MS = 50;
const SUSPECT_AGAIN_MS = 60_000;

/** A bucket of milliseconds that refills at a rate; one charge may overdraw it, down to `-maxDebtMs`. */
export class TimeBucket {
	#level: number;
	#at: number;

	constructor(
		readonly burstMs: number,
		readonly perSecondMs: number,
		readonly now: () => number,
		readonly maxDebtMs = Number.POSITIVE_INFINITY,
	) {
		if (!(burstMs >= 0) || !(perSecondMs > 0))
			throw new TypeError("a time bucket needs burstMs >= 0 and perSecondMs > 0");
		this.#level = burstMs;
		this.#at = now();
	}

	/** Milliseconds in the bucket now (negative: owed). */
	get level(): number {
		this.#refill();
		return this.#level;
	}

	/** Milliseconds until this bucket holds time again (0: it does now). */
	waitMs(): number {
		const level = this.level;
		return level > 0 ? 0 : Math.ceil((-level * 1000) / this.perSecondMs) + 1;
	}

	charge(ms: number): void {
		this.#refill();
		this.#level = Math.max(-this.maxDebtMs, this.#level - ms);
	}

	#refill(): void {
		const now = this.now();
		this.#level = Math.min(
			this.burstMs,
			this.#level + ((now - this.#at) * this.perSecondMs) / 1000,
		);
		this.#at = now;
	}
}

/** The highest value learnt lately, halving every {@link COST_HALF_LIFE_MS}. */
class DecayingMax {
	#value = 0;
	#at = 0;

	constructor(readonly now: () => number) {}

	value(): number {
		return this.#value * 0.5 ** ((this.now() - this.#at) / COST_HALF_LIFE_MS);
	}

	learn(value: number): void {
		if (value < this.value()) return;
		this.#value = value;
		this.#at = this.now();
	}
}

/** Half of the process's loop, shared by every Yjs actor in it (owing at most 4 s of refill). */
const processBucket = new TimeBucket(2_000, 500, () => performance.now(), 2_000);

/** One actor's budget: its own bucket, one per connection, the process's, and its cost per item. */
export class ApplyBudget {
	readonly #rates: ApplyBudgetRates;
	readonly #now: () => number;
	readonly #actor: TimeBucket;
	readonly #process: TimeBucket;
	readonly #connections = new Map<string, TimeBucket>();
	/** The highest cost per item seen lately (ms). */
	readonly #cost: DecayingMax;
	/** The same, from small updates that were slow (see {@link SUSPECT_MIN_MS}), and when one last was. */
	readonly #suspect: DecayingMax;
	#slowSmallAt = Number.NEGATIVE_INFINITY;

	constructor(
		rates: ApplyBudgetRates = DEFAULT_APPLY_RATES,
		now: () => number = () => performance.now(),
		process: TimeBucket = processBucket,
	) {
		this.#rates = rates;
		this.#now = now;
		this.#actor = new TimeBucket(rates.actor.burstMs, rates.actor.perSecondMs, now);
		this.#process = process;
		this.#cost = new DecayingMax(now);
		this.#suspect = new DecayingMax(now);
	}

	/**
	 * Throws `limit/yjs_busy` while a bucket covering `connId` is empty
	 * (`undefined`: a call without a lasting connection, over HTTP).
	 */
	admit(connId: string | undefined): void {
		let wait = Math.max(
			this.#actor.waitMs(),
			connId === undefined ? 0 : (this.#connections.get(connId)?.waitMs() ?? 0),
		);
		// The process's share is withheld from the actors that used most of theirs.
		if (this.#actor.level < this.#actor.burstMs / 2) wait = Math.max(wait, this.#process.waitMs());
		if (wait > 0)
			throw new ActorError(
				"limit",
				"yjs_busy",
				`Updates to this document took too long to apply lately; try again in ${wait} ms`,
				{ retryAfterMs: wait },
			);
	}

	/**
	 * Checks an update before it is applied, from its `items` and the items
	 * of the document its inserts would make Yjs scan (`visits`,
	 * update-cost.ts). Throws `limit/yjs_update_too_complex` when the scans
	 * would be too long, or its items at this document's learnt cost would
	 * take too long; `limit/yjs_busy` when it is a costly one (many items or
	 * scans) and the process's share is spent, whoever sends it: an attacker
	 * spreading costly updates over many new documents, each with a full
	 * bucket of its own, still waits for the process's.
	 */
	checkUpdate(items: number, visits: number): void {
		if (visits > MAX_CONFLICT_VISITS)
			throw new ActorError(
				"limit",
				"yjs_update_too_complex",
				`This update's inserts would make the server scan about ${visits} items of this document to place them (at most ${MAX_CONFLICT_VISITS}); send smaller updates`,
				{ limit: MAX_CONFLICT_VISITS, estimatedVisits: visits },
			);
		this.checkCost(items);
		if (!this.isCostly(items, visits)) return;
		const wait = this.#process.waitMs();
		if (wait > 0)
			throw new ActorError(
				"limit",
				"yjs_busy",
				`The server spent its share of time on costly document updates lately; try again in ${wait} ms`,
				{ retryAfterMs: wait },
			);
	}

	/**
	 * True for an update worth a check on a copy first (apply-verifier.ts):
	 * 64 items or more, inserts that scan 10,000 items of the document, or
	 * 20 ms expected at the learnt cost.
	 */
	isCostly(items: number, visits: number): boolean {
		const perItem = Math.max(this.#cost.value(), this.#suspect.value());
		return (
			items >= LEARN_MIN_ITEMS || visits >= COSTLY_VISITS || items * perItem >= COSTLY_ESTIMATE_MS
		);
	}

	/**
	 * Charges time spent off the loop on this actor's behalf (a check of an
	 * update on the worker) to its own buckets and the connection's: they
	 * share that worker with every other document.
	 */
	chargeOffLoop(connId: string | undefined, ms: number): void {
		this.#actor.charge(ms);
		if (connId !== undefined) this.#connection(connId).charge(ms);
	}

	/** Throws `limit/yjs_update_too_complex` when `items` at this document's cost would take too long. */
	checkCost(items: number): void {
		const estimatedMs = Math.round(items * this.#cost.value());
		if (estimatedMs > MAX_UPDATE_MS)
			throw new ActorError(
				"limit",
				"yjs_update_too_complex",
				`This update's ${items} items would take about ${estimatedMs} ms to apply to this document (at most ${MAX_UPDATE_MS}); send smaller updates`,
				{ limitMs: MAX_UPDATE_MS, estimatedMs },
			);
	}

	/**
	 * Runs `work` and charges its time; with `items` (an update's), learns
	 * the document's cost per item from it.
	 */
	measure<T>(connId: string | undefined, work: () => T, items?: () => number): T {
		const started = this.#now();
		try {
			return work();
		} finally {
			const spent = this.#now() - started;
			this.#process.charge(spent);
			this.#actor.charge(spent);
			if (connId !== undefined) this.#connection(connId).charge(spent);
			const count = items?.() ?? 0;
			if (count >= LEARN_MIN_ITEMS) this.#cost.learn(Math.max(0, spent - NOISE_MS) / count);
			else if (count > 0 && spent >= SUSPECT_MIN_MS) {
				const now = this.#now();
				if (now - this.#slowSmallAt <= SUSPECT_AGAIN_MS) this.#suspect.learn(spent / count);
				this.#slowSmallAt = now;
			}
		}
	}

	/** Forgets a connection that is gone. */
	drop(connId: string): void {
		this.#connections.delete(connId);
	}

	#connection(connId: string): TimeBucket {
		let bucket = this.#connections.get(connId);
		if (bucket === undefined) {
			const { burstMs, perSecondMs } = this.#rates.connection;
			bucket = new TimeBucket(burstMs, perSecondMs, this.#now);
			this.#connections.set(connId, bucket);
		}
		return bucket;
	}
}

/** An update checked on a copy while the server's own edits kept changing the document. */
export const changedMeanwhile = (): ActorError =>
	new ActorError(
		"limit",
		"yjs_busy",
		"The document kept changing while this update was checked; try again",
		{ retryAfterMs: 100 },
	);
