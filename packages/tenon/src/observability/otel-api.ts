// The optional `@opentelemetry/api` peer dependency, loaded once, lazily.
//
// Tenon works without it: when the package is not installed (or cannot be
// resolved, as in a browser bundle that did not include it), tracing is off
// and every span helper runs its work directly. When it is installed but no
// tracer provider is registered, tracing is off too, and `activeTracer()` says
// so without creating span objects (the warm action path pays a few property
// reads).

import type * as OtelApi from "@opentelemetry/api";

/** The `@opentelemetry/api` module. */
export type Otel = typeof OtelApi;

/** Tenon's instrumentation scope (the tracer's name). */
export const TRACER_NAME = "tenon";

// A variable specifier: bundlers leave the import alone instead of failing the
// build when the optional package is absent.
const API_MODULE = "@opentelemetry/api";

let otel: Otel | undefined;
let settled = false;

const loading: Promise<void> = import(/* @vite-ignore */ API_MODULE).then(
	(module: Otel & { default?: Otel }) => {
		// The CommonJS build seen through ESM interop has its exports on `default` too.
		otel ??= typeof module.trace === "object" ? module : module.default;
		settled = true;
	},
	() => {
		settled = true;
	},
);

/** Resolves once the API was found (or found missing); instrumented entry points await it once. */
export function tracingReady(): Promise<void> {
	return settled ? Promise.resolve() : loading;
}

/** True once {@link tracingReady} resolved. */
export function tracingSettled(): boolean {
	return settled;
}

/** Uses `api` as the OpenTelemetry API (see `useOpenTelemetry`); throws if it is not one. */
export function setOtelApi(api: unknown): void {
	const candidate = api as Partial<Otel> | null;
	if (
		typeof candidate !== "object" ||
		candidate === null ||
		typeof candidate.trace?.getTracerProvider !== "function" ||
		typeof candidate.context?.active !== "function"
	) {
		throw new TypeError(
			'useOpenTelemetry() takes the @opentelemetry/api module: import * as otel from "@opentelemetry/api"',
		);
	}
	otel = candidate as Otel;
}

/** The API, when installed. */
export function otelApi(): Otel | undefined {
	return otel;
}

interface ProxyProvider extends OtelApi.TracerProvider {
	getDelegate?(): OtelApi.TracerProvider;
	getDelegateTracer?(name: string, version?: string): OtelApi.Tracer | undefined;
}

// The tracer of the provider last seen: asking a provider for a tracer builds a
// key and looks it up each time (about a microsecond per span on the warm path).
let seenProvider: OtelApi.TracerProvider | undefined;
let seenTracer: OtelApi.Tracer | undefined;

/**
 * Tenon's tracer when a tracer provider is registered, else undefined (off).
 * Read on every traced call: a provider registered (or disabled) later takes
 * effect at once.
 */
export function activeTracer(): OtelApi.Tracer | undefined {
	if (otel === undefined) return undefined;
	const provider = otel.trace.getTracerProvider() as ProxyProvider;
	// The API's global provider is a proxy; without a registered delegate it only makes no-op spans.
	const target = provider.getDelegate?.() ?? provider;
	if (target !== seenProvider) {
		seenProvider = target;
		seenTracer =
			typeof provider.getDelegateTracer === "function"
				? provider.getDelegateTracer(TRACER_NAME)
				: provider.getTracer(TRACER_NAME);
	}
	return seenTracer;
}

/**
 * Reports a failure of the SDK (a span processor that throws: the SDK's
 * MultiSpanProcessor does not catch) to the API's diag logger. Tracing never
 * fails the work it traces: a request whose span could not end had already
 * done its work, and a client that saw it fail would run it again.
 */
export function reportTracingFailure(otel: Otel, what: string, error: unknown): void {
	try {
		otel.diag.error(`tenon: ${what} failed`, error);
	} catch {
		// A diag logger that throws as well: the report is lost, the work goes on.
	}
}

/** `tracer.startSpan`, or undefined when the SDK throws (reported; the work then runs untraced). */
export function startSpanSafely(
	otel: Otel,
	tracer: OtelApi.Tracer,
	name: string,
	options: OtelApi.SpanOptions,
	parent?: OtelApi.Context,
): OtelApi.Span | undefined {
	try {
		return tracer.startSpan(name, options, parent);
	} catch (error) {
		reportTracingFailure(otel, "starting a span", error);
		return undefined;
	}
}

/** `span.end(time)`; an SDK that throws is reported, never thrown into the traced work. */
export function endSpanSafely(otel: Otel, span: OtelApi.Span, time?: number): void {
	try {
		span.end(time);
	} catch (error) {
		reportTracingFailure(otel, "ending a span", error);
	}
}
