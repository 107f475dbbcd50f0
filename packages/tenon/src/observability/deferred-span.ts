// A server span made when it is first needed, so that a traced action's reply
// does not wait for span bookkeeping.
//
// Creating a span with the OpenTelemetry SDK costs about 10 µs (ids, hex,
// timestamps, attribute copies), close to a tenth of a warm action's round
// trip. A WebSocket action's server span has no reader while the action runs
// unless something inside it starts a child span or propagates the trace (an
// SQL statement, an actor-to-actor call, user code reading the active span).
// So the span is recorded as a start time and made with that time:
// - at once, when the action's context is first read for its span;
// - otherwise after the reply has left, together with its commit-wait span.
// The exported spans are the same either way (names, parents, attributes,
// times); only when the SDK sees them changes. The API has no lazy span, hence
// this class: a `Context` whose span key is resolved on first read.
//
// `finish()` goes one step further: it notes the end time and leaves the SDK
// calls to a batch that runs within RECORD_DELAY_MS, off every request's
// path. One span at a time, amid a request's other work, the SDK's code runs
// cold: about 15 to 20 µs a span in a server's profile, against 2 µs in a
// loop. Work after the reply is not free either: on a 2-core machine the next
// request arrives while it runs. Batched, the same spans cost a few µs each.
// `flushSpans()` records the batch at once (tests, shutdown).

import type { Attributes, Context, Span, SpanKind, Tracer } from "@opentelemetry/api";
import { type Otel, reportTracingFailure } from "./otel-api.js";

/** The API's span key: `createContextKey` is `Symbol.for` of this description. */
const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");

let spanKeyChecked: boolean | undefined;

/** How long a finished span may wait for its batch (ms). */
export const RECORD_DELAY_MS = 50;
/** Actions whose spans wait; the one that reaches it records the batch at once (bounds memory). */
const MAX_PENDING = 1024;

/** Finished spans not yet made (oldest first). */
let pending: DeferredSpan[] = [];
/** Runs the batch of `pending` (set while it is not empty). */
let batchTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Records the spans Tenon has finished but not yet handed to the SDK: an
 * action on a WebSocket connection ends its spans when its reply leaves and
 * records them in a batch about 50 ms later. Call it before reading an
 * in-memory exporter in a test, and before shutting the SDK down; a server's
 * `close()` calls it once its connections are closed.
 *
 * @example
 * await conn.increment();
 * flushSpans();
 * expect(exporter.getFinishedSpans()).toHaveLength(2);
 */
export function flushSpans(): void {
	if (batchTimer !== undefined) clearTimeout(batchTimer);
	batchTimer = undefined;
	while (pending.length > 0) {
		const batch = pending;
		pending = [];
		for (const span of batch) {
			try {
				span.recordFinished();
			} catch {
				// recordFinished reports its own failures; a diag logger that throws loses one span.
			}
		}
	}
}

/** True when `otel` stores spans under {@link SPAN_KEY} (checked once). */
function spanKeyHolds(otel: Otel): boolean {
	if (spanKeyChecked === undefined) {
		const marker = otel.trace.wrapSpanContext({
			traceId: "0af7651916cd43dd8448eb211c80319c",
			spanId: "b7ad6b7169203331",
			traceFlags: 0,
		});
		spanKeyChecked = otel.trace.setSpan(otel.ROOT_CONTEXT, marker).getValue(SPAN_KEY) === marker;
	}
	return spanKeyChecked;
}

/** What a deferred span is made of, and a function that marks a span failed. */
export interface DeferredSpanOptions {
	readonly tracer: Tracer;
	readonly otel: Otel;
	readonly name: string;
	readonly kind: SpanKind;
	readonly attributes: Attributes;
	/** The parent, resolved when the span is made (parsing a traceparent is deferred too). */
	readonly parent: () => Context;
	readonly recordError: (span: Span, error: unknown) => void;
}

/** A span started now and made on first need (see the file's comment). */
export class DeferredSpan {
	readonly #options: DeferredSpanOptions;
	readonly #started = performance.now();
	/** The context to run the work in: reading its span makes the span. */
	readonly context: Context;
	#parent: Context | undefined;
	#span: Span | undefined;
	#spanContext: Context | undefined;
	#errors: unknown[] | undefined;
	/**
	 * `Date.now() - performance.now()` when the span was made: every time this
	 * span and its child are given is an epoch time on this one anchor. Given
	 * `performance.now()` times, the SDK anchors each span on its own
	 * `Date.now()` (whole milliseconds), so a child could end up to 1 ms after
	 * its parent although both ended at the same instant.
	 */
	#anchor = 0;
	/** What `finish` noted, until the batch records it. */
	#finished:
		| {
				wait: { name: string; started: number } | undefined;
				failure: { error: unknown } | undefined;
				ended: number;
		  }
		| undefined;

	constructor(options: DeferredSpanOptions) {
		this.#options = options;
		this.context = spanKeyHolds(options.otel) ? new LazySpanContext(this) : this.spanContext();
	}

	/** The parent context (resolved once). */
	parent(): Context {
		this.#parent ??= this.#options.parent();
		return this.#parent;
	}

	/** The span, made now (with the start time it was given) if it was not yet. */
	span(): Span {
		if (this.#span !== undefined) return this.#span;
		const { tracer, otel, name, kind, attributes, recordError } = this.#options;
		this.#anchor = Date.now() - performance.now();
		const options = { kind, attributes, startTime: this.#anchor + this.#started };
		let span: Span;
		try {
			span = tracer.startSpan(name, options, this.parent());
		} catch (error) {
			// Read from inside the action (its SQL, `getActiveSpan()`): a processor that throws
			// failed the action. A span that records nothing, in the parent's trace, stands in.
			reportTracingFailure(otel, "starting a span", error);
			const parent = otel.trace.getSpanContext(this.parent()) ?? otel.INVALID_SPAN_CONTEXT;
			span = otel.trace.wrapSpanContext(parent);
		}
		this.#span = span;
		for (const error of this.#errors ?? []) recordError(span, error);
		this.#errors = undefined;
		return span;
	}

	/** A context with the span made, for whatever reads it. */
	spanContext(): Context {
		this.#spanContext ??= this.#options.otel.trace.setSpan(this.parent(), this.span());
		return this.#spanContext;
	}

	/** Marks the span failed (now if it is made, else when it is). */
	fail(error: unknown): void {
		if (this.#span !== undefined) this.#options.recordError(this.#span, error);
		else {
			this.#errors ??= [];
			this.#errors.push(error);
		}
	}

	/**
	 * Ends the span now, and leaves making it (and its wait child) to the next
	 * batch of {@link flushSpans} (within RECORD_DELAY_MS). Arguments as {@link end}.
	 */
	finish(wait?: { name: string; started: number }, failure?: { error: unknown }): void {
		this.#finished = { wait, failure, ended: performance.now() };
		pending.push(this);
		if (pending.length >= MAX_PENDING) flushSpans();
		else if (pending.length === 1) {
			batchTimer = setTimeout(flushSpans, RECORD_DELAY_MS);
			// Pending spans do not keep a process alive (a server's close flushes them).
			(batchTimer as { unref?: () => void }).unref?.();
		}
	}

	/** Records what {@link finish} noted. */
	recordFinished(): void {
		const finished = this.#finished;
		if (finished === undefined) return;
		this.#finished = undefined;
		try {
			this.end(finished.wait, finished.failure, finished.ended);
		} catch (error) {
			// A span processor that throws loses its span, not the rest of the batch.
			this.#options.otel.diag.error("tenon: recording a span failed", error);
		}
	}

	/**
	 * Ends the span now. With `wait`, a child span covers the wait from
	 * `wait.started` (a `performance.now()` time) to now; `failure` marks it
	 * and the span failed.
	 */
	end(
		wait?: { name: string; started: number },
		failure?: { error: unknown },
		ended: number = performance.now(),
	): void {
		const span = this.span();
		const now = this.#anchor + ended;
		try {
			if (wait !== undefined) {
				const { tracer, recordError } = this.#options;
				const startTime = this.#anchor + wait.started;
				const child = tracer.startSpan(wait.name, { startTime }, this.spanContext());
				if (failure !== undefined) recordError(child, failure.error);
				child.end(now);
			}
		} finally {
			// A processor that throws on the child still gets the span.
			if (failure !== undefined) this.#options.recordError(span, failure.error);
			span.end(now);
		}
	}
}

/**
 * The context a deferred span's work runs in: its span key makes the span;
 * other keys read the parent's values without making it.
 */
class LazySpanContext implements Context {
	readonly #owner: DeferredSpan;

	constructor(owner: DeferredSpan) {
		this.#owner = owner;
	}

	getValue(key: symbol): unknown {
		return key === SPAN_KEY ? this.#owner.span() : this.#owner.parent().getValue(key);
	}

	setValue(key: symbol, value: unknown): Context {
		return this.#owner.spanContext().setValue(key, value);
	}

	deleteValue(key: symbol): Context {
		return this.#owner.spanContext().deleteValue(key);
	}
}
