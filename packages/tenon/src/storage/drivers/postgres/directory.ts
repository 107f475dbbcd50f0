import type {
	ActorDirectory,
	ActorRecord,
	CreateActorRequest,
	CreateActorResult,
} from "../../interfaces.js";
import { bytes, num, type PgSql } from "./connection.js";

interface ActorRow {
	actor_id: string;
	namespace: string;
	name: string;
	key_json: string;
	created_at: string;
	destroyed_at: string | null;
}

function toRecord(row: ActorRow): ActorRecord {
	return {
		actorId: row.actor_id,
		namespace: row.namespace,
		name: row.name,
		key: JSON.parse(row.key_json) as string[],
		createdAt: num(row.created_at),
		...(row.destroyed_at === null ? {} : { destroyedAt: num(row.destroyed_at) }),
	};
}

/** The key as JSON: unambiguous (for the unique index) and NUL-safe (escaped). */
const keyJson = (key: readonly string[]) => JSON.stringify(key);

/**
 * PostgreSQL {@link ActorDirectory}. A partial unique index on live keys
 * makes creation unique across every node of a cluster.
 */
export class PgDirectory implements ActorDirectory {
	readonly #sql: PgSql;
	readonly #schema: string;

	constructor(sql: PgSql, schema: string) {
		this.#sql = sql;
		this.#schema = schema;
	}

	async create(request: CreateActorRequest): Promise<CreateActorResult> {
		const sql = this.#sql;
		const S = sql(this.#schema);
		for (let attempt = 0; ; attempt++) {
			const inserted = await sql<ActorRow[]>`
				INSERT INTO ${S}.actors (actor_id, namespace, name, key_json, created_at, input)
				VALUES (${request.actorId}, ${request.namespace}, ${request.name}, ${keyJson(request.key)},
					${request.createdAt}, ${request.input === undefined ? null : Buffer.from(request.input)})
				ON CONFLICT (namespace, name, key_json) WHERE destroyed_at IS NULL DO NOTHING
				RETURNING actor_id, namespace, name, key_json, created_at, destroyed_at`;
			if (inserted[0]) return { actor: toRecord(inserted[0]), created: true };
			const existing = await this.getByKey(request.namespace, request.name, request.key);
			if (existing) return { actor: existing, created: false };
			// The holder was destroyed between the two statements: try again.
			if (attempt >= 3) throw new Error("could not create or find the actor");
		}
	}

	async getByKey(
		namespace: string,
		name: string,
		key: readonly string[],
	): Promise<ActorRecord | undefined> {
		const sql = this.#sql;
		const [row] = await sql<ActorRow[]>`
			SELECT actor_id, namespace, name, key_json, created_at, destroyed_at FROM ${sql(this.#schema)}.actors
			WHERE namespace = ${namespace} AND name = ${name} AND key_json = ${keyJson(key)}
				AND destroyed_at IS NULL`;
		return row ? toRecord(row) : undefined;
	}

	async getById(actorId: string): Promise<ActorRecord | undefined> {
		const sql = this.#sql;
		const [row] = await sql<ActorRow[]>`
			SELECT actor_id, namespace, name, key_json, created_at, destroyed_at FROM ${sql(this.#schema)}.actors
			WHERE actor_id = ${actorId}`;
		return row ? toRecord(row) : undefined;
	}

	async list(
		namespace: string,
		name: string,
		options: { limit?: number; afterActorId?: string } = {},
	): Promise<ActorRecord[]> {
		const sql = this.#sql;
		const rows = await sql<ActorRow[]>`
			SELECT actor_id, namespace, name, key_json, created_at, destroyed_at FROM ${sql(this.#schema)}.actors
			WHERE namespace = ${namespace} AND name = ${name} AND destroyed_at IS NULL
				AND actor_id > ${options.afterActorId ?? ""}
			ORDER BY actor_id
			LIMIT ${options.limit ?? null}`;
		return rows.map(toRecord);
	}

	async readInput(actorId: string): Promise<Uint8Array | undefined> {
		const sql = this.#sql;
		const [row] = await sql<{ input: Uint8Array | null }[]>`
			SELECT input FROM ${sql(this.#schema)}.actors WHERE actor_id = ${actorId}`;
		return row?.input ? bytes(row.input) : undefined;
	}

	async markDestroyed(actorId: string, destroyedAt: number): Promise<void> {
		const sql = this.#sql;
		await sql`
			UPDATE ${sql(this.#schema)}.actors SET destroyed_at = ${destroyedAt}, input = NULL
			WHERE actor_id = ${actorId} AND destroyed_at IS NULL`;
	}

	async removeDestroyed(actorId: string): Promise<void> {
		const sql = this.#sql;
		await sql`
			DELETE FROM ${sql(this.#schema)}.actors
			WHERE actor_id = ${actorId} AND destroyed_at IS NOT NULL`;
	}
}
