/** Summary of a sample of durations (ms). */
export interface Summary {
	n: number;
	median: number;
	p95: number;
	p99: number;
	min: number;
	max: number;
}

/** The value at quantile `q` (0..1) of sorted `values` (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
	if (sorted.length === 0) return Number.NaN;
	const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
	return sorted[index] as number;
}

export function summarize(samples: readonly number[]): Summary {
	const sorted = [...samples].sort((a, b) => a - b);
	return {
		n: sorted.length,
		median: quantile(sorted, 0.5),
		p95: quantile(sorted, 0.95),
		p99: quantile(sorted, 0.99),
		min: sorted[0] ?? Number.NaN,
		max: sorted[sorted.length - 1] ?? Number.NaN,
	};
}

/** Formats milliseconds with a sensible precision. */
export function ms(value: number): string {
	if (!Number.isFinite(value)) return "n/a";
	if (value < 0.1) return `${(value * 1000).toFixed(1)} µs`;
	if (value < 10) return `${value.toFixed(2)} ms`;
	return `${value.toFixed(1)} ms`;
}

/** Times `fn` once (ms). */
export async function time(fn: () => unknown): Promise<number> {
	const start = performance.now();
	await fn();
	return performance.now() - start;
}
