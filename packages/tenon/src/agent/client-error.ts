// What clients read of a failed turn: a stable group/code, and a message
// meant for users (an ActorError's, redacted; a model server's status only).
import { cutText } from "../common/text-cut.js";
import type { WorkflowErrorInfo } from "../workflow/errors.js";
import type { AgentSettings } from "./config.js";
import type { AgentErrorInfo } from "./types.js";

/** The turn's error as clients see it: a stable code, the message without secrets. */
export function clientError(info: WorkflowErrorInfo, s: AgentSettings): AgentErrorInfo {
	const group = info.metadata?.group;
	const code = info.metadata?.code;
	// Only an ActorError's message is meant for users; anything else may carry internals.
	if (typeof group !== "string" || typeof code !== "string")
		return { group: "agent", code: "model_failed", message: "The model call failed" };
	// A model server's own words (an HTTP error's body, a refused connection's address, a
	// stream's error) are for operators, in the journal and the log: users saw "upstream db
	// 10.0.0.5:5432 timed out" (a walkthrough, 2026-11-28).
	const shown =
		group === "agent" ? MODEL_SERVER_ERRORS[code]?.(info.metadata?.metadata) : undefined;
	return { group, code, message: shown ?? cutText(s.redactor.redact(info.message), 2_000) };
}

/** What users read of a model server's failure, by code (its details stay server-side). */
const MODEL_SERVER_ERRORS: Record<string, (metadata: unknown) => string> = {
	model_http_error: (metadata) => {
		const status = (metadata as { status?: unknown } | undefined)?.status;
		return typeof status === "number" && status > 0
			? `The model server answered HTTP ${status}`
			: "Could not reach the model server";
	},
	model_bad_stream: () => "The model server sent a stream that could not be read",
};
