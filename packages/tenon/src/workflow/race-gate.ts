// Which branch of a race keeps the messages its queue waits receive. Messages
// that reach several branches at once (sent in one action, or stored when the
// race starts) go to the first branch that takes some; the others take none
// until it waits again or ends, so a branch that receives and returns wins
// with its message while its siblings' messages stay queued. Before
// 2026-11-26 each branch took its own, only the winner's result was used, and
// the losers' messages were lost (or, completable, completed for a result
// thrown away): a review.
//
// The gate is asked when messages are taken (a ReceiveGate, see the
// RunQueue port), not only once they arrive, and a branch that took some
// keeps the race until it waits again (a queue wait, a sleep, a step's retry
// delay) or its code ends: a careful hand-out (after a crash) commits a
// message's raised delivery count before handing it out, and a careful step
// commits before it runs, so a claim that lasted one turn let a sibling take
// its message while the claimer's commit was on its way. That sibling then
// lost the race: its plain message was lost, or its count raised once per
// crash until an acknowledged message was dead-lettered (a SIGKILL test and a
// review, 2026-11-26).

import type { ReceiveGate } from "../actor/run-host.js";

/** One race's claim on its receives: held by one branch until it waits or ends. */
export class RaceGate {
	#branch: number | undefined;
	/** Takes of the claiming branch whose messages are still on their way (see {@link hold}). */
	#holds = 0;
	#free: Promise<void> | undefined;
	#freed: (() => void) | undefined;

	/** True when `branch` may keep what it received now: no sibling holds the race. */
	mayKeep(branch: number): boolean {
		return this.#branch === undefined || this.#branch === branch;
	}

	/** `branch` keeps what it received: its siblings take nothing until it {@link waits}. */
	claim(branch: number): void {
		this.#branch ??= branch;
	}

	/** `branch` takes messages: it claims the race, and keeps it at least until {@link release}. */
	hold(branch: number): boolean {
		if (!this.mayKeep(branch)) return false;
		this.claim(branch);
		this.#holds++;
		return true;
	}

	/** A hold's messages reached its receive (or went back); the claim stays. */
	release(): void {
		this.#holds--;
	}

	/**
	 * `branch` waits (for messages, a deadline) or its code ended: its claim
	 * ends, unless messages it took are still on their way to it.
	 */
	waits(branch: number): void {
		if (this.#branch !== branch || this.#holds > 0) return;
		this.#branch = undefined;
		const freed = this.#freed;
		this.#free = undefined;
		this.#freed = undefined;
		freed?.();
	}

	/** Resolves once the current claim ended (at once without one). */
	free(): Promise<void> {
		if (this.#branch === undefined) return Promise.resolve();
		this.#free ??= new Promise((resolve) => {
			this.#freed = resolve;
		});
		return this.#free;
	}
}

/** Where a scope sits in an enclosing race: the race's gate and the branch it is in. */
export interface RaceSeat {
	readonly gate: RaceGate;
	readonly branch: number;
}

/** The scope waits (or, a race's branch, ended): the claims it holds end (see RaceGate.waits). */
export function waitsInRaces(seats: readonly RaceSeat[]): void {
	for (const seat of seats) seat.gate.waits(seat.branch);
}

/**
 * The gate a scope's queue waits take messages through: every race it is a
 * branch of (nested ones too) must let it; undefined outside races.
 */
export function receiveGateOf(seats: readonly RaceSeat[]): ReceiveGate | undefined {
	if (seats.length === 0) return undefined;
	return {
		tryHold: () => {
			if (!seats.every((seat) => seat.gate.mayKeep(seat.branch))) return false;
			for (const seat of seats) seat.gate.hold(seat.branch);
			return true;
		},
		release: () => {
			for (const seat of seats) seat.gate.release();
		},
		free: () =>
			seats.find((seat) => !seat.gate.mayKeep(seat.branch))?.gate.free() ?? Promise.resolve(),
	};
}
