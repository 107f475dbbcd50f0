import type { ActionContext, ActorContext, ConnectContext } from "../actor/context.js";
import { event } from "../actor/events.js";
import { internalQueue } from "../actor/queues.js";
import type { StandardSchemaV1 } from "../actor/schema.js";
import type { SqlDatabase } from "../db/sql-database.js";
import type { WorkflowContext } from "../workflow/types.js";
import type { AgentStateShape } from "./config.js";
import type { LiveAnswer } from "./live-answer.js";
import type { Requester } from "./tools.js";
import type { AgentMessage, AgentMessageStart, AgentToken, AgentTurnUpdate } from "./types.js";

/** The events an agent sends its connections. */
export const agentEvents = {
	/** A message joined the transcript (a prompt, a finished answer, a tool result). */
	message: event<AgentMessage>(),
	/** An answer starts streaming (again: drop what you had of it). */
	messageStart: event<AgentMessageStart>(),
	/** More of the answer streaming now. */
	token: event<AgentToken>(),
	/** A turn changed status. */
	turn: event<AgentTurnUpdate>(),
};

/**
 * A prompt waiting for its turn. Its text joins the transcript when the turn
 * begins, so the transcript stays in turn order (a prompt, then everything
 * the agent did for it) and the model never reads prompts queued after its own.
 */
export interface PromptMessage {
	/** Absent: prompts were stored without it (see {@link AssistantNote}). */
	readonly kind?: "prompt";
	readonly turnId: string;
	/** The prompt (redacted). */
	readonly text: string;
	readonly requester: Requester;
	readonly createdAt: number;
	/**
	 * A regeneration (the `regenerate` action): the turn answers again the prompt stored at seq
	 * `after` (of turn `turnId`), whose answer it removes first, and adds no prompt of its own.
	 */
	readonly regenerates?: { readonly turnId: string; readonly after: number };
}

/**
 * A message the agent's own server code adds as the assistant's
 * ({@link addAssistantMessage}): it waits on the prompts' queue, so it takes
 * its place among the turns.
 */
export interface AssistantNote {
	readonly kind: "assistant";
	readonly turnId: string;
	/** Redacted before it was queued (and again when stored, for notes queued before 2026-11-29). */
	readonly text: string;
	readonly createdAt: number;
}

/** What waits on the prompts' queue: a prompt (stored ones have no `kind`) or a note. */
export type AgentInboxMessage = PromptMessage | AssistantNote;

/** A person's decision on a high-risk call, checked by the `confirm` action. */
export interface DecisionMessage {
	readonly callId: string;
	readonly approved: boolean;
	readonly by: string;
	readonly reason: "decided" | "stopped";
}

/**
 * The agent's queues. Only the actor sends to them (from the `prompt`,
 * `confirm` and `stop` actions after their checks, and server code through
 * `addAssistantMessage`): a client sending directly is refused.
 */
/**
 * An agent's queues; `prompts` takes `redact` as its message schema: a queued note (from
 * `addAssistantMessage`, in any hook or action) is redacted before it is stored, as a prompt
 * is. It waits there (behind a turn awaiting a confirmation, minutes), and the inspector shows
 * the queue (an attacker probe, 2026-11-29: the secret was readable there).
 */
export function agentQueuesWith(redact?: (text: string) => string) {
	return {
		prompts: internalQueue<AgentInboxMessage>(
			redact === undefined ? {} : { message: redactingNotes(redact) },
		),
		decisions: internalQueue<DecisionMessage>(),
	};
}

/** A Standard Schema that passes every message, an assistant note's text redacted. */
function redactingNotes(redact: (text: string) => string): StandardSchemaV1 {
	return {
		"~standard": {
			version: 1,
			vendor: "tenon-agent",
			validate: (value) => {
				const note = value as Partial<AssistantNote> | null;
				if (note === null || typeof note !== "object" || note.kind !== "assistant")
					return { value };
				return { value: { ...note, text: redact(String(note.text)) } };
			},
		},
	};
}

/** What an agent keeps in memory while awake. */
export interface AgentVars {
	/** The answer streaming now. */
	live: LiveAnswer | null;
	/** Aborts the model call of the turn running now. */
	stop: AbortController | null;
	/** Prompts admitted and not queued yet (each holds a place among `maxQueuedPrompts`). */
	admitting: number;
	/** The database's bytes used when a prune last read the transcript and deleted nothing (0: none). */
	transcriptScannedAt: number;
	/** The pending call a stop's denial was queued for (one per call, however many stops). */
	stopQueuedFor: string | null;
}

export type AgentEvents = typeof agentEvents;
export type AgentQueues = ReturnType<typeof agentQueuesWith>;
export type AgentActorContext = ActorContext<
	AgentStateShape,
	unknown,
	unknown,
	AgentVars,
	AgentEvents,
	AgentQueues,
	SqlDatabase
>;
export type AgentActionContext<CP, CS> = ActionContext<
	AgentStateShape,
	CP,
	CS,
	AgentVars,
	AgentEvents,
	AgentQueues,
	SqlDatabase
>;
export type AgentWorkflow = WorkflowContext<
	AgentStateShape,
	unknown,
	unknown,
	AgentVars,
	AgentEvents,
	AgentQueues,
	SqlDatabase
>;
/** The context of an agent's lifecycle hooks (`onCreate`, `onWake`, `onConnect`, ...). */
export type AgentHookContext<CP, CS> = ActorContext<
	AgentStateShape,
	CP,
	CS,
	AgentVars,
	AgentEvents,
	AgentQueues,
	SqlDatabase
>;
/** The context of an agent's connect hooks (`onBeforeConnect`, `createConnState`). */
export type AgentConnectContext<CP> = ConnectContext<
	AgentStateShape,
	CP,
	unknown,
	AgentVars,
	AgentEvents,
	AgentQueues,
	SqlDatabase
>;
