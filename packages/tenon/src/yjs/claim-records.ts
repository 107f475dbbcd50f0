// The client ids each connection claimed (client-claims.ts), kept in the
// actor's KV store with its document. Connections outlive the actor's sleep
// and a restart (they hibernate, or resume), and the claims must too: held
// only in memory, they were empty after a wake, and the message that woke
// the actor could add changes, or set a cursor, under a connected user's id
// before that user's next edit claimed it again (a review, 2026-11-26). A
// record is written when a connection claims an id it did not have (its
// first edit, its first cursor), in the turn that claimed it, and deleted
// when the connection goes (every stored connection goes through
// `onDisconnect`, at the latest when it is not resumed in time).
import type { Doc } from "yjs";
import type { ActorKv } from "../actor/kv.js";
import { awarenessOwners } from "./awareness-guard.js";
import { UpdateWriters } from "./update-writers.js";

export const CLAIMS_PREFIX = "yjs/claims/";

/** What one connection claimed: ids it writes under, and awareness clients it announced. */
export interface ClaimRecord {
	writers: number[];
	awareness: number[];
}

/**
 * One document's claims: who writes under which client id (update-writers.ts),
 * who announced which awareness client (awareness-guard.ts), and their
 * records. Writes go into the current turn, whose commit they join.
 */
export class DocumentClaims {
	readonly writers: UpdateWriters;
	/** Awareness client ids each connection announced (only it may change them). */
	readonly owners = awarenessOwners();
	readonly #kv: ActorKv;
	/** Claims are stored (the actor's connections hibernate: they outlive its sleep). */
	#stored = false;

	/** `serverClientId`: the document's own client id (nobody's). */
	constructor(kv: ActorKv, serverClientId: number) {
		this.#kv = kv;
		this.writers = new UpdateWriters(serverClientId);
	}

	/**
	 * With `stored`, claims are stored from now on, and what the connections
	 * claimed before the document slept is taken back. Without (the actor's
	 * connections do not hibernate: they are not stored, get no `onDisconnect`
	 * after a restart, and close when it sleeps), they live in memory only,
	 * and records an earlier version left are deleted: restored for a
	 * connection that no longer exists, one locked its client out for good
	 * (a review, 2026-11-26).
	 */
	async restore(stored: boolean): Promise<void> {
		this.#stored = stored;
		if (!stored) {
			await this.#kv.deleteRange(CLAIMS_PREFIX, `${CLAIMS_PREFIX}\uffff`);
			return;
		}
		for (const [connId, record] of await loadClaims(this.#kv)) {
			this.writers.restore(connId, record.writers);
			this.owners.claim(connId, record.awareness);
		}
	}

	/**
	 * Throws unless connection `connId` may add the changes `writes` names to
	 * `doc`; a lasting connection claims their ids (stored if new).
	 */
	admitWrites(doc: Doc, connId: string, lasting: boolean, writes: readonly number[]): void {
		if (this.writers.admit(doc, connId, lasting, writes, (id) => this.owners.ownerOf(id)))
			this.#save(connId);
	}

	/** Throws unless connection `connId` may announce the awareness clients `ids`. */
	checkAnnounce(connId: string, ids: readonly number[]): void {
		this.owners.check(connId, ids);
		this.writers.checkAnnounced(connId, ids);
	}

	/** Connection `connId` announced `ids` (stored if new). */
	announced(connId: string, ids: readonly number[]): void {
		if (this.owners.claim(connId, ids)) this.#save(connId);
	}

	/** Connection `connId` went: its ids are free; returns the awareness clients it had. */
	gone(connId: string): number[] {
		const wrote = this.writers.release(connId);
		const announced = this.owners.release(connId);
		if (this.#stored && wrote.length + announced.length > 0) void dropClaims(this.#kv, connId);
		return announced;
	}

	#save(connId: string): void {
		if (!this.#stored) return;
		const record = { writers: this.writers.idsOf(connId), awareness: this.owners.idsOf(connId) };
		void saveClaims(this.#kv, connId, record);
	}
}

/** Every connection's record, by connection id. */
async function loadClaims(kv: ActorKv): Promise<Map<string, ClaimRecord>> {
	const records = new Map<string, ClaimRecord>();
	for (const [connId, text] of await kv.list(CLAIMS_PREFIX, { keyType: "text", type: "text" })) {
		const record = parseRecord(text);
		if (record !== undefined) records.set(connId, record);
	}
	return records;
}

function saveClaims(kv: ActorKv, connId: string, record: ClaimRecord): Promise<void> {
	return kv.put(`${CLAIMS_PREFIX}${connId}`, JSON.stringify(record));
}

function dropClaims(kv: ActorKv, connId: string): Promise<void> {
	return kv.delete(`${CLAIMS_PREFIX}${connId}`);
}

/** A record as stored; undefined for anything else (written by no version of this code). */
function parseRecord(text: string): ClaimRecord | undefined {
	try {
		const value = JSON.parse(text) as Partial<ClaimRecord>;
		const ids = (list: unknown) =>
			Array.isArray(list) ? list.filter((id): id is number => Number.isSafeInteger(id)) : [];
		return { writers: ids(value.writers), awareness: ids(value.awareness) };
	} catch {
		return undefined;
	}
}
