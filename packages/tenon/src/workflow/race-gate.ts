// Which branch of a race keeps the messages its queue waits receive. Messages
// that reach several branches in the same turn of the event loop (sent in one
// action, or stored when the race starts) stay with the first branch that got
// some; the others give theirs back untouched and wait again from the next
// turn, so a branch that receives and returns wins with its message while its
// siblings' messages stay queued. Before 2026-11-26 each branch took its own,
// only the winner's result was used, and the losers' messages were lost (or,
// completable, completed for a result thrown away): a review.

/** One race's claim on its receives: held by one branch until the turn ends. */
export class RaceGate {
	#branch: number | undefined;
	#turnEnd: Promise<void> | undefined;

	/** True when `branch` may keep what it received now: no sibling got messages in this turn. */
	mayKeep(branch: number): boolean {
		return this.#branch === undefined || this.#branch === branch;
	}

	/** `branch` keeps what it received: until the turn ends, its siblings give theirs back. */
	claim(branch: number): void {
		if (this.#branch !== undefined) return;
		this.#branch = branch;
		// setImmediate: after every microtask of this turn, so every branch that was handed
		// messages in it has looked at the claim (as the commit pipeline groups a turn's writes).
		this.#turnEnd = new Promise((resolve) =>
			setImmediate(() => {
				this.#branch = undefined;
				this.#turnEnd = undefined;
				resolve();
			}),
		);
	}

	/** Resolves once the turn of the current claim ended (at once without one). */
	free(): Promise<void> {
		return this.#turnEnd ?? Promise.resolve();
	}
}

/** Where a scope sits in an enclosing race: the race's gate and the branch it is in. */
export interface RaceSeat {
	readonly gate: RaceGate;
	readonly branch: number;
}
