// An option given as `undefined` (`sleepTimeout: cold ? 1_000 : undefined`, or
// any conditional an app writes) replaced its default with undefined: the
// options were spread over the defaults (noticed 2026-11-28, with the types
// that now accept `undefined` under `exactOptionalPropertyTypes`). It means
// "the default" now, as an omitted option does.
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const cold = process.env.TENON_TEST_NEVER_SET === "1";

const napper = actor({
	state: { n: 0 },
	actions: { touch: (c) => ++c.state.n },
	options: { sleepTimeout: cold ? 1_000 : undefined, actionTimeout: undefined },
});

it("takes an undefined actor option as its default", async () => {
	const registry = setup({
		use: { napper },
		logLevel: "silent",
		limits: { maxConnections: undefined, maxIncomingMessageBytes: undefined },
	});
	await using t = await setupTest(registry);
	const handle = t.client.napper.getOrCreate("a");
	expect(await handle.touch()).toBe(1);
	// The default sleep timeout (30 s): awake before it, asleep after.
	await t.clock.advance(20_000);
	expect(t.awakeActors()).toBe(1);
	await t.clock.advance(15_000);
	await expect.poll(() => t.awakeActors()).toBe(0);
	expect(await handle.touch()).toBe(2);
	const conn = handle.connect();
	expect(await conn.touch()).toBe(3);
	await conn.dispose();
});
