// A link from another node (a connection whose socket that node holds)
// carries messages that node already admitted under the client's message
// rate. Refused here again (the rate is per socket, the link's bucket starts
// apart from the client's), the owner's count of what it took from the link
// would skip them, and the holder would send them again after the actor
// slept: a link's socket is not rated twice.
import { expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/protocol/limits.js";
import type { RequestGuard } from "../../src/server/request-guard.js";
import { SocketCounts } from "../../src/server/socket-slots.js";

it("rates a client's socket and not a link's", () => {
	const counts = new SocketCounts({} as RequestGuard, DEFAULT_LIMITS, { perSecond: 1, burst: 2 });
	const client = counts.take(undefined, false);
	const link = counts.take(undefined, false, false);
	const now = performance.now();
	expect([1, 2, 3].map(() => client.throttle(now) > 0)).toEqual([false, false, true]);
	expect([1, 2, 3].map(() => link.throttle(now))).toEqual([0, 0, 0]);
});
