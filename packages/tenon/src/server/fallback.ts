import type { Client } from "../client/types.js";
import { ActorError } from "../protocol/errors.js";
import type { OnBehalfOf } from "./caller-request.js";
import type { DecodeBudget } from "./decode-time.js";

// What `start({ fallback })` hands the handler of requests no Tenon route answers.

/** What a fallback handler knows of a request beside it. */
export interface FallbackInfo {
	/** The client's address (through a cluster hop: the original client's). */
	readonly remoteAddress: string | undefined;
	/**
	 * What Tenon's own per-address limits count this client under: the IPv4 address, or the
	 * /64 prefix of an IPv6 one (one subscriber holds a whole /64). Key limits of your own by it.
	 */
	readonly clientKey: string | undefined;
	/**
	 * The client address's decode time (`rateLimits.decodeTime.perAddress`), which Tenon's own
	 * routes charge for parsing and checking what a client sends: `ready()` before reading a
	 * body (waits while the address is in debt, or rejects `limit/rate_limited`), `timed(work)`
	 * to run and charge synchronous work. Undefined where the address is not limited (loopback,
	 * unless `rateLimits.limitLoopback`).
	 */
	readonly decodeTime?: DecodeBudget | undefined;
	/**
	 * A Tenon client whose calls reach this server's actors in-process, made for this
	 * request's client: the actors' hooks see its `remoteAddress` (and `c.request.internal`
	 * false), and its calls count against that address's limits, as if the client had made
	 * them itself. One per request, made on first use and disposed once the handler has
	 * returned its response (finish its calls first); `R` is `typeof registry`. Undefined
	 * where the handler is not a server's fallback. An MCP handler given the `registry`
	 * calls through it.
	 */
	readonly callerClient?: (<R = unknown>() => Client<R>) | undefined;
}

/** Serves requests no Tenon route answers: a Response, or undefined for 404. */
export type FallbackHandler = (
	request: Request,
	info: FallbackInfo,
) => Response | undefined | Promise<Response | undefined>;

/**
 * `FallbackInfo.callerClient` of a request from `remoteAddress`, made once, on first use;
 * `dispose` closes it (what it opened: connections a handler did not close).
 */
export function callerClientOf(
	make: ((onBehalfOf: OnBehalfOf) => unknown) | undefined,
	remoteAddress: string | undefined,
): { callerClient: FallbackInfo["callerClient"]; dispose(): Promise<void> } {
	let client: { dispose(): Promise<void> } | undefined;
	let disposed = false;
	return {
		callerClient:
			make === undefined
				? undefined
				: () => {
						// Asked after the request's end, it would make a client no one disposes (a review).
						if (disposed)
							throw new ActorError(
								"client",
								"disposed",
								"The request's caller client was disposed",
							);
						client ??= make({ remoteAddress }) as { dispose(): Promise<void> };
						// biome-ignore lint/suspicious/noExplicitAny: typed by the caller's `R` (`typeof registry`); the client is the registry's own.
						return client as any;
					},
		dispose: async () => {
			disposed = true;
			await client?.dispose();
		},
	};
}
