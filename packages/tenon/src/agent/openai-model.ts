import { createParser, type ParseError } from "eventsource-parser";
import {
	type ChatMessage,
	type ChatModel,
	ModelError,
	type ModelEvent,
	type ModelTool,
} from "./model.js";
import { CompletionState, dropProtoKeys, errorText, preview } from "./openai-chunks.js";

/** Options for {@link openAIModel}. */
export interface OpenAIModelOptions {
	/** The API's base URL, up to and including the version, e.g. `http://127.0.0.1:4010/v1`. */
	baseURL: string;
	/** Sent as `Authorization: Bearer <apiKey>`. */
	apiKey?: string;
	model: string;
	/** The fetch to use. Default: the global `fetch`. */
	fetch?: typeof fetch;
	/** Extra request headers (they override the defaults). */
	headers?: Record<string, string>;
	temperature?: number;
	/**
	 * Most UTF-8 bytes of output (text, tool call ids, names and arguments) one
	 * stream may produce before it fails with `model_output_too_large`. Default 1 MiB.
	 */
	maxOutputBytes?: number;
	/**
	 * Most bytes the server may send on one stream, framing included (a server
	 * can send endless empty chunks or comments). Default 64 MiB.
	 */
	maxStreamBytes?: number;
	/**
	 * Most tool calls in one answer; past it the model call fails
	 * (`model_output_too_large`). Default 256: above an agent's own default
	 * `maxToolCalls` (128), which cuts such an answer instead (`truncated`).
	 */
	maxToolCalls?: number;
	/** Time for the whole request, stream included (ms). Default 120 000; `Infinity` for none. */
	timeoutMs?: number;
}

const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
const DEFAULT_MAX_STREAM_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_TOOL_CALLS = 256;
const DEFAULT_TIMEOUT_MS = 120_000;
/** How much of an error answer's body is read for its message. */
const ERROR_BODY_LIMIT = 4096;
/**
 * Longest an error answer's body is read (ms); the status is the error, the
 * body only its message. Read until the request's own timeout, a body that
 * stalled turned a 500 into `model_timeout` minutes later (an attacker probe,
 * 2026-11-28).
 */
const ERROR_BODY_MS = 2_000;
/** Room for one chunk's JSON framing beyond its share of the output. */
const EVENT_OVERHEAD_CHARS = 64 * 1024;

interface ModelSettings {
	url: string;
	model: string;
	fetch: typeof fetch;
	headers: Record<string, string>;
	temperature: number | undefined;
	maxOutputBytes: number;
	maxStreamBytes: number;
	maxToolCalls: number;
	timeoutMs: number;
}

/**
 * A {@link ChatModel} for any OpenAI-compatible `/chat/completions` endpoint
 * (OpenAI, vLLM, llama.cpp, Ollama, LiteLLM, ...), streaming over Server-Sent
 * Events. Everything the server sends is treated as untrusted: sizes are
 * capped, JSON is checked, unknown fields are ignored. Stopping the iteration
 * early aborts the request.
 *
 * @example
 * const model = openAIModel({ baseURL: "https://api.openai.com/v1", apiKey, model: "gpt-4.1-mini" });
 * for await (const event of model.stream({ messages: [{ role: "user", content: "Hi" }] })) {
 *   if (event.type === "text") process.stdout.write(event.delta);
 * }
 */
export function openAIModel(options: OpenAIModelOptions): ChatModel {
	const settings = resolveSettings(options);
	return { stream: (request) => streamCompletion(settings, request) };
}

function resolveSettings(options: OpenAIModelOptions): ModelSettings {
	try {
		new URL(options.baseURL);
	} catch {
		throw new TypeError(`openAIModel: baseURL '${options.baseURL}' is not an absolute URL`);
	}
	if (typeof options.model !== "string" || options.model === "")
		throw new TypeError("openAIModel: model must be a non-empty string");
	const positive = (name: string, value: number | undefined, fallback: number): number => {
		if (value === undefined) return fallback;
		if (!(value > 0)) throw new TypeError(`openAIModel: ${name} must be a positive number`);
		return value;
	};
	const headers: Record<string, string> = {
		"content-type": "application/json",
		accept: "text/event-stream",
	};
	if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
	for (const [name, value] of Object.entries(options.headers ?? {}))
		headers[name.toLowerCase()] = value;
	return {
		url: `${options.baseURL.replace(/\/+$/, "")}/chat/completions`,
		model: options.model,
		fetch: options.fetch ?? globalThis.fetch,
		headers,
		temperature: options.temperature,
		maxOutputBytes: positive("maxOutputBytes", options.maxOutputBytes, DEFAULT_MAX_OUTPUT_BYTES),
		maxStreamBytes: positive("maxStreamBytes", options.maxStreamBytes, DEFAULT_MAX_STREAM_BYTES),
		maxToolCalls: positive("maxToolCalls", options.maxToolCalls, DEFAULT_MAX_TOOL_CALLS),
		timeoutMs: positive("timeoutMs", options.timeoutMs, DEFAULT_TIMEOUT_MS),
	};
}

/** The request body in OpenAI's wire format. */
function requestBody(
	settings: ModelSettings,
	messages: readonly ChatMessage[],
	tools: readonly ModelTool[] | undefined,
): string {
	const body: Record<string, unknown> = {
		model: settings.model,
		messages: messages.map(wireMessage),
		stream: true,
		stream_options: { include_usage: true },
	};
	// OpenAI refuses an empty `tools` array, so none means the field is left out.
	if (tools !== undefined && tools.length > 0)
		body.tools = tools.map((tool) => ({
			type: "function",
			function: { name: tool.name, description: tool.description, parameters: tool.parameters },
		}));
	if (settings.temperature !== undefined) body.temperature = settings.temperature;
	return JSON.stringify(body);
}

function wireMessage(message: ChatMessage): Record<string, unknown> {
	const role = message.role;
	const wire: Record<string, unknown> = { role, content: message.content };
	if (message.name !== undefined) wire.name = message.name;
	switch (role) {
		case "system":
		case "user":
			return wire;
		case "assistant":
			if (message.toolCalls !== undefined && message.toolCalls.length > 0)
				wire.tool_calls = message.toolCalls.map((call) => ({
					id: call.id,
					type: "function",
					function: { name: call.name, arguments: call.arguments },
				}));
			return wire;
		case "tool":
			if (typeof message.toolCallId !== "string")
				throw new TypeError("A `tool` message needs the toolCallId of the call it answers");
			wire.tool_call_id = message.toolCallId;
			return wire;
		default: {
			const unknownRole: never = role;
			throw new TypeError(`Unknown chat message role '${String(unknownRole)}'`);
		}
	}
}

/** Why a stream stopped before its end, when it was not the server's doing. */
type StopCause = "signal" | "timeout";

async function* streamCompletion(
	settings: ModelSettings,
	request: { messages: ChatMessage[]; tools?: ModelTool[]; signal?: AbortSignal },
): AsyncGenerator<ModelEvent, void, undefined> {
	const signal = request.signal;
	signal?.throwIfAborted();
	const body = requestBody(settings, request.messages, request.tools);
	const controller = new AbortController();
	let stopCause: StopCause | undefined;
	const stopError = (): unknown => {
		if (stopCause === "signal") return signal?.reason;
		if (stopCause === "timeout")
			return new ModelError(
				"model_timeout",
				`The model did not finish within ${settings.timeoutMs} ms`,
				{ timeoutMs: settings.timeoutMs },
			);
		return undefined;
	};
	const onAbort = (): void => {
		stopCause ??= "signal";
		controller.abort(signal?.reason);
	};
	signal?.addEventListener("abort", onAbort, { once: true });
	const timer = Number.isFinite(settings.timeoutMs)
		? setTimeout(() => {
				stopCause ??= "timeout";
				controller.abort(stopError());
			}, settings.timeoutMs)
		: undefined;
	let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
	// Cancelling the reader as well settles a pending read even with a custom
	// fetch that ignores the signal once the headers are in.
	controller.signal.addEventListener("abort", () => cancelQuietly(reader), { once: true });
	try {
		let response: Response;
		try {
			response = await settings.fetch(settings.url, {
				method: "POST",
				headers: settings.headers,
				body,
				signal: controller.signal,
				// Not followed: fetch sent the whole request (system prompt, transcript) and the
				// `headers` option's credentials (`api-key`; it drops only `Authorization`) to any
				// origin a redirect named, and read that origin's stream as the model's answer (an
				// attacker probe, 2026-11-29).
				redirect: "manual",
			});
		} catch (error) {
			throw (
				stopError() ??
				new ModelError("model_http_error", `Could not reach the model server: ${describe(error)}`, {
					status: 0,
				})
			);
		}
		if (response.status >= 300 && response.status < 400) {
			cancelQuietly(response.body?.getReader());
			throw (
				stopError() ??
				new ModelError(
					"model_http_error",
					`The model server answered with a redirect (HTTP ${response.status}), which is not followed: set baseURL to the endpoint itself`,
					{ status: response.status },
				)
			);
		}
		if (!response.ok) {
			const detail = await readErrorDetail(response);
			throw (
				stopError() ??
				new ModelError(
					"model_http_error",
					`The model server answered HTTP ${response.status}${detail === "" ? "" : `: ${detail}`}`,
					{ status: response.status },
				)
			);
		}
		const contentType = response.headers.get("content-type");
		if (response.body === null || (contentType !== null && !/event-stream/i.test(contentType))) {
			cancelQuietly(response.body?.getReader());
			throw new ModelError(
				"model_bad_stream",
				`The model server answered with ${contentType ?? "no body"} instead of an event stream`,
			);
		}
		reader = response.body.getReader();
		// An abort between the answer and this line found no reader to cancel.
		const stopped = stopError();
		if (stopped !== undefined) throw stopped;
		yield* readEvents(reader, settings, stopError);
	} finally {
		clearTimeout(timer);
		signal?.removeEventListener("abort", onAbort);
		// Ends the request when the consumer stopped early or the stream failed;
		// after a complete stream it only releases the connection.
		controller.abort();
	}
}

/** How long a stream may stay open after its answer finished (for a usage chunk or [DONE]), ms. */
const AFTER_FINISH_MS = 2_000;

/** The next chunk, or the end when none comes within `ms` (the request is then aborted by the caller). */
async function readWithin(
	reader: ReadableStreamDefaultReader<Uint8Array>,
	ms: number,
): Promise<ReadableStreamReadResult<Uint8Array>> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const quiet = new Promise<ReadableStreamReadResult<Uint8Array>>((resolve) => {
		timer = setTimeout(() => resolve({ done: true, value: undefined }), Math.max(0, ms));
	});
	try {
		return await Promise.race([reader.read(), quiet]);
	} finally {
		clearTimeout(timer);
	}
}

async function* readEvents(
	reader: ReadableStreamDefaultReader<Uint8Array>,
	settings: ModelSettings,
	stopError: () => unknown,
): AsyncGenerator<ModelEvent, void, undefined> {
	const completion = new CompletionState(settings);
	const pending: ModelEvent[] = [];
	let failure: unknown;
	const parser = createParser({
		maxBufferSize: settings.maxOutputBytes + EVENT_OVERHEAD_CHARS,
		onEvent: (event) => {
			if (failure !== undefined || completion.sawDone) return;
			try {
				completion.accept(event.data, pending);
			} catch (error) {
				failure = error;
			}
		},
		onError: (error: ParseError) => {
			// Unknown fields and bad `retry` values are harmless; only an event
			// too large to be a real chunk ends the stream.
			if (error.type === "max-buffer-size-exceeded")
				failure ??= new ModelError(
					"model_output_too_large",
					`One event of the stream exceeds ${settings.maxOutputBytes} bytes of output`,
					{ limit: settings.maxOutputBytes },
				);
		},
	});
	const decoder = new TextDecoder();
	let streamBytes = 0;
	let endsWithNewline = false;
	// Events parsed before a failure are still delivered, then the failure is thrown.
	const feed = (text: string): void => {
		if (text === "" || failure !== undefined) return;
		endsWithNewline = /[\r\n]$/.test(text);
		parser.feed(text);
	};
	/** When the answer was complete: one deadline for what may follow (keep-alive comments do not extend it). */
	let finishedAt: number | undefined;
	for (;;) {
		let chunk: ReadableStreamReadResult<Uint8Array>;
		try {
			// Once the answer is complete, only a usage chunk or [DONE] may follow:
			// a server that keeps the stream open after it does not cost the answer.
			if (completion.finished) finishedAt ??= performance.now();
			chunk =
				finishedAt === undefined
					? await reader.read()
					: await readWithin(reader, finishedAt + AFTER_FINISH_MS - performance.now());
		} catch (error) {
			const stopped = stopError();
			if (stopped !== undefined) throw stopped;
			// The answer is complete once the choice finished; a connection torn
			// down before the usage chunk or `[DONE]` loses nothing the caller needs.
			if (completion.finished) break;
			throw new ModelError(
				"model_stream_cut",
				`The model stream broke off before it finished: ${describe(error)}`,
			);
		}
		const stopped = stopError();
		if (stopped !== undefined) throw stopped;
		if (chunk.done) {
			feed(decoder.decode());
			// An event whose last line arrived but whose blank line did not is
			// complete; one cut mid-line is not and is dropped (then the stream
			// counts as cut, below).
			if (endsWithNewline) feed("\n");
			yield* drain(pending, stopError);
			if (failure !== undefined) throw failure;
			break;
		}
		streamBytes += chunk.value.byteLength;
		if (streamBytes > settings.maxStreamBytes)
			throw new ModelError(
				"model_output_too_large",
				`The model stream exceeds ${settings.maxStreamBytes} bytes`,
				{ limit: settings.maxStreamBytes },
			);
		feed(decoder.decode(chunk.value, { stream: true }));
		yield* drain(pending, stopError);
		if (failure !== undefined) throw failure;
		if (completion.sawDone) break;
	}
	if (!completion.finished)
		throw new ModelError(
			"model_stream_cut",
			"The model stream ended before a finish_reason or [DONE]",
		);
	const stopped = stopError();
	if (stopped !== undefined) throw stopped;
	const done: ModelEvent = { type: "done", finishReason: completion.finishReason ?? null };
	if (completion.usage !== undefined) done.usage = completion.usage;
	yield done;
}

/** Yields the queued events, checking before each one that the caller did not stop meanwhile. */
function* drain(pending: ModelEvent[], stopError: () => unknown): Generator<ModelEvent> {
	const events = pending.splice(0);
	for (const event of events) {
		const stopped = stopError();
		if (stopped !== undefined) throw stopped;
		yield event;
	}
}

/** The message of an error answer: `error.message` from a JSON body, else the text itself. */
async function readErrorDetail(response: Response): Promise<string> {
	const body = response.body;
	if (body === null) return "";
	const reader = body.getReader();
	const parts: Uint8Array[] = [];
	let size = 0;
	let timer: ReturnType<typeof setTimeout> | undefined;
	const deadline = new Promise<undefined>((resolve) => {
		timer = setTimeout(() => resolve(undefined), ERROR_BODY_MS);
	});
	try {
		while (size < ERROR_BODY_LIMIT) {
			const next = await Promise.race([reader.read(), deadline]);
			if (next === undefined || next.done) break;
			parts.push(next.value);
			size += next.value.byteLength;
		}
	} catch {
		// A body that breaks off still leaves the status, which is the error.
	} finally {
		clearTimeout(timer);
		cancelQuietly(reader);
	}
	const bytes = new Uint8Array(size);
	let offset = 0;
	for (const part of parts) {
		bytes.set(part, offset);
		offset += part.byteLength;
	}
	const text = new TextDecoder().decode(bytes.subarray(0, ERROR_BODY_LIMIT));
	try {
		return preview(errorText(JSON.parse(text, dropProtoKeys)));
	} catch {
		return preview(text);
	}
}

function describe(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
	return `${error.message}${cause}`;
}

function cancelQuietly(reader: ReadableStreamDefaultReader<Uint8Array> | undefined): void {
	reader?.cancel().catch(() => {
		// The stream is being dropped; a failure to cancel it changes nothing.
	});
}
