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
		backoff: reconnectDelayS,
		connection: { application_name: options.applicationName },
	}) as unknown as PgSql;
}

/**
 * Seconds a closed connection waits before it reconnects, after `retries`
 * failed ones in a row (the pool's count). The library's own delay grows as
 * 3^retries / 100 s up to 20 s: after a burst of closed connections (a
 * failover, a pooler restarting) a node's calls waited 5 to 20 s for a
 * connection (a probe, 2026-11-28). Here it stops at 1 s, jittered.
 */
export function reconnectDelayS(retries: number): number {
	return (0.5 + Math.random() / 2) * Math.min(0.02 * 2 ** retries, 1);
}

/** Converts a bigint column (returned as a string) to a number. */
export function num(value: unknown): number {
	return typeof value === "number" ? value : Number(value);
}

/** A plain Uint8Array view of a Buffer from the driver. */
export function bytes(value: Uint8Array): Uint8Array {
	return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}
