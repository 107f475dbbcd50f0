import type { AlarmIndex, DueAlarm } from "../../interfaces.js";
import type { OverlayView } from "./overlay-view.js";

/** LMDB {@link AlarmIndex}: alarms ordered by `[at, actorId]`, read through the commit log's overlay. */
export class LmdbAlarmIndex implements AlarmIndex {
	readonly #view: OverlayView;

	constructor(view: OverlayView) {
		this.#view = view;
	}

	async due(time: number, limit: number, after?: DueAlarm): Promise<DueAlarm[]> {
		const out: DueAlarm[] = [];
		const start = after === undefined ? [Number.NEGATIVE_INFINITY] : [after.at, after.actorId];
		for (const alarm of this.#view.alarmsFrom(start as [number, string?])) {
			if (alarm.at > time || out.length >= limit) break;
			if (after !== undefined && alarm.at === after.at && alarm.actorId === after.actorId) continue;
			out.push(alarm);
		}
		return out;
	}

	async next(after?: number): Promise<DueAlarm | undefined> {
		for (const alarm of this.#view.alarmsFrom([after ?? Number.NEGATIVE_INFINITY])) {
			if (after !== undefined && alarm.at <= after) continue;
			return alarm;
		}
		return undefined;
	}

	async get(actorId: string): Promise<number | undefined> {
		return this.#view.alarm(actorId);
	}
}
