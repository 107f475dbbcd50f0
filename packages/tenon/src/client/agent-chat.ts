import type { AgentActorDefinition } from "../agent/agent-actor.js";
import type {
	AgentErrorInfo,
	AgentLiveMessage,
	AgentMessage,
	AgentMessageStart,
	AgentPendingConfirmation,
	AgentQueuedPrompt,
	AgentRemoval,
	AgentSharedState,
	AgentToken,
	AgentTurnStatus,
} from "../agent/types.js";
import type { ActorConn } from "./types.js";

/** What a chat shows: the transcript, the answer streaming now, the turn, a pending decision. */
export interface AgentChatView {
	/** Finished messages, oldest first. */
	readonly messages: readonly AgentMessage[];
	/** The answer streaming now. */
	readonly streaming: AgentLiveMessage | null;
	/** The turn's status; `idle` when none runs. */
	readonly status: AgentTurnStatus | "idle";
	/** Prompts waiting for their turn, in order (shown after the transcript). */
	readonly queued: readonly AgentQueuedPrompt[];
	/**
	 * Prompts this chat sent that the actor has not taken yet (the connection is
	 * down, or the call is on its way), in order: show them at once, as sent.
	 * One leaves when the actor answers it (it is then in `queued` or the
	 * transcript), or when it is refused (`send` rejects).
	 */
	readonly sending: readonly string[];
	/** A high-risk tool call waiting for a decision. */
	readonly pending: AgentPendingConfirmation | null;
	/** Why the last turn failed. */
	readonly error: AgentErrorInfo | null;
	/** True until the transcript first loaded. */
	readonly loading: boolean;
}

/** The part of a connection to an agent actor that a chat uses. */
export interface AgentConnection {
	prompt(text: string): Promise<{ turnId: string; messageId: string }>;
	stop(): Promise<boolean>;
	confirm(callId: string, approve: boolean): Promise<void>;
	history(options?: { before?: number; limit?: number }): Promise<AgentMessage[]>;
	live(): Promise<AgentLiveMessage | null>;
	/** Deletes the transcript, where the agent's `canClear` lets this connection. */
	clear?(): Promise<{ deleted: number }>;
	/** Writes the last answer again, where the agent's `canRegenerate` lets this connection. */
	regenerate?(): Promise<{ turnId: string }>;
	on(event: "message", handler: (message: AgentMessage) => void): () => void;
	on(event: "messageStart", handler: (start: AgentMessageStart) => void): () => void;
	on(event: "token", handler: (token: AgentToken) => void): () => void;
	onOpen(callback: () => void): () => void;
	readonly sharedState: AgentSharedState | undefined;
	onSharedState(callback: (state: AgentSharedState) => void): () => void;
	/** A Tenon connection's: a connection refused for good ends `loading` with its error. */
	onError?(callback: (error: AgentErrorInfo) => void): () => void;
	onStatusChange?(callback: (status: string) => void): () => void;
}

/** A connection to any agent actor (as `createClient` types it), or anything shaped like one. */
export type AgentConnectionLike =
	| AgentConnection
	// biome-ignore lint/suspicious/noExplicitAny: any agent, whatever its connection params, state and own actions.
	| ActorConn<AgentActorDefinition<any, any, any>>;

/**
 * A chat with an agent actor over one connection (what `useAgentChat` is
 * made of, usable without React). It keeps the transcript and the streaming
 * answer in step: tokens are placed by their offset (a repeat is ignored, a
 * gap asks the actor for the answer so far), and every time the connection
 * opens (first, and after a reconnect) it reloads the transcript and picks
 * the answer up where it is.
 */
export class AgentChat {
	#view: AgentChatView = {
		messages: [],
		streaming: null,
		status: "idle",
		queued: [],
		sending: [],
		pending: null,
		error: null,
		loading: true,
	};
	readonly #listeners = new Set<() => void>();
	readonly #unsubscribe: (() => void)[] = [];
	#catchingUp: Promise<void> | undefined;
	#closed = false;
	/** The prompts in `sending`, each its own entry (the same text may be sent twice). */
	readonly #sendingEntries: string[][] = [];
	/** Messages up to this seq were cleared: never shown again (a page read before may bring them). */
	#clearedThrough = 0;
	/** The regenerated answers' removals seen (AgentSharedState.removed), whatever was shared since. */
	#removals: AgentRemoval[] = [];
	/** The connection's last error, shown if it gives up before the transcript loaded. */
	#connectionError: AgentErrorInfo | undefined;

	readonly connection: AgentConnection;

	constructor(
		connection: AgentConnectionLike,
		private readonly options: { historyLimit?: number } = {},
	) {
		// A typed connection has these members; its generic `on` is not the overloads above.
		const conn = connection as AgentConnection;
		this.connection = conn;
		this.#unsubscribe.push(
			conn.on("messageStart", (start) => this.#onStart(start)),
			conn.on("token", (token) => this.#onToken(token)),
			conn.on("message", (message) => this.#onMessage(message)),
			conn.onSharedState((state) => this.#onShared(state)),
			conn.onOpen(() => void this.#catchUp(true)),
			// Refused for good (auth, a missing conversation): the chat stops loading and says why,
			// where `loading` stayed true for good (a walkthrough, 2026-11-28).
			conn.onError?.((error) => {
				this.#connectionError = { group: error.group, code: error.code, message: error.message };
			}) ?? (() => {}),
			conn.onStatusChange?.((status) => {
				if (status === "idle" && this.#view.loading && this.#connectionError !== undefined)
					this.#update({ loading: false, error: this.#connectionError });
			}) ?? (() => {}),
		);
		if (conn.sharedState !== undefined) this.#onShared(conn.sharedState);
		void this.#catchUp(true);
	}

	get view(): AgentChatView {
		return this.#view;
	}

	/** Calls `listener` after every change of {@link view}. */
	subscribe(listener: () => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	send(text: string): Promise<{ turnId: string; messageId: string }> {
		// Shown at once: a prompt sent while the connection was down showed nowhere until it
		// came back (a walkthrough, 2026-11-28).
		const entry = [text];
		this.#sendingEntries.push(entry);
		this.#showSending();
		const settled = () => {
			const at = this.#sendingEntries.indexOf(entry);
			if (at === -1) return;
			this.#sendingEntries.splice(at, 1);
			this.#showSending();
		};
		const sent = this.connection.prompt(text);
		sent.then(settled, settled);
		return sent;
	}

	#showSending(): void {
		this.#update({ sending: this.#sendingEntries.map(([sent]) => sent as string) });
	}

	stop(): Promise<boolean> {
		return this.connection.stop();
	}

	/** Approves or denies the pending call (the actor checks that this user may). */
	confirm(callId: string, approve: boolean): Promise<void> {
		return this.connection.confirm(callId, approve);
	}

	/**
	 * Deletes the conversation's transcript (the agent's `canClear` decides who
	 * may; refused while a turn runs or prompts wait: `agent/busy`). Every chat
	 * on the conversation drops its messages, this one included.
	 */
	async clear(): Promise<{ deleted: number }> {
		if (this.connection.clear === undefined)
			throw new Error("AgentChat: this connection has no clear()");
		return this.connection.clear();
	}

	/**
	 * Writes the last answer again (the agent's `canRegenerate` decides who may, by default the
	 * prompt's author; refused while a turn runs or prompts wait: `agent/busy`). Every chat on
	 * the conversation drops the old answer when the new turn begins.
	 */
	async regenerate(): Promise<{ turnId: string }> {
		if (this.connection.regenerate === undefined)
			throw new Error("AgentChat: this connection has no regenerate()");
		return this.connection.regenerate();
	}

	/** Older messages, before the first one shown. */
	async loadOlder(limit = this.options.historyLimit ?? 100): Promise<number> {
		const first = this.#view.messages[0];
		if (first === undefined) return 0;
		const older = await this.connection.history({ before: first.seq, limit });
		this.#mergeMessages(older);
		return older.length;
	}

	/** Stops listening (the connection stays open). */
	close(): void {
		this.#closed = true;
		for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
		this.#listeners.clear();
	}

	#update(change: Partial<AgentChatView>): void {
		if (this.#closed) return;
		this.#view = { ...this.#view, ...change };
		for (const listener of [...this.#listeners]) listener();
	}

	/** Loads the transcript (on open) and the answer streaming now. */
	#catchUp(withHistory: boolean): Promise<void> {
		if (this.#catchingUp !== undefined) return this.#catchingUp;
		this.#catchingUp = (async () => {
			try {
				const [history, live] = await Promise.all([
					withHistory
						? this.connection.history({ limit: this.options.historyLimit ?? 100 })
						: undefined,
					this.connection.live(),
				]);
				if (history !== undefined) this.#mergeMessages(history, true);
				this.#adoptLive(live);
			} catch {
				// The connection dropped meanwhile; the next open catches up again.
			} finally {
				this.#catchingUp = undefined;
			}
		})();
		return this.#catchingUp;
	}

	#adoptLive(live: AgentLiveMessage | null): void {
		const current = this.#view.streaming;
		if (live === null) {
			// Nothing streams now: an answer shown as streaming has ended (its message is in the transcript).
			if (current !== null && this.#view.messages.some((m) => m.id === current.messageId))
				this.#update({ streaming: null });
			return;
		}
		if (this.#view.messages.some((m) => m.id === live.messageId)) return;
		// Another attempt at the same answer (streamed again after a crash, whose
		// `messageStart` came while this client reconnected) replaces the text: the
		// old attempt's was kept and the new one's tokens spliced onto it (a
		// walkthrough, 2026-11-28). The same attempt only grows.
		if (
			current === null ||
			current.messageId !== live.messageId ||
			current.attempt !== live.attempt ||
			live.text.length > current.text.length
		)
			this.#update({ streaming: live });
	}

	#onStart(start: AgentMessageStart): void {
		this.#update({
			streaming: {
				messageId: start.messageId,
				turnId: start.turnId,
				attempt: start.attempt,
				text: "",
			},
		});
	}

	#onToken(token: AgentToken): void {
		const current = this.#view.streaming;
		if (
			current === null ||
			current.messageId !== token.messageId ||
			current.attempt !== token.attempt
		) {
			if (token.offset === 0 && !this.#view.messages.some((m) => m.id === token.messageId))
				this.#update({
					streaming: {
						messageId: token.messageId,
						turnId: current?.messageId === token.messageId ? current.turnId : "",
						attempt: token.attempt,
						text: token.text,
					},
				});
			else void this.#catchUp(false);
			return;
		}
		const known = current.text.length;
		if (token.offset > known) {
			// Tokens were missed (the connection was down): ask for the answer so far.
			void this.#catchUp(false);
			return;
		}
		const end = token.offset + token.text.length;
		if (end <= known) return; // already have it
		this.#update({
			streaming: { ...current, text: current.text.slice(0, token.offset) + token.text },
		});
	}

	#onMessage(message: AgentMessage): void {
		this.#mergeMessages([message]);
		if (this.#view.streaming?.messageId === message.id) this.#update({ streaming: null });
	}

	#mergeMessages(incoming: readonly AgentMessage[], replace = false): void {
		const byId = new Map<string, AgentMessage>();
		const first = incoming[0]?.seq;
		const last = incoming.at(-1)?.seq;
		for (const message of this.#view.messages) {
			// The page replaces what it covers (it is the truth); older pages and
			// messages that arrived after it stay.
			const covered = replace && first !== undefined && last !== undefined;
			if (!covered || message.seq < (first as number) || message.seq > (last as number))
				byId.set(message.id, message);
		}
		for (const message of incoming)
			if (message.seq > this.#clearedThrough && !removedBy(this.#removals, message))
				byId.set(message.id, message);
		const messages = [...byId.values()].sort((a, b) => a.seq - b.seq);
		const streaming = this.#view.streaming;
		this.#update({
			messages,
			loading: false,
			...(streaming !== null && byId.has(streaming.messageId) ? { streaming: null } : {}),
		});
	}

	#onShared(state: AgentSharedState): void {
		const cleared = state.clearedThrough ?? 0;
		if (cleared > this.#clearedThrough) {
			this.#clearedThrough = cleared;
			this.#update({ messages: this.#view.messages.filter((m) => m.seq > cleared) });
		}
		// Regenerated answers' messages go (absent from agents of an older version).
		const fresh = (state.removed ?? []).filter(
			(removal) => !this.#removals.some((seen) => seen.through === removal.through),
		);
		if (fresh.length > 0) {
			this.#removals.push(...fresh);
			this.#update({ messages: this.#view.messages.filter((m) => !removedBy(fresh, m)) });
		}
		this.#update({
			status: state.turn?.status ?? "idle",
			queued: state.queued,
			pending: state.pending,
			error: state.last?.status === "failed" ? state.last.error : null,
		});
	}
}

/** Whether `message` went with one of `removals` (a regenerated answer's). */
function removedBy(
	removals: readonly AgentRemoval[],
	message: { readonly seq: number; readonly turnId: string },
): boolean {
	return removals.some(
		(removal) =>
			message.seq > removal.after &&
			message.seq <= removal.through &&
			removal.turnIds.includes(message.turnId),
	);
}
