// An OpenTelemetry SDK for tests: a real tracer provider whose spans go to an
// in-memory exporter, and the async-hooks context manager (what the Node SDK
// registers), so active spans follow async code.
import { context, propagation, type Span, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
	BasicTracerProvider,
	InMemorySpanExporter,
	type ReadableSpan,
	SimpleSpanProcessor,
	type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { flushSpans } from "../../src/observability/deferred-span.js";

/** A registered tracer provider recording finished spans in memory. */
export interface TestTracing {
	readonly exporter: InMemorySpanExporter;
	/** Finished spans so far (those Tenon holds for their batch recorded first). */
	spans(): ReadableSpan[];
	/** Runs `work` in a new active span (the test's "client" span), ended after. */
	inSpan<T>(name: string, work: (span: Span) => Promise<T>): Promise<T>;
	/** Unregisters everything (tracing is off again). */
	uninstall(): Promise<void>;
}

/**
 * Registers a tracer provider with an in-memory exporter and an async-hooks
 * context manager; `onStart` hears each span when the SDK starts it.
 */
export function installTracing(onStart?: (span: Span) => void): TestTracing {
	const exporter = new InMemorySpanExporter();
	const processors: SpanProcessor[] = [new SimpleSpanProcessor(exporter)];
	if (onStart !== undefined) {
		processors.push({
			onStart,
			onEnd: () => {},
			forceFlush: async () => {},
			shutdown: async () => {},
		});
	}
	const provider = new BasicTracerProvider({ spanProcessors: processors });
	const contextManager = new AsyncLocalStorageContextManager().enable();
	context.setGlobalContextManager(contextManager);
	trace.setGlobalTracerProvider(provider);
	const tracer = provider.getTracer("test");
	return {
		exporter,
		spans: () => {
			flushSpans();
			return exporter.getFinishedSpans();
		},
		inSpan: (name, work) =>
			tracer.startActiveSpan(name, async (span) => {
				try {
					return await work(span);
				} finally {
					span.end();
				}
			}),
		async uninstall() {
			flushSpans();
			trace.disable();
			context.disable();
			propagation.disable();
			await provider.shutdown();
		},
	};
}

/** The spans whose parent is `parent` (by span id). */
export function childrenOf(spans: readonly ReadableSpan[], parent: ReadableSpan): ReadableSpan[] {
	const id = parent.spanContext().spanId;
	return spans.filter((span) => span.parentSpanContext?.spanId === id);
}

/** The one span whose name is `name` (fails clearly otherwise). */
export function spanNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan {
	const found = spans.filter((span) => span.name === name);
	if (found.length !== 1)
		throw new Error(
			`expected one span named '${name}', found ${found.length} among: ${spans.map((s) => s.name).join(", ")}`,
		);
	return found[0] as ReadableSpan;
}
