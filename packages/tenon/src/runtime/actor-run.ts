import type { Clock } from "../common/clock.js";
import type { Logger } from "../common/logger.js";
import { RunLoop } from "./run-loop.js";

/** What the `run` handler's say over sleep and wake-ups changes (see RunHost). */
export interface RunControl {
	/** True: the handler only waits (a durable sleep, a queue wait), so the actor may sleep. */
	setIdle(idle: boolean): void;
	/** When the actor must be awake again for the handler; undefined: not needed. */
	setWakeAt(at: number | undefined): void;
	/** See RunHost.beforeFinalCommit. */
	beforeFinalCommit(fn: () => void): () => void;
}

/** What an actor's `run` handler needs from it. */
export interface ActorRunDeps<C> {
	run: (context: C) => unknown;
	clock: Clock;
	log: Logger;
	abortSignal: AbortSignal;
	/**
	 * A fresh context for one run of the handler, its run host wired to
	 * `control`; `signal` (haltable runs only) aborts when this run must end.
	 */
	createContext(control: RunControl, signal: AbortSignal | undefined): C;
	/** The handler may be halted and started again while the actor stays awake (run providers). */
	haltable?: boolean;
	/** A handler waits on the queue right now (waiting is not work). */
	hasQueueReceivers(): boolean;
	/** The handler failed: release its queue leases before it restarts. */
	releaseLeases(): void;
	/** The handler threw and is restarted (counted in the metrics). */
	runFailed?(): void;
	/** Grows as the handler completes queue messages (its progress: see RunLoopDeps.progress). */
	progress(): number;
	/** The handler settled or is due to restart: end-of-turn work, and a drain may finish. */
	onChange(): void;
	/** The handler now only waits: the actor may become idle. */
	onIdle(): void;
	/** The handler started or stopped working: a drain may finish. */
	onWorkChanged(): void;
	/** The handler's wake-up time changed: the alarm must be recomputed and saved. */
	onWakeAtChanged(): void;
}

/**
 * An actor's `run` handler: its restarting loop, and its say over whether the
 * actor may sleep (it keeps the actor awake while it works, not while it
 * waits) and when the actor must wake for it.
 */
export class ActorRun<C> {
	readonly #loop: RunLoop<C>;
	readonly #deps: ActorRunDeps<C>;
	#idle = false;
	#wakeAt: number | undefined;
	/** What the handler writes with a graceful stop's final commit (made on first use). */
	#finalWrites: Set<() => void> | undefined;

	constructor(deps: ActorRunDeps<C>) {
		this.#deps = deps;
		const control: RunControl = {
			setIdle: (idle) => {
				if (this.#idle === idle) return;
				this.#idle = idle;
				if (idle) deps.onIdle();
				deps.onWorkChanged();
			},
			setWakeAt: (at) => {
				if (this.#wakeAt === at) return;
				this.#wakeAt = at;
				deps.onWakeAtChanged();
			},
			beforeFinalCommit: (fn) => {
				this.#finalWrites ??= new Set();
				const writes = this.#finalWrites;
				const once = () => fn();
				writes.add(once);
				return () => writes.delete(once);
			},
		};
		this.#loop = new RunLoop({
			run: deps.run,
			clock: deps.clock,
			log: deps.log,
			abortSignal: deps.abortSignal,
			createContext: (signal) => deps.createContext(control, signal),
			haltable: deps.haltable ?? false,
			progress: deps.progress,
			onFailed: () => {
				this.#idle = false;
				deps.releaseLeases();
				deps.runFailed?.();
			},
			onChange: () => deps.onChange(),
		});
	}

	/** Starts the handler (after a wake, or after {@link halt}). */
	start(): void {
		this.#loop.start();
	}

	/** The actor stops: a pending restart is cancelled. */
	stop(): void {
		this.#loop.stop();
	}

	/** A graceful stop's final commit comes next: the handler's last writes for it. */
	writeFinal(): void {
		const writes = this.#finalWrites;
		this.#finalWrites = undefined;
		for (const write of writes ?? []) write();
	}

	/**
	 * Halts the handler while the actor stays awake (see RunLoop.halt) and
	 * releases its queue leases, so that a {@link start} after it begins
	 * afresh (the inspector's workflow replay). The halted handler ended
	 * gracefully, so its last writes are made as for a stop (a workflow clears
	 * its life mark: left stored, the next start took itself for one after a
	 * crash); the replay's turn commits them.
	 */
	async halt(): Promise<void> {
		await this.#loop.halt();
		this.writeFinal();
		this.#idle = false;
		this.#deps.releaseLeases();
	}

	/** The handler runs, or waits to be restarted. */
	get active(): boolean {
		return this.#loop.active;
	}

	/** The handler is working (not only waiting on the queue or durably): the actor stays awake. */
	get busy(): boolean {
		return this.#loop.active && !this.#deps.hasQueueReceivers() && !this.#idle;
	}

	/** When the actor must be awake for the handler, if at all. */
	get wakeAt(): number | undefined {
		return this.#wakeAt;
	}
}
