// One tool call of a turn, run: with the turn's identity, under a timeout and
// the turn's stop, its result made what the model may read, and its failure
// told to the model and the transcript without the internals it may carry.

import { cutText } from "../common/text-cut.js";
import { untilAborted } from "../common/until-aborted.js";
import { ActorError } from "../protocol/errors.js";
import type { TryStepFailure } from "../workflow/types.js";
import type { AgentSettings } from "./config.js";
import type { AgentActorContext, PromptMessage } from "./declarations.js";
import { redactError } from "./redact-values.js";
import { toolResultText } from "./tool-result.js";
import type { AgentTool } from "./tools.js";

/** Runs a tool with the turn's identity; its result as the model reads it (redacted, capped). */
export async function executeTool(
	c: AgentActorContext,
	s: AgentSettings,
	tool: AgentTool<unknown>,
	input: unknown,
	prompt: PromptMessage,
): Promise<string> {
	const stop = new AbortController();
	const timer = setTimeout(() => stop.abort(toolTimeout(tool)), toolTimeoutMs(tool));
	const onEvicted = (): void => stop.abort(c.abortSignal.reason);
	c.abortSignal.addEventListener("abort", onEvicted, { once: true });
	c.vars.stop = stop;
	try {
		const running = tool.execute(input, {
			actorId: c.actorId,
			conversation: c.key,
			requester: prompt.requester,
			signal: stop.signal,
			client: () => c.client(),
		});
		// Settles when the signal aborts even if the tool ignores it: the step
		// waited for a tool that never settled, past its timeout and any stop,
		// and with it the conversation and the server's shutdown (an attacker
		// probe, 2026-11-26). The abandoned call runs on, and nobody waits for it.
		const value = await untilAborted(Promise.resolve(running), stop.signal);
		// Never throws: the tool ran, so its step must not fail now (a BigInt
		// or a cycle in the result counted a refund that ran as failed, and the
		// model was told so).
		return toolResultText(value, s.redactor, s.maxToolResultChars);
	} catch (error) {
		if (!(error instanceof ActorError) && !c.aborted)
			c.log.warn("agent tool failed", { tool: tool.name, error: redactError(error, s.redactor) });
		throw error;
	} finally {
		clearTimeout(timer);
		c.abortSignal.removeEventListener("abort", onEvicted);
		if (c.vars.stop === stop) c.vars.stop = null;
	}
}

/**
 * Why a tool call failed, as the model and the transcript (every participant)
 * read it: an `ActorError`'s group, code and message (redacted), a timeout as
 * such, anything else as an internal error whose details only the server's
 * log and the journal keep. Before 2026-11-26 any error's message was shown,
 * with the file paths and internals a crashing tool's errors carry.
 */
export function toolFailure(
	failure: TryStepFailure,
	tool: AgentTool<unknown>,
	s: AgentSettings,
): string {
	const { error } = failure;
	const group = error.metadata?.group;
	const code = error.metadata?.code;
	if (typeof group === "string" && typeof code === "string")
		return `${group}/${code}: ${cutText(s.redactor.redact(error.message), 2_000)}`;
	if (failure.kind === "timeout") return `agent/tool_timeout: ${toolTimeout(tool).message}`;
	if (error.name === "StepCrashedError")
		return "agent/tool_crashed: the server stopped each time this tool ran; whether it took effect is not known";
	return "core/internal_error: an internal error (the server's log has its details)";
}

/** How long `tool` may run, in ms: its own `timeoutMs`, else 30 s. */
export function toolTimeoutMs(tool: AgentTool<unknown>): number {
	return tool.timeoutMs ?? 30_000;
}

function toolTimeout(tool: AgentTool<unknown>): ActorError {
	return new ActorError(
		"agent",
		"tool_timeout",
		`the tool did not finish within ${toolTimeoutMs(tool)} ms`,
	);
}
