// A node frozen at any point of a commit must not keep its actor's rows
// locked past its lease: PostgreSQL ends a session idle in a transaction
// after the lease time. The timeout was first sent as a statement of its own
// beside the commit's, but postgres.js writes each statement when it is ready
// (a query of 1 KiB or more at once; a new one after its parameters were
// described), so the commit's statement could go out first, take its locks,
// and a node frozen before the next write held them with no timeout at all (a
// cluster test hung 20 s in CI, 2026-11-27). Here the client's socket stops
// sending right after the commit's statement, as a frozen process would.
import { once } from "node:events";
import net from "node:net";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDriver } from "../../src/storage/drivers/postgres/index.js";
import { PgStore } from "../../src/storage/drivers/postgres/store.js";
import {
	assertPostgresReachable,
	closeAdmin,
	dropSchema,
	freshSchema,
	POSTGRES_URL,
	sqlAdmin,
} from "../helpers/postgres.js";

beforeAll(assertPostgresReachable);
afterAll(closeAdmin);

const IDLE_MS = 1_500;
/** How the frozen commit's value (bytes of 7) goes out in a statement's parameters. */
const FROZEN_VALUE_HEX = "\\x0707";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether another session finds the actor's fence row locked. */
async function fenceLocked(schema: string, actorId: string): Promise<boolean> {
	try {
		await sqlAdmin().begin(
			(tx) =>
				tx`SELECT fence FROM ${tx(schema)}.actor_fences WHERE actor_id = ${actorId} FOR UPDATE NOWAIT`,
		);
		return false;
	} catch (error) {
		if ((error as { code?: string }).code === "55P03") return true;
		throw error;
	}
}

describe("a postgres client frozen in the middle of a commit", () => {
	const cases = [
		{ prepare: true, valueBytes: 16 },
		{ prepare: true, valueBytes: 100_000 },
		{ prepare: false, valueBytes: 4_000 },
	];
	for (const { prepare, valueBytes } of cases) {
		it(`frees the actor's rows within the idle timeout (a ${valueBytes}-byte value, prepare: ${prepare})`, async () => {
			const schema = freshSchema();
			// The schema, made as a node makes it.
			await (await postgresDriver({ url: POSTGRES_URL, schema, maxConnections: 1 }).open()).close();
			let freezing = false;
			let frozen = false;
			const url = new URL(POSTGRES_URL);
			// postgres.js takes a `socket` (documented in its README, not in its types).
			const options = {
				max: 1,
				onnotice: () => {},
				prepare,
				connection: { application_name: "tenon-frozen-test" },
				// A real socket whose writes stop (dropped, never sent) after the one that
				// carries the frozen commit's parameters (its statement runs).
				socket: async () => {
					const socket = net.connect(Number(url.port || 5432), url.hostname);
					await once(socket, "connect");
					const write = socket.write.bind(socket) as (chunk: Buffer, cb?: () => void) => boolean;
					(socket as unknown as { write: typeof write }).write = (chunk, cb) => {
						if (frozen) return true;
						const sent = write(chunk, cb);
						if (freezing && Buffer.from(chunk).includes(FROZEN_VALUE_HEX)) frozen = true;
						return sent;
					};
					return socket;
				},
			};
			const sql = postgres(POSTGRES_URL, options as postgres.Options<{}>);
			try {
				const store = new PgStore(sql as never, schema, IDLE_MS);
				const key = new TextEncoder().encode("k");
				// A first commit makes the actor's fence row (one made in the frozen
				// transaction would be invisible to the check below).
				const first = [
					{ actorId: "a", fence: 1, puts: [[key, new Uint8Array([1])]] as const, deletes: [] },
				];
				expect(await store.commit(first as never)).toEqual([{ ok: true }]);
				freezing = true;
				const commit = store.commit([
					{
						actorId: "a",
						fence: 1,
						puts: [[key, new Uint8Array(valueBytes).fill(7)]],
						deletes: [],
					},
				]);
				commit.catch(() => {});
				// The statement ran: its locks are held.
				const start = Date.now();
				while (!(await fenceLocked(schema, "a"))) {
					expect(Date.now() - start).toBeLessThan(5_000);
					await sleep(20);
				}
				expect(frozen).toBe(true);
				// PostgreSQL ends the frozen session after the idle timeout, and the rows are free.
				const lockedAt = Date.now();
				while (await fenceLocked(schema, "a")) {
					expect(Date.now() - lockedAt, "the rows stayed locked").toBeLessThan(IDLE_MS + 4_000);
					await sleep(50);
				}
				const [row] = await sqlAdmin()<{ n: number }[]>`
					SELECT length(value)::int AS n FROM ${sqlAdmin()(schema)}.actor_kv WHERE actor_id = 'a'`;
				// The frozen commit did not land; the first one did.
				expect(row?.n).toBe(1);
			} finally {
				await sql.end({ timeout: 0 }).catch(() => {});
				await dropSchema(schema);
			}
		}, 15_000);
	}
});
