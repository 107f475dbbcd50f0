import type { FanoutTimes } from "../lib/fanout.js";

/** Something that can be called once per measurement. */
export interface Caller {
	call(): Promise<unknown>;
	/** Optional: finishes work the calls so far left for later (timed with a block of calls). */
	settle?(): Promise<void>;
	close(): Promise<void>;
}

/** The core suite's workloads, by short name. */
export type WorkloadName =
	| "warm"
	| "warmRelaxed"
	| "warmTraced"
	| "http"
	| "httpRelaxed"
	| "create"
	| "wake"
	| "throughput"
	| "memory"
	| "broadcast"
	| "serverFanout"
	| "sharedState";

/** The workloads of the core suite; a system implements those it can run. */
/** 1c: what the server registers of OpenTelemetry (sampled: on, with a 10% ratio sampler). */
export type TracingMode = "off" | "context" | "on" | "sampled";

export interface Workloads {
	/** 1. A warm actor over a connection/WebSocket: increment a counter, reply after persist. */
	warmConnection?(key: string): Promise<Caller>;
	/**
	 * 1b. The same with the system's relaxed durability: the reply may leave
	 * before the write is on disk (shown so the cost of durability is visible).
	 */
	warmRelaxed?(key: string): Promise<Caller>;
	/**
	 * 1c. Row 1's call on a server of its own that runs with OpenTelemetry
	 * `mode` for its whole life: `off` (nothing registered), `context` (only a
	 * context manager: what any traced Node app pays), `on` (a context manager
	 * and a tracer provider without exporter: the system makes spans). Closing
	 * the caller stops that server. A fixed mode per process, not a switch:
	 * work a mode leaves for later (a batch of spans) stays on its own timeline.
	 */
	tracedConnection?(mode: TracingMode): Promise<Caller>;
	/** 2. A stateless HTTP action on a warm actor. */
	httpAction?(key: string): Promise<Caller>;
	/** 2b. The same with the system's relaxed durability (the server's own cost, without the commit). */
	httpRelaxed?(key: string): Promise<Caller>;
	/** 3. Create a new actor and run its first action. */
	createAndCall?(key: string): Promise<void>;
	/** 4. Put actors to sleep (out of memory), then wake one with an action. */
	sleep?(keys: string[]): Promise<void>;
	wakeAndCall?(key: string): Promise<void>;
	/** 5. Durable actions per second over many actors and callers. */
	throughput?(options: {
		actors: number;
		depth: number;
		seconds: number;
		signal: AbortSignal;
	}): Promise<number>;
	/**
	 * 6. Server memory per awake idle actor (bytes), for each count that fits
	 * the time budget, and what a sleeping actor keeps. `report` takes a line
	 * of progress (shown while the workload runs).
	 */
	memory?(options: {
		counts: readonly number[];
		budgetMs: number;
		signal: AbortSignal;
		report: (status: string) => void;
	}): Promise<{
		perAwake: Map<number, number>;
		perSleeping?: number;
		skipped?: number[];
		/**
		 * Per count, what the growth was made of, where the system can tell (a
		 * note on the row: the JS heap in use against what V8 keeps resident).
		 */
		notes?: Map<number, string>;
	}>;
	/**
	 * 7. One event to `connections` connections, which `processes` receiving
	 * processes hold between them: per round, the time until the last one has
	 * it, and the server's own fan-out time when the server has the bench's probe.
	 */
	/** 7c. A shared-state change (Tenon's `shareState`) kept in step on every connection. */
	sharedStateFanout?(options: {
		connections: number;
		processes: number;
		rounds: number;
		signal: AbortSignal;
	}): Promise<FanoutTimes>;
	broadcast?(options: {
		connections: number;
		processes: number;
		rounds: number;
		signal: AbortSignal;
	}): Promise<FanoutTimes>;
}

/** A system under test. */
export interface System extends Workloads {
	name: string;
	/** Where a write is durable when the reply arrives, in a few words. */
	durability: string;
	/** The same, in full (listed under the table). */
	durabilityDetail?: string;
	/** The durability point of workload 1b (relaxed), in a few words. */
	relaxedDurability?: string;
	/** How a workload runs on this system when it differs from the others. */
	notes?: Partial<Record<WorkloadName, string>>;
	/** Workloads the system has no equivalent for, and why. */
	unsupported?: Partial<Record<WorkloadName, string>>;
	start(): Promise<void>;
	stop(): Promise<void>;
}
