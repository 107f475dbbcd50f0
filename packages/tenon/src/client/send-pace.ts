import { TokenBucket } from "../common/token-bucket.js";

/** A connection's sending rate (see `ClientOptions.messageRate`): `false` for none. */
export type MessageRate = { perSecond: number; burst: number } | false;

/**
 * The default: a Tenon server's default per-connection rate
 * (`rateLimits.perConnection`, 1,000 a second in bursts of 2,000) with half its
 * burst. A client following the server's own bucket exactly was still refused
 * now and then: the network delays some messages more than others, and the
 * server's bucket, full while the first ones were on their way, refills no
 * further (measured: 3 of 500 refused at 400 a second in bursts of 100). The
 * other half of the burst is room for that jitter.
 */
export const DEFAULT_MESSAGE_RATE = { perSecond: 1_000, burst: 1_000 } as const;

/**
 * The token bucket that keeps a connection's calls within `rate`, so a burst
 * waits instead of being refused: `Promise.all` over 5,000 calls had 1,802
 * refused with `limit/rate_limited` (a walkthrough, 2026-11-28). Undefined
 * for `false`; throws for a rate that cannot pace anything.
 */
export function sendPace(rate: MessageRate | undefined): TokenBucket | undefined {
	const chosen = rate ?? DEFAULT_MESSAGE_RATE;
	if (chosen === false) return undefined;
	const { perSecond, burst } = chosen;
	if (!(perSecond > 0 && burst >= 1 && Number.isFinite(perSecond) && Number.isFinite(burst)))
		throw new TypeError(
			"createClient: messageRate needs a positive perSecond and a burst of at least 1",
		);
	return new TokenBucket(chosen, performance.now());
}
