import { DEFAULT_ACTOR_OPTIONS } from "../actor/options.js";
import type { Limits } from "../protocol/limits.js";
import type { ActorHost } from "./actor-host.js";

/**
 * The longest body a queue send may have: 16 times the largest `maxQueueMessageSize` of any
 * actor type (JSON may spell a message several times longer than it is stored), within
 * `maxHttpBodyBytes`. A longer one is refused before it is decoded: decoded, walked and
 * encoded again to be compared with 64 KiB, a 4 MB body of 490,000 keys blocked the loop
 * for 2.5 s (an attacker probe, 2026-11-27).
 */
export function queueSendLimit(host: ActorHost, limits: Pick<Limits, "maxHttpBodyBytes">): number {
	return Math.min(
		limits.maxHttpBodyBytes,
		16 *
			Math.max(
				DEFAULT_ACTOR_OPTIONS.maxQueueMessageSize,
				...host.actorNames.map((name) => host.options(name).maxQueueMessageSize),
			),
	);
}
