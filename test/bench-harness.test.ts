// Unit tests of the benchmark harness (no benchmark runs).
import { describe, expect, it } from "vitest";
import { forRange } from "../bench/lib/workloads.js";

describe("bench workload loops", () => {
	it("an aborted forRange starts no further call (a memory workload past its deadline kept waking actors while the broadcast row was measured)", async () => {
		const stop = new AbortController();
		let started = 0;
		const loop = forRange(
			0,
			1_000,
			4,
			async () => {
				started++;
				if (started === 10) stop.abort(new Error("timed out"));
				await new Promise((resolve) => setImmediate(resolve));
			},
			stop.signal,
		);
		await expect(loop).rejects.toThrow("timed out");
		// The calls in flight when it aborted finish; none starts after.
		await new Promise((resolve) => setTimeout(resolve, 20));
		expect(started).toBe(10);
	});
});
