import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import {
	type Awareness,
	applyAwarenessUpdate,
	encodeAwarenessUpdate,
	removeAwarenessStates,
} from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import type * as Y from "yjs";
import { readPartNotice, UPLOAD_PART_BYTES } from "./parts.js";
import { continuedAwareness, releaseAwareness } from "./provider-awareness.js";
import {
	type ProviderEvent,
	type ProviderEventMap,
	ProviderListeners,
	type ProviderStatus,
	providerStatusOf,
} from "./provider-events.js";

/** Parts of one upload in flight at once (sent in order; the actor takes them in order). */
const UPLOAD_WINDOW = 8;
/** How long after a refusal for a limit the provider syncs again, ms. */
const RETRY_MS = 1_000;
/** The longest wait between such syncs (the wait doubles after each refusal), ms. */
const MAX_RETRY_MS = 30_000;
/**
 * Sends of this client's awareness tried again in a row while another connection holds its
 * client id (`auth/yjs_client_in_use`: this client's previous connection, until it is gone).
 */
const MAX_IN_USE_RETRIES = 10;

/** What the provider uses of a connection to a {@link yjsActor} (its typed `ActorConn` fits). */
export interface YjsConnection {
	yjsSync(message: Uint8Array): Promise<Uint8Array[]>;
	/** A part of a message too large for one frame (a {@link yjsActor} has it; optional for other servers). */
	yjsSyncPart?(
		upload: number,
		offset: number,
		total: number,
		bytes: Uint8Array,
	): Promise<Uint8Array[] | null>;
	/** A part of a message the actor kept for this connection (it sent a notice of it). */
	yjsSyncFetch?(id: number, offset: number): Promise<Uint8Array>;
	yjsAwareness(update: Uint8Array): Promise<void>;
	/** Everyone's awareness now (a {@link yjsActor} has it; optional for other servers). */
	yjsAwarenessSnapshot?(): Promise<Uint8Array | null>;
	on(name: "yjsSync" | "yjsAwareness", callback: (message: Uint8Array) => void): () => void;
	onOpen(callback: () => void): () => void;
	/** The connection closed (it may reconnect): the others' cursors are dropped until then. */
	onClose?(callback: () => void): () => void;
	/** Its status changes (the provider's `status` event; without it, told from open and close). */
	onStatusChange?(callback: (status: string) => void): () => void;
	readonly connStatus: string;
}

/** Options of {@link TenonYjsProvider}. */
export interface TenonYjsProviderOptions {
	/** The awareness to share (made for the document when not given). */
	awareness?: Awareness;
	/**
	 * Hears an edit the actor refused for good: the document reached its size
	 * limit (`limit/yjs_document_too_large`), it holds content the document does
	 * not take (`request/yjs_content_not_allowed`, `allowedContent`), or the connection may only read
	 * (`auth/forbidden`, from the actor's `canEdit`; heard only since
	 * 2026-11-27, a walkthrough). The edit stays in this document
	 * only, and so do this document's later edits (each depends on the ones
	 * before it): reload the document (a new `Y.Doc` and provider) to edit on.
	 * It is not sent again until the next sync (a reconnect, or the actor
	 * asking for what it lacks).
	 */
	onRefused?: (error: unknown) => void;
}

/**
 * Connects a Yjs document to a {@link yjsActor} over a Tenon connection, the
 * way y-websocket's provider does over its own socket: it syncs on every
 * (re)connect (y-protocols step 1 and 2: edits made offline are sent then),
 * sends local updates and applies remote ones, and shares awareness. Bind it
 * to an editor with the editor's Yjs binding (y-codemirror.next, y-prosemirror, ...).
 *
 * @example
 * const doc = new Y.Doc();
 * const conn = client.note.getOrCreate(["doc-1"], { params: { token } }).connect();
 * const provider = new TenonYjsProvider(doc, conn);
 * await provider.whenSynced();
 */
export class TenonYjsProvider {
	readonly doc: Y.Doc;
	readonly awareness: Awareness;
	readonly #conn: YjsConnection;
	readonly #onRefused: ((error: unknown) => void) | undefined;
	readonly #unsubscribe: (() => void)[] = [];
	#synced = false;
	#syncedWaiters: (() => void)[] = [];
	readonly #listeners = new ProviderListeners();
	#status: ProviderStatus;
	#unacknowledged = 0;
	#flushedWaiters: (() => void)[] = [];
	#destroyed = false;
	/** The sends queued behind an upload in parts (so none overtakes it). */
	#afterUpload: Promise<unknown> | undefined;
	/** A sync planned after a refusal for a limit. */
	#retry: ReturnType<typeof setTimeout> | undefined;
	#retryMs = RETRY_MS;
	/** The id of the last upload in parts (ids grow per connection; the actor refuses stale ones). */
	#lastUpload = 0;
	/** A send of this client's awareness planned after the actor refused one for its rate. */
	#awarenessRetry: ReturnType<typeof setTimeout> | undefined;
	/** Refusals in a row of this client's awareness as another connection's. */
	#awarenessInUse = 0;
	/** The awareness is this provider's own (destroyed with it). */
	readonly #ownAwareness: boolean;

	readonly #onDocUpdate = (update: Uint8Array, origin: unknown) => {
		if (origin === this) return;
		const encoder = encoding.createEncoder();
		syncProtocol.writeUpdate(encoder, update);
		this.#send(encoding.toUint8Array(encoder));
	};

	readonly #onAwarenessUpdate = (
		{ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
		origin: unknown,
	) => {
		if (origin !== "local") return;
		// Refused for its rate a moment ago: the latest state goes when the wait is over.
		if (this.#awarenessRetry !== undefined) return;
		this.#sendAwareness([...added, ...updated, ...removed]);
	};

	constructor(doc: Y.Doc, conn: YjsConnection, options: TenonYjsProviderOptions = {}) {
		this.doc = doc;
		this.#conn = conn;
		this.#onRefused = options.onRefused;
		this.#ownAwareness = options.awareness === undefined;
		this.awareness = options.awareness ?? continuedAwareness(doc);
		this.#status = providerStatusOf(conn.connStatus);
		doc.on("update", this.#onDocUpdate);
		this.awareness.on("update", this.#onAwarenessUpdate);
		this.#unsubscribe.push(
			conn.on("yjsSync", (message) => this.#receive(message)),
			conn.on("yjsAwareness", (update) => applyAwarenessUpdate(this.awareness, update, this)),
			conn.onOpen(() => {
				this.#setStatus("connected");
				this.#sync();
			}),
			conn.onStatusChange?.((status) => this.#setStatus(providerStatusOf(status))) ?? (() => {}),
		);
		// As y-websocket does: offline, the others' cursors are not shown as if they were there
		// (a walkthrough, 2026-11-29); the snapshot after the reconnect brings them back.
		if (conn.onClose !== undefined)
			this.#unsubscribe.push(
				conn.onClose(() => {
					this.#setStatus("disconnected");
					this.#forgetOthers();
					// Offline, the document may fall behind: not synced until the next sync.
					this.#setSynced(false);
				}),
			);
		if (conn.connStatus === "connected") this.#sync();
	}

	/** True once the document has caught up with the actor's (after each reconnect too). */
	get synced(): boolean {
		return this.#synced;
	}

	/** Local updates sent and not yet acknowledged (stored durably by the actor). */
	get unacknowledged(): number {
		return this.#unacknowledged;
	}

	/** Resolves once every local update sent so far is acknowledged (stored by the actor) or lost with its connection. */
	flushed(): Promise<void> {
		if (this.#unacknowledged === 0) return Promise.resolve();
		return new Promise((resolve) => this.#flushedWaiters.push(resolve));
	}

	/** The connection's status, as y-websocket's `status` event tells it. */
	get status(): ProviderStatus {
		return this.#status;
	}

	/**
	 * Calls `listener` each time the event happens, as y-websocket's provider: `sync` (or
	 * `synced`) with `synced` each time it changes (true once the document caught up with the
	 * actor's, false when the connection closes: it may fall behind until the next sync), and
	 * `status` with `{ status }` ("connecting", "connected", "disconnected"). Returns a function
	 * that removes the listener (as {@link off} does).
	 */
	on<E extends ProviderEvent>(event: E, listener: ProviderEventMap[E]): () => void {
		this.#listeners.add(event, listener, false);
		return () => this.#listeners.remove(event, listener);
	}

	/** As {@link on}, for the next time only. */
	once<E extends ProviderEvent>(event: E, listener: ProviderEventMap[E]): () => void {
		this.#listeners.add(event, listener, true);
		return () => this.#listeners.remove(event, listener);
	}

	/** Removes a listener {@link on} or {@link once} added. */
	off<E extends ProviderEvent>(event: E, listener: ProviderEventMap[E]): void {
		this.#listeners.remove(event, listener);
	}

	#setSynced(synced: boolean): void {
		if (this.#synced === synced) return;
		this.#synced = synced;
		this.#listeners.emit("sync", synced);
	}

	#setStatus(status: ProviderStatus): void {
		if (this.#status === status) return;
		this.#status = status;
		this.#listeners.emit("status", { status });
	}

	/** Resolves once the document is in sync with the actor's. */
	whenSynced(): Promise<void> {
		if (this.#synced) return Promise.resolve();
		return new Promise((resolve) => this.#syncedWaiters.push(resolve));
	}

	/** Stops syncing; this client's awareness is cleared for the others. */
	destroy(): void {
		if (this.#destroyed) return;
		this.#destroyed = true;
		clearTimeout(this.#retry);
		clearTimeout(this.#awarenessRetry);
		this.#awarenessRetry = undefined;
		removeAwarenessStates(this.awareness, [this.doc.clientID], "local");
		this.doc.off("update", this.#onDocUpdate);
		this.awareness.off("update", this.#onAwarenessUpdate);
		for (const unsubscribe of this.#unsubscribe) unsubscribe();
		this.#setSynced(false);
		this.#setStatus("disconnected");
		this.#listeners.clear();
		releaseAwareness(this.doc, this.awareness, this.#ownAwareness);
	}

	/**
	 * Drops every other client's awareness state (the connection closed), their clocks too:
	 * y-protocols' removeAwarenessStates raises each clock by one, and the same state
	 * announced again after the reconnect was then ignored until its 15 s renewal.
	 */
	#forgetOthers(): void {
		const { awareness } = this;
		const removed = [...awareness.getStates().keys()].filter((id) => id !== this.doc.clientID);
		if (removed.length === 0) return;
		for (const id of removed) awareness.states.delete(id);
		const changes = { added: [], updated: [], removed };
		// Their clocks still there while listeners run: one that encodes the removal (a relay
		// sharing this awareness) reads them (a review, 2026-11-29: it threw).
		awareness.emit("change", [changes, this]);
		awareness.emit("update", [changes, this]);
		for (const id of removed) awareness.meta.delete(id);
	}

	/** Step 1: the actor answers with what this document lacks, and asks for what it lacks. */
	#sync(): void {
		this.#setSynced(false);
		const encoder = encoding.createEncoder();
		syncProtocol.writeSyncStep1(encoder, this.doc);
		this.#send(encoding.toUint8Array(encoder));
		// The others' cursors and names as they are now; changes come as events.
		void this.#conn
			.yjsAwarenessSnapshot?.()
			.then((snapshot) => {
				if (snapshot instanceof Uint8Array && !this.#destroyed)
					applyAwarenessUpdate(this.awareness, snapshot, this);
			})
			.catch(() => {});
		// Others see this client again after a reconnect.
		if (this.awareness.getLocalState() !== null) this.#sendAwareness([this.doc.clientID]);
	}

	/**
	 * Sends the awareness of `clients`. The actor refuses updates that come
	 * faster than it can send them to the others (`limit/yjs_awareness_too_fast`):
	 * then this client's latest state goes once after the wait it is told,
	 * and the changes meanwhile are not sent one by one.
	 */
	#sendAwareness(clients: number[]): void {
		const update = encodeAwarenessUpdate(this.awareness, clients);
		void this.#conn.yjsAwareness(update).then(
			() => {
				this.#awarenessInUse = 0;
			},
			(error: unknown) => {
				const code = (error as { code?: unknown } | null)?.code;
				if (this.#destroyed || this.#awarenessRetry !== undefined) return;
				// Held by this client's previous connection (a new provider or connection for the
				// same document): sent again once it is gone (a walkthrough, 2026-11-29: the cursor
				// stayed hidden until the next renewal, 15 s later).
				if (code === "yjs_client_in_use") {
					if (++this.#awarenessInUse > MAX_IN_USE_RETRIES) return;
				} else if (code !== "yjs_awareness_too_fast") return;
				this.#awarenessRetry = setTimeout(() => {
					this.#awarenessRetry = undefined;
					if (!this.#destroyed) this.#sendAwareness([this.doc.clientID]);
				}, retryAfterOf(error) || RETRY_MS);
			},
		);
	}

	#send(message: Uint8Array): void {
		if (this.#destroyed) return;
		this.#unacknowledged++;
		const large = message.byteLength > UPLOAD_PART_BYTES && this.#conn.yjsSyncPart !== undefined;
		let sent: Promise<Uint8Array[]>;
		if (large || this.#afterUpload !== undefined) {
			// Messages after a large one wait for it: an edit that depends on a
			// paste must not reach the actor before the paste does.
			sent = (this.#afterUpload ?? Promise.resolve()).then(() => {
				if (this.#destroyed) throw new Error("the provider was destroyed");
				return large ? this.#upload(message) : this.#conn.yjsSync(message);
			});
			const queued = sent.catch(() => {});
			this.#afterUpload = queued;
			void queued.then(() => {
				if (this.#afterUpload === queued) this.#afterUpload = undefined;
			});
		} else sent = this.#conn.yjsSync(message);
		sent.then(
			(replies) => {
				this.#settled();
				this.#retryMs = RETRY_MS;
				for (const reply of replies) this.#receive(reply);
			},
			// Lost with the connection: the next sync sends what the actor lacks.
			// Refused for a limit that passes (too many large messages at once):
			// a sync a moment later sends it again.
			(error: unknown) => {
				this.#settled();
				const { group, code } = (error ?? {}) as { group?: unknown; code?: unknown };
				// Sent again, it would be refused again.
				if (
					code === "yjs_document_too_large" ||
					code === "yjs_content_not_allowed" ||
					(group === "auth" && code === "forbidden")
				)
					this.#onRefused?.(error);
				// A client id still held by this client's old connection (one that did not
				// resume): free once the server sees that connection gone.
				else if (group === "limit" || code === "yjs_client_in_use" || error instanceof Incomplete)
					this.#syncLater(retryAfterOf(error));
			},
		);
	}

	/** Sends a message in parts, a few in flight at once; the part that completes it answers. */
	async #upload(message: Uint8Array): Promise<Uint8Array[]> {
		// Called as methods: a Tenon connection's actions are a proxy, where
		// `bind` would name an action of its own.
		const conn = this.#conn;
		if (conn.yjsSyncPart === undefined) return conn.yjsSync(message);
		const upload = ++this.#lastUpload;
		// Each part's outcome is taken here (none fails unheard); the message's
		// answer is that of the part that completed it (the others answer
		// null), which need not be the last one sent.
		let replies: Uint8Array[] | null = null;
		let failure: unknown;
		const inFlight: Promise<void>[] = [];
		for (
			let offset = 0;
			offset < message.byteLength && failure === undefined && !this.#destroyed;
			offset += UPLOAD_PART_BYTES
		) {
			const part = message.subarray(offset, offset + UPLOAD_PART_BYTES);
			inFlight.push(
				conn.yjsSyncPart(upload, offset, message.byteLength, part).then(
					(answer) => {
						if (answer !== null) replies = answer;
					},
					(error: unknown) => {
						failure ??= error;
					},
				),
			);
			if (inFlight.length >= UPLOAD_WINDOW) await inFlight.shift();
		}
		await Promise.all(inFlight);
		if (failure !== undefined) throw failure;
		if (replies === null) throw new Incomplete();
		// Through: refusals in a row are over.
		this.#retryMs = RETRY_MS;
		return replies;
	}

	/** Fetches a message the actor kept for this connection, then takes it as if it came whole. */
	async #fetch(id: number, total: number): Promise<void> {
		const conn = this.#conn;
		if (conn.yjsSyncFetch === undefined) return;
		let whole: Uint8Array;
		try {
			whole = new Uint8Array(total);
			for (let offset = 0; offset < total; ) {
				if (this.#destroyed) return;
				const part = await conn.yjsSyncFetch(id, offset);
				if (
					!(part instanceof Uint8Array) ||
					part.byteLength === 0 ||
					offset + part.byteLength > total
				)
					throw new Error("a part that does not fit");
				whole.set(part, offset);
				offset += part.byteLength;
			}
		} catch {
			// Gone (the outbox was full or the message waited too long), or the
			// connection dropped: a sync a moment later brings whatever this
			// document still lacks.
			this.#syncLater();
			return;
		}
		this.#retryMs = RETRY_MS;
		this.#receive(whole);
	}

	/**
	 * Syncs again after the wait a refusal asked for (`retryAfterMs`), else
	 * after one that doubles with each refusal in a row (reset once a message
	 * went through, or came whole).
	 */
	#syncLater(retryAfterMs = 0): void {
		if (this.#retry !== undefined || this.#destroyed) return;
		let wait: number;
		if (retryAfterMs > 0) {
			// The server said how long: that, spread a little (its other clients were told the same).
			wait = Math.min(MAX_RETRY_MS, retryAfterMs * (1 + Math.random() / 5));
		} else {
			wait = this.#retryMs;
			this.#retryMs = Math.min(MAX_RETRY_MS, wait * 2);
		}
		this.#retry = setTimeout(() => {
			this.#retry = undefined;
			if (!this.#destroyed && this.#conn.connStatus === "connected") this.#sync();
		}, wait);
	}

	#settled(): void {
		this.#unacknowledged--;
		if (this.#unacknowledged > 0) return;
		const waiters = this.#flushedWaiters;
		this.#flushedWaiters = [];
		for (const resolve of waiters) resolve();
	}

	#receive(message: Uint8Array): void {
		if (this.#destroyed) return;
		let notice: ReturnType<typeof readPartNotice>;
		try {
			notice = readPartNotice(message);
		} catch {
			return;
		}
		if (notice !== undefined) {
			void this.#fetch(notice.id, notice.total);
			return;
		}
		const decoder = decoding.createDecoder(message);
		const encoder = encoding.createEncoder();
		const type = syncProtocol.readSyncMessage(decoder, encoder, this.doc, this);
		// The actor's step 1: answer with what it lacks (edits made offline).
		if (encoding.length(encoder) > 0) this.#send(encoding.toUint8Array(encoder));
		if (type === syncProtocol.messageYjsSyncStep2 && !this.#synced) {
			this.#setSynced(true);
			const waiters = this.#syncedWaiters;
			this.#syncedWaiters = [];
			for (const resolve of waiters) resolve();
		}
	}
}

/** An upload whose parts were all taken without one completing it (the actor dropped it). */
class Incomplete extends Error {
	constructor() {
		super("A Yjs message sent in parts was not completed");
	}
}

/** The wait a refusal asks for (`limit/yjs_busy` says how long), ms; 0 when it says none. */
function retryAfterOf(error: unknown): number {
	const wait = (error as { metadata?: { retryAfterMs?: unknown } } | null)?.metadata?.retryAfterMs;
	return typeof wait === "number" && Number.isFinite(wait) && wait > 0 ? wait : 0;
}
