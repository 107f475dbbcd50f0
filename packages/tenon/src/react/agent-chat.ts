import { useCallback, useEffect, useState, useSyncExternalStore } from "react";
import { AgentChat, type AgentChatView, type AgentConnectionLike } from "../client/agent-chat.js";

/** What `useAgentChat` gives a component. */
export interface UseAgentChatResult extends AgentChatView {
	/** Sends a prompt (rejects with the actor's error: rate limited, too long, ...). */
	send(text: string): Promise<{ turnId: string; messageId: string }>;
	/** Stops the running turn. */
	stop(): Promise<boolean>;
	/** Approves or denies the pending call. */
	confirm(callId: string, approve: boolean): Promise<void>;
	/** Loads older messages; resolves with how many came. */
	loadOlder(limit?: number): Promise<number>;
	/** Deletes the transcript, where the agent's `canClear` allows (see `AgentChat.clear`). */
	clear(): Promise<{ deleted: number }>;
	/** Writes the last answer again, where the agent's `canRegenerate` allows (see `AgentChat.regenerate`). */
	regenerate(): Promise<{ turnId: string }>;
}

const IDLE: AgentChatView = {
	messages: [],
	streaming: null,
	status: "idle",
	queued: [],
	sending: [],
	pending: null,
	error: null,
	loading: true,
};
const noop = () => {};
const notConnected = () => Promise.reject(new Error("useAgentChat: not connected yet"));

/**
 * A chat with an agent actor (`agentActor` from `tenon/agent`) over a
 * connection from `useActor`: the transcript, the answer streaming now, the
 * turn's status, a pending confirmation, and the calls to make. It follows
 * the stream across reconnects (see {@link AgentChat}).
 *
 * @example
 * const { connection } = useActor({ name: "assistant", key: [conversationId], params: { token } });
 * const chat = useAgentChat(connection);
 * chat.messages.map((m) => <Message key={m.id} message={m} />);
 * chat.streaming && <p>{chat.streaming.text}</p>;
 * chat.pending && <Confirm call={chat.pending} onDecide={(ok) => chat.confirm(chat.pending.callId, ok)} />;
 */
export function useAgentChat(
	connection: AgentConnectionLike | undefined,
	options: { historyLimit?: number } = {},
): UseAgentChatResult {
	const [made, setMade] = useState<{ chat: AgentChat; source: AgentConnectionLike } | undefined>(
		undefined,
	);
	const historyLimit = options.historyLimit;
	useEffect(() => {
		if (connection === undefined) return undefined;
		const created = new AgentChat(connection, historyLimit === undefined ? {} : { historyLimit });
		setMade({ chat: created, source: connection });
		return () => {
			created.close();
			setMade(undefined);
		};
	}, [connection, historyLimit]);
	// Until the effect has made the chat for a new connection, the one held is
	// the previous connection's: its transcript and its `send` must not be
	// shown for the new one.
	const chat = made !== undefined && made.source === connection ? made.chat : undefined;
	const view = useSyncExternalStore(
		useCallback((notify: () => void) => chat?.subscribe(notify) ?? noop, [chat]),
		() => chat?.view ?? IDLE,
		() => IDLE,
	);
	return {
		...view,
		send: chat === undefined ? notConnected : (text) => chat.send(text),
		stop: chat === undefined ? notConnected : () => chat.stop(),
		confirm: chat === undefined ? notConnected : (callId, approve) => chat.confirm(callId, approve),
		loadOlder: chat === undefined ? notConnected : (limit) => chat.loadOlder(limit),
		clear: chat === undefined ? notConnected : () => chat.clear(),
		regenerate: chat === undefined ? notConnected : () => chat.regenerate(),
	};
}
