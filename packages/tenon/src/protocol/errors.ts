import { brandClass, isInstance } from "../common/brand.js";

/** The JSON shape every error takes on the wire. */
export interface ErrorPayload {
	group: string;
	code: string;
	message: string;
	metadata?: unknown;
}

/** Marks Tenon's errors, whichever copy of Tenon made them (see {@link isInstance}). */
const ACTOR_ERROR = Symbol.for("tenon.ActorError");

/**
 * An error with a stable `group` and `code`, safe to show to callers. The
 * server sends it as `{ group, code, message, metadata }`; the client throws it
 * back as an `ActorError` with the same fields.
 *
 * @example
 * try { await room.sendMessage("hi"); }
 * catch (err) { if (err instanceof ActorError && err.code === "unauthorized") login(); }
 */
export class ActorError extends Error {
	readonly group: string;
	readonly code: string;
	readonly metadata: unknown;

	/** Another copy of Tenon's `ActorError` too (see {@link isInstance}); subclasses as usual. */
	static override [Symbol.hasInstance](value: unknown): boolean {
		// biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of `instanceof`, a subclass too.
		return isInstance(this, ActorError, ACTOR_ERROR, value);
	}

	constructor(group: string, code: string, message: string, metadata?: unknown) {
		super(message);
		this.name = "ActorError";
		this.group = group;
		this.code = code;
		this.metadata = metadata;
	}

	/** The wire form of this error. */
	toPayload(): ErrorPayload {
		const payload: ErrorPayload = { group: this.group, code: this.code, message: this.message };
		if (this.metadata !== undefined) payload.metadata = this.metadata;
		return payload;
	}
}

brandClass(ActorError, ACTOR_ERROR);

/** Options for {@link UserError}. */
export interface UserErrorOptions {
	/** A stable machine-readable code. Defaults to `user_error`. */
	code?: string;
	/** Extra data sent to the client as-is. */
	metadata?: unknown;
}

/**
 * An error thrown by actor code that the caller is meant to see. It reaches the
 * client intact (group `user`), unlike other errors, which are sanitized.
 *
 * @example
 * if (!params?.token) throw new UserError("no token", { code: "unauthorized" });
 */
export class UserError extends ActorError {
	constructor(message: string, options: UserErrorOptions = {}) {
		// An empty code reached callers as `user/` (a walkthrough, 2026-11-27).
		super("user", options.code || "user_error", message, options.metadata);
		this.name = "UserError";
	}
}

/** The catalog of errors the framework itself raises, by group. */
export const errors = {
	actorNotFound: (metadata?: unknown) =>
		new ActorError("actor", "not_found", "The actor does not exist or was destroyed", metadata),
	handlerNotFound: (hook: string) =>
		new ActorError("actor", "handler_not_found", `The actor has no ${hook} handler`, { hook }),
	/** Presence or the shared state asked of an actor that has none (not an auth refusal). */
	notShared: (feature: "state" | "presence", eventName: string) =>
		new ActorError(
			"actor",
			"not_shared",
			feature === "state"
				? "This actor shares no state (`shareState`)"
				: "This actor has no presence (`presence`)",
			{ eventName },
		),
	actionNotFound: (name: string) =>
		new ActorError("actor", "action_not_found", `The actor has no action named '${name}'`, {
			name,
		}),
	actionTimedOut: (name: string, timeoutMs: number) =>
		new ActorError(
			"actor",
			"action_timed_out",
			`Action '${name}' did not finish within ${timeoutMs} ms`,
			{
				name,
				timeoutMs,
			},
		),
	duplicateKey: (name: string, key: readonly string[]) =>
		new ActorError("actor", "duplicate_key", `An actor '${name}' with this key already exists`, {
			name,
			key,
		}),
	unknownActorName: (name: string) =>
		new ActorError("actor", "not_found", `No actor named '${name}' is registered`, { name }),
	actorStopping: () =>
		new ActorError(
			"actor",
			"stopping",
			"The actor is going to sleep and did not run the call; retry it",
		),
	actorStopped: () =>
		new ActorError(
			"actor",
			"stopped",
			"The actor stopped before it could answer; the call may or may not have run",
		),
	malformed: (reason: string) =>
		new ActorError("request", "malformed", `Malformed message: ${reason}`),
	invalid: (reason: string) => new ActorError("request", "invalid", `Invalid request: ${reason}`),
	invalidKey: (reason: string) =>
		new ActorError("request", "invalid_key", `Invalid actor key: ${reason}`),
	invalidQuery: (reason: string) =>
		new ActorError("request", "invalid_query", `Invalid gateway query: ${reason}`),
	unsupportedEncoding: (value: string) =>
		new ActorError(
			"request",
			"unsupported_encoding",
			`Unsupported encoding '${value}' (use json, cbor or bare)`,
		),
	routeNotFound: (method: string, path: string) =>
		new ActorError("request", "route_not_found", `No route for ${method} ${path}`),
	methodNotAllowed: (method: string, path: string) =>
		new ActorError("request", "method_not_allowed", `Method ${method} is not allowed on ${path}`),
	expectationFailed: () =>
		new ActorError(
			"request",
			"expectation_failed",
			"The only Expect header this server meets is 100-continue",
		),
	bodyTooSlow: (minBytesPerSecond: number, when = "") =>
		new ActorError(
			"request",
			"body_too_slow",
			`The request body arrived slower than ${minBytesPerSecond} bytes per second${when ? ` ${when}` : ""}`,
		),
	bodyFragmented: () =>
		new ActorError(
			"request",
			"body_fragmented",
			"The request body arrived in too many chunks for its size (see docs/security.md)",
		),
	incomingTooLong: (what: string, limit: number) =>
		new ActorError("message", "incoming_too_long", `${what} exceeds the limit of ${limit} bytes`, {
			limit,
		}),
	outgoingTooLong: (what: string, limit: number) =>
		new ActorError("message", "outgoing_too_long", `${what} exceeds the limit of ${limit} bytes`, {
			limit,
		}),
	connParamsTooLong: (limit: number) =>
		new ActorError("request", "conn_params_too_long", `Connection params exceed ${limit} bytes`, {
			limit,
		}),
	invalidArgs: (name: string, issues: unknown) =>
		new ActorError("request", "invalid_args", `Invalid arguments for action '${name}'`, {
			name,
			issues,
		}),
	connParamsRejected: (issues: unknown) =>
		new ActorError(
			"request",
			"conn_params_invalid",
			"Connection params do not match the actor's schema",
			{ issues },
		),
	connParamsInvalid: (reason: string) =>
		new ActorError(
			"request",
			"conn_params_invalid",
			`Connection params are not valid JSON: ${reason}`,
		),
	invalidValue: (path: string, what: string) =>
		new ActorError(
			"request",
			"invalid_value",
			`The value at '${path}' is ${what}; send plain data (objects, arrays, Map, Set, Date, bytes, primitives)`,
			{ path },
		),
	invalidInput: (reason: string) =>
		new ActorError("request", "invalid_input", `Invalid actor input: ${reason}`),
	inputTooLong: (limit: number) =>
		new ActorError("request", "input_too_long", `Actor input exceeds ${limit} bytes`, { limit }),
	hookTimedOut: (hook: string, timeoutMs: number) =>
		new ActorError("actor", "hook_timed_out", `${hook} did not finish within ${timeoutMs} ms`, {
			hook,
			timeoutMs,
		}),
	forbidden: (reason: string, metadata?: unknown) =>
		new ActorError("auth", "forbidden", `Forbidden: ${reason}`, metadata),
	rateLimited: (scope: "address" | "connection", retryAfterMs: number) =>
		new ActorError(
			"limit",
			"rate_limited",
			`Too many requests from this ${scope}; retry after ${retryAfterMs} ms`,
			{ scope, retryAfter: retryAfterMs },
		),
	tooManyConnections: (scope: "actor" | "node" | "address", limit: number) =>
		new ActorError(
			"limit",
			"too_many_connections",
			`This ${scope} has ${limit} open connections already`,
			{ scope, limit },
		),
	tooManySubscriptions: (limit: number) =>
		new ActorError(
			"limit",
			"too_many_subscriptions",
			`A connection may subscribe to at most ${limit} events`,
			{ limit },
		),
	connectionNotFound: () =>
		new ActorError(
			"actor",
			"connection_not_found",
			"The actor does not know this connection (it was closed); connect again",
		),
	connectionOwnerSlept: () =>
		new ActorError(
			"actor",
			"unavailable",
			"The actor went to sleep on its node without answering this action; it may or may not have completed",
		),
	connectionOwnerLost: () =>
		new ActorError(
			"actor",
			"unavailable",
			"The actor's node went away while this action ran; it may or may not have completed",
		),
	tooManyInFlight: (limit: number) =>
		new ActorError(
			"limit",
			"too_many_in_flight",
			`A connection may have at most ${limit} actions in flight; wait for answers first`,
			{ limit },
		),
	tooManyRequests: (limit: number) =>
		new ActorError(
			"limit",
			"too_many_requests",
			`The server is reading ${limit} request bodies (for this client or in all) already; retry shortly`,
			{ limit, retryAfter: 100 },
		),
	overloaded: (limit: number) =>
		new ActorError(
			"limit",
			"overloaded",
			`${limit} actors are awake and busy on this node; retry shortly`,
			{ limit, retryAfter: 1_000 },
		),
	shuttingDown: () => new ActorError("core", "shutting_down", "The server is shutting down"),
	internal: () => new ActorError("core", "internal_error", "An internal error occurred"),
} as const;

/**
 * HTTP status for an error. Follows PROTOCOL.md, extended where a more
 * precise status helps callers (documented in docs/errors.md).
 */
export function httpStatusFor(group: string, code: string): number {
	switch (group) {
		case "auth":
			return code === "unauthorized" ? 401 : 403;
		case "limit":
			return code === "overloaded" ? 503 : 429;
		case "agent":
			if (code === "invalid_prompt" || code === "prompt_too_large" || code === "invalid_message")
				return 400;
			if (code === "rate_limited" || code === "busy") return 429;
			if (code === "no_pending_call") return 409;
			return 500;
		case "queue":
			return code === "dead_lettered" ? 422 : 400;
		case "user":
		case "kv":
		case "schedule":
			return 400;
		case "message":
			return code === "incoming_too_long" ? 400 : 500;
		case "request":
			if (code === "route_not_found") return 404;
			if (code === "method_not_allowed") return 405;
			if (code === "unsupported_content_type" || code === "unsupported_content_encoding")
				return 415;
			if (code === "upgrade_required") return 426;
			if (code === "body_too_slow" || code === "too_slow") return 408;
			if (code === "headers_too_large") return 431;
			if (code === "expectation_failed") return 417;
			return 400;
		case "actor":
			if (
				code === "not_found" ||
				code === "action_not_found" ||
				code === "handler_not_found" ||
				code === "connection_not_found" ||
				code === "not_shared"
			)
				return 404;
			if (code === "action_timed_out") return 408;
			if (code === "call_too_deep") return 508;
			if (code === "duplicate_key") return 409;
			if (code === "invalid_request") return 400;
			if (code === "stopped" || code === "stopping" || code === "unavailable" || code === "moved")
				return 503;
			return 500;
		case "core":
			return code === "shutting_down" ? 503 : 500;
		case "workflow":
			if (code === "replay_invalid") return 400;
			if (code === "replay_not_found") return 404;
			if (code === "replay_refused") return 409;
			return 500;
		case "inspector":
			if (code === "turn_not_found" || code === "timer_not_found" || code === "no_database")
				return 404;
			if (code === "replay_busy") return 409;
			if (code === "read_only") return 403;
			if (code === "timeout") return 408;
			return 400;
		default:
			return 500;
	}
}

/**
 * Environment switch that sends internal error messages to clients
 * (development only): `TENON_EXPOSE_INTERNAL_ERRORS=1`, or RivetKit's
 * `RIVET_EXPOSE_ERRORS=1` for an app ported with its environment.
 */
export function exposeInternalErrorsFromEnv(): boolean {
	if (typeof process === "undefined") return false;
	return (
		process.env.TENON_EXPOSE_INTERNAL_ERRORS === "1" || process.env.RIVET_EXPOSE_ERRORS === "1"
	);
}

/**
 * Turns anything thrown into the payload a caller may see. `ActorError`s pass
 * through; anything else becomes `core/internal_error` unless `exposeInternal`
 * is set, in which case its message is included for debugging.
 */
export function toErrorPayload(error: unknown, exposeInternal: boolean): ErrorPayload {
	if (error instanceof ActorError) return error.toPayload();
	const payload = errors.internal().toPayload();
	if (exposeInternal) {
		payload.message = error instanceof Error ? error.message : String(error);
		if (error instanceof Error && error.stack) payload.metadata = { stack: error.stack };
	}
	return payload;
}

/**
 * Wraps a non-public error as `core/internal_error` (after the caller logged
 * it), keeping its message only when `exposeInternal` is set.
 */
export function toPublicError(error: unknown, exposeInternal: boolean): ActorError {
	if (error instanceof ActorError) return error;
	const payload = toErrorPayload(error, exposeInternal);
	return new ActorError(payload.group, payload.code, payload.message, payload.metadata);
}

/** True for errors whose details must not reach a caller (they are logged instead). */
export function isInternalError(error: unknown): boolean {
	return !(error instanceof ActorError);
}
