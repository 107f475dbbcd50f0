// The metrics port: what the runtime reports as it works. The runtime calls
// these methods on its hot paths, so the default implementation does nothing
// and costs one call; `prometheus.ts` is the implementation behind `/metrics`.

/** How an action reached its actor. */
export type ActionTransport = "http" | "websocket" | "schedule";

/** What happened to queue messages. */
export type QueueEvent = "enqueued" | "delivered" | "dead_lettered";

/** Why an instance stopped: its stop kinds, or `dropped` (lease lost, failed commit or start). */
export type StoppedAs = "sleep" | "destroy" | "shutdown" | "dropped";

/** What one actor type reports (bound to its name once, so calls carry no name). */
export interface ActorMetrics {
	/**
	 * One action ended (the output gate excluded), counting its error if it
	 * threw one; `started` is {@link monotonicSeconds} when it began. The
	 * caller times it only when {@link records} (no timing work otherwise).
	 */
	actionEnded(action: string, transport: ActionTransport, started: number, error: unknown): void;
	/** Times how long a reply waits for durability (the output gate). */
	timeOutputGate(gate: Promise<void>, transport: "http" | "websocket"): Promise<void>;
	/** Records one reply's wait for durability, timed by the caller (replies on connections). */
	outputGateWaited(seconds: number, transport: "http" | "websocket"): void;
	/** False when nothing is recorded: actions and replies on connections are then not timed. */
	readonly records: boolean;
	/** Queue messages enqueued, delivered to a receiver or set aside as dead letters. */
	queueMessages(event: QueueEvent, count: number): void;
	/** A timer (scheduled action or cron job) fired; times are the actor's clock (ms). */
	alarmFired(scheduledAt: number, firedAt: number): void;
	/** An instance finished waking (`seconds`: from the wake's start). */
	actorWoke(actorId: string, seconds: number): void;
	/** An instance stopped. */
	actorStopped(actorId: string, as: StoppedAs): void;
	/** The actor's workflow (a run provider) failed for good. */
	workflowFailed(): void;
	/** The actor's `run` handler (or its workflow's run) threw and is restarted. */
	runFailed(): void;
}

/** What an awake actor holds right now (read when metrics are scraped). */
export interface AwakeActorSample {
	readonly name: string;
	/** Messages stored in its queues. */
	readonly queueDepth: number;
	/** Dead letters stored. */
	readonly deadLetters: number;
}

/** Values the runtime reads only when metrics are scraped (never on a hot path). */
export interface RuntimeSampler {
	/** The registered actor names (each gets a series, zero when none is awake). */
	readonly actorNames: readonly string[];
	/** The actors awake on this node. */
	awakeActors(): Iterable<AwakeActorSample>;
	/** Client sockets this node holds, and how many of them hibernate. */
	sockets(): { sockets: number; hibernated: number };
	/**
	 * In a cluster: this node's id, the leases it holds, and since it started
	 * the actors it took over and the leases it lost; undefined otherwise.
	 */
	leases(): { nodeId: string; held: number; takeovers: number; lost: number } | undefined;
}

/** What the runtime reports to (one per runtime; see {@link noopMetrics}). */
export interface RuntimeMetrics {
	/**
	 * The metrics of one actor type (called once per type). `actions` tells
	 * its action names: calls to any other name share one label value.
	 */
	forActor(name: string, actions: { has(action: string): boolean }): ActorMetrics;
	/** One group commit: its duration and how many actors' commits it carried. */
	commitBatch(seconds: number, size: number): void;
	/** A group commit the storage failed (`size` actors' commits failed with it). */
	commitFailed(size: number): void;
	/** An HTTP request answered with an error, or a WebSocket upgrade refused, for `error`. */
	requestFailed(error: unknown): void;
	/** Where scrape-time values come from (the runtime registers itself once). */
	sample(sampler: RuntimeSampler): void;
}

/** The metrics of a server without `/metrics`: every call does nothing. */
const noopActorMetrics: ActorMetrics = {
	actionEnded: () => {},
	timeOutputGate: (gate) => gate,
	outputGateWaited: () => {},
	records: false,
	queueMessages: () => {},
	alarmFired: () => {},
	actorWoke: () => {},
	actorStopped: () => {},
	workflowFailed: () => {},
	runFailed: () => {},
};

/** The default {@link RuntimeMetrics}: records nothing. */
export const noopMetrics: RuntimeMetrics = {
	forActor: () => noopActorMetrics,
	commitBatch: () => {},
	commitFailed: () => {},
	requestFailed: () => {},
	sample: () => {},
};

/** The text a metrics endpoint serves (the server's view of an enabled metrics registry). */
export interface MetricsExposition {
	/** The `Content-Type` of {@link MetricsExposition.render}'s text. */
	readonly contentType: string;
	/** The current values in the Prometheus text format. */
	render(): Promise<string>;
}

/** A monotonic time in seconds, for durations (not wall-clock times). */
export function monotonicSeconds(): number {
	return performance.now() / 1000;
}
