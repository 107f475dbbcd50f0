import { errors } from "../protocol/errors.js";
import type { BodySource } from "./incoming.js";

/** What the pace watches of a body: what arrived, and how to end it. */
export type PacedBody = Pick<BodySource, "received" | "abort">;

/** One read the pace watches; its body is let go when the read ends. */
export interface PacedRead {
	body: PacedBody | undefined;
	readonly startedAt: number;
	/** The client address whose slot the read holds (undefined: none counted). */
	readonly address: string | undefined;
	/** True once the read was ended to free its slot for another: that slot was given back then. */
	evicted: boolean;
}

/** A read younger than this is not judged when the node is busy (ms). */
const BUSY_GRACE_MS = 1_000;

/**
 * Ends the body reads that arrive slower than a floor: past a grace period,
 * each must have averaged at least `minBytesPerSecond` since it began. One
 * timer for all of them, running only while any is read (as Kestrel's
 * MinRequestBodyDataRate, 240 B/s after 5 s, which the defaults follow).
 * Reads are kept in a list the timer sweeps, not a Map: a Map keyed by each
 * request's new body object cost an HTTP action 5% of its route (2026-11-25).
 *
 * When every body slot is taken, {@link evictSlowest} ends the slowest read
 * past its first second that is slower than `busyBytesPerSecond`, so that a
 * new body takes its slot: bodies sent just above the floor held every slot
 * for the whole request timeout, 16 client addresses at about 38 KB/s in all
 * (an attacker probe, 2026-11-28). Under load a slot costs bandwidth now.
 */
export class BodyPace {
	readonly #minBytesPerSecond: number;
	readonly #graceMs: number;
	readonly #busyBytesPerSecond: number;
	#reads: PacedRead[] = [];
	#timer: ReturnType<typeof setInterval> | undefined;

	constructor(minBytesPerSecond: number, graceMs: number, busyBytesPerSecond: number) {
		this.#minBytesPerSecond = minBytesPerSecond;
		this.#graceMs = graceMs;
		this.#busyBytesPerSecond = busyBytesPerSecond;
	}

	watch(body: PacedBody, address: string | undefined): PacedRead | undefined {
		if (this.#minBytesPerSecond <= 0 && this.#busyBytesPerSecond <= 0) return undefined;
		const read: PacedRead = { body, startedAt: performance.now(), address, evicted: false };
		this.#reads.push(read);
		if (this.#timer === undefined) {
			// At least 100 ms apart: a grace of 0 would otherwise check each body
			// before its first bytes could be read.
			this.#timer = setInterval(() => this.#check(), Math.max(100, Math.min(1_000, this.#graceMs)));
			this.#timer.unref();
		}
		return read;
	}

	/** The read ended: its body is let go now, its place in the list at the next sweep. */
	done(read: PacedRead | undefined): void {
		if (read !== undefined) read.body = undefined;
	}

	/**
	 * Ends the slowest read (past its first second, slower than the busy
	 * floor) and returns it, or undefined when none is that slow. The caller
	 * gives its slot back at once, and marks nothing: the read is `evicted`.
	 */
	evictSlowest(): PacedRead | undefined {
		if (this.#busyBytesPerSecond <= 0) return undefined;
		const now = performance.now();
		let slowest: PacedRead | undefined;
		let slowestRate = this.#busyBytesPerSecond;
		for (const read of this.#reads) {
			const body = read.body;
			if (body === undefined) continue;
			const elapsed = now - read.startedAt;
			if (elapsed < BUSY_GRACE_MS) continue;
			const rate = (body.received * 1_000) / elapsed;
			if (rate < slowestRate) {
				slowest = read;
				slowestRate = rate;
			}
		}
		if (slowest === undefined) return undefined;
		const body = slowest.body as PacedBody;
		slowest.body = undefined;
		slowest.evicted = true;
		body.abort(errors.bodyTooSlow(this.#busyBytesPerSecond, "while the server is busy"));
		return slowest;
	}

	#check(): void {
		const reads = this.#reads.filter((read) => read.body !== undefined);
		this.#reads = reads;
		// Stopped on an idle tick, not on each read's end: reads come and go all the time.
		if (reads.length === 0) {
			clearInterval(this.#timer);
			this.#timer = undefined;
			return;
		}
		if (this.#minBytesPerSecond <= 0) return;
		const now = performance.now();
		for (const read of reads) {
			const body = read.body;
			if (body === undefined) continue;
			const elapsed = now - read.startedAt;
			if (elapsed < this.#graceMs) continue;
			if (body.received >= (this.#minBytesPerSecond * elapsed) / 1_000) continue;
			read.body = undefined;
			body.abort(errors.bodyTooSlow(this.#minBytesPerSecond));
		}
	}
}
