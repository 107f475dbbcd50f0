// The port between an agent and its model: what a chat model takes and
// yields. `openAIModel` (openai-model.ts) is one; any object with `stream` is.

import { ActorError } from "../protocol/errors.js";

/** One message of a conversation, as the model sees it. */
export interface ChatMessage {
	role: "system" | "user" | "assistant" | "tool";
	content: string | null;
	/** On `assistant` messages: the tool calls the model asked for. */
	toolCalls?: ToolCallRequest[];
	/** On `tool` messages: the id of the call this message answers. Required there. */
	toolCallId?: string;
	name?: string;
}

/** A tool call the model asked for. */
export interface ToolCallRequest {
	id: string;
	name: string;
	/** The raw JSON text as the model produced it (not validated; may even be empty). */
	arguments: string;
}

/** A tool offered to the model. */
export interface ModelTool {
	name: string;
	description: string;
	/** The arguments' JSON Schema. */
	parameters: object;
}

/** What a model stream yields, in order: text deltas, complete tool calls, then one `done`. */
export type ModelEvent =
	| { type: "text"; delta: string }
	/** Emitted once per call, when its arguments are complete (when the choice finishes). */
	| { type: "tool_call"; call: ToolCallRequest }
	| {
			type: "done";
			/** `stop`, `tool_calls`, `length`, ... or null when the server ended with `[DONE]` alone. */
			finishReason: string | null;
			usage?: { promptTokens: number; completionTokens: number };
	  };

/** A streaming chat model. Each `stream` call is one request; iterate its result once. */
export interface ChatModel {
	stream(request: {
		messages: ChatMessage[];
		tools?: ModelTool[];
		signal?: AbortSignal;
	}): AsyncIterable<ModelEvent>;
}

/** The codes a {@link ModelError} carries. */
export type ModelErrorCode =
	| "model_http_error"
	| "model_bad_stream"
	| "model_stream_cut"
	| "model_output_too_large"
	| "model_timeout";

/**
 * A model request that failed (group `agent`). `model_http_error` carries
 * `metadata.status` (0 when the server could not be reached at all). An abort
 * through the request's signal is not a `ModelError`: it rejects with the
 * signal's reason.
 *
 * @example
 * try { for await (const event of model.stream({ messages })) render(event); }
 * catch (err) { if (err instanceof ModelError && err.code === "model_http_error") retryLater(); }
 */
export class ModelError extends ActorError {
	declare readonly code: ModelErrorCode;

	constructor(code: ModelErrorCode, message: string, metadata?: unknown) {
		super("agent", code, message, metadata);
		this.name = "ModelError";
	}
}
