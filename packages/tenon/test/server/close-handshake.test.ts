// A graceful close lets each WebSocket's close handshake finish (within the close's drain
// time) before cutting what is left: it sent each socket its 1001 and destroyed it at once,
// so a client could learn of the close only after the server had gone (or read a 1006), and
// a call made right after the test kit's `await t.restart()` went out on the dead socket and
// failed with core/shutting_down, where the docs say its connection reconnects (a
// walkthrough, 2026-11-28).
import { expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

const counter = actor({ state: { n: 0 }, actions: { inc: (c) => ++c.state.n } });
const registry = setup({ use: { counter }, logLevel: "silent" });

it("a call right after a restart reaches the restarted server", async () => {
	await using t = await setupTest(registry);
	const conn = t.client.counter.getOrCreate("x").connect();
	const closes: string[] = [];
	conn.onStatusChange((status) => closes.push(status));
	expect(await conn.inc()).toBe(1);
	for (let round = 2; round <= 4; round++) {
		await t.restart();
		// The client saw the close before the restart returned.
		expect(conn.connStatus).not.toBe("connected");
		expect(await conn.inc()).toBe(round);
	}
	await conn.dispose();
});
