import { randomId } from "../../../common/ids.js";
import type { Logger } from "../../../common/logger.js";
import {
	type ActorOwner,
	type ClusterMembership,
	OwnedElsewhereError,
	type Placement,
} from "../../interfaces.js";
import { NOW_MS, num, type PgSql } from "./connection.js";
import { KnownOwners } from "./known-owners.js";

/** Cluster options of the postgres driver. */
/** How long a lease lasts unless `leaseTtlMs` says otherwise. */
export const DEFAULT_LEASE_TTL_MS = 10_000;

export interface ClusterOptions {
	/** This node's id. Default: random per process start. */
	nodeId?: string;
	/** How long a lease lives without renewal (ms). Default 10 000. */
	leaseTtlMs?: number;
	/** How often leases are renewed (ms). Default a third of the TTL. */
	heartbeatMs?: number;
}

/**
 * Leases over PostgreSQL: an awake actor is owned by one node, with an epoch
 * that grows on every acquisition. `acquire` takes a lease that is free,
 * expired, or this node's own; commits carry the epoch and the store refuses
 * stale ones in the same transaction. Leases are renewed in one statement per
 * heartbeat; a node that comes back from a pause finds the leases it lost and
 * drops those actors. Times come from PostgreSQL's clock, shared by all nodes.
 */
export class PgLeases implements Placement, ClusterMembership {
	readonly nodeId: string;
	readonly peerSecret: string;
	readonly leaseTtlMs: number;
	readonly #heartbeatMs: number;
	readonly #sql: PgSql;
	readonly #schema: string;
	readonly #log: Logger | undefined;
	/** Held leases: actor id -> epoch. */
	readonly #held = new Map<string, number>();
	readonly #lostListeners: ((actorIds: string[]) => void)[] = [];
	#timer: ReturnType<typeof setInterval> | undefined;
	#address: string | undefined;
	/**
	 * When this process joined (PostgreSQL's clock, ms): its row's
	 * `started_at`, which tells it from an earlier process of the same node id.
	 */
	#startedAt: number | undefined;
	#renewing = false;
	/**
	 * Until when (this process's monotonic clock, ms) each held lease is
	 * surely still this node's: the send time of the acquire or of the last
	 * renewal that kept it, plus the lease time, less a margin. PostgreSQL
	 * expires a lease no sooner, so no other node can have taken it over
	 * before then. `#earliest` is the soonest of them. See {@link leasesCurrent}.
	 */
	readonly #validUntil = new Map<string, number>();
	/** When the last renewal that succeeded was sent (`performance.now()`); undefined before join. */
	#renewedAt: number | undefined;
	#earliest = Number.POSITIVE_INFINITY;
	/** Owners of actors other nodes hold, found lately (known-owners.ts). */
	readonly #owners: KnownOwners;
	/** Takeovers lately logged, by the node taken from (see `#tookOver`). */
	readonly #takeovers = new Map<string, { at: number; more: number }>();

	constructor(
		sql: PgSql,
		schema: string,
		options: ClusterOptions,
		peerSecret: string,
		log?: Logger,
	) {
		this.#sql = sql;
		this.peerSecret = peerSecret;
		this.#schema = schema;
		this.#log = log;
		this.nodeId = options.nodeId ?? `node-${randomId(12)}`;
		this.leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
		this.#heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.floor(this.leaseTtlMs / 3));
		// A lease renewed less often than twice a lease time lapses between renewals under a
		// little latency, and this node would drop its actors as late (leasesCurrent).
		if (!(this.#heartbeatMs > 0 && this.#heartbeatMs <= this.leaseTtlMs / 2))
			throw new TypeError(
				`postgresDriver cluster: heartbeatMs (${this.#heartbeatMs}) must be above 0 and at most half of leaseTtlMs (${this.leaseTtlMs})`,
			);
		this.#owners = new KnownOwners(Math.min(1_000, Math.floor(this.leaseTtlMs / 4)));
	}

	/**
	 * Says, once per node and 10 s, that this node takes over actors whose lease another node
	 * let expire (it died, froze or lost its database): failover was silent on the survivors
	 * (an SRE walkthrough, 2026-11-28). The count of the others taken meanwhile follows.
	 */
	#tookOver(from: string, actorId: string): void {
		this.takeovers++;
		const now = performance.now();
		const last = this.#takeovers.get(from);
		if (last !== undefined && now - last.at < 10_000) {
			last.more++;
			return;
		}
		this.#log?.info("took over actors whose owner's lease expired", {
			from,
			actorId,
			...(last !== undefined && last.more > 0 ? { alsoTakenBefore: last.more } : {}),
		});
		if (this.#takeovers.size >= 256 && !this.#takeovers.has(from)) this.#takeovers.clear();
		this.#takeovers.set(from, { at: now, more: 0 });
	}

	knownOwner(actorId: string): ActorOwner | undefined {
		return this.#owners.get(actorId);
	}

	/** Actors this node took over from another whose lease had expired, since it started. */
	takeovers = 0;
	/** Leases this node lost (late renewals, or taken by another node), since it started. */
	lostLeases = 0;

	get heldLeases(): number {
		return this.#held.size;
	}

	async acquire(actorId: string): Promise<number> {
		const sentAt = performance.now();
		const sql = this.#sql;
		const S = sql(this.#schema);
		// `previous`: the owner before (the statement's snapshot), to tell a takeover.
		const [row] = await sql<{ epoch: string; previous: string | null }[]>`
			WITH prev AS (SELECT node_id FROM ${S}.leases WHERE actor_id = ${actorId})
			INSERT INTO ${S}.leases AS l (actor_id, node_id, epoch, expires_at)
			VALUES (${actorId}, ${this.nodeId}, 1, ${sql.unsafe(NOW_MS)} + ${this.leaseTtlMs})
			ON CONFLICT (actor_id) DO UPDATE
				SET node_id = excluded.node_id, epoch = l.epoch + 1, expires_at = excluded.expires_at
				WHERE l.node_id IS NULL OR l.node_id = excluded.node_id OR l.expires_at < ${sql.unsafe(NOW_MS)}
			RETURNING epoch, (SELECT node_id FROM prev) AS previous`;
		if (row) {
			this.#owners.forget(actorId);
			if (row.previous !== null && row.previous !== this.nodeId)
				this.#tookOver(row.previous, actorId);
			const epoch = num(row.epoch);
			const validUntil = sentAt + this.#validFor();
			this.#validUntil.set(actorId, validUntil);
			this.#earliest = Math.min(this.#earliest, validUntil);
			this.#held.set(actorId, epoch);
			return epoch;
		}
		// The owner's address only while it beats: a node that stopped beating is
		// not reached, and its lease is waited out. So is one whose address is now
		// this node's (it was killed and this node restarted there under a new
		// id): forwarding to itself, a request ran out of hops at once (503).
		const [owner] = await sql<{ node_id: string; address: string | null }[]>`
			SELECT l.node_id, n.address FROM ${S}.leases l
			LEFT JOIN ${S}.nodes n ON n.node_id = l.node_id
				AND n.heartbeat_at > ${sql.unsafe(NOW_MS)} - ${this.leaseTtlMs}
			WHERE l.actor_id = ${actorId}`;
		if (!owner?.node_id) return this.acquire(actorId); // released in between: try again
		const address = owner.address ?? "";
		const found = { nodeId: owner.node_id, address: address === this.#address ? "" : address };
		this.#owners.remember(actorId, found);
		throw new OwnedElsewhereError(actorId, found);
	}

	async release(actorId: string): Promise<void> {
		const epoch = this.#held.get(actorId);
		this.#forget(actorId);
		// Only the lease as this process took it: another process of this node id may hold it now.
		if (epoch === undefined) return;
		const sql = this.#sql;
		await sql`
			UPDATE ${sql(this.#schema)}.leases SET node_id = NULL, expires_at = 0
			WHERE actor_id = ${actorId} AND node_id = ${this.nodeId} AND epoch = ${epoch}`;
	}

	async join(address: string): Promise<void> {
		this.#address = address;
		const sql = this.#sql;
		// Two live processes of one id take each other's actors (each may take back "its own"
		// lease at once, for a restart): every request moves the actor, and the other learns only
		// at its next renewal. Said loudly; a restart's old process still stopping says it too.
		const [live] = await sql<{ age: number }[]>`
			SELECT ${sql.unsafe(NOW_MS)} - heartbeat_at AS age FROM ${sql(this.#schema)}.nodes
			WHERE node_id = ${this.nodeId} AND heartbeat_at > ${sql.unsafe(NOW_MS)} - ${this.leaseTtlMs}`;
		if (live !== undefined)
			this.#log?.warn(
				"another process of this node id beat within the lease time (a live one, or this node's own if it crashed moments ago): two live processes with one id take each other's actors (give each its own id; the default is random)",
				{ nodeId: this.nodeId, heartbeatAgeMs: num(live.age) },
			);
		const [row] = await sql<{ started_at: number }[]>`
			INSERT INTO ${sql(this.#schema)}.nodes (node_id, address, started_at, heartbeat_at)
			VALUES (${this.nodeId}, ${address}, ${sql.unsafe(NOW_MS)}, ${sql.unsafe(NOW_MS)})
			ON CONFLICT (node_id) DO UPDATE
				SET address = excluded.address, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at
			RETURNING started_at`;
		this.#startedAt = num(row?.started_at ?? 0);
		this.#renewedAt = performance.now();
		this.#timer ??= setInterval(() => {
			// Checked apart from the renewal: one stuck on a slow database must not hide it.
			this.leasesCurrent();
			void this.#renew();
		}, this.#heartbeatMs);
		this.#timer.unref?.();
	}

	async nodeAddress(nodeId: string): Promise<string | undefined> {
		const sql = this.#sql;
		const [row] = await sql<{ address: string }[]>`
			SELECT address FROM ${sql(this.#schema)}.nodes
			WHERE node_id = ${nodeId} AND heartbeat_at > ${sql.unsafe(NOW_MS)} - ${this.leaseTtlMs}`;
		return row?.address;
	}

	onLeasesLost(listener: (actorIds: string[]) => void): void {
		this.#lostListeners.push(listener);
	}

	/**
	 * False once renewals are late: past {@link #validUntil}, another node may
	 * own any of this node's actors, and its local copies could answer reads
	 * staler than writes acknowledged there (a review, 2026-11-26: a node
	 * resumed from a pause, its renewal slow on a busy database, answered
	 * from its old copy). Then every held lease counts as lost (the actors
	 * are dropped) and is taken again, or found elsewhere, on the next call.
	 * Before the node joins (no renewals run), always true.
	 */
	leasesCurrent(): boolean {
		const now = performance.now();
		if (now <= this.#earliest || this.#timer === undefined) return true;
		const late: string[] = [];
		this.#earliest = Number.POSITIVE_INFINITY;
		for (const [actorId, validUntil] of this.#validUntil) {
			if (validUntil >= now) this.#earliest = Math.min(this.#earliest, validUntil);
			else if (this.#held.has(actorId)) late.push(actorId);
		}
		for (const actorId of late) this.#forget(actorId);
		if (late.length === 0) return true;
		this.lostLeases += late.length;
		this.#log?.warn("lease renewals are late; dropping those actors", { actors: late.length });
		for (const listener of this.#lostListeners) listener(late);
		return false;
	}

	renewalsOnTime(): boolean {
		const at = this.#renewedAt;
		return at === undefined || performance.now() - at <= this.#validFor();
	}

	#forget(actorId: string): void {
		this.#held.delete(actorId);
		this.#validUntil.delete(actorId);
	}

	/** How long after a renewal is sent its leases surely hold (ms). */
	#validFor(): number {
		return this.leaseTtlMs - Math.max(20, this.leaseTtlMs / 10);
	}

	/** Renews every held lease in one statement; the ones not renewed were lost. */
	async #renew(): Promise<void> {
		if (this.#renewing) return;
		this.#renewing = true;
		const sentAt = performance.now();
		try {
			const sql = this.#sql;
			const S = sql(this.#schema);
			const snapshot = new Map(this.#held);
			const held = [...snapshot.keys()];
			const renewed =
				held.length === 0
					? []
					: // Rows locked in actor-id order, like commits, so the two cannot deadlock. By
						// epoch: another process of this node id may have taken a lease since (a probe).
						await sql<{ actor_id: string }[]>`
						WITH mine AS (
							${this.#heldRows(snapshot)}
						)
						UPDATE ${S}.leases l SET expires_at = ${sql.unsafe(NOW_MS)} + ${this.leaseTtlMs}
						FROM mine WHERE l.actor_id = mine.actor_id
						RETURNING l.actor_id`;
			if (this.#address !== undefined && this.#startedAt !== undefined) {
				// Its own row only: the row comes back if it went (an earlier process of this
				// node id that was still stopping deleted it, and peers then had no address for
				// the actors this one owns), and a newer process's row is left alone (a process
				// still stopping must not route peers back to itself, a review).
				await sql`
					INSERT INTO ${S}.nodes AS n (node_id, address, started_at, heartbeat_at)
					VALUES (${this.nodeId}, ${this.#address}, ${this.#startedAt}, ${sql.unsafe(NOW_MS)})
					ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
						WHERE n.started_at = excluded.started_at`;
			}
			this.#renewedAt = Math.max(this.#renewedAt ?? 0, sentAt);
			const kept = new Set(renewed.map((row) => row.actor_id));
			const validUntil = sentAt + this.#validFor();
			for (const actorId of kept)
				if (this.#held.get(actorId) === snapshot.get(actorId))
					this.#validUntil.set(actorId, Math.max(this.#validUntil.get(actorId) ?? 0, validUntil));
			this.#earliest = Number.POSITIVE_INFINITY;
			for (const until of this.#validUntil.values())
				this.#earliest = Math.min(this.#earliest, until);
			// Only leases still held as they were (not released or taken again meanwhile) count as lost.
			const lost = held.filter((id) => !kept.has(id) && this.#held.get(id) === snapshot.get(id));
			if (lost.length > 0) {
				this.lostLeases += lost.length;
				for (const id of lost) this.#forget(id);
				this.#log?.warn("leases lost to other nodes; dropping those actors", {
					actors: lost.length,
				});
				for (const listener of this.#lostListeners) listener(lost);
			}
		} catch (error) {
			this.#log?.warn("lease renewal failed", { error });
		} finally {
			this.#renewing = false;
		}
	}

	/**
	 * The lease rows of `held` (actor id -> epoch) still as this process took them, locked in
	 * actor-id order: renewals and releases went by node id alone, and a process kept renewing
	 * a lease another process of its id had taken (it answered from a stale copy for good),
	 * or freed it on a clean shutdown (an attacker probe, 2026-11-27).
	 */
	#heldRows(held: ReadonlyMap<string, number>) {
		const sql = this.#sql;
		const ids = [...held.keys()];
		const epochs = ids.map((id) => String(held.get(id)));
		return sql`
			SELECT l.actor_id FROM ${sql(this.#schema)}.leases l
			JOIN unnest(${sql.array(ids)}::text[], ${sql.array(epochs)}::bigint[]) AS h(actor_id, epoch)
				ON l.actor_id = h.actor_id AND l.epoch = h.epoch
			WHERE l.node_id = ${this.nodeId}
			ORDER BY l.actor_id FOR UPDATE OF l`;
	}

	/** Stops renewing and forgets the node (its leases stay until they expire or are released). */
	async leave(): Promise<void> {
		if (this.#timer !== undefined) clearInterval(this.#timer);
		this.#timer = undefined;
		this.#address = undefined;
		const startedAt = this.#startedAt;
		if (startedAt === undefined) return;
		const sql = this.#sql;
		// Only this process's row: a new process of the same node id may have joined meanwhile.
		await sql`
			DELETE FROM ${sql(this.#schema)}.nodes
			WHERE node_id = ${this.nodeId} AND started_at = ${startedAt}`.catch(() => {});
	}

	/** Gives up every lease this node holds (a clean shutdown). */
	async releaseAll(): Promise<void> {
		const held = new Map(this.#held);
		this.#held.clear();
		this.#validUntil.clear();
		if (held.size === 0) return;
		const sql = this.#sql;
		const S = sql(this.#schema);
		await sql`
			WITH mine AS (
				${this.#heldRows(held)}
			)
			UPDATE ${S}.leases l SET node_id = NULL, expires_at = 0
			FROM mine WHERE l.actor_id = mine.actor_id`;
	}
}
