import { randomBytes } from "node:crypto";
import { type Logger, moduleLogger } from "../../../common/logger.js";
import type { StorageDriver, StorageHandles } from "../../interfaces.js";
import { PgAlarmIndex } from "./alarms.js";
import { type ClusterOptions, DEFAULT_LEASE_TTL_MS, PgLeases } from "./cluster.js";
import { connect, type PgSql } from "./connection.js";
import { PgDirectory } from "./directory.js";
import { checkSchemaName, migration1, SCHEMA_VERSION } from "./schema.js";
import { PgStore } from "./store.js";
import { guardStrayWrites } from "./write-guard.js";

/** How long the readiness check's `SELECT 1` may take before its connection is dropped (ms). */
const CHECK_TIMEOUT_MS = 2_000;

export type { ClusterOptions } from "./cluster.js";

/** Options for {@link postgresDriver}. */
export interface PostgresDriverOptions {
	/** Connection URL. Default: `TENON_POSTGRES_URL`, else `DATABASE_URL`. */
	url?: string;
	/** Schema holding Tenon's tables (created if missing). Default `tenon`. */
	schema?: string;
	/** Connections in the pool. Default 10. */
	maxConnections?: number;
	/** Lease and node settings for multi-node use. */
	cluster?: ClusterOptions;
	/** Logger for lease events (the runtime passes its own). */
	logger?: Logger;
}

/** The connection URL used when none is configured. */
export function defaultPostgresUrl(): string | undefined {
	return process.env.TENON_POSTGRES_URL ?? process.env.DATABASE_URL;
}

/**
 * Creates or migrates Tenon's schema, serialized across nodes by an advisory
 * lock, and returns the cluster's peer secret (made once, by the first node).
 */
async function migrate(sql: import("./connection.js").PgSql, schema: string): Promise<string> {
	return sql.begin(async (tx) => {
		await tx`SELECT pg_advisory_xact_lock(hashtext(${`tenon-migrate:${schema}`}))`;
		await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
		await tx.unsafe(
			`CREATE TABLE IF NOT EXISTS ${schema}.meta (key text PRIMARY KEY, value text NOT NULL)`,
		);
		const [row] = await tx<{ value: string }[]>`
			SELECT value FROM ${tx(schema)}.meta WHERE key = 'schema_version'`;
		const version = row ? Number(row.value) : 0;
		if (version > SCHEMA_VERSION) {
			throw new Error(
				`The PostgreSQL schema '${schema}' is at version ${version}, newer than this Tenon (${SCHEMA_VERSION}); upgrade Tenon`,
			);
		}
		if (version < 1) await tx.unsafe(migration1(schema));
		await tx`
			INSERT INTO ${tx(schema)}.meta (key, value) VALUES ('schema_version', ${String(SCHEMA_VERSION)})
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`;
		await tx`
			INSERT INTO ${tx(schema)}.meta (key, value) VALUES ('peer_secret', ${randomBytes(32).toString("base64url")})
			ON CONFLICT (key) DO NOTHING`;
		const [secret] = await tx<{ value: string }[]>`
			SELECT value FROM ${tx(schema)}.meta WHERE key = 'peer_secret'`;
		if (secret === undefined) throw new Error("the cluster's peer secret is missing");
		return secret.value;
	});
}

/**
 * PostgreSQL storage: durable (a commit returns once PostgreSQL has flushed
 * it, with `synchronous_commit = on`), shared by every node of a cluster.
 * Tenon creates and migrates its tables in `schema`.
 *
 * @example
 * const registry = setup({ use: { counter }, storage: postgresDriver({ url: process.env.DATABASE_URL }) });
 */
export function postgresDriver(options: PostgresDriverOptions = {}): StorageDriver {
	const schema = checkSchemaName(options.schema ?? "tenon");
	return {
		name: "postgres",
		async open(context = {}): Promise<StorageHandles> {
			const url = options.url ?? defaultPostgresUrl();
			if (!url) {
				throw new Error(
					"postgresDriver needs a connection URL: pass { url } or set TENON_POSTGRES_URL",
				);
			}
			// Its schema in pg_stat_activity: which deployment holds a connection.
			const sql = await connect(url, {
				max: options.maxConnections ?? 10,
				applicationName: `tenon ${schema}`,
			});
			guardStrayWrites((message) =>
				(options.logger ?? context.logger)?.warn(message, { module: "postgres" }),
			);
			let peerSecret: string;
			try {
				peerSecret = await migrate(sql, schema);
			} catch (error) {
				await sql.end({ timeout: 1 });
				throw error;
			}
			let probe: PgSql | undefined;
			const clusterLog = options.logger ?? context.logger;
			const leases = new PgLeases(
				sql,
				schema,
				options.cluster ?? {},
				peerSecret,
				clusterLog === undefined ? undefined : moduleLogger(clusterLog, "cluster"),
			);
			return {
				directory: new PgDirectory(sql, schema),
				// As long as a lease lasts: a node frozen that long lost its leases anyway.
				store: new PgStore(sql, schema, options.cluster?.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS),
				alarms: new PgAlarmIndex(sql, schema),
				placement: leases,
				cluster: leases,
				// On a connection of its own: through the pool, a check waited behind busy
				// connections and a healthy but busy node said "storage" (a review, 2026-11-28).
				// Opened on the first check (only nodes that are probed hold it).
				async check() {
					probe ??= await connect(url, {
						max: 1,
						applicationName: `tenon ${schema} ready`,
						connectTimeoutS: 2,
					});
					const asked = probe;
					// A query whose bytes were lost (a half-open connection, a middlebox that drops
					// them) never settles, and readiness starts no check while one is pending: the
					// node said "storage" for good after the database came back (an SRE walkthrough,
					// 2026-11-29). Past the time the connection is dropped; the next check opens one.
					let timer: ReturnType<typeof setTimeout> | undefined;
					const timedOut = new Promise<never>((_, reject) => {
						timer = setTimeout(() => {
							if (probe === asked) probe = undefined;
							void asked.end({ timeout: 0 }).catch(() => {});
							reject(new Error("the readiness query took over 2 s"));
						}, CHECK_TIMEOUT_MS);
					});
					try {
						await Promise.race([asked`SELECT 1`, timedOut]);
					} finally {
						clearTimeout(timer);
					}
				},
				async close() {
					await leases.leave();
					await leases.releaseAll().catch(() => {});
					await Promise.all([sql.end({ timeout: 5 }), probe?.end({ timeout: 1 })]);
				},
			};
		},
	};
}
