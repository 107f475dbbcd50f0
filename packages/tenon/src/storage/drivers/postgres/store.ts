import { toHex } from "../../bytes.js";
import type {
	ActorStore,
	CommitItem,
	CommitResult,
	Entry,
	KeyRange,
	ListOptions,
} from "../../interfaces.js";
import { bytes, num, type PgSql } from "./connection.js";

const BYTEA_ARRAY = 1001;

const buffer = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

/** Puts with later duplicates winning (one statement may not upsert a key twice). */
function lastPuts(puts: readonly Entry[]): Entry[] {
	if (puts.length < 2) return [...puts];
	const byKey = new Map<string, Entry>();
	for (const entry of puts) byKey.set(toHex(entry[0]), entry);
	return [...byKey.values()];
}

/**
 * PostgreSQL {@link ActorStore}. A batch of commits (many actors) runs in one
 * transaction: one WAL flush makes all of them durable (group commit). Each
 * item goes through `commit_item`, which checks its fence against the
 * highest accepted fence and the actor's lease epoch, under row locks, in
 * the same transaction: a former owner that lost its lease cannot write.
 */
export class PgStore implements ActorStore {
	readonly #sql: PgSql;
	readonly #schema: string;

	/**
	 * A commit's transaction holds its actor's lease row (FOR SHARE) and fence
	 * row until it ends. A node frozen between its statements and its COMMIT
	 * (a GC or VM stall, SIGSTOP) kept them for as long as it stayed frozen,
	 * and every other node's takeover of that actor waited on them (a flaky
	 * cluster test, 2026-11-26): PostgreSQL ends such a session after this
	 * long idle in the transaction, and the commit fails unacknowledged. Set
	 * by each commit statement, local to its transaction, not as a startup
	 * parameter, which PgBouncer refuses.
	 */
	readonly #idleInTransactionMs: number;

	constructor(sql: PgSql, schema: string, idleInTransactionMs: number) {
		// PostgreSQL's largest value (about 24.8 days); a longer lease would fail every commit.
		this.#idleInTransactionMs = Math.min(
			2_147_483_647,
			Math.max(1, Math.floor(idleInTransactionMs)),
		);
		this.#sql = sql;
		this.#schema = schema;
	}

	async get(actorId: string, keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
		if (keys.length === 0) return [];
		const sql = this.#sql;
		const rows = await sql<{ key: Uint8Array; value: Uint8Array }[]>`
			SELECT key, value FROM ${sql(this.#schema)}.actor_kv
			WHERE actor_id = ${actorId} AND key = ANY (${sql.array(keys.map(buffer), BYTEA_ARRAY)}::bytea[])`;
		const found = new Map(rows.map((row) => [toHex(bytes(row.key)), bytes(row.value)]));
		return keys.map((key) => found.get(toHex(key)));
	}

	async list(actorId: string, range: KeyRange, options: ListOptions = {}): Promise<Entry[]> {
		const sql = this.#sql;
		const start = range.start === undefined ? null : buffer(range.start);
		const end = range.end === undefined ? null : buffer(range.end);
		const limit = options.limit ?? null;
		const rows = options.reverse
			? await sql<{ key: Uint8Array; value: Uint8Array }[]>`
				SELECT key, value FROM ${sql(this.#schema)}.actor_kv
				WHERE actor_id = ${actorId}
					AND (${start}::bytea IS NULL OR key >= ${start}::bytea)
					AND (${end}::bytea IS NULL OR key < ${end}::bytea)
				ORDER BY key DESC LIMIT ${limit}`
			: await sql<{ key: Uint8Array; value: Uint8Array }[]>`
				SELECT key, value FROM ${sql(this.#schema)}.actor_kv
				WHERE actor_id = ${actorId}
					AND (${start}::bytea IS NULL OR key >= ${start}::bytea)
					AND (${end}::bytea IS NULL OR key < ${end}::bytea)
				ORDER BY key LIMIT ${limit}`;
		return rows.map((row) => [bytes(row.key), bytes(row.value)] as const);
	}

	async commit(batch: readonly CommitItem[]): Promise<CommitResult[]> {
		if (batch.length === 0) return [];
		// Row locks are taken in actor-id order (as lease renewal does), so
		// concurrent transactions cannot deadlock on each other's rows.
		const order = batch.map((_, index) => index);
		order.sort((a, b) => {
			const x = (batch[a] as CommitItem).actorId;
			const y = (batch[b] as CommitItem).actorId;
			return x < y ? -1 : x > y ? 1 : 0;
		});
		for (let attempt = 0; ; attempt++) {
			try {
				const sorted = await this.#commitInOrder(order.map((index) => batch[index] as CommitItem));
				const results: CommitResult[] = new Array(batch.length);
				order.forEach((index, position) => {
					results[index] = sorted[position] as CommitResult;
				});
				return results;
			} catch (error) {
				// A deadlock or serialization failure rolled the whole transaction back: safe to retry.
				const code = (error as { code?: string }).code;
				if ((code === "40P01" || code === "40001") && attempt < 5) continue;
				throw error;
			}
		}
	}

	#commitInOrder(batch: readonly CommitItem[]): Promise<CommitResult[]> {
		const sql = this.#sql;
		const S = sql(this.#schema);
		const idle = String(this.#idleInTransactionMs);
		return sql.begin(async (tx) =>
			// Sent together (pipelined) in one transaction, so one round of I/O and one flush.
			Promise.all(
				batch.map(async (item) => {
					const puts = lastPuts(item.puts);
					const ranges = item.deleteRanges ?? [];
					const alarmMode = item.alarm === undefined ? 0 : item.alarm === null ? 2 : 1;
					// The idle timeout is set by the statement that takes the locks, never apart
					// from it: sent as a `SET LOCAL` of its own, it went out after the items
					// (postgres.js writes a statement when it is ready), and a node frozen
					// between the two writes held the rows with no timeout (a CI run, 2026-11-27;
					// test/storage/postgres-frozen-client.test.ts).
					const [row] = await tx<{ result: string }[]>`
						SELECT set_config('idle_in_transaction_session_timeout', ${idle}, true) AS idle,
							${S}.commit_item(
							${item.actorId},
							${item.fence},
							${item.clear === true},
							${tx.array(
								puts.map(([key]) => buffer(key)),
								BYTEA_ARRAY,
							)}::bytea[],
							${tx.array(
								puts.map(([, value]) => buffer(value)),
								BYTEA_ARRAY,
							)}::bytea[],
							${tx.array(item.deletes.map(buffer), BYTEA_ARRAY)}::bytea[],
							${tx.array(
								ranges.map((range) => (range.start ? buffer(range.start) : null)),
								BYTEA_ARRAY,
							)}::bytea[],
							${tx.array(
								ranges.map((range) => (range.end ? buffer(range.end) : null)),
								BYTEA_ARRAY,
							)}::bytea[],
							${alarmMode}::smallint,
							${typeof item.alarm === "number" ? item.alarm : 0}::float8
						) AS result`;
					const current = num(row?.result);
					return current < 0
						? ({ ok: true } as const)
						: ({ ok: false, reason: "fenced", currentFence: current } as const);
				}),
			),
		) as Promise<CommitResult[]>;
	}
}
