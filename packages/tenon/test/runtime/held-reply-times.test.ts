// The output-gate timer of replies on connections: a commit observes exactly
// the replies it made durable, in order, once each, and a failed actor
// observes the rest (their wait ended with the failure).
import { expect, it } from "vitest";
import { HeldReplyTimes } from "../../src/runtime/connections/held-reply-times.js";

it("observes each held reply once, when the commit of its generation is durable", async () => {
	const seen: number[] = [];
	const times = new HeldReplyTimes({ outputGateWaited: (seconds) => seen.push(seconds) });
	times.held(1);
	times.held(1);
	await new Promise((resolve) => setTimeout(resolve, 5));
	times.held(2);
	times.released(0);
	expect(seen).toEqual([]);
	times.released(1);
	expect(seen).toHaveLength(2);
	// The two that waited through the timer waited at least its 5 ms.
	for (const seconds of seen) expect(seconds).toBeGreaterThanOrEqual(0.004);
	expect(times.pending).toBe(1);
	times.released(1);
	expect(seen).toHaveLength(2);
	times.released(3);
	expect(seen).toHaveLength(3);
	expect(times.pending).toBe(0);
});

it("a failed actor observes every reply still held", () => {
	let observed = 0;
	const times = new HeldReplyTimes({ outputGateWaited: () => observed++ });
	for (let g = 1; g <= 10; g++) times.held(g);
	times.released(4);
	expect(observed).toBe(4);
	times.ended();
	expect(observed).toBe(10);
	expect(times.pending).toBe(0);
});

it("keeps counting right across a long run that never empties (the observed front is dropped now and then)", () => {
	let observed = 0;
	const times = new HeldReplyTimes({ outputGateWaited: () => observed++ });
	let generation = 0;
	times.held(++generation);
	for (let round = 0; round < 5_000; round++) {
		times.held(++generation);
		times.released(generation - 1);
		expect(times.pending).toBe(1);
	}
	expect(observed).toBe(5_000);
});
