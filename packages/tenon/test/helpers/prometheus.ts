import parsePrometheusTextFormat, {
	type ParsedFamily,
	type ParsedSample,
} from "parse-prometheus-text-format";

/**
 * A scrape of `/metrics`, read by a Prometheus text-format parser. The parser
 * merges the series of a histogram that has labels into one (it keeps the
 * buckets of the last label set only), so the samples are also read with the
 * `# HELP`/`# TYPE` lines left out: then every series (`x_count{...}`,
 * `x_sum{...}`) is read as an untyped metric of its own, with its labels.
 */
export class Scrape {
	/** Metric families with their HELP text and TYPE. */
	readonly families: ReadonlyMap<string, ParsedFamily>;
	/** Samples by series name (`tenon_actions_total`, `tenon_action_duration_seconds_count`). */
	readonly series: ReadonlyMap<string, readonly ParsedSample[]>;

	constructor(text: string) {
		this.families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
		const samplesOnly = text
			.split("\n")
			.filter((line) => !line.startsWith("#"))
			.join("\n");
		// A series name comes back once per run of consecutive lines: join the runs.
		const series = new Map<string, ParsedSample[]>();
		for (const run of parsePrometheusTextFormat(samplesOnly)) {
			const samples = series.get(run.name) ?? [];
			samples.push(...run.metrics);
			series.set(run.name, samples);
		}
		this.series = series;
	}

	/** The family called `name` (throws when the scrape has none). */
	family(name: string): ParsedFamily {
		const family = this.families.get(name);
		if (family === undefined) throw new Error(`no metric ${name} in the scrape`);
		return family;
	}

	/** The samples of series `name` whose labels include `labels`. */
	samples(name: string, labels: Record<string, string> = {}): ParsedSample[] {
		return (this.series.get(name) ?? []).filter((sample) =>
			Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value),
		);
	}

	/**
	 * The sum of the matching samples of a counter or gauge (0 when none
	 * matches); of a histogram, its count.
	 */
	value(name: string, labels: Record<string, string> = {}): number {
		const series = this.family(name).type === "HISTOGRAM" ? `${name}_count` : name;
		return this.samples(series, labels).reduce((sum, sample) => sum + Number(sample.value), 0);
	}

	/** A histogram's sum over the matching series (seconds for durations). */
	sum(name: string, labels: Record<string, string> = {}): number {
		return this.samples(`${name}_sum`, labels).reduce((sum, s) => sum + Number(s.value), 0);
	}
}

/** Fetches and parses `url` with `token` as the bearer credential. */
export async function scrape(url: string, token: string): Promise<Scrape> {
	const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
	if (response.status !== 200)
		throw new Error(`${url}: ${response.status} ${await response.text()}`);
	return new Scrape(await response.text());
}
