// A connection paces its calls to the server's per-connection rate limit: Promise.all over
// 5,000 calls had 1,802 refused with limit/rate_limited, on loopback, where the docs said a
// burst is answered in full (a walkthrough, 2026-11-28).
import { expect, it } from "vitest";
import { type ActorError, createClient } from "../../src/client/index.js";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const counter = actor({ state: { n: 0 }, actions: { inc: (c) => ++c.state.n } });
const rate = { perSecond: 400, burst: 100 };
const registry = setup({
	use: { counter },
	logLevel: "silent",
	rateLimits: { perConnection: rate },
});

/** The server's rate with half its burst, as the client's default is for a default server. */
const paced = { perSecond: rate.perSecond, burst: rate.burst / 2 };

async function burst(url: string, messageRate: typeof rate | false) {
	const client = createClient<typeof registry>({ endpoint: url, messageRate });
	const conn = client.counter.getOrCreate(["c"]).connect();
	await conn.inc();
	const started = performance.now();
	const results = await Promise.allSettled(Array.from({ length: 500 }, () => conn.inc()));
	const seconds = (performance.now() - started) / 1000;
	await client.dispose();
	const refused = results.filter(
		(r) => r.status === "rejected" && (r.reason as ActorError).code === "rate_limited",
	).length;
	return { fulfilled: results.filter((r) => r.status === "fulfilled").length, refused, seconds };
}

it("a burst past the server's rate waits its turn and is answered in full, in order", async () => {
	await using t = await setupTest(registry);
	const answered = await burst(t.url, paced);
	expect(answered).toMatchObject({ fulfilled: 500, refused: 0 });
	// 50 at once, then 400 a second.
	expect(answered.seconds).toBeGreaterThan(1);
	// Without pacing the server refuses what goes past its rate.
	const unpaced = await burst(t.url, false);
	expect(unpaced.refused).toBeGreaterThan(100);
});

it("refuses a rate that cannot pace anything", () => {
	for (const messageRate of [
		{ perSecond: 0, burst: 10 },
		{ perSecond: 10, burst: 0 },
		{ perSecond: Number.NaN, burst: 10 },
	])
		expect(() => createClient({ endpoint: "http://localhost:1", messageRate })).toThrow(
			/messageRate/,
		);
});
