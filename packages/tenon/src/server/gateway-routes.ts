import { utf8Length } from "../protocol/bytes.js";
import { decodeValue, type Encoding, encodedLength, encodeValue } from "../protocol/encoding.js";
import { ActorError, errors } from "../protocol/errors.js";
import type { Limits } from "../protocol/limits.js";
import type { ActorInstance } from "../runtime/actor-instance.js";
import type { Runtime } from "../runtime/runtime.js";
import type { GatewayRequest } from "./gateway.js";
import { encodedResponse, readBodyLimited } from "./http-util.js";

/** Parses connection params (JSON), enforcing the size limit. */
export function parseConnParams(raw: string | null | undefined, limits: Limits): unknown {
	if (raw === null || raw === undefined || raw === "") return undefined;
	if (utf8Length(raw) > limits.maxConnParamsBytes)
		throw errors.connParamsTooLong(limits.maxConnParamsBytes);
	try {
		return JSON.parse(raw);
	} catch (error) {
		throw errors.connParamsInvalid(error instanceof Error ? error.message : String(error));
	}
}

/**
 * Runs `call` on the actor. If the actor began to sleep between lookup and
 * call (`actor/stopping`: it refused before running anything), it is retried
 * once on the freshly woken actor.
 */
async function withActor<T>(
	runtime: Runtime,
	gateway: GatewayRequest,
	call: (instance: ActorInstance) => Promise<T>,
): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		const instance = await runtime.host.instanceForTarget(gateway.namespace, gateway.target);
		try {
			return await call(instance);
		} catch (error) {
			const refusedBeforeRunning =
				error instanceof ActorError && error.group === "actor" && error.code === "stopping";
			if (!refusedBeforeRunning || attempt > 0) throw error;
			await instance.stopped;
		}
	}
}

function decodeNameSegment(segment: string, what: string, limits: Limits): string {
	let name: string;
	try {
		name = decodeURIComponent(segment);
	} catch {
		throw errors.invalid(`the ${what} name is not valid URL encoding`);
	}
	if (name === "") throw errors.invalid(`missing ${what} name`);
	if (utf8Length(name) > limits.maxNameBytes)
		throw errors.invalid(`${what} name exceeds ${limits.maxNameBytes} bytes`);
	return name;
}

async function decodeObjectBody(
	request: Request,
	encoding: Encoding,
	limits: Limits,
): Promise<Record<string, unknown>> {
	const raw = await readBodyLimited(request, limits.maxHttpBodyBytes);
	const body = raw.byteLength === 0 ? {} : decodeValue(encoding, raw);
	if (typeof body !== "object" || body === null || Array.isArray(body))
		throw errors.invalid("the body must be an object");
	return body as Record<string, unknown>;
}

/** The common part of `POST /{kind}/{name}`: method, name, conn params and object body. */
async function decodeNamedPost(
	request: Request,
	gateway: GatewayRequest,
	encoding: Encoding,
	limits: Limits,
	kind: "action" | "queue",
): Promise<{ name: string; params: unknown; body: Record<string, unknown> }> {
	if (request.method !== "POST") throw errors.methodNotAllowed(request.method, gateway.path);
	const name = decodeNameSegment(gateway.path.slice(`/${kind}/`.length), kind, limits);
	const params = parseConnParams(request.headers.get("x-rivet-conn-params"), limits);
	const body = await decodeObjectBody(request, encoding, limits);
	return { name, params, body };
}

function answer(encoding: Encoding, value: unknown, limits: Limits, what: string): Response {
	const encoded = encodeValue(encoding, value);
	if (encodedLength(encoded) > limits.maxHttpBodyBytes)
		throw errors.outgoingTooLong(what, limits.maxHttpBodyBytes);
	return encodedResponse(encoding, value);
}

/** `POST /action/{name}` with `{ args: [...] }`. */
export async function handleAction(
	runtime: Runtime,
	request: Request,
	gateway: GatewayRequest,
	encoding: Encoding,
): Promise<Response> {
	const limits = runtime.limits;
	const { name, params, body } = await decodeNamedPost(
		request,
		gateway,
		encoding,
		limits,
		"action",
	);
	const args = body.args ?? [];
	if (!Array.isArray(args)) throw errors.invalid("'args' must be an array");
	const output = await withActor(runtime, gateway, (instance) =>
		instance.httpAction(name, args, params),
	);
	return answer(encoding, { output }, limits, `The response of '${name}'`);
}

/** `POST /queue/{name}` with `{ body, wait?, timeout? }`. */
export async function handleQueueSend(
	runtime: Runtime,
	request: Request,
	gateway: GatewayRequest,
	encoding: Encoding,
): Promise<Response> {
	const limits = runtime.limits;
	const { name, params, body } = await decodeNamedPost(request, gateway, encoding, limits, "queue");
	const wait = body.wait ?? false;
	if (typeof wait !== "boolean") throw errors.invalid("'wait' must be a boolean");
	const timeout = body.timeout ?? undefined;
	if (
		timeout !== undefined &&
		(typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 0)
	) {
		throw errors.invalid("'timeout' must be a number of ms >= 0");
	}
	const result = await withActor(runtime, gateway, (instance) =>
		instance.httpQueueSend(name, body.body, params, wait, timeout as number | undefined),
	);
	return answer(encoding, result, limits, `The completion of '${name}'`);
}

/**
 * `ANY /request/{path}`: the actor's `onRequest` gets the request with the
 * path after `/request`, the query without `rvt-*`, and the original method,
 * headers and (streamed) body. Its response is returned as is.
 */
export async function handleRawRequest(
	runtime: Runtime,
	request: Request,
	gateway: GatewayRequest,
): Promise<Response> {
	const params = parseConnParams(request.headers.get("x-rivet-conn-params"), runtime.limits);
	const url = new URL(request.url);
	url.pathname = gateway.path.slice("/request".length) || "/";
	url.search = gateway.query.toString();
	const hasBody = request.method !== "GET" && request.method !== "HEAD";
	const actorRequest = new Request(url, {
		method: request.method,
		headers: request.headers,
		signal: request.signal,
		...(hasBody ? { body: request.body, duplex: "half" } : {}),
	} as RequestInit);
	return withActor(runtime, gateway, (instance) => instance.handleRequest(actorRequest, params));
}
