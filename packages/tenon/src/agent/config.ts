import type { Conn, CreateContext } from "../actor/context.js";
import type { ActionGroup } from "../actor/definition.js";
import { type ActorOptions, DEFAULT_ACTOR_OPTIONS } from "../actor/options.js";
import type { StandardSchemaV1 } from "../actor/schema.js";
import type {
	AgentActionContext,
	AgentActorContext,
	AgentConnectContext,
	AgentEvents,
	AgentHookContext,
} from "./declarations.js";
import type { ChatModel } from "./model.js";
import { COMMON_SECRET_PATTERNS, Redactor, type RedactorOptions } from "./redact.js";
import type { AgentTool, Requester } from "./tools.js";
import type {
	AgentPendingConfirmation,
	AgentQueuedPrompt,
	AgentRemoval,
	AgentTurnUpdate,
} from "./types.js";

/** What `onTurnEnd` hears: how the turn ended, who prompted it, and its tokens. */
export interface AgentTurnEnd extends AgentTurnUpdate {
	/** The `identify(...).id` of the user whose prompt started it. */
	readonly requester: string;
}

/** Actions of an app's own on an agent (see {@link AgentConfig.actions}): groups too, as in `actor()`. */
export type AgentCustomActions<CP, CS> = ActionGroup<AgentActionContext<CP, CS>>;

/** The agent's own action names, which {@link AgentConfig.actions} may not take (a type error too). */
type AgentOwnActionNames = {
	prompt?: never;
	stop?: never;
	confirm?: never;
	history?: never;
	live?: never;
	clear?: never;
};

/** Options of {@link agentActor}. */
export interface AgentConfig<CP, CS, A = {}> {
	/** The model (e.g. `openAIModel(...)`). */
	model: ChatModel;
	/**
	 * The system prompt, or a function of the user whose prompt starts the
	 * turn (async too: context read per turn, as the Agents SDK's
	 * `onChatMessage` adds it). Called before each model call of the turn.
	 */
	system?: string | ((requester: Requester) => string | Promise<string>);
	/** The tools the model may call. */
	tools?: readonly AgentTool<unknown>[];
	/**
	 * Who a connection is, from server-side state only (what `createConnState`
	 * set after checking the caller's credentials), never from anything a
	 * message says. `null` refuses it: it may read, not prompt or decide.
	 */
	identify: (conn: Conn<CP, CS>) => Requester | null;
	/** Who may create a conversation (throw to refuse; `c.key`, `c.params`); see the actor docs. */
	onBeforeCreate?: (c: CreateContext, input: unknown) => void | Promise<void>;
	/** Who may connect at all (throw to refuse); see the actor docs. */
	onBeforeConnect?: (c: AgentConnectContext<CP>, params: CP) => void | Promise<void>;
	createConnState?: (c: AgentConnectContext<CP>, params: CP) => CS | Promise<CS>;
	connParamsSchema?: StandardSchemaV1;
	/**
	 * Lifecycle hooks, as an actor's (see the actor docs), with the agent's
	 * context: set a cron job when a conversation is created, greet with
	 * `addAssistantMessage`, count connections. `c.state` is the agent's own:
	 * read it, do not change it.
	 */
	onCreate?: (c: AgentHookContext<CP, CS>, input: unknown) => void | Promise<void>;
	onWake?: (c: AgentHookContext<CP, CS>) => void | Promise<void>;
	onSleep?: (c: AgentHookContext<CP, CS>) => void | Promise<void>;
	onDestroy?: (c: AgentHookContext<CP, CS>) => void | Promise<void>;
	onConnect?: (
		c: AgentHookContext<CP, CS>,
		conn: Conn<CP, CS, AgentEvents>,
	) => void | Promise<void>;
	onDisconnect?: (
		c: AgentHookContext<CP, CS>,
		conn: Conn<CP, CS, AgentEvents>,
	) => void | Promise<void>;
	/**
	 * Runs once when a turn ends (`done`, `stopped`, or `failed` for its model), with who
	 * prompted it and the tokens its model calls used (`usage`, when the model reported
	 * it): count them per user, bill them, and refuse further prompts in `admitPrompt`.
	 * A workflow step of its own: once per turn across restarts, its writes committed
	 * with it; if it keeps failing it is logged, and the turn stands.
	 */
	onTurnEnd?: (c: AgentActorContext, turn: AgentTurnEnd) => void | Promise<void>;
	/**
	 * May `decider` approve or deny this call? Default: only the user whose
	 * prompt led to it.
	 */
	canConfirm?: (decider: Requester, pending: AgentPendingConfirmation) => boolean;
	/**
	 * May `requester` clear the conversation's transcript (the `clear` action)?
	 * `conversation` is the actor's key. Default: no one (it deletes every
	 * participant's messages).
	 *
	 * @example
	 * canClear: (requester, conversation) => requester.id === conversation[0],
	 */
	canClear?: (requester: Requester, conversation: readonly string[]) => boolean;
	/** May `stopper` stop the turn of `requester`? Default: only that user. */
	canStop?: (stopper: Requester, requester: string) => boolean;
	/**
	 * May `requester` have the last answer written again (the `regenerate` action), whose prompt
	 * `author` wrote? `conversation` is the actor's key. Default: only that user.
	 *
	 * @example
	 * canRegenerate: (requester, _author, conversation) => requester.id === conversation[0],
	 */
	canRegenerate?: (
		requester: Requester,
		author: string,
		conversation: readonly string[],
	) => boolean;
	/** How long a high-risk call waits for a decision before it counts as denied (ms). Default 5 minutes. */
	confirmTimeoutMs?: number;
	/** Model calls per turn that may use tools; the last one after them answers without. Default 8. */
	maxToolRounds?: number;
	/**
	 * Most tool calls one answer may ask for. An answer asking for more is cut
	 * there (`truncated`, the model call cancelled): none of its calls run.
	 * Default 128: below `openAIModel`'s own `maxToolCalls` (256), whose limit fails
	 * the model call instead (set it above this one when raising this one).
	 */
	maxToolCalls?: number;
	/** Prompts a conversation accepts per window (`false`: no limit). Default 20 per minute. */
	rateLimit?: { prompts: number; windowMs: number } | false;
	/**
	 * Runs for each prompt that passed the conversation's own limits, before
	 * it is accepted; throw to refuse it. For limits wider than one
	 * conversation, e.g. prompts per user over all their conversations, kept
	 * in an actor of its own (examples/agent/prompt-quota.ts).
	 */
	admitPrompt?: (c: AgentActionContext<CP, CS>, requester: Requester) => void | Promise<void>;
	/** Prompts waiting for their turn at most. Default 10. */
	maxQueuedPrompts?: number;
	/** Longest prompt, in characters. Default 16 000. */
	maxPromptChars?: number;
	/** Longest tool result the model and clients get (characters; the rest is cut). Default 16 000. */
	maxToolResultChars?: number;
	/**
	 * Most characters of one answer: its text and its tool calls together
	 * (ids, names and arguments). The text stops there (the message is
	 * `truncated`, its calls dropped); a call past it does not run. An answer
	 * is one message and one event, which must fit a connection's
	 * `maxOutgoingMessageBytes`. Default 100 000.
	 */
	maxAnswerChars?: number;
	/** Messages of the transcript the model reads (the newest). Default 50. */
	contextMessages?: number;
	/**
	 * Bytes the actor's database may use before a new turn deletes the
	 * transcript's oldest messages, down to half of it in text. Default: half
	 * of `options.maxDatabaseSize` (64 MiB): a transcript that filled the
	 * database failed every later turn.
	 */
	maxTranscriptBytes?: number;
	/** Retries of a failed model call within a turn. Default 2. */
	modelRetries?: number;
	/**
	 * Secrets to hide from the model and the clients: a {@link Redactor}, or
	 * what to build one from (the common credential patterns are always on).
	 */
	redact?: Redactor | RedactorOptions;
	/**
	 * Actions of your own beside the agent's (`prompt`, `stop`, `confirm`,
	 * `history` and `live` are taken: a name of theirs throws when the agent
	 * is defined). They run as any action: check who calls (`identify`, the
	 * connection's state) as the agent's own do, keep the agent's state as it
	 * is (it is the conversation's), and keep data of your own in tables of
	 * your own in `c.db`. Typed on clients like the agent's.
	 */
	actions?: A & AgentCustomActions<CP, CS> & AgentOwnActionNames;
	/**
	 * Standard Schemas of your own actions' arguments (a tuple of them), as
	 * an actor's `actionInputSchemas`: checked before the action runs
	 * (`request/invalid_args` otherwise). Names must be actions of yours.
	 */
	actionInputSchemas?: { [K in keyof NoInfer<A>]?: StandardSchemaV1 };
	options?: ActorOptions;
}

/** The agent's state (see {@link AgentSharedState} for what clients see of it). */
export interface AgentStateShape {
	turn: { id: string; status: "running" | "confirming"; requester: string; stop: boolean } | null;
	queued: AgentQueuedPrompt[];
	pending: AgentPendingConfirmation | null;
	last: AgentTurnUpdate | null;
	rate: { windowStart: number; count: number };
	/** See {@link AgentSharedState.clearedThrough} (absent in states stored before it existed). */
	clearedThrough?: number;
	/** See {@link AgentSharedState.removed} (absent until an answer was regenerated). */
	removed?: AgentRemoval[];
}

/** The options with their defaults applied. */
export interface AgentSettings {
	readonly model: ChatModel;
	readonly system: (requester: Requester) => string | undefined | Promise<string>;
	readonly tools: readonly AgentTool<unknown>[];
	readonly canConfirm: (decider: Requester, pending: AgentPendingConfirmation) => boolean;
	readonly canStop: (stopper: Requester, requester: string) => boolean;
	readonly canRegenerate: (
		requester: Requester,
		author: string,
		conversation: readonly string[],
	) => boolean;
	readonly onTurnEnd: AgentConfig<unknown, unknown>["onTurnEnd"];
	readonly canClear: (requester: Requester, conversation: readonly string[]) => boolean;
	readonly confirmTimeoutMs: number;
	readonly maxToolRounds: number;
	readonly maxToolCalls: number;
	readonly rateLimit: { prompts: number; windowMs: number } | false;
	readonly maxQueuedPrompts: number;
	readonly maxPromptChars: number;
	readonly maxToolResultChars: number;
	readonly maxAnswerChars: number;
	readonly contextMessages: number;
	readonly maxTranscriptBytes: number;
	readonly modelRetries: number;
	readonly redactor: Redactor;
}

export function agentSettings<CP, CS, A>(config: AgentConfig<CP, CS, A>): AgentSettings {
	const tools = (config.tools ?? []) as readonly AgentTool<unknown>[];
	const names = new Set<string>();
	for (const tool of tools) {
		if (names.has(tool.name)) throw new Error(`agentActor: two tools are named '${tool.name}'`);
		names.add(tool.name);
	}
	const system = config.system;
	const redact = config.redact;
	return {
		model: config.model,
		system: typeof system === "function" ? system : () => system,
		tools,
		canConfirm: config.canConfirm ?? ((decider, pending) => decider.id === pending.requester),
		canStop: config.canStop ?? ((stopper, requester) => stopper.id === requester),
		canRegenerate: config.canRegenerate ?? ((requester, author) => requester.id === author),
		canClear: config.canClear ?? (() => false),
		onTurnEnd: config.onTurnEnd,
		confirmTimeoutMs: positive("confirmTimeoutMs", config.confirmTimeoutMs, 5 * 60_000),
		maxToolRounds: positive("maxToolRounds", config.maxToolRounds, 8),
		maxToolCalls: positive("maxToolCalls", config.maxToolCalls, 128),
		rateLimit:
			config.rateLimit === undefined ? { prompts: 20, windowMs: 60_000 } : config.rateLimit,
		maxQueuedPrompts: positive("maxQueuedPrompts", config.maxQueuedPrompts, 10),
		maxPromptChars: positive("maxPromptChars", config.maxPromptChars, 16_000),
		maxToolResultChars: positive("maxToolResultChars", config.maxToolResultChars, 16_000),
		maxAnswerChars: positive("maxAnswerChars", config.maxAnswerChars, 100_000),
		contextMessages: positive("contextMessages", config.contextMessages, 50),
		maxTranscriptBytes: positive(
			"maxTranscriptBytes",
			config.maxTranscriptBytes,
			(config.options?.maxDatabaseSize ?? DEFAULT_ACTOR_OPTIONS.maxDatabaseSize) / 2,
		),
		modelRetries: config.modelRetries ?? 2,
		redactor:
			redact instanceof Redactor
				? redact
				: new Redactor({
						secrets: redact?.secrets ?? [],
						patterns: [...COMMON_SECRET_PATTERNS, ...(redact?.patterns ?? [])],
						...(redact?.streamHoldback === undefined
							? {}
							: { streamHoldback: redact.streamHoldback }),
					}),
	};
}

function positive(name: string, value: number | undefined, fallback: number): number {
	if (value === undefined) return fallback;
	if (!(value > 0)) throw new TypeError(`agentActor: ${name} must be a positive number`);
	return value;
}
