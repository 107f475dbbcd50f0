import { randomUUID } from "node:crypto";
import type { ActorQueue } from "../actor/queues.js";
import { cutText } from "../common/text-cut.js";
import { ActorError } from "../protocol/errors.js";
import { StepFailedError } from "../workflow/errors.js";
import type { AgentSettings } from "./config.js";
import type {
	AgentActorContext,
	AgentQueues,
	AgentWorkflow,
	AssistantNote,
} from "./declarations.js";
import { Transcript } from "./transcript.js";

/** The id of the transcript message an {@link AssistantNote} becomes. */
function noteMessageId(turnId: string): string {
	return `${turnId}.note`;
}

/**
 * Adds a message to an agent's conversation as the assistant's, from the
 * agent's own server code: a custom action, or a timer it set
 * (`c.schedule.after(ms, "followUp", ...)`), as the Agents SDK's
 * `saveMessages` does. It waits its turn behind the prompts queued before it
 * (never in the middle of an answer), joins the transcript (redacted, cut to
 * `maxAnswerChars`: a longer text is stored `truncated`), reaches every
 * connection as a `message` event, and the model reads it with the rest of
 * the conversation on the next turn. The model is not called for it.
 *
 * Whoever can make your code call it speaks as the agent: actions are
 * public, so an action that passes a client's text on checks who calls it,
 * and one meant for its timer checks `c.fire` (as below).
 *
 * Durable with the calling action's commit: once that action returns, the
 * message will be added, whatever happens to the server. The text travels
 * on the agent's queue, so it is at most the actor's `maxQueueMessageSize`
 * (64 KiB encoded by default) or the call fails as a too large queue message.
 *
 * @example
 * actions: {
 *   remindLater: (c, minutes: number) => c.schedule.after(minutes * 60_000, "remind"),
 *   remind: (c) => {
 *     if (!c.fire) throw new UserError("only its timer calls this", { code: "forbidden" });
 *     return addAssistantMessage(c, "You asked me to remind you: your order ships today.");
 *   },
 * }
 */
export async function addAssistantMessage(
	c: { readonly queue: Pick<ActorQueue<AgentQueues>, "send"> },
	text: string,
): Promise<{ turnId: string; messageId: string }> {
	if (typeof text !== "string" || text.trim() === "")
		throw new ActorError("agent", "invalid_message", "An assistant message is a non-empty string");
	const turnId = randomUUID();
	// The queue's schema redacts it before it is stored (agentQueuesWith).
	const note: AssistantNote = { kind: "assistant", turnId, text, createdAt: Date.now() };
	await c.queue.send("prompts", note);
	return { turnId, messageId: noteMessageId(turnId) };
}

/**
 * The run loop's turn for a note: a step that stores it (once, whatever replays) and tells
 * the connections. One that fails for good (the database is full) is logged and dropped, as
 * a failed turn ends: it failed the whole conversation for good (a review, 2026-11-28).
 */
export async function runAssistantNote(
	loop: AgentWorkflow,
	note: AssistantNote,
	s: AgentSettings,
): Promise<void> {
	try {
		await loop.step("note", (c) => storeAssistantNote(c, note, s));
	} catch (error) {
		if (!(error instanceof StepFailedError)) throw error;
		await loop.step("note-failed", (c) =>
			c.log.error("agent assistant message not stored", {
				turnId: note.turnId,
				error: cutText(s.redactor.redact(error.error.message), 2_000),
			}),
		);
	}
}

async function storeAssistantNote(
	c: AgentActorContext,
	note: AssistantNote,
	s: AgentSettings,
): Promise<void> {
	const redacted = s.redactor.redact(note.text);
	const content = cutText(redacted, s.maxAnswerChars);
	const message = await new Transcript(c.db).add({
		id: noteMessageId(note.turnId),
		turnId: note.turnId,
		role: "assistant",
		content,
		status: content.length < redacted.length ? "truncated" : "complete",
		author: null,
		toolCalls: null,
		toolCallId: null,
		toolName: null,
		createdAt: note.createdAt,
	});
	c.broadcast("message", message);
}
