// `POST /gateway/{actor}/action/{name}` from the request to the reply, in
// transport-neutral types: the fetch handler (server-core.ts) and the Node
// adapter (node-adapter.ts) both serve action calls through this one
// function, so every check, limit, error and header is the same on both.
// Only how the request is read and the reply written differs (incoming.ts,
// reply.ts, node-incoming.ts).

import { requestIdOf } from "../common/request-id.js";
import { traceGatewayRequest } from "../observability/gateway-spans.js";
import { contentTypeFor, type Encoding, requestEncoding } from "../protocol/encoding.js";
import type { ActorGateway, Caller } from "../runtime/actor-gateway.js";
import { type AccessPolicy, presentedCredential } from "./access.js";
import type { ClientInfo } from "./caller-request.js";
import { type CorsOptions, withCors } from "./cors.js";
import type { DecodeBudget } from "./decode-time.js";
import { type GatewayRequest, parseGatewayRequest } from "./gateway.js";
import { handleAction } from "./gateway-routes.js";
import { type BodyReader, errorReply } from "./http-util.js";
import type { IncomingCall, RequestHead } from "./incoming.js";
import { type Reply, ReplyHeaders } from "./reply.js";
import type { Admitted, RequestGuard } from "./request-guard.js";

const GATEWAY_PREFIX = "/gateway/";

/**
 * True when `path` (under the base path) is an action call's:
 * `/gateway/{actor}/action/...`, the actor segment being everything up to the
 * next slash, as {@link parseGatewayRequest} splits it.
 */
export function isActionPath(path: string): boolean {
	if (!path.startsWith(GATEWAY_PREFIX)) return false;
	const slash = path.indexOf("/", GATEWAY_PREFIX.length);
	return slash !== -1 && path.startsWith("/action/", slash);
}

/** What the action route needs of the server. */
export interface ActionRouteDeps {
	readonly actors: ActorGateway;
	readonly guard: RequestGuard;
	readonly access: AccessPolicy;
	readonly cors: CorsOptions | undefined;
	readonly bodies: BodyReader;
	/** The address whose per-address body limit a request counts against, if any. */
	bodyAddress(admitted: Admitted): string | undefined;
	/** How a body of that address is decoded within its decode time (undefined: not limited). */
	decodeBudget(admitted: Admitted): DecodeBudget | undefined;
	/** Who calls (params, what hooks see of the request, its id). */
	callerOf(
		head: RequestHead,
		webHeaders: () => Headers,
		admitted: Admitted,
		token: string | undefined,
		requestId: string,
	): Caller;
	/** Logs an error that is not an ActorError (a bug, not a refusal). */
	logIfInternal(error: unknown, head: RequestHead, requestId: string): void;
}

/** Serves one action call whose URL path under the base path is `path` (see {@link isActionPath}). */
export type ActionRoute = (
	call: IncomingCall,
	url: URL,
	path: string,
	client: ClientInfo | undefined,
) => Promise<Reply>;

/**
 * The action route over `deps`. The checks run in the order the fetch
 * handler runs them for every route: Host and rate (answered in JSON, without
 * CORS headers), then the gateway URL, the encoding, Origin, content type,
 * client token, connection params, the body and the action; a refusal is
 * answered in the call's encoding, with CORS headers and the request id.
 */
export function createActionRoute(deps: ActionRouteDeps): ActionRoute {
	const { actors, guard, access } = deps;
	const limits = actors.limits;

	async function run(
		call: IncomingCall,
		gateway: GatewayRequest,
		encoding: Encoding,
		admitted: Admitted,
		requestId: string,
	): Promise<Reply> {
		const { head, body } = call;
		guard.checkStateChange(head, admitted);
		guard.checkContentType(head);
		const token = gateway.token ?? presentedCredential(head);
		access.checkClient(token, admitted.internal);
		const caller = deps.callerOf(head, () => call.webHeaders(), admitted, token, requestId);
		const address = deps.bodyAddress(admitted);
		const reply = await handleAction(actors, {
			method: head.method,
			gateway,
			encoding,
			caller,
			readBody: () => deps.bodies.readFrom(head, body, address, admitted),
			decodeBudget: deps.decodeBudget(admitted),
		});
		return {
			status: 200,
			headers: new ReplyHeaders({ "content-type": contentTypeFor(encoding) }),
			body: reply,
		};
	}

	return async (call, url, path, client) => {
		const head = call.head;
		let admitted: Admitted;
		try {
			admitted = guard.admit(head, client);
		} catch (error) {
			actors.requestFailed(error);
			const refused = errorReply(error, "json", actors.exposeInternalErrors);
			refused.headers.set("x-request-id", requestIdOf(head.headers, false));
			return refused;
		}
		const requestId = requestIdOf(head.headers, admitted.trusted);
		let reply: Reply;
		let encoding: Encoding = "json";
		try {
			const gateway = parseGatewayRequest(path, url, limits) as GatewayRequest;
			encoding = requestEncoding(head.headers);
			const parsed = encoding;
			reply = await traceGatewayRequest(head, gateway, actors.known, () =>
				run(call, gateway, parsed, admitted, requestId),
			);
		} catch (error) {
			deps.logIfInternal(error, head, requestId);
			actors.requestFailed(error);
			reply = errorReply(error, encoding, actors.exposeInternalErrors);
		} finally {
			// Answered: the body it read counts no longer (the reply is encoded already).
			deps.bodies.letGo(admitted);
		}
		withCors(deps.cors, head, reply);
		reply.headers.set("x-request-id", requestId);
		return reply;
	};
}
