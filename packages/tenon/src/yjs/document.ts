import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { Awareness, encodeAwarenessUpdate, removeAwarenessStates } from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import type { ActorKv } from "../actor/kv.js";
import { ActorError, errors } from "../protocol/errors.js";
import { ApplyBudget, changedMeanwhile, MAX_UPDATE_MS } from "./apply-budget.js";
import {
	type ApplyVerifier,
	type DocumentMirror,
	sharedApplyVerifier,
	type Verified,
	workerTimeOf,
} from "./apply-verifier.js";
import {
	applyAwareness,
	awarenessClientsOf,
	refuseWritersOfReader,
	stampAwarenessUser,
} from "./awareness-guard.js";
import { DocumentClaims } from "./claim-records.js";
import { ALL_CONTENT, checkContent } from "./content-kinds.js";
import {
	CHUNK_BYTES,
	COMPACT_BYTES,
	compactAfter,
	concat,
	LOG_PREFIX,
	LogWrites,
	loggedUpdates,
	logKey,
	SNAPSHOT_PREFIX,
} from "./document-log.js";
import { invalid } from "./parts.js";
import { changesNothing } from "./reader-updates.js";
import { readStateVector, Step2Answers } from "./step2-answers.js";
import { SPLIT_BYTES } from "./update-cost.js";
import { estimateUpdate, readUpdateShape, type UpdateCost } from "./update-shape.js";

/** A document this large (stored bytes) gets its mirror made when it is loaded. */
const SEED_BYTES = 1024 * 1024;
/** Checks of one update on a copy, at most, while the server's own edits keep changing the document. */
const MAX_CHECKS = 3;

/**
 * One awake actor's Yjs document: loaded from its KV store on wake (the last
 * snapshot, then the updates logged since), every update applied is logged in
 * the same commit as the turn that applied it, and the log is folded into a
 * new snapshot every `compactEvery` updates. It also holds the awareness
 * (cursors, names) of the clients connected now, in memory only.
 */
export class ActorDocument {
	readonly doc: Y.Doc;
	readonly awareness: Awareness;
	readonly #kv: ActorKv;
	readonly #compactEvery: number;
	#nextSeq: number;
	#logged: number;
	/** Writes of the updates applied in the current turn (awaited by it). */
	readonly #pending = new LogWrites();
	/** Bytes of the last snapshot (more updates are logged before a large one is made again). */
	#snapshotBytes = 0;
	/** Bytes of the updates logged since the last snapshot (counted from this wake). */
	#loggedBytes = 0;
	/** Changes applied since load (a step 2 made at one version is reused at the same). */
	#version = 0;
	/** Answers to clients' step 1s (step2-answers.ts). */
	readonly #answers = new Step2Answers();
	/** Who uses which client ids, and their records (claim-records.ts). */
	readonly #claims: DocumentClaims;

	/** The loop's time spent on clients' updates (apply-budget.ts). */
	readonly #budget: ApplyBudget;
	/** Where costly updates are tried first (apply-verifier.ts). */
	readonly #verifier: ApplyVerifier;
	/** This document's mirror on the worker, made at its first costly update. */
	#mirror: DocumentMirror | undefined;
	/** The update being applied was tried on the mirror: it has it already (reset by its first update event). */
	#mirrored = false;
	/** A client's update is being applied (after it, changes waiting for others are dropped). */
	#fromClient = false;
	/** Settles when the update being tried on the worker is applied or refused. */
	#verifying: Promise<void> | undefined;
	/** The largest the document may grow, encoded (bytes). */
	readonly #maxBytes: number;
	/**
	 * At least the document's encoded size: the snapshot and every update logged since, in
	 * whole (merged, they are often smaller), or what an encoding measured at `#measuredAt`.
	 */
	#sizeBound = 0;
	#measuredAt = -1;
	/** What the update being applied may add to the document (see {@link growthBound}). */
	#applying: number | undefined;
	/** The log is full: folded into a snapshot after the apply (see {@link #log}). */
	#compactDue = false;
	#destroyed = false;
	/** The kinds of content clients' updates may insert (content-kinds.ts; default all). */
	allowedContent = ALL_CONTENT;

	private constructor(
		kv: ActorKv,
		compactEvery: number,
		nextSeq: number,
		logged: number,
		budget: ApplyBudget,
		maxBytes: number,
		verifier: ApplyVerifier,
	) {
		this.#kv = kv;
		this.#budget = budget;
		this.#verifier = verifier;
		this.#maxBytes = maxBytes;
		this.#compactEvery = compactEvery;
		this.#nextSeq = nextSeq;
		this.#logged = logged;
		this.doc = new Y.Doc({ gc: true });
		this.awareness = new Awareness(this.doc);
		this.awareness.setLocalState(null);
		this.#claims = new DocumentClaims(kv, this.doc.clientID);
	}

	/** Loads the document of the actor whose KV store is `kv`. */
	static async load(
		kv: ActorKv,
		compactEvery: number,
		budget: ApplyBudget = new ApplyBudget(),
		maxBytes = Number.POSITIVE_INFINITY,
		verifier: ApplyVerifier = sharedApplyVerifier(),
	): Promise<ActorDocument> {
		const chunks = await kv.list(SNAPSHOT_PREFIX, { keyType: "text", type: "binary" });
		const log = loggedUpdates(await kv.list(LOG_PREFIX, { keyType: "text", type: "binary" }));
		const lastSeq = log.at(-1)?.seq;
		const nextSeq = lastSeq === undefined ? 0 : lastSeq + 1;
		const document = new ActorDocument(
			kv,
			compactEvery,
			nextSeq,
			log.length,
			budget,
			maxBytes,
			verifier,
		);
		for (const [, chunk] of chunks) document.#snapshotBytes += chunk.byteLength;
		document.#sizeBound = document.#snapshotBytes;
		for (const { update } of log) document.#sizeBound += update.byteLength;
		const loaded = [
			...(chunks.length > 0 ? [concat(chunks.map(([, chunk]) => chunk))] : []),
			...log.map(({ update }) => update),
		];
		Y.transact(document.doc, () => {
			for (const update of loaded) Y.applyUpdate(document.doc, update);
		});
		// A large document's mirror is made from what was read: no encoding of it on the loop.
		if (document.#sizeBound >= SEED_BYTES && verifier.available) {
			document.#mirror = verifier.mirror();
			document.#mirror.seed(loaded);
		}
		// Registered after loading: only new updates are logged.
		document.doc.on("update", (update: Uint8Array) => document.#log(update));
		return document;
	}

	#log(update: Uint8Array): void {
		this.#version++;
		// The first update of a checked apply is the mirror's already; any after it
		// (the app's observers editing in response) are not.
		if (this.#mirrored) this.#mirrored = false;
		else this.#mirror?.applied(update, this.#fromClient);
		const seq = this.#nextSeq++;
		if (update.byteLength <= CHUNK_BYTES) this.#pending.add(this.#kv.put(logKey(seq), update));
		// A stored value holds at most 128 KiB: a larger update is logged in chunks.
		else
			for (let offset = 0, n = 0; offset < update.byteLength; offset += CHUNK_BYTES, n++)
				this.#pending.add(
					this.#kv.put(
						`${logKey(seq)}/${String(n).padStart(6, "0")}`,
						update.subarray(offset, offset + CHUNK_BYTES),
					),
				);
		this.#logged++;
		this.#loggedBytes += update.byteLength;
		// A client's update was bounded when it was read; the actor's own edits, at twice their size.
		this.#sizeBound += this.#applying ?? 2 * update.byteLength + 2 * SPLIT_BYTES;
		// By count, and by bytes: a wake reads and applies the whole log. Not in the
		// apply: its time would be charged to (and teach the cost of) the update that
		// happened to fill the log; still in this turn, before its writes are awaited.
		if (
			!this.#compactDue &&
			(this.#logged >= compactAfter(this.#compactEvery, this.#snapshotBytes) ||
				this.#loggedBytes >= COMPACT_BYTES)
		) {
			this.#compactDue = true;
			queueMicrotask(() => this.#compactIfDue());
		}
	}

	#compactIfDue(): void {
		if (!this.#compactDue || this.#destroyed) return;
		this.#compactDue = false;
		this.#compact();
	}

	/** Folds the log into one snapshot (in the same commit as the update that filled it). */
	#compact(): void {
		const last = this.#nextSeq - 1;
		const snapshot = Y.encodeStateAsUpdate(this.doc);
		const writes = [
			this.#kv.deleteRange(SNAPSHOT_PREFIX, `${SNAPSHOT_PREFIX}~`),
			this.#kv.deleteRange(LOG_PREFIX, logKey(last + 1)),
		];
		for (let offset = 0, n = 0; offset < snapshot.byteLength; offset += CHUNK_BYTES, n++)
			writes.push(
				this.#kv.put(
					`${SNAPSHOT_PREFIX}${String(n).padStart(6, "0")}`,
					snapshot.subarray(offset, offset + CHUNK_BYTES),
				),
			);
		for (const write of writes) this.#pending.add(write);
		this.#logged = 0;
		this.#loggedBytes = 0;
		this.#sizeBound = snapshot.byteLength;
		this.#snapshotBytes = snapshot.byteLength;
	}

	/**
	 * Throws `limit/yjs_document_too_large` when an update that may add
	 * `growth` bytes would take the document past its limit. The bound is
	 * checked first; near the limit, the document is encoded (once per
	 * version: refused updates change nothing, so asking again costs no new
	 * encoding).
	 */
	#checkSize(growth: number): void {
		if (this.#sizeBound + growth <= this.#maxBytes) return;
		if (this.#measuredAt !== this.#version) {
			this.#sizeBound = Y.encodeStateAsUpdate(this.doc).byteLength;
			this.#measuredAt = this.#version;
		}
		if (this.#sizeBound + growth <= this.#maxBytes) return;
		throw new ActorError(
			"limit",
			"yjs_document_too_large",
			`This document is ${this.#sizeBound} bytes and may grow to ${this.#maxBytes}; this update could add up to ${growth}`,
			{ limit: this.#maxBytes, size: this.#sizeBound },
		);
	}

	/** Waits for the writes of what this turn applied (they commit with it). */
	async written(): Promise<void> {
		this.#compactIfDue();
		await this.#pending.take();
	}

	/**
	 * Handles one y-protocols sync message from connection `connId`: a step 1
	 * is answered with step 2 and the server's own step 1; a step 2 or an
	 * update is checked, then applied (`canWrite` false: refused), within the
	 * budget of loop time (apply-budget.ts; `lasting` false: a call over HTTP,
	 * whose connection ends with it, counts against the actor's and the
	 * process's only, its step 1 too). A costly update is applied to a copy
	 * on a worker first (apply-verifier.ts); messages that come meanwhile
	 * wait, so updates apply in the order they came.
	 */
	async sync(
		message: Uint8Array,
		connId: string,
		canWrite: boolean,
		lasting = true,
	): Promise<Uint8Array[]> {
		while (this.#verifying !== undefined) await this.#verifying;
		// A step 1 over a connection is outside the budget: a provider refused
		// as busy syncs again with one, and must not be refused for its cost
		// (a connection asks for a large answer at most once a second).
		if (lasting && message[0] === syncProtocol.messageYjsSyncStep1) {
			const read = this.#read(message, canWrite);
			return read.replies ?? [];
		}
		const budgeted = lasting ? connId : undefined;
		this.#budget.admit(budgeted);
		const read = this.#budget.measure(budgeted, () => this.#read(message, canWrite));
		if (read.replies !== undefined) return read.replies;
		const { update, items, visits, growth } = read;
		this.#claims.admitWrites(this.doc, connId, lasting, read.writes);
		const apply = () => this.#apply(update, connId, growth);
		// The time of an update not decoded teaches nothing of the cost per item.
		const learnFrom = read.estimated ? () => items : undefined;
		if (!this.#budget.isCostly(items, visits) || !this.#verifier.available)
			return this.#budget.measure(budgeted, apply, learnFrom);
		const verified = (async () => {
			try {
				for (let attempt = 1; ; attempt++) {
					const checkedAt = this.#version;
					const { pending } = await this.#verify(budgeted, update);
					// The server's own edits may have changed the document during the check.
					// An update placed whole there commutes with them; one with parts waiting
					// for changes the copy lacked may hang on them here (a probe made one slow
					// only on the real document so): a fresh copy, again. (Re-checking on every
					// change let a timer's edits keep honest updates out for good.)
					if (this.#version === checkedAt || !pending)
						return this.#budget.measure(
							budgeted,
							() => this.#apply(update, connId, growth, true),
							learnFrom,
						);
					this.#closeMirror();
					if (attempt === MAX_CHECKS) throw changedMeanwhile();
				}
			} finally {
				this.#verifying = undefined;
			}
		})();
		this.#verifying = verified.then(
			() => {},
			() => {},
		);
		return verified;
	}

	/** Applies `update` to a copy of the document on the worker first; throws what that refuses. */
	async #verify(connId: string | undefined, update: Uint8Array): Promise<Verified> {
		// Encoded when the worker takes it (no copy waits in its queue); on the loop, so timed.
		const state = () => this.#budget.measure(connId, () => Y.encodeStateAsUpdate(this.doc));
		try {
			// The update's own time is charged, not the copy's (which grows with the document).
			this.#mirror ??= this.#verifier.mirror();
			const verified = await this.#mirror.verify(state, update, MAX_UPDATE_MS);
			this.#budget.chargeOffLoop(connId, verified.applyMs);
			return verified;
		} catch (error) {
			// Refused after the limit's time on the worker: that much is charged; a
			// failed check, the time it took (or failing updates would cost nothing).
			if ((error as ActorError).code === "yjs_update_too_complex")
				this.#budget.chargeOffLoop(connId, MAX_UPDATE_MS);
			else this.#budget.chargeOffLoop(connId, workerTimeOf(error));
			throw error;
		}
	}

	/**
	 * Reads a sync message: a step 1 is answered at once (`replies`); an
	 * update is checked (its shape, the document's size, what placing it
	 * would scan, the budget's estimates) and returned with its item count
	 * and scans, to apply.
	 */
	#read(
		message: Uint8Array,
		canWrite: boolean,
	):
		| { replies: Uint8Array[] }
		| ({
				replies?: undefined;
				update: Uint8Array;
				growth: number;
				writes: readonly number[];
		  } & UpdateCost) {
		// The types (0 to 2) fit one byte. Another form of one (`0x80 0x00` is 0 too)
		// passed the checks that read the first byte (a step 1's rate per connection).
		if ((message[0] ?? 0) >= 0x80) throw invalid("a message type not in one byte");
		const decoder = decoding.createDecoder(message);
		let type: number;
		try {
			type = decoding.readVarUint(decoder);
		} catch {
			throw invalid("empty or truncated");
		}
		if (type === syncProtocol.messageYjsSyncStep1) {
			let stateVector: Map<number, number>;
			try {
				stateVector = readStateVector(this.doc, decoding.readVarUint8Array(decoder));
			} catch {
				throw invalid("a malformed state vector");
			}
			const step1 = encoding.createEncoder();
			syncProtocol.writeSyncStep1(step1, this.doc);
			return {
				replies: [
					this.#answers.answer(this.doc, this.#version, stateVector),
					encoding.toUint8Array(step1),
				],
			};
		}
		if (type !== syncProtocol.messageYjsSyncStep2 && type !== syncProtocol.messageYjsUpdate)
			throw invalid(`unknown message type ${type}`);
		let update: Uint8Array;
		try {
			update = decoding.readVarUint8Array(decoder);
		} catch {
			throw invalid("a malformed update");
		}
		if (!canWrite && !changesNothing(this.doc, this.#version, update))
			throw new ActorError("auth", "forbidden", "This connection may not edit the document");
		if (!canWrite) return { replies: [] }; // a reader's answer to step 1 (reader-updates.ts)
		const shape = readUpdateShape(update);
		checkContent(shape.contentKinds, this.allowedContent);
		this.#checkSize(shape.growth);
		const cost = estimateUpdate(this.doc, update, shape, this.#verifier.available);
		this.#budget.checkUpdate(cost.items, cost.visits);
		return { update, growth: shape.growth, writes: shape.writes, ...cost };
	}

	/**
	 * Applies a checked update (`mirrored`: tried on the mirror, which has it);
	 * answers with the server's step 1 when it depended on changes the document lacks.
	 */
	#apply(update: Uint8Array, connId: string, growth: number, mirrored = false): Uint8Array[] {
		// A check on the worker took a while: the actor may have gone to sleep meanwhile.
		if (this.#destroyed) throw errors.actorStopping();
		let failure: unknown;
		this.#applying = growth;
		this.#mirrored = mirrored;
		this.#fromClient = true;
		try {
			Y.applyUpdate(this.doc, update, connId);
		} catch (error) {
			failure = error;
		} finally {
			this.#applying = undefined;
			this.#mirrored = false;
			this.#fromClient = false;
		}
		if (failure !== undefined) {
			// The mirror took all of it: it is no copy of this document any more.
			if (mirrored) this.#closeMirror();
			throw invalid("an update that does not apply");
		}
		const store = this.doc.store;
		if (store.pendingStructs !== null || store.pendingDs !== null) {
			// Changes that depend on ones the document lacks: Yjs would park them
			// in memory, not stored and merged again with every later update (an
			// attacker probe grew that to half a gigabyte). They are dropped; what
			// applied is logged with this turn, and the server's step 1 asks the
			// client for everything the document lacks (a client that has it resends it).
			store.pendingStructs = null;
			store.pendingDs = null;
			const step1 = encoding.createEncoder();
			syncProtocol.writeSyncStep1(step1, this.doc);
			return [encoding.toUint8Array(step1)];
		}
		return [];
	}

	/**
	 * Applies an awareness update from connection `connId` (only the clients it announced:
	 * awareness-guard.ts); returns what to pass on: the update, or its states with `user` and whole cursors.
	 */
	awarenessUpdate(
		update: Uint8Array,
		connId: string,
		mayEdit: boolean,
		user?: Record<string, unknown>,
	): Uint8Array {
		const { ids, partialCursors } = awarenessClientsOf(update);
		if (!mayEdit) refuseWritersOfReader(this.doc, ids);
		this.#claims.checkAnnounce(connId, ids);
		const changed = applyAwareness(this.awareness, update, connId);
		this.#claims.announced(connId, ids);
		if (!changed) return new Uint8Array(0);
		if (user === undefined && !partialCursors) return update;
		return stampAwarenessUser(this.awareness, ids, user);
	}

	/** Everyone's awareness, for a client that just connected. */
	awarenessSnapshot(): Uint8Array | undefined {
		const clients = [...this.awareness.states.keys()];
		return clients.length === 0 ? undefined : encodeAwarenessUpdate(this.awareness, clients);
	}

	/** See DocumentClaims.restore: claims stored with the document, or in memory only. */
	restoreClaims(stored: boolean): Promise<void> {
		return this.#claims.restore(stored);
	}

	/** A connection went: its clients' awareness goes too; returns the update to pass on. */
	connectionGone(connId: string): Uint8Array | undefined {
		this.#budget.drop(connId);
		const ids = this.#claims.gone(connId).filter((id) => this.awareness.states.has(id));
		if (ids.length === 0) return undefined;
		removeAwarenessStates(this.awareness, ids, "disconnect");
		return encodeAwarenessUpdate(this.awareness, ids);
	}

	/** The document as text, for inspection and tests: the named text type. */
	text(name = "text"): string {
		return this.doc.getText(name).toString();
	}

	#closeMirror(): void {
		this.#mirror?.close();
		this.#mirror = undefined;
	}

	/** The actor sleeps: timers stop (the awareness' own check), the mirror goes. */
	destroy(): void {
		this.#destroyed = true;
		this.#closeMirror();
		this.awareness.destroy();
		this.doc.destroy();
	}
}
