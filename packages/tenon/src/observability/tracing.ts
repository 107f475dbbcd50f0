// OpenTelemetry spans of Tenon's work (docs/observability.md, "Traces").
//
// Each helper takes the work as a function and, when tracing is off (the API
// is not installed or no tracer provider is registered), calls it at once:
// the cost is one `activeTracer()` check. When on, the work runs with its
// span as the active context, so spans started inside it (SQL statements,
// actor-to-actor calls) become its children. Active contexts follow async
// code only with a context manager (the Node SDK registers one; see docs).

import type { Attributes, Context, Span, SpanKind, Tracer } from "@opentelemetry/api";
import { cutText } from "../common/text-cut.js";
import { ActorError } from "../protocol/errors.js";
import { DeferredSpan } from "./deferred-span.js";
import {
	activeTracer,
	endSpanSafely,
	type Otel,
	otelApi,
	reportTracingFailure,
	startSpanSafely,
} from "./otel-api.js";
import { describeCall, UNKNOWN_NAME } from "./shown-names.js";
import { MAX_MESSAGE, MAX_STACK, spanText } from "./span-text.js";
import { injectTraceHeaders, remoteContext } from "./trace-context.js";

/** The span names Tenon emits (a detail such as the action name follows after a space). */
export const SPAN_NAMES = {
	httpAction: "tenon.http_action",
	wsAction: "tenon.ws_action",
	turn: "tenon.turn",
	commitWait: "tenon.commit_wait",
	workflowStep: "tenon.workflow.step",
	sql: "tenon.sql",
	actorCall: "tenon.actor_call",
	clusterForward: "tenon.cluster.forward",
	httpQueueSend: "tenon.http_queue_send",
	httpRequest: "tenon.http_request",
} as const;

/** Options of {@link configureTracing}. */
export interface TracingOptions {
	/**
	 * Records each SQL statement's text (`db.query.text`) on `tenon.sql` spans.
	 * Default false: statements may embed values, and only the operation
	 * (`SELECT`, `INSERT`, ...) is recorded.
	 */
	includeSqlText?: boolean;
}

let includeSqlText = false;

/**
 * Configures what Tenon's spans record (process-wide). Tracing itself is on
 * whenever an OpenTelemetry tracer provider is registered.
 *
 * @example
 * configureTracing({ includeSqlText: true });
 */
export function configureTracing(options: TracingOptions): void {
	includeSqlText = options.includeSqlText ?? false;
}

/** Which actor a span is about. */
export interface TracedActor {
	readonly name: string;
	readonly id: string;
	/** Whether the actor has `action`: a name a client sent shows only if it does. */
	hasAction(action: string): boolean;
}

export const KIND_SERVER = 1 as SpanKind.SERVER;
const KIND_CLIENT = 2 as SpanKind.CLIENT;
const STATUS_ERROR = 2;

/** `action` as a span shows it: a name the actor does not have is the client's own. */
function shownAction(actor: TracedActor, action: string): string {
	return actor.hasAction(action) ? action : UNKNOWN_NAME;
}

function actorAttributes(actor: TracedActor, action?: string): Attributes {
	const attributes: Attributes = { "tenon.actor.name": actor.name, "tenon.actor.id": actor.id };
	if (action !== undefined) attributes["tenon.action.name"] = action;
	return attributes;
}

/**
 * Marks a span failed with `error` (its Tenon group and code when it is an ActorError), and
 * with an error status unless `fault` is false (the caller's fault on a server span).
 */
function recordError(span: Span, error: unknown, fault = true): void {
	try {
		if (error instanceof ActorError) {
			span.setAttribute("tenon.error.group", error.group);
			span.setAttribute("tenon.error.code", error.code);
		}
		const message = spanText(String(error instanceof Error ? error.message : error), MAX_MESSAGE);
		if (error instanceof Error) {
			// The stack keeps its lines: only its copy of the message is replaced.
			const stack =
				typeof error.stack === "string"
					? cutText(
							error.stack.replace(String(error.message), () => message),
							MAX_STACK,
						)
					: undefined;
			const code = (error as { code?: unknown }).code;
			span.recordException({
				name: spanText(String(error.name), 128),
				message,
				...(stack === undefined ? {} : { stack }),
				// exception.type: the SDK reads it from `code` first (an ActorError's, a Node one's).
				...(typeof code === "string" ? { code: spanText(code, 128) } : {}),
				...(typeof code === "number" ? { code } : {}),
			});
		}
		if (fault) span.setStatus({ code: STATUS_ERROR, message });
	} catch (failure) {
		// The work's own error is what its caller gets, not the SDK's.
		const otel = otelApi();
		if (otel !== undefined) reportTracingFailure(otel, "recording an error on a span", failure);
	}
}

/**
 * Runs `work` with `span` active in `parent`, ending the span when the work
 * settles. What the SDK throws (a span processor's `onEnd`) is reported, never
 * the work's outcome: the work is done by then.
 */
export function runInSpan<T>(
	otel: Otel,
	span: Span,
	parent: Context,
	work: () => Promise<T>,
	onResult?: (value: T) => void,
	onError?: (error: unknown) => boolean | undefined,
): Promise<T> {
	const failed = (error: unknown) => {
		let fault: boolean | undefined;
		if (onError !== undefined) {
			try {
				fault = onError(error);
			} catch (failure) {
				reportTracingFailure(otel, "recording a span's result", failure);
			}
		}
		recordError(span, error, fault !== false);
		endSpanSafely(otel, span);
	};
	let running: Promise<T>;
	try {
		running = otel.context.with(otel.trace.setSpan(parent, span), work);
	} catch (error) {
		failed(error);
		throw error;
	}
	return running.then(
		(value) => {
			if (onResult !== undefined) {
				try {
					onResult(value);
				} catch (failure) {
					reportTracingFailure(otel, "recording a span's result", failure);
				}
			}
			endSpanSafely(otel, span);
			return value;
		},
		(error: unknown) => {
			failed(error);
			throw error;
		},
	);
}

/** True when a span is active (sub-operations are only recorded inside a trace). */
function hasActiveSpan(otel: Otel): boolean {
	return otel.trace.getSpan(otel.context.active()) !== undefined;
}

/** The tracer and API when tracing is on. */
export function tracing(): { tracer: Tracer; otel: Otel } | undefined {
	const tracer = activeTracer();
	const otel = otelApi();
	return tracer === undefined || otel === undefined ? undefined : { tracer, otel };
}

/** Whether spans are made now (a tracer provider is registered); false costs callers nothing more. */
export function tracingOn(): boolean {
	return activeTracer() !== undefined;
}

/**
 * The parent of a WebSocket action's span, resolved when the span is made. A
 * function of its own: a closure made in traceWsAction would share its scope,
 * and a span waiting for its batch would keep the connection and the message
 * alive through `run` and `whenDurable`.
 */
function remoteParent(otel: Otel, traceparent: string | undefined): () => Context {
	return () => remoteContext(traceparent, undefined, otel.ROOT_CONTEXT);
}

/**
 * An action on a WebSocket connection, a server span from the message's
 * `traceparent` (a new trace without one) to the release of its reply. The
 * span is also the action's turn (the actor is awake while a connection holds
 * it, so nothing but the turn and the commit wait happens in between): the
 * turn makes no `tenon.turn` span of its own, and reports its failure through
 * the `failed` callback `run` receives. `run` queues the reply and returns the
 * output generation it waits for (undefined: none, the reply left at once);
 * `whenDurable` resolves when it is durable.
 *
 * The span is deferred (deferred-span.ts): unless the action reads it (a child
 * span, a call that propagates the trace), it and its commit wait are made
 * after the reply has left, with the times they started, in a batch within
 * RECORD_DELAY_MS (`flushSpans()` records the batch at once).
 */
export function traceWsAction(
	actor: TracedActor,
	asked: string,
	traceparent: string | undefined,
	run: (failed?: (error: unknown) => void) => Promise<number | undefined>,
	whenDurable: (generation: number) => Promise<void>,
): Promise<unknown> {
	const tracer = activeTracer();
	if (tracer === undefined) return run();
	const otel = otelApi() as Otel;
	const action = shownAction(actor, asked);
	const attributes = actorAttributes(actor, action);
	attributes["tenon.transport"] = "websocket";
	const span = new DeferredSpan({
		tracer,
		otel,
		name: `${SPAN_NAMES.wsAction} ${action}`,
		kind: KIND_SERVER,
		attributes,
		parent: remoteParent(otel, traceparent),
		recordError,
	});
	return otel.context
		.with(span.context, run, undefined, (error: unknown) => span.fail(error))
		.then(
			(generation) => {
				if (generation === undefined) {
					span.finish();
					return;
				}
				// The reply leaves once the turn's writes are durable: that wait ends the span.
				const wait = { name: SPAN_NAMES.commitWait, started: performance.now() };
				whenDurable(generation).then(
					() => span.finish(wait),
					(error: unknown) => span.finish(wait, { error }),
				);
			},
			(error: unknown) => {
				span.finish(undefined, { error });
				throw error;
			},
		);
}

/** One action turn of an actor (validation, the action, its response hook). */
export function traceTurn<T>(
	actor: TracedActor,
	asked: string,
	work: () => Promise<T>,
): Promise<T> {
	const on = tracing();
	if (on === undefined) return work();
	const action = shownAction(actor, asked);
	const { tracer, otel } = on;
	const parent = otel.context.active();
	const span = startSpanSafely(
		otel,
		tracer,
		`${SPAN_NAMES.turn} ${action}`,
		{ attributes: actorAttributes(actor, action) },
		parent,
	);
	return span === undefined ? work() : runInSpan(otel, span, parent, work);
}

/** The output gate: waiting for a turn's writes to be durable before answering. */
export function traceCommitWait(wait: () => Promise<void>): Promise<void> {
	const on = tracing();
	if (on === undefined || !hasActiveSpan(on.otel)) return wait();
	const { tracer, otel } = on;
	const parent = otel.context.active();
	const span = startSpanSafely(otel, tracer, SPAN_NAMES.commitWait, {}, parent);
	return span === undefined ? wait() : runInSpan(otel, span, parent, wait);
}

/** One attempt of a workflow step that runs (replayed steps are not traced). */
export function traceWorkflowStep<T>(
	step: { workflowId: string; name: string; attempt: number },
	work: () => Promise<T>,
): Promise<T> {
	const on = tracing();
	if (on === undefined) return work();
	const { tracer, otel } = on;
	const parent = otel.context.active();
	const span = startSpanSafely(
		otel,
		tracer,
		`${SPAN_NAMES.workflowStep} ${step.name}`,
		{
			attributes: {
				"tenon.workflow.id": step.workflowId,
				"tenon.workflow.step.name": step.name,
				"tenon.workflow.step.attempt": step.attempt,
			},
		},
		parent,
	);
	return span === undefined ? work() : runInSpan(otel, span, parent, work);
}

/** The statement's operation: its first keyword (`SELECT`, `INSERT`, `WITH`, ...). */
function sqlOperation(sql: string): string {
	const match = /^\s*([A-Za-z]+)/.exec(sql);
	return match?.[1]?.toUpperCase() ?? "SQL";
}

/** One SQL statement (or script) of an actor's SQLite database, run synchronously. */
export function traceSql<T>(sql: string, run: () => T): T {
	const on = tracing();
	if (on === undefined || !hasActiveSpan(on.otel)) return run();
	const operation = sqlOperation(sql);
	const attributes: Attributes = { "db.system.name": "sqlite", "db.operation.name": operation };
	if (includeSqlText) attributes["db.query.text"] = sql;
	const span = startSpanSafely(on.otel, on.tracer, `${SPAN_NAMES.sql} ${operation}`, {
		attributes,
	});
	if (span === undefined) return run();
	try {
		return run();
	} catch (error) {
		recordError(span, error);
		throw error;
	} finally {
		endSpanSafely(on.otel, span);
	}
}

/**
 * An actor-to-actor call through `c.client()` (a client span); the request
 * carries it as its `traceparent`.
 */
export function traceActorCall(
	request: Request,
	send: (request: Request) => Promise<Response>,
): Promise<Response> {
	const on = tracing();
	if (on === undefined || !hasActiveSpan(on.otel)) return send(request);
	const { tracer, otel } = on;
	const parent = otel.context.active();
	const { name, attributes } = describeCall(request);
	attributes["http.request.method"] = request.method;
	const span = startSpanSafely(
		otel,
		tracer,
		`${SPAN_NAMES.actorCall} ${name}`,
		{ kind: KIND_CLIENT, attributes },
		parent,
	);
	if (span === undefined) return send(request);
	return runInSpan(
		otel,
		span,
		parent,
		() => {
			injectTraceHeaders(request.headers);
			return send(request);
		},
		(response) => span.setAttribute("http.response.status_code", response.status),
	);
}

/**
 * A request forwarded to the node that owns its actor (a client span); call
 * {@link injectTraceHeaders} on the forwarded headers inside `forward`.
 */
export function traceClusterForward(
	target: { address: string; nodeId: string; hops: number },
	forward: () => Promise<Response>,
): Promise<Response> {
	const on = tracing();
	if (on === undefined) return forward();
	const { tracer, otel } = on;
	const parent = otel.context.active();
	const span = startSpanSafely(
		otel,
		tracer,
		SPAN_NAMES.clusterForward,
		{
			kind: KIND_CLIENT,
			attributes: {
				"server.address": target.address,
				"tenon.cluster.node_id": target.nodeId,
				"tenon.cluster.hops": target.hops,
			},
		},
		parent,
	);
	if (span === undefined) return forward();
	return runInSpan(otel, span, parent, forward, (response) =>
		span.setAttribute("http.response.status_code", response.status),
	);
}

/**
 * Runs `work` outside any trace: long-lived work started during a request
 * (an actor's `run` handler) must not make all its spans children of that request.
 */
export function outsideTrace<T>(work: () => T): T {
	const otel = otelApi();
	if (otel === undefined) return work();
	return otel.context.with(otel.ROOT_CONTEXT, work);
}
