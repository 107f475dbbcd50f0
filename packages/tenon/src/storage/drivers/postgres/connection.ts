import type { Sql } from "postgres";

/** The client library's query function (porsager/postgres). */
export type PgSql = Sql<Record<string, unknown>>;

/** PostgreSQL's own clock in ms (one clock for every node: no skew between them). */
export const NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)";

/** Loads the client library only when a postgres driver is opened. */
export async function connect(
	url: string,
	options: { max: number; applicationName: string; connectTimeoutS?: number },
): Promise<PgSql> {
	const { default: postgres } = await import("postgres");
	return postgres(url, {
		max: options.max,
		onnotice: () => {},
		idle_timeout: 30,
		connect_timeout: options.connectTimeoutS ?? 10,
		connection: { application_name: options.applicationName },
	}) as unknown as PgSql;
}

/** Converts a bigint column (returned as a string) to a number. */
export function num(value: unknown): number {
	return typeof value === "number" ? value : Number(value);
}

/** A plain Uint8Array view of a Buffer from the driver. */
export function bytes(value: Uint8Array): Uint8Array {
	return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}
