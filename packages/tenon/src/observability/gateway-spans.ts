// The server span of a gateway request over HTTP: an action
// (`tenon.http_action`), a queue send (`tenon.http_queue_send`) or a raw
// request to `onRequest` (`tenon.http_request`). Its parent is the request's
// `traceparent`, else the active context (docs/observability.md, "Spans").

import type { Attributes } from "@opentelemetry/api";
import { isActorId } from "../common/ids.js";
import { cutText } from "../common/text-cut.js";
import { httpStatusFor, toErrorPayload } from "../protocol/errors.js";
import { startSpanSafely } from "./otel-api.js";
import { decodedSegment, MAX_URL_PATH, UNKNOWN_NAME } from "./shown-names.js";
import { remoteContext, TRACEPARENT, TRACESTATE } from "./trace-context.js";
import { KIND_SERVER, runInSpan, SPAN_NAMES, tracing } from "./tracing.js";

/** What a traced request's span reads of it (a Web `Request` has this shape). */
export interface TracedRequest {
	readonly method: string;
	readonly headers: { get(name: string): string | null };
}

/** The gateway request as the server parsed it: the path under the actor and its target. */
export interface TracedGatewayRequest {
	readonly path: string;
	readonly target: { kind: "id"; actorId: string } | { kind: "key"; name: string };
}

/** The registry's names, which client-chosen names are checked against before they show. */
export interface KnownNames {
	/** Whether `name` is a registered actor type. */
	actor(name: string): boolean;
	/** Whether `action` is an action of type `name` (of any type, when undefined). */
	action(name: string | undefined, action: string): boolean;
	/** Whether `queue` is a queue type `name` declares (any type's, when undefined). */
	queue(name: string | undefined, queue: string): boolean;
}

/** Methods a raw request's span names; any other shows as `(unknown)`. */
const HTTP_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** The span's name and what it says of the request, or undefined for a request not traced. */
function describe(
	request: TracedRequest,
	gateway: TracedGatewayRequest,
	known: KnownNames,
): { name: string; attributes: Attributes } | undefined {
	const path = gateway.path;
	const target = gateway.target;
	const actorName = target.kind === "key" ? target.name : undefined;
	// Names a client chose are shown only when the registry has them: any name, of any
	// length, made a span name of its own (as metrics, they share "(unknown)").
	if (path.startsWith("/action/")) {
		const named = decodedSegment(path.slice("/action/".length));
		const action = known.action(actorName, named) ? named : UNKNOWN_NAME;
		return {
			name: `${SPAN_NAMES.httpAction} ${action}`,
			attributes: {
				"tenon.action.name": action,
				"tenon.transport": "http",
				"http.route": "/gateway/{actor}/action/{action}",
			},
		};
	}
	if (path.startsWith("/queue/")) {
		const named = decodedSegment(path.slice("/queue/".length));
		const queue = known.queue(actorName, named) ? named : UNKNOWN_NAME;
		return {
			name: `${SPAN_NAMES.httpQueueSend} ${queue}`,
			attributes: {
				"tenon.queue.name": queue,
				"tenon.transport": "http",
				"http.route": "/gateway/{actor}/queue/{queue}",
			},
		};
	}
	if (path === "/request" || path.startsWith("/request/") || path.startsWith("/request?")) {
		const method = HTTP_METHODS.has(request.method) ? request.method : UNKNOWN_NAME;
		// Bounded, as an actor-to-actor call's: keep secrets out of raw paths.
		const rawPath = path.slice("/request".length).split("?")[0] || "/";
		return {
			name: `${SPAN_NAMES.httpRequest} ${method}`,
			attributes: {
				"url.path": cutText(rawPath, MAX_URL_PATH),
				"http.route": "/gateway/{actor}/request/*",
			},
		};
	}
	return undefined;
}

/**
 * A gateway request over HTTP: an action, a queue send or a raw request is a
 * server span. Other gateway requests (WebSocket upgrades) are not traced here.
 */
export function traceGatewayRequest<R extends { readonly status: number }>(
	request: TracedRequest,
	gateway: TracedGatewayRequest,
	known: KnownNames,
	serve: () => Promise<R>,
): Promise<R> {
	const on = tracing();
	if (on === undefined) return serve();
	const described = describe(request, gateway, known);
	if (described === undefined) return serve();
	const { tracer, otel } = on;
	const parent = remoteContext(
		request.headers.get(TRACEPARENT),
		request.headers.get(TRACESTATE),
		otel.context.active(),
	);
	const attributes: Attributes = { ...described.attributes, "http.request.method": request.method };
	const target = gateway.target;
	// The id is the client's too (any text, as long as a URL): shown only when it is one.
	if (target.kind === "key")
		attributes["tenon.actor.name"] = known.actor(target.name) ? target.name : UNKNOWN_NAME;
	else attributes["tenon.actor.id"] = isActorId(target.actorId) ? target.actorId : UNKNOWN_NAME;
	const span = startSpanSafely(
		otel,
		tracer,
		described.name,
		{ kind: KIND_SERVER, attributes },
		parent,
	);
	if (span === undefined) return serve();
	return runInSpan(
		otel,
		span,
		parent,
		serve,
		(response) => span.setAttribute("http.response.status_code", response.status),
		// What the caller answers for it (errorReply's status): a failed request's span had no
		// status code (an SRE walkthrough, 2026-11-29), so errors could not be split by status.
		(error) => {
			const payload = toErrorPayload(error, false);
			const status = httpStatusFor(payload.group, payload.code);
			span.setAttribute("http.response.status_code", status);
			// OpenTelemetry's HTTP conventions: a server span's status stays unset for a 4xx (the
			// caller's fault), so error rates count the server's failures only; those get
			// `error.type` (Tenon's own codes: few values).
			if (status < 500) return false;
			span.setAttribute("error.type", `${payload.group}/${payload.code}`);
			return true;
		},
	);
}
