/**
 * Spreads actor wake-ups over the event loop's turns. A wake-up is mostly
 * synchronous work (its records read and decoded, the actor assembled, its
 * held input handled), and a burst of them arrives in one turn: one message
 * on each of 2,000 hibernated connections across 400 actors woke all 400 in
 * one poll phase and blocked the loop for 450 ms (an attacker probe). The
 * first {@link perTurn} wake-ups of a turn start at once; later ones wait for
 * the turns after it, first come first served, so timers and other clients'
 * I/O run between the batches. A lone wake-up never waits.
 */
export class WakePacer {
	readonly #perTurn: number;
	#startedThisTurn = 0;
	#turnEnding = false;
	readonly #waiting: (() => void)[] = [];
	/** Index of the first waiting entry (a queue without shifting the array). */
	#head = 0;

	constructor(perTurn: number) {
		this.#perTurn = perTurn;
	}

	/** Wake-ups waiting for a later turn. */
	get waiting(): number {
		return this.#waiting.length - this.#head;
	}

	/** Entries the queue's array holds, released ones included (for tests: it must stay bounded). */
	get retained(): number {
		return this.#waiting.length;
	}

	/** Runs `start` now if this turn has room, else in a later turn. */
	run<T>(start: () => Promise<T>): Promise<T> {
		if (this.waiting === 0 && this.#startedThisTurn < this.#perTurn) {
			this.#startedThisTurn++;
			this.#endTurnSoon();
			return start();
		}
		this.#endTurnSoon();
		return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(start);
	}

	#endTurnSoon(): void {
		if (this.#turnEnding) return;
		this.#turnEnding = true;
		// After this turn's I/O callbacks (the check phase): the next batch starts there.
		setImmediate(() => this.#nextTurn());
	}

	#nextTurn(): void {
		this.#turnEnding = false;
		this.#startedThisTurn = 0;
		while (this.waiting > 0 && this.#startedThisTurn < this.#perTurn) {
			this.#startedThisTurn++;
			const release = this.#waiting[this.#head] as () => void;
			this.#head++;
			release();
		}
		// Released entries go once they are half the array (a queue that never empties
		// under steady load must not keep every wake-up it ever released).
		if (this.waiting === 0) {
			this.#waiting.length = 0;
			this.#head = 0;
		} else if (this.#head > 64 && this.#head * 2 > this.#waiting.length) {
			this.#waiting.splice(0, this.#head);
			this.#head = 0;
		}
		if (this.#startedThisTurn > 0) this.#endTurnSoon();
	}
}
