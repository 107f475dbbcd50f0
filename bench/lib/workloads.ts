// Workload loops shared by every system, so each system only says how to
// make one call.

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Keeps `depth` calls in flight on each caller for `seconds`; returns
 * completed calls per second. Stops early (throwing) once `signal` aborts.
 */
export async function pipelined(
	callers: ReadonlyArray<() => Promise<unknown>>,
	depth: number,
	seconds: number,
	signal?: AbortSignal,
): Promise<number> {
	let done = 0;
	const until = performance.now() + seconds * 1000;
	const started = performance.now();
	await Promise.all(
		callers.flatMap((call) =>
			Array.from({ length: depth }, async () => {
				while (performance.now() < until) {
					signal?.throwIfAborted();
					await call();
					done++;
				}
			}),
		),
	);
	return done / ((performance.now() - started) / 1000);
}

/**
 * Runs `fn(i)` for i in [from, to) with at most `concurrency` at once. Once
 * `signal` aborts no further call starts (a workload past its deadline must
 * not keep loading the server while the next one is measured).
 */
export async function forRange(
	from: number,
	to: number,
	concurrency: number,
	fn: (i: number) => Promise<unknown>,
	signal?: AbortSignal,
): Promise<void> {
	let next = from;
	await Promise.all(
		Array.from({ length: Math.min(concurrency, Math.max(0, to - from)) }, async () => {
			while (next < to) {
				signal?.throwIfAborted();
				await fn(next++);
			}
		}),
	);
}

/**
 * Memory per awake idle actor: wakes actors `touch(i)` up to each count and
 * divides the growth of `measure()` by the count. Counts whose wake-up would
 * take longer than `budgetMs` (extrapolated) are skipped and returned.
 */
export async function memoryCurve(options: {
	counts: readonly number[];
	touch: (i: number) => Promise<unknown>;
	measure: () => Promise<number>;
	concurrency?: number;
	budgetMs: number;
	signal?: AbortSignal;
	/** Takes a line of progress. */
	report?: (status: string) => void;
}): Promise<{ perAwake: Map<number, number>; skipped: number[] }> {
	const perAwake = new Map<number, number>();
	const skipped: number[] = [];
	const base = await options.measure();
	const concurrency = options.concurrency ?? 128;
	let awake = 0;
	const touch = async (i: number) => {
		await options.touch(i);
		awake++;
	};
	// A first small batch tells how long waking takes on this system.
	let woken = Math.min(100, options.counts[0] ?? 0);
	const probeStarted = performance.now();
	await forRange(0, woken, concurrency, touch, options.signal);
	let perActorMs = (performance.now() - probeStarted) / Math.max(1, woken);
	for (const count of options.counts) {
		if (perActorMs * (count - woken) > options.budgetMs) {
			skipped.push(count);
			continue;
		}
		const started = performance.now();
		const ticker = setInterval(() => {
			const each = (performance.now() - started) / Math.max(1, awake - woken);
			options.report?.(
				`${awake.toLocaleString("en")} of ${count.toLocaleString("en")} actors awake, ${each.toFixed(2)} ms each`,
			);
		}, 1_000);
		try {
			await forRange(woken, count, concurrency, touch, options.signal);
		} finally {
			clearInterval(ticker);
		}
		if (count > woken) perActorMs = (performance.now() - started) / (count - woken);
		woken = count;
		await pause(500);
		perAwake.set(count, ((await options.measure()) - base) / count);
	}
	return { perAwake, skipped };
}
