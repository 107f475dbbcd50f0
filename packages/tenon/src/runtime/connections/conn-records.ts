// Connections are stored with their actor, so they outlive its sleep (their
// sockets stay open: the connections hibernate) and a restart or crash (the
// client reconnects and resumes with its conn state). One record per
// connection, committed with the turns that change it.

import type { Clock, TimerHandle } from "../../common/clock.js";
import type { Logger } from "../../common/logger.js";
import { assertStorable, NotStorableError } from "../../common/storable.js";
import { type Rate, TokenBucket } from "../../common/token-bucket.js";
import { cborDecode, cborEncode, type Encoding } from "../../protocol/encoding.js";
import { CONN_RANGE, connIdOf, connKey } from "../../storage/actor-keys.js";
import type { ActorStore } from "../../storage/interfaces.js";
import type { WriteBatch, WriteSource } from "../actor-writer.js";
import type { ConnectionImpl } from "./connection.js";

/** The request a raw WebSocket came with, kept so its handler can run again after a wake. */
export interface StoredRequest {
	method: string;
	url: string;
	headers: [string, string][];
	cookies: Record<string, string>;
	remoteAddress: string | undefined;
	token: string | undefined;
	internal: boolean;
	/** Absent in records from before 2026-11-25 (and when 0). */
	callDepth?: number;
}

/** A connection as stored (format version 1). */
export interface ConnRecord {
	v: 1;
	/** `connect`: actions and events; `raw`: a raw WebSocket (`onWebSocket`). */
	kind: "connect" | "raw";
	params: unknown;
	state: unknown;
	/** Events the connection subscribed to. */
	subscriptions: string[];
	/** SHA-256 of the client's resume token, when it offered one. */
	token?: Uint8Array | undefined;
	createdAt: number;
	/** Raw sockets: the path (and query) under `/websocket`. */
	url?: string | undefined;
	/** Raw sockets: the upgrade request, for `c.request` when the handler runs again. */
	request?: StoredRequest | undefined;
	/** In a cluster: the node that holds the connection's socket. */
	holder?: string | undefined;
	/** The encoding its socket speaks (so events can wait for a link in it). */
	encoding?: Encoding | undefined;
}

/** Reads an actor's stored connections; a record that does not decode is skipped (and logged). */
export async function loadConnRecords(
	store: ActorStore,
	actorId: string,
	log: () => Logger,
): Promise<Map<string, ConnRecord>> {
	const records = new Map<string, ConnRecord>();
	for (const [key, value] of await store.list(actorId, CONN_RANGE)) {
		const connId = connIdOf(key);
		try {
			const record = cborDecode(value) as ConnRecord;
			if (record?.v !== 1)
				throw new Error(`unknown connection record version ${String(record?.v)}`);
			records.set(connId, record);
		} catch (error) {
			log().error("a stored connection could not be read; it is dropped", { connId, error });
		}
	}
	return records;
}

/**
 * Subscription changes of one connection written at once: a burst, then a
 * few a second (an honest client subscribes to its events when it connects
 * and seldom changes them). Each write is the whole record, and a connection
 * toggling one of 16 KiB of subscribed names at its message rate made about
 * 2.4 MB/s of commits (an audit, 2026-11-27).
 */
export const SUBSCRIPTION_WRITES: Rate = Object.freeze({ perSecond: 4, burst: 16 });

/**
 * Changes past {@link SUBSCRIPTION_WRITES} wait and are written together this
 * often, or with the final save when the actor sleeps first. Only such a
 * change can be lost, to a crash or reset before it is written; a resumed
 * connection then has the subscriptions stored before it (docs/connections.md).
 */
export const SUBSCRIPTION_WRITE_INTERVAL_MS = 1_000;

/** What {@link ConnWriteSource} tells its actor. */
export interface ConnRecordsOwner {
	/** Where a connection that cannot be stored is logged; the clock subscription writes wait on. */
	readonly host: { readonly log: Logger; readonly deps: { readonly clock: Clock } };
	/** `conn`'s state could not be stored: it stays in memory and keeps the actor awake. */
	unpersisted(conn: ConnectionImpl): void;
}

/**
 * Turns connection changes into writes: a record for each connection that
 * opened or changed (conn state, subscriptions, params), a delete for each
 * that closed. A connection whose state cannot be stored is not persisted
 * (logged once): it keeps the actor awake instead of hibernating.
 */
export class ConnWriteSource implements WriteSource {
	// Made on first change: an awake actor without connections keeps no empty sets.
	#dirty: Set<ConnectionImpl> | undefined;
	#removed: Set<string> | undefined;
	/** Each connection's subscription writes, against {@link SUBSCRIPTION_WRITES}. */
	#subscriptionWrites: WeakMap<ConnectionImpl, TokenBucket> | undefined;
	/** Connections whose subscription changes wait for {@link #subscriptionTimer}. */
	#subscriptionsWaiting: Set<ConnectionImpl> | undefined;
	#subscriptionTimer: TimerHandle | undefined;
	readonly #onChange: () => void;
	readonly #owner: ConnRecordsOwner;

	/**
	 * @param onChange called when changes appear, so they get committed soon.
	 * @param owner told when a connection's state could not be stored.
	 */
	constructor(onChange: () => void, owner: ConnRecordsOwner) {
		this.#onChange = onChange;
		this.#owner = owner;
	}

	get hasChanges(): boolean {
		return (this.#dirty?.size ?? 0) > 0 || (this.#removed?.size ?? 0) > 0;
	}

	/** `conn` opened or changed. */
	changed(conn: ConnectionImpl): void {
		if (!conn.persisted) return;
		this.#removed?.delete(conn.id);
		this.#dirty ??= new Set();
		this.#dirty.add(conn);
		this.#onChange();
	}

	/**
	 * `conn`'s subscriptions changed: its record is written at once while
	 * within {@link SUBSCRIPTION_WRITES} (or with its other changes), else
	 * within {@link SUBSCRIPTION_WRITE_INTERVAL_MS}.
	 */
	subscriptionsChanged(conn: ConnectionImpl): void {
		if (!conn.persisted || this.#dirty?.has(conn)) return;
		const clock = this.#owner.host.deps.clock;
		const now = clock.now();
		this.#subscriptionWrites ??= new WeakMap();
		let writes = this.#subscriptionWrites.get(conn);
		if (writes === undefined) {
			writes = new TokenBucket(SUBSCRIPTION_WRITES, now);
			this.#subscriptionWrites.set(conn, writes);
		}
		if (writes.take(now) === 0) {
			this.changed(conn);
			return;
		}
		this.#subscriptionsWaiting ??= new Set();
		this.#subscriptionsWaiting.add(conn);
		this.#subscriptionTimer ??= clock.setTimeout(
			() => this.flushSubscriptions(),
			SUBSCRIPTION_WRITE_INTERVAL_MS,
		);
	}

	/**
	 * Subscription changes that wait are written now (on their timer, and
	 * before the final save), or dropped (`drop`: the actor is destroyed).
	 */
	flushSubscriptions(drop = false): void {
		if (this.#subscriptionTimer !== undefined) {
			this.#owner.host.deps.clock.clearTimeout(this.#subscriptionTimer);
			this.#subscriptionTimer = undefined;
		}
		const waiting = this.#subscriptionsWaiting;
		if (drop) waiting?.clear();
		if (waiting === undefined || waiting.size === 0) return;
		this.#dirty ??= new Set();
		for (const conn of waiting) if (conn.persisted) this.#dirty.add(conn);
		waiting.clear();
		this.#onChange();
	}

	/** `conn` closed for good: its record goes. */
	removed(conn: ConnectionImpl): void {
		this.#subscriptionsWaiting?.delete(conn);
		this.#dirty?.delete(conn);
		if (!conn.persisted) return;
		this.#removed ??= new Set();
		this.#removed.add(conn.id);
		this.#onChange();
	}

	collect(batch: WriteBatch): void {
		for (const conn of this.#dirty ?? []) {
			// Its record holds its subscriptions as they are now.
			this.#subscriptionsWaiting?.delete(conn);
			try {
				batch.puts.push([connKey(conn.id), encodeRecord(conn)]);
				conn.settleState();
			} catch (error) {
				if (!(error instanceof NotStorableError)) throw error;
				this.#owner.host.log.warn(
					"a connection's state cannot be stored: it stays in memory and keeps the actor awake",
					{ connId: conn.id, error: error.message },
				);
				conn.persisted = false;
				this.#owner.unpersisted(conn);
				batch.deletes.push(connKey(conn.id));
			}
		}
		this.#dirty?.clear();
		for (const connId of this.#removed ?? []) batch.deletes.push(connKey(connId));
		this.#removed?.clear();
	}
}

function encodeRecord(conn: ConnectionImpl): Uint8Array {
	const state = conn.rawState;
	assertStorable(state, "conn.state", "encodable");
	assertStorable(conn.params, "conn.params", "encodable");
	const record: ConnRecord = {
		v: 1,
		kind: conn.kind,
		params: conn.params,
		state,
		subscriptions: [...conn.subscriptions],
		createdAt: conn.createdAt,
		...(conn.tokenHash === undefined ? {} : { token: conn.tokenHash }),
		...(conn.rawUrl === undefined ? {} : { url: conn.rawUrl }),
		...(conn.storedRequest === undefined ? {} : { request: conn.storedRequest }),
		...(conn.holder === undefined ? {} : { holder: conn.holder }),
		...(conn.transport === undefined ? {} : { encoding: conn.transport.encoding }),
	};
	return cborEncode(record);
}
