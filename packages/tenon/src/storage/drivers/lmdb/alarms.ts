import type { AlarmIndex, DueAlarm } from "../../interfaces.js";
import type { LmdbEnv } from "./env.js";

/** LMDB {@link AlarmIndex}: alarms ordered by `[at, actorId]`. */
export class LmdbAlarmIndex implements AlarmIndex {
	readonly #env: LmdbEnv;

	constructor(env: LmdbEnv) {
		this.#env = env;
	}

	async due(time: number, limit: number): Promise<DueAlarm[]> {
		const out: DueAlarm[] = [];
		for (const key of this.#env.alarmsByTime.getKeys({ start: [Number.NEGATIVE_INFINITY] })) {
			const at = key[0] as number;
			if (at > time || out.length >= limit) break;
			out.push({ actorId: key[1] as string, at });
		}
		return out;
	}

	async next(): Promise<DueAlarm | undefined> {
		for (const key of this.#env.alarmsByTime.getKeys({
			start: [Number.NEGATIVE_INFINITY],
			limit: 1,
		})) {
			return { actorId: key[1] as string, at: key[0] as number };
		}
		return undefined;
	}

	async get(actorId: string): Promise<number | undefined> {
		return this.#env.alarmsByActor.get(actorId);
	}
}
