// A persisted connection's state from `createConnState` (or `connState`) that is frozen, or
// holds a frozen object, is read through the state tracker: before 2026-11-26 every read
// through such an object threw a Proxy TypeError (a non-writable, non-configurable property
// must read as the very value it holds, and the tracker gave a proxy of it), so each action
// that read `c.conn.state.user.name` failed with core/internal_error. It is tracked as its
// plain, writable copy now, as a locked value written into actor state is, and kept across
// a restart.
import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";
import { reconnected } from "../helpers/reconnected.js";

const room = actor({
	state: {},
	createConnState: (_c, params: { name: string }) =>
		Object.freeze({ user: Object.freeze({ name: params.name }), visits: { count: 0 } }),
	actions: {
		whoAmI: (c) => c.conn.state.user.name,
		visit: (c) => ++c.conn.state.visits.count,
	},
});
const registry = setup({ use: { room }, logLevel: "silent" });

describe("a persisted connection whose createConnState state is frozen", () => {
	it("reads and changes it, and keeps the change across a restart", async () => {
		await using t = await setupTest(registry);
		const conn = t.client.room.getOrCreate("r", { params: { name: "ann" } }).connect();
		expect(await conn.whoAmI()).toBe("ann");
		expect(await conn.visit()).toBe(1);
		const back = reconnected(conn);
		await t.restart();
		await back;
		expect(await conn.whoAmI()).toBe("ann");
		expect(await conn.visit()).toBe(2);
		await conn.dispose();
	});
});
