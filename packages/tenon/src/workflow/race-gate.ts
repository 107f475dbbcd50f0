// Which branch of a race keeps the messages its queue waits receive. Messages
// that reach several branches in the same turn of the event loop (sent in one
// action, or stored when the race starts) stay with the first branch that got
// some; the others take none and wait again from the next turn, so a branch
// that receives and returns wins with its message while its siblings'
// messages stay queued. Before 2026-11-26 each branch took its own, only the
// winner's result was used, and the losers' messages were lost (or,
// completable, completed for a result thrown away): a review.
//
// The gate is asked when messages are taken (a ReceiveGate, see the
// RunQueue port), not only once they arrive: a careful hand-out (after a
// crash) commits a message's raised delivery count before handing it out, so
// a loser that took one and gave it back raised its count once per crash in
// between, and after maxQueueDeliveries crashes an acknowledged message was
// dead-lettered (a SIGKILL test, 2026-11-26). A branch that takes holds the
// gate until its messages reach it (across that commit), then for the turn.

import type { ReceiveGate } from "../actor/run-host.js";

/** One race's claim on its receives: held by one branch until the turn ends. */
export class RaceGate {
	#branch: number | undefined;
	/** Receives of the claiming branch whose messages are still on their way (see {@link hold}). */
	#holds = 0;
	/** A turn end is scheduled. */
	#ending = false;
	#turnEnd: Promise<void> | undefined;
	#endTurn: (() => void) | undefined;

	/** True when `branch` may keep what it received now: no sibling got messages in this turn. */
	mayKeep(branch: number): boolean {
		return this.#branch === undefined || this.#branch === branch;
	}

	/** `branch` keeps what it received: until the turn ends, its siblings take nothing. */
	claim(branch: number): void {
		if (this.#branch !== undefined) return;
		this.#branch = branch;
		this.#turnEnd = new Promise((resolve) => {
			this.#endTurn = resolve;
		});
		this.#scheduleEnd();
	}

	/** `branch` takes messages: it claims the gate, and keeps it at least until {@link release}. */
	hold(branch: number): boolean {
		if (!this.mayKeep(branch)) return false;
		this.claim(branch);
		this.#holds++;
		return true;
	}

	/** A hold's messages reached its receive (or went back): the claim lasts to the turn's end. */
	release(): void {
		this.#holds--;
		if (this.#holds === 0 && !this.#ending) this.#scheduleEnd();
	}

	// setImmediate: after every microtask of this turn, so every branch that was handed
	// messages in it has looked at the claim (as the commit pipeline groups a turn's writes).
	#scheduleEnd(): void {
		this.#ending = true;
		setImmediate(() => {
			this.#ending = false;
			// Still held across a commit: the last release schedules the end again.
			if (this.#holds > 0) return;
			const end = this.#endTurn;
			this.#branch = undefined;
			this.#turnEnd = undefined;
			this.#endTurn = undefined;
			end?.();
		});
	}

	/** Resolves once the current claim ended (at once without one). */
	free(): Promise<void> {
		return this.#turnEnd ?? Promise.resolve();
	}
}

/** Where a scope sits in an enclosing race: the race's gate and the branch it is in. */
export interface RaceSeat {
	readonly gate: RaceGate;
	readonly branch: number;
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
