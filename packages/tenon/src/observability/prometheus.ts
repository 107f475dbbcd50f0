import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { TENON_VERSION } from "../common/version.js";
import { ActorError } from "../protocol/errors.js";
import {
	type ActionTransport,
	type ActorMetrics,
	type MetricsExposition,
	monotonicSeconds,
	type QueueEvent,
	type RuntimeMetrics,
	type RuntimeSampler,
	type StoppedAs,
} from "./metrics.js";
import { processMetrics } from "./process-metrics.js";
import {
	CounterSeries,
	type CounterValue,
	HistogramSeries,
	type HistogramValue,
} from "./series.js";
import { SleepingActors } from "./sleeping-actors.js";

/** The series an action updates, looked up once per action name and transport. */
interface ActionSeries {
	labels: { actor: string; action: string; transport: ActionTransport };
	count: CounterValue;
	seconds: HistogramValue;
}

/**
 * Durations of actions, wakes and the output gate (seconds). From 100 µs: an action takes
 * 150-700 µs here, and with 1 ms first every call of a service fell in one bucket, its
 * quantiles a guess (an operator's walkthrough, 2026-11-29).
 */
export const LATENCY_BUCKETS = [
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Durations of group commits (seconds): an fsync is often well under a millisecond. */
const COMMIT_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Commits per group commit. */
const GROUP_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/** How late timers fire (seconds). */
const LATENESS_BUCKETS = [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 3600];
const QUEUE_EVENTS: readonly QueueEvent[] = ["enqueued", "delivered", "dead_lettered"];
/** A timer that fires more than this after its time counts as late. */
export const LATE_ALARM_MS = 1_000;
/** Error codes are labels: anything but a short identifier is reported as `other`. */
const CODE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** The action label of calls to actions that do not exist (client-chosen names are unbounded). */
const UNKNOWN_ACTION = "(unknown)";

/**
 * Distinct error codes (group and code) that get series of their own, of the
 * `user` group and of the others each; later ones are reported as `other`. An
 * app's `UserError` code may carry text a client chose (`bad_${field}`), and
 * each new one was a new series for good.
 */
export const MAX_ERROR_CODES = 100;

/**
 * The `group` and `code` labels of errors, with at most {@link MAX_ERROR_CODES} distinct
 * `user` codes and as many others (Tenon's catalog, a few dozen). One cap for both let a
 * client's 100 `UserError` codes turn `core/internal_error` and `actor/not_found` into
 * `other` until a restart, and alerts on them stopped (an attacker probe, 2026-11-29).
 */
class ErrorLabels {
	readonly #user = new Set<string>();
	readonly #framework = new Set<string>();

	of(error: unknown): { group: string; code: string } {
		if (!(error instanceof ActorError)) return { group: "core", code: "internal_error" };
		const group = CODE_PATTERN.test(error.group) ? error.group : "other";
		const code = CODE_PATTERN.test(error.code) ? error.code : "other";
		const key = `${group}/${code}`;
		const seen = group === "user" ? this.#user : this.#framework;
		if (seen.has(key)) return { group, code };
		if (seen.size >= MAX_ERROR_CODES) return { group, code: "other" };
		seen.add(key);
		return { group, code };
	}
}

/**
 * The metrics behind `/metrics`, in a prom-client {@link Registry} of their
 * own (never the global one), so two servers in one process keep theirs apart.
 * Counters and histograms are updated as the runtime works; gauges are read
 * from the runtime when scraped.
 */
export class PrometheusMetrics implements RuntimeMetrics, MetricsExposition {
	readonly registry = new Registry();
	readonly #errorLabels = new ErrorLabels();
	#sampler: RuntimeSampler | undefined;
	/** Actors that went to sleep on this node and have not woken or been destroyed since. */
	readonly #sleeping = new Map<string, SleepingActors>();

	readonly #wakes: Counter<"actor">;
	readonly #wakeSeconds: Histogram<"actor">;
	readonly #actions: CounterSeries<"actor" | "action" | "transport">;
	readonly #actionSeconds: HistogramSeries<"actor" | "action" | "transport">;
	readonly #actionErrors: Counter<"actor" | "action" | "transport" | "group" | "code">;
	readonly #requestErrors: Counter<"group" | "code">;
	readonly #workflowFailures: Counter<"actor">;
	readonly #runFailures: Counter<"actor">;
	readonly #gateSeconds: HistogramSeries<"actor" | "transport">;
	readonly #commitSeconds: HistogramValue;
	readonly #commitGroup: HistogramValue;
	readonly #queue: Counter<"actor" | "event">;
	readonly #alarms: Counter<"actor">;
	readonly #lateAlarms: Counter<"actor">;
	readonly #commitFailures: Counter;
	readonly #lateness: Histogram<"actor">;

	constructor() {
		// From the start, so the event-loop delay covers the server's whole life.
		processMetrics();
		const registers = [this.registry];
		const self = this;
		this.#wakes = new Counter({
			name: "tenon_actor_wakes_total",
			help: "Actors woken on this node (loaded from storage, hooks run), by actor name.",
			labelNames: ["actor"],
			registers,
		});
		this.#wakeSeconds = new Histogram({
			name: "tenon_actor_wake_duration_seconds",
			help: "Time to wake an actor: lease, load, restore connections, createVars and onWake.",
			labelNames: ["actor"],
			buckets: LATENCY_BUCKETS,
			registers,
		});
		new Gauge({
			name: "tenon_build_info",
			help: "Tenon's version and Node's, as labels (always 1): join on it to see which version each node runs.",
			labelNames: ["version", "node_version"],
			registers,
		}).set({ version: TENON_VERSION, node_version: process.versions.node }, 1);
		new Gauge({
			name: "tenon_actors_awake",
			help: "Actors awake on this node, by actor name.",
			labelNames: ["actor"],
			registers,
			collect() {
				const sampler = self.#sampler;
				if (sampler === undefined) return;
				const counts = new Map(sampler.actorNames.map((name) => [name, 0]));
				for (const actor of sampler.awakeActors())
					counts.set(actor.name, (counts.get(actor.name) ?? 0) + 1);
				for (const [actor, count] of counts) this.set({ actor }, count);
			},
		});
		new Gauge({
			name: "tenon_actors_sleeping",
			help: "Actors that went to sleep on this node since it started and have not woken or been destroyed since (at most 100,000 per actor name, the most recent).",
			labelNames: ["actor"],
			registers,
			collect() {
				for (const name of self.#sampler?.actorNames ?? [])
					this.set({ actor: name }, self.#sleeping.get(name)?.size ?? 0);
			},
		});
		// The metrics updated on every action and commit are series of our own (series.ts).
		const registry = this.registry;
		this.#actions = new CounterSeries({
			name: "tenon_actions_total",
			help: "Actions run, by actor name, action name and transport (http, websocket, schedule).",
			labelNames: ["actor", "action", "transport"],
			registry,
		});
		this.#actionSeconds = new HistogramSeries({
			name: "tenon_action_duration_seconds",
			help: "Time an action took (validation, the action, onBeforeActionResponse), without the output-gate wait.",
			labelNames: ["actor", "action", "transport"],
			buckets: LATENCY_BUCKETS,
			registry,
		});
		this.#actionErrors = new Counter({
			name: "tenon_action_errors_total",
			help: "Actions that failed, by actor, action, transport and error group/code.",
			labelNames: ["actor", "action", "transport", "group", "code"],
			registers,
		});
		this.#gateSeconds = new HistogramSeries({
			name: "tenon_output_gate_wait_seconds",
			help: "Time a reply waited for the writes before it to be durable (the output gate), by transport.",
			labelNames: ["actor", "transport"],
			buckets: LATENCY_BUCKETS,
			registry,
		});
		this.#commitSeconds = new HistogramSeries({
			name: "tenon_commit_duration_seconds",
			help: "Duration of one group commit to storage (one driver call, one fsync on LMDB).",
			labelNames: [],
			buckets: COMMIT_BUCKETS,
			registry,
		}).series({});
		this.#commitGroup = new HistogramSeries({
			name: "tenon_commit_group_size",
			help: "Actor commits carried by one group commit.",
			labelNames: [],
			buckets: GROUP_BUCKETS,
			registry,
		}).series({});
		this.#queue = new Counter({
			name: "tenon_queue_messages_total",
			help: "Queue messages enqueued, delivered to a receiver, or moved to the dead letters, by actor name.",
			labelNames: ["actor", "event"],
			registers,
		});
		this.#queueGauge(
			"tenon_queue_depth",
			"Messages stored in the queues of actors awake on this node, by actor name.",
			"queueDepth",
		);
		this.#queueGauge(
			"tenon_queue_dead_letters",
			"Dead letters stored by actors awake on this node, by actor name.",
			"deadLetters",
		);
		new Gauge({
			name: "tenon_connections_awake",
			help: "Client sockets this node holds whose actor is awake (connect and raw WebSockets).",
			registers,
			collect() {
				const stats = self.#sampler?.sockets();
				if (stats) this.set(stats.sockets - stats.hibernated);
			},
		});
		new Gauge({
			name: "tenon_connections_hibernated",
			help: "Client sockets this node holds open while their actor sleeps (hibernated connections).",
			registers,
			collect() {
				const stats = self.#sampler?.sockets();
				if (stats) this.set(stats.hibernated);
			},
		});
		this.#alarms = new Counter({
			name: "tenon_alarms_fired_total",
			help: "Timers (scheduled actions and cron jobs) that came due and fired, by actor name.",
			labelNames: ["actor"],
			registers,
		});
		this.#workflowFailures = new Counter({
			name: "tenon_workflows_failed_total",
			help: "Workflows that failed for good (a step's retries used up, a CriticalError, a rollback that failed), by actor name.",
			labelNames: ["actor"],
			registers,
		});
		this.#runFailures = new Counter({
			name: "tenon_run_failures_total",
			help: "Times an actor's run handler (or its workflow's run) threw and was restarted, by actor name.",
			labelNames: ["actor"],
			registers,
		});
		this.#requestErrors = new Counter({
			name: "tenon_http_errors_total",
			help: "HTTP requests answered with an error, and WebSocket upgrades refused, by the error's group and code (rate limits, tokens, bad requests, unknown actors, failed actions).",
			labelNames: ["group", "code"],
			registers,
		});
		this.#commitFailures = new Counter({
			name: "tenon_commit_failures_total",
			help: "Group commits the storage failed (each fails its actors' turns: their callers get 500, the actors reset).",
			registers,
		});
		this.#lateAlarms = new Counter({
			name: "tenon_alarms_late_total",
			help: `Timers that fired more than ${LATE_ALARM_MS} ms after their time, by actor name.`,
			labelNames: ["actor"],
			registers,
		});
		this.#lateness = new Histogram({
			name: "tenon_alarm_lateness_seconds",
			help: "How long after its time a timer fired, by actor name.",
			labelNames: ["actor"],
			buckets: LATENESS_BUCKETS,
			registers,
		});
		new Gauge({
			name: "tenon_cluster_leases",
			help: "Actor leases this node holds (cluster mode only), by node id.",
			labelNames: ["node"],
			registers,
			collect() {
				this.reset();
				const leases = self.#sampler?.leases();
				if (leases) this.set({ node: leases.nodeId }, leases.held);
			},
		});
		this.#clusterCounter(
			"tenon_cluster_takeovers_total",
			"Actors this node took over from a node whose lease had expired (it died, froze or lost its database), cluster mode only.",
			"takeovers",
		);
		this.#clusterCounter(
			"tenon_cluster_leases_lost_total",
			"Actor leases this node lost: its renewals were late, or another node took them, cluster mode only.",
			"lost",
		);
	}

	/** A counter kept by the cluster membership, read when scraped. */
	#clusterCounter(name: string, help: string, field: "takeovers" | "lost"): void {
		const self = this;
		new Counter({
			name,
			help,
			labelNames: ["node"],
			registers: [this.registry],
			collect() {
				this.reset();
				const leases = self.#sampler?.leases();
				// Shown at 0 from the start: increase() and rate() need a sample before the first event.
				if (leases) this.inc({ node: leases.nodeId }, leases[field]);
			},
		});
	}

	#queueGauge(name: string, help: string, field: "queueDepth" | "deadLetters"): void {
		const self = this;
		new Gauge({
			name,
			help,
			labelNames: ["actor"],
			registers: [this.registry],
			collect() {
				const sampler = self.#sampler;
				if (sampler === undefined) return;
				const sums = new Map(sampler.actorNames.map((actor) => [actor, 0]));
				for (const actor of sampler.awakeActors())
					sums.set(actor.name, (sums.get(actor.name) ?? 0) + actor[field]);
				for (const [actor, sum] of sums) this.set({ actor }, sum);
			},
		});
	}

	get contentType(): string {
		return this.registry.contentType;
	}

	async render(): Promise<string> {
		const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
		return `${own.trimEnd()}\n\n${process}`;
	}

	sample(sampler: RuntimeSampler): void {
		this.#sampler = sampler;
	}

	commitBatch(seconds: number, size: number): void {
		this.#commitSeconds.observe(seconds);
		this.#commitGroup.observe(size);
	}

	commitFailed(): void {
		this.#commitFailures.inc();
	}

	requestFailed(error: unknown): void {
		this.#requestErrors.inc(this.#errorLabels.of(error));
	}

	forActor(actor: string, actions: { has(action: string): boolean }): ActorMetrics {
		const sleeping = new SleepingActors();
		this.#sleeping.set(actor, sleeping);
		// The actor's counters show from the start, at 0: a series that appears with its first
		// failure at 1 is missed by `increase()` and `rate()`, and an alert on any workflow
		// failure never fired for the first one (an operator's walkthrough, 2026-11-29).
		for (const counter of [
			this.#wakes,
			this.#workflowFailures,
			this.#runFailures,
			this.#alarms,
			this.#lateAlarms,
		])
			counter.inc({ actor }, 0);
		for (const event of QUEUE_EVENTS) this.#queue.inc({ actor, event }, 0);
		// The series of each action and transport, looked up once. Only the
		// actor's own action names are keys: a client may call any name (even
		// while the actor stops, before the name is looked up), and those share
		// the label value "(unknown)".
		const actionSeries: Record<ActionTransport, Map<string, ActionSeries>> = {
			http: new Map(),
			websocket: new Map(),
			schedule: new Map(),
		};
		const seriesOf = (action: string, transport: ActionTransport): ActionSeries => {
			const byName = actionSeries[transport];
			let series = byName.get(action);
			if (series === undefined) {
				const labels = { actor, action, transport };
				series = {
					labels,
					count: this.#actions.series(labels),
					seconds: this.#actionSeconds.series(labels),
				};
				byName.set(action, series);
			}
			return series;
		};
		const actionEnded = (
			action: string,
			transport: ActionTransport,
			started: number,
			error: unknown,
		): void => {
			const series = seriesOf(actions.has(action) ? action : UNKNOWN_ACTION, transport);
			series.count.inc();
			series.seconds.observe(monotonicSeconds() - started);
			if (error !== undefined)
				this.#actionErrors.inc({ ...series.labels, ...this.#errorLabels.of(error) });
		};
		// Made on first use, as prom-client shows a series only once it was observed.
		const gateSeries: { http?: HistogramValue; websocket?: HistogramValue } = {};
		const gateSeriesOf = (transport: "http" | "websocket"): HistogramValue => {
			let series = gateSeries[transport];
			if (series === undefined) {
				series = this.#gateSeconds.series({ actor, transport });
				gateSeries[transport] = series;
			}
			return series;
		};
		/** Records the output gate's wait from now when called. */
		const gateObserver = (transport: "http" | "websocket") => {
			const started = monotonicSeconds();
			const series = gateSeriesOf(transport);
			return () => series.observe(monotonicSeconds() - started);
		};
		return {
			actionEnded,
			records: true,
			timeOutputGate: (gate, transport) => {
				const observe = gateObserver(transport);
				return gate.then(observe, (error: unknown) => {
					observe();
					throw error;
				});
			},
			outputGateWaited: (seconds, transport) => gateSeriesOf(transport).observe(seconds),
			queueMessages: (event: QueueEvent, count: number) => {
				if (count > 0) this.#queue.inc({ actor, event }, count);
			},
			alarmFired: (scheduledAt, firedAt) => {
				const lateMs = Math.max(0, firedAt - scheduledAt);
				this.#alarms.inc({ actor });
				this.#lateness.observe({ actor }, lateMs / 1000);
				if (lateMs > LATE_ALARM_MS) this.#lateAlarms.inc({ actor });
			},
			actorWoke: (actorId, seconds) => {
				sleeping.gone(actorId);
				this.#wakes.inc({ actor });
				this.#wakeSeconds.observe({ actor }, seconds);
			},
			actorStopped: (actorId, as: StoppedAs) => {
				if (as === "sleep") sleeping.slept(actorId);
				else sleeping.gone(actorId);
			},
			workflowFailed: () => this.#workflowFailures.inc({ actor }),
			runFailed: () => this.#runFailures.inc({ actor }),
		};
	}
}
