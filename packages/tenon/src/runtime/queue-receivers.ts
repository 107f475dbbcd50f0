// The receives of an actor's queues that wait for messages: each until a
// message comes for it (the queue manager hands it out), its timeout passes
// (nothing), its signal or the actor's aborts (rejected), its action fails
// (nothing) or the actor stops (rejected).

import type { ReceiveGate } from "../actor/run-host.js";
import type { Clock, TimerHandle } from "../common/clock.js";
import type { ActionHolder, QueueHolder, StoredMessage } from "./queue-records.js";

/** A receive waiting for messages. */
export interface ReceiveWaiter {
	holder: QueueHolder;
	names: ReadonlySet<string> | undefined;
	completable: boolean;
	count: number;
	/** The caller's: aborted, a careful hand-out gives its messages back. */
	signal: AbortSignal | undefined;
	/** Takes messages only while this lets it (a workflow race's branch). */
	gate: ReceiveGate | undefined;
	resolve(messages: StoredMessage[]): void;
	reject(error: unknown): void;
	/** Stops waiting (no longer listed, timer and listeners gone); the caller settles it. */
	cleanup(): void;
}

/** What a receive waits for: see {@link ReceiveWaiter}; `timeout` in ms. */
export type WaitSpec = Omit<ReceiveWaiter, "resolve" | "reject" | "cleanup"> & {
	timeout: number | undefined;
};

export class WaitingReceivers {
	readonly #clock: Clock;
	/** The actor stops: every wait ends. */
	readonly #stopping: AbortSignal;
	/** Told when a wait begins or ends (the actor may become idle). */
	readonly #changed: () => void;
	#list: ReceiveWaiter[] = [];

	constructor(clock: Clock, stopping: AbortSignal, changed: () => void) {
		this.#clock = clock;
		this.#stopping = stopping;
		this.#changed = changed;
	}

	/** The waiting receives, oldest first (a copy: serving one removes it). */
	snapshot(): ReceiveWaiter[] {
		return [...this.#list];
	}

	/** Waits until the queue manager serves the receive, or it ends (see the module's comment). */
	wait(spec: WaitSpec): Promise<StoredMessage[]> {
		return this.#wait(spec, true);
	}

	/**
	 * A receive of code left running after its holder failed: never served,
	 * and not counted, but it ends as any other wait does (the actor's stop,
	 * its signal, its timeout). A promise that never settled kept the actor
	 * awake for good under `keepAwake` (a review, 2026-11-26).
	 */
	park(spec: WaitSpec): Promise<StoredMessage[]> {
		return this.#wait(spec, false);
	}

	/** True while `holder` waits to receive. */
	waiting(holder: QueueHolder): boolean {
		return this.#list.some((waiter) => waiter.holder === holder);
	}

	#wait(spec: WaitSpec, listed: boolean): Promise<StoredMessage[]> {
		const signals = [this.#stopping, spec.signal].filter((s): s is AbortSignal => s !== undefined);
		const aborted = signals.find((signal) => signal.aborted);
		if (aborted) return Promise.reject(aborted.reason);
		return new Promise<StoredMessage[]>((resolve, reject) => {
			let timer: TimerHandle | undefined;
			const onAbort = (event: Event) => {
				cleanup();
				reject((event.target as AbortSignal).reason);
			};
			const cleanup = () => {
				this.#list = this.#list.filter((r) => r !== waiter);
				if (timer !== undefined) this.#clock.clearTimeout(timer);
				for (const signal of signals) signal.removeEventListener("abort", onAbort);
				this.#changed();
			};
			const waiter: ReceiveWaiter = {
				holder: spec.holder,
				names: spec.names,
				completable: spec.completable,
				count: spec.count,
				signal: spec.signal,
				gate: spec.gate,
				resolve,
				reject,
				cleanup,
			};
			for (const signal of signals) signal.addEventListener("abort", onAbort, { once: true });
			if (spec.timeout !== undefined) {
				timer = this.#clock.setTimeout(
					() => {
						cleanup();
						resolve([]);
					},
					Math.max(0, spec.timeout),
				);
			}
			if (listed) {
				this.#list.push(waiter);
				this.#changed();
			}
		});
	}

	/**
	 * An action's code failed: what it still waits for ends with nothing (a
	 * receive it did not await, or raced: a rejection might not be heard, and
	 * unheard it ends the process).
	 */
	endHolder(holder: ActionHolder): void {
		for (const receiver of this.#list.filter((waiting) => waiting.holder === holder)) {
			receiver.cleanup();
			receiver.resolve([]);
		}
	}

	/** The actor stops: every wait is rejected with `error`. */
	close(error: () => unknown): void {
		for (const receiver of [...this.#list]) {
			receiver.cleanup();
			receiver.reject(error());
		}
	}
}

/**
 * Receives their gate refused (a workflow race's losing branches, see the
 * RunQueue port) are served again once it frees: one delivery per wait of a
 * gate, however many receives or sends met it.
 */
export class GateRetries {
	readonly #deliver: () => void;
	readonly #waits = new WeakSet<Promise<void>>();

	constructor(deliver: () => void) {
		this.#deliver = deliver;
	}

	after(gate: ReceiveGate): void {
		const free = gate.free();
		if (this.#waits.has(free)) return;
		this.#waits.add(free);
		void free.then(() => {
			this.#waits.delete(free);
			this.#deliver();
		});
	}
}
