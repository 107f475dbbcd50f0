import type { ChatMessage } from "./model.js";
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

/** Characters a token stands for in {@link estimatedUsage}: few enough to err towards more tokens. */
const CHARS_PER_TOKEN = 4;

/**
 * What a model call the agent cut (a stop, an answer past `maxAnswerChars`) likely used: the
 * model reports usage only at its stream's end, so a user who stops every answer just before
 * it (or asks for one too long) was counted nothing (an attacker probe, 2026-11-28).
 */
export function estimatedUsage(sent: readonly ChatMessage[], receivedChars: number): AgentUsage {
	let chars = 0;
	for (const message of sent) {
		chars += message.content?.length ?? 0;
		for (const call of message.toolCalls ?? []) chars += call.name.length + call.arguments.length;
	}
	return {
		promptTokens: Math.ceil(chars / CHARS_PER_TOKEN),
		completionTokens: Math.ceil(receivedChars / CHARS_PER_TOKEN),
		estimated: true,
	};
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
		...(total.estimated || more.estimated ? { estimated: true as const } : {}),
	};
}
