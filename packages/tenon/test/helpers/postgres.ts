// Tests that need PostgreSQL use a real server: 127.0.0.1:5432, database
// `test` (override with TENON_TEST_POSTGRES_URL). Each test works in a fresh
// schema, dropped afterwards. If the server is unreachable, the tests fail
// loudly: they never skip.

import postgres from "postgres";
import { expect } from "vitest";

export const POSTGRES_URL =
	process.env.TENON_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

let admin: ReturnType<typeof postgres> | undefined;
function adminSql() {
	admin ??= postgres(POSTGRES_URL, { max: 2, onnotice: () => {}, connect_timeout: 5 });
	return admin;
}

/** Throws a clear error when PostgreSQL is not reachable. */
export async function assertPostgresReachable(): Promise<void> {
	try {
		await adminSql()`SELECT 1`;
	} catch (error) {
		throw new Error(
			`PostgreSQL is required for this test and is not reachable at ${POSTGRES_URL} (set TENON_TEST_POSTGRES_URL): ${error instanceof Error ? error.message : String(error)}`,
		);
	}
}

let counter = 0;
/** A unique schema name for one test. */
export function freshSchema(): string {
	counter++;
	return `tenon_t_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
	await adminSql().unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

/** Runs a query as the test administrator (to look at what Tenon stored). */
export function sqlAdmin() {
	return adminSql();
}

/** Closes the administrator connection (call in afterAll). */
export async function closeAdmin(): Promise<void> {
	await admin?.end({ timeout: 1 });
	admin = undefined;
}

/**
 * Holds `LOCK TABLE <schema>.<table>` (several tables: one statement) in a transaction until
 * the returned function is called.
 */
export async function lockTable(
	schema: string,
	table: string | readonly string[],
): Promise<() => Promise<void>> {
	const tables = (typeof table === "string" ? [table] : table).map((name) => `${schema}.${name}`);
	let unlock = () => {};
	const unlocked = new Promise<void>((resolve) => {
		unlock = resolve;
	});
	let locked = () => {};
	const isLocked = new Promise<void>((resolve) => {
		locked = resolve;
	});
	const holding = sqlAdmin().begin(async (tx) => {
		await tx.unsafe(`LOCK TABLE ${tables.join(", ")} IN ACCESS EXCLUSIVE MODE`);
		locked();
		await unlocked;
	});
	await isLocked;
	return async () => {
		unlock();
		await holding;
	};
}

/**
 * Waits until no node holds a lease in `schema`: its actors slept (or stopped) and gave their
 * leases back. For tests that need an actor asleep before the next call: a fixed wait past the
 * sleep timeout (800 ms for 300) was a race on a loaded machine, where the next call still
 * found the old owner.
 */
export async function untilLeasesReleased(schema: string): Promise<void> {
	const sql = sqlAdmin();
	await expect
		.poll(
			async () =>
				(
					await sql<{ n: number }[]>`
						SELECT count(*)::int AS n FROM ${sql(schema)}.leases WHERE node_id IS NOT NULL`
				)[0]?.n,
			{ timeout: 10_000, interval: 50 },
		)
		.toBe(0);
}
