/**
 * Watches the event loop from now on: a timer every 10 ms notes the longest
 * gap between its runs. `stop()` ends the watch and returns that gap (ms),
 * the longest the loop was blocked meanwhile, give or take a tick.
 */
export function watchLoop(): { stop(): number } {
	let worst = 0;
	let at = performance.now();
	const ticker = setInterval(() => {
		const now = performance.now();
		worst = Math.max(worst, now - at);
		at = now;
	}, 10);
	return {
		stop() {
			clearInterval(ticker);
			return Math.max(worst, performance.now() - at);
		},
	};
}

/** Runs `work` and returns the longest the event loop was blocked meanwhile (ms); what `work` throws, it throws. */
export async function worstStallDuring(work: () => Promise<unknown>): Promise<number> {
	const loop = watchLoop();
	let worst = 0;
	try {
		await work();
	} finally {
		worst = loop.stop();
	}
	return worst;
}
