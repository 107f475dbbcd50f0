// Workload loops shared by every system, so each system only says how to
// make one call.

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Keeps `depth` calls in flight on each caller for `seconds`; returns
 * completed calls per second.
 */
export async function pipelined(
	callers: ReadonlyArray<() => Promise<unknown>>,
	depth: number,
	seconds: number,
): Promise<number> {
	let done = 0;
	const until = performance.now() + seconds * 1000;
	const started = performance.now();
	await Promise.all(
		callers.flatMap((call) =>
			Array.from({ length: depth }, async () => {
				while (performance.now() < until) {
					await call();
					done++;
				}
			}),
		),
	);
	return done / ((performance.now() - started) / 1000);
}

/** Runs `fn(i)` for i in [from, to) with at most `concurrency` at once. */
export async function forRange(
	from: number,
	to: number,
	concurrency: number,
	fn: (i: number) => Promise<unknown>,
): Promise<void> {
	let next = from;
	await Promise.all(
		Array.from({ length: Math.min(concurrency, Math.max(0, to - from)) }, async () => {
			while (next < to) await fn(next++);
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
}): Promise<{ perAwake: Map<number, number>; skipped: number[] }> {
	const perAwake = new Map<number, number>();
	const skipped: number[] = [];
	const base = await options.measure();
	const concurrency = options.concurrency ?? 128;
	// A first small batch tells how long waking takes on this system.
	let woken = Math.min(100, options.counts[0] ?? 0);
	const probeStarted = performance.now();
	await forRange(0, woken, concurrency, options.touch);
	let perActorMs = (performance.now() - probeStarted) / Math.max(1, woken);
	for (const count of options.counts) {
		if (perActorMs * (count - woken) > options.budgetMs) {
			skipped.push(count);
			continue;
		}
		const started = performance.now();
		await forRange(woken, count, concurrency, options.touch);
		if (count > woken) perActorMs = (performance.now() - started) / (count - woken);
		woken = count;
		await pause(500);
		perAwake.set(count, ((await options.measure()) - base) / count);
	}
	return { perAwake, skipped };
}

/**
 * Broadcast fan-out: `trigger(at)` makes the server send one event to every
 * subscriber; `arrivals` is a counter the subscribers' handlers bump. Returns
 * the time from trigger to the last receipt, per round.
 */
export async function fanout(options: {
	subscribers: number;
	rounds: number;
	trigger: (at: number) => Promise<unknown>;
	onArrival: (handler: () => void) => void;
	/**
	 * Resolves once every subscription made in `onArrival` is in effect on the
	 * server (a subscription travels on its own connection, so the trigger on
	 * another connection can overtake it).
	 */
	subscribed?: () => Promise<unknown>;
}): Promise<number[]> {
	const times: number[] = [];
	let pending = 0;
	let resolveRound: (() => void) | undefined;
	options.onArrival(() => {
		pending--;
		if (pending === 0) resolveRound?.();
	});
	await options.subscribed?.();
	for (let round = 0; round < options.rounds; round++) {
		pending = options.subscribers;
		let timer: NodeJS.Timeout | undefined;
		const all = new Promise<void>((resolve, reject) => {
			resolveRound = resolve;
			timer = setTimeout(() => {
				const got = options.subscribers - pending;
				reject(
					new Error(`only ${got} of ${options.subscribers} connections got the event in 10 s`),
				);
			}, 10_000);
		});
		const started = performance.now();
		try {
			await options.trigger(started);
			await all;
		} finally {
			clearTimeout(timer);
		}
		times.push(performance.now() - started);
		await pause(5);
	}
	return times;
}
