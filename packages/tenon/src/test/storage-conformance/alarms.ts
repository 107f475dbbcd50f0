import { describe, expect, it } from "vitest";
import type { CommitItem } from "../../storage/interfaces.js";
import { type ConformanceTarget, testActorId, withHandles } from "./harness.js";

function alarmItem(actorId: string, alarm: number | null, fence = 1): CommitItem {
	return { actorId, fence, puts: [], deletes: [], alarm };
}

/**
 * Conformance suite for {@link AlarmIndex} (alarms are written through
 * `ActorStore.commit`). Every driver runs it.
 */
export function describeAlarmConformance(driverName: string, target: ConformanceTarget): void {
	describe(`AlarmIndex conformance: ${driverName}`, () => {
		it("records, moves and clears an actor's alarm through commits", () =>
			withHandles(target, async ({ store, alarms }) => {
				const id = testActorId();
				expect(await alarms.get(id)).toBeUndefined();
				await store.commit([alarmItem(id, 5_000)]);
				expect(await alarms.get(id)).toBe(5_000);
				await store.commit([alarmItem(id, 3_000)]);
				expect(await alarms.get(id)).toBe(3_000);
				expect(await alarms.due(4_000, 10)).toEqual([{ actorId: id, at: 3_000 }]);
				await store.commit([{ actorId: id, fence: 1, puts: [], deletes: [] }]);
				expect(await alarms.get(id)).toBe(3_000);
				await store.commit([alarmItem(id, null)]);
				expect(await alarms.get(id)).toBeUndefined();
				expect(await alarms.due(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
			}));

		it("lists due alarms earliest first, up to a limit", () =>
			withHandles(target, async ({ store, alarms }) => {
				const ids = [testActorId(), testActorId(), testActorId(), testActorId()];
				await store.commit([
					alarmItem(ids[0] as string, 400),
					alarmItem(ids[1] as string, 100),
					alarmItem(ids[2] as string, 300),
					alarmItem(ids[3] as string, 900),
				]);
				expect(await alarms.due(500, 10)).toEqual([
					{ actorId: ids[1], at: 100 },
					{ actorId: ids[2], at: 300 },
					{ actorId: ids[0], at: 400 },
				]);
				expect((await alarms.due(500, 2)).map((a) => a.actorId)).toEqual([ids[1], ids[2]]);
				expect(await alarms.next()).toEqual({ actorId: ids[1], at: 100 });
				expect(await alarms.due(50, 10)).toEqual([]);
			}));

		it("pages through due alarms after a cursor, ties ordered by actor id", () =>
			withHandles(target, async ({ store, alarms }) => {
				const ids = Array.from({ length: 7 }, () => testActorId()).sort();
				await store.commit(ids.map((id, i) => alarmItem(id, i < 5 ? 100 : 200 + i)));
				const seen: string[] = [];
				let cursor: { actorId: string; at: number } | undefined;
				for (;;) {
					const page = await alarms.due(300, 2, cursor);
					seen.push(...page.map((alarm) => alarm.actorId));
					if (page.length < 2) break;
					cursor = page[page.length - 1];
				}
				expect(seen).toEqual(ids);
				expect(await alarms.due(300, 10, { actorId: ids[6] as string, at: 206 })).toEqual([]);
				expect(await alarms.next(100)).toEqual({ actorId: ids[5], at: 205 });
				expect(await alarms.next(206)).toBeUndefined();
				expect(await alarms.next(99)).toEqual({ actorId: ids[0], at: 100 });
			}));

		it("ignores the alarm of a fenced commit", () =>
			withHandles(target, async ({ store, alarms }) => {
				const id = testActorId();
				await store.commit([alarmItem(id, 1_000, 7)]);
				const [result] = await store.commit([alarmItem(id, 10, 3)]);
				expect(result?.ok).toBe(false);
				expect(await alarms.get(id)).toBe(1_000);
			}));

		it("clears the alarm when the actor's data is cleared only if asked", () =>
			withHandles(target, async ({ store, alarms }) => {
				const id = testActorId();
				await store.commit([alarmItem(id, 1_000)]);
				await store.commit([
					{ actorId: id, fence: 1, puts: [], deletes: [], clear: true, alarm: null },
				]);
				expect(await alarms.get(id)).toBeUndefined();
				expect(await alarms.next()).toBeUndefined();
			}));
	});
}
