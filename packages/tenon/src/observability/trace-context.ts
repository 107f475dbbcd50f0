// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent`
// and `tracestate` values Tenon sends and reads itself, whatever propagator
// the application registered (the API's default propagator does nothing).

import type { Context, SpanContext } from "@opentelemetry/api";
import { activeTracer, otelApi } from "./otel-api.js";

/** The HTTP header (and WebSocket message field) carrying the parent span. */
export const TRACEPARENT = "traceparent";
/** The vendor-specific companion header, passed along unchanged. */
export const TRACESTATE = "tracestate";

const TRACEPARENT_PATTERN = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const INVALID_TRACE_ID = "00000000000000000000000000000000";
const INVALID_SPAN_ID = "0000000000000000";

/** Parses a `traceparent` value; undefined when it is missing or invalid. */
export function parseTraceparent(
	value: string | null | undefined,
): { traceId: string; spanId: string; traceFlags: number } | undefined {
	if (typeof value !== "string" || value.length > 512) return undefined;
	const match = TRACEPARENT_PATTERN.exec(value.trim());
	if (match === null) return undefined;
	const [, version, traceId, spanId, flags, rest] = match as unknown as [
		string,
		string,
		string,
		string,
		string,
		string | undefined,
	];
	// Version ff is invalid; version 00 has exactly four fields.
	if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
	if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return undefined;
	return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & 0xff };
}

/** Formats a span context as a version 00 `traceparent`. */
export function formatTraceparent(span: SpanContext): string {
	return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

/**
 * The `traceparent` of the active span, when tracing is on and a span is
 * active; undefined otherwise (nothing is sent then, so the wire stays as it
 * was without tracing).
 */
export function activeTraceparent(): string | undefined {
	const otel = otelApi();
	if (otel === undefined) return undefined;
	const span = otel.trace.getSpanContext(otel.context.active());
	if (span === undefined || !otel.trace.isSpanContextValid(span)) return undefined;
	return formatTraceparent(span);
}

/** The active span's `tracestate`, serialized, when it has one. */
export function activeTracestate(): string | undefined {
	const otel = otelApi();
	if (otel === undefined) return undefined;
	const state = otel.trace.getSpanContext(otel.context.active())?.traceState?.serialize();
	return state === undefined || state === "" ? undefined : state;
}

/** Writes the active span's trace headers into `headers` (nothing when tracing is off). */
export function injectTraceHeaders(headers: Headers | Record<string, string>): void {
	if (activeTracer() === undefined) return;
	const parent = activeTraceparent();
	if (parent === undefined) return;
	// A `tracestate` already there (a forwarded request copies the client's) goes with the
	// traceparent it came with: next to this one it would pass the client's vendor data on.
	const state = activeTracestate();
	if (headers instanceof Headers) {
		headers.set(TRACEPARENT, parent);
		if (state !== undefined) headers.set(TRACESTATE, state);
		else headers.delete(TRACESTATE);
	} else {
		headers[TRACEPARENT] = parent;
		if (state !== undefined) headers[TRACESTATE] = state;
		else delete headers[TRACESTATE];
	}
}

/**
 * The context a remote `traceparent` describes (its span is the parent of
 * spans started in it); `fallback` when the value is missing or invalid.
 */
export function remoteContext(
	traceparent: string | null | undefined,
	tracestate: string | null | undefined,
	fallback: Context,
): Context {
	const otel = otelApi();
	const parsed = parseTraceparent(traceparent);
	if (otel === undefined || parsed === undefined) return fallback;
	const span: SpanContext = { ...parsed, isRemote: true };
	if (typeof tracestate === "string" && tracestate !== "" && tracestate.length <= 512)
		span.traceState = otel.createTraceState(tracestate);
	return otel.trace.setSpanContext(otel.ROOT_CONTEXT, span);
}
