import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/common/logger.js";
import { AlarmScheduler, type AlarmTarget } from "../../src/runtime/alarm-scheduler.js";
import { memoryDriver } from "../../src/storage/drivers/memory/index.js";
import type { AlarmIndex } from "../../src/storage/interfaces.js";
import { ManualClock } from "../../src/test/manual-clock.js";

/** Counts how often the scheduler reads due alarms (one or more pages per pass). */
function counting(alarms: AlarmIndex): { alarms: AlarmIndex; dueCalls: () => number } {
	let calls = 0;
	return {
		dueCalls: () => calls,
		alarms: {
			due(time, limit, after) {
				calls++;
				return alarms.due(time, limit, after);
			},
			next: (after) => alarms.next(after),
			get: (actorId) => alarms.get(actorId),
		},
	};
}

describe("AlarmScheduler", () => {
	it("wakes a sleeping actor behind hundreds of awake actors with past alarms, without spinning", async () => {
		const clock = new ManualClock(1_000_000);
		const handles = await memoryDriver().open();
		const awake = new Set<string>();
		const items = [];
		// 300 awake actors whose alarms stay in the past while they work (more than one page).
		for (let i = 0; i < 300; i++) {
			const id = `awake-${String(i).padStart(3, "0")}`;
			awake.add(id);
			items.push({ actorId: id, fence: 1, puts: [], deletes: [], alarm: 1_000 + i });
		}
		// Sorted last among the due alarms.
		items.push({ actorId: "sleeper", fence: 1, puts: [], deletes: [], alarm: 999_000 });
		await handles.store.commit(items);

		const woken: string[] = [];
		const target: AlarmTarget = {
			isAwake: (id) => awake.has(id),
			async wake(id) {
				woken.push(id);
				awake.add(id);
				// Waking fires its timer: the actor's alarm moves on.
				await handles.store.commit([{ actorId: id, fence: 1, puts: [], deletes: [], alarm: null }]);
			},
		};
		const { alarms, dueCalls } = counting(handles.alarms);
		const scheduler = new AlarmScheduler(alarms, clock, target, createLogger({ level: "silent" }));
		await scheduler.start();
		await clock.advance(0);
		expect(woken).toEqual(["sleeper"]);

		// Awake actors' past alarms do not make the scheduler poll: nothing is armed.
		const callsAfterWake = dueCalls();
		await clock.advance(60_000);
		expect(dueCalls() - callsAfterWake).toBeLessThanOrEqual(2);
		expect(clock.pendingTimers).toBe(0);

		// One of them goes to sleep with its alarm still due: its commit notifies the scheduler.
		awake.delete("awake-007");
		scheduler.notify(1_007);
		await clock.advance(0);
		expect(woken).toEqual(["sleeper", "awake-007"]);
		scheduler.stop();
		await handles.close();
	});
});
