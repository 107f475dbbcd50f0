// Counters and histograms whose updates cost a few additions, rendered by
// prom-client. prom-client's own `observe(labels, value)` validates the
// labels, hashes them into a string and looks the series up on every call:
// about 3 µs per action for Tenon's four per-action updates, measured hot in
// a loop, and 5% of the warm durable action's server time in its profile.
// Here a caller looks a series up once and keeps it; prom-client still owns
// the registry and the exposition format (escaping, OpenMetrics, `+Inf`).
import type { Metric, Registry } from "prom-client";

/** Label values of one series, by label name. */
export type LabelSet<L extends string> = Readonly<Record<L, string>>;

/** One value as prom-client's registry renders it. */
interface RenderedValue {
	value: number;
	labels: Record<string, string | number>;
	metricName?: string;
}

/** What prom-client's registry reads from a metric (`getForPromString` output). */
interface RenderedMetric {
	name: string;
	help: string;
	type: "counter" | "histogram";
	values: RenderedValue[];
	aggregator: "sum";
}

/** Options of {@link CounterSeries} and {@link HistogramSeries}. */
export interface SeriesOptions<L extends string> {
	name: string;
	help: string;
	labelNames: readonly L[];
	/** The registry that renders this metric. */
	registry: Registry;
}

/** One labelled series of a counter. */
export class CounterValue {
	value = 0;
	inc(by = 1): void {
		this.value += by;
	}
}

/** One labelled series of a histogram. */
export class HistogramValue {
	/** Observations per bucket (not cumulative); the last slot is above every bound. */
	readonly counts: Float64Array;
	sum = 0;
	count = 0;
	readonly #bounds: readonly number[];

	constructor(bounds: readonly number[]) {
		this.#bounds = bounds;
		this.counts = new Float64Array(bounds.length + 1);
	}

	observe(value: number): void {
		const bounds = this.#bounds;
		let bucket = 0;
		while (bucket < bounds.length && value > (bounds[bucket] as number)) bucket++;
		this.counts[bucket] = (this.counts[bucket] as number) + 1;
		this.sum += value;
		this.count++;
	}
}

/** The series of one metric, keyed by their label values. */
abstract class SeriesMetric<L extends string, V> {
	readonly name: string;
	readonly help: string;
	readonly aggregator = "sum";
	readonly #labelNames: readonly L[];
	readonly #series = new Map<string, { labels: LabelSet<L>; value: V }>();

	constructor(options: SeriesOptions<L>) {
		this.name = options.name;
		this.help = options.help;
		this.#labelNames = options.labelNames;
		// prom-client's Registry renders any object with a name, help, type and
		// getForPromString(); its typings only name its own classes.
		options.registry.registerMetric(this as unknown as Metric);
	}

	abstract readonly type: "counter" | "histogram";
	protected abstract create(): V;
	protected abstract zero(value: V): void;
	protected abstract render(labels: LabelSet<L>, value: V, out: RenderedValue[]): void;

	/**
	 * The series of `labels`, made on first use. A hot path keeps what this
	 * returns: the lookup builds a key, an update does not.
	 */
	series(labels: LabelSet<L>): V {
		let key = "";
		for (const name of this.#labelNames) key += `${labels[name]}\u0000`;
		let entry = this.#series.get(key);
		if (entry === undefined) {
			entry = { labels: { ...labels }, value: this.create() };
			this.#series.set(key, entry);
		}
		return entry.value;
	}

	/**
	 * Sets every series back to zero (prom-client's `Registry#resetMetrics`).
	 * The series stay: hot paths hold them.
	 */
	reset(): void {
		for (const { value } of this.#series.values()) this.zero(value);
	}

	async getForPromString(): Promise<RenderedMetric> {
		const values: RenderedValue[] = [];
		for (const { labels, value } of this.#series.values()) this.render(labels, value, values);
		return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" };
	}

	/** The same, for `Registry#getMetricsAsJSON`. */
	get(): Promise<RenderedMetric> {
		return this.getForPromString();
	}
}

/** A counter (`*_total`) whose series are updated through {@link CounterValue}. */
export class CounterSeries<L extends string> extends SeriesMetric<L, CounterValue> {
	readonly type = "counter";

	protected create(): CounterValue {
		return new CounterValue();
	}

	protected zero(value: CounterValue): void {
		value.value = 0;
	}

	protected render(labels: LabelSet<L>, value: CounterValue, out: RenderedValue[]): void {
		out.push({ value: value.value, labels: { ...labels } });
	}
}

/** A histogram whose series are updated through {@link HistogramValue}. */
export class HistogramSeries<L extends string> extends SeriesMetric<L, HistogramValue> {
	readonly type = "histogram";
	readonly #bounds: readonly number[];

	constructor(options: SeriesOptions<L> & { buckets: readonly number[] }) {
		super(options);
		this.#bounds = [...options.buckets].sort((a, b) => a - b);
	}

	protected create(): HistogramValue {
		return new HistogramValue(this.#bounds);
	}

	protected zero(value: HistogramValue): void {
		value.counts.fill(0);
		value.sum = 0;
		value.count = 0;
	}

	protected render(labels: LabelSet<L>, value: HistogramValue, out: RenderedValue[]): void {
		const bucketName = `${this.name}_bucket`;
		let cumulative = 0;
		this.#bounds.forEach((bound, i) => {
			cumulative += value.counts[i] as number;
			out.push({ metricName: bucketName, labels: { le: bound, ...labels }, value: cumulative });
		});
		out.push({ metricName: bucketName, labels: { le: "+Inf", ...labels }, value: value.count });
		out.push({ metricName: `${this.name}_sum`, labels: { ...labels }, value: value.sum });
		out.push({ metricName: `${this.name}_count`, labels: { ...labels }, value: value.count });
	}
}
