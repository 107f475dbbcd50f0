// Types of the parse-prometheus-text-format package (it ships none).
declare module "parse-prometheus-text-format" {
	/** One sample: a counter's, gauge's or untyped value; a histogram's buckets, count and sum. */
	export interface ParsedSample {
		value?: string;
		labels?: Record<string, string>;
		buckets?: Record<string, string>;
		count?: string;
		sum?: string;
	}
	/** One metric family, as prom2json shows it. */
	export interface ParsedFamily {
		name: string;
		help: string;
		type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
		metrics: ParsedSample[];
	}
	export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}
