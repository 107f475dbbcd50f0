// The sleep countdowns of a host's awake actors share one timer (a Node
// `Timeout` per actor was its largest object while idle). Each countdown must
// still end at its own deadline, and a stopped or busy actor must not sleep.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { type SleepEntry, SleepScheduler } from "../../src/runtime/sleep-scheduler.js";
import { ManualClock, setupTest } from "../../src/test/index.js";

class Countdown implements SleepEntry {
	sleepAt = 0;
	sleepSlot = -1;
	constructor(
		readonly name: string,
		readonly fired: string[],
		readonly onDue?: () => void,
	) {}
	sleepDue(): void {
		this.fired.push(this.name);
		this.onDue?.();
	}
}

describe("SleepScheduler", () => {
	it("fires each entry at its deadline, earliest first, on one pending timer", async () => {
		const clock = new ManualClock(0);
		const scheduler = new SleepScheduler(clock);
		const fired: string[] = [];
		scheduler.schedule(new Countdown("c", fired), 300);
		scheduler.schedule(new Countdown("a", fired), 100);
		scheduler.schedule(new Countdown("b", fired), 200);
		scheduler.schedule(new Countdown("b2", fired), 200);
		expect(clock.pendingTimers).toBe(1);
		await clock.advance(99);
		expect(fired).toEqual([]);
		await clock.advance(1);
		expect(fired).toEqual(["a"]);
		await clock.advance(100);
		expect(fired.sort()).toEqual(["a", "b", "b2"]);
		await clock.advance(100);
		expect(fired).toContain("c");
		expect(scheduler.size).toBe(0);
		expect(clock.pendingTimers).toBe(0);
	});

	it("moves an entry scheduled again, earlier or later", async () => {
		const clock = new ManualClock(0);
		const scheduler = new SleepScheduler(clock);
		const fired: string[] = [];
		const early = new Countdown("early", fired);
		const late = new Countdown("late", fired);
		scheduler.schedule(early, 100);
		scheduler.schedule(late, 500);
		scheduler.schedule(late, 50);
		scheduler.schedule(early, 400);
		expect(scheduler.size).toBe(2);
		await clock.advance(50);
		expect(fired).toEqual(["late"]);
		await clock.advance(349);
		expect(fired).toEqual(["late"]);
		await clock.advance(1);
		expect(fired).toEqual(["late", "early"]);
	});

	it("does not fire a cancelled entry, and drops its timer once none is left", async () => {
		const clock = new ManualClock(0);
		const scheduler = new SleepScheduler(clock);
		const fired: string[] = [];
		const a = new Countdown("a", fired);
		const b = new Countdown("b", fired);
		scheduler.schedule(a, 100);
		scheduler.schedule(b, 200);
		scheduler.cancel(a);
		scheduler.cancel(a);
		expect(a.sleepSlot).toBe(-1);
		await clock.advance(150);
		expect(fired).toEqual([]);
		scheduler.cancel(b);
		expect(clock.pendingTimers).toBe(0);
		await clock.advance(1_000);
		expect(fired).toEqual([]);
	});

	it("lets an entry schedule itself again (or others) while it fires", async () => {
		const clock = new ManualClock(0);
		const scheduler = new SleepScheduler(clock);
		const fired: string[] = [];
		let rounds = 0;
		const again: Countdown = new Countdown("again", fired, () => {
			if (++rounds < 3) scheduler.schedule(again, clock.now() + 100);
		});
		scheduler.schedule(again, 100);
		await clock.advance(1_000);
		expect(fired).toEqual(["again", "again", "again"]);
		expect(scheduler.size).toBe(0);
	});

	it("stop drops every entry and its timer", async () => {
		const clock = new ManualClock(0);
		const scheduler = new SleepScheduler(clock);
		const fired: string[] = [];
		const entries = ["a", "b", "c"].map((name) => new Countdown(name, fired));
		for (const [i, entry] of entries.entries()) scheduler.schedule(entry, 100 * (i + 1));
		scheduler.stop();
		expect(clock.pendingTimers).toBe(0);
		expect(entries.map((entry) => entry.sleepSlot)).toEqual([-1, -1, -1]);
		await clock.advance(1_000);
		expect(fired).toEqual([]);
	});

	it("keeps heap order through many random schedules and cancels", async () => {
		const clock = new ManualClock(0);
		const scheduler = new SleepScheduler(clock);
		const fired: string[] = [];
		let seed = 7;
		const random = () => {
			seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
			return seed / 2_147_483_648;
		};
		const entries = Array.from({ length: 500 }, (_, i) => new Countdown(String(i), fired));
		const due = new Map<Countdown, number>();
		for (let step = 0; step < 3_000; step++) {
			const entry = entries[Math.floor(random() * entries.length)] as Countdown;
			if (random() < 0.2) {
				scheduler.cancel(entry);
				due.delete(entry);
			} else {
				const at = 1 + Math.floor(random() * 10_000);
				scheduler.schedule(entry, at);
				due.set(entry, at);
			}
		}
		expect(scheduler.size).toBe(due.size);
		const firedAt: number[] = [];
		for (const entry of entries) {
			const onDue = () => firedAt.push(clock.now());
			Object.assign(entry, { onDue });
		}
		await clock.advance(10_000);
		expect(fired.length).toBe(due.size);
		// Fired in deadline order, each at its own deadline.
		const expected = [...due.values()].sort((x, y) => x - y);
		expect(firedAt).toEqual(expected);
	});
});

let release: (() => void) | undefined;
const napper = actor({
	state: { n: 0 },
	actions: {
		poke: (c) => ++c.state.n,
		busy: (c) => {
			void c.keepAwake(
				new Promise<void>((resolve) => {
					release = resolve;
				}),
			);
			return true;
		},
	},
	options: { sleepTimeout: 1_000 },
});

describe("idle actors on the host's sleep scheduler", () => {
	it("each actor sleeps at its own idle deadline, with one timer for all of them", async () => {
		await using t = await setupTest(setup({ use: { napper }, logLevel: "silent" }));
		const timersBefore = t.clock.pendingTimers;
		for (let i = 0; i < 5; i++) await t.client.napper.getOrCreate(`first-${i}`).poke();
		await t.settle();
		// Five awake idle actors, one countdown timer.
		expect(t.clock.pendingTimers - timersBefore).toBeLessThanOrEqual(1);
		await t.clock.advance(600);
		for (let i = 0; i < 5; i++) await t.client.napper.getOrCreate(`second-${i}`).poke();
		// A call resets the first ones' countdowns only for first-0.
		await t.client.napper.getOrCreate("first-0").poke();
		await t.settle();
		expect(t.awakeActors()).toBe(10);
		await t.clock.advance(400);
		await t.settle();
		expect(t.awakeActors()).toBe(6);
		await t.clock.advance(599);
		await t.settle();
		expect(t.awakeActors()).toBe(6);
		await t.clock.advance(1);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
	});

	it("an actor kept busy past its deadline does not sleep, then sleeps a full timeout after", async () => {
		await using t = await setupTest(setup({ use: { napper }, logLevel: "silent" }));
		const handle = t.client.napper.getOrCreate("busy");
		await handle.busy();
		await t.clock.advance(5_000);
		await t.settle();
		expect(t.awakeActors()).toBe(1);
		release?.();
		await t.settle();
		await t.clock.advance(999);
		await t.settle();
		expect(t.awakeActors()).toBe(1);
		await t.clock.advance(1);
		await t.settle();
		expect(t.awakeActors()).toBe(0);
	});
});
