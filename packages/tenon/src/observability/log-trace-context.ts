// Log lines written while a span is active carry its trace and span ids (`trace_id`, `span_id`,
// as OpenTelemetry's log data model names them), so a line and its trace can be joined: an
// operator's walkthrough, 2026-11-29, found lines with a `requestId` only. Costs a lookup on
// lines that pass their level, nothing when no tracer provider is registered.
import { type LogFields, setLineContext } from "../common/logger.js";
import { tracing } from "./tracing.js";

const INVALID_TRACE_ID = "00000000000000000000000000000000";

function activeTraceFields(): LogFields | undefined {
	const on = tracing();
	if (on === undefined) return undefined;
	const span = on.otel.trace.getSpan(on.otel.context.active());
	if (span === undefined) return undefined;
	const { traceId, spanId } = span.spanContext();
	if (traceId === INVALID_TRACE_ID) return undefined;
	return { trace_id: traceId, span_id: spanId };
}

/** Makes Tenon's loggers add the active span's ids to their lines (once per process). */
export function joinLogsToTraces(): void {
	setLineContext(activeTraceFields);
}
