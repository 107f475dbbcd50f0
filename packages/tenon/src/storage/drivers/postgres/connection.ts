import type { Sql } from "postgres";

/** The client library's query function (porsager/postgres). */
export type PgSql = Sql<Record<string, unknown>>;

/** PostgreSQL's own clock in ms (one clock for every node: no skew between them). */
export const NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)";

/** Loads the client library only when a postgres driver is opened. */
export async function connect(
	url: string,
	options: { max: number; applicationName: string; idleInTransactionMs: number },
): Promise<PgSql> {
	const { default: postgres } = await import("postgres");
	return postgres(url, {
		max: options.max,
		onnotice: () => {},
		idle_timeout: 30,
		connect_timeout: 10,
		connection: {
			application_name: options.applicationName,
			// A commit's transaction holds its actor's lease row (FOR SHARE) and fence row until
			// it ends. A node frozen between its statements and its COMMIT (a GC or VM stall,
			// SIGSTOP) kept them for as long as it stayed frozen, and every other node's
			// takeover of that actor waited on them (a flaky cluster test, 2026-11-26):
			// PostgreSQL ends such a session after this long, and the commit fails unacknowledged.
			idle_in_transaction_session_timeout: options.idleInTransactionMs,
		},
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
