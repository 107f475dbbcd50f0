// Only the connection that uses a Yjs client id may add changes under it
// (client-claims.ts says why). A connection claims the ids its updates add
// changes under, the first MAX_WRITER_CLIENTS_PER_CONNECTION, until it goes; a
// call over HTTP may add changes only under ids no connection uses, and
// claims none (its connection ends with it). The actor's own client id is
// nobody's. Changes an update repeats (the document has them) are not
// counted: a step 2 may resend what others wrote.
import * as Y from "yjs";
import { ActorError } from "../protocol/errors.js";
import { ClientClaims } from "./client-claims.js";

/**
 * Yjs client ids one connection claims, at most (a provider uses one per
 * document; a new `Y.Doc` on the same connection, another). Ids it writes
 * under past these stay nobody's: a tool that uploads a document of many
 * clients is not refused, and the claims stay bounded.
 */
export const MAX_WRITER_CLIENTS_PER_CONNECTION = 16;

/** The owner of the actor's own client id (no connection id has a NUL). */
const SERVER_OWNER = "\0server";

/** Who writes under which client id in one awake document. */
export class UpdateWriters {
	readonly #claims = new ClientClaims(MAX_WRITER_CLIENTS_PER_CONNECTION, {
		taken: (id) =>
			new ActorError(
				"auth",
				"yjs_client_in_use",
				`Yjs client ${id} writes through another connection: an update may add changes only under its own connection's client ids (a client that reconnects without resuming waits until its old connection is gone)`,
				{ client: id, retryAfterMs: 1_000 },
			),
	});

	/** `serverClientId`: the document's own, which the actor's edits use. */
	constructor(serverClientId: number) {
		this.#claims.claim(SERVER_OWNER, [serverClientId]);
	}

	/**
	 * Throws unless connection `connId` may add the changes of an update whose
	 * groups of structs are `writes` (UpdateParts.writes) to `doc`; a lasting
	 * connection (not an HTTP call) claims their client ids. True if it claimed
	 * any it did not have.
	 */
	admit(
		doc: Y.Doc,
		connId: string,
		lasting: boolean,
		writes: readonly number[],
		announcedBy: (id: number) => string | undefined,
	): boolean {
		const adding = clientsAdding(doc, writes);
		if (adding.length === 0) return false;
		this.#claims.check(connId, adding);
		// An id another connection announced in its awareness is its client's, written
		// under or not yet: a provider announces it on connect, before its first edit.
		for (const id of adding) {
			const announcer = announcedBy(id);
			if (announcer !== undefined && announcer !== connId) throw this.#claims.refusal(id);
		}
		return lasting && this.#claims.claim(connId, adding);
	}

	/** Connection `connId` claimed `ids` before the document slept (claim-records.ts). */
	restore(connId: string, ids: readonly number[]): void {
		this.#claims.claim(connId, ids);
	}

	/** The client ids connection `connId` claimed. */
	idsOf(connId: string): number[] {
		return this.#claims.idsOf(connId);
	}

	/** Throws unless every id of `ids` is `connId`'s or nobody's (an awareness update's). */
	checkAnnounced(connId: string, ids: readonly number[]): void {
		for (const id of ids) {
			const writer = this.#claims.ownerOf(id);
			if (writer !== undefined && writer !== connId) throw this.#claims.refusal(id);
		}
	}

	/** The connection went: its client ids are free (returned). */
	release(connId: string): number[] {
		return this.#claims.release(connId);
	}
}

/**
 * The client ids an update adds changes under: those whose structs may reach
 * past what `doc` has of them.
 */
function clientsAdding(doc: Y.Doc, writes: readonly number[]): number[] {
	const ids: number[] = [];
	for (let i = 0; i + 2 < writes.length; i += 3) {
		const client = writes[i] as number;
		if ((writes[i + 2] as number) > Y.getState(doc.store, client) && !ids.includes(client))
			ids.push(client);
	}
	return ids;
}
