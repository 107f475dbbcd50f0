import { CLUSTER_HEADERS, NOT_RUN_HEADER } from "../cluster/headers.js";
import { utf8Length } from "../protocol/bytes.js";
import { assertPlainValue, type Encoding, encodedLength } from "../protocol/encoding.js";
import { errors } from "../protocol/errors.js";
import { decodeRequestBody, encodeActionReply, encodeQueueReply } from "../protocol/http-bodies.js";
import { wellFormedStrings } from "../protocol/json-compat.js";
import type { Limits } from "../protocol/limits.js";
import { MAX_ACTION_ARGS } from "../protocol/messages.js";
import type { ActorAddress, ActorGateway, Caller } from "../runtime/actor-gateway.js";
import { bodyAfterAnswer, type StreamedBody, withStreamedBody } from "./body-after-answer.js";
import { type DecodeBudget, decodeWithin, readWithin } from "./decode-time.js";
import type { GatewayRequest } from "./gateway.js";
import { bodyResponse } from "./http-util.js";

/** Parses connection params (JSON), enforcing the size limit and plain data. */
export function parseConnParams(raw: string | null | undefined, limits: Limits): unknown {
	if (raw === null || raw === undefined || raw === "") return undefined;
	if (utf8Length(raw) > limits.maxConnParamsBytes)
		throw errors.connParamsTooLong(limits.maxConnParamsBytes);
	let params: unknown;
	try {
		params = JSON.parse(raw);
	} catch (error) {
		throw errors.connParamsInvalid(error instanceof Error ? error.message : String(error));
	}
	assertPlainValue(params, "params");
	return wellFormedStrings(params, raw);
}

/** One routed gateway request: what the route handlers need besides the actors. */
export interface GatewayCall {
	readonly request: Request;
	readonly gateway: GatewayRequest;
	readonly encoding: Encoding;
	/** Who calls: params and request, established by the server. */
	readonly caller: Caller;
	/** Reads the body within the server's limits (size, concurrent bodies). */
	readBody(request: Request): Promise<Uint8Array>;
	/** The body as a stream within the same limits (see BodyReader.stream). */
	streamBody(body: ReadableStream<Uint8Array>): StreamedBody;
	/** Its address's decode time (server/decode-time.ts): the body is read and decoded within it. */
	readonly decodeBudget?: DecodeBudget | undefined;
}

/** The actor a routed gateway request addresses. */
function addressOf(gateway: GatewayRequest): ActorAddress {
	return { namespace: gateway.namespace, target: gateway.target };
}

function decodeNameSegment(segment: string, what: string, limits: Limits): string {
	let name = segment;
	// Without a `%`, decoding changes nothing (names are plain words, mostly).
	if (segment.includes("%"))
		try {
			name = decodeURIComponent(segment);
		} catch {
			throw errors.invalid(`the ${what} name is not valid URL encoding`);
		}
	if (name === "") throw errors.invalid(`missing ${what} name`);
	// A UTF-16 unit is at most 3 bytes of UTF-8: short names need no count.
	if (name.length * 3 > limits.maxNameBytes && utf8Length(name) > limits.maxNameBytes)
		throw errors.invalid(`${what} name exceeds ${limits.maxNameBytes} bytes`);
	return name;
}

/**
 * One routed `POST /action/{name}`, from whichever transport: the fetch
 * handler and the Node adapter make the same call (see action-route.ts).
 */
export interface ActionCall {
	readonly method: string;
	readonly gateway: GatewayRequest;
	readonly encoding: Encoding;
	readonly caller: Caller;
	/** Reads the body within the server's limits (size, concurrent bodies). */
	readBody(): Promise<Uint8Array>;
	/** Its address's decode time (server/decode-time.ts): the body is read and decoded within it. */
	readonly decodeBudget?: DecodeBudget | undefined;
}

/** The name of a `POST /{kind}/{name}` (its method checked). */
function postedName(
	call: Pick<ActionCall, "method" | "gateway">,
	limits: Limits,
	kind: "action" | "queue",
): string {
	const { method, gateway } = call;
	if (method !== "POST") throw errors.methodNotAllowed(method, gateway.path);
	return decodeNameSegment(gateway.path.slice(`/${kind}/`.length), kind, limits);
}

/** The common part of `POST /{kind}/{name}`: method, name and object body. */
async function decodeNamedPost(
	call: Pick<ActionCall, "method" | "gateway" | "encoding" | "readBody" | "decodeBudget">,
	limits: Limits,
	kind: "action" | "queue",
	checkSize?: (bytes: number) => void,
): Promise<{ name: string; body: Record<string, unknown> }> {
	const name = postedName(call, limits, kind);
	const bytes = await readWithin(call.decodeBudget, call.readBody);
	checkSize?.(bytes.byteLength);
	const body = decodeWithin(call.decodeBudget, () => decodeRequestBody(call.encoding, kind, bytes));
	return { name, body };
}

/** A {@link GatewayCall} (the Web path's) as an {@link ActionCall}. */
export function actionCallOf(call: GatewayCall): ActionCall {
	return {
		method: call.request.method,
		gateway: call.gateway,
		encoding: call.encoding,
		caller: call.caller,
		readBody: () => call.readBody(call.request),
		decodeBudget: call.decodeBudget,
	};
}

/**
 * Encodes a reply body, refusing one over the HTTP limit. The runtime calls it
 * at the end of the reply's own turn, before the output gate: encoding later
 * could show writes of later turns that are not durable yet.
 */
function replyEncoder<T>(
	limits: Limits,
	what: string,
	encodeReply: (value: T) => string | Uint8Array,
): (value: T) => string | Uint8Array {
	return (value) => {
		const encoded = encodeReply(value);
		if (encodedLength(encoded) > limits.maxHttpBodyBytes)
			throw errors.outgoingTooLong(what, limits.maxHttpBodyBytes);
		return encoded;
	};
}

/**
 * `POST /action/{name}` with `{ args: [...] }`: the action's reply, encoded
 * (the caller makes it a response in the call's encoding). Not an `async`
 * function: from the body on, an action answered at once adds no hop.
 */
export function handleAction(actors: ActorGateway, call: ActionCall): Promise<string | Uint8Array> {
	const limits = actors.limits;
	let name: string;
	try {
		name = postedName(call, limits, "action");
	} catch (error) {
		return Promise.reject(error);
	}
	const run = (body: Record<string, unknown>) => {
		// No body, or `{}`: no arguments. A body with other fields and no `args` (a typo such
		// as `{"arg": [5]}`) ran the action with no arguments before 2026-11-27 (a walkthrough).
		const args = body.args ?? (Object.keys(body).length === 0 ? [] : undefined);
		if (!Array.isArray(args))
			throw errors.invalid(
				body.args === undefined
					? "the body must be { args: [...] } (or empty, for no arguments)"
					: "'args' must be an array",
			);
		if (args.length > MAX_ACTION_ARGS)
			throw errors.invalid(`an action takes at most ${MAX_ACTION_ARGS} arguments`);
		const encode = replyEncoder(limits, `The response of '${name}'`, (output: unknown) =>
			encodeActionReply(call.encoding, output),
		);
		return actors.action(addressOf(call.gateway), name, args, call.caller, encode);
	};
	// Read once its address has decode time left (at once on loopback), decoded and run in
	// the same turn.
	return readWithin(call.decodeBudget, call.readBody).then((bytes) =>
		run(decodeWithin(call.decodeBudget, () => decodeRequestBody(call.encoding, "action", bytes))),
	);
}

/**
 * Refuses a queue send whose `Content-Length` is over the send limit, before
 * its body is read (up to 20 MiB were, and in a cluster by the node it
 * entered, to forward it; an audit and a review, 2026-11-27).
 */
export function checkDeclaredQueueSend(actors: ActorGateway, headers: Headers): void {
	const declared = headers.get("content-length");
	if (declared !== null && /^\d+$/.test(declared)) actors.checkQueueSendBody(Number(declared));
}

/** The fields of a queue send's body. */
const QUEUE_SEND_FIELDS: ReadonlySet<string> = new Set(["body", "wait", "timeout", "name"]);

/** `POST /queue/{name}` with `{ body, wait?, timeout? }`. */
export async function handleQueueSend(actors: ActorGateway, call: GatewayCall): Promise<Response> {
	const limits = actors.limits;
	// Its declared length was checked before (server-core's serveGateway, checkDeclaredQueueSend).
	const { name, body } = await decodeNamedPost(actionCallOf(call), limits, "queue", (bytes) =>
		actors.checkQueueSendBody(bytes),
	);
	// What Tenon's and RivetKit's clients send (`name` repeats the path's); anything else is a
	// mistake the sender should hear of: `{ "bdy": 1 }` queued an undefined body (an attacker
	// probe, 2026-11-29), as `{ "arg": [5] }` ran an action with no arguments before.
	for (const field of Object.keys(body))
		if (!QUEUE_SEND_FIELDS.has(field))
			throw errors.invalid(
				`a queue send's body takes body, wait and timeout: '${field.slice(0, 64)}' is not one of them`,
			);
	const wait = body.wait ?? false;
	if (typeof wait !== "boolean") throw errors.invalid("'wait' must be a boolean");
	const timeout = body.timeout ?? undefined;
	if (
		timeout !== undefined &&
		(typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 0)
	) {
		throw errors.invalid("'timeout' must be a number of ms >= 0");
	}
	const encode = replyEncoder(
		limits,
		`The completion of '${name}'`,
		(result: { status: string; response?: unknown }) => encodeQueueReply(call.encoding, result),
	);
	// Every wait ends: at the caller's timeout, at the server's cap, or when the caller goes away.
	const waitMs = Math.min(
		(timeout as number | undefined) ?? limits.maxQueueWaitMs,
		limits.maxQueueWaitMs,
	);
	const reply = await actors.queueSend(
		addressOf(call.gateway),
		name,
		body.body,
		call.caller,
		wait ? { waitMs, signal: call.request.signal } : false,
		encode,
	);
	return bodyResponse(call.encoding, reply);
}

/**
 * `ANY /request/{path}`: the actor's `onRequest` gets the request with the
 * path after `/request`, the query without `rvt-*`, and the original method,
 * headers and (streamed) body. Its response is returned as is.
 */
export async function handleRawRequest(actors: ActorGateway, call: GatewayCall): Promise<Response> {
	const { request, gateway } = call;
	// As the client asked for it (through a cluster hop, not the owner's address).
	const url = new URL(call.caller.request?.url ?? request.url);
	url.pathname = gateway.path.slice("/request".length) || "/";
	url.search = gateway.query;
	// The cluster's own headers are not the actor's to see: on a request a peer
	// forwarded they hold the cluster secret (a handler that echoed or logged
	// its headers gave it away), and a client's copies of them mean nothing.
	const headers = new Headers(request.headers);
	for (const name of CLUSTER_HEADERS) headers.delete(name);
	headers.set("host", url.host);
	// Streamed to the handler within `maxHttpBodyBytes` (a 200 MB upload reached `onRequest`
	// whole before 2026-11-24), taking a body slot and meeting the rate floor as every body.
	const { request: actorRequest, body } = withStreamedBody(
		request,
		call.streamBody,
		actors.limits.maxHttpBodyBytes,
		{ url, headers },
	);
	let response: Response;
	try {
		response = await actors.request(addressOf(gateway), actorRequest, call.caller);
	} catch (error) {
		body?.abandon();
		throw error;
	}
	return bodyAfterAnswer(ownAnswer(response), body);
}

/**
 * An actor's answer without the mark of a node's own refusal: forwarded, it
 * would tell the node it came through that the request never ran, and that
 * node would send it again.
 */
function ownAnswer(response: Response): Response {
	if (!response.headers.has(NOT_RUN_HEADER)) return response;
	const headers = new Headers(response.headers);
	headers.delete(NOT_RUN_HEADER);
	return new Response(response.body, {
		status: response.status,
		statusText: response.statusText,
		headers,
	});
}
