import type { AgentUsage } from "./types.js";

/** Most tokens one call may report: more is no count a model server sends (a ChatModel's bug). */
const MAX_TOKENS = 2 ** 40;

/**
 * The usage a model's `done` event reported, if it is two counts (whole, not negative):
 * anything else from a `ChatModel` (any object may be one) is dropped, never stored.
 */
export function reportedUsage(value: unknown): AgentUsage | undefined {
	if (typeof value !== "object" || value === null) return undefined;
	const { promptTokens, completionTokens } = value as Record<string, unknown>;
	if (!isCount(promptTokens) || !isCount(completionTokens)) return undefined;
	return { promptTokens, completionTokens };
}

function isCount(value: unknown): value is number {
	return (
		typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= MAX_TOKENS
	);
}

/** The sum of two usages; undefined when neither is known. */
export function addUsage(
	total: AgentUsage | undefined,
	more: AgentUsage | undefined,
): AgentUsage | undefined {
	if (more === undefined) return total;
	if (total === undefined) return more;
	return {
		promptTokens: total.promptTokens + more.promptTokens,
		completionTokens: total.completionTokens + more.completionTokens,
	};
}
