import type { AlarmIndex, DueAlarm } from "../../interfaces.js";
import type { PgSql } from "./connection.js";

/** PostgreSQL {@link AlarmIndex}: one row per actor with a pending alarm, indexed by time. */
export class PgAlarmIndex implements AlarmIndex {
	readonly #sql: PgSql;
	readonly #schema: string;

	constructor(sql: PgSql, schema: string) {
		this.#sql = sql;
		this.#schema = schema;
	}

	async due(time: number, limit: number, after?: DueAlarm): Promise<DueAlarm[]> {
		const sql = this.#sql;
		const rows = after
			? await sql<{ actor_id: string; at: number }[]>`
				SELECT actor_id, at FROM ${sql(this.#schema)}.alarms
				WHERE at <= ${time} AND (at, actor_id) > (${after.at}, ${after.actorId})
				ORDER BY at, actor_id LIMIT ${limit}`
			: await sql<{ actor_id: string; at: number }[]>`
				SELECT actor_id, at FROM ${sql(this.#schema)}.alarms
				WHERE at <= ${time} ORDER BY at, actor_id LIMIT ${limit}`;
		return rows.map((row) => ({ actorId: row.actor_id, at: row.at }));
	}

	async next(after?: number): Promise<DueAlarm | undefined> {
		const sql = this.#sql;
		const [row] =
			after === undefined
				? await sql<{ actor_id: string; at: number }[]>`
					SELECT actor_id, at FROM ${sql(this.#schema)}.alarms ORDER BY at, actor_id LIMIT 1`
				: await sql<{ actor_id: string; at: number }[]>`
					SELECT actor_id, at FROM ${sql(this.#schema)}.alarms WHERE at > ${after}
					ORDER BY at, actor_id LIMIT 1`;
		return row ? { actorId: row.actor_id, at: row.at } : undefined;
	}

	async get(actorId: string): Promise<number | undefined> {
		const sql = this.#sql;
		const [row] = await sql<{ at: number }[]>`
			SELECT at FROM ${sql(this.#schema)}.alarms WHERE actor_id = ${actorId}`;
		return row?.at;
	}
}
