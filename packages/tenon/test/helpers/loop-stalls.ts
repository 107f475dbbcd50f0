/**
 * Watches the event loop from now on: a timer every 10 ms notes the longest
 * gap between its runs. `stop()` ends the watch and returns that gap (ms),
 * the longest the loop was blocked meanwhile, give or take a tick.
 *
 * A gap counts at most the CPU time the process used in it: in wall time alone,
 * it also held the time the machine gave the CPU to other processes, and a
 * full test run on 2 cores read a 165 ms stall for work that blocks about
 * 100 (a gate, 2026-11-27). Work that blocks the loop uses the CPU all along,
 * so it counts in full.
 */
export function watchLoop(): { stop(): number } {
	let worst = 0;
	let at = performance.now();
	let cpuAt = cpuMs();
	const gap = () => {
		const now = performance.now();
		const cpu = cpuMs();
		const blocked = Math.min(now - at, cpu - cpuAt);
		at = now;
		cpuAt = cpu;
		return blocked;
	};
	const ticker = setInterval(() => {
		worst = Math.max(worst, gap());
	}, 10);
	return {
		stop() {
			clearInterval(ticker);
			return Math.max(worst, gap());
		},
	};
}

/** CPU time the process has used (user and system, all threads), in ms. */
function cpuMs(): number {
	const { user, system } = process.cpuUsage();
	return (user + system) / 1000;
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
