import { cutText } from "../common/text-cut.js";
import { CriticalError, StepFailedError } from "../workflow/errors.js";
import { runAssistantNote } from "./assistant-message.js";
import { checkModelCall } from "./call-check.js";
import { confirmCall, DENIALS } from "./call-confirmation.js";
import { clientError } from "./client-error.js";
import type { AgentSettings } from "./config.js";
import type { AgentActorContext, AgentWorkflow, PromptMessage } from "./declarations.js";
import { ModelError } from "./model.js";
import { type JournaledCall, streamAnswer } from "./model-answer.js";
import type { Redactor } from "./redact.js";
import { redactError } from "./redact-values.js";
import { executeTool, toolFailure, toolTimeoutMs } from "./tool-execution.js";
import type { AgentTool } from "./tools.js";
import { promptMessageId, Transcript } from "./transcript.js";
import { reportTurnEnd } from "./turn-end.js";
import type { AgentErrorInfo, AgentMessageStatus, AgentTurnUpdate, AgentUsage } from "./types.js";
import { addUsage } from "./usage.js";

// A turn is a workflow: every model call, check, confirmation and tool call
// is a journaled step, so a crash resumes the turn where it was (a step that
// did not finish runs again: an answer streams again from its start) and a
// model that keeps failing ends it as `failed`. Nothing is dropped silently.
//
// The journal (every step's result, and the error of a failed attempt) is
// readable with an inspector token, so it holds nothing the transcript would
// redact: a call's arguments are journaled redacted, its checked input only
// when it holds no secret (see call-check.ts), and errors the model or a tool
// throw are redacted before the engine records them.
//
// A tool call's own run (its timeout, the stop that ends it, what its
// failure tells the model) is tool-execution.ts; the wait for a person's
// decision on a high-risk call is call-confirmation.ts.

/** The agent's run loop: one turn per prompt, in order. */
export async function runTurns(ctx: AgentWorkflow, settings: AgentSettings): Promise<void> {
	await ctx.loop("turns", async (loop) => {
		const prompt = await loop.queue.next("prompt", { names: ["prompts"] });
		const body = prompt.body;
		if (body.kind === "assistant") {
			await runAssistantNote(loop, body, settings);
			return;
		}
		try {
			await runTurn(loop, body, settings);
		} catch (error) {
			// A step that failed for good (its retries spent) ends its turn, not the
			// conversation: before 2026-11-28 a prompt that could not be stored (the
			// app's own tables filled the database) failed the workflow, and no
			// later prompt ever ran. A replay throws the same failure here.
			if (!(error instanceof StepFailedError)) throw error;
			await loop.step("turn-failed", (c) => endFailedTurn(c, body.turnId, error, settings));
		}
	});
}

/** Ends a turn one of whose steps failed for good, telling why where that is meant for users. */
function endFailedTurn(
	c: AgentActorContext,
	turnId: string,
	failure: StepFailedError,
	s: AgentSettings,
): void {
	const { name, message, metadata } = failure.error;
	c.log.error("agent turn failed", {
		turnId,
		step: failure.stepName,
		error: cutText(s.redactor.redact(`${name}: ${message}`), 2_000),
	});
	const group = metadata?.group;
	const code = metadata?.code;
	const cause =
		typeof group === "string" && typeof code === "string"
			? ` (${group}/${code}: ${cutText(s.redactor.redact(message), 2_000)})`
			: "; the server's log says why";
	const error = { group: "agent", code: "turn_failed", message: `The turn failed${cause}` };
	c.state.queued = c.state.queued.filter((queued) => queued.turnId !== turnId);
	c.state.turn = null;
	c.state.pending = null;
	c.state.last = { turnId, status: "failed", error };
	c.broadcast("turn", { turnId, status: "failed", error });
}

type TurnEnd = Omit<AgentTurnUpdate, "turnId">;

/** Regenerations the shared state lists (AgentSharedState.removed): a chat away for more reloads. */
const MAX_REMOVALS_SHARED = 16;

async function runTurn(w: AgentWorkflow, prompt: PromptMessage, s: AgentSettings): Promise<void> {
	const { turnId } = prompt;
	const begun = await w.step("begin", async (c) => {
		const transcript = new Transcript(c.db);
		const pruned = await transcript.prune(s.maxTranscriptBytes, c.vars.transcriptScannedAt);
		if (pruned.scanned) c.vars.transcriptScannedAt = pruned.deleted === 0 ? pruned.used : 0;
		if (pruned.deleted > 0)
			c.log.info("agent transcript pruned: its oldest messages went", {
				turnId,
				messages: pruned.deleted,
			});
		c.state.queued = c.state.queued.filter((queued) => queued.turnId !== turnId);
		if (prompt.regenerates !== undefined) {
			// The prompt is there already: its answer goes, unless the conversation went on.
			const { after } = prompt.regenerates;
			if ((await transcript.lastPrompt())?.seq !== after) return false;
			const { through, turnIds } = await transcript.removeAnswers(after);
			if (turnIds.length > 0)
				c.state.removed = [...(c.state.removed ?? []), { after, through, turnIds }].slice(
					-MAX_REMOVALS_SHARED,
				);
		} else {
			const message = await transcript.add({
				id: promptMessageId(turnId),
				turnId,
				role: "user",
				content: prompt.text,
				status: "complete",
				author: prompt.requester.id,
				toolCalls: null,
				toolCallId: null,
				toolName: null,
				createdAt: prompt.createdAt,
			});
			c.broadcast("message", message);
		}
		c.state.turn = { id: turnId, status: "running", requester: prompt.requester.id, stop: false };
		c.broadcast("turn", { turnId, status: "running", error: null });
		return true;
	});
	// `false`, not a falsy value: a turn journaled before regenerations (2026-11-29) replays its
	// begin step as `undefined`, and was taken for stale (a review).
	if (begun === false) {
		// A prompt queued beside the regeneration ran first (or the transcript was pruned).
		await w.step("stale", (c) => {
			if (c.state.turn?.id === turnId) c.state.turn = null;
			const error = {
				group: "agent",
				code: "regenerate_stale",
				message: "The answer was not regenerated: the conversation went on",
			};
			c.state.last = { turnId, status: "failed", error };
			c.broadcast("turn", { turnId, status: "failed", error });
		});
		return;
	}
	let end: TurnEnd = { status: "done", error: null };
	let usage: AgentUsage | undefined;
	const confirming: Confirming = { timedOut: false };
	for (let round = 0; ; round++) {
		const withTools = round < s.maxToolRounds;
		const messageId = `${turnId}.${round}`;
		const answer = await w.tryStep({
			name: `answer-${round}`,
			maxRetries: s.modelRetries,
			retryBackoffBase: 500,
			timeout: Number.POSITIVE_INFINITY,
			run: (c) =>
				redactingErrors(s.redactor, () => streamAnswer(c, s, prompt, messageId, withTools)).catch(
					failAtOnceOnLimits,
				),
		});
		if (!answer.ok) {
			const error = clientError(answer.failure.error, s);
			end = { status: "failed", error };
			await w.step(`failed-${round}`, (c) => {
				// Tool failures were logged and model failures were not: an operator saw a
				// conversation's failed turns only in its journal (a docs walkthrough, 2026-11-28).
				const { name, message } = answer.failure.error;
				c.log.warn("agent model call failed", {
					turnId,
					code: `${error.group}/${error.code}`,
					error: cutText(s.redactor.redact(`${name}: ${message}`), 2_000),
				});
				return recordFailure(c, turnId, messageId, error);
			});
			break;
		}
		usage = addUsage(usage, answer.value.usage);
		if (answer.value.stopped) {
			end = { status: "stopped", error: null };
			break;
		}
		const calls = answer.value.toolCalls;
		if (calls.length === 0) break;
		for (const [index, call] of calls.entries())
			await runToolCall(w, s, prompt, call, `${round}-${index}`, withTools, confirming);
		// The round without tools is the last, whatever the model asked for in it
		// (its calls were refused): a model asking for tools forever made one turn
		// call it without end (an attacker probe, 2026-11-25).
		if (!withTools) break;
		if (await w.step(`stopped-${round}`, (c) => c.state.turn?.stop === true)) {
			end = { status: "stopped", error: null };
			break;
		}
	}
	const last: AgentTurnUpdate = { turnId, ...end, ...(usage === undefined ? {} : { usage }) };
	await w.step("end", (c) => {
		c.state.turn = null;
		c.state.pending = null;
		c.state.last = last;
		c.broadcast("turn", last);
	});
	await reportTurnEnd(w, s, prompt.requester.id, last);
}

/** What a tool call comes to, for the transcript (and the model's next call). */
interface ToolOutcome {
	content: string;
	status: AgentMessageStatus;
	/** The tool's attempts all ended in a crash or kill of the server. */
	crashed?: boolean;
}

/** Crashes or kills of the server while one tool call runs that it survives (it runs again). */
const TOOL_CRASHES = 3;

type CheckOutcome = ({ run: false } & ToolOutcome) | { run: true; input: unknown; high: boolean };

/**
 * A turn's confirmations so far. Once one went unanswered until its deadline,
 * the turn's later high-risk calls are refused without asking: each waited
 * out its own deadline, and a model asking for five in every answer held one
 * turn (and the prompts queued behind it) for 40 deadlines, up to 85 hours
 * with the defaults (an attacker probe, 2026-11-28). Rebuilt on replay from
 * the journaled decisions.
 */
interface Confirming {
	timedOut: boolean;
}

async function runToolCall(
	w: AgentWorkflow,
	s: AgentSettings,
	prompt: PromptMessage,
	call: JournaledCall,
	label: string,
	withTools: boolean,
	confirming: Confirming,
): Promise<void> {
	const check = await w.step(`check-${label}`, async (c): Promise<CheckOutcome> => {
		if (c.state.turn?.stop === true) return refused("not run: the turn was stopped", "failed");
		if (!withTools) return refused("not run: no more tool calls in this turn", "failed");
		const checked =
			call.check ?? (await checkModelCall(s.tools, s.redactor, call.name, call.arguments));
		if (!checked.ok) return refused(`not run: ${checked.reason}`, "failed");
		return { run: true, input: checked.input, high: checked.high };
	});
	let outcome: ToolOutcome;
	if (!check.run) outcome = check;
	else {
		const decision = !check.high
			? "approved"
			: confirming.timedOut
				? "unattended"
				: await confirmCall(w, s, prompt, call, check.input, label);
		if (decision === "timeout") confirming.timedOut = true;
		if (decision === "approved") {
			const tool = s.tools.find((candidate) => candidate.name === call.name) as AgentTool<unknown>;
			const result = await w.tryStep({
				name: `tool-${label}`,
				maxRetries: 0,
				// Run again after a crash or kill, as the docs promise ("at least once"), up to
				// TOOL_CRASHES times: in a life after a crash each attempt is journaled before it
				// runs, and a second crash in one tool call failed it as exhausted (an attacker
				// probe, 2026-11-29: the model read "the tool failed", the tool never reran).
				maxCrashes: TOOL_CRASHES,
				// A backstop: the tool's own timer ends the call first, saying why.
				timeout: toolTimeoutMs(tool) + 1_000,
				// A stop that came after the approval (a client's confirm, then stop) found no
				// pending call to deny, answered true, and the approved tool ran anyway (an
				// attacker probe, 2026-11-28): the flag is read where the tool would start.
				run: (c) =>
					c.state.turn?.stop === true
						? null
						: redactingErrors(s.redactor, () => executeTool(c, s, tool, check.input, prompt)),
			});
			outcome = !result.ok
				? {
						content: JSON.stringify({
							error: `the tool failed: ${toolFailure(result.failure, tool, s)}`,
						}),
						status: "failed",
						crashed: result.failure.error.name === "StepCrashedError",
					}
				: result.value === null
					? refused(DENIALS.stopped, "denied")
					: { content: result.value, status: "complete" };
		} else outcome = refused(DENIALS[decision], "denied");
	}
	await w.step(`record-${label}`, async (c) => {
		if (outcome.crashed === true)
			c.log.warn("agent tool call failed: the server stopped each time it ran", {
				tool: call.name,
			});
		const message = await new Transcript(c.db).add({
			id: `${prompt.turnId}.tool.${label}`,
			turnId: prompt.turnId,
			role: "tool",
			content: outcome.content,
			status: outcome.status,
			author: null,
			toolCalls: null,
			toolCallId: call.id,
			toolName: call.name,
			createdAt: Date.now(),
		});
		c.broadcast("message", message);
	});
}

function refused(reason: string, status: AgentMessageStatus): { run: false } & ToolOutcome {
	return { run: false, content: JSON.stringify({ error: reason }), status };
}

/**
 * Runs a step's work with what it throws redacted: the journal records a
 * failed attempt's message and stack (a model server's error may quote a
 * key; a tool's may quote anything).
 */
/**
 * A model answer past its output limit fails for good: asked again, a model that sends
 * without end does it again, at the same cost, and such calls report no usage (each prompt
 * cost three unbilled calls with the default retries: an attacker probe, 2026-11-28).
 */
function failAtOnceOnLimits(error: unknown): never {
	if (error instanceof ModelError && error.code === "model_output_too_large")
		throw new CriticalError(error.message, { cause: error });
	// A redirect (openAIModel follows none) answers the same way again: `baseURL` is wrong.
	const status = (error as { metadata?: { status?: unknown } } | undefined)?.metadata?.status;
	if (
		error instanceof ModelError &&
		error.code === "model_http_error" &&
		typeof status === "number" &&
		status >= 300 &&
		status < 400
	)
		throw new CriticalError(error.message, { cause: error });
	throw error;
}

async function redactingErrors<T>(redactor: Redactor, work: () => Promise<T>): Promise<T> {
	try {
		return await work();
	} catch (error) {
		throw redactError(error, redactor);
	}
}

async function recordFailure(
	c: AgentActorContext,
	turnId: string,
	messageId: string,
	error: AgentErrorInfo,
): Promise<void> {
	const message = await new Transcript(c.db).add({
		id: messageId,
		turnId,
		role: "assistant",
		content: `${error.group}/${error.code}: ${error.message}`,
		status: "failed",
		author: null,
		toolCalls: null,
		toolCallId: null,
		toolName: null,
		createdAt: Date.now(),
	});
	c.broadcast("message", message);
}
