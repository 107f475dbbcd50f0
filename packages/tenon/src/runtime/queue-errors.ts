import { ActorError } from "../protocol/errors.js";

/** The errors of `c.queue` and of queue sends (group `queue`; see docs/queues.md). */
export const queueErrors = {
	notFound: (name: string) =>
		new ActorError("queue", "not_found", `The actor has no queue named '${name}'`, { name }),
	full: (limit: number) =>
		new ActorError("queue", "full", `The actor's queues hold ${limit} messages already`, { limit }),
	tooLarge: (size: number, limit: number) =>
		new ActorError(
			"queue",
			"message_too_large",
			`Queue message is ${size} bytes (limit ${limit})`,
			{ size, limit },
		),
	sendTooLarge: (size: number, limit: number) =>
		new ActorError(
			"queue",
			"message_too_large",
			`Queue send body is ${size} bytes (limit ${limit}: 16 times the largest queue message)`,
			{ size, limit },
		),
	invalidMessage: (name: string, issues: unknown) =>
		new ActorError("queue", "invalid_message", `Message does not match queue '${name}'`, {
			name,
			issues,
		}),
	invalidReply: (name: string, issues: unknown) =>
		new ActorError("queue", "invalid_reply", `Completion does not match queue '${name}'`, {
			name,
			issues,
		}),
	invalidOptions: (reason: string) =>
		new ActorError("queue", "invalid_options", `Invalid receive options: ${reason}`),
	deadLettered: (name: string, deliveries: number) =>
		new ActorError(
			"queue",
			"dead_lettered",
			`The message was set aside as a dead letter after ${deliveries} deliveries without being completed`,
			{ name, deliveries },
		),
	alreadyCompleted: () =>
		new ActorError("queue", "already_completed", "The message was already completed"),
};
