import type { AlarmIndex, DueAlarm } from "../../interfaces.js";
import type { MemoryStoreData } from "./store.js";

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

	async due(time: number, limit: number): Promise<DueAlarm[]> {
		return this.#sorted()
			.filter((alarm) => alarm.at <= time)
			.slice(0, limit);
	}

	async next(): Promise<DueAlarm | undefined> {
		return this.#sorted()[0];
	}

	async get(actorId: string): Promise<number | undefined> {
		return this.#data.alarms.get(actorId);
	}
}
