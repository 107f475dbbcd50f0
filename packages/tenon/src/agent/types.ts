// What an agent actor and its clients exchange: the transcript's messages,
// the token stream, the turn and pending confirmations (shared state). Types
// only, so that clients (tenon/client, tenon/react) import them without the server.

/** Who wrote a message of the transcript. */
export type AgentRole = "user" | "assistant" | "tool";

/**
 * How a message ended: `complete`; `stopped` (a client stopped the turn while
 * it streamed); `failed` (the model could not answer, or a tool call failed or
 * was refused; `content` says why); `denied` (a tool call no one approved).
 */
/** `truncated`: an answer cut at the agent's `maxAnswerChars`. */
export type AgentMessageStatus = "complete" | "stopped" | "truncated" | "failed" | "denied";

/**
 * A tool call as the transcript keeps it: the arguments as the model wrote
 * them, redacted (written out again from their parsed value, redacted, when
 * that holds a secret the text hides behind JSON escapes).
 */
export interface AgentToolCall {
	readonly id: string;
	readonly name: string;
	readonly arguments: string;
}

/** Tokens model calls used, as the model's server reported them. */
export interface AgentUsage {
	readonly promptTokens: number;
	readonly completionTokens: number;
	/**
	 * Not reported by the model: its call was cut (stopped, or past `maxAnswerChars`) before
	 * the model said, and this is an estimate, a token for every 4 characters sent and
	 * received. A turn's sum is estimated when any of its calls is.
	 */
	readonly estimated?: true;
}

/** One message of a conversation, as stored in the actor's SQLite and sent to clients. */
export interface AgentMessage {
	/** Position in the transcript (grows by one per message). */
	readonly seq: number;
	readonly id: string;
	/** The turn it belongs to (one user prompt and everything the agent did for it). */
	readonly turnId: string;
	readonly role: AgentRole;
	readonly content: string;
	readonly status: AgentMessageStatus;
	/** The user who wrote a `user` message (their `identify(...).id`). */
	readonly author: string | null;
	/** Tool calls an `assistant` message asked for. */
	readonly toolCalls: readonly AgentToolCall[] | null;
	/** For a `tool` message: the call it answers and the tool's name. */
	readonly toolCallId: string | null;
	readonly toolName: string | null;
	readonly createdAt: number;
	/** On an `assistant` answer: the tokens its model call used, when the model said. */
	readonly usage?: AgentUsage;
}

/** One piece of a streaming answer: `text` goes at `offset` of message `messageId`. */
export interface AgentToken {
	readonly messageId: string;
	/** Which attempt at the answer (see {@link AgentMessageStart.attempt}). */
	readonly attempt: string;
	readonly offset: number;
	readonly text: string;
}

/** An answer starts streaming (again, after a crash or a retry: clients drop what they had). */
export interface AgentMessageStart {
	readonly messageId: string;
	readonly turnId: string;
	/**
	 * Names this attempt at the answer: an answer streamed again after a crash
	 * or a retry keeps its message id, and a client that missed this event
	 * (reconnecting) tells the new text from the old by it.
	 */
	readonly attempt: string;
}

/** Where a turn is. */
export type AgentTurnStatus = "queued" | "running" | "confirming" | "done" | "stopped" | "failed";

/** An error as clients see it (stable `group/code`). */
export interface AgentErrorInfo {
	readonly group: string;
	readonly code: string;
	readonly message: string;
}

/** A turn changed status. */
export interface AgentTurnUpdate {
	readonly turnId: string;
	readonly status: AgentTurnStatus;
	readonly error: AgentErrorInfo | null;
	/** On a turn's end: the tokens all its model calls used (those the model reported). */
	readonly usage?: AgentUsage;
}

/** A high-risk tool call waiting for a person's decision. */
export interface AgentPendingConfirmation {
	readonly callId: string;
	readonly turnId: string;
	readonly tool: string;
	/**
	 * What the tool will run with (the arguments as its schema checked them),
	 * for the person to judge: JSON text, with a Map as an object (or a list of
	 * `[key, value]` entries), a Set as an array, a BigInt as a string;
	 * redacted, and cut (saying so) past 16 000 characters.
	 */
	readonly arguments: string;
	/** The user whose prompt led to the call (by default, the one who may decide). */
	readonly requester: string;
	/** When it counts as denied (ms since the epoch). */
	readonly expiresAt: number;
}

/** A prompt waiting for its turn. */
export interface AgentQueuedPrompt {
	readonly turnId: string;
	/** The prompt (redacted). */
	readonly text: string;
	readonly author: string;
	readonly createdAt: number;
	/** A regeneration of turn `regenerates`'s answer (its prompt is in the transcript already). */
	readonly regenerates?: string;
}

/** What an agent shares with its connections (`conn.sharedState`, `useAgentChat`). */
export interface AgentSharedState {
	/** The turn running now, if any. */
	readonly turn: {
		readonly id: string;
		readonly status: AgentTurnStatus;
		readonly requester: string;
	} | null;
	/** Prompts waiting for their turn, in order (they join the transcript when it begins). */
	readonly queued: readonly AgentQueuedPrompt[];
	readonly pending: AgentPendingConfirmation | null;
	/** How the last turn ended. */
	readonly last: AgentTurnUpdate | null;
	/**
	 * The transcript was cleared up to this message's seq (0: never): a
	 * client drops the messages it holds up to it.
	 */
	readonly clearedThrough: number;
	/**
	 * The latest answers regenerated (at most 16, oldest first): each removed the messages of
	 * turns `turnIds` after seq `after` (their prompt) up to `through`; a client drops those it
	 * holds.
	 */
	readonly removed: readonly AgentRemoval[];
}

/** An answer regenerated: its messages that went (see {@link AgentSharedState.removed}). */
export interface AgentRemoval {
	readonly after: number;
	readonly through: number;
	readonly turnIds: readonly string[];
}

/** The message being streamed now (for a client that joins or comes back mid-stream). */
export interface AgentLiveMessage {
	readonly messageId: string;
	readonly turnId: string;
	/** See {@link AgentMessageStart.attempt}. */
	readonly attempt: string;
	readonly text: string;
}
