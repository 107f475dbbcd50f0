import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import {
	Awareness,
	applyAwarenessUpdate,
	encodeAwarenessUpdate,
	removeAwarenessStates,
} from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import type * as Y from "yjs";

/** What the provider uses of a connection to a {@link yjsActor} (its typed `ActorConn` fits). */
export interface YjsConnection {
	yjsSync(message: Uint8Array): Promise<Uint8Array[]>;
	yjsAwareness(update: Uint8Array): Promise<void>;
	/** Everyone's awareness now (a {@link yjsActor} has it; optional for other servers). */
	yjsAwarenessSnapshot?(): Promise<Uint8Array | null>;
	on(name: "yjsSync" | "yjsAwareness", callback: (message: Uint8Array) => void): () => void;
	onOpen(callback: () => void): () => void;
	readonly connStatus: string;
}

/** Options of {@link TenonYjsProvider}. */
export interface TenonYjsProviderOptions {
	/** The awareness to share (made for the document when not given). */
	awareness?: Awareness;
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
	readonly #unsubscribe: (() => void)[] = [];
	#synced = false;
	#syncedWaiters: (() => void)[] = [];
	#unacknowledged = 0;
	#flushedWaiters: (() => void)[] = [];
	#destroyed = false;

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
		const changed = [...added, ...updated, ...removed];
		void this.#conn.yjsAwareness(encodeAwarenessUpdate(this.awareness, changed)).catch(() => {});
	};

	constructor(doc: Y.Doc, conn: YjsConnection, options: TenonYjsProviderOptions = {}) {
		this.doc = doc;
		this.#conn = conn;
		this.awareness = options.awareness ?? new Awareness(doc);
		doc.on("update", this.#onDocUpdate);
		this.awareness.on("update", this.#onAwarenessUpdate);
		this.#unsubscribe.push(
			conn.on("yjsSync", (message) => this.#receive(message)),
			conn.on("yjsAwareness", (update) => applyAwarenessUpdate(this.awareness, update, this)),
			conn.onOpen(() => this.#sync()),
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

	/** Resolves once the document is in sync with the actor's. */
	whenSynced(): Promise<void> {
		if (this.#synced) return Promise.resolve();
		return new Promise((resolve) => this.#syncedWaiters.push(resolve));
	}

	/** Stops syncing; this client's awareness is cleared for the others. */
	destroy(): void {
		if (this.#destroyed) return;
		this.#destroyed = true;
		removeAwarenessStates(this.awareness, [this.doc.clientID], "local");
		this.doc.off("update", this.#onDocUpdate);
		this.awareness.off("update", this.#onAwarenessUpdate);
		for (const unsubscribe of this.#unsubscribe) unsubscribe();
	}

	/** Step 1: the actor answers with what this document lacks, and asks for what it lacks. */
	#sync(): void {
		this.#synced = false;
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
		if (this.awareness.getLocalState() !== null)
			void this.#conn
				.yjsAwareness(encodeAwarenessUpdate(this.awareness, [this.doc.clientID]))
				.catch(() => {});
	}

	#send(message: Uint8Array): void {
		if (this.#destroyed) return;
		this.#unacknowledged++;
		this.#conn.yjsSync(message).then(
			(replies) => {
				this.#settled();
				for (const reply of replies) this.#receive(reply);
			},
			// Lost with the connection: the next sync sends what the actor lacks.
			() => this.#settled(),
		);
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
		const decoder = decoding.createDecoder(message);
		const encoder = encoding.createEncoder();
		const type = syncProtocol.readSyncMessage(decoder, encoder, this.doc, this);
		// The actor's step 1: answer with what it lacks (edits made offline).
		if (encoding.length(encoder) > 0) this.#send(encoding.toUint8Array(encoder));
		if (type === syncProtocol.messageYjsSyncStep2 && !this.#synced) {
			this.#synced = true;
			const waiters = this.#syncedWaiters;
			this.#syncedWaiters = [];
			for (const resolve of waiters) resolve();
		}
	}
}
