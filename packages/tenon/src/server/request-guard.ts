import {
	callDepthOf,
	FORWARDED_FOR_HEADER,
	FORWARDED_INTERNAL_HEADER,
	forwardedHostOf,
	hopsOf,
	MAX_CALL_DEPTH,
	PEER_HEADER,
} from "../cluster/headers.js";
import { ActorError, errors } from "../protocol/errors.js";
import { sameSecret } from "./access.js";
import type { BrowserGuard } from "./browser-guard.js";
import type { ClientInfo } from "./caller-request.js";
import type { RequestHead } from "./incoming.js";
import { addressKey, isLoopbackAddress, type Rate, RateLimiter } from "./rate-limit.js";

/** Rate limits of a server (see docs/security.md). */
export interface RateLimitOptions {
	/** HTTP requests, WebSocket upgrades and messages per client address. `false` turns it off. */
	perAddress?: Rate | false;
	/** Messages per WebSocket connection. `false` turns it off. */
	perConnection?: Rate | false;
	/**
	 * Event-loop time (ms per second, bursts in ms) spent decoding and
	 * checking a connection's frames, per connection and per client address
	 * (`perAddress` skips loopback as the message rate does). Past it, the
	 * server stops reading the socket until the time is regained: frames of
	 * many containers cost far more to decode than their count says. An
	 * address's HTTP bodies share its budget: one is read once the address
	 * has time left (refused with `limit/rate_limited` when that is over 5 s
	 * away). `false` turns one off.
	 */
	decodeTime?: { perConnection?: Rate | false; perAddress?: Rate | false };
	/**
	 * Apply `perAddress` to loopback peers too. Default false: local tools,
	 * tests and a reverse proxy on the same host would share one address.
	 */
	limitLoopback?: boolean;
}

/** The defaults of {@link RateLimitOptions}. */
export const DEFAULT_RATE_LIMITS = Object.freeze({
	perAddress: Object.freeze({ perSecond: 1_000, burst: 2_000 }),
	perConnection: Object.freeze({ perSecond: 1_000, burst: 2_000 }),
	decodeTime: Object.freeze({
		// A tenth of the loop per connection, a quarter per address, as Yjs updates get.
		perConnection: Object.freeze({ perSecond: 100, burst: 500 }),
		perAddress: Object.freeze({ perSecond: 250, burst: 1_000 }),
	}),
	limitLoopback: false,
});

/** What the guard established about a request it let in. */
export interface Admitted {
	/** The client's address (through a cluster hop: the original client's). */
	remoteAddress: string | undefined;
	/**
	 * True for in-process calls and requests forwarded by a cluster peer: the
	 * browser checks were made where the request entered (or do not apply).
	 */
	trusted: boolean;
	/** True for calls made by this server's (or cluster's) actors through `c.client()`. */
	internal: boolean;
	/** Times a cluster node forwarded the request already (0 unless a peer's: never a client's word). */
	hops: number;
	/** Actor-to-actor calls that lead to this one (0 for a client's request; see MAX_CALL_DEPTH). */
	callDepth: number;
	/** On a request a peer forwarded: the Host the client sent where it entered the cluster. */
	forwardedHost?: string | undefined;
}

/** The answer to a chain of actor-to-actor calls deeper than MAX_CALL_DEPTH. */
function callTooDeep(depth: number): ActorError {
	return new ActorError(
		"actor",
		"call_too_deep",
		`This actor-to-actor call is ${depth} calls deep (at most ${MAX_CALL_DEPTH}): actors calling each other in a cycle?`,
		{ depth, limit: MAX_CALL_DEPTH },
	);
}

/**
 * The checks every request from the network passes before routing: a
 * cluster peer proves itself with the cluster secret; everyone else must
 * name an allowed Host and stay within the per-address rate. Requests that
 * change state must also come from an allowed Origin.
 */
export class RequestGuard {
	readonly #browser: BrowserGuard;
	readonly #peerSecret: () => string | undefined;
	readonly #perAddress: RateLimiter | undefined;
	readonly #limitLoopback: boolean;

	constructor(
		browser: BrowserGuard,
		peerSecret: () => string | undefined,
		rates: RateLimitOptions = {},
	) {
		this.#browser = browser;
		this.#peerSecret = peerSecret;
		const perAddress = rates.perAddress ?? DEFAULT_RATE_LIMITS.perAddress;
		this.#perAddress = perAddress === false ? undefined : new RateLimiter(perAddress);
		this.#limitLoopback = rates.limitLoopback ?? DEFAULT_RATE_LIMITS.limitLoopback;
	}

	/** Admits a request (or throws the error to answer with). */
	/**
	 * A health or readiness probe: admitted whatever its address spent (it spends nothing), its
	 * Host checked as any request's (a refused one spends, as elsewhere).
	 */
	admitProbe(request: RequestHead, info: ClientInfo | undefined): Admitted {
		const remoteAddress = info?.onBehalfOf?.remoteAddress ?? info?.remoteAddress;
		try {
			this.#browser.checkHost(request);
		} catch (error) {
			this.spend(remoteAddress);
			throw error;
		}
		return { remoteAddress, trusted: false, internal: false, hops: 0, callDepth: 0 };
	}

	admit(request: RequestHead, info: ClientInfo | undefined): Admitted {
		if (info?.inProcess) {
			const client = info.onBehalfOf;
			if (client !== undefined) {
				// Made for a client of this server (a fallback's caller): its address and its rate.
				// No actor made it: a call depth it carries is the client's word (a fallback passing
				// the caller's headers on set it, a review).
				this.spend(client.remoteAddress);
				const { remoteAddress } = client;
				return { remoteAddress, trusted: true, internal: false, hops: 0, callDepth: 0 };
			}
			const callDepth = callDepthOf(request);
			if (callDepth > MAX_CALL_DEPTH) throw callTooDeep(callDepth);
			return { remoteAddress: undefined, trusted: true, internal: true, hops: 0, callDepth };
		}
		const peer = request.headers.get(PEER_HEADER);
		if (peer !== null) {
			const secret = this.#peerSecret();
			if (secret === undefined || !sameSecret(peer, secret)) {
				// A guess counts against the guesser's rate, as any request does (each was a free 403).
				this.spend(info?.remoteAddress);
				throw new ActorError("auth", "forbidden", "Not a node of this cluster");
			}
			const callDepth = callDepthOf(request);
			if (callDepth > MAX_CALL_DEPTH) throw callTooDeep(callDepth);
			return {
				remoteAddress: request.headers.get(FORWARDED_FOR_HEADER) ?? undefined,
				trusted: true,
				internal: request.headers.get(FORWARDED_INTERNAL_HEADER) === "1",
				hops: hopsOf(request),
				callDepth,
				forwardedHost: forwardedHostOf(request),
			};
		}
		const remoteAddress = info?.remoteAddress;
		// Before the Host check: a refused Host costs its sender's rate too (each was a free 403).
		this.spend(remoteAddress);
		this.#browser.checkHost(request);
		return { remoteAddress, trusted: false, internal: false, hops: 0, callDepth: 0 };
	}

	/**
	 * True when per-address limits apply to `address`: a known client
	 * address, and not loopback unless `limitLoopback` is set.
	 */
	limitsAddress(address: string | undefined): address is string {
		return address !== undefined && (this.#limitLoopback || !isLoopbackAddress(address));
	}

	/**
	 * The key `address` counts against in per-address limits (its /64 for
	 * IPv6, see {@link addressKey}), or undefined where they do not apply.
	 */
	limitKey(address: string | undefined): string | undefined {
		return this.limitsAddress(address) ? addressKey(address) : undefined;
	}

	/** Takes one unit of `address`'s rate (a request, an upgrade, a message). */
	spend(address: string | undefined): void {
		const key = this.limitKey(address);
		if (this.#perAddress === undefined || key === undefined) return;
		const wait = this.#perAddress.take(key);
		if (wait > 0) throw errors.rateLimited("address", wait);
	}

	/** Origin check for a request that changes state (or opens a WebSocket). */
	checkStateChange(request: RequestHead, admitted: Admitted): void {
		if (!admitted.trusted) this.#browser.checkOrigin(request);
	}

	/** The check of a GET, HEAD or OPTIONS that may create an actor (see BrowserGuard). */
	checkCreation(request: RequestHead, admitted: Admitted): void {
		if (!admitted.trusted) this.#browser.checkCreation(request);
	}

	/** Content-type check for a body in the protocol's encodings. */
	checkContentType(request: RequestHead): void {
		this.#browser.checkContentType(request);
	}
}
