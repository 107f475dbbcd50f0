// Regression (an attacker probe, 2026-11-27): `tenon_actors_sleeping` kept the id of every
// actor that ever slept on the node, about 50 bytes each for the life of the process, and a
// client makes as many actors as it likes. The count is now bounded (the most recent sleepers).
import { describe, expect, it } from "vitest";
import { MAX_SLEEPING_COUNTED, SleepingActors } from "../../src/observability/sleeping-actors.js";

describe("the sleeping actors a node counts", () => {
	it("are at most the limit, the longest asleep forgotten first", () => {
		const sleeping = new SleepingActors(3);
		for (const id of ["a", "b", "c", "d"]) sleeping.slept(id);
		expect(sleeping.size).toBe(3);
		// "a" was forgotten: its waking changes nothing; "b" is still counted.
		sleeping.gone("a");
		expect(sleeping.size).toBe(3);
		sleeping.gone("b");
		expect(sleeping.size).toBe(2);
	});

	it("count an actor that sleeps again once, as the most recent", () => {
		const sleeping = new SleepingActors(2);
		sleeping.slept("a");
		sleeping.slept("b");
		sleeping.slept("a");
		expect(sleeping.size).toBe(2);
		sleeping.slept("c");
		// "b" slept longest ago: forgotten, "a" kept.
		sleeping.gone("a");
		expect(sleeping.size).toBe(1);
	});

	it("hold a bounded number of ids by default, however many actors sleep", () => {
		const sleeping = new SleepingActors();
		for (let i = 0; i < MAX_SLEEPING_COUNTED + 5_000; i++) sleeping.slept(`actor-${i}`);
		expect(sleeping.size).toBe(MAX_SLEEPING_COUNTED);
	});
});
