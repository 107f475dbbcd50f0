// What the tests of passUpgradeThrough hand it: sockets that record what is written to them, the
// upgrade request, and a proxy target with only the owner checks left to each test.
import { Duplex } from "node:stream";
import type { passUpgradeThrough } from "../../src/cluster/upgrade-proxy.js";

/** A socket that keeps what is written to it; `push` makes it receive. */
export class FakeSocket extends Duplex {
	written: string[] = [];
	constructor() {
		super({ allowHalfOpen: true });
	}
	override _read() {}
	override _write(chunk: Buffer, _enc: string, cb: () => void) {
		this.written.push(chunk.toString());
		cb();
	}
}

/** A `/connect` upgrade as Node parsed it. */
export const upgradeRequest = {
	method: "GET",
	url: "/gateway/x/connect",
	rawHeaders: ["Host", "a"],
	headers: { host: "a" },
} as never;

type Target = Parameters<typeof passUpgradeThrough>[3];

/** A target whose owner is at 10.0.0.1, to retry for 1 s, with `checks` (ownerAlive, watchOwner). */
export function proxyTarget(checks: Pick<Target, "ownerAlive" | "watchOwner">): Target {
	return {
		address: "http://10.0.0.1:9",
		hops: 1,
		retryUntil: Date.now() + 1_000,
		peerSecret: "s",
		forwardedFor: undefined,
		internal: false,
		callDepth: 0,
		...checks,
		unavailable: () => new Response("{}", { status: 503 }),
		hold: () => () => {},
	};
}
