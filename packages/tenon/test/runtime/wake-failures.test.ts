import { describe, expect, it } from "vitest";
import { actor, setup } from "../../src/index.js";
import { setupTest } from "../../src/test/index.js";

let failWakes = 0;
let creates = 0;

const flaky = actor({
	createState: () => {
		creates++;
		return { wakes: 0 };
	},
	onWake: (c) => {
		if (failWakes > 0) {
			failWakes--;
			throw new Error("dependency unavailable");
		}
		c.state.wakes++;
	},
	connState: { messages: [] as string[] },
	actions: {
		wakes: (c) => c.state.wakes,
		note: (c, text: string) => {
			c.conn.state.messages.push(text);
			return c.conn.state.messages;
		},
	},
});

const registry = setup({ use: { flaky }, logLevel: "silent" });

describe("wake failures and connection state", () => {
	it("fails the request when waking fails, and wakes again on the next one", async () => {
		await using t = await setupTest(registry);
		failWakes = 1;
		creates = 0;
		const handle = t.client.flaky.getOrCreate("f");
		await expect(handle.wakes()).rejects.toMatchObject({ group: "core", code: "internal_error" });
		expect(t.awakeActors()).toBe(0);
		// The failed first wake never committed, so creation runs again.
		expect(await handle.wakes()).toBe(1);
		expect(creates).toBe(2);
		expect(await handle.wakes()).toBe(1);
	});

	it("clones a static connState for each connection", async () => {
		await using t = await setupTest(registry);
		const a = t.client.flaky.getOrCreate("c").connect();
		const b = t.client.flaky.getOrCreate("c").connect();
		expect(await a.note("from a")).toEqual(["from a"]);
		expect(await b.note("from b")).toEqual(["from b"]);
		expect(await a.note("again")).toEqual(["from a", "again"]);
		await a.dispose();
		await b.dispose();
	});
});
