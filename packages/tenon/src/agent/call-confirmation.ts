// A person's decision on a high-risk tool call: the call is shown to the
// conversation's connections as pending, and the turn waits (a journaled
// loop, so a restart keeps waiting) until a decision, a stop or the deadline.

import { Loop } from "../workflow/flow.js";
import { renderForApproval } from "./approval-display.js";
import type { AgentSettings } from "./config.js";
import type { AgentWorkflow, PromptMessage } from "./declarations.js";
import type { ToolCallRequest } from "./model.js";

/**
 * What came of asking a person to confirm a call: only `approved` runs it.
 * `unattended`: not asked, as an earlier call of the turn went unanswered.
 */
export type Decision = "approved" | "denied" | "timeout" | "stopped" | "unattended";

/** Why a call a person did not approve was not run, as the model and the transcript read it. */
export const DENIALS: Record<Exclude<Decision, "approved">, string> = {
	denied: "not run: the user denied this call",
	timeout: "not run: no one confirmed this call in time",
	stopped: "not run: the turn was stopped",
	unattended:
		"not run: an earlier call in this turn was not confirmed in time, so no one was asked",
};

/**
 * Waits for a person's decision on a high-risk call: the pending call is
 * shared with the connections, and only the `confirm` action (which checks
 * who is deciding) or `stop` put a decision on the `decisions` queue. Nothing
 * the model says counts. No decision before the deadline is a denial.
 */
export async function confirmCall(
	w: AgentWorkflow,
	s: AgentSettings,
	prompt: PromptMessage,
	call: ToolCallRequest,
	input: unknown,
	label: string,
): Promise<Decision> {
	const callId = `${prompt.turnId}.call.${label}`;
	const deadline = await w.step(`ask-${label}`, (c) => {
		const expiresAt = Date.now() + s.confirmTimeoutMs;
		c.state.pending = {
			callId,
			turnId: prompt.turnId,
			tool: call.name,
			// What will run, as checked: the model's text may say otherwise (a key
			// given twice: a person approved the first, the second would run).
			// Rendered faithfully (a Map showed as `{}`, a BigInt failed the turn).
			arguments: renderForApproval(input, s.redactor),
			requester: prompt.requester.id,
			expiresAt,
		};
		if (c.state.turn !== null) c.state.turn.status = "confirming";
		c.broadcast("turn", { turnId: prompt.turnId, status: "confirming", error: null });
		return expiresAt;
	});
	const decision = await w.loop<undefined, Decision>({
		name: `wait-${label}`,
		run: async (lw) => {
			const now = await lw.step("now", () => Date.now());
			const message = await lw.queue.next("decision", {
				names: ["decisions"],
				timeout: Math.max(1, deadline - now),
			});
			if (message === undefined) return Loop.break("timeout");
			// A decision on a call that is no longer pending (it came too late): skip it.
			if (message.body.callId !== callId) return Loop.continue(undefined);
			if (message.body.reason === "stopped") return Loop.break("stopped");
			return Loop.break(message.body.approved ? "approved" : "denied");
		},
	});
	await w.step(`decided-${label}`, (c) => {
		c.state.pending = null;
		if (c.state.turn !== null) c.state.turn.status = "running";
		c.broadcast("turn", { turnId: prompt.turnId, status: "running", error: null });
	});
	return decision;
}
