import fc from "fast-check";
import { Counter, Histogram, type OpenMetricsContentType, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { CounterSeries, HistogramSeries } from "../../src/observability/series.js";

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1];
const LABELS = ["actor", "action"] as const;
type Label = (typeof LABELS)[number];

/** The same metric made by prom-client and by series.ts, each in a registry of its own. */
function pair(openMetrics = false) {
	const registry = () => {
		const made = new Registry<OpenMetricsContentType>();
		if (openMetrics) made.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
		return made as unknown as Registry;
	};
	const theirs = registry();
	const ours = registry();
	const help = 'help with a "quote" and a \\ backslash';
	return {
		theirs,
		ours,
		histogram: new Histogram({
			name: "h_seconds",
			help,
			labelNames: LABELS,
			buckets: BUCKETS,
			registers: [theirs],
		}),
		histogramSeries: new HistogramSeries<Label>({
			name: "h_seconds",
			help,
			labelNames: LABELS,
			buckets: BUCKETS,
			registry: ours,
		}),
		counter: new Counter({ name: "c_total", help, labelNames: LABELS, registers: [theirs] }),
		counterSeries: new CounterSeries<Label>({
			name: "c_total",
			help,
			labelNames: LABELS,
			registry: ours,
		}),
	};
}

/** prom-client's JSON carries an empty exemplar per value; series.ts has no exemplars. */
function withoutExemplars(metrics: Awaited<ReturnType<Registry["getMetricsAsJSON"]>>) {
	return metrics.map((metric) => ({
		...metric,
		values: metric.values.map((value) => {
			const { exemplar: _, ...rest } = value as typeof value & { exemplar?: unknown };
			return rest;
		}),
	}));
}

const observation = fc.record({
	actor: fc.constantFrom("counter", "room", 'we"ird\\name\n'),
	action: fc.constantFrom("increment", "get", "(unknown)"),
	value: fc.oneof(
		fc.constantFrom(0, 0.001, 0.0025, 1, 2),
		fc.double({ min: 0, max: 3, noNaN: true }),
	),
});

describe("series.ts", () => {
	it("renders exactly what prom-client renders for the same observations", async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.array(observation, { maxLength: 60 }),
				fc.boolean(),
				async (observations, openMetrics) => {
					const m = pair(openMetrics);
					for (const { actor, action, value } of observations) {
						m.histogram.observe({ actor, action }, value);
						m.histogramSeries.series({ actor, action }).observe(value);
						m.counter.inc({ actor, action }, value);
						m.counterSeries.series({ actor, action }).inc(value);
					}
					expect(await m.ours.metrics()).toBe(await m.theirs.metrics());
					expect(await m.ours.getMetricsAsJSON()).toEqual(
						withoutExemplars(await m.theirs.getMetricsAsJSON()),
					);
				},
			),
			{ numRuns: 200 },
		);
	});

	it("renders a series without labels from the start, as prom-client does", async () => {
		const theirs = new Registry();
		const ours = new Registry();
		new Histogram({ name: "g", help: "g", buckets: [1, 2], registers: [theirs] });
		const series = new HistogramSeries({
			name: "g",
			help: "g",
			labelNames: [],
			buckets: [1, 2],
			registry: ours,
		}).series({});
		expect(await ours.metrics()).toBe(await theirs.metrics());
		series.observe(1.5);
		expect(await ours.metrics()).toContain('g_bucket{le="2"} 1');
	});

	it("keeps the series a hot path holds when the registry is reset", async () => {
		const m = pair();
		const held = m.counterSeries.series({ actor: "a", action: "b" });
		held.inc(3);
		m.ours.resetMetrics();
		expect(await m.ours.metrics()).toContain('c_total{actor="a",action="b"} 0');
		held.inc();
		expect(await m.ours.metrics()).toContain('c_total{actor="a",action="b"} 1');
	});

	it("refuses a second metric of the same name in one registry", () => {
		const m = pair();
		expect(
			() => new CounterSeries({ name: "c_total", help: "again", labelNames: [], registry: m.ours }),
		).toThrow(/already been registered/);
	});
});
