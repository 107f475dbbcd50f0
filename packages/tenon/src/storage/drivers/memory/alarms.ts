import type { AlarmIndex, DueAlarm } from "../../interfaces.js";
import type { MemoryStoreData } from "./store.js";

/** True when `a` sorts after `b` in `(at, actorId)` order. */
function isAfter(a: DueAlarm, b: DueAlarm): boolean {
	return a.at > b.at || (a.at === b.at && a.actorId > b.actorId);
}

/** In-memory {@link AlarmIndex} over the alarms the memory store records. */
export class MemoryAlarmIndex implements AlarmIndex {
	readonly #data: MemoryStoreData;

	constructor(data: MemoryStoreData) {
		this.#data = data;
	}

	#sorted(): DueAlarm[] {
		const all: DueAlarm[] = [];
		for (const [actorId, at] of this.#data.alarms) all.push({ actorId, at });
		return all.sort((a, b) => a.at - b.at || (a.actorId < b.actorId ? -1 : 1));
	}

	async due(time: number, limit: number, after?: DueAlarm): Promise<DueAlarm[]> {
		return this.#sorted()
			.filter((alarm) => alarm.at <= time && (after === undefined || isAfter(alarm, after)))
			.slice(0, limit);
	}

	async next(after?: number): Promise<DueAlarm | undefined> {
		return this.#sorted().find((alarm) => after === undefined || alarm.at > after);
	}

	async get(actorId: string): Promise<number | undefined> {
		return this.#data.alarms.get(actorId);
	}
}
