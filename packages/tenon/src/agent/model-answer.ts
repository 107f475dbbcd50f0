// One model call of a turn (turn.ts): the answer streamed to the connections,
// cut at its limits, and stored with the tool calls it asked for, checked.
import { untilAborted } from "../common/until-aborted.js";
import { AnswerBudget } from "./answer-budget.js";
import { type CallCheck, checkModelCall } from "./call-check.js";
import { uniqueIds, wellFormedCall } from "./call-shape.js";
import type { AgentSettings } from "./config.js";
import type { AgentActorContext, PromptMessage } from "./declarations.js";
import { LiveAnswer } from "./live-answer.js";
import { type ChatMessage, ModelError, type ModelEvent, type ToolCallRequest } from "./model.js";
import { StreamRedactor } from "./redact.js";
import { redactArguments } from "./redact-arguments.js";
import { modelTools } from "./tools.js";
import { modelHistory, Transcript } from "./transcript.js";
import type { AgentUsage } from "./types.js";
import { estimatedUsage, reportedUsage } from "./usage.js";

export interface Answer {
	stopped: boolean;
	toolCalls: JournaledCall[];
	/** What the model call used, when the model said (missing in turns journaled before it). */
	usage?: AgentUsage;
}

/**
 * A tool call as the turn journals it: its id, name and arguments as the
 * transcript shows them (redacted), and what checking it found. `check` is
 * missing in turns journaled before it existed, whose arguments are the
 * model's text.
 */
export interface JournaledCall extends ToolCallRequest {
	check?: CallCheck;
}

/** Model events read before the event loop is let turn (at most a few ms of work). */
const EVENTS_PER_TURN = 256;

/** One model call: streams the answer to the connections and stores it. */
export async function streamAnswer(
	c: AgentActorContext,
	s: AgentSettings,
	prompt: PromptMessage,
	messageId: string,
	withTools: boolean,
): Promise<Answer> {
	if (c.state.turn?.stop === true) return { stopped: true, toolCalls: [] };
	const transcript = new Transcript(c.db);
	const system = await s.system(prompt.requester);
	const messages: ChatMessage[] = modelHistory(await transcript.page(s.contextMessages));
	if (system !== undefined) messages.unshift({ role: "system", content: system });
	const stop = new AbortController();
	const onEvicted = (): void => stop.abort(c.abortSignal.reason);
	c.abortSignal.addEventListener("abort", onEvicted, { once: true });
	c.vars.stop = stop;
	const live = new LiveAnswer(messageId, prompt.turnId, (token) => c.broadcast("token", token));
	c.vars.live = live;
	c.broadcast("messageStart", { messageId, turnId: prompt.turnId, attempt: live.attempt });
	const redactor = new StreamRedactor(s.redactor);
	const toolCalls: ToolCallRequest[] = [];
	const budget = new AnswerBudget(s.maxAnswerChars, s.redactor);
	let stopped = false;
	let truncated = false;
	let usage: AgentUsage | undefined;
	let iterator: AsyncIterator<ModelEvent> | undefined;
	try {
		const stream = s.model.stream({
			messages,
			...(withTools && s.tools.length > 0 ? { tools: modelTools(s.tools) } : {}),
			signal: stop.signal,
		});
		// Driven by hand, each step raced against the stop: a ChatModel whose stream stalls and
		// ignores its signal kept the turn, the conversation and the server's shutdown waiting
		// for good after a stop (an attacker probe, 2026-11-27), as a tool did before 2026-11-26.
		iterator = stream[Symbol.asyncIterator]();
		for (let read = 1; ; read++) {
			// Events ready at once resolve without a turn of the loop: 100,000 held every other
			// client for 0.8 s (an attacker probe, 2026-11-28). The loop turns every few hundred.
			if (read % EVENTS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
			const next = await untilAborted(iterator.next(), stop.signal);
			if (next.done === true) {
				iterator = undefined;
				break;
			}
			const event = next.value;
			if (event.type === "text") {
				if (typeof event.delta !== "string")
					throw new ModelError("model_bad_stream", "The model sent a text event without text");
				const released = redactor.push(event.delta);
				const kept = budget.textRoom(released, live.text.length);
				live.append(kept);
				// Text dropped: the answer is cut here (one that only fills the budget is whole).
				if (kept.length < released.length) {
					truncated = true;
					break;
				}
			} else if (event.type === "tool_call") {
				// A model (any ChatModel, not only openAIModel) asking for calls without
				// end: 3,000 calls with empty ids and names cost nothing of the answer's
				// characters, and making their ids unique blocked the loop for a second
				// (an attacker probe, 2026-11-26). The answer is cut, as one too long is.
				if (toolCalls.length >= s.maxToolCalls) {
					truncated = true;
					break;
				}
				toolCalls.push(budget.call(wellFormedCall(event.call), live.text.length));
			} else if (event.type === "done") {
				usage = reportedUsage(event.usage) ?? usage;
			}
		}
	} catch (error) {
		// Stopped by a client: keep what came. Evicted or failed: the step ends
		// here (and runs again on the next wake, or is retried). Truncated: a
		// model that fails as it is left is done with.
		if (!truncated && (!stop.signal.aborted || c.aborted)) {
			live.close();
			// The `live` action showed the failed attempt's text until the next answer began.
			if (c.vars.live === live) c.vars.live = null;
			throw error;
		}
		if (!truncated) stopped = true;
	} finally {
		// A truncated answer's model call is cancelled.
		if (truncated) stop.abort(new Error("the answer reached its limits"));
		// A stream left before its end is told so, and not waited for (a stalled one never ends).
		// A hand-written iterator's return() may give a plain object or throw (an adapter's
		// bug): the turn still stops.
		if (iterator !== undefined) returnQuietly(iterator);
		c.abortSignal.removeEventListener("abort", onEvicted);
		if (c.vars.stop === stop) c.vars.stop = null;
	}
	// What the redactor still holds (a truncated answer drops it).
	if (!truncated) {
		const rest = redactor.end();
		const kept = budget.textRoom(rest, live.text.length);
		live.append(kept);
		truncated = kept.length < rest.length;
	}
	live.close();
	if (c.vars.live === live) c.vars.live = null;
	// Cut before the model said what it used: counted all the same (estimated).
	if (usage === undefined && (stopped || truncated))
		usage = estimatedUsage(messages, live.text.length + budget.callChars);
	const calls = stopped || truncated ? [] : await journaledCalls(s, toolCalls, budget);
	const message = await transcript.add({
		id: messageId,
		turnId: prompt.turnId,
		role: "assistant",
		content: live.text,
		status: stopped ? "stopped" : truncated ? "truncated" : "complete",
		author: null,
		toolCalls:
			calls.length === 0
				? null
				: calls.map((call) => ({ id: call.id, name: call.name, arguments: call.arguments })),
		toolCallId: null,
		toolName: null,
		createdAt: Date.now(),
		...(usage === undefined ? {} : { usage }),
	});
	c.broadcast("message", message);
	return { stopped, toolCalls: calls, ...(usage === undefined ? {} : { usage }) };
}

/**
 * The answer's tool calls as the turn journals them and the transcript shows
 * them: ids made unique, and id, name and arguments redacted (a model may
 * echo a secret anywhere). Each is checked here, while the model's own
 * arguments are at hand: they are not journaled.
 */
async function journaledCalls(
	s: AgentSettings,
	toolCalls: readonly ToolCallRequest[],
	budget: AnswerBudget,
): Promise<JournaledCall[]> {
	const refusals = toolCalls.map((call) => budget.refusal(call));
	const calls = uniqueIds(
		toolCalls.map((call) => ({
			...call,
			id: s.redactor.redact(call.id),
			name: s.redactor.redact(call.name),
		})),
	);
	const journaled: JournaledCall[] = [];
	for (const [index, call] of calls.entries()) {
		const refusal = refusals[index];
		journaled.push({
			id: call.id,
			name: call.name,
			arguments: redactArguments(call.arguments, s.redactor),
			check:
				refusal !== undefined
					? { ok: false, reason: refusal }
					: await checkModelCall(s.tools, s.redactor, call.name, call.arguments),
		});
	}
	return journaled;
}

/** Tells a stream left early so, neither waiting for it nor minding how it answers. */
function returnQuietly(iterator: AsyncIterator<unknown>): void {
	try {
		Promise.resolve(iterator.return?.()).catch(() => {});
	} catch {
		// Its return() threw: nothing more to tell it.
	}
}
