// Progress on stderr while the benchmark runs: what is being measured, and
// the time since the run started. The results go to stdout.

const runStartedAt = performance.now();

function clock(): string {
	const seconds = Math.floor((performance.now() - runStartedAt) / 1000);
	const minutes = Math.floor(seconds / 60);
	return `${String(minutes).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}

/** Prints one line of progress, after the time since the run started. */
export function progress(line: string): void {
	console.error(`[${clock()}] ${line}`);
}

/** A step of the run in progress: a long one says how far it got every few seconds. */
export interface Step {
	/** The latest status (e.g. "40,000 of 100,000 actors awake"), shown every `everyMs`. */
	report(status: string): void;
	/** Ends the step: prints how long it took, and `outcome` when it did not simply finish. */
	done(outcome?: string): void;
}

/** Starts a step: prints `name` now, then its latest status every `everyMs`. */
export function step(name: string, everyMs = 10_000): Step {
	const startedAt = performance.now();
	progress(name);
	let status: string | undefined;
	const ticker = setInterval(() => {
		if (status !== undefined) progress(`${name}: ${status}`);
	}, everyMs);
	ticker.unref();
	return {
		report(latest) {
			status = latest;
		},
		done(outcome) {
			clearInterval(ticker);
			const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
			progress(`${name}: ${outcome ? `${outcome} ` : ""}(${seconds} s)`);
		},
	};
}
