import { randomUUID } from "node:crypto";
import { type ActorDefinition, actor } from "../actor/definition.js";
import { db } from "../db/index.js";
import type { SqlDatabase } from "../db/sql-database.js";
import { ActorError, errors } from "../protocol/errors.js";
import { workflow } from "../workflow/index.js";
import {
	type AgentConfig,
	type AgentCustomActions,
	type AgentSettings,
	type AgentStateShape,
	agentSettings,
} from "./config.js";
import {
	type AgentActionContext,
	type AgentEvents,
	type AgentQueues,
	type AgentVars,
	type AgentWorkflow,
	agentEvents,
	agentQueuesWith,
} from "./declarations.js";
import type { Requester } from "./tools.js";
import { migrateTranscript, promptMessageId, Transcript } from "./transcript.js";
import { runTurns } from "./turn.js";
import type { AgentLiveMessage, AgentMessage, AgentSharedState } from "./types.js";

/**
 * Most bytes (as JSON) of one `history` page: half of a connection's default
 * `maxOutgoingMessageBytes`. A page of 100 long answers failed with
 * `message/outgoing_too_long` on every open before 2026-11-26.
 */
export const HISTORY_PAGE_BYTES = 512 * 1024;

/** The actions every agent has (what `useAgentChat` calls). */
export interface AgentActions<CP, CS> {
	/** Adds a prompt to the conversation; its turn runs after those before it. */
	prompt: (
		c: AgentActionContext<CP, CS>,
		text: string,
	) => Promise<{ turnId: string; messageId: string }>;
	/**
	 * Writes the last answer again: its messages are removed and the model answers the last
	 * prompt anew, as a turn of its own (who may: `canRegenerate`, by default the prompt's
	 * author), when no turn runs and no prompt waits.
	 */
	regenerate: (c: AgentActionContext<CP, CS>) => Promise<{ turnId: string }>;
	/** Stops the turn running now (the answer streaming, or a call waiting for confirmation). */
	stop: (c: AgentActionContext<CP, CS>) => Promise<boolean>;
	/** Approves or denies the pending high-risk call `callId`. */
	confirm: (c: AgentActionContext<CP, CS>, callId: string, approve: boolean) => Promise<void>;
	/** Up to `limit` messages (default 100, at most 500) before `before` (a seq), oldest first. */
	history: (
		c: AgentActionContext<CP, CS>,
		options?: { before?: number; limit?: number },
	) => Promise<AgentMessage[]>;
	/** The answer streaming now, as far as it got (for a client that joins or comes back mid-stream). */
	live: (c: AgentActionContext<CP, CS>) => AgentLiveMessage | null;
	/**
	 * Deletes the transcript (who may: `canClear`), when no turn runs and no
	 * prompt waits; resolves with how many messages went.
	 */
	clear: (c: AgentActionContext<CP, CS>) => Promise<{ deleted: number }>;
}

/** An agent actor's definition, as the registry and typed clients see it. */
export type AgentActorDefinition<CP, CS, A = {}> = ActorDefinition<
	AgentStateShape,
	CP,
	CS,
	AgentVars,
	unknown,
	AgentEvents,
	AgentQueues,
	AgentActions<CP, CS> & A,
	SqlDatabase,
	AgentSharedState
>;

/**
 * An AI agent as an actor, one per conversation: prompts wait on a durable
 * queue, each turn runs as a workflow (a crash resumes it; a model that keeps
 * failing ends it as `failed`), answers stream to every connection as
 * `token` events with message ids and offsets, the transcript lives in the
 * actor's SQLite. Tools run with the identity of the user whose prompt
 * started the turn; high-risk ones wait for a confirmation that only an
 * authorized connection can give. See docs/agents.md.
 *
 * @example
 * export const assistant = agentActor({
 *   model: openAIModel({ baseURL: "https://api.openai.com/v1", apiKey, model: "gpt-4.1-mini" }),
 *   system: "You help with orders.",
 *   tools: [lookupOrder, refundOrder],
 *   onBeforeConnect: (c, params: { token: string }) => { verify(params.token, c.key) },
 *   createConnState: (_c, params) => ({ userId: verify(params.token).userId }),
 *   identify: (conn) => ({ id: conn.state.userId }),
 * });
 */
export function agentActor<CP = unknown, CS = undefined, A = {}>(
	config: AgentConfig<CP, CS, A>,
	// NoInfer: written inline in a registry, the registry's contextual type
	// would otherwise infer the params and conn state as `any`.
): AgentActorDefinition<NoInfer<CP>, NoInfer<CS>, NoInfer<A>> {
	const settings = agentSettings(config);
	const initial: AgentStateShape = {
		turn: null,
		queued: [],
		pending: null,
		last: null,
		rate: { windowStart: 0, count: 0 },
	};
	const actions: AgentActions<CP, CS> = {
		prompt: async (c, text) => {
			const requester = requesterOf(c, config);
			if (typeof text !== "string" || text.trim() === "")
				throw new ActorError("agent", "invalid_prompt", "A prompt is a non-empty string");
			if (text.length > settings.maxPromptChars)
				throw new ActorError(
					"agent",
					"prompt_too_large",
					`A prompt has at most ${settings.maxPromptChars} characters`,
					{ limit: settings.maxPromptChars },
				);
			// Counted before any await: actions interleave there, and a burst of
			// prompts must not all pass the check before one of them is counted.
			// Its place among the waiting prompts is held from here until it is
			// queued, so a burst cannot pass `maxQueuedPrompts` either.
			const refund = admit(c, settings);
			c.vars.admitting++;
			let queued = false;
			try {
				await config.admitPrompt?.(c, requester);
				const turnId = randomUUID();
				const prompt = {
					turnId,
					text: settings.redactor.redact(text),
					requester,
					createdAt: Date.now(),
				};
				// Durable with this action's commit: acknowledged means it will get its turn.
				await c.queue.send("prompts", prompt);
				queued = true;
				c.state.queued.push({
					turnId,
					text: prompt.text,
					author: requester.id,
					createdAt: prompt.createdAt,
				});
				c.broadcast("turn", { turnId, status: "queued", error: null });
				return { turnId, messageId: promptMessageId(turnId) };
			} catch (error) {
				if (!queued) refund();
				throw error;
			} finally {
				c.vars.admitting--;
			}
		},
		regenerate: async (c) => {
			const requester = requesterOf(c, config);
			if (c.state.turn !== null || c.state.queued.length > 0 || c.vars.admitting > 0)
				throw new ActorError(
					"agent",
					"busy",
					"A turn runs or prompts wait; regenerate the last answer once they are done",
				);
			const refund = admit(c, settings);
			c.vars.admitting++;
			let queued = false;
			try {
				// Read with the admission held: a prompt or a clear meanwhile is refused (busy).
				const last = await new Transcript(c.db).lastPrompt();
				if (last === undefined)
					throw new ActorError("agent", "nothing_to_regenerate", "No prompt to answer again");
				if (!settings.canRegenerate(requester, last.author ?? "", c.key))
					throw errors.forbidden("only the user whose prompt it answered may regenerate it");
				await config.admitPrompt?.(c, requester);
				const turnId = randomUUID();
				const createdAt = Date.now();
				const regenerates = { turnId: last.turnId, after: last.seq };
				await c.queue.send("prompts", {
					turnId,
					text: last.content,
					requester,
					createdAt,
					regenerates,
				});
				queued = true;
				c.state.queued.push({
					turnId,
					text: last.content,
					author: requester.id,
					createdAt,
					regenerates: last.turnId,
				});
				c.broadcast("turn", { turnId, status: "queued", error: null });
				return { turnId };
			} catch (error) {
				if (!queued) refund();
				throw error;
			} finally {
				c.vars.admitting--;
			}
		},
		stop: async (c) => {
			const stopper = requesterOf(c, config);
			const turn = c.state.turn;
			if (turn === null) return false;
			if (!settings.canStop(stopper, turn.requester))
				throw errors.forbidden("only the user whose prompt started this turn may stop it");
			turn.stop = true;
			c.vars.stop?.abort(new ActorError("agent", "stopped", "the turn was stopped"));
			const pending = c.state.pending;
			// One denial per pending call: every stop queued another, and 1,100 stops at once
			// left hundreds in the queue, each read by a later wait (an attacker probe, 2026-11-29).
			if (pending !== null && c.vars.stopQueuedFor !== pending.callId) {
				c.vars.stopQueuedFor = pending.callId;
				try {
					await c.queue.send("decisions", {
						callId: pending.callId,
						approved: false,
						by: stopper.id,
						reason: "stopped",
					});
				} catch (error) {
					c.vars.stopQueuedFor = null;
					throw error;
				}
			}
			return true;
		},
		confirm: async (c, callId, approve) => {
			const decider = requesterOf(c, config);
			const pending = c.state.pending;
			if (typeof callId !== "string" || typeof approve !== "boolean")
				throw new ActorError(
					"request",
					"invalid_args",
					"confirm takes (callId: string, approve: boolean)",
				);
			if (pending === null || pending.callId !== callId)
				throw new ActorError(
					"agent",
					"no_pending_call",
					"No call with this id waits for a decision",
				);
			if (!settings.canConfirm(decider, pending))
				throw errors.forbidden("this connection may not decide on this call");
			// Taken off at once, so a second decision finds nothing pending.
			c.state.pending = null;
			await c.queue.send("decisions", {
				callId,
				approved: approve,
				by: decider.id,
				reason: "decided",
			});
		},
		history: (c, options = {}) => {
			const limit = Math.min(Math.max(1, Math.trunc(Number(options?.limit ?? 100)) || 100), 500);
			const before = options?.before;
			if (before !== undefined && !Number.isSafeInteger(before))
				throw new ActorError("request", "invalid_args", "`before` is a message's seq");
			return new Transcript(c.db).page(limit, before, HISTORY_PAGE_BYTES);
		},
		clear: async (c) => {
			const requester = requesterOf(c, config);
			if (!settings.canClear(requester, c.key))
				throw errors.forbidden("this connection may not clear the conversation (canClear)");
			if (c.state.turn !== null || c.state.queued.length > 0 || c.vars.admitting > 0)
				throw new ActorError(
					"agent",
					"busy",
					"A turn runs or prompts wait; clear the conversation once they are done",
				);
			const { deleted, through } = await new Transcript(c.db).clear();
			c.state.clearedThrough = Math.max(c.state.clearedThrough ?? 0, through);
			c.state.last = null;
			c.log.info("agent transcript cleared", { by: requester.id, messages: deleted });
			return { deleted };
		},
		live: (c) => {
			const live = c.vars.live;
			return live === null
				? null
				: {
						messageId: live.messageId,
						turnId: live.turnId,
						attempt: live.attempt,
						text: live.text,
					};
		},
	};
	return actor<
		AgentStateShape,
		CP,
		CS,
		AgentVars,
		unknown,
		AgentEvents,
		AgentQueues,
		AgentActions<CP, CS>,
		SqlDatabase,
		AgentSharedState
	>({
		state: initial,
		...(config.connParamsSchema === undefined ? {} : { connParamsSchema: config.connParamsSchema }),
		...(config.onBeforeCreate === undefined ? {} : { onBeforeCreate: config.onBeforeCreate }),
		...(config.onBeforeConnect === undefined ? {} : { onBeforeConnect: config.onBeforeConnect }),
		...(config.createConnState === undefined ? {} : { createConnState: config.createConnState }),
		...lifecycleHooks(config),
		events: agentEvents,
		queues: agentQueuesWith((text) => settings.redactor.redact(text)),
		db: db({ onMigrate: migrateTranscript }),
		createVars: (): AgentVars => ({
			live: null,
			stop: null,
			admitting: 0,
			transcriptScannedAt: 0,
			stopQueuedFor: null,
		}),
		shareState: (state: AgentStateShape): AgentSharedState => ({
			turn:
				state.turn === null
					? null
					: { id: state.turn.id, status: state.turn.status, requester: state.turn.requester },
			queued: state.queued,
			pending: state.pending,
			last: state.last,
			clearedThrough: state.clearedThrough ?? 0,
			removed: state.removed ?? [],
		}),
		actions: withOwnActions(actions, config.actions) as AgentActions<CP, CS> &
			Record<string, never>,
		...ownInputSchemas(config.actions, config.actionInputSchemas),
		run: workflow((ctx) => runTurns(ctx as unknown as AgentWorkflow, settings)),
		...(config.options === undefined ? {} : { options: config.options }),
	}) as never;
}

/** The lifecycle hooks an app gave (the agent has none of its own). */
function lifecycleHooks<CP, CS, A>(config: AgentConfig<CP, CS, A>): object {
	const hooks: Record<string, unknown> = {};
	for (const name of [
		"onCreate",
		"onWake",
		"onSleep",
		"onDestroy",
		"onConnect",
		"onDisconnect",
	] as const)
		if (config[name] !== undefined) hooks[name] = config[name];
	return hooks;
}

/** The agent's actions and an app's own (`actions`), whose names must be others. */
function withOwnActions<CP, CS>(
	agents: AgentActions<CP, CS>,
	own: AgentCustomActions<CP, CS> | undefined,
): object {
	if (own === undefined) return agents;
	for (const name of Object.keys(own))
		if (Object.hasOwn(agents, name))
			throw new TypeError(
				`agentActor: the action '${name}' is the agent's own; name yours otherwise`,
			);
	return { ...own, ...agents };
}

/** `actionInputSchemas` for an app's own actions (an agent's own check their input by hand). */
function ownInputSchemas(
	own: object | undefined,
	schemas: Record<string, unknown> | undefined,
): { actionInputSchemas?: Record<string, never> } {
	if (schemas === undefined) return {};
	for (const name of Object.keys(schemas))
		if (own === undefined || !Object.hasOwn(own, name))
			throw new TypeError(
				`agentActor: actionInputSchemas.${name} names no action of yours (in \`actions\`)`,
			);
	return { actionInputSchemas: schemas as Record<string, never> };
}

/** Who is calling, from server-side state; refuses a connection `identify` does not know. */
function requesterOf<CP, CS>(
	c: AgentActionContext<CP, CS>,
	config: AgentConfig<CP, CS, unknown>,
): Requester {
	const requester = config.identify(c.conn);
	if (requester === null || typeof requester?.id !== "string" || requester.id === "")
		throw errors.forbidden("this connection is not identified");
	return requester;
}

/**
 * Applies the conversation's limits on prompts, counting this one; returns
 * what gives its share back (for a prompt a later check refuses).
 */
function admit<CP, CS>(c: AgentActionContext<CP, CS>, s: AgentSettings): () => void {
	if (c.state.queued.length + c.vars.admitting >= s.maxQueuedPrompts)
		throw new ActorError("agent", "busy", `At most ${s.maxQueuedPrompts} prompts may wait`, {
			limit: s.maxQueuedPrompts,
		});
	if (s.rateLimit === false) return () => {};
	const now = Date.now();
	const rate = c.state.rate;
	if (now - rate.windowStart >= s.rateLimit.windowMs) {
		rate.windowStart = now;
		rate.count = 0;
	}
	if (rate.count >= s.rateLimit.prompts)
		throw new ActorError("agent", "rate_limited", "Too many prompts; try again later", {
			retryAfterMs: rate.windowStart + s.rateLimit.windowMs - now,
		});
	rate.count++;
	const window = rate.windowStart;
	return () => {
		if (rate.windowStart === window && rate.count > 0) rate.count--;
	};
}
