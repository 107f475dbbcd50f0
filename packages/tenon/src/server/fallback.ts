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
}

/** Serves requests no Tenon route answers: a Response, or undefined for 404. */
export type FallbackHandler = (
	request: Request,
	info: FallbackInfo,
) => Response | undefined | Promise<Response | undefined>;
