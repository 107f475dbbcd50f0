import type { AlarmIndex, DueAlarm } from "../../interfaces.js";
import type { LmdbEnv } from "./env.js";

/** LMDB {@link AlarmIndex}: alarms ordered by `[at, actorId]`. */
export class LmdbAlarmIndex implements AlarmIndex {
	readonly #env: LmdbEnv;

	constructor(env: LmdbEnv) {
		this.#env = env;
	}

	async due(time: number, limit: number, after?: DueAlarm): Promise<DueAlarm[]> {
		const out: DueAlarm[] = [];
		const start = after === undefined ? [Number.NEGATIVE_INFINITY] : [after.at, after.actorId];
		for (const key of this.#env.alarmsByTime.getKeys({ start })) {
			const at = key[0] as number;
			const actorId = key[1] as string;
			if (at > time || out.length >= limit) break;
			if (after !== undefined && at === after.at && actorId === after.actorId) continue;
			out.push({ actorId, at });
		}
		return out;
	}

	async next(after?: number): Promise<DueAlarm | undefined> {
		for (const key of this.#env.alarmsByTime.getKeys({
			start: [after ?? Number.NEGATIVE_INFINITY],
		})) {
			const at = key[0] as number;
			if (after !== undefined && at <= after) continue;
			return { actorId: key[1] as string, at };
		}
		return undefined;
	}

	async get(actorId: string): Promise<number | undefined> {
		return this.#env.alarmsByActor.get(actorId);
	}
}
